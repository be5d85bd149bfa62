"""Who may do what, offline: the account's users and roles evaluated by iamd's own engine.

Input is the merged GetAccountAuthorizationDetails output (from iamd or AWS, as
`authz.fetch_details` gives it or as saved by `authorization-details -o json`): policy
documents as JSON data, JSON text or URL-encoded text. Every
user gets a `PolicySet` of its inline and attached policies, its groups' inline and
attached policies and its permissions boundary; every role its inline, attached and
boundary policies: the same sets the server evaluates (store/principal_policies.py), and
the decision is `policy.evaluate.evaluate`'s, never a second evaluator's.

Context: what the document tells about the principal (aws:username, aws:userid,
aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:PrincipalTag/*) and about
a resource that is one of the account's users or roles (aws:ResourceTag/*,
iam:ResourceTag/*); every other key is absent. A decision is "conditional" when a
statement whose action and resource match looked up an absent key and that statement
could change the answer (an Allow where the answer is a denial, a Deny or the only
Allows where it is an allowance); the keys are reported.

Pure: no I/O and no clock.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import unquote

from ...policy.compiled import compile_policy
from ...policy.evaluate import (ALLOWED, EXPLICIT_DENY, Caller, Decision, PolicySet,
                                PolicySource, Request, evaluate)

CONDITIONAL = "conditional"
ADMIN_DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


@dataclass(frozen=True)
class Origin:
    """Where a policy source comes from, for people: its kind and the entity holding it."""
    kind: str              # inline, managed, boundary, trust
    via: str               # "user alice", "group admins", "role web"
    arn: str | None = None  # the managed policy's ARN

    def describe(self, source: PolicySource) -> str:
        return f"{self.kind} {source.id} ({self.via})"


@dataclass
class Principal:
    kind: str                   # user | role
    name: str
    arn: str
    account: str
    policies: PolicySet
    context: dict
    groups: tuple[str, ...] = ()
    boundary_arn: str | None = None
    attached: tuple[str, ...] = ()   # managed policy ARNs attached directly
    trust: PolicySource | None = None
    origins: dict = field(default_factory=dict)  # id(PolicySource) -> Origin
    resource_context: dict | None = None         # its tags as aws:/iam:ResourceTag keys, once built

    @property
    def label(self) -> str:
        return self.name if self.kind == "user" else f"role/{self.name}"

    def caller(self) -> Caller:
        if self.kind == "user":
            return Caller(self.arn, self.account)
        session = f"arn:aws:sts::{self.account}:assumed-role/{self.name}/session"
        return Caller(session, self.account, role_arn=self.arn)


EMPTY_DOCUMENT = '{"Version":"2012-10-17","Statement":[]}'


def _text(doc) -> str:
    """A policy document as text for compile_policy: JSON data dumped; text kept as written
    (URL-encoded text, as the raw API answers, decoded)."""
    if not isinstance(doc, str):
        return json.dumps(doc, separators=(",", ":"))
    return doc if doc.lstrip().startswith("{") else unquote(doc)


def _compiled(text: str, where: str, warnings: list):
    try:
        return compile_policy(text)
    except ValueError as err:
        warnings.append(f"the policy document of {where} cannot be read ({err}); it is taken as granting nothing")
        return compile_policy(EMPTY_DOCUMENT)


def _source(name: str, ptype: str, doc, origin: Origin, account: "Account") -> PolicySource:
    src = PolicySource(name, ptype, _compiled(_text(doc), f"{origin.kind} {name} ({origin.via})", account.warnings))
    account.origins[id(src)] = origin
    return src


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


class Account:
    """The principals of one authorization-details document, with their policy sets."""

    def __init__(self, details: dict):
        self.details = details
        self.origins: dict = {}
        self.warnings: list[str] = []
        self.policies = {p["Arn"]: p for p in details.get("Policies", [])}
        self.groups = {g["GroupName"]: g for g in details.get("GroupDetailList", [])}
        self._managed: dict = {}
        self._managed_text: dict = {}
        self._group_sources: dict = {}
        self.principals: list[Principal] = []
        for u in details.get("UserDetailList", []):
            self.principals.append(self._user(u))
        for r in details.get("RoleDetailList", []):
            self.principals.append(self._role(r))
        self.by_arn = {p.arn: p for p in self.principals}
        self.by_name = {}
        for p in self.principals:
            self.by_name.setdefault(p.name, p)
            self.by_name.setdefault(p.label, p)

    # -- building -------------------------------------------------------------------------
    def managed_document(self, arn: str, version: str | None = None):
        """The default (or named) version's document of a managed policy, or None."""
        policy = self.policies.get(arn)
        if policy is None:
            return None
        for v in policy.get("PolicyVersionList", []):
            if (v.get("VersionId") == version) if version else v.get("IsDefaultVersion"):
                return v.get("Document")
        return None

    def _managed_source(self, attached: dict, via: str) -> PolicySource | None:
        arn = attached["PolicyArn"]
        key = (arn, via)
        if key not in self._managed:
            doc = self.managed_document(arn)
            if doc is None:
                self.warnings.append(f"policy {arn} (attached to {via}) is not in the document; "
                                     "it is taken as granting nothing")
                self._managed[key] = None
            else:
                ptype = "aws-managed" if arn.startswith("arn:aws:iam::aws:") else "user-managed"
                # One text per policy: every holder's source shares the compiled policy.
                if arn not in self._managed_text:
                    self._managed_text[arn] = _text(doc)
                self._managed[key] = _source(attached["PolicyName"], ptype, self._managed_text[arn],
                                             Origin("managed", via, arn), self)
        return self._managed[key]

    def _own(self, entity: dict, kind: str, inline_key: str) -> list[PolicySource]:
        via = f"{kind} {entity[kind.capitalize() + 'Name']}"
        sources = [_source(p["PolicyName"], kind, p["PolicyDocument"], Origin("inline", via), self)
                   for p in entity.get(inline_key, [])]
        sources += [s for s in (self._managed_source(a, via) for a in entity.get("AttachedManagedPolicies", []))
                    if s is not None]
        return sources

    def group_sources(self, name: str) -> list[PolicySource]:
        if name not in self._group_sources:
            group = self.groups.get(name)
            self._group_sources[name] = self._own(group, "group", "GroupPolicyList") if group else []
        return self._group_sources[name]

    def _boundary(self, entity: dict, via: str) -> tuple[PolicySource | None, str | None]:
        arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if not arn:
            return None, None
        doc = self.managed_document(arn)
        if doc is None:
            self.warnings.append(f"permissions boundary {arn} of {via} is not in the document; "
                                 "it is taken as allowing nothing")
            doc = EMPTY_DOCUMENT
        return _source(arn.rsplit("/", 1)[-1], "user-managed" if ":aws:policy" not in arn else "aws-managed",
                       doc, Origin("boundary", via, arn), self), arn

    def _user(self, u: dict) -> Principal:
        groups = tuple(u.get("GroupList", []))
        identity = self._own(u, "user", "UserPolicyList")
        for g in groups:
            identity += self.group_sources(g)
        boundary, barn = self._boundary(u, f"user {u['UserName']}")
        context = {"aws:username": u["UserName"], "aws:userid": u.get("UserId", ""),
                   "aws:principaltype": "User"}
        return self._principal("user", u, identity, boundary, barn, context, groups=groups)

    def _role(self, r: dict) -> Principal:
        identity = self._own(r, "role", "RolePolicyList")
        boundary, barn = self._boundary(r, f"role {r['RoleName']}")
        context = {"aws:principaltype": "AssumedRole"}
        p = self._principal("role", r, identity, boundary, barn, context)
        trust = r.get("AssumeRolePolicyDocument")
        if trust is not None:
            p.trust = _source("trust policy", "resource", trust, Origin("trust", f"role {p.name}"), self)
        return p

    def _principal(self, kind, entity, identity, boundary, barn, context, groups=()) -> Principal:
        arn = entity["Arn"]
        account = _account_of(arn)
        context = {**context, "aws:principalarn": arn, "aws:principalaccount": account}
        tags = entity.get("Tags") or []
        context.update({f"aws:principaltag/{t['Key'].lower()}": t["Value"] for t in tags})
        return Principal(kind, entity[kind.capitalize() + "Name"], arn, account,
                         PolicySet(tuple(identity), boundary), context, groups, barn,
                         tuple(a["PolicyArn"] for a in entity.get("AttachedManagedPolicies", [])),
                         origins=self.origins)

    # -- looking up ------------------------------------------------------------------------
    def find(self, name_or_arn: str) -> Principal | None:
        return self.by_arn.get(name_or_arn) or self.by_name.get(name_or_arn)

    def resource_context(self, resource: str) -> dict:
        """aws:ResourceTag/* and iam:ResourceTag/* of a resource that is one of the
        account's users or roles."""
        target = self.by_arn.get(resource)
        if target is None:
            return {}
        if target.resource_context is None:
            out = {}
            for k, v in target.context.items():
                if k.startswith("aws:principaltag/"):
                    key = k.split("/", 1)[1]
                    out[f"aws:resourcetag/{key}"] = v
                    out[f"iam:resourcetag/{key}"] = v
            target.resource_context = out
        return target.resource_context


