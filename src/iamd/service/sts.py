"""STS operations besides AssumeRole: GetCallerIdentity, GetAccessKeyInfo, GetSessionToken,
GetFederationToken, DecodeAuthorizationMessage and AssumeRoot (reference §7.3–7.6).

GetSessionToken gives a user (or the root user) temporary credentials of its own identity,
with MFA state when a code is presented; GetFederationToken a federated user whose rights
are the caller's cut by the session policies passed (none passed: no rights). Sessions
cannot call either (policy/actions.py SESSION_LIMITS).
"""

from ..protocol.errors import AWSError
from .ids import account_of_key
from .registry import operation
from .sessions import SessionGrant, issue, packed_policy_size, session_policies, session_tags, verify_mfa

ROOT_MAX = 3600  # root's sessions last at most an hour; longer requests are cut (reference §7.3)
DEFAULT_DURATION = 43200


@operation("GetCallerIdentity")
def get_caller_identity(ctx, p):
    c = ctx.caller
    return {"UserId": c.user_id, "Account": c.account_id, "Arn": c.arn}


@operation("GetAccessKeyInfo")
def get_access_key_info(ctx, p):
    return {"Account": account_of_key(p["AccessKeyId"]) or ctx.account_id}


@operation("DecodeAuthorizationMessage")
def decode_authorization_message(ctx, p):
    # iamd never hands out encoded authorization messages, so none can be decoded here.
    raise AWSError("InvalidAuthorizationMessageException",
                   "The specified message is not a valid encoded authorization message.")


def _duration(ctx, p) -> int:
    duration = p.get("DurationSeconds", DEFAULT_DURATION)
    return min(duration, ROOT_MAX) if ctx.caller.is_root else duration


@operation("GetSessionToken")
def get_session_token(ctx, p):
    c = ctx.caller
    mfa_at = None
    if p.get("SerialNumber") is not None or p.get("TokenCode") is not None:
        mfa_at = verify_mfa(ctx, c.account_id, None if c.is_root else c.entity_id,
                            p.get("SerialNumber") or "", p.get("TokenCode") or "")
    grant = SessionGrant(c.account_id, "root" if c.is_root else "user", _duration(ctx, p),
                         user_id=None if c.is_root else c.entity_id, user_arn=c.arn, mfa_at=mfa_at)
    return {"Credentials": issue(ctx, grant)}


@operation("GetFederationToken")
def get_federation_token(ctx, p):
    c = ctx.caller
    policy, arns = session_policies(ctx, p)
    tags, _ = session_tags(p)
    name = p["Name"]
    grant = SessionGrant(c.account_id, "federated-user", _duration(ctx, p),
                         user_id=None if c.is_root else c.entity_id, user_arn=c.arn, federated_name=name,
                         policy=policy, policy_arns=arns, tags=tags)
    size = packed_policy_size(grant)
    arn = f"arn:aws:sts::{c.account_id}:federated-user/{name}"
    return {"Credentials": issue(ctx, grant), "PackedPolicySize": size,
            "FederatedUser": {"FederatedUserId": f"{c.account_id}:{name}", "Arn": arn}}


@operation("AssumeRoot")
def assume_root(ctx, p):
    # Privileged root sessions exist only in an AWS Organization with centralized root
    # access; an iamd account belongs to none, so AWS's answer is a refusal.
    raise AWSError("AccessDenied", f"User: {ctx.caller.arn} is not authorized to perform: sts:AssumeRoot "
                                   f"on resource: arn:aws:iam::{p['TargetPrincipal']}:root because the account "
                                   "is not a member of an organization with centralized root access enabled")
