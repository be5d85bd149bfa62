"""Fuzz a running iamd over HTTP (the session's `server`, SQLite and PostgreSQL).

Smaller budget than the in-process fuzz: this adds the real transport (uvicorn, the
engines, signature checking) to the same contract. Requests are SigV4-signed with the
root key so that they get past authentication into the parser and the handlers. The
server is shared by the whole session, so operations that change account-wide state, or
the root's own credentials when no user is named, are left out (another test's password
policy, alias or root key quota must not change under it); the in-process fuzz covers them.
"""

from urllib.parse import parse_qsl

import httpx
import pytest
from hypothesis import assume, given
from model_strategies import budget
from wire import check_answer, hostile_request, random_request

from iamd.protocol.model import catalog

ACCOUNT_WIDE = frozenset({
    "UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy", "CreateAccountAlias", "DeleteAccountAlias",
    "SetSecurityTokenServicePreferences", "GenerateCredentialReport",
    "EnableOutboundWebIdentityFederation", "DisableOutboundWebIdentityFederation",
    "EnableOrganizationsRootCredentialsManagement", "DisableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions", "DisableOrganizationsRootSessions",
    "CreateAccessKey", "UploadSigningCertificate",
})
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=TIMEOUT) as client:
        yield client


def _action(body: bytes) -> str | None:
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)).get("Action")


def send(server, http, body: bytes) -> httpx.Response:
    op = catalog().by_name.get(_action(body) or "")
    url, headers, _ = server.sign(body, service=op.service if op else "iam")
    return http.post(url, content=body, headers=headers)


def _run(server, http, request):
    method, body, query, _ = request
    if method != "POST":
        body = query  # the in-process fuzz covers GET; here the same bytes go as a body
    assume(_action(body) not in ACCOUNT_WIDE)
    answer = send(server, http, body)
    check_answer(answer.status_code, answer.content)


@budget(5)
@given(request=hostile_request())
def test_mutated_client_requests_over_http(server, http, request):
    _run(server, http, request)


@budget(3)
@given(request=random_request())
def test_random_requests_over_http(server, http, request):
    _run(server, http, request)


def test_signed_valid_request_round_trips(server, http):
    answer = send(server, http, b"Action=GetCallerIdentity&Version=2011-06-15")
    assert check_answer(answer.status_code, answer.content, "GetCallerIdentity") == ""


def test_nul_in_an_unpatterned_string_is_a_validation_error(server, http):
    # PostgreSQL cannot store U+0000; both engines must refuse it the same way, not with a 500.
    body = (b"Action=CreatePolicy&Version=2010-05-08&PolicyName=nul-check&PolicyDocument=%7B%7D"
            b"&Description=a%00b")
    answer = send(server, http, body)
    assert check_answer(answer.status_code, answer.content) == "ValidationError"