# -- deciding ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """The engine's decision plus what the analysis adds: whether context could change it."""
    principal: Principal
    action: str
    resource: str
    decision: Decision
    hanging: tuple                      # (source, statement, absent keys) the answer hangs on
    via_trust: bool = False
    request: Request | None = None

    @property
    def conditional_keys(self) -> tuple[str, ...]:
        """The absent keys the answer hangs on; () if none."""
        return _keys(self.hanging)

    @property
    def status(self) -> str:
        if self.conditional_keys:
            return CONDITIONAL
        return self.decision.decision

    @property
    def allowed(self) -> bool:
        return self.decision.allowed and not self.conditional_keys

    @property
    def possible(self) -> bool:
        """Allowed now or under some context."""
        return self.decision.allowed or bool(self.conditional_keys)


def _context_statements(policies: PolicySet, extra: tuple, req: Request):
    """(source, statement, absent keys) of every statement whose action and resource match
    and whose condition (or resource variables) looked up an absent key."""
    out = []
    sources = (*policies.identity, *((policies.boundary,) if policies.boundary else ()), *extra)
    action = req.action.lower()
    for src in sources:
        for st in src.policy.for_action(action):
            missing: list = []
            if not st.resource_matches(req.resource, req.context, missing):
                if missing:
                    out.append((src, st, tuple(missing)))
                continue
            if st.condition is not None:
                st.condition.test(req.context, missing, True)
            if missing:
                out.append((src, st, tuple(missing)))
    return out


