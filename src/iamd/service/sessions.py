"""The one place STS sessions are minted, and the request parts every minting call shares.

`issue` turns a `SessionGrant` (what the calling operation decided: who the session is,
for how long, with which session policies, tags, source identity and MFA state) into
temporary credentials: an `ASIA…` key id carrying the account (service/ids.py), a secret,
and a token sealing both with the grant (auth/session_tokens.py). Nothing is stored: the
token is the session, opened by auth/authenticate.py on every worker.

`session_policies`, `session_tags`, `check_source_identity` and `verify_mfa` read and check
the request members AssumeRole, AssumeRoleWithWebIdentity/SAML and GetFederationToken
share, in AWS's words; `packed_policy_size` answers PackedPolicySize (percent of the packed
limit used by session policies and tags) or refuses with PackedPolicyTooLarge.
"""

import json
import zlib
from dataclasses import dataclass
from hmac import compare_digest

import pyotp

from ..auth.session_tokens import seal
from ..policy.grammar import check_document
from ..protocol.errors import AWSError, validation_error
from ..store.mfa import MfaRepo
from ..store.policies import PolicyRepo
from . import ids

PACKED_LIMIT = 2048  # bytes of the packed (compressed) session policies and tags
MAX_POLICY = 2048  # plaintext characters of an inline session policy (service-enforced)
MFA_STEP = 30
MFA_WINDOW = 2  # steps either side of the device's own clock (its measured drift)
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
MFA_UNKNOWN = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
               "serial number is valid and associated with this user.")


@dataclass(frozen=True)
class SessionGrant:
    account_id: str
    kind: str  # "assumed-role" | "federated-user" | "user" (GetSessionToken) | "root"
    duration: int  # seconds, already validated by the caller
    role_id: str | None = None
    role_arn: str | None = None
    session_name: str | None = None
    user_id: str | None = None
    user_arn: str | None = None
    federated_name: str | None = None
    policy: str | None = None  # session policy text (already validated)
    policy_arns: tuple[str, ...] = ()  # managed session policies
    tags: tuple[tuple[str, str], ...] = ()  # session tags
    transitive_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    mfa_at: float | None = None  # when MFA was presented (aws:MultiFactorAuthAge)
    federated_provider: str | None = None  # aws:FederatedProvider (OIDC/SAML provider ARN)
    chained: bool = False  # a role session assuming a role (<= 1 hour)


# claim name -> SessionGrant field; the token carries only what is set
_CLAIMS = {"t": "kind", "ri": "role_id", "ra": "role_arn", "sn": "session_name", "ui": "user_id",
           "ua": "user_arn", "fn": "federated_name", "p": "policy", "pa": "policy_arns", "tg": "tags",
           "tt": "transitive_keys", "si": "source_identity", "mfa": "mfa_at", "fp": "federated_provider",
           "ch": "chained"}


def issue(ctx, grant: SessionGrant) -> dict:
    """{"AccessKeyId": "ASIA…", "SecretAccessKey": …, "SessionToken": …, "Expiration": epoch}"""
    key_id = ids.access_key_id(grant.account_id, "ASIA")
    secret = ids.secret_access_key()
    now = ctx.now
    expires = now + grant.duration
    claims = {"v": 1, "k": key_id, "s": secret, "a": grant.account_id, "iat": now, "exp": expires}
    for claim, attr in _CLAIMS.items():
        value = getattr(grant, attr)
        if value not in (None, (), False):
            claims[claim] = value
    return {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": seal(claims, ctx.app.box),
            "Expiration": expires}


def grant_of(claims: dict) -> SessionGrant:
    """The grant a token's claims were minted from (duration from issue to expiry)."""
    values = {attr: claims[c] for c, attr in _CLAIMS.items() if c in claims}
    for attr in ("policy_arns", "transitive_keys"):
        values[attr] = tuple(values.get(attr, ()))
    values["tags"] = tuple((k, v) for k, v in values.get("tags", ()))
    return SessionGrant(claims["a"], duration=int(claims["exp"] - claims["iat"]), **values)


