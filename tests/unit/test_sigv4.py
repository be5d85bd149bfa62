"""SigV4 verification against botocore's signer: canonical query and path encoding edge
cases, header parsing, clock-window messages, and the property that whatever botocore
signs verifies and any change to it does not."""

from datetime import datetime, timezone
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.auth import sigv4
from iamd.protocol.errors import AWSError

KEY, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(KEY, SECRET)


def _headers(req) -> dict[str, str]:
    return {k.lower(): v for k, v in req.headers.items()}


def _query(raw: str) -> dict[str, str]:
    from urllib.parse import parse_qsl
    return dict(parse_qsl(raw, keep_blank_values=True))


def sign_header(body: bytes, url: str = "http://127.0.0.1:8777/", method: str = "POST",
                service: str = "iam", region: str = "us-east-1"):
    req = AWSRequest(method=method, url=url, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Host": urlsplit(url).netloc})
    SigV4Auth(CREDS, service, region).add_auth(req)
    return req


def check(req, body: bytes, secret: str = SECRET, method: str | None = None) -> None:
    """Verify a botocore-signed request the way the server does; raises AWSError."""
    parts = urlsplit(req.url)
    headers = _headers(req)
    query = _query(parts.query)
    sr = sigv4.extract(headers, query)
    sigv4.verify(sr, secret, method or req.method, parts.path or "/", parts.query, headers, body)


# -- canonical query ------------------------------------------------------------------------

@pytest.mark.parametrize("raw, want", [
    ("", ""),
    ("Action=ListUsers&Version=2010-05-08", "Action=ListUsers&Version=2010-05-08"),
    ("b=2&a=1", "a=1&b=2"),                                   # sorted by key
    ("a=2&a=10&a=1", "a=1&a=10&a=2"),                         # repeated keys: by value, as text
    ("flag", "flag="),                                        # no '=' reads as an empty value
    ("empty=", "empty="),
    ("a=1&&b=2", "a=1&b=2"),                                  # empty pairs are ignored
    ("p=a%20b", "p=a%20b"),
    ("p=a+b", "p=a%20b"),                                     # '+' is a space, as the form parser reads it
    ("p=a%2Bb", "p=a%2Bb"),                                   # an encoded '+' stays a plus
    ("p=%7e%2d%5f%2e", "p=~-_."),                             # unreserved characters are left bare
    ("p=~*'()!", "p=~%2A%27%28%29%21"),                       # sub-delims are encoded
    ("p=%2f", "p=%2F"),                                       # escapes are upper-cased
    ("p=%C3%A9", "p=%C3%A9"),                                 # UTF-8 stays as sent
    ("p=%FF%FE", "p=%FF%FE"),                                 # so do bytes that are not UTF-8
    ("K%20y=v", "K%20y=v"),                                   # keys are encoded like values
    ("a=%3D%26", "a=%3D%26"),                                 # '=' and '&' inside a value
    ("Tags.member.1.Key=k&Tags.member.1.Value=", "Tags.member.1.Key=k&Tags.member.1.Value="),
])
def test_canonical_query(raw, want):
    assert sigv4.canonical_query(raw, drop_signature=False) == want


def test_canonical_query_drops_only_the_signature_when_presigned():
    raw = "X-Amz-Signature=abc&X-Amz-Security-Token=t%2Bk&Action=GetCallerIdentity"
    assert sigv4.canonical_query(raw, True) == "Action=GetCallerIdentity&X-Amz-Security-Token=t%2Bk"
    assert "X-Amz-Signature=abc" in sigv4.canonical_query(raw, False)


@pytest.mark.parametrize("raw, want", [
    ("", "/"), ("/", "/"), ("//", "/"), ("/a/./b/../c", "/a/c"), ("/a//b/", "/a/b/"),
    ("/a%20b", "/a%2520b"),  # every service but S3 encodes the path twice
    ("/~user", "/~user"),
])
def test_canonical_path(raw, want):
    assert sigv4.canonical_path(raw) == want


# -- whatever botocore signs verifies; any change to it does not -----------------------------

param_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
params = st.dictionaries(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-_~ +%", min_size=1,
                                 max_size=10), param_text, max_size=5)


