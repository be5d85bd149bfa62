"""A role's trust policy, decided by the engine, for every way of assuming a role.

`authorize_assume` evaluates the role's trust policy as the resource policy that alone can
let the request through (`evaluate(..., resource_must_allow=True)`), together with the
caller's identity policies when it has any (AssumeRole by a user or role session): in the
same account a trust policy naming the caller (or its role) suffices, one naming only the
account needs an identity-based Allow as well; across accounts both sides must allow
(reference §6.7, §7.2). Federated callers (web identity, SAML) have no identity policies
(`caller_policies=None`): the trust policy decides alone.

AWS does not tell a missing role from one the caller may not assume: both answer the same
AccessDenied (reference §6.9), `not_assumable` words it.
"""

from ..policy.compiled import compile_policy
from ..policy.denials import access_denied_message
from ..policy.evaluate import ALLOWED, EXPLICIT_DENY, Caller, PolicySet, PolicySource, Request, evaluate, \
    resource_decision
from ..protocol.errors import AWSError

_NO_POLICIES = PolicySet(())


def role_arn(account_id: str, row) -> str:
    return f"arn:aws:iam::{account_id}:role{row.path}{row.name}"


def not_assumable(caller_arn: str, action: str, resource: str) -> AWSError:
    return AWSError("AccessDenied", f"User: {caller_arn} is not authorized to perform: {action} "
                                    f"on resource: {resource}")


def authorize_assume(ctx, role_row, caller: Caller, action: str, context: dict,
                     caller_policies: "PolicySet | None") -> None:
    """Raise AccessDenied unless `caller` may perform `action` (sts:AssumeRole,
    sts:TagSession, sts:SetSourceIdentity, …) on the role under its trust policy;
    `context` holds the request's condition keys (lower-cased)."""
    resource = role_arn(role_row.account_id, role_row)
    req = Request(action, resource, context)
    try:
        trust = PolicySource("AssumeRolePolicyDocument", "resource", compile_policy(role_row.assume_role_policy))
    except ValueError:
        raise not_assumable(caller.arn, action, resource) from None
    if caller_policies is None:
        verdict = resource_decision(req, trust, caller)
        if verdict == ALLOWED:
            return
        if verdict == EXPLICIT_DENY:
            raise AWSError("AccessDenied", f"User: {caller.arn} is not authorized to perform: {action} on "
                                           f"resource: {resource} with an explicit deny in the role trust policy")
        raise not_assumable(caller.arn, action, resource)
    decision = evaluate(req, caller_policies or _NO_POLICIES, resource_policy=trust, caller=caller,
                        same_account=caller.account_id == role_row.account_id, resource_must_allow=True)
    if decision.allowed:
        return
    if decision.decision == EXPLICIT_DENY:
        raise AWSError("AccessDenied", access_denied_message(caller.arn, action, resource, decision, trust=True))
    raise not_assumable(caller.arn, action, resource)