def packed_policy_size(grant: SessionGrant) -> int:
    """Percent of the packed limit the grant's session policies and tags use; AWSError
    PackedPolicyTooLarge above 100."""
    parts = []
    if grant.policy:
        parts.append(json.dumps(json.loads(grant.policy), separators=(",", ":")))
    parts.extend(grant.policy_arns)
    for k, v in grant.tags:
        parts.append(f"{k}={v}")
    parts.extend(grant.transitive_keys)
    if not parts:
        return 0
    packed = len(zlib.compress("\n".join(parts).encode(), 9))
    percent = -(-packed * 100 // PACKED_LIMIT)
    if percent > 100:
        raise AWSError("PackedPolicyTooLarge",
                       f"Packed policy consumes {percent}% of allotted space, please use smaller policy.")
    return percent


def session_policies(ctx, p: dict, account_id: str | None = None) -> tuple[str | None, tuple[str, ...]]:
    """The request's `Policy` (validated as an identity policy) and `PolicyArns` (each an
    existing managed policy of `account_id`, the role's, or an AWS managed one)."""
    text = p.get("Policy")
    if text is not None:
        if len(text) > MAX_POLICY:
            raise validation_error(f"1 validation error detected: Value at 'policy' failed to satisfy "
                                   f"constraint: Member must have length less than or equal to {MAX_POLICY}")
        check_document(text, "identity")
    arns = []
    for entry in p.get("PolicyArns") or ():
        arn = entry.get("arn")
        if not arn or PolicyRepo(ctx.tx, account_id or ctx.account_id).get(arn) is None:
            raise validation_error(f"Policy {arn} does not exist or is not attachable.")
        arns.append(arn)
    return text, tuple(arns)


def session_tags(p: dict, inherited: tuple = (), inherited_transitive: tuple = ()) -> tuple[tuple, tuple]:
    """(tags, transitive keys) of the new session: the request's `Tags` and
    `TransitiveTagKeys` plus the transitive tags of the calling session, which the request
    may not set again."""
    tags = [(t["Key"], t.get("Value", "")) for t in p.get("Tags") or ()]
    folded = [k.lower() for k, _ in tags]
    if len(set(folded)) != len(folded):
        raise AWSError("InvalidParameterValue",
                       "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    transitive = list(p.get("TransitiveTagKeys") or ())
    for key in transitive:
        if key.lower() not in folded:
            raise AWSError("InvalidParameterValue",
                           f"The specified transitive tag key {key} is not included in the session tags.")
    carried = {k.lower() for k in inherited_transitive}
    for key in folded:
        if key in carried:
            raise AWSError("InvalidParameterValue",
                           "One of the specified transitive tag keys can't be set because it conflicts "
                           "with a transitive tag key from the calling session.")
    for k, v in inherited:
        if k.lower() in carried:
            tags.append((k, v))
    transitive.extend(k for k in inherited_transitive if k.lower() not in {t.lower() for t in transitive})
    return tuple(tags), tuple(transitive)


def check_source_identity(requested: str | None, inherited: str | None) -> str | None:
    """The session's source identity: set once, then kept along a chain of sessions."""
    if inherited is not None and requested is not None and requested != inherited:
        raise AWSError("InvalidParameterValue", "The source identity cannot be changed once it is set.")
    if requested is not None and requested.lower().startswith("aws:"):
        raise AWSError("InvalidParameterValue", "SourceIdentity cannot start with 'aws:'.")
    return inherited if inherited is not None else requested


def verify_mfa(ctx, account_id: str, user_id: str | None, serial: str, code: str) -> float:
    """Check `code` against the caller's MFA device `serial` (a code is accepted once);
    return when MFA was presented. AWS answers AccessDenied for any failure."""
    repo = MfaRepo(ctx.tx, account_id)
    row = repo.get(serial, lock=True)
    owned = row is not None and (row.user_id == user_id if user_id else bool(row.root_owned))
    if not owned or row.enabled_at is None:
        raise AWSError("AccessDenied", MFA_UNKNOWN)
    totp = pyotp.TOTP(ctx.app.box.decrypt(row.seed))
    now_step = int(ctx.now // MFA_STEP)
    center = now_step + (row.drift or 0)
    for step in sorted(range(center - MFA_WINDOW, center + MFA_WINDOW + 1), key=lambda s: abs(s - center)):
        if row.last_counter is not None and step <= row.last_counter:
            continue
        if compare_digest(totp.generate_otp(step), code):
            repo.resync(serial, step, row.drift or 0)
            return ctx.now
    raise AWSError("AccessDenied", MFA_FAILED)
