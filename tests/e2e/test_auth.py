"""SigV4 header form over raw HTTP: requests signed by botocore's SigV4Auth, then tampered,
and the AWS error (code, status, message) each tampering earns. Also unsigned STS calls,
any region and both services, and last-used tracking (GetAccessKeyLastUsed)."""

import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from helpers import error_of, grant
from hypothesis import strategies as st

import boto3

MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your "
            "AWS Secret Access Key and signing method. Consult the service documentation for details.")
INVALID_TOKEN = "The security token included in the request is invalid"
AUTH_CODES = {"MissingAuthenticationToken", "IncompleteSignature", "SignatureDoesNotMatch",
              "InvalidClientTokenId"}
LIST_USERS = b"Action=ListUsers&Version=2010-05-08"
CALLER = b"Action=GetCallerIdentity&Version=2011-06-15"


def send(url: str, headers: dict, body: bytes, method: str = "POST") -> httpx.Response:
    return httpx.request(method, url, headers=headers, content=body, timeout=10)


@pytest.fixture
def user_key(iam, name):
    """A fresh user with one access key: (user name, key id, secret)."""
    n = name("auth")
    iam.create_user(UserName=n)
    k = iam.create_access_key(UserName=n)["AccessKey"]
    return n, k["AccessKeyId"], k["SecretAccessKey"]


# -- what is accepted --------------------------------------------------------------------------

def test_signed_request_is_accepted_in_any_region(server):
    for region in ("us-east-1", "eu-west-3", "local", "mars-north-7"):
        resp = send(*server.sign(region=region))
        assert resp.status_code == 200, resp.text
        assert resp.text.startswith("<ListUsersResponse")
        resp = send(*server.sign(CALLER, service="sts", region=region))
        assert resp.status_code == 200 and f"<Account>{server.account_id}</Account>" in resp.text


def test_both_services_through_boto3_in_several_regions(server, name):
    for region in ("ap-southeast-2", "eu-central-1"):
        assert server.client("sts", region=region).get_caller_identity()["Account"] == server.account_id
        iam = server.client("iam", region=region)
        n = name("rg")
        iam.create_user(UserName=n)
        assert iam.get_user(UserName=n)["User"]["UserName"] == n


def test_separators_without_spaces_are_accepted(server):
    url, headers, body = server.sign()
    headers["Authorization"] = headers["Authorization"].replace(", ", ",")
    assert send(url, headers, body).status_code == 200


def test_get_with_the_query_signed_in_the_header(server):
    url, headers, body = server.sign(b"", method="GET", query="Action=ListUsers&Version=2010-05-08&MaxItems=1")
    resp = send(url, headers, body, "GET")
    assert resp.status_code == 200 and "<ListUsersResult>" in resp.text
    resp = send(url.replace("MaxItems=1", "MaxItems=2"), headers, body, "GET")
    assert error_of(resp) == (403, "SignatureDoesNotMatch", MISMATCH)


def test_endpoint_with_a_path_prefix_verifies(server):
    iam = boto3.client("iam", endpoint_url=server.endpoint + "/some/prefix%20x/", region_name="us-east-1",
                       aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                       config=Config(retries={"max_attempts": 1}))
    assert "Users" in iam.list_users(MaxItems=1)


def test_clock_within_fifteen_minutes_is_accepted(server):
    now = datetime.now(timezone.utc)
    for skew in (-14, 14):
        resp = send(*server.sign(at=now + timedelta(minutes=skew)))
        assert resp.status_code == 200, resp.text


# -- what is refused, and how --------------------------------------------------------------------

