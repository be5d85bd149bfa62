"""Temporary credentials (reference §7.1, §7.3–7.5): how a session token authenticates, expires
and is refused; GetSessionToken, GetFederationToken and GetCallerIdentity for every kind of
principal; revoking a role's older sessions as AWS's console does."""

import json
import os
import time
from datetime import datetime, timezone

import httpx
import pyotp
import pytest
from botocore.exceptions import ClientError

from helpers import client_of, code_status, enable_mfa, error
from iamd.auth.session_tokens import seal
from iamd.service import ids
from iamd.store.crypto import SecretBox
from sts_helpers import allow, make_role, session_client, trust_of, user_with_sts

INVALID = ("InvalidClientTokenId", "The security token included in the request is invalid", 403)


@pytest.fixture
def role_session(server, iam, name):
    """(credentials, role name) of a fresh role session allowed iam:ListRoles and sts:*."""
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role = name("r")
    role_arn = make_role(iam, role, trust_of(user_arn), "iam:ListRoles", "sts:GetAccessKeyInfo")
    return sts.assume_role(RoleArn=role_arn, RoleSessionName="sess")["Credentials"], role


def _with(creds: dict, **changes) -> dict:
    return {**creds, **changes}


def test_a_temporary_key_needs_its_own_token(server, role_session):
    creds, _ = role_session
    session_client(server, creds).list_roles()
    for bad in (_with(creds, SessionToken=creds["SessionToken"][:-3] + ("AAA" if creds["SessionToken"][-3:] != "AAA"
                                                                           else "BBB")),
                _with(creds, SessionToken="made-up"),
                _with(creds, SessionToken=seal({"k": creds["AccessKeyId"]}, SecretBox(os.urandom(32)))),
                _with(creds, AccessKeyId=ids.access_key_id(server.account_id, "ASIA"))):
        with pytest.raises(ClientError) as e:
            session_client(server, bad).list_roles()
        assert error(e) == INVALID
    with pytest.raises(ClientError) as e:  # the key without its token
        server.client("iam", creds["AccessKeyId"], creds["SecretAccessKey"]).list_roles()
    assert error(e) == INVALID
    with pytest.raises(ClientError) as e:  # the token, another secret
        session_client(server, _with(creds, SecretAccessKey="x" * 40)).list_roles()
    assert code_status(e) == ("SignatureDoesNotMatch", 403)


def test_an_expired_token_is_refused(server, iam, name):
    # a token as iamd seals it, minted an hour ago for 15 minutes (the API cannot mint it)
    user = name("u")
    user_id = iam.create_user(UserName=user)["User"]["UserId"]
    box = SecretBox.load(server.data_dir)
    key, now = ids.access_key_id(server.account_id, "ASIA"), time.time()
    claims = {"v": 1, "k": key, "s": "s" * 40, "a": server.account_id, "iat": now - 3600, "exp": now - 2700,
              "t": "user", "ui": user_id, "ua": f"arn:aws:iam::{server.account_id}:user/{user}"}
    creds = {"AccessKeyId": key, "SecretAccessKey": "s" * 40, "SessionToken": seal(claims, box)}
    with pytest.raises(ClientError) as e:
        session_client(server, creds, "sts").get_caller_identity()
    assert error(e) == ("ExpiredToken", "The security token included in the request is expired", 403)
    claims["exp"] = now + 600
    fresh = {**creds, "SessionToken": seal(claims, box)}
    assert session_client(server, fresh, "sts").get_caller_identity()["Arn"].endswith(f":user/{user}")


def test_a_presigned_url_carries_the_token(server, role_session):
    creds, role = role_session
    url = session_client(server, creds, "sts").generate_presigned_url("get_caller_identity", ExpiresIn=60,
                                                                      HttpMethod="GET")
    assert "X-Amz-Security-Token=" in url
    resp = httpx.get(url)
    assert resp.status_code == 200 and f"assumed-role/{role}/sess" in resp.text


def test_sessions_survive_a_restart_and_hold_on_every_worker(server_factory, server, name):
    srv = server_factory(server.engine, extra_args=["--no-access-log", "--workers", "2"]).start()
    iam = srv.client("iam")
    user_arn, sts = user_with_sts(srv, iam, name("u"))
    role_arn = make_role(iam, name("r"), trust_of(user_arn), "iam:ListRoles")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="sess")["Credentials"]
    client = session_client(srv, creds)
    for _ in range(8):  # new connections, spread over the workers
        client.list_roles()
        client = session_client(srv, creds)
    srv.stop()
    srv.start()
    session_client(srv, creds).list_roles()


def test_caller_identity_of_every_kind_of_principal(server, iam, sts, name):
    root = sts.get_caller_identity()
    assert (root["UserId"], root["Arn"]) == (server.account_id, f"arn:aws:iam::{server.account_id}:root")
    user = name("u")
    user_id = iam.create_user(UserName=user, Path="/p/")["User"]["UserId"]
    user_sts = client_of(server, iam, user, "sts", allow=("sts:GetFederationToken",))
    me = user_sts.get_caller_identity()
    assert (me["UserId"], me["Arn"]) == (user_id, f"arn:aws:iam::{server.account_id}:user/p/{user}")
    own = session_client(server, user_sts.get_session_token()["Credentials"], "sts").get_caller_identity()
    assert (own["UserId"], own["Arn"]) == (user_id, me["Arn"])
    root_session = session_client(server, sts.get_session_token()["Credentials"], "sts").get_caller_identity()
    assert (root_session["UserId"], root_session["Arn"]) == (root["UserId"], root["Arn"])
    fed = user_sts.get_federation_token(Name="bob", Policy=allow("iam:ListRoles"))
    assert fed["FederatedUser"] == {"FederatedUserId": f"{server.account_id}:bob",
                                    "Arn": f"arn:aws:sts::{server.account_id}:federated-user/bob"}
    who = session_client(server, fed["Credentials"], "sts").get_caller_identity()
    assert (who["UserId"], who["Arn"], who["Account"]) == (f"{server.account_id}:bob",
                                                          fed["FederatedUser"]["Arn"], server.account_id)


