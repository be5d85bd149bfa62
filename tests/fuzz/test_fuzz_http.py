"""Fuzz a running iamd over HTTP (the session's `server`, SQLite and PostgreSQL).

Smaller budget than the in-process fuzz: this adds the real transport (uvicorn, the
engines, signature checking) to the same contract. Requests are SigV4-signed with the
root key so that they get past authentication into the parser and the handlers. The
server is shared by the whole session, so operations that change account-wide state, or
the root's own credentials when no user is named, are left out (another test's password
policy, alias or root key quota must not change under it); the in-process fuzz covers them.
"""

import re
import secrets
from urllib.parse import parse_qsl

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from model_strategies import budget
from wire import check_answer, encode, hostile_request, random_request

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


# -- non-ASCII names, tag keys and values, on both engines (the folded-key column, issue 10) --

# Characters whose case mappings are special: İ lower-cases to two characters, ß and ﬁ
# upper-case to two, final and medial sigma, long s, Kelvin sign, title-case digraphs.
TRICKY = "\u0130\u0131\u00df\ufb01\u03a3\u03c3\u03c2\u017f\u212a\u01c5\u0390\u0149\u01f0\u1e9e\u00e9"
TRUST = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}}'
_tag_alphabet = st.one_of(st.sampled_from(TRICKY), st.characters(categories=("L", "N", "Zs")))


def _text(max_size: int):
    """Mostly short, now and then at the model's maximum, made of the tricky letters."""
    return st.one_of(st.text(_tag_alphabet, min_size=1, max_size=max_size),
                     st.sampled_from(TRICKY).map(lambda c: c * max_size))


def _tags(key, value) -> list[tuple[str, str]]:
    return [("Tags.member.1.Key", key), ("Tags.member.1.Value", value)]


def _unicode_calls(name: str, key: str, value: str, tagged_user: str, tagged_role: str):
    """(body pairs, whether the model accepts them) for each call of the round."""
    policy = TRUST
    ok_name = "fz-" + secrets.token_hex(6)
    # Names are ASCII ([\w+=,.@-], Java's \w): others are refused; an ASCII one may exist.
    named = None if re.fullmatch(r"[\w+=,.@-]+", name, re.ASCII) else False
    return [
        ([("Action", "CreateUser"), ("UserName", name)], named),
        ([("Action", "GetUser"), ("UserName", name)], named),
        ([("Action", "CreateGroup"), ("GroupName", name)], named),
        ([("Action", "CreateRole"), ("RoleName", name), ("AssumeRolePolicyDocument", policy)], named),
        ([("Action", "CreateUser"), ("UserName", ok_name), *_tags(key, value)], True),
        ([("Action", "CreateRole"), ("RoleName", ok_name), ("AssumeRolePolicyDocument", policy),
          *_tags(key, value)], True),
        ([("Action", "TagUser"), ("UserName", tagged_user), *_tags(key, value)], True),
        ([("Action", "TagUser"), ("UserName", tagged_user), *_tags(key.upper()[:128], value)], None),
        ([("Action", "UntagUser"), ("UserName", tagged_user), ("TagKeys.member.1", key)], True),
        ([("Action", "TagRole"), ("RoleName", tagged_role), *_tags(key, value)], True),
        ([("Action", "UntagRole"), ("RoleName", tagged_role), ("TagKeys.member.1", key.lower()[:128])], None),
    ]


@pytest.fixture(scope="module")
def tagged(server):
    iam = server.client("iam")
    user, role = "fz-u-" + secrets.token_hex(4), "fz-r-" + secrets.token_hex(4)
    iam.create_user(UserName=user)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    return user, role


@budget(3)
@given(name=_text(64), key=_text(128), value=st.one_of(st.just(""), _text(256)))
def test_non_ascii_names_keys_and_values(server, http, tagged, name, key, value):
    for pairs, valid in _unicode_calls(name, key, value, *tagged):
        body = encode([*pairs, ("Version", "2010-05-08")])
        answer = send(server, http, body)
        got = check_answer(answer.status_code, answer.content)
        if valid is not None:
            assert (got == "") == valid, (pairs[0][1], got, answer.content[:300])
