"""iamd as an OIDC issuer: enable/disable/info, GetWebIdentityToken, the discovery document
and JWKS it serves (tokens verified with PyJWT against them), key rotation."""

import json
import time

import boto3
import httpx
import jwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import update

from helpers import client_of, code_status, db

from iamd.store.schema.issuer import issuer_keys


@pytest.fixture(scope="module")
def srv(own_server):
    return own_server


def new_user(srv, name) -> str:
    u = name("u")
    srv.client("iam").create_user(UserName=u)
    return u


def verify(token: str, issuer: str, audience: str) -> dict:
    """What any relying party does: discovery, then JWKS, then PyJWT."""
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer
    client = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(token, key, algorithms=discovery["id_token_signing_alg_values_supported"],
                      audience=audience, issuer=issuer)


def test_enable_info_disable(srv):
    iam = srv.client("iam")
    with pytest.raises(ClientError) as e:
        iam.get_outbound_web_identity_federation_info()
    assert code_status(e) == ("FeatureDisabled", 404)
    with pytest.raises(ClientError) as e:
        srv.client("sts").get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256")
    assert code_status(e) == ("OutboundWebIdentityFederationDisabledException", 403)
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith(f"{srv.endpoint}/issuer/")
    with pytest.raises(ClientError) as e:
        iam.enable_outbound_web_identity_federation()
    assert code_status(e) == ("FeatureEnabled", 409)
    info = iam.get_outbound_web_identity_federation_info()
    assert info["IssuerIdentifier"] == issuer and info["JwtVendingEnabled"] is True
    iam.disable_outbound_web_identity_federation()
    assert httpx.get(f"{issuer}/.well-known/jwks.json").status_code == 404
    with pytest.raises(ClientError) as e:
        iam.disable_outbound_web_identity_federation()
    assert code_status(e) == ("FeatureDisabled", 404)
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


@pytest.fixture(scope="module")
def issuer(srv):
    iam = srv.client("iam")
    try:
        return iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    except ClientError:
        return iam.get_outbound_web_identity_federation_info()["IssuerIdentifier"]


@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_token_verifies_against_the_served_jwks(srv, issuer, name, algorithm):
    u = new_user(srv, name)
    sts = client_of(srv, srv.client("iam"), u, "sts", allow=("sts:GetWebIdentityToken",))
    out = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=algorithm,
                                     DurationSeconds=120, Tags=[{"Key": "team", "Value": "blue"}])
    assert 110 <= out["Expiration"].timestamp() - time.time() <= 120
    claims = verify(out["WebIdentityToken"], issuer, "https://api.example.com")
    assert claims["sub"] == f"arn:aws:iam::{srv.account_id}:user/{u}"
    assert claims["https://sts.amazonaws.com/"]["request_tags"] == {"team": "blue"}
    assert jwt.get_unverified_header(out["WebIdentityToken"])["alg"] == algorithm
    with pytest.raises(jwt.InvalidAudienceError):
        verify(out["WebIdentityToken"], issuer, "https://someone-else.example.com")


def test_permission_and_conditions(srv, issuer, name):
    u = new_user(srv, name)
    iam = srv.client("iam")
    sts = client_of(srv, iam, u, "sts")
    with pytest.raises(ClientError) as e:
        sts.get_web_identity_token(Audience=["a"], SigningAlgorithm="RS256")
    assert code_status(e) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=u, PolicyName="tok", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetWebIdentityToken",
                                                "Resource": "*", "Condition": {
                                                    "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": "ok"},
                                                    "NumericLessThanEquals": {"sts:DurationSeconds": "300"}}}]}))
    assert sts.get_web_identity_token(Audience=["ok"], SigningAlgorithm="RS256", DurationSeconds=300)
    for kw in ({"Audience": ["other"], "DurationSeconds": 300}, {"Audience": ["ok"], "DurationSeconds": 600}):
        with pytest.raises(ClientError) as e:
            sts.get_web_identity_token(SigningAlgorithm="RS256", **kw)
        assert code_status(e) == ("AccessDenied", 403)


