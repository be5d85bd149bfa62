"""AssumeRoleWithWebIdentity: an OpenID Connect token verified as AWS STS verifies it.

In order: the token must be a JWS-signed JWT with an asymmetric algorithm; its `iss`
must name an OIDC provider registered in the role's account (https, or http for an issuer
`iamd serve --allow-http-issuer` names); its signature must verify against the issuer's
published keys (service/oidc_keys.py); `aud` (or `azp`, when present) must be one of the
provider's client ids; `exp`, `nbf` and `iat` hold within `SKEW`. Then the role's trust
policy decides (service/federation.py) with the provider's condition keys:
`<provider>:sub`, `:aud` (azp when present, else aud), `:oaud` (aud when azp is present),
`:amr`, `:email`, and for GitHub Actions issuers the claims AWS maps since January 2026
(`GITHUB_CLAIMS`). Session tags come from the `https://aws.amazon.com/tags` claim.
"""

import json
import re

import jwt

from ..protocol.errors import AWSError
from ..store.providers import OidcProviderRepo
from . import oidc_keys
from .federation import SESSION_NAME, Federated, assume, role_of
from .oidc_providers import plain_http
from .registry import operation

ACTION = "sts:AssumeRoleWithWebIdentity"
SKEW = 300  # seconds of clock difference tolerated on exp, nbf and iat
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})
NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
BAD_SIGNATURE = "The web identity token's signature could not be verified."  # [unc] AWS's own wording
BAD_AUDIENCE = "Incorrect token audience"
# Claims AWS offers as `<provider>:<claim>` for GitHub Actions tokens; GitHub's issuer, its
# enterprise-specific issuers and GitHub Enterprise Server's (`<host>/_services/token`).
GITHUB_CLAIMS = ("actor", "actor_id", "job_workflow_ref", "repository", "repository_id", "workflow", "ref",
                 "environment", "enterprise_id")
_GITHUB_ISSUER = re.compile(r"token\.actions\.githubusercontent\.com(/[\w.-]+)?|[^/]+/_services/token")
_STANDARD_CLAIMS = ("sub", "amr", "email")
TAGS_CLAIM = "https://aws.amazon.com/tags"


def _invalid(message: str) -> AWSError:
    return AWSError("InvalidIdentityToken", message)


def _header_and_claims(token: str) -> tuple[dict, dict]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError):
        raise _invalid(NOT_A_JWT) from None
    if not isinstance(claims, dict):
        raise _invalid(NOT_A_JWT)
    return header, claims


def _issuer_url(iss) -> tuple[str, str]:
    """(`host/path` as providers are keyed, the URL keys are fetched from)."""
    if not isinstance(iss, str) or not iss.startswith(("https://", "http://")):
        raise _invalid("The issuer of the web identity token is not a valid URL.")
    scheme, rest = iss.split("://", 1)
    return rest, iss


def provider_for(ctx, account_id: str, iss) -> tuple[object, str]:
    """The registered provider `iss` names and the URL its keys come from."""
    suffix, url = _issuer_url(iss)
    repo = OidcProviderRepo(ctx.tx, account_id)
    arn = f"arn:aws:iam::{account_id}:oidc-provider/{suffix}"
    row = repo.get(arn)
    if row is None or url.startswith("http://") and not plain_http(suffix, ctx.app.settings.allow_http_issuers):
        raise _invalid(f"No OpenIDConnect provider found in your account for {iss}")
    return row, url


def screen(ctx, token: str) -> tuple[dict, dict]:
    """The unverified header and claims of a token that may be worth verifying."""
    header, unverified = _header_and_claims(token)
    if header.get("alg") not in ALGORITHMS:
        raise _invalid(NOT_A_JWT)
    if str(unverified.get("iss", "")).startswith(f"{ctx.app.settings.base_url}/issuer/"):
        # AWS: tokens from GetWebIdentityToken cannot federate back in
        raise _invalid("Tokens issued by GetWebIdentityToken cannot be used with AssumeRoleWithWebIdentity.")
    return header, unverified


def verify(ctx, account_id: str, token: str, now: float) -> tuple[object, dict]:
    """The provider row and the verified claims of `token`, or AWS's error."""
    header, unverified = screen(ctx, token)
    alg = header["alg"]
    row, url = provider_for(ctx, account_id, unverified.get("iss"))
    key = oidc_keys.signing_key(url, header.get("kid"), alg)
    try:
        claims = jwt.decode(token, key, algorithms=[alg], options={
            "verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
            "verify_iss": False})
    except jwt.InvalidSignatureError:
        raise _invalid(BAD_SIGNATURE) from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise _invalid(NOT_A_JWT) from None
    _check_times(claims, now)
    _check_audience(claims, json.loads(row.client_ids))
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _invalid("The web identity token has no subject (sub).")
    return row, claims