def _keys(items) -> tuple[str, ...]:
    seen: dict = {}
    for _, _, keys in items:
        for k in keys:
            seen.setdefault(k.lower(), k)
    return tuple(seen.values())


def hanging_statements(policies: PolicySet, d: Decision, req: Request, trust: PolicySource | None = None,
                       identity_needed: bool = True) -> tuple:
    """(source, statement, absent keys) of the statements the decision hangs on (see the
    module docstring); () when context cannot change it."""
    if not d.missing:
        return ()
    shaky = _context_statements(policies, (trust,) if trust else (), req)
    if not shaky:
        return ()
    boundary = policies.boundary
    if d.decision == EXPLICIT_DENY:
        # Denied for sure if one Deny applied without looking up an absent key.
        shaky_denies = {id(st) for _, st, _ in shaky if st.effect == "Deny"}
        if any(id(st) not in shaky_denies for _, st in d.matched):
            return ()
        return tuple(s for s in shaky if s[1].effect == "Deny")
    if d.decision == ALLOWED:
        shaky_ids = {id(st) for _, st, _ in shaky}
        hang = [s for s in shaky if s[1].effect == "Deny"]
        if identity_needed and not any(id(st) not in shaky_ids for src, st in d.matched if src is not trust):
            hang += [s for s in shaky if s[1].effect == "Allow" and s[0] is not boundary]
        if boundary is not None:
            b_allows = [s for s in shaky if s[0] is boundary and s[1].effect == "Allow"]
            if b_allows and not _boundary_solid(boundary, req, shaky_ids):
                hang += b_allows
        return tuple(hang)
    # implicitDeny: an Allow that looked up an absent key might have applied.
    return tuple(s for s in shaky if s[1].effect == "Allow")