def test_get_session_token_durations(server, iam, sts, name):
    def lasts(out):
        return out["Credentials"]["Expiration"].timestamp() - time.time()
    assert 3500 < lasts(sts.get_session_token(DurationSeconds=129600)) <= 3600  # root: cut to an hour
    user = name("u")
    iam.create_user(UserName=user)
    user_sts = client_of(server, iam, user, "sts", validate=False)
    assert 43100 < lasts(user_sts.get_session_token()) <= 43200
    assert 129500 < lasts(user_sts.get_session_token(DurationSeconds=129600)) <= 129600
    for bad in (899, 129601):
        with pytest.raises(ClientError) as e:
            user_sts.get_session_token(DurationSeconds=bad)
        assert code_status(e) == ("ValidationError", 400)


def test_get_session_token_with_mfa_opens_iam_and_sets_the_mfa_keys(server, iam, name):
    user = name("u")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="mfa", PolicyDocument=allow(
        "iam:ListRoles", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    user_sts = client_of(server, iam, user, "sts")
    plain = session_client(server, user_sts.get_session_token()["Credentials"])
    with pytest.raises(ClientError) as e:  # no MFA: no IAM at all
        plain.list_roles()
    assert error(e) == INVALID
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("d"))["VirtualMFADevice"]
    enable_mfa(iam, user, device, offset=-30)
    code = pyotp.TOTP(device["Base32StringSeed"].decode()).now()
    creds = user_sts.get_session_token(SerialNumber=device["SerialNumber"], TokenCode=code)["Credentials"]
    session_client(server, creds).list_roles()
    with pytest.raises(ClientError) as e:  # the long-term key has no MFA
        client_of(server, iam, user).list_roles()
    assert code_status(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:  # GetSessionToken credentials: only AssumeRole, GetCallerIdentity
        session_client(server, creds, "sts").get_session_token()
    assert error(e) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


def test_federation_token_rights_are_the_users_cut_by_the_session_policy(server, iam, name):
    user = name("u")
    iam.create_user(UserName=user)
    user_sts = client_of(server, iam, user, "sts", allow=("sts:GetFederationToken", "sts:GetAccessKeyInfo",
                                                          "sts:GetCallerIdentity"))
    none = user_sts.get_federation_token(Name="nopol")
    assert none["PackedPolicySize"] == 0
    with pytest.raises(ClientError) as e:  # no session policy: no rights
        session_client(server, none["Credentials"], "sts").get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert code_status(e) == ("AccessDenied", 403)
    some = user_sts.get_federation_token(Name="pol", Policy=allow("sts:GetAccessKeyInfo", "sts:DecodeAuthorizationMessage"))
    assert some["PackedPolicySize"] > 0
    fed = session_client(server, some["Credentials"], "sts")
    with pytest.raises(ClientError) as e:  # a federated user calls no STS operation but GetCallerIdentity
        fed.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert code_status(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:  # nor IAM
        session_client(server, some["Credentials"]).list_roles()
    assert error(e) == INVALID
    other = name("u")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as e:  # a user needs sts:GetFederationToken
        client_of(server, iam, other, "sts").get_federation_token(Name="fed")
    assert error(e) == ("AccessDenied", f"User: arn:aws:iam::{server.account_id}:user/{other} is not authorized to "
                        f"perform: sts:GetFederationToken on resource: arn:aws:sts::{server.account_id}:"
                        "federated-user/fed because no identity-based policy allows the sts:GetFederationToken "
                        "action", 403)


def test_revoking_older_sessions_with_a_token_issue_time_deny(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role = name("r")
    role_arn = make_role(iam, role, trust_of(user_arn), "iam:ListRoles")
    old = session_client(server, sts.assume_role(RoleArn=role_arn, RoleSessionName="old")["Credentials"])
    old.list_roles()
    # the console's "Revoke active sessions": deny everything to tokens issued before now
    while time.time() % 1 > 0.8:  # not at the edge of a second: the next second is "after"
        time.sleep(0.05)
    cutoff = datetime.fromtimestamp(int(time.time()) + 1, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    iam.put_role_policy(RoleName=role, PolicyName="AWSRevokeOlderSessions", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                 "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}]}))
    with pytest.raises(ClientError) as e:
        old.list_roles()
    assert error(e)[1].endswith("with an explicit deny in an identity-based policy")
    while datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") < cutoff:
        time.sleep(0.1)
    fresh = sts.assume_role(RoleArn=role_arn, RoleSessionName="new")["Credentials"]
    session_client(server, fresh).list_roles()
    client_of(server, iam, user_arn.rsplit("/", 1)[1], allow=("iam:ListRoles",)).list_roles()  # long-term keys: no
