"""AWS Signature Version 4 verification, header and presigned-query forms.

The server rebuilds the canonical request from what it received (raw body bytes, the Host
header as sent) and compares signatures in constant time. The derived signing key is
cached per (secret, date, region, service), so a request costs two HMACs and two hashes.
"""

import calendar
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from botocore.utils import normalize_url_path

from ..protocol.errors import AWSError

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SKEW_SECONDS = 15 * 60
MAX_EXPIRES = 604800
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_SPLIT = re.compile(r"[,\s]+")

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


def _header_parts(auth: str, has_date: bool) -> tuple[str, str, str]:
    """Credential, SignedHeaders and Signature from an Authorization header, in AWS's words.

    A header that is not `AWS4-HMAC-SHA256 k=v, …` (SigV2, Basic, a bare token) is read
    as one with no parameters, which is how AWS words its refusal.
    """
    algo, _, rest = auth.strip().partition(" ")
    parts: dict[str, str] = {}
    if algo == ALGORITHM:
        for token in _SPLIT.split(rest.strip()):
            if not token:
                continue
            k, eq, v = token.partition("=")
            if not eq:
                raise _incomplete(f"'{token}' not a valid key=value pair (missing equal-sign) in "
                                  f"Authorization header: '{auth}'.")
            parts[k] = v
    problems = [f"Authorization header requires '{k}' parameter." for k in
                ("Credential", "Signature", "SignedHeaders") if not parts.get(k)]
    if not has_date:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a "
                        "'Date' header.")
    if problems:
        raise _incomplete(" ".join(problems) + f" Authorization={auth}")
    return parts["Credential"], parts["SignedHeaders"], parts["Signature"]


# The Authorization header every SDK writes, read with one match; anything else (another
# spacing or order, a missing part, a bad scope) goes through the general reading below,
# which words AWS's refusals.
_SDK_HEADER = re.compile(r"AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]{1,128})/([0-9]{8})/([a-z0-9-]{1,64})"
                         r"/([a-z0-9-]{1,64})/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})")


def extract(headers: dict[str, str], query: dict[str, str]) -> SignedRequest:
    """Read the signature's parts from the Authorization header or the query string."""
    auth = headers.get("authorization")
    if auth is not None:
        m = _SDK_HEADER.fullmatch(auth)
        amz_date = headers.get("x-amz-date")
        if m is not None and amz_date is not None and len(amz_date) == 16 and amz_date[8] == "T" \
                and amz_date[15] == "Z" and amz_date[:8] == m[2] and "X-Amz-Signature" not in query \
                and "X-Amz-Algorithm" not in query:
            key_id, date, region, service, signed, signature = m.groups()
            return SignedRequest(key_id, date, region, service, amz_date, signed.split(";"), signature,
                                 headers.get("x-amz-security-token"), False)
    if auth is not None and ("X-Amz-Signature" in query or "X-Amz-Algorithm" in query):
        raise _incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                          "parameter or the Authorization header should be specified")
    if auth is not None:
        amz_date = headers.get("x-amz-date")
        if amz_date is None and "date" in headers:
            amz_date = _http_date_to_amz(headers["date"]) or headers["date"]
        credential, signed, signature = _header_parts(auth, amz_date is not None)
        token = headers.get("x-amz-security-token")
        presigned, expires = False, None
    else:
        for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
                  "X-Amz-Signature"):
            if not query.get(k):
                raise _incomplete(f"AWS query-string parameters must include '{k}'. Re-examine the "
                                  f"query-string parameters.")
        if query["X-Amz-Algorithm"] != ALGORITHM:
            raise _incomplete(f"Unsupported AWS 'algorithm': '{query['X-Amz-Algorithm']}'. "
                              f"Supported: '{ALGORITHM}'.")
        credential, signed = query["X-Amz-Credential"], query["X-Amz-SignedHeaders"]
        signature, amz_date = query["X-Amz-Signature"], query["X-Amz-Date"]
        token = query.get("X-Amz-Security-Token")
        presigned = True
        raw = query.get("X-Amz-Expires", "3600")
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_EXPIRES:
            raise _incomplete(f"X-Amz-Expires must be a whole number of seconds between 0 and "
                              f"{MAX_EXPIRES}, not '{raw}'.")
        expires = int(raw)
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
        raise _incomplete(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See "
                          f"http://en.wikipedia.org/wiki/ISO_8601")
    if amz_date[:8] != date:
        raise AWSError("SignatureDoesNotMatch",
                       f"Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                       f"version of date from HTTP: '{date}' != '{amz_date[:8]}', from "
                       f"ISO-8601 string '{amz_date}'.")
    return SignedRequest(key_id, date, region, service, amz_date,
                         signed.lower().split(";"), signature, token, presigned, expires)


_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")


