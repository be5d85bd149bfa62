"""Privilege escalation: principals that can make themselves (or take over others who are)
more powerful, each with the path that allows it. Pure, over `access.Account`.

A step is one permission the engine grants (`access.decide`, so conditions, boundaries,
trust policies and explicit denies count exactly as on the server):

* self steps, a principal widening its own policies: put or attach a policy on itself or
  on a group it is in, write a new default version of (or set an older default version
  of) a managed policy attached to it, add itself to a group, drop or replace its
  permissions boundary;
* takeover steps, acting as another principal: create an access key or a login profile
  for another user (update one it has), rewrite a role's trust policy and assume the role,
  pass a role to a service that runs code with it (EC2, Lambda, CloudFormation, ...);
  assuming a role that trusts it is a step on a path but never a finding by itself (that
  is what trust policies are for).

"More powerful" is shown, not assumed: the state after the step (its policies with the
addition, or the other principal) is allowed a witness request, built from its own Allow
statements (wildcards filled in), that the principal is not. Principals allowed every
action already (administrators) have nothing to gain and are not reported.
Paths are followed through assume-role steps (up to `MAX_DEPTH`); a takeover ends a path,
since what the other principal can do next is that principal's own finding.
"""

import json
import re
from collections import deque
from dataclasses import dataclass

from ...policy.compiled import compile_policy
from ...policy.evaluate import Caller, PolicySet, PolicySource, Request, evaluate
from . import access
from ...analysis.findings import Finding

MAX_DEPTH = 3
WITNESS_LIMIT = 200
_FILL = "Zq"   # stands for any text a wildcard covers; no real action or name is spelled so

CHECKS = {
    "privesc-self-policy": ("high", "can put or attach any policy on itself"),
    "privesc-group-policy": ("high", "can put or attach a policy on a group it belongs to"),
    "privesc-policy-version": ("high", "can write a new default version of a policy attached to it"),
    "privesc-default-version": ("high", "can make a more permissive version of its policy the default"),
    "privesc-add-to-group": ("high", "can add itself to a more powerful group"),
    "privesc-boundary": ("high", "can remove or replace its permissions boundary"),
    "privesc-access-key": ("high", "can create an access key for a more powerful user"),
    "privesc-login-profile": ("high", "can set the console password of a more powerful user"),
    "privesc-trust-policy": ("high", "can rewrite the trust policy of a more powerful role and assume it"),
    "privesc-pass-role": ("high", "can pass a more powerful role to a service that runs its code"),
    "privesc-existing-code": ("medium", "can change the code of a Lambda function or Glue endpoint that may run "
                                        "as a more powerful role (the document does not list them)"),
}

# Service principal -> the actions that make the service run code as a role passed to it.
PASS_ROLE_SERVICES = {
    "ec2.amazonaws.com": ("ec2:RunInstances",),
    "lambda.amazonaws.com": ("lambda:CreateFunction", "lambda:InvokeFunction"),
    "cloudformation.amazonaws.com": ("cloudformation:CreateStack",),
    "glue.amazonaws.com": ("glue:CreateDevEndpoint",),
    "datapipeline.amazonaws.com": ("datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"),
    "sagemaker.amazonaws.com": ("sagemaker:CreateNotebookInstance",),
    "codebuild.amazonaws.com": ("codebuild:CreateProject", "codebuild:StartBuild"),
    "ecs-tasks.amazonaws.com": ("ecs:RunTask",),
}


# Service principal -> the actions that make code already deployed there run as the
# caller wishes, with the role it already has (no iam:PassRole needed).
EXISTING_CODE_SERVICES = {
    "lambda.amazonaws.com": ("lambda:UpdateFunctionCode", "lambda:InvokeFunction"),
    "glue.amazonaws.com": ("glue:UpdateDevEndpoint",),
}


@dataclass(frozen=True)
class Step:
    kind: str                # a CHECKS key, or "assume-role"
    principal: str           # ARN of who takes the step
    action: str
    resource: str
    target: str              # ARN of the principal acting (or gaining) after the step
    conditional_on: tuple[str, ...] = ()
    note: str = ""

    def text(self) -> str:
        cond = f" [if {', '.join(self.conditional_on)}]" if self.conditional_on else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.action} on {self.resource}{note}{cond}"

    def as_dict(self) -> dict:
        return {"step": self.kind, "principal": self.principal, "action": self.action,
                "resource": self.resource, "becomes": self.target, "note": self.note,
                "conditional_on": list(self.conditional_on)}


# -- witnesses and power --------------------------------------------------------------------

def _fill_action(pattern: str) -> str:
    return pattern.replace("*", _FILL).replace("?", "Q")


