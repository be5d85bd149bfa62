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


_MEMO_LIMIT = 2048
_EMPTY: Mapping = {}
_NONE: tuple = ()


def _part(sources, action: str, resource: str) -> tuple:
    """For one policy type: (Allows that surely apply, Denies that surely apply, the rest
    to test per request as (source, statement, resource still to check)). A statement
    applies surely when its action matches, its resource has no variables and matches, and
    it has no Condition."""
    allows, denies, rest = [], [], []
    for src in sources:
        for st in src.policy.for_action(action):
            if st.resources.dynamic:
                rest.append((src, st, True))
            elif not st.resource_matches(resource, _EMPTY, None):
                continue
            elif st.condition is not None:
                rest.append((src, st, False))
            else:
                (denies if st.effect == "Deny" else allows).append((src, st))
    return tuple(allows), tuple(denies), tuple(rest)


def _plan(policies: PolicySet, action: str, resource: str) -> tuple:
    key = (action, resource)
    plan = policies._memo.get(key)
    if plan is None:
        plan = (_part(policies.identity, action, resource),
                _part((policies.boundary,), action, resource) if policies.boundary else None,
                _part(policies.session, action, resource) if policies.session is not None else None)
        if len(policies._memo) >= _MEMO_LIMIT:
            policies._memo.clear()
        policies._memo[key] = plan
    return plan


def _scan(part, req: Request, missing: list, full: bool, decision_only: bool = False) -> tuple:
    """(allows, denies) of one policy type for this request. `decision_only`: every Deny
    is tested, but Allows only until one holds (the decision is the same; the matched
    Allows and the missing keys are then partial)."""
    allows, denies, rest = part
    if not rest:
        return allows, denies
    allows, denies = list(allows), list(denies)
    resource, context = req.resource, req.context
    for src, st, check_resource in rest:
        deny = st.effect == "Deny"
        if decision_only and not deny and allows:
            continue
        if check_resource and not st.resource_matches(resource, context, missing):
            continue
        if st.condition is not None and not st.condition.test(context, missing, full):
            continue
        (denies if deny else allows).append((src, st))
    return allows, denies


def _scan_resource(policy: PolicySource, req: Request, caller, has_boundary: bool,
                   missing: list, full: bool) -> tuple:
    """(allows, denies, strongest naming of the caller among the Allows) of a resource
    policy: its statements count only when their Principal names the caller."""
    allows, denies, strongest = [], [], None
    for st in policy.policy.for_action(req.action.lower()):
        kind = st.principal_kind(caller, has_boundary) if caller is not None else None
        if kind is None or not st.resource_matches(req.resource, req.context, missing):
            continue
        if not st.conditions_hold(req.context, missing, full):
            continue
        if st.effect == "Deny":
            denies.append((policy, st))
        else:
            allows.append((policy, st))
            strongest = matching.stronger(strongest, kind)
    return allows, denies, strongest


def resource_decision(req: Request, resource_policy: PolicySource, caller: Caller | None) -> str:
    """What the resource-based policy alone says of the request (for EvalDecisionDetails):
    explicitDeny, allowed when an Allow names the caller, else implicitDeny."""
    allows, denies, _ = _scan_resource(resource_policy, req, caller, False, [], False)
    return EXPLICIT_DENY if denies else ALLOWED if allows else IMPLICIT_DENY


def _in_document_order(matched, policies: PolicySet, resource_policy) -> list:
    """Matched statements by policy (identity, boundary, session, resource, each in the
    order given) and by position in the document: the memoised plan lists statements that
    surely apply before those tested per request."""
    rank = {id(s): i for i, s in enumerate((*policies.identity, policies.boundary,
                                             *(policies.session or ()), resource_policy))}
    return sorted(matched, key=lambda m: (rank.get(id(m[0]), len(rank)), m[1].index))


def _dedupe(keys: list) -> tuple[str, ...]:
    if not keys:
        return _NONE
    seen: dict[str, str] = {}
    for k in keys:
        seen.setdefault(k.lower(), k)
    return tuple(seen.values())


def evaluate(req: Request, policies: PolicySet, *, resource_policy: PolicySource | None = None,
             caller: Caller | None = None, same_account: bool = True,
             resource_must_allow: bool = False, explain: bool = False, decision_only: bool = False) -> Decision:
    """The decision for `req` under `policies` (and a resource-based policy, if any).

    `resource_must_allow`: the resource policy alone can let the request through (a role's
    trust policy for sts:AssumeRole*): without an Allow there the answer is an implicit
    deny by the resource policy, whatever identity policies say.
    `explain`: evaluate every condition entry so `missing` is complete (simulation).
    `decision_only`: enforcement needs the decision alone, so an identity, boundary or
    session Allow is not looked for once one holds (`matched` and `missing` partial).
    """
    quick = decision_only and not explain
    missing: list[str] = []
    plan = _plan(policies, req.action.lower(), req.resource)
    id_allows, id_denies = _scan(plan[0], req, missing, explain, quick)
    b_allows = b_denies = s_allows = s_denies = r_allows = r_denies = _NONE
    if plan[1] is not None:
        b_allows, b_denies = _scan(plan[1], req, missing, explain, quick)
    if plan[2] is not None:
        s_allows, s_denies = _scan(plan[2], req, missing, explain, quick)
    strongest = None
    if resource_policy is not None:
        r_allows, r_denies, strongest = _scan_resource(resource_policy, req, caller,
                                                       plan[1] is not None, missing, explain)
    boundary_allowed = None if plan[1] is None else bool(b_allows) and not b_denies

    def decide(decision, matched=_NONE, denied_by=None) -> Decision:
        if explain and len(matched) > 1:
            matched = _in_document_order(matched, policies, resource_policy)
        return Decision(decision, tuple(matched), denied_by, boundary_allowed, _dedupe(missing))

    # 1. Explicit deny anywhere (the policy type named is the first that denied).
    if id_denies or b_denies or s_denies or r_denies:
        by = (IDENTITY if id_denies else BOUNDARY if b_denies else SESSION if s_denies else RESOURCE)
        return decide(EXPLICIT_DENY, (*id_denies, *b_denies, *s_denies, *r_denies), by)
    # 2. Root: everything its account can do.
    if policies.is_root:
        return decide(ALLOWED, r_allows)
    boundary_ok = plan[1] is None or bool(b_allows)
    session_ok = plan[2] is None or bool(s_allows)
    if same_account:
        # 3. A resource policy naming the caller itself allows alone; naming the role is
        #    still cut by boundary and session policies.
        if strongest == matching.DIRECT:
            return decide(ALLOWED, (*id_allows, *r_allows))
        if strongest == matching.ROLE:
            if not boundary_ok:
                return decide(IMPLICIT_DENY, _NONE, BOUNDARY)
            if not session_ok:
                return decide(IMPLICIT_DENY, _NONE, SESSION)
            return decide(ALLOWED, (*id_allows, *r_allows))
        if resource_must_allow and strongest is None:
            return decide(IMPLICIT_DENY, _NONE, RESOURCE)
    elif strongest is None:
        # Cross-account: the resource side must allow, and the caller's side too.
        return decide(IMPLICIT_DENY, _NONE, RESOURCE)
    # 4. Identity, then boundary, then session policies.
    if not id_allows:
        return decide(IMPLICIT_DENY, _NONE, IDENTITY)
    if not boundary_ok:
        return decide(IMPLICIT_DENY, _NONE, BOUNDARY)
    if not session_ok:
        return decide(IMPLICIT_DENY, _NONE, SESSION)
    return decide(ALLOWED, (*id_allows, *r_allows))
