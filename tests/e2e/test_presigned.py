"""SigV4 presigned (query-string) form: URLs from botocore's `generate_presigned_url`, fetched
over raw HTTP, then expired, post-dated or tampered."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from unittest import mock
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from helpers import error_of

MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your "
            "AWS Secret Access Key and signing method. Consult the service documentation for details.")


def presign(client, op: str, params: dict | None = None, expires: int = 60, method: str | None = "GET",
            at: datetime | None = None) -> str:
    kw = {"Params": params or {}, "ExpiresIn": expires}
    if method:
        kw["HttpMethod"] = method
    if at is None:
        return client.generate_presigned_url(op, **kw)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.astimezone(timezone.utc)
                    .replace(tzinfo=None)):
        return client.generate_presigned_url(op, **kw)


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    q = dict(parse_qsl(parts.query, keep_blank_values=True))
    q.update(changes)
    return urlunsplit(parts._replace(query=urlencode(q)))


def ok(resp: httpx.Response) -> ET.Element:
    assert resp.status_code == 200, resp.text
    root = ET.fromstring(resp.content)
    return root


NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/", "iam": "https://iam.amazonaws.com/doc/2010-05-08/"}


def test_get_caller_identity_presigned_get(server, sts):
    root = ok(httpx.get(presign(sts, "get_caller_identity")))
    assert root.findtext("sts:GetCallerIdentityResult/sts:Arn", namespaces=NS) == \
        f"arn:aws:iam::{server.account_id}:root"


def test_presigned_url_acts_as_the_signing_user(server, iam, name):
    n = name("ps")
    iam.create_user(UserName=n)
    k = iam.create_access_key(UserName=n)["AccessKey"]
    sts = server.client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"], region="eu-north-1")
    url = presign(sts, "get_caller_identity", expires=900)
    root = ok(httpx.get(url))
    assert root.findtext("sts:GetCallerIdentityResult/sts:Arn", namespaces=NS).endswith(f":user/{n}")
    used = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("sts", "eu-north-1")
    iam.delete_access_key(UserName=n, AccessKeyId=k["AccessKeyId"])
    assert error_of(httpx.get(url)) == (403, "InvalidClientTokenId",
                                        "The security token included in the request is invalid")


def test_list_users_presigned_get_with_parameters(iam, name):
    prefix = f"/{name('pp')}/"
    made = sorted(name("pu") for _ in range(3))
    for n in made:
        iam.create_user(UserName=n, Path=prefix)
    url = presign(iam, "list_users", {"PathPrefix": prefix, "MaxItems": 2})
    root = ok(httpx.get(url))
    got = [e.text for e in root.iterfind("iam:ListUsersResult/iam:Users/iam:member/iam:UserName", NS)]
    assert got == made[:2]
    assert root.findtext("iam:ListUsersResult/iam:IsTruncated", namespaces=NS) == "true"


def test_url_signed_for_post_only_works_with_post(sts):
    url = presign(sts, "get_caller_identity", method=None)  # botocore's default: the operation's POST
    ok(httpx.post(url))
    assert error_of(httpx.get(url)) == (403, "SignatureDoesNotMatch", MISMATCH)


def test_tampered_or_extended_query_is_refused(iam):
    url = presign(iam, "list_users", {"MaxItems": 2})
    ok(httpx.get(url))
    assert error_of(httpx.get(with_query(url, MaxItems="3"))) == (403, "SignatureDoesNotMatch", MISMATCH)
    assert error_of(httpx.get(url + "&PathPrefix=%2Fx%2F")) == (403, "SignatureDoesNotMatch", MISMATCH)
    assert error_of(httpx.get(with_query(url, **{"X-Amz-Expires": "3600"})))[:2] == \
        (403, "SignatureDoesNotMatch")
    # a body smuggled under a presigned URL is not covered by its signature
    resp = httpx.post(presign(iam, "list_users", method="POST"), content=b"PathPrefix=%2Fx%2F",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(resp)[:2] == (403, "SignatureDoesNotMatch")


def test_expired_url_is_request_expired(sts):
    signed_at = datetime.now(timezone.utc) - timedelta(seconds=90)
    url = presign(sts, "get_caller_identity", expires=60, at=signed_at)
    status, code, msg = error_of(httpx.get(url))
    assert (status, code) == (400, "RequestExpired")
    assert msg.startswith("Request has expired.")


def test_expiry_not_the_fifteen_minute_window_bounds_a_presigned_url(sts):
    url = presign(sts, "get_caller_identity", expires=3600, at=datetime.now(timezone.utc) - timedelta(minutes=40))
    ok(httpx.get(url))


def test_post_dated_url_is_not_yet_current(sts):
    url = presign(sts, "get_caller_identity", at=datetime.now(timezone.utc) + timedelta(minutes=20))
    status, code, msg = error_of(httpx.get(url))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert msg.startswith("Signature not yet current: ")


@pytest.mark.parametrize("expires", ["604801", "-5", "soon"])
def test_expires_out_of_range_is_incomplete_signature(sts, expires):
    url = with_query(presign(sts, "get_caller_identity"), **{"X-Amz-Expires": expires})
    assert error_of(httpx.get(url))[:2] == (400, "IncompleteSignature")


def test_query_and_header_signatures_together_are_refused(server, sts):
    url = presign(sts, "get_caller_identity")
    resp = httpx.get(url, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=y"})
    status, code, msg = error_of(resp)
    assert (status, code) == (400, "IncompleteSignature") and "Only one auth mechanism" in msg


def test_missing_presign_parameter_is_incomplete_signature(sts):
    parts = urlsplit(presign(sts, "get_caller_identity"))
    q = [(k, v) for k, v in parse_qsl(parts.query) if k != "X-Amz-SignedHeaders"]
    resp = httpx.get(urlunsplit(parts._replace(query=urlencode(q))))
    status, code, msg = error_of(resp)
    assert (status, code) == (400, "IncompleteSignature") and "X-Amz-SignedHeaders" in msg