def test_unsigned_request_is_missing_authentication_token(server):
    resp = send(f"{server.endpoint}/", {"Content-Type": "application/x-www-form-urlencoded"}, LIST_USERS)
    assert error_of(resp) == (403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    resp = httpx.get(f"{server.endpoint}/?Action=GetCallerIdentity&Version=2011-06-15")
    assert error_of(resp)[:2] == (403, "MissingAuthenticationToken")


def test_unknown_key_is_invalid_client_token_id(server):
    resp = send(*server.sign(key="AKIAXXXXXXXXXXXXXXXX", secret="nope"))
    assert error_of(resp) == (403, "InvalidClientTokenId", INVALID_TOKEN)
    resp = send(*server.sign(key="AK!A%20", secret="nope"))  # cannot even name a key
    assert error_of(resp) == (403, "InvalidClientTokenId", INVALID_TOKEN)


def test_inactive_and_deleted_keys_are_invalid_client_token_id(server, iam, user_key):
    n, key, secret = user_key
    mine = server.client("sts", key=key, secret=secret)
    assert mine.get_caller_identity()["Arn"].endswith(f":user/{n}")
    iam.update_access_key(UserName=n, AccessKeyId=key, Status="Inactive")
    with pytest.raises(ClientError) as e:
        mine.get_caller_identity()
    assert e.value.response["Error"] == {"Type": "Sender", "Code": "InvalidClientTokenId", "Message": INVALID_TOKEN}
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    iam.update_access_key(UserName=n, AccessKeyId=key, Status="Active")
    assert mine.get_caller_identity()["Arn"].endswith(f":user/{n}")
    iam.delete_access_key(UserName=n, AccessKeyId=key)
    with pytest.raises(ClientError) as e:
        mine.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_wrong_secret_is_signature_does_not_match(server, user_key):
    _, key, secret = user_key
    resp = send(*server.sign(key=key, secret=secret[:-1] + ("A" if secret[-1] != "A" else "B")))
    assert error_of(resp) == (403, "SignatureDoesNotMatch", MISMATCH)


def test_tampered_body_is_signature_does_not_match(server):
    url, headers, body = server.sign(b"Action=ListUsers&Version=2010-05-08&MaxItems=1")
    assert send(url, headers, body).status_code == 200
    for forged in (b"Action=ListUsers&Version=2010-05-08&MaxItems=2",
                   b"Action=ListUsers&Version=2010-05-08&MaxItems=1&PathPrefix=/x/",
                   b"Action=ListUsers&Version=2010-05-08&MaxItems=1 "):
        headers["Content-Length"] = str(len(forged))
        assert error_of(send(url, headers, forged)) == (403, "SignatureDoesNotMatch", MISMATCH)


def test_tampered_signed_header_is_signature_does_not_match(server):
    url, headers, body = server.sign()
    headers["X-Amz-Date"] = headers["X-Amz-Date"][:-3] + ("00Z" if not headers["X-Amz-Date"].endswith("00Z")
                                                          else "01Z")
    assert error_of(send(url, headers, body)) == (403, "SignatureDoesNotMatch", MISMATCH)


def test_payload_hash_header_is_checked(server):
    url, headers, body = server.sign()
    headers["X-Amz-Content-SHA256"] = "0" * 64
    status, code, _ = error_of(send(url, headers, body))
    assert (status, code) == (400, "XAmzContentSHA256Mismatch")
    headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"  # the body carries the parameters
    assert error_of(send(url, headers, body))[:2] == (400, "XAmzContentSHA256Mismatch")


def test_stale_and_future_dates_are_refused_with_aws_messages(server):
    now = datetime.now(timezone.utc)
    status, code, msg = error_of(send(*server.sign(at=now - timedelta(minutes=16))))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert msg.startswith("Signature expired: ") and msg.endswith(" - 15 min.)")
    assert " is now earlier than " in msg
    status, code, msg = error_of(send(*server.sign(at=now + timedelta(minutes=16))))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert msg.startswith("Signature not yet current: ") and msg.endswith(" + 15 min.)")


def test_scope_date_must_match_x_amz_date(server):
    url, headers, body = server.sign()
    day = headers["X-Amz-Date"][:8]
    other = (datetime.strptime(day, "%Y%m%d") - timedelta(days=1)).strftime("%Y%m%d")
    headers["Authorization"] = headers["Authorization"].replace(f"/{day}/", f"/{other}/")
    status, code, msg = error_of(send(url, headers, body))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert msg.startswith("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date")


def test_scope_must_name_the_operations_service(server):
    resp = send(*server.sign(LIST_USERS, service="sts"))
    assert error_of(resp) == (403, "SignatureDoesNotMatch",
                              "Credential should be scoped to correct service: 'iam'. ")
    resp = send(*server.sign(CALLER, service="s3"))
    assert error_of(resp)[:2] == (403, "SignatureDoesNotMatch")


@pytest.mark.parametrize("mangle, fragment", [
    (lambda a: a.split(", Signature=")[0], "Authorization header requires 'Signature' parameter."),
    (lambda a: a.replace("SignedHeaders=", "Signed="), "Authorization header requires 'SignedHeaders' parameter."),
    (lambda a: "Bearer token", "Authorization header requires 'Credential' parameter."),
    (lambda a: a.replace("Credential=", "Credential= "), "not a valid key=value pair (missing equal-sign)"),
])
def test_malformed_authorization_is_incomplete_signature(server, mangle, fragment):
    url, headers, body = server.sign()
    headers["Authorization"] = mangle(headers["Authorization"])
    status, code, msg = error_of(send(url, headers, body))
    assert (status, code) == (400, "IncompleteSignature") and fragment in msg


def test_missing_date_is_incomplete_signature(server):
    url, headers, body = server.sign()
    del headers["X-Amz-Date"]
    status, code, msg = error_of(send(url, headers, body))
    assert (status, code) == (400, "IncompleteSignature")
    assert "requires existence of either a 'X-Amz-Date' or a 'Date' header" in msg


def test_session_token_that_was_never_issued_is_invalid(server):
    url, headers, body = server.sign()
    headers["X-Amz-Security-Token"] = "FwoGZXIvYXdzEJr//////////wEaDHqa0AP"
    assert error_of(send(url, headers, body)) == (403, "InvalidClientTokenId", INVALID_TOKEN)


@pytest.mark.parametrize("op, params", [
    ("assume_role_with_web_identity", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "sess",
                                       "WebIdentityToken": "x" * 10}),
    ("assume_role_with_saml", {"RoleArn": "arn:aws:iam::123456789012:role/r",
                               "PrincipalArn": "arn:aws:iam::123456789012:saml-provider/p",
                               "SAMLAssertion": "x" * 10}),
])
def test_unsigned_sts_calls_reach_the_handler(server, op, params):
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1},
                                     parameter_validation=False))
    try:
        getattr(sts, op)(**params)
    except ClientError as exc:  # the handler's own verdict on a bogus token, or 501 until it lands
        code, status = exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]
        assert code not in AUTH_CODES and status < 500 or (code, status) == ("NotImplemented", 501), (code, status)
    with pytest.raises(ClientError) as e:  # parsed and validated like any call: it got past auth
        getattr(sts, op)(**{**params, "RoleArn": "short"})
    assert e.value.response["Error"]["Code"] == "ValidationError"


