"""AssumeRoleWithWebIdentity against a real issuer on loopback: GitHub-Actions-shaped and
Kubernetes (IRSA) shaped tokens, RS256 and ES256, boto3's own web-identity credential
provider, and every way a token is refused."""

import json
import subprocess
import sys
import time

import boto3
import jwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import code_status, message
from oidc_issuer import LoopbackIssuer

GH = "_services/token"  # GitHub Enterprise Server's issuer path: AWS maps GitHub's claims
EKS = "id/EXAMPLED539D4633E53DE1B71EXAMPLE"


@pytest.fixture(scope="module")
def issuer():
    idp = LoopbackIssuer()
    idp.add(GH)
    idp.add(EKS)
    idp.add("dex")
    yield idp
    idp.stop()


@pytest.fixture(scope="module")
def srv(server, server_factory, issuer):
    args = ["--no-access-log"]
    for path in (GH, EKS, "dex"):
        args += ["--allow-http-issuer", issuer.url(path)]
    s = server_factory(server.engine, extra_args=args).start()
    iam = s.client("iam")
    iam.create_open_id_connect_provider(Url=issuer.url(GH), ClientIDList=["sts.amazonaws.com"])
    iam.create_open_id_connect_provider(Url=issuer.url(EKS), ClientIDList=["sts.amazonaws.com"])
    return s


def unsigned_sts(srv):
    return boto3.client("sts", endpoint_url=srv.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def provider(issuer, path: str) -> str:
    return issuer.url(path).split("://", 1)[1]


def role(srv, name: str, issuer, path: str, conditions: dict, max_duration: int = 3600) -> str:
    acct = srv.account_id
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": f"arn:aws:iam::{acct}:oidc-provider/{provider(issuer, path)}"},
        "Condition": conditions}]}
    return srv.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                                         MaxSessionDuration=max_duration)["Role"]["Arn"]


def github_claims(repo="octo-org/octo-repo", ref="refs/heads/main"):
    return {"sub": f"repo:{repo}:ref:{ref}", "aud": "sts.amazonaws.com", "repository": repo, "ref": ref,
            "repository_id": "123456", "actor": "octocat", "workflow": "deploy",
            "job_workflow_ref": f"{repo}/.github/workflows/deploy.yml@{ref}", "event_name": "push"}


def irsa_claims(sa="default:app"):
    ns, name = sa.split(":")
    return {"sub": f"system:serviceaccount:{ns}:{name}", "aud": ["sts.amazonaws.com"],
            "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": name, "uid": "u-1"}}}


def github_role(srv, issuer, name, repo="octo-org/octo-repo"):
    p = provider(issuer, GH)
    return role(srv, name, issuer, GH, {"StringEquals": {f"{p}:aud": "sts.amazonaws.com", f"{p}:repository": repo},
                                        "StringLike": {f"{p}:sub": f"repo:{repo}:*"}})


def assume(srv, role_arn, token, session="ci", **kw):
    return unsigned_sts(srv).assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName=session,
                                                           WebIdentityToken=token, **kw)


def refused(srv, role_arn, token, **kw) -> tuple:
    with pytest.raises(ClientError) as e:
        assume(srv, role_arn, token, **kw)
    return (*code_status(e), message(e))


