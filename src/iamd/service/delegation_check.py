"""GetDelegationRequest's permission check: may the caller grant what the request asks?

Each action the requested policy allows is decided by the policy engine under the caller's
own policies (as the enforcer sees them, session policies included), on each resource the
statement names. ALLOWED when every one is allowed; DENIED when one is denied for certain;
UNSURE when the request has wildcard actions or conditions, or a decision depended on a
condition (AWS's answer is approximate too).
"""

from ..policy.evaluate import ALLOWED, Request, evaluate
from .delegation_policy import statements

_NO_CONTEXT: dict = {}


def permission_check(ctx, policy: str) -> str:
    caller = ctx.caller
    if caller is None or caller.unchecked or (caller.is_root and caller.session is None):
        return "ALLOWED"
    policies = ctx.app.authorize.principal(ctx, caller).policies
    unsure = False
    for st in statements(policy):
        if st.get("Effect") != "Allow":
            continue
        actions, resources = _strings(st.get("Action")), _strings(st.get("Resource"))
        if not actions or not resources or st.get("Condition"):
            unsure = True
        for action in actions:
            if "*" in action or "?" in action:
                unsure = True
                continue
            for resource in resources:
                d = evaluate(Request(action, resource, _NO_CONTEXT), policies, explain=True)
                if d.decision != ALLOWED:
                    if d.missing:
                        unsure = True
                    else:
                        return "DENIED"
    return "UNSURE" if unsure else "ALLOWED"


def _strings(value) -> list:
    return [value] if isinstance(value, str) else [v for v in value or () if isinstance(v, str)]