@settings(max_examples=150, deadline=None)
@given(params=params, region=st.sampled_from(["us-east-1", "eu-west-3", "local", "x"]),
       service=st.sampled_from(["iam", "sts"]))
def test_presigned_query_from_botocore_verifies(params, region, service):
    req = AWSRequest(method="GET", url="http://127.0.0.1:8777/", params=params,
                     headers={"Host": "127.0.0.1:8777"})
    SigV4QueryAuth(CREDS, service, region, expires=60).add_auth(req)
    url = req.prepare().url
    parts = urlsplit(url)
    headers = {"host": "127.0.0.1:8777"}
    sr = sigv4.extract(headers, _query(parts.query))
    assert (sr.access_key_id, sr.region, sr.service, sr.expires) == (KEY, region, service, 60)
    sigv4.verify(sr, SECRET, "GET", parts.path or "/", parts.query, headers, b"")
    with pytest.raises(AWSError) as e:
        sigv4.verify(sr, SECRET, "GET", parts.path or "/", parts.query + "&Extra=1", headers, b"")
    assert e.value.code == "SignatureDoesNotMatch"


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=64), flip=st.integers(min_value=0))
def test_header_signature_covers_the_body(body, flip):
    req = sign_header(body)
    check(req, body)
    tampered = bytearray(body or b"x")
    tampered[flip % len(tampered)] ^= 0x01
    with pytest.raises(AWSError) as e:
        check(req, bytes(tampered))
    assert e.value.code == "SignatureDoesNotMatch"


def test_query_on_a_header_signed_get_is_signed():
    req = sign_header(b"", url="http://127.0.0.1:8777/?Action=ListUsers&Version=2010-05-08&MaxItems=5",
                      method="GET")
    check(req, b"")
    req.url = req.url.replace("MaxItems=5", "MaxItems=6")
    with pytest.raises(AWSError, match="signature we calculated"):
        check(req, b"")


def test_wrong_secret_method_and_host_are_refused():
    body = b"Action=ListUsers&Version=2010-05-08"
    req = sign_header(body)
    for kw in ({"secret": SECRET[:-1] + "X"}, {"method": "PUT"}):
        with pytest.raises(AWSError) as e:
            check(req, body, **kw)
        assert e.value.code == "SignatureDoesNotMatch"
    req.headers.replace_header("Host", "127.0.0.1:9999")
    with pytest.raises(AWSError):
        check(req, body)