def credential_hint(headers: dict[str, str], query: dict[str, str]) -> tuple[str, str, str] | None:
    """Best-effort (access key id, region, service) from a request, however malformed its
    signature: `--auth off` acts as the key's owner without checking anything."""
    cred = query.get("X-Amz-Credential")
    if cred is None:
        m = _CREDENTIAL.search(headers.get("authorization", ""))
        if m is None:
            return None
        cred = m.group(1)
    parts = cred.split("/")
    if not parts[0]:
        return None
    parts += [""] * (4 - len(parts))
    return parts[0], parts[2] or "us-east-1", parts[3] or "iam"


def _http_date_to_amz(value: str) -> str | None:
    try:
        dt = datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT")
    except ValueError:
        return None
    return dt.strftime("%Y%m%dT%H%M%SZ")


def _fmt(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y%m%dT%H%M%SZ")


_LAST_DATE: tuple = ("", 0.0)  # the last X-Amz-Date read: requests of one second share it


def amz_date_seconds(value: str) -> float:
    """Epoch seconds of `YYYYMMDDTHHMMSSZ`; strptime costs more than the whole HMAC."""
    global _LAST_DATE
    last = _LAST_DATE
    if last[0] == value:
        return last[1]
    seconds = _amz_date_seconds(value)
    _LAST_DATE = (value, seconds)
    return seconds


def _amz_date_seconds(value: str) -> float:
    if len(value) != 16 or value[8] != "T" or value[15] != "Z" or not (value[:8] + value[9:15]).isdigit():
        raise ValueError(value)
    return float(calendar.timegm((int(value[0:4]), int(value[4:6]), int(value[6:8]),
                                  int(value[9:11]), int(value[11:13]), int(value[13:15]), 0, 0, 0)))


def check_clock(sr: SignedRequest, now: float) -> None:
    try:
        t = amz_date_seconds(sr.amz_date)
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


def _uri_encode(raw: str) -> str:
    """Percent-decode (a `+` is a space, as the form parser reads it) and re-encode the
    bytes with only the unreserved set left bare, so any spelling of a value signs alike."""
    return quote(unquote_to_bytes(raw.replace("+", " ")), safe="-_.~")


def canonical_query(raw_query: str, drop_signature: bool) -> str:
    if not raw_query:
        return ""
    pairs = []
    for item in raw_query.split("&"):
        if not item:
            continue
        k, _, v = item.partition("=")
        k = _uri_encode(k)
        if drop_signature and k == "X-Amz-Signature":
            continue
        pairs.append((k, _uri_encode(v)))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_path(raw_path: str) -> str:
    """The path as received, dot segments and repeated slashes removed, encoded once more:
    SigV4 for every service but S3 encodes the (already encoded) path a second time."""
    if raw_path == "/":  # what every SDK sends to IAM and STS
        return "/"
    return quote(normalize_url_path(raw_path), safe="/~")


def payload_hash(headers: dict[str, str], body: bytes) -> str:
    """The payload hash the signature covers: always the body as received, so a body
    cannot be swapped under a valid signature (an unsigned payload is only allowed empty)."""
    claimed = headers.get("x-amz-content-sha256")
    if claimed == UNSIGNED_PAYLOAD and not body:
        return UNSIGNED_PAYLOAD
    actual = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    if claimed is not None and claimed != actual:
        raise AWSError("XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was computed.")
    return actual


def expected_signature(sr: SignedRequest, secret: str, method: str, path: str, raw_query: str,
                       headers: dict[str, str], body: bytes) -> str:
    lines = []
    for name in sr.signed_headers:
        value = headers.get(name)
        if value is None:
            raise AWSError("SignatureDoesNotMatch", SIGNATURE_MISMATCH)
        lines.append(f"{name}:{' '.join(value.split())}\n")
    creq = "\n".join((method, canonical_path(path), canonical_query(raw_query, sr.presigned),
                      "".join(lines), ";".join(sr.signed_headers), payload_hash(headers, body)))
    scope = f"{sr.date}/{sr.region}/{sr.service}/aws4_request"
    sts = f"{ALGORITHM}\n{sr.amz_date}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
    return hmac.digest(signing_key(secret, sr.date, sr.region, sr.service), sts.encode(), "sha256").hex()


def verify(sr: SignedRequest, secret: str, method: str, path: str, raw_query: str,
           headers: dict[str, str], body: bytes) -> None:
    if "host" not in sr.signed_headers:
        raise AWSError("SignatureDoesNotMatch", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    want = expected_signature(sr, secret, method, path, raw_query, headers, body)
    # bytes, not str: compare_digest refuses non-ASCII text, and a signature is untrusted input
    if not hmac.compare_digest(want.encode(), sr.signature.encode("utf-8", "surrogatepass")):
        raise AWSError("SignatureDoesNotMatch", SIGNATURE_MISMATCH)
