"""STS GetDelegatedAccessToken: the partner trades the token SendDelegationToken released
for temporary credentials of the identity that accepted the request, cut by the request's
rendered policy (a session policy), until the delegation period ends (SessionDuration after
the token was sent).

The token is kept only as its SHA-256 and is exchanged once, by the requestor's account;
an unknown, used or expired token, or one the request no longer honours (rejected,
expired), answers ExpiredTradeInTokenException alike, so a guess learns nothing.
The session is the acceptor's own kind (service/sessions.py): a role session for a role
session, a user session for a user (which, like GetSessionToken's, calls IAM only with MFA),
a root session for the root user.
"""

import json

from ..protocol.errors import AWSError
from ..store.delegation import DelegationRepo
from .delegation import state_of, token_hash
from .registry import operation
from .sessions import SessionGrant, issue, packed_policy_size

EXPIRED = ("ExpiredTradeInTokenException",
           "The trade-in token provided in the request has expired and can no longer be exchanged for "
           "credentials. Request a new token and retry the operation.")


@operation("GetDelegatedAccessToken")
def get_delegated_access_token(ctx, p):
    repo = DelegationRepo(ctx.tx)
    row = repo.by_token(token_hash(p["TradeInToken"]))
    account = ctx.account_id  # the signer's
    if row is None or row.token_used or row.requestor_account_id != account \
            or state_of(row, ctx.now) != "FINALIZED" or ctx.now >= row.token_expires_at:
        raise AWSError(*EXPIRED)
    approver = json.loads(row.approver)
    grant = _grant(row.target_account_id, approver, int(row.token_expires_at - ctx.now), row.policy)
    size = packed_policy_size(grant)
    repo.set(row.request_id, token_used=True)
    assumed = approver["role_arn"] or approver["arn"]
    return {"Credentials": issue(ctx, grant), "PackedPolicySize": size, "AssumedPrincipal": assumed}


def _grant(account_id: str, who: dict, duration: int, policy: str) -> SessionGrant:
    if who["kind"] == "assumed-role":
        return SessionGrant(account_id, "assumed-role", duration, role_id=who["entity_id"],
                            role_arn=who["role_arn"], session_name=who["session_name"], policy=policy)
    if who["kind"] == "user":
        return SessionGrant(account_id, "user", duration, user_id=who["entity_id"], user_arn=who["arn"],
                            policy=policy)
    return SessionGrant(account_id, "root", duration, user_arn=who["arn"], policy=policy)
