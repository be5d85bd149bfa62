"""`iamd account simulate` run as a real command against the shared iamd (both engines)."""

import json

import yaml
from helpers import ok, one_error_line
from helpers import run_account_cli as run_cli

ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
GUARD = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "NoDelete", "Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"}]})
SELF = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "arn:aws:iam::*:user/${aws:username}"}]})


def _row(table: str, *cells: str) -> str:
    return next(line for line in table.splitlines() if all(c in line for c in cells))


def test_custom_policies_table(server, tmp_path):
    guard = tmp_path / "guard.json"
    guard.write_text(GUARD)
    out = ok(run_cli(server, "simulate", "-a", "iam:CreateUser", "-a", "iam:DeleteUser",
                     "--policy", ADMIN, "--policy", f"file://{guard}"))
    assert "Simulation" in out
    assert "allowed" in _row(out, "iam:CreateUser") and "PolicyInputList.1" in _row(out, "iam:CreateUser")
    deleted = _row(out, "iam:DeleteUser")
    assert "explicitDeny" in deleted and "PolicyInputList.2 (none)" in deleted


def test_principal_policies_with_boundary_and_missing_keys(server, iam, name):
    user = name("clisim")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="self", PolicyDocument=SELF)
    arn = f"arn:aws:iam::{server.account_id}:user/{user}"
    key_arn = f"arn:aws:iam::{server.account_id}:user/{user}"
    out = ok(run_cli(server, "simulate", "--principal", arn, "-a", "iam:CreateAccessKey", "-r", key_arn))
    row = _row(out, "iam:CreateAccessKey")
    assert "implicitDeny" in row and "aws:username" in row
    out = ok(run_cli(server, "simulate", "--principal", arn, "-a", "iam:CreateAccessKey", "-r", key_arn,
                     "--context", f"aws:username={user}", "--boundary", ADMIN))
    row = _row(out, "iam:CreateAccessKey")
    assert "allowed" in row and "self (user)" in row and "allows" in row


def test_json_yaml_csv(server):
    args = ("simulate", "-a", "iam:GetUser", "-a", "iam:ListUsers", "--policy", ADMIN)
    data = json.loads(ok(run_cli(server, *args, "-o", "json")))
    assert [r["EvalDecision"] for r in data["EvaluationResults"]] == ["allowed", "allowed"]
    assert yaml.safe_load(ok(run_cli(server, *args, "-o", "yaml")))["EvaluationResults"][1]["EvalActionName"] == \
        "iam:ListUsers"
    lines = ok(run_cli(server, *args, "-o", "csv")).splitlines()
    assert lines[0] == "action,resource,decision,matched,missing,boundary"
    assert lines[1].startswith("iam:GetUser,*,allowed,PolicyInputList.1")


def test_typed_context(server):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                         "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]},
                                                        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})
    base = ("simulate", "-a", "s3:GetObject", "--policy", policy, "--context", "aws:SourceIp=10.1.2.3",
            "--context-type", "aws:SourceIp=ip")
    assert "allowed" in _row(ok(run_cli(server, *base, "--context", "aws:TagKeys=a,b",
                                        "--context-type", "aws:TagKeys=stringList")), "s3:GetObject")
    assert "implicitDeny" in _row(ok(run_cli(server, *base, "--context", "aws:TagKeys=a",
                                             "--context", "aws:TagKeys=z")), "s3:GetObject")


def test_fail_on_deny_exit_status(server):
    result = run_cli(server, "simulate", "-a", "iam:DeleteUser", "--policy", GUARD, "--fail-on-deny")
    assert result.returncode == 3 and "explicitDeny" in result.stdout
    assert run_cli(server, "simulate", "-a", "iam:GetUser", "--policy", ADMIN, "--fail-on-deny").returncode == 0


def test_errors_are_one_line(server, name):
    one_error_line(run_cli(server, "simulate", "-a", "iam:GetUser"), "MissingPolicy")
    one_error_line(run_cli(server, "simulate", "-a", "iam:GetUser", "--policy", "{not json"), "InvalidInput")
    one_error_line(run_cli(server, "simulate", "-a", "iam:GetUser", "--principal",
                           f"arn:aws:iam::{server.account_id}:user/{name('ghost')}"), "NoSuchEntity")
    one_error_line(run_cli(server, "simulate", "-a", "iam:GetUser", "--policy", "/no/such/file.json"),
                   "InvalidPolicy")
    one_error_line(run_cli(server, "simulate", "-a", "x:y", "--policy", ADMIN, "--context", "novalue"),
                   "InvalidContext")