# -- last use -------------------------------------------------------------------------------

def test_last_use_is_recorded_with_region_and_service(server, iam, user_key):
    n, key, secret = user_key
    before = iam.get_access_key_last_used(AccessKeyId=key)
    assert before["UserName"] == n
    assert before["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    t0 = time.time()
    server.client("sts", key=key, secret=secret, region="eu-central-1").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts" and used["Region"] == "eu-central-1"
    assert t0 - 2 <= used["LastUsedDate"].timestamp() <= time.time() + 1
    # AWS records the first use in any 15-minute span: later calls in the span change nothing
    grant(iam, n, "iam:ListUsers")
    server.client("iam", key=key, secret=secret, region="us-west-2").list_users(MaxItems=1)
    again = iam.get_access_key_last_used(AccessKeyId=key)["AccessKeyLastUsed"]
    assert again == used


def test_refused_requests_do_not_count_as_use(server, iam, user_key):
    _, key, secret = user_key
    send(*server.sign(key=key, secret=secret + "x"))
    assert iam.get_access_key_last_used(AccessKeyId=key)["AccessKeyLastUsed"]["ServiceName"] == "N/A"


def test_root_key_use_is_recorded(server, iam):
    server.client("sts").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=server.access_key)["AccessKeyLastUsed"]
    assert used["ServiceName"] in ("iam", "sts") and used["LastUsedDate"].timestamp() <= time.time() + 1


# -- no input about the signature, however mangled, earns a 500 -----------------------------

# header values as an HTTP client can send them: printable, no surrounding whitespace
_printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80).map(str.strip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(auth=_printable, date=_printable, extra=st.sampled_from(["", "X-Amz-Security-Token", "X-Amz-Content-SHA256"]))
def test_mangled_authorization_never_fails_the_server(server, auth, date, extra):
    url, headers, body = server.sign()
    headers["Authorization"] = headers["Authorization"][:20] + auth
    headers["X-Amz-Date"] = date
    if extra:
        headers[extra] = auth
    status = send(url, headers, body).status_code
    assert 400 <= status < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                              "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"]),
       value=st.text(max_size=40))
def test_mangled_presign_parameters_never_fail_the_server(server, field, value):
    q = {"Action": "GetCallerIdentity", "Version": "2011-06-15", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
         "X-Amz-Credential": f"{server.access_key}/20261129/us-east-1/sts/aws4_request",
         "X-Amz-Date": "20261129T120000Z", "X-Amz-Expires": "60", "X-Amz-SignedHeaders": "host",
         "X-Amz-Signature": "0" * 64, field: value}
    status = httpx.get(f"{server.endpoint}/?{urlencode(q)}").status_code
    assert 400 <= status < 500
