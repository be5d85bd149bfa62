"""iamd as an OpenID Connect issuer: Enable/Disable/GetOutboundWebIdentityFederationInfo,
STS GetWebIdentityToken, and the discovery document and JWKS it serves.

Each account that enables the feature gets an issuer URL `<base>/issuer/<id>` (the base
is `iamd serve --public-url`, default `http://HOST:PORT`), with
`/.well-known/openid-configuration` and `/.well-known/jwks.json` under it, served by
server/app.py without authentication. Tokens are signed with the account's current key
for the requested algorithm (RS256, RSA-2048; or ES384, P-384); private keys are kept
encrypted by the secret box. A key older than `ROTATE_AFTER` is replaced at the next token
request; the retired key stays in the JWKS for `KEEP_PUBLISHED`, well past the longest
token (1 hour), so tokens it signed still verify.

Token claims: iss, sub (the principal: a role session's role ARN, else the caller's ARN),
aud (one string, or a list for several), iat, nbf, exp, jti, and under
`https://sts.amazonaws.com/` the account, the caller's ARN, the region and the request
tags (AWS documents the claim set loosely; the names here are iamd's).
"""

import json
import secrets
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ..protocol.errors import AWSError
from ..store.issuer import IssuerRepo, account_of_issuer
from .registry import operation

ROTATE_AFTER = 30 * 86400
KEEP_PUBLISHED = 2 * 86400
DEFAULT_DURATION = 300
MAX_PAYLOAD = 16384  # bytes of the encoded claims
ALGORITHMS = ("RS256", "ES384")
CLAIMS_NS = "https://sts.amazonaws.com/"
WELL_KNOWN = ("/.well-known/openid-configuration", "/.well-known/jwks.json")


def issuer_url(state, issuer_id: str) -> str:
    """The issuer URL of `issuer_id` (state: the worker's server.state.AppState)."""
    return f"{state.settings.base_url}/issuer/{issuer_id}"


def _new_key(algorithm: str) -> str:
    key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if algorithm == "RS256"
           else ec.generate_private_key(ec.SECP384R1()))
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def rotate(ctx, account_id: str, algorithm: str) -> None:
    """A new current key for `algorithm`; the previous one is retired (still published)."""
    IssuerRepo(ctx.tx, account_id).add_key(secrets.token_hex(16), algorithm,
                                           ctx.app.box.encrypt(_new_key(algorithm)), ctx.now)


def _enabled(ctx, lock: bool = False):
    row = IssuerRepo(ctx.tx, ctx.account_id).get(lock=lock)
    return row if row is not None and row.enabled else None


@operation("EnableOutboundWebIdentityFederation")
def enable(ctx, p):
    row = IssuerRepo(ctx.tx, ctx.account_id).get(lock=True)
    if row is not None and row.enabled:
        raise AWSError("FeatureEnabled", "Outbound identity federation is already enabled for this account. "
                                         "To fetch the current configuration, use "
                                         "GetOutboundWebIdentityFederationInfo.")
    issuer_id = row.issuer_id if row is not None else str(uuid.uuid4())
    IssuerRepo(ctx.tx, ctx.account_id).set(issuer_id, True, ctx.now)
    return {"IssuerIdentifier": issuer_url(ctx.app, issuer_id)}


@operation("DisableOutboundWebIdentityFederation")
def disable(ctx, p):
    row = _enabled(ctx, lock=True)
    if row is None:
        raise AWSError("FeatureDisabled", "Outbound identity federation is disabled for this account.")
    IssuerRepo(ctx.tx, ctx.account_id).set(row.issuer_id, False, ctx.now)


@operation("GetOutboundWebIdentityFederationInfo")
def get_info(ctx, p):
    row = _enabled(ctx)
    if row is None:
        raise AWSError("FeatureDisabled", "Outbound identity federation is disabled for this account.")
    return {"IssuerIdentifier": issuer_url(ctx.app, row.issuer_id), "JwtVendingEnabled": True}


def _subject(caller) -> str:
    claims = caller.session or {}
    return claims.get("ra") or caller.arn  # a role session speaks for its role


@operation("GetWebIdentityToken")
def get_web_identity_token(ctx, p):
    row = _enabled(ctx)
    if row is None:
        raise AWSError("OutboundWebIdentityFederationDisabledException",
                       "The outbound web identity federation feature is not enabled for this account.")
    algorithm = p["SigningAlgorithm"]
    if algorithm not in ALGORITHMS:
        raise AWSError("ValidationError", f"1 validation error detected: Value '{algorithm}' at "
                                          f"'signingAlgorithm' failed to satisfy constraint: Member must "
                                          f"satisfy enum value set: [{', '.join(ALGORITHMS)}]")
    duration = p.get("DurationSeconds", DEFAULT_DURATION)
    caller, now = ctx.caller, ctx.now
    expires = int(now) + duration
    session_end = (caller.session or {}).get("exp")
    if session_end is not None and expires > session_end:
        raise AWSError("SessionDurationEscalationException",
                       "The requested token duration would extend the session beyond its original expiration "
                       "time.")
    repo = IssuerRepo(ctx.tx, ctx.account_id)
    key = repo.current_key(algorithm)
    if key is None or now - key.created_at > ROTATE_AFTER:
        rotate(ctx, ctx.account_id, algorithm)
        key = repo.current_key(algorithm)
    audience = p["Audience"]
    claims = {"iss": issuer_url(ctx.app, row.issuer_id), "sub": _subject(caller),
              "aud": audience[0] if len(audience) == 1 else audience,
              "iat": int(now), "nbf": int(now), "exp": expires, "jti": str(uuid.uuid4()),
              CLAIMS_NS: {"aws_account": ctx.account_id, "principal_id": caller.arn, "source_region": ctx.region,
                          "request_tags": {t["Key"]: t.get("Value", "") for t in p.get("Tags") or ()}}}
    if len(json.dumps(claims, separators=(",", ":"))) > MAX_PAYLOAD:
        raise AWSError("JWTPayloadSizeExceededException", "The requested token payload size exceeds the "
                                                          "maximum allowed size.")
    private = serialization.load_pem_private_key(ctx.app.box.decrypt(key.private_key).encode(), None)
    token = jwt.encode(claims, private, algorithm=algorithm, headers={"kid": key.kid, "typ": "JWT"})
    return {"WebIdentityToken": token, "Expiration": float(expires)}


def public_document(tx, state, path: str):
    """The discovery document or JWKS a GET of `path` asks for (None: not found)."""
    rest = path[len("/issuer/"):]
    issuer_id, _, suffix = rest.partition("/")
    if "/" + suffix not in WELL_KNOWN:
        return None
    account_id = account_of_issuer(tx, issuer_id)
    if account_id is None:
        return None
    url = issuer_url(state, issuer_id)
    if suffix.endswith("openid-configuration"):
        return {"issuer": url, "jwks_uri": f"{url}/.well-known/jwks.json", "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": list(ALGORITHMS),
                "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", CLAIMS_NS]}
    rows = IssuerRepo(tx, account_id).published(time.time() - KEEP_PUBLISHED)
    return {"keys": [_public_jwk(row, state.box) for row in rows]}


def _public_jwk(row, box) -> dict:
    private = serialization.load_pem_private_key(box.decrypt(row.private_key).encode(), None)
    algo = RSAAlgorithm if row.algorithm == "RS256" else ECAlgorithm
    jwk = json.loads(algo.to_jwk(private.public_key()))
    jwk.update(kid=row.kid, alg=row.algorithm, use="sig")
    return jwk
