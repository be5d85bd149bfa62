"""What AssumeRoleWithWebIdentity and AssumeRoleWithSAML share once the token or assertion
is verified: the role named by ARN (in its own account), the duration, the session
policies and tags, the trust policy decided with the identity provider's condition keys,
and the session minted.

Both operations arrive unsigned, so there is no caller but the federated identity: the
trust policy decides alone (`service/trust.authorize_assume` with no caller policies) for
`Principal: {"Federated": <provider ARN>}`. AWS does not say why a federated caller was
refused, nor whether the role exists: every refusal is AccessDenied "Not authorized to
perform sts:<action>" [obs: the message AWS answers GitHub Actions and IRSA callers].
"""

import re
from dataclasses import dataclass

from ..policy.evaluate import Caller
from ..protocol.errors import AWSError, validation_error
from ..store.roles import RoleRepo
from .sessions import SessionGrant, check_source_identity, issue, packed_policy_size, session_policies
from .trust import authorize_assume, role_arn

_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})")
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
DEFAULT_DURATION = 3600


@dataclass(frozen=True)
class Federated:
    """The verified identity: who vouches for it and what the trust policy may test."""
    provider_arn: str  # the OIDC or SAML provider's ARN (Principal.Federated)
    context: dict  # condition keys from the token/assertion, lower-cased
    session_name: str
    tags: tuple = ()  # session tags the IdP passed
    transitive_keys: tuple = ()
    source_identity: str | None = None
    max_duration: int | None = None  # SAML SessionDuration


def denied(action: str) -> AWSError:
    return AWSError("AccessDenied", f"Not authorized to perform {action}")


def role_of(ctx, arn: str, action: str):
    """The role an ARN names (any account this server holds), or AccessDenied."""
    m = _ROLE_ARN.fullmatch(arn)
    if m is None:
        raise validation_error(f"{arn} is invalid")
    row = RoleRepo(ctx.tx, m.group(1)).get(m.group(2))
    if row is None or role_arn(m.group(1), row) != arn:
        raise denied(action)
    return row


def assume(ctx, p: dict, row, who: Federated, action: str) -> dict:
    """Decide the trust policy and mint the session; the output members both operations
    share (Credentials, AssumedRoleUser, PackedPolicySize, SourceIdentity)."""
    duration = p.get("DurationSeconds", DEFAULT_DURATION)
    if duration > row.max_session_duration:
        raise validation_error("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    if who.max_duration is not None:
        duration = min(duration, who.max_duration)
    policy, policy_arns = session_policies(ctx, p, row.account_id)
    source = check_source_identity(who.source_identity, None)
    context = {**who.context, "sts:rolesessionname": who.session_name}
    if who.tags:
        for k, v in who.tags:
            context[f"aws:requesttag/{k.lower()}"] = v
        context["aws:tagkeys"] = tuple(k for k, _ in who.tags)
    if who.transitive_keys:
        context["sts:transitivetagkeys"] = who.transitive_keys
    if source is not None:
        context["sts:sourceidentity"] = source
    caller = Caller(arn=who.provider_arn, account_id=who.provider_arn.split(":")[4], federated=who.provider_arn)
    checks = [action]
    if who.tags:
        checks.append("sts:TagSession")
    if source is not None:
        checks.append("sts:SetSourceIdentity")
    for check in checks:
        try:
            authorize_assume(ctx, row, caller, check, context, None)
        except AWSError as err:
            if err.code == "AccessDenied":
                raise denied(action) from None
            raise
    arn = role_arn(row.account_id, row)
    grant = SessionGrant(row.account_id, "assumed-role", duration, role_id=row.role_id, role_arn=arn,
                         session_name=who.session_name, policy=policy, policy_arns=policy_arns,
                         tags=tuple(who.tags), transitive_keys=tuple(who.transitive_keys),
                         source_identity=source, federated_provider=who.provider_arn)
    packed = packed_policy_size(grant)
    out = {"Credentials": issue(ctx, grant),
           "AssumedRoleUser": {"AssumedRoleId": f"{row.role_id}:{who.session_name}",
                               "Arn": f"arn:aws:sts::{row.account_id}:assumed-role/{row.name}/{who.session_name}"}}
    if policy is not None or policy_arns or who.tags:
        out["PackedPolicySize"] = packed
    if source is not None:
        out["SourceIdentity"] = source
    return out