def test_rotation_keeps_the_old_key_published(srv, issuer):
    sts = srv.client("sts")
    old = sts.get_web_identity_token(Audience=["rot"], SigningAlgorithm="RS256")["WebIdentityToken"]
    old_kid = jwt.get_unverified_header(old)["kid"]
    engine = db(srv)
    try:
        with engine.begin() as conn:  # age the current key past the rotation period
            conn.execute(update(issuer_keys).where(issuer_keys.c.kid == old_kid)
                         .values(created_at=time.time() - 31 * 86400))
        new = sts.get_web_identity_token(Audience=["rot"], SigningAlgorithm="RS256")["WebIdentityToken"]
        new_kid = jwt.get_unverified_header(new)["kid"]
        assert new_kid != old_kid
        kids = {k["kid"] for k in httpx.get(f"{issuer}/.well-known/jwks.json").json()["keys"]}
        assert {old_kid, new_kid} <= kids
        assert verify(old, issuer, "rot")["aud"] == "rot" and verify(new, issuer, "rot")["aud"] == "rot"
        with engine.begin() as conn:  # long after the rotation, the old key is withdrawn
            conn.execute(update(issuer_keys).where(issuer_keys.c.kid == old_kid)
                         .values(retired_at=time.time() - 3 * 86400))
        kids = {k["kid"] for k in httpx.get(f"{issuer}/.well-known/jwks.json").json()["keys"]}
        assert old_kid not in kids and new_kid in kids
        with pytest.raises(jwt.PyJWKClientError):
            verify(old, issuer, "rot")
    finally:
        engine.dispose()


def test_private_keys_are_stored_encrypted(srv, issuer):
    srv.client("sts").get_web_identity_token(Audience=["enc"], SigningAlgorithm="ES384")
    engine = db(srv)
    try:
        with engine.connect() as conn:
            stored = [r.private_key for r in conn.execute(issuer_keys.select())]
    finally:
        engine.dispose()
    assert stored and not any("PRIVATE KEY" in s for s in stored)


def test_unknown_issuer_paths_are_not_found(srv):
    assert httpx.get(f"{srv.endpoint}/issuer/nope/.well-known/jwks.json").status_code == 404
    assert httpx.get(f"{srv.endpoint}/issuer/").status_code == 404


def test_role_session_token_names_the_role_and_stays_within_the_session(srv, issuer, name):
    iam = srv.client("iam")
    u, role = new_user(srv, name), name("r")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{srv.account_id}:root"}}]}
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="tok", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetWebIdentityToken",
                                                "Resource": "*"}]}))
    user_sts = client_of(srv, iam, u, "sts", allow=("sts:AssumeRole",))
    creds = user_sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", DurationSeconds=900)["Credentials"]
    session = boto3.client("sts", endpoint_url=srv.endpoint, region_name="us-east-1",
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    token = session.get_web_identity_token(Audience=["a"], SigningAlgorithm="RS256", DurationSeconds=60)
    assert verify(token["WebIdentityToken"], issuer, "a")["sub"] == role_arn
    with pytest.raises(ClientError) as e:
        session.get_web_identity_token(Audience=["a"], SigningAlgorithm="RS256", DurationSeconds=3600)
    assert code_status(e) == ("SessionDurationEscalationException", 403)


def test_own_tokens_cannot_federate_back_in(srv, issuer):
    token = srv.client("sts").get_web_identity_token(Audience=["sts.amazonaws.com"],
                                                     SigningAlgorithm="RS256")["WebIdentityToken"]
    sts = boto3.client("sts", endpoint_url=srv.endpoint, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED))
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{srv.account_id}:role/any",
                                          RoleSessionName="xx", WebIdentityToken=token)
    assert code_status(e) == ("InvalidIdentityToken", 400)
