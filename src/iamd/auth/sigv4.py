"""AWS Signature Version 4 verification, header and presigned-query forms.

The server rebuilds the canonical request from what it received (raw body bytes, the Host
header as sent) and compares signatures in constant time. The derived signing key is
cached per (secret, date, region, service), so a request costs two HMACs and two hashes.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote, unquote

from ..protocol.errors import AWSError

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SKEW_SECONDS = 15 * 60
MAX_EXPIRES = 604800

SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult "
                      "the service documentation for details.")


@dataclass(slots=True)
class SignedRequest:
    access_key_id: str
    date: str  # YYYYMMDD from the scope
    region: str
    service: str
    amz_date: str
    signed_headers: list[str]
    signature: str
    security_token: str | None
    presigned: bool
    expires: int | None = None


def _incomplete(msg: str) -> AWSError:
    return AWSError("IncompleteSignature", msg)


def extract(headers: dict[str, str], query: dict[str, str]) -> SignedRequest:
    """Read the signature's parts from the Authorization header or the query string."""
    auth = headers.get("authorization")
    if auth is not None and "X-Amz-Signature" in query:
        raise _incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                          "parameter or the Authorization header should be specified")
    if auth is not None:
        algo, _, rest = auth.strip().partition(" ")
        if algo != ALGORITHM:
            raise _incomplete(f"Unsupported AWS 'algorithm': '{algo}'")
        parts = {}
        for item in rest.split(","):
            k, eq, v = item.strip().partition("=")
            if eq:
                parts[k] = v
        missing = [k for k in ("Credential", "SignedHeaders", "Signature") if k not in parts]
        if missing:
            raise _incomplete(f"Authorization header requires '{missing[0]}' parameter. "
                              f"Authorization={auth}")
        credential, signed, signature = parts["Credential"], parts["SignedHeaders"], parts["Signature"]
        amz_date = headers.get("x-amz-date")
        if amz_date is None and "date" in headers:
            amz_date = _http_date_to_amz(headers["date"])
        if amz_date is None:
            raise _incomplete("Authorization header requires existence of either a 'X-Amz-Date' "
                              "or a 'Date' header.")
        token = headers.get("x-amz-security-token")
        presigned, expires = False, None
    else:
        if query.get("X-Amz-Algorithm") != ALGORITHM:
            raise _incomplete(f"Unsupported AWS 'algorithm': '{query.get('X-Amz-Algorithm')}'")
        for k in ("X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"):
            if k not in query:
                raise _incomplete(f"AWS query-string parameters must include '{k}'.")
        credential, signed = query["X-Amz-Credential"], query["X-Amz-SignedHeaders"]
        signature, amz_date = query["X-Amz-Signature"], query["X-Amz-Date"]
        token = query.get("X-Amz-Security-Token")
        presigned = True
        try:
            expires = int(query.get("X-Amz-Expires", "3600"))
        except ValueError:
            raise _incomplete("X-Amz-Expires must be a number of seconds") from None
        if not 0 <= expires <= MAX_EXPIRES:
            raise _incomplete(f"X-Amz-Expires must be between 0 and {MAX_EXPIRES} seconds")
    scope = credential.split("/")
    if len(scope) != 5:
        raise _incomplete(f"Credential should be scoped to a valid region, service and date. "
                          f"Credential={credential}")
    key_id, date, region, service, term = scope
    if term != "aws4_request":
        raise AWSError("SignatureDoesNotMatch",
                       "Credential should be scoped with a valid terminator: 'aws4_request', "
                       f"not '{term}'.")
    if len(amz_date) != 16 or amz_date[8] != "T" or not amz_date.endswith("Z"):
        raise _incomplete(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.")
    if amz_date[:8] != date:
        raise AWSError("SignatureDoesNotMatch",
                       f"Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                       f"version of date from HTTP: '{date}' != '{amz_date[:8]}', from "
                       f"ISO-8601 string '{amz_date}'.")
    return SignedRequest(key_id, date, region, service, amz_date,
                         signed.lower().split(";"), signature, token, presigned, expires)


def _http_date_to_amz(value: str) -> str | None:
    try:
        dt = datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT")
    except ValueError:
        return None
    return dt.strftime("%Y%m%dT%H%M%SZ")


def _fmt(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def check_clock(sr: SignedRequest, now: float) -> None:
    try:
        t = datetime.strptime(sr.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise _incomplete(f"Date must be in ISO-8601 'basic format'. Got '{sr.amz_date}'.") from None
    if sr.presigned:
        if now > t + sr.expires:
            raise AWSError("RequestExpired", f"Request has expired. X-Amz-Date {sr.amz_date} "
                                             f"+ X-Amz-Expires {sr.expires}s is earlier than {_fmt(now)}.")
        if t - now > SKEW_SECONDS:
            raise AWSError("SignatureDoesNotMatch",
                           f"Signature not yet current: {sr.amz_date} is still later than "
                           f"{_fmt(now + SKEW_SECONDS)} ({_fmt(now)} + 15 min.)")
        return
    if t < now - SKEW_SECONDS:
        raise AWSError("SignatureDoesNotMatch",
                       f"Signature expired: {sr.amz_date} is now earlier than "
                       f"{_fmt(now - SKEW_SECONDS)} ({_fmt(now)} - 15 min.)")
    if t > now + SKEW_SECONDS:
        raise AWSError("SignatureDoesNotMatch",
                       f"Signature not yet current: {sr.amz_date} is still later than "
                       f"{_fmt(now + SKEW_SECONDS)} ({_fmt(now)} + 15 min.)")


@lru_cache(maxsize=4096)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = hmac.digest(("AWS4" + secret).encode(), date.encode(), "sha256")
    k = hmac.digest(k, region.encode(), "sha256")
    k = hmac.digest(k, service.encode(), "sha256")
    return hmac.digest(k, b"aws4_request", "sha256")


def _uri_encode(s: str) -> str:
    return quote(s, safe="-_.~")


def canonical_query(raw_query: str, drop_signature: bool) -> str:
    if not raw_query:
        return ""
    pairs = []
    for item in raw_query.split("&"):
        if not item:
            continue
        k, _, v = item.partition("=")
        k, v = unquote(k.replace("+", " ")), unquote(v.replace("+", " "))
        if drop_signature and k == "X-Amz-Signature":
            continue
        pairs.append((_uri_encode(k), _uri_encode(v)))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _canonical_path(path: str) -> str:
    return quote(path or "/", safe="/~")


def expected_signature(sr: SignedRequest, secret: str, method: str, path: str, raw_query: str,
                       headers: dict[str, str], body: bytes) -> str:
    lines = []
    for name in sr.signed_headers:
        value = headers.get(name)
        if value is None:
            raise AWSError("SignatureDoesNotMatch", SIGNATURE_MISMATCH)
        lines.append(f"{name}:{' '.join(value.split())}\n")
    if sr.presigned:
        payload_hash = "UNSIGNED-PAYLOAD" if headers.get("x-amz-content-sha256") == "UNSIGNED-PAYLOAD" \
            else EMPTY_SHA256 if not body else hashlib.sha256(body).hexdigest()
    else:
        payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    creq = "\n".join((method, _canonical_path(path), canonical_query(raw_query, sr.presigned),
                      "".join(lines), ";".join(sr.signed_headers), payload_hash))
    scope = f"{sr.date}/{sr.region}/{sr.service}/aws4_request"
    sts = f"{ALGORITHM}\n{sr.amz_date}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
    key = signing_key(secret, sr.date, sr.region, sr.service)
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def verify(sr: SignedRequest, secret: str, method: str, path: str, raw_query: str,
           headers: dict[str, str], body: bytes) -> None:
    if "host" not in sr.signed_headers:
        raise AWSError("SignatureDoesNotMatch", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    want = expected_signature(sr, secret, method, path, raw_query, headers, body)
    if not hmac.compare_digest(want, sr.signature):
        raise AWSError("SignatureDoesNotMatch", SIGNATURE_MISMATCH)
