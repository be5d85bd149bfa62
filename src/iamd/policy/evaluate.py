"""AWS's evaluation logic over compiled policies: one request, one decision.

Order (reference §6.7, AWS's "Policy evaluation logic" pages): explicit deny in any
policy wins; the root user is allowed unless a resource policy denies; a resource-based
policy that names the caller's user/session ARN allows on its own in the same account,
one naming the role is still cut by boundary and session policies, one naming only the
account delegates to identity policies; cross-account both sides must allow; otherwise an
identity-based Allow is needed, and the permissions boundary and session policies (when
present) must allow too. Nothing else: the default is an implicit deny.

Every statement whose action matches is looked at (a statement list per action is
memoised on each compiled policy), so `matched` lists every Allow (or every Deny) that
applied. `missing` lists the context keys that conditions (and policy variables) looked up
and did not find; by default a condition block stops at its first false entry, so that list
can be short — pass `explain=True` (the simulator does) to evaluate every entry.
"""

from dataclasses import dataclass, field
from typing import Mapping

from . import matching
from .compiled import CompiledPolicy, Statement


@dataclass(frozen=True, slots=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, "str | tuple[str, ...]"]


@dataclass(frozen=True, slots=True)
class Caller:
    arn: str
    account_id: str
    role_arn: str | None = None
    service: str | None = None
    federated: str | None = None
    unique_id: str | None = None
    canonical_user: str | None = None


@dataclass(frozen=True, slots=True)
class PolicySource:
    id: str
    type: str
    policy: CompiledPolicy


@dataclass(frozen=True, slots=True)
class PolicySet:
    identity: tuple[PolicySource, ...]
    boundary: PolicySource | None = None
    session: tuple[PolicySource, ...] | None = None
    is_root: bool = False
    # (action, resource) -> the statements worth testing per policy type: built on first
    # use, so a PolicySet cached by the enforcer answers repeat requests from a dict.
    _memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    matched: tuple[tuple[PolicySource, Statement], ...]
    denied_by: str | None
    boundary_allowed: bool | None
    missing: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED


ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"
IDENTITY, BOUNDARY, SESSION, RESOURCE = "identity", "boundary", "session", "resource"


class _Scan:
    """Allows and Denies of one policy type that apply to the request."""

    __slots__ = ("allows", "denies")

    def __init__(self):
        self.allows: list = []
        self.denies: list = []


_MEMO_LIMIT = 2048


def _candidates(sources, action: str, resource: str) -> tuple:
    """(source, statement, resource still to check) for every statement whose action
    matches and whose resource pattern, when it has no variables, matches too."""
    out = []
    for src in sources:
        for st in src.policy.for_action(action):
            if st.resources.dynamic:
                out.append((src, st, True))
            elif st.resource_matches(resource, _EMPTY, None):
                out.append((src, st, False))
    return tuple(out)


_EMPTY: Mapping = {}


def _plan(policies: PolicySet, action: str, resource: str) -> tuple:
    key = (action, resource)
    plan = policies._memo.get(key)
    if plan is None:
        plan = (_candidates(policies.identity, action, resource),
                _candidates((policies.boundary,), action, resource) if policies.boundary else None,
                _candidates(policies.session, action, resource) if policies.session is not None else None)
        if len(policies._memo) >= _MEMO_LIMIT:
            policies._memo.clear()
        policies._memo[key] = plan
    return plan


def _scan(candidates, req: Request, missing: list, full: bool,
          caller: Caller | None = None, has_boundary: bool = False, kinds: list | None = None) -> _Scan:
    out = _Scan()
    resource, context = req.resource, req.context
    for src, st, check_resource in candidates:
        if check_resource and not st.resource_matches(resource, context, missing):
            continue
        if kinds is not None:          # resource policy: the statement must name the caller
            kind = st.principal_kind(caller, has_boundary) if caller is not None else None
            if kind is None:
                continue
        if not st.conditions_hold(context, missing, full):
            continue
        if st.effect == "Deny":
            out.denies.append((src, st))
        else:
            out.allows.append((src, st))
            if kinds is not None:
                kinds.append(kind)
    return out


def _dedupe(keys: list) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for k in keys:
        seen.setdefault(k.lower(), k)
    return tuple(seen.values())


def evaluate(req: Request, policies: PolicySet, *, resource_policy: PolicySource | None = None,
             caller: Caller | None = None, same_account: bool = True,
             resource_must_allow: bool = False, explain: bool = False) -> Decision:
    """The decision for `req` under `policies` (and a resource-based policy, if any).

    `resource_must_allow`: the resource policy alone can let the request through (a role's
    trust policy for sts:AssumeRole*): without an Allow there the answer is an implicit
    deny by the resource policy, whatever identity policies say.
    `explain`: evaluate every condition entry so `missing` is complete (simulation).
    """
    action = req.action.lower()
    missing: list[str] = []
    has_boundary = policies.boundary is not None
    plan = _plan(policies, action, req.resource)
    identity = _scan(plan[0], req, missing, explain)
    boundary = _scan(plan[1], req, missing, explain) if has_boundary else None
    session = _scan(plan[2], req, missing, explain) if plan[2] is not None else None
    kinds: list = []
    resource = (_scan(_candidates((resource_policy,), action, req.resource), req, missing, explain,
                      caller, has_boundary, kinds)
                if resource_policy is not None else None)
    boundary_allowed = None if boundary is None else bool(boundary.allows) and not boundary.denies

    def decide(decision, matched=(), denied_by=None) -> Decision:
        return Decision(decision, tuple(matched), denied_by, boundary_allowed, _dedupe(missing))

    # 1. Explicit deny anywhere.
    for name, scan in ((IDENTITY, identity), (BOUNDARY, boundary), (SESSION, session),
                       (RESOURCE, resource)):
        if scan is not None and scan.denies:
            denies = [m for s in (identity, boundary, session, resource) if s is not None
                      for m in s.denies]
            return decide(EXPLICIT_DENY, denies, name)
    # 2. Root: everything its account can do.
    if policies.is_root:
        return decide(ALLOWED, resource.allows if resource else ())
    strongest = None
    for k in kinds:
        strongest = matching.stronger(strongest, k)
    resource_allows = resource.allows if resource is not None else []
    boundary_ok = boundary is None or bool(boundary.allows)
    session_ok = session is None or bool(session.allows)
    if same_account:
        # 3. A resource policy naming the caller itself allows alone; naming the role is
        #    still cut by boundary and session policies.
        if strongest == matching.DIRECT:
            return decide(ALLOWED, [*identity.allows, *resource_allows])
        if strongest == matching.ROLE:
            if not boundary_ok:
                return decide(IMPLICIT_DENY, (), BOUNDARY)
            if not session_ok:
                return decide(IMPLICIT_DENY, (), SESSION)
            return decide(ALLOWED, [*identity.allows, *resource_allows])
        if resource_must_allow and strongest is None:
            return decide(IMPLICIT_DENY, (), RESOURCE)
    else:
        # Cross-account: the resource side must allow, and the caller's side too.
        if strongest is None:
            return decide(IMPLICIT_DENY, (), RESOURCE)
    # 4. Identity, then boundary, then session policies.
    if not identity.allows:
        return decide(IMPLICIT_DENY, (), IDENTITY)
    if not boundary_ok:
        return decide(IMPLICIT_DENY, (), BOUNDARY)
    if not session_ok:
        return decide(IMPLICIT_DENY, (), SESSION)
    return decide(ALLOWED, [*identity.allows, *resource_allows])
