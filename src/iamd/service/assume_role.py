"""AssumeRole: a user or a role session becomes a session of a role (reference §7.2).

The role is found by its ARN in its own account (which may be another account on this
server); the trust policy and the caller's identity policies decide through the seam
(server/authorize.py `assume`, service/trust.py), after MFA is checked so that the trust
policy sees aws:MultiFactorAuthPresent. A calling session hands on its transitive tags,
source identity and MFA state; the new session lasts at most the role's
MaxSessionDuration, and one hour when one session assumes another.
"""

import re

from ..protocol.errors import AWSError, validation_error
from ..store.roles import RoleRepo
from .registry import operation
from .sessions import (SessionGrant, check_source_identity, issue, packed_policy_size, session_policies,
                       session_tags, verify_mfa)
from .trust import not_assumable, role_arn

ROOT_REFUSED = "Roles may not be assumed by root accounts."
CHAIN_LIMIT = 3600
TOO_LONG = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
TOO_LONG_CHAINED = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role(/(?:[\x21-\x7e]*/)?)([\w+=,.@-]+)")
ROLE_LAST_USED_SPAN = 60  # seconds: RoleLastUsed is not rewritten by every AssumeRole


def find_role(ctx, arn: str):
    """The role row an ARN names (any account on this server), or None."""
    m = _ROLE_ARN.fullmatch(arn)
    if m is None:
        return None
    row = RoleRepo(ctx.tx, m.group(1)).get(m.group(3))
    return row if row is not None and row.path == m.group(2) and row.name == m.group(3) else None


def note_role_use(ctx, row) -> None:
    """RoleLastUsed: the date and region of the latest assumption."""
    if row.last_used_at is None or ctx.now - row.last_used_at >= ROLE_LAST_USED_SPAN \
            or row.last_used_region != ctx.region:
        RoleRepo(ctx.tx, row.account_id).used(row.role_id, ctx.now, ctx.region[:64])


@operation("AssumeRole")
def assume_role(ctx, p):
    caller = ctx.caller
    if caller.is_root:
        raise AWSError("AccessDenied", ROOT_REFUSED)
    role = find_role(ctx, p["RoleArn"])
    if role is None:
        raise not_assumable(caller.arn, "sts:AssumeRole", p["RoleArn"])
    claims = caller.session or {}
    mfa_at, context = claims.get("mfa"), {}
    if p.get("SerialNumber") is not None or p.get("TokenCode") is not None:
        mfa_at = verify_mfa(ctx, caller.account_id, caller.entity_id if caller.kind == "user" else None,
                            p.get("SerialNumber") or "", p.get("TokenCode") or "")
        context = {"aws:multifactorauthpresent": "true", "aws:multifactorauthage": "0"}
    ctx.app.authorize.assume(ctx, "AssumeRole", role, p, context)
    duration = p.get("DurationSeconds", 3600)
    chained = caller.session is not None
    if chained and duration > CHAIN_LIMIT:
        raise validation_error(TOO_LONG_CHAINED)
    if duration > role.max_session_duration:
        raise validation_error(TOO_LONG)
    policy, arns = session_policies(ctx, p, role.account_id)
    tags, transitive = session_tags(p, tuple(map(tuple, claims.get("tg", ()))), tuple(claims.get("tt", ())))
    source = check_source_identity(p.get("SourceIdentity"), claims.get("si"))
    name = p["RoleSessionName"]
    grant = SessionGrant(role.account_id, "assumed-role", duration, role_id=role.role_id,
                         role_arn=role_arn(role.account_id, role), session_name=name, policy=policy,
                         policy_arns=arns, tags=tags, transitive_keys=transitive, source_identity=source,
                         mfa_at=mfa_at, chained=chained)
    size = packed_policy_size(grant)
    note_role_use(ctx, role)
    out = {"Credentials": issue(ctx, grant),
           "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{name}",
                               "Arn": f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{name}"}}
    if policy or arns or tags:
        out["PackedPolicySize"] = size
    if source is not None:
        out["SourceIdentity"] = source
    return out