def _number(claims: dict, name: str):
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid(f"The {name} claim of the web identity token is not a number.")
    return value


def _check_times(claims: dict, now: float) -> None:
    exp, nbf, iat = (_number(claims, n) for n in ("exp", "nbf", "iat"))
    if exp is None:
        raise _invalid("The web identity token has no expiration time (exp).")
    if now - SKEW >= exp:
        raise AWSError("ExpiredTokenException", f"Token expired: current date/time {int(now)} must be before "
                                                f"the expiration date/time {int(exp)}")
    if nbf is not None and nbf > now + SKEW:
        raise _invalid(f"Token not yet valid: current date/time {int(now)} must be after the not-before "
                       f"date/time {int(nbf)}")
    if iat is not None and iat > now + SKEW:
        raise _invalid("The web identity token was issued in the future (iat).")


def _check_audience(claims: dict, client_ids: list) -> None:
    azp, aud = claims.get("azp"), claims.get("aud")
    auds = [aud] if isinstance(aud, str) else [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []
    if isinstance(azp, str) and azp in client_ids or any(a in client_ids for a in auds):
        return
    raise _invalid(BAD_AUDIENCE)


def _values(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def claims_context(provider: str, claims: dict) -> dict:
    """The trust policy's condition keys (lower-cased) for a verified token of `provider`."""
    names = list(_STANDARD_CLAIMS)
    if _GITHUB_ISSUER.fullmatch(provider):
        names.extend(GITHUB_CLAIMS)
    context = {}
    for name in names:
        value = _values(claims.get(name))
        if value is not None:
            context[f"{provider}:{name}".lower()] = value
    aud, azp = _values(claims.get("aud")), claims.get("azp")
    if isinstance(azp, str):
        context[f"{provider}:aud".lower()] = azp
        if aud is not None:
            context[f"{provider}:oaud".lower()] = aud
    elif aud is not None:
        context[f"{provider}:aud".lower()] = aud
    return context


def _session_tags(claims: dict) -> tuple[tuple, tuple]:
    block = claims.get(TAGS_CLAIM)
    if block is None:
        return (), ()
    if not isinstance(block, dict):
        raise _invalid(f"The {TAGS_CLAIM} claim is not an object.")
    tags = []
    for key, value in (block.get("principal_tags") or {}).items():
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
            value = value[0]
        if not isinstance(value, str):
            raise _invalid(f"Session tag {key} must have exactly one string value.")
        tags.append((key, value))
    transitive = block.get("transitive_tag_keys") or []
    if not isinstance(transitive, list) or not all(isinstance(k, str) for k in transitive):
        raise _invalid("transitive_tag_keys must be a list of tag keys.")
    return tuple(tags), tuple(transitive)


@operation("AssumeRoleWithWebIdentity")
def assume_role_with_web_identity(ctx, p):
    screen(ctx, p["WebIdentityToken"])
    row = role_of(ctx, p["RoleArn"], ACTION)
    provider, claims = verify(ctx, row.account_id, p["WebIdentityToken"], ctx.now)
    if not SESSION_NAME.fullmatch(p["RoleSessionName"]):
        raise AWSError("ValidationError", "1 validation error detected: Value at 'roleSessionName' failed to "
                                          "satisfy constraint: Member must satisfy regular expression pattern: "
                                          "[\\w+=,.@-]*")
    tags, transitive = _session_tags(claims)
    context = claims_context(provider.url, claims)
    context["aws:federatedprovider"] = provider.arn
    who = Federated(provider.arn, context, p["RoleSessionName"], tags, transitive)
    out = assume(ctx, p, row, who, ACTION)
    out.update({"SubjectFromWebIdentityToken": claims["sub"], "Provider": claims["iss"],
                "Audience": _audience(claims, json.loads(provider.client_ids))})
    return out


def _audience(claims: dict, client_ids: list) -> str:
    """The client id the token was accepted for: azp when present, else the matching aud."""
    azp, aud = claims.get("azp"), claims.get("aud")
    if isinstance(azp, str) and azp in client_ids:
        return azp
    return next(a for a in ([aud] if isinstance(aud, str) else aud) if a in client_ids)
