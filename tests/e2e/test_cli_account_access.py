"""`iamd account who-can`, `explain` and the escalation findings of `credential-report
--findings` against a seeded iamd whose answers are known (both engines), and the same
decisions as the server enforces: what `explain` allows, the user's own call does.
"""

import json

import pytest
from helpers import allow, doc, ok, one_error_line
from helpers import run_account_cli as run_cli
from botocore.exceptions import ClientError

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture(scope="module")
def acct(own_server):
    """boss: administrator through a group; selfish: may put policies on itself; keymaker:
    may create access keys for anyone; mfa: reads users only with MFA; passer: may pass the
    EC2 administrator role and run instances; reader: reads users."""
    iam = own_server.client("iam")
    a = own_server.account_id
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=ADMIN)
    for name in ("boss", "selfish", "keymaker", "mfa", "passer", "reader"):
        iam.create_user(UserName=name)
    iam.add_user_to_group(GroupName="admins", UserName="boss")
    iam.put_user_policy(UserName="selfish", PolicyName="self", PolicyDocument=doc(
        allow(["iam:PutUserPolicy", "iam:GetUser"], f"arn:aws:iam::{a}:user/${{aws:username}}")))
    iam.put_user_policy(UserName="keymaker", PolicyName="keys", PolicyDocument=doc(
        allow("iam:CreateAccessKey", f"arn:aws:iam::{a}:user/*")))
    iam.put_user_policy(UserName="mfa", PolicyName="read", PolicyDocument=doc(
        allow("iam:GetUser", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})))
    iam.put_user_policy(UserName="passer", PolicyName="pass", PolicyDocument=doc(
        allow(["iam:PassRole", "ec2:RunInstances"])))
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=doc(
        allow(["iam:GetUser", "iam:ListUsers"]), {"Effect": "Deny", "Action": "iam:GetUser",
                                                  "Resource": f"arn:aws:iam::{a}:user/boss"}))
    iam.create_role(RoleName="ec2admin", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    iam.attach_role_policy(RoleName="ec2admin", PolicyArn=ADMIN)
    return own_server


def arn(srv, kind, name):
    return f"arn:aws:iam::{srv.account_id}:{kind}/{name}"


def who_can(srv, *args) -> dict:
    return {r["name"]: r for r in json.loads(ok(run_cli(srv, "who-can", *args, "-o", "json")))}


def test_who_can(acct):
    found = who_can(acct, "iam:GetUser", "--resource", arn(acct, "user", "selfish"))
    assert {n: r["decision"] for n, r in found.items()} == {
        "boss": "allowed", "selfish": "allowed", "reader": "allowed", "mfa": "conditional", "ec2admin": "allowed"}
    assert found["mfa"]["conditional_on"] == ["aws:MultiFactorAuthPresent"]
    assert found["boss"]["statements"][0]["via"] == "group admins"
    assert found["boss"]["statements"][0]["policy_arn"] == ADMIN
    # the Deny on boss holds for reader; without conditional answers mfa goes
    assert set(who_can(acct, "iam:GetUser", "--resource", arn(acct, "user", "boss"), "--definite")) == {
        "boss", "ec2admin"}
    table = ok(run_cli(acct, "who-can", "iam:CreateAccessKey", "--resource", arn(acct, "user", "boss")))
    assert "3 principal(s) may perform iam:CreateAccessKey" in table
    assert "keymaker" in table and "inline keys (user keymaker)" in table


def test_explain_agrees_with_the_server(acct):
    iam = acct.client("iam")
    cases = [("selfish", "iam:GetUser", "selfish", "allowed"), ("selfish", "iam:GetUser", "boss", "implicitDeny"),
             ("reader", "iam:GetUser", "boss", "explicitDeny"), ("reader", "iam:GetUser", "mfa", "allowed")]
    for who, action, target, expected in cases:
        data = json.loads(ok(run_cli(acct, "explain", who, action, arn(acct, "user", target), "-o", "json")))
        assert data["decision"] == expected, (who, target, data)
        key = iam.create_access_key(UserName=who)["AccessKey"]
        client = acct.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
        try:
            client.get_user(UserName=target)
            enforced = "allowed"
        except ClientError as err:
            assert err.response["Error"]["Code"] == "AccessDenied"
            enforced = "denied"
        assert enforced == ("allowed" if expected == "allowed" else "denied"), (who, target)
        iam.delete_access_key(UserName=who, AccessKeyId=key["AccessKeyId"])
    text = ok(run_cli(acct, "explain", "reader", "iam:GetUser", arn(acct, "user", "boss")))
    assert "explicitDeny" in text and "Deny" in text and "inline read (user reader)" in text
    conditional = ok(run_cli(acct, "explain", "mfa", "iam:GetUser"))
    assert "conditional" in conditional and "aws:MultiFactorAuthPresent" in conditional
    with_mfa = json.loads(ok(run_cli(acct, "explain", "mfa", "iam:GetUser", "--context",
                                     "aws:MultiFactorAuthPresent=true", "-o", "json")))
    assert with_mfa["decision"] == "allowed"
    one_error_line(run_cli(acct, "explain", "ghost", "iam:GetUser"), "NoSuchEntity")


def test_escalation_findings(acct, tmp_path):
    found = json.loads(ok(run_cli(acct, "credential-report", "--findings", "-o", "json")))
    escalations = {(f["user"], f["check"]) for f in found if f["check"].startswith("privesc-")}
    assert escalations == {("selfish", "privesc-self-policy"), ("keymaker", "privesc-access-key"),
                           ("passer", "privesc-pass-role")}
    keys = [f for f in found if f["user"] == "keymaker"]
    # one finding: the administrator first, then every user allowed something keymaker is
    # not (mfa only with MFA, so not for sure)
    assert len(keys) == 1 and "user/boss; then allowed * on *" in keys[0]["detail"]
    assert set(keys[0]["also"]) == {arn(acct, "user", n) for n in ("selfish", "passer", "reader")}
    passer = next(f for f in found if f["user"] == "passer")
    assert passer["path"][0]["resource"] == arn(acct, "role", "ec2admin")
    table = ok(run_cli(acct, "credential-report", "--findings"))
    assert "privesc-self-policy" in table and "selfish" in table
    # the same answers from a saved document, as on AWS
    saved = tmp_path / "details.json"
    saved.write_text(ok(run_cli(acct, "authorization-details", "-o", "json")))
    offline = json.loads(ok(run_cli(acct, "who-can", "iam:PutUserPolicy", "--resource", arn(acct, "user", "selfish"),
                                    "--details", str(saved), "-o", "json")))
    assert {r["name"] for r in offline} == {"boss", "selfish", "ec2admin"}