def _boundary_solid(boundary: PolicySource, req: Request, shaky_ids: set) -> bool:
    action = req.action.lower()
    return any(st.effect == "Allow" and id(st) not in shaky_ids and st.applies(req)
               for st in boundary.policy.for_action(action))


def decide(account: Account, who: Principal, action: str, resource: str = "*",
           context: dict | None = None, explain: bool = False) -> Answer:
    """The engine's answer for `who` doing `action` on `resource`. sts:AssumeRole* on one
    of the account's roles is judged with the role's trust policy as the resource policy,
    as the server judges it."""
    ctx = {**who.context, **account.resource_context(resource), **(context or {})}
    req = Request(action, resource, ctx)
    target = account.by_arn.get(resource)
    trust = None
    if action.lower().startswith("sts:assumerole") and target is not None and target.kind == "role":
        trust = target.trust
    trust_alone = False
    if trust is not None:
        kwargs = dict(resource_policy=trust, caller=who.caller(), same_account=_account_of(target.arn) == who.account,
                      resource_must_allow=True)
        d = evaluate(req, who.policies, explain=explain, **kwargs)
        # A trust policy naming the principal itself allows without identity policies:
        # then their conditions cannot change the answer.
        trust_alone = d.allowed and evaluate(req, PolicySet((), who.policies.boundary), **kwargs).allowed
    else:
        d = evaluate(req, who.policies, explain=explain)
    hanging = hanging_statements(who.policies, d, req, trust, identity_needed=not trust_alone)
    return Answer(who, action, resource, d, hanging, trust is not None, req)


def who_can(account: Account, action: str, resource: str = "*", include_conditional: bool = True) -> list[Answer]:
    """Every user and role allowed (or, with include_conditional, possibly allowed) to do
    `action` on `resource`."""
    out = []
    for p in account.principals:
        a = decide(account, p, action, resource)
        if a.allowed or (include_conditional and a.possible):
            out.append(a)
    return out


# -- describing ------------------------------------------------------------------------------

def statement_ref(account: Account, src: PolicySource, st) -> dict:
    origin = account.origins.get(id(src)) or Origin("policy", "")
    return {"policy": src.id, "kind": origin.kind, "via": origin.via, "policy_arn": origin.arn,
            "sid": st.sid, "statement": st.index, "effect": st.effect}


def statement_text(src: PolicySource, st) -> dict | None:
    try:
        doc = json.loads(src.policy.text)
        raw = doc.get("Statement")
        return (raw if isinstance(raw, list) else [raw])[st.index]
    except (ValueError, AttributeError, IndexError, TypeError):
        return None


def cut_allows(a: Answer) -> tuple:
    """The identity Allows a permissions boundary cut: what the engine allows on the
    principal's identity policies alone, when the boundary denied."""
    if a.decision.denied_by != "boundary" or a.request is None:
        return ()
    return evaluate(a.request, PolicySet(a.principal.policies.identity)).matched


def answer_dict(account: Account, a: Answer, with_text: bool = False) -> dict:
    d = a.decision

    def refs(pairs, keys=None):
        out = []
        for i, (src, st) in enumerate(pairs):
            ref = statement_ref(account, src, st)
            if keys is not None:
                ref["absent_keys"] = list(keys[i])
            if with_text:
                ref["text"] = statement_text(src, st)
            out.append(ref)
        return out
    matched = refs(d.matched)
    out = {"principal": a.principal.arn, "type": a.principal.kind, "name": a.principal.name,
           "action": a.action, "resource": a.resource, "decision": a.status,
           "engine_decision": d.decision, "statements": matched,
           "conditional_on": list(a.conditional_keys), "denied_by": d.denied_by,
           "boundary_allowed": d.boundary_allowed,
           "conditional_statements": refs([(src, st) for src, st, _ in a.hanging], [k for *_, k in a.hanging])}
    cut = cut_allows(a)
    if cut:
        out["allowed_without_boundary"] = refs(cut)
    if a.via_trust:
        out["trust_policy"] = True
    return out


def statement_label(ref: dict) -> str:
    sid = f" {ref['sid']}" if ref.get("sid") else ""
    return f"{ref['kind']} {ref['policy']} ({ref['via']}) #{ref['statement']}{sid}"