def _fill_resource(pattern: str, account: str) -> str | None:
    if pattern == "*":
        return "*"
    parts = pattern.split(":", 5)
    if len(parts) == 6 and ("*" in parts[4] or "?" in parts[4]):
        parts[4] = account
    return ":".join(parts).replace("*", _FILL).replace("?", "Q")


def _literal_resources(st, context: dict) -> list | None:
    """The ARNs a statement's Resource names literally (policy variables filled from the
    context), or None when it has a wildcard, a variable the context lacks or is a
    NotResource: then only matching each ARN tells."""
    patterns = st.resources
    if st.not_resource or patterns.any or patterns.regex is not None:
        return None
    out = list(patterns.exact)
    for d in patterns.dynamic:
        text = None if d.wild else d.render(context, None)
        if text is None:
            return None
        out.append(text)
    return out


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v] if isinstance(v, str) else []


_WITNESSES: dict = {}
def _source_witnesses(src: PolicySource, account: str) -> list:
    key = (src.policy.text, account)
    hit = _WITNESSES.get(key)
    if hit is None:
        hit = []
        try:
            doc = json.loads(src.policy.text)
        except ValueError:
            doc = {}
        raw = doc.get("Statement", []) if isinstance(doc, dict) else []
        for st in raw if isinstance(raw, list) else [raw]:
            if not isinstance(st, dict) or st.get("Effect") != "Allow":
                continue
            patterns = _as_list(st.get("Action"))
            # "*" covers IAM too, which a principal allowed everything else most often lacks.
            actions = [_fill_action(a) for a in patterns] + ([f"iam:{_FILL}"] if "*" in patterns else []) or \
                ([f"{_FILL}:{_FILL}"] if "NotAction" in st else [])
            resources = [r for r in (_fill_resource(x, account) for x in _as_list(st.get("Resource"))) if r] or \
                (["*"] if "NotResource" in st else [])
            hit += [(a, r) for a in actions for r in resources]
        _WITNESSES[key] = hit = hit[:WITNESS_LIMIT]
    return hit


_PRINCIPAL_ARN = re.compile(r"arn:[\w-]+:(?:iam|sts)::\d{12}:[^\"\s]+")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _resolve(resource: str, context: dict) -> str | None:
    """Policy variables of a witness resource filled from the principal's context (the
    engine's default `${key, 'x'}` form aside); None when one is unknown."""
    if "${" not in resource:
        return resource
    try:
        return _VARIABLE.sub(lambda m: context[m.group(1).strip().lower()], resource)
    except KeyError:
        return None


def witnesses(policies: PolicySet, account: str, context: dict) -> list:
    out: dict = {}
    for src in (*policies.identity, *((policies.boundary,) if policies.boundary else ())):
        for action, resource in _source_witnesses(src, account):
            resource = _resolve(resource, context)
            if resource is not None:
                out.setdefault((action, resource), None)
    return list(out)[:WITNESS_LIMIT]


def _allowed(policies: PolicySet, context: dict, action: str, resource: str) -> bool:
    return evaluate(Request(action, resource, context), policies).allowed


def gain(base: access.Principal, after: PolicySet, after_context: dict) -> tuple | None:
    """A request (action, resource) that `after` is allowed and `base` is not, or None."""
    # What the step adds is the likeliest gain: its statements are tried first.
    mine = {id(src) for src in base.policies.identity}
    ordered = PolicySet((*(src for src in after.identity if id(src) not in mine),
                         *(src for src in after.identity if id(src) in mine)), after.boundary)
    for action, resource in witnesses(ordered, base.account, after_context):
        if _allowed(after, after_context, action, resource) and \
                not _allowed(base.policies, base.context, action, resource):
            return action, resource
    return None


def is_admin(p: access.Principal) -> bool:
    """Allowed any action on `*`, IAM's included."""
    return all(_allowed(p.policies, p.context, a, "*") for a in (f"{_FILL}:{_FILL}", f"iam:{_FILL}"))


# -- steps -------------------------------------------------------------------------------------

_ADMIN = PolicySource("AdministratorAccess", "aws-managed", compile_policy(access.ADMIN_DOCUMENT))