def test_signing_key_matches_the_aws_documentation_example():
    # SigV4 guide, "Examples of how to derive a signing key"
    key = sigv4.signing_key(SECRET, "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_payload_hash_header_must_match_the_body():
    body = b"Action=ListUsers&Version=2010-05-08"
    req = sign_header(body)
    headers = _headers(req)
    assert sigv4.payload_hash(headers, body) == sigv4.hashlib.sha256(body).hexdigest()
    for claimed in ("0" * 64, "UNSIGNED-PAYLOAD"):
        with pytest.raises(AWSError) as e:
            sigv4.payload_hash({**headers, "x-amz-content-sha256": claimed}, body)
        assert e.value.code == "XAmzContentSHA256Mismatch"
    assert sigv4.payload_hash({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, b"") == "UNSIGNED-PAYLOAD"


def test_non_ascii_signature_is_a_mismatch_not_a_crash():
    body = b"Action=ListUsers"
    req = sign_header(body)
    headers = _headers(req)
    headers["authorization"] = headers["authorization"][:-1] + "\u00e9"
    sr = sigv4.extract(headers, {})
    with pytest.raises(AWSError) as e:
        sigv4.verify(sr, SECRET, "POST", "/", "", headers, body)
    assert e.value.code == "SignatureDoesNotMatch"


# -- parsing the Authorization header and the presigned parameters --------------------------

def _auth(value: str, date: bool = True) -> dict[str, str]:
    h = {"authorization": value, "host": "h"}
    if date:
        h["x-amz-date"] = "20261129T120000Z"
    return h


CRED = f"Credential={KEY}/20261129/us-east-1/iam/aws4_request"


def test_header_separators_with_and_without_spaces():
    for sep in (", ", ",", " ,  "):
        sr = sigv4.extract(_auth(f"AWS4-HMAC-SHA256 {CRED}{sep}SignedHeaders=host;X-Amz-Date{sep}Signature=ab"), {})
        assert sr.signed_headers == ["host", "x-amz-date"] and sr.signature == "ab"
        assert (sr.access_key_id, sr.date, sr.region, sr.service) == (KEY, "20261129", "us-east-1", "iam")


@pytest.mark.parametrize("value, date, message", [
    ("AWS4-HMAC-SHA256 " + CRED, True,
     "Authorization header requires 'Signature' parameter. Authorization header requires "
     "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 " + CRED),
    ("Bearer abc", False,
     "Authorization header requires 'Credential' parameter. Authorization header requires "
     "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
     "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
     "Authorization=Bearer abc"),
    ("AWS4-HMAC-SHA256 Credential= k/20261129/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=a", True,
     "'k/20261129/us-east-1/iam/aws4_request' not a valid key=value pair (missing equal-sign) in "
     "Authorization header: 'AWS4-HMAC-SHA256 Credential= k/20261129/us-east-1/iam/aws4_request, "
     "SignedHeaders=host, Signature=a'."),
    ("AWS4-HMAC-SHA256 Credential=k/20261129/iam/aws4_request, SignedHeaders=host, Signature=a", True,
     "Credential should be scoped to a valid region, service and date. "
     "Credential=k/20261129/iam/aws4_request"),
])
def test_malformed_header_is_incomplete_signature(value, date, message):
    with pytest.raises(AWSError) as e:
        sigv4.extract(_auth(value, date), {})
    assert (e.value.code, e.value.message) == ("IncompleteSignature", message)


def test_scope_checks():
    base = "AWS4-HMAC-SHA256 Credential={}, SignedHeaders=host, Signature=a"
    with pytest.raises(AWSError) as e:
        sigv4.extract(_auth(base.format(f"{KEY}/20261129/us-east-1/iam/aws4_requestX")), {})
    assert e.value.code == "SignatureDoesNotMatch" and "valid terminator: 'aws4_request'" in e.value.message
    with pytest.raises(AWSError) as e:
        sigv4.extract(_auth(base.format(f"{KEY}/20261128/us-east-1/iam/aws4_request")), {})
    assert e.value.code == "SignatureDoesNotMatch"
    assert e.value.message.startswith("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                                      "version of date from HTTP: '20261128' != '20261129'")
    headers = _auth(base.format(f"{KEY}/20261129/us-east-1/iam/aws4_request"))
    headers["x-amz-date"] = "2026-11-29T12:00:00Z"
    with pytest.raises(AWSError) as e:
        sigv4.extract(headers, {})
    assert e.value.code == "IncompleteSignature" and "ISO-8601 'basic format'" in e.value.message


def test_date_header_stands_in_for_x_amz_date():
    headers = _auth(f"AWS4-HMAC-SHA256 {CRED}, SignedHeaders=date;host, Signature=a", date=False)
    headers["date"] = "Sun, 29 Nov 2026 12:00:00 GMT"
    assert sigv4.extract(headers, {}).amz_date == "20261129T120000Z"


def test_presigned_parameters():
    q = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{KEY}/20261129/us-east-1/sts/aws4_request",
         "X-Amz-Date": "20261129T120000Z", "X-Amz-SignedHeaders": "host", "X-Amz-Signature": "ab",
         "X-Amz-Expires": "60"}
    sr = sigv4.extract({"host": "h"}, q)
    assert sr.presigned and sr.expires == 60
    assert sigv4.extract({"host": "h"}, {k: v for k, v in q.items() if k != "X-Amz-Expires"}).expires == 3600
    for drop in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"):
        with pytest.raises(AWSError) as e:
            sigv4.extract({}, {k: v for k, v in q.items() if k != drop})
        assert e.value.code == "IncompleteSignature" and f"'{drop}'" in e.value.message
    for bad in ("-1", "604801", "1e3", "", "\u00b2", "\u0661"):
        with pytest.raises(AWSError) as e:
            sigv4.extract({}, {**q, "X-Amz-Expires": bad})
        assert e.value.code == "IncompleteSignature"
    with pytest.raises(AWSError) as e:
        sigv4.extract({}, {**q, "X-Amz-Algorithm": "AWS4-HMAC-SHA512"})
    assert e.value.code == "IncompleteSignature" and "AWS4-HMAC-SHA512" in e.value.message
    with pytest.raises(AWSError) as e:
        sigv4.extract({"authorization": "AWS4-HMAC-SHA256 x=y"}, q)
    assert e.value.code == "IncompleteSignature" and "Only one auth mechanism" in e.value.message


# -- clock window ---------------------------------------------------------------------------

def _at(amz_date: str, presigned: bool = False, expires: int | None = None) -> sigv4.SignedRequest:
    return sigv4.SignedRequest(KEY, amz_date[:8], "us-east-1", "iam", amz_date, ["host"], "a", None,
                               presigned, expires)


NOW = datetime(2016, 6, 10, 1, 45, 8, tzinfo=timezone.utc).timestamp()


def test_clock_window_messages_match_aws():
    sigv4.check_clock(_at("20160610T013009Z"), NOW)  # 14 min 59 s early: accepted
    sigv4.check_clock(_at("20160610T015907Z"), NOW)
    with pytest.raises(AWSError) as e:
        sigv4.check_clock(_at("20160609T184512Z"), NOW)
    assert (e.value.code, e.value.message) == (
        "SignatureDoesNotMatch",
        "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)")
    with pytest.raises(AWSError) as e:
        sigv4.check_clock(_at("20160610T020009Z"), NOW)
    assert e.value.message == ("Signature not yet current: 20160610T020009Z is still later than "
                               "20160610T020008Z (20160610T014508Z + 15 min.)")


def test_presigned_expiry_replaces_the_window():
    sigv4.check_clock(_at("20160609T184512Z", True, 604800), NOW)  # a week-long URL, 7 h old
    with pytest.raises(AWSError) as e:
        sigv4.check_clock(_at("20160610T014400Z", True, 60), NOW)
    assert e.value.code == "RequestExpired"
    assert e.value.message.startswith("Request has expired.")


def test_botocore_signature_with_a_stale_clock_is_refused_by_the_window():
    stale = datetime(2016, 6, 9, 18, 45, 12)
    with mock.patch("botocore.auth.get_current_datetime", return_value=stale):
        req = sign_header(b"Action=ListUsers")
    sr = sigv4.extract(_headers(req), {})
    with pytest.raises(AWSError, match="^Signature expired: 20160609T184512Z"):
        sigv4.check_clock(sr, NOW)


# -- the credential hint used by --auth off --------------------------------------------------

def test_credential_hint():
    req = sign_header(b"", region="eu-west-3", service="sts")
    assert sigv4.credential_hint(_headers(req), {}) == (KEY, "eu-west-3", "sts")
    assert sigv4.credential_hint({"authorization": "AWS4-HMAC-SHA256 Credential=testing/2026"}, {}) == \
        ("testing", "us-east-1", "iam")
    assert sigv4.credential_hint({"authorization": "garbage"}, {}) is None
    assert sigv4.credential_hint({}, {"X-Amz-Credential": "AKID/20261129/r/sts/aws4_request"}) == \
        ("AKID", "r", "sts")
    assert sigv4.credential_hint({}, {}) is None
