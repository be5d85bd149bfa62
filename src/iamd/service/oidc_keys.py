"""An OpenID Connect issuer's signing keys, fetched as AWS STS fetches them and cached.

`signing_key(issuer_url, kid, alg)` reads the issuer's discovery document
(`<issuer>/.well-known/openid-configuration`), then the `jwks_uri` it names, and keeps the
keys for `LIFETIME` seconds per worker. A token whose `kid` is not among the cached keys
makes one refetch (the issuer may have rotated), at most `MAX_REFETCHES` a minute per
issuer, so a stream of made-up kids cannot turn iamd into a load on the issuer.

Failures answer as STS does: an issuer that cannot be reached (refused, timed out) is
`IDPCommunicationError`; one that answers but not with usable keys is
`InvalidIdentityToken` "Couldn't retrieve verification key…". Responses are read up to
`MAX_BODY` bytes, with `TIMEOUT` seconds per request; redirects are not followed to other
schemes (urllib's default handler refuses non-http(s) targets).
"""

import json
import threading
import time
import urllib.error
import urllib.request

import jwt

from ..protocol.errors import AWSError

LIFETIME = 600.0
TIMEOUT = 5.0
MAX_BODY = 1 << 20
MAX_REFETCHES = 10  # per issuer and minute, for unknown kids
NO_KEY = ("Couldn't retrieve verification key from your identity provider,  please reference "
          "AssumeRoleWithWebIdentity documentation for requirements")
UNREACHABLE = ("The request could not be fulfilled because the identity provider (IDP) that was asked "
               "to verify the incoming identity token could not be reached.")


class _Issuer:
    __slots__ = ("keys", "fetched_at", "refetches")

    def __init__(self):
        self.keys: dict[str | None, list[dict]] = {}  # kid -> JWKs
        self.fetched_at = 0.0
        self.refetches: list[float] = []


_cache: dict[str, _Issuer] = {}
_lock = threading.Lock()


def signing_key(issuer_url: str, kid: str | None, alg: str):
    """The issuer's public key for (kid, alg), as a PyJWT `PyJWK`, or AWS's error. A JWK
    without `alg` serves any algorithm its key type can (PyJWK refuses the others)."""
    with _lock:
        entry = _cache.setdefault(issuer_url, _Issuer())
    now = time.monotonic()
    if now - entry.fetched_at > LIFETIME:
        _refresh(issuer_url, entry, now)
    key = _pick(entry, kid, alg)
    if key is None:
        entry.refetches = [t for t in entry.refetches if now - t < 60]
        if len(entry.refetches) < MAX_REFETCHES and entry.fetched_at != now:
            entry.refetches.append(now)
            _refresh(issuer_url, entry, now)
            key = _pick(entry, kid, alg)
    if key is None:
        raise AWSError("InvalidIdentityToken", NO_KEY)
    return key


def forget(issuer_url: str | None = None) -> None:
    with _lock:
        if issuer_url is None:
            _cache.clear()
        else:
            _cache.pop(issuer_url, None)


def _pick(entry: _Issuer, kid: str | None, alg: str):
    candidates = entry.keys.get(kid, []) if kid is not None else [k for ks in entry.keys.values() for k in ks]
    for jwk in candidates:
        if jwk.get("alg", alg) != alg:
            continue
        try:
            return jwt.PyJWK(jwk, algorithm=alg)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
            continue  # a key of another type than the token's algorithm needs
    return None


def _refresh(issuer_url: str, entry: _Issuer, now: float) -> None:
    discovery = _get_json(issuer_url.rstrip("/") + "/.well-known/openid-configuration")
    jwks_uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
        raise AWSError("InvalidIdentityToken", NO_KEY)
    if jwks_uri.startswith("http://") and not issuer_url.startswith("http://"):
        raise AWSError("InvalidIdentityToken", NO_KEY)  # an https issuer's keys come over https
    document = _get_json(jwks_uri)
    keys: dict[str | None, list] = {}
    for jwk in (document.get("keys") if isinstance(document, dict) else None) or ():
        if isinstance(jwk, dict) and jwk.get("use", "sig") == "sig" and isinstance(jwk.get("kty"), str):
            keys.setdefault(jwk.get("kid"), []).append(jwk)
    if not keys:
        raise AWSError("InvalidIdentityToken", NO_KEY)
    entry.keys, entry.fetched_at = keys, now


def _get_json(url: str):
    req = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "iamd-sts"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 (http(s) only, checked)
            body = resp.read(MAX_BODY + 1)
    except urllib.error.HTTPError:
        raise AWSError("InvalidIdentityToken", NO_KEY) from None
    except (urllib.error.URLError, OSError, ValueError):
        raise AWSError("IDPCommunicationError", UNREACHABLE) from None
    if len(body) > MAX_BODY:
        raise AWSError("InvalidIdentityToken", NO_KEY)
    try:
        return json.loads(body)
    except ValueError:
        raise AWSError("InvalidIdentityToken", NO_KEY) from None
