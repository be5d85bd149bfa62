"""`iamd account simulate` through click with a stubbed IAM client: the requests it sends
(documents, context entries, paging) and the table it draws."""

import importlib
import json

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from iamd.cli.main import cli

ADMIN = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}'
USER = "arn:aws:iam::123456789012:user/bob"


@pytest.fixture
def stub(monkeypatch):
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE",
                          aws_secret_access_key="secret")
    monkeypatch.setattr(importlib.import_module("iamd.cli.account.simulate"), "iam_client", lambda: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def run(*args):
    return CliRunner().invoke(cli, ["account", "simulate", "--no-color", *args])


def result(action, decision, resource="*", **extra):
    return {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision, **extra}


def test_custom_request_reads_files_and_types_context(stub, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(ADMIN)
    expected = {"ActionNames": ["s3:GetObject"], "PolicyInputList": [ADMIN, ADMIN],
                "ResourceArns": ["arn:aws:s3:::b/k"],
                "ContextEntries": [
                    {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["a", "b"], "ContextKeyType": "stringList"},
                    {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.0.0.1"], "ContextKeyType": "ip"},
                    {"ContextKeyName": "s3:prefix", "ContextKeyValues": ["x", "y"], "ContextKeyType": "stringList"}]}
    stub.add_response("simulate_custom_policy", {"EvaluationResults": [result("s3:GetObject", "allowed")]}, expected)
    r = run("-a", "s3:GetObject", "-r", "arn:aws:s3:::b/k", "--policy", f"file://{path}", "--policy", f"@{path}",
            "--context", "aws:TagKeys=a,b", "--context-type", "aws:TagKeys=stringList",
            "--context", "aws:SourceIp=10.0.0.1", "--context-type", "aws:SourceIp=ip",
            "--context", "s3:prefix=x", "--context", "s3:prefix=y")
    assert r.exit_code == 0, r.output


def test_principal_request_with_boundary_and_resource_policy(stub):
    expected = {"ActionNames": ["s3:GetObject"], "PolicySourceArn": USER,
                "PermissionsBoundaryPolicyInputList": [ADMIN], "ResourcePolicy": ADMIN,
                "CallerArn": USER, "ResourceOwner": "arn:aws:iam::999988887777:root"}
    stub.add_response("simulate_principal_policy", {"EvaluationResults": [result("s3:GetObject", "implicitDeny")]},
                      expected)
    r = run("-a", "s3:GetObject", "-p", USER, "--boundary", ADMIN, "--resource-policy", ADMIN,
            "--caller-arn", USER, "--resource-owner", "arn:aws:iam::999988887777:root")
    assert r.exit_code == 0, r.output
    assert "implicitDeny" in r.stdout


def test_every_page_is_read(stub):
    base = {"ActionNames": ["iam:GetUser", "iam:GetRole"], "PolicyInputList": [ADMIN]}
    stub.add_response("simulate_custom_policy", {"EvaluationResults": [result("iam:GetUser", "allowed")],
                                                 "IsTruncated": True, "Marker": "1"}, base)
    stub.add_response("simulate_custom_policy", {"EvaluationResults": [result("iam:GetRole", "allowed")],
                                                 "IsTruncated": False}, {**base, "Marker": "1"})
    r = run("-a", "iam:GetUser", "-a", "iam:GetRole", "--policy", ADMIN, "-o", "json")
    assert [x["EvalActionName"] for x in json.loads(r.stdout)["EvaluationResults"]] == ["iam:GetUser", "iam:GetRole"]


def test_table_shows_statements_missing_keys_and_resource_specific_results(stub):
    st = {"SourcePolicyId": "guard", "SourcePolicyType": "group",
          "StartPosition": {"Line": 1, "Column": 38}, "EndPosition": {"Line": 1, "Column": 99}}
    specific = [{"EvalResourceName": "arn:aws:s3:::b/k", "EvalResourceDecision": "implicitDeny",
                 "MissingContextValues": ["s3:prefix"]}]
    stub.add_response("simulate_custom_policy", {"EvaluationResults": [
        result("iam:DeleteUser", "explicitDeny", MatchedStatements=[st], MissingContextValues=[]),
        result("s3:GetObject", "implicitDeny", "arn:aws:s3:::b/k", ResourceSpecificResults=specific)]})
    r = run("-a", "iam:DeleteUser", "-a", "s3:GetObject", "--policy", ADMIN)
    lines = r.stdout.splitlines()
    assert "guard (group) 1:38-1:99" in next(line for line in lines if "iam:DeleteUser" in line)
    assert "s3:prefix" in next(line for line in lines if "s3:GetObject" in line)


def test_bad_context_type_is_one_error_line(stub):
    r = run("-a", "x:y", "--policy", ADMIN, "--context", "k:k=v", "--context-type", "k:k=float")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: InvalidContext: --context-type wants KEY=TYPE")