def test_github_actions_token_assumes_the_role_and_the_credentials_work(srv, issuer, name):
    name = name("r")
    arn = github_role(srv, issuer, name)
    out = assume(srv, arn, issuer.token(GH, github_claims()), DurationSeconds=900)
    assert out["SubjectFromWebIdentityToken"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
    assert out["Audience"] == "sts.amazonaws.com"
    assert out["Provider"] == issuer.url(GH)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{srv.account_id}:assumed-role/{name}/ci"
    assert out["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert 890 <= (creds["Expiration"].timestamp() - time.time()) <= 900
    me = boto3.client("sts", endpoint_url=srv.endpoint, region_name="us-east-1",
                      aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"]).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]


def test_github_custom_claims_decide_in_the_trust_policy(srv, issuer, name):
    name = name("r")
    arn = github_role(srv, issuer, name, repo="octo-org/other-repo")
    code, status, text = refused(srv, arn, issuer.token(GH, github_claims()))
    assert (code, status, text) == ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    # the sub pattern alone would match; the repository claim is what refuses
    p = provider(issuer, GH)
    arn2 = role(srv, name + "2", issuer, GH, {"StringEquals": {f"{p}:job_workflow_ref":
                                                              "octo-org/octo-repo/.github/workflows/deploy.yml"
                                                              "@refs/heads/main"}})
    assert assume(srv, arn2, issuer.token(GH, github_claims()))["AssumedRoleUser"]["Arn"].endswith("/ci")
    assert refused(srv, arn2, issuer.token(GH, github_claims(ref="refs/heads/dev")))[0] == "AccessDenied"


def test_irsa_token_es256_through_boto3_web_identity_provider(srv, issuer, name, tmp_path):
    name = name("r")
    p = provider(issuer, EKS)
    arn = role(srv, name, issuer, EKS, {"StringEquals": {f"{p}:sub": "system:serviceaccount:prod:app",
                                                         f"{p}:aud": "sts.amazonaws.com"}})
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token(EKS, irsa_claims("prod:app"), alg="ES256"))
    script = "import boto3, json; print(json.dumps(boto3.client('sts').get_caller_identity()))"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ROLE_ARN": arn,
           "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file), "AWS_ROLE_SESSION_NAME": "pod-1",
           "AWS_ENDPOINT_URL": srv.endpoint, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"] == f"arn:aws:sts::{srv.account_id}:assumed-role/{name}/pod-1"
    # another service account is refused by the trust policy
    other = issuer.token(EKS, irsa_claims("prod:intruder"), alg="ES256")
    assert refused(srv, arn, other)[:2] == ("AccessDenied", 403)


def test_a_rotated_issuer_key_is_fetched_when_its_kid_arrives(srv, issuer, name):
    name = name("r")
    arn = github_role(srv, issuer, name)
    assume(srv, arn, issuer.token(GH, github_claims()))  # keys cached
    issuer.rotate(GH)
    assert assume(srv, arn, issuer.token(GH, github_claims()))["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_expired_token(srv, issuer, name):
    name = name("r")
    arn = github_role(srv, issuer, name)
    token = issuer.token(GH, {**github_claims(), "iat": int(time.time()) - 7200, "nbf": int(time.time()) - 7200,
                              "exp": int(time.time()) - 3600})
    code, status, text = refused(srv, arn, token)
    assert (code, status) == ("ExpiredTokenException", 400)
    assert text.startswith("Token expired: current date/time")


def test_refused_tokens(srv, issuer, name):
    name = name("r")
    arn = github_role(srv, issuer, name)
    good = github_claims()
    cases = {
        "not a jwt": "this-is-not-a-jwt",
        "wrong audience": issuer.token(GH, {**good, "aud": "someone-else"}),
        "unregistered issuer": issuer.token("dex", good),
        "not yet valid": issuer.token(GH, {**good, "nbf": int(time.time()) + 3600, "exp": int(time.time()) + 7200}),
        "no subject": issuer.token(GH, {**good, "sub": None}),
    }
    for label, token in cases.items():
        assert refused(srv, arn, token)[:2] == ("InvalidIdentityToken", 400), label
    assert refused(srv, arn, cases["wrong audience"])[2] == "Incorrect token audience"
    assert refused(srv, arn, cases["unregistered issuer"])[2] == \
        f"No OpenIDConnect provider found in your account for {issuer.url('dex')}"


def test_forged_tokens_are_refused(srv, issuer, name):
    name = name("r")
    arn = github_role(srv, issuer, name)
    genuine = issuer.token(GH, github_claims())
    kid = jwt.get_unverified_header(genuine)["kid"]
    # signed by a key the issuer does not publish, under the issuer's kid
    stranger = LoopbackIssuer()
    try:
        stranger.add("x")
        forged = stranger.token("x", {**github_claims(), "iss": issuer.url(GH)}, kid=kid)
    finally:
        stranger.stop()
    assert refused(srv, arn, forged)[:2] == ("InvalidIdentityToken", 400)
    # a genuine token with its claims altered
    head, body, sig = genuine.split(".")
    claims = json.loads(jwt.utils.base64url_decode(body))
    claims["repository"] = "evil/repo"
    altered = ".".join([head, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(), sig])
    assert refused(srv, arn, altered)[:2] == ("InvalidIdentityToken", 400)
    # unsigned and symmetric algorithms
    unsigned = jwt.encode(github_claims() | {"iss": issuer.url(GH), "exp": int(time.time()) + 60}, None,
                          algorithm="none")
    assert refused(srv, arn, unsigned)[:2] == ("InvalidIdentityToken", 400)
    hmac = jwt.encode(github_claims() | {"iss": issuer.url(GH), "exp": int(time.time()) + 60}, "k" * 32,
                      algorithm="HS256", headers={"kid": kid})
    assert refused(srv, arn, hmac)[:2] == ("InvalidIdentityToken", 400)


def test_unreachable_issuer_is_a_communication_error(server, server_factory, name):
    name = name("r")
    gone = LoopbackIssuer()
    gone.add("gone")
    url, token = gone.url("gone"), gone.token("gone", github_claims())
    gone.stop()
    s = server_factory(server.engine, extra_args=["--no-access-log", "--allow-http-issuer", url]).start()
    s.client("iam").create_open_id_connect_provider(Url=url, ClientIDList=["sts.amazonaws.com"])
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
             "Principal": {"Federated": f"arn:aws:iam::{s.account_id}:oidc-provider/{url.split('://')[1]}"}}]}
    arn = s.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    assert refused(s, arn, token)[:2] == ("IDPCommunicationError", 400)


def test_duration_and_session_name_rules(srv, issuer, name):
    name = name("r")
    arn = github_role(srv, issuer, name)
    token = issuer.token(GH, github_claims())
    code, status, text = refused(srv, arn, token, DurationSeconds=7200)
    assert (code, status, text) == ("ValidationError", 400,
                                    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    with pytest.raises(ClientError) as e:
        boto3.client("sts", endpoint_url=srv.endpoint, region_name="us-east-1",
                     config=Config(signature_version=UNSIGNED, parameter_validation=False)) \
            .assume_role_with_web_identity(RoleArn=arn, RoleSessionName="bad name!", WebIdentityToken=token)
    assert code_status(e) == ("ValidationError", 400)


def test_missing_role_looks_like_a_refusal(srv, issuer):
    arn = f"arn:aws:iam::{srv.account_id}:role/no-such-role-here"
    assert refused(srv, arn, issuer.token(GH, github_claims()))[:2] == ("AccessDenied", 403)


def test_http_issuers_only_when_named(srv):
    with pytest.raises(ClientError) as e:
        srv.client("iam").create_open_id_connect_provider(Url="http://127.0.0.1:1/not-named",
                                                          ClientIDList=["sts.amazonaws.com"])
    assert code_status(e) == ("InvalidInput", 400)