class Analysis:
    """One account's steps and findings, memoised per principal (self steps, edges,
    administrator status, trusted services)."""

    def __init__(self, account: access.Account):
        self.account = account
        self.group_arns = {g["GroupName"]: g.get("Arn", "") for g in account.groups.values()}
        self._admin = {}
        self._edges = {}
        self._self = {}
        self._trusted_services = {}
        self._trust_index = None
        self._pools: dict = {}
        self._static_matches: dict = {}

    def can(self, p: access.Principal, action: str, resource: str, extra: dict | None = None):
        """(possible, conditional keys) for p doing action on resource."""
        a = access.decide(self.account, p, action, resource, extra)
        return a.possible, a.conditional_keys

    def may_use(self, p: access.Principal, action: str) -> bool:
        """Cheap filter: some identity Allow names the action at all."""
        low = action.lower()
        return any(st.effect == "Allow" for src in p.policies.identity for st in src.policy.for_action(low))

    def admin(self, p) -> bool:
        if p.arn not in self._admin:
            self._admin[p.arn] = is_admin(p)
        return self._admin[p.arn]

    def _step(self, p, kind, action, resource, target, extra=None, note="") -> Step | None:
        if not self.may_use(p, action):
            return None
        ok, cond = self.can(p, action, resource, extra)
        return Step(kind, p.arn, action, resource, target, cond, note) if ok else None

    # Self steps: (step, witness) pairs where p's policies afterwards allow more.
    def self_steps(self, p: access.Principal) -> list:
        if p.arn in self._self:
            return self._self[p.arn]
        out = []
        ps = p.policies
        admin_added = PolicySet((*ps.identity, _ADMIN), ps.boundary)
        own = "User" if p.kind == "user" else "Role"

        def consider(step, after):
            if step is not None:
                w = gain(p, after, p.context)
                if w is not None:
                    out.append((step, w))

        consider(self._step(p, "privesc-self-policy", f"iam:Put{own}Policy", p.arn, p.arn), admin_added)
        consider(self._step(p, "privesc-self-policy", f"iam:Attach{own}Policy", p.arn, p.arn,
                            {"iam:policyarn": access.ADMIN_ARN}, "AdministratorAccess"), admin_added)
        for g in p.groups:
            garn = self.group_arns.get(g)
            if garn:
                consider(self._step(p, "privesc-group-policy", "iam:PutGroupPolicy", garn, p.arn), admin_added)
                consider(self._step(p, "privesc-group-policy", "iam:AttachGroupPolicy", garn, p.arn,
                                    {"iam:policyarn": access.ADMIN_ARN}, "AdministratorAccess"), admin_added)
        for arn in self._attached(p):
            if arn.startswith("arn:aws:iam::aws:"):
                continue
            consider(self._step(p, "privesc-policy-version", "iam:CreatePolicyVersion", arn, p.arn,
                                note="--set-as-default"), admin_added)
            for version, after in self._other_versions(p, arn):
                consider(self._step(p, "privesc-default-version", "iam:SetDefaultPolicyVersion", arn, p.arn,
                                    note=version), after)
        if p.kind == "user":
            pool = self._pool("group")
            for g in self._named(p, ("iam:AddUserToGroup",), pool, "group"):
                if g in p.groups:
                    continue
                after = PolicySet((*ps.identity, *self.account.group_sources(g)), ps.boundary)
                consider(self._step(p, "privesc-add-to-group", "iam:AddUserToGroup", self.group_arns[g],
                                    p.arn, note=f"adds itself to {g}"), after)
        if ps.boundary is not None:
            unbounded = PolicySet(ps.identity, None)
            consider(self._step(p, "privesc-boundary", f"iam:Delete{own}PermissionsBoundary", p.arn, p.arn),
                     unbounded)
            consider(self._step(p, "privesc-boundary", f"iam:Put{own}PermissionsBoundary", p.arn, p.arn,
                                {"iam:permissionsboundary": access.ADMIN_ARN}, "AdministratorAccess"), unbounded)
        self._self[p.arn] = out
        return out

    def _attached(self, p: access.Principal) -> list[str]:
        arns = list(p.attached)
        for g in p.groups:
            arns += [a["PolicyArn"] for a in self.account.groups.get(g, {}).get("AttachedManagedPolicies", [])]
        return list(dict.fromkeys(arns))

    def _other_versions(self, p, arn):
        policy = self.account.policies.get(arn) or {}
        for v in policy.get("PolicyVersionList", []):
            if v.get("IsDefaultVersion"):
                continue
            swapped = []
            for src in p.policies.identity:
                origin = self.account.origins.get(id(src))
                if origin is not None and origin.arn == arn:
                    src = PolicySource(src.id, src.type, compile_policy(access._text(v["Document"])))
                swapped.append(src)
            yield v.get("VersionId", "?"), PolicySet(tuple(swapped), p.policies.boundary)

    # Takeover steps: (step, other principal) pairs.
    def edges(self, p: access.Principal) -> list:
        if p.arn in self._edges:
            return self._edges[p.arn]
        out = []
        for kind, actions in (("privesc-access-key", ("iam:CreateAccessKey",)),
                              ("privesc-login-profile", ("iam:CreateLoginProfile", "iam:UpdateLoginProfile"))):
            for q in self._candidates(p, actions, "user"):
                for action in actions:
                    step = self._step(p, kind, action, q.arn, q.arn)
                    if step is not None:
                        out.append((step, q))
                        break
        assumable = set()
        for q in self._trusting(p):
            a = access.decide(self.account, p, "sts:AssumeRole", q.arn)
            if a.possible:
                assumable.add(q.arn)
                out.append((Step("assume-role", p.arn, "sts:AssumeRole", q.arn, q.arn, a.conditional_keys), q))
        for q in self._candidates(p, ("iam:UpdateAssumeRolePolicy",), "role"):
            if q.arn not in assumable:
                step = self._step(p, "privesc-trust-policy", "iam:UpdateAssumeRolePolicy", q.arn, q.arn)
                if step is not None and self._assumable_after_rewrite(p, q):
                    out.append((step, q))
                    assumable.add(q.arn)
        for q in self._candidates(p, ("iam:PassRole",), "role"):
            if q.arn not in assumable:
                step = self._pass_role(p, q)
                if step is not None:
                    out.append((step, q))
                    assumable.add(q.arn)
        if any(self.may_use(p, actions[0]) for actions in EXISTING_CODE_SERVICES.values()):
            for q in self.account.principals:
                if q.kind == "role" and q is not p and q.arn not in assumable:
                    step = self._existing_code(p, q)
                    if step is not None:
                        out.append((step, q))
        self._edges[p.arn] = out
        return out

    def _candidates(self, p: access.Principal, actions: tuple, kind: str) -> list:
        """The users or roles (not p) that p's Allows for these actions could name."""
        return [q for q in self._named(p, actions, self._pool(kind), kind) if q is not p]

    def _pool(self, kind: str) -> dict:
        """ARN -> user or role (Principal), or group ARN -> group name."""
        if kind not in self._pools:
            self._pools[kind] = ({garn: g for g, garn in self.group_arns.items() if garn} if kind == "group" else
                                 {q.arn: q for q in self.account.principals if q.kind == kind})
        return self._pools[kind]

    def _named(self, p: access.Principal, actions: tuple, pool: dict, kind: str) -> list:
        """The values of `pool` (keyed by ARN) whose ARN the Resource of one of p's Allows
        for these actions matches, or could match under some context (a policy variable
        p's context lacks). Only a filter: the engine decides each candidate."""
        statements = [st for action in actions for src in p.policies.identity
                      for st in src.policy.for_action(action.lower()) if st.effect == "Allow"]
        named: dict = {}
        scan = []
        for st in statements:
            literal = _literal_resources(st, p.context)
            if literal is None:
                scan.append(st)
            else:
                named.update((arn, pool[arn]) for arn in literal if arn in pool)
        for st in scan:
            if not st.resources.dynamic:
                # No variables: the same answer for every principal holding the statement.
                key = (id(st), kind)
                if key not in self._static_matches:
                    self._static_matches[key] = [a for a in pool if st.resource_matches(a, {}, None)]
                named.update((arn, pool[arn]) for arn in self._static_matches[key])
                continue
            for arn, value in pool.items():
                missing: list = []
                if arn not in named and (st.resource_matches(arn, p.context, missing) or missing):
                    named[arn] = value
        return list(named.values())

    def _trusting(self, p: access.Principal) -> list:
        """Roles whose trust policy could name p (its ARN, its account, a wildcard, unique
        ids, NotPrincipal): a cheap filter on the text; the engine decides the rest."""
        if self._trust_index is None:
            self._trust_index = ([], {})
            for role in self.account.principals:
                if role.kind != "role" or role.trust is None:
                    continue
                text = role.trust.policy.text
                if any(s in text for s in ('"*"', ":root", f'"{role.account}"', "NotPrincipal", '"AROA', '"AIDA')):
                    self._trust_index[0].append(role)
                else:
                    for named in dict.fromkeys(_PRINCIPAL_ARN.findall(text)):
                        self._trust_index[1].setdefault(named, []).append(role)
        open_roles, by_name = self._trust_index
        return [r for r in (*open_roles, *by_name.get(p.arn, ())) if r is not p]

    def _assumable_after_rewrite(self, p, role) -> bool:
        doc = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": p.arn}, "Action": "sts:AssumeRole"}]}
        trust = PolicySource("trust policy", "resource", compile_policy(json.dumps(doc)))
        ctx = {**p.context, **self.account.resource_context(role.arn)}
        d = evaluate(Request("sts:AssumeRole", role.arn, ctx), p.policies, resource_policy=trust,
                     caller=p.caller(), resource_must_allow=True)
        return d.allowed

    def trusted_services(self, role) -> list[str]:
        if role.arn not in self._trusted_services:
            found = []
            if role.trust is not None:
                for service in PASS_ROLE_SERVICES:
                    d = evaluate(Request("sts:AssumeRole", role.arn, {}), PolicySet(()),
                                 resource_policy=role.trust, caller=Caller(service, "", service=service),
                                 resource_must_allow=True)
                    if d.allowed:
                        found.append(service)
            self._trusted_services[role.arn] = found
        return self._trusted_services[role.arn]

    def _pass_role(self, p, role) -> Step | None:
        if not self.may_use(p, "iam:PassRole"):
            return None
        for service in self.trusted_services(role):
            ok, cond = self.can(p, "iam:PassRole", role.arn, {"iam:passedtoservice": service})
            if not ok:
                continue
            conds = list(cond)
            for action in PASS_ROLE_SERVICES[service]:
                ok, c = self.can(p, action, "*")
                if not ok:
                    break
                conds += c
            else:
                return Step("privesc-pass-role", p.arn, "iam:PassRole", role.arn, role.arn,
                            tuple(dict.fromkeys(conds)), f"to {service} with {' + '.join(PASS_ROLE_SERVICES[service])}")
        return None

    def _existing_code(self, p, role) -> Step | None:
        for service in self.trusted_services(role):
            actions = EXISTING_CODE_SERVICES.get(service)
            if not actions:
                continue
            conds: list = []
            for action in actions:
                ok, c = self.can(p, action, "*")
                if not ok:
                    break
                conds += c
            else:
                return Step("privesc-existing-code", p.arn, actions[0], "*", role.arn, tuple(dict.fromkeys(conds)),
                            f"code running as {role.label}, if a {service.split('.')[0]} resource uses it")
        return None

    # -- findings ---------------------------------------------------------------------------
    def findings_of(self, p: access.Principal) -> list[Finding]:
        if self.admin(p):
            return []
        found: dict = {}
        seen = {p.arn}
        queue = deque([(p, ())])
        while queue:
            q, path = queue.popleft()
            for step, w in self.self_steps(q):
                self._add(found, p, (*path, step), w)
            if len(path) >= MAX_DEPTH:
                continue
            for step, r in self.edges(q):
                if step.kind != "assume-role":
                    w = gain(p, r.policies, r.context)
                    if w is not None:
                        self._add(found, p, (*path, step), w)
                elif r.arn not in seen:
                    # Only assuming roles leads further: a takeover is a finding of its own,
                    # and what the taken-over principal can do next is its own finding.
                    seen.add(r.arn)
                    queue.append((r, (*path, step)))
        return [self._finding(p, check, options) for check, options in found.items()]

    def _add(self, found: dict, p, path: tuple, witness) -> None:
        options = found.setdefault(path[-1].kind, {})
        last = path[-1]
        key = (last.principal, last.action, last.resource, last.target)
        if key not in options:
            options[key] = (path, witness)

    @staticmethod
    def _finding(p, check: str, options: dict) -> Finding:
        """One finding per principal and check: the surest, shortest path to the widest
        gain, the other targets named alongside."""
        def rank(option):
            path, witness = option
            conditional = any(s.conditional_on for s in path)
            return conditional, witness[0] != _FILL and _FILL not in witness[0], len(path)
        ranked = sorted(options.values(), key=rank)
        path, witness = ranked[0]
        cond = tuple(dict.fromkeys(k for s in path for k in s.conditional_on))
        severity = "medium" if cond else CHECKS[check][0]
        shown = tuple(w.replace(_FILL, "*") for w in witness)
        detail = " → ".join(s.text() for s in path) + f"; then allowed {shown[0]} on {shown[1]}"
        also = tuple(dict.fromkeys(o[0][-1].resource if o[0][-1].resource != "*" else o[0][-1].target
                                   for o in ranked[1:]))
        if also:
            detail += f" (also on {len(also)} other{'s' if len(also) > 1 else ''})"
        return Finding(p.label, p.arn, check, severity, detail, path=tuple(s.as_dict() for s in path),
                       conditional_on=cond, also=also)


def find(account: access.Account) -> list[Finding]:
    """Every escalation finding of every user and role, by principal then check."""
    analysis = Analysis(account)
    out = []
    for p in account.principals:
        out += analysis.findings_of(p)
    return sorted(out, key=lambda f: (f.user, f.check, f.detail))
