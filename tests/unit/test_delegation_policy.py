"""Policy templates rendered with a delegation request's parameters, and the summary
GetHumanReadableSummary writes from the rendered policy."""

import json
from types import SimpleNamespace

import pytest

from iamd.protocol.errors import AWSError
from iamd.service.delegation_policy import boundary_arns, render
from iamd.service.delegation_summary import summary

TEMPLATE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "@{more}"], "Resource": "arn:aws:s3:::@{bucket}/*"},
    {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::@{bucket}"}]})


def params(**values):
    return [{"Name": k, "Values": v if isinstance(v, list) else [v],
             "Type": "stringList" if isinstance(v, list) else "string"} for k, v in values.items()]


def test_string_and_list_parameters():
    doc = json.loads(render(TEMPLATE, params(bucket="data", more=["s3:PutObject", "s3:ListBucket"])))
    assert doc["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    assert doc["Statement"][0]["Resource"] == "arn:aws:s3:::data/*"
    assert doc["Statement"][1]["NotResource"] == "arn:aws:s3:::data"


@pytest.mark.parametrize("given, words", [
    (params(bucket="data"), "Missing value for policy parameter more"),
    (params(bucket=["a", "b"], more=["s3:PutObject"]), "must be a whole value"),
    (params(bucket="data", more=["s3:PutObject"]) + params(bucket="x"), "Duplicate policy parameter"),
    ([{"Name": "bucket", "Values": ["a", "b"], "Type": "string"}], "exactly one value"),
])
def test_parameter_mistakes(given, words):
    with pytest.raises(AWSError) as exc:
        render(TEMPLATE, given)
    assert exc.value.code == "InvalidInput" and words in str(exc.value.message)


def test_rendered_policy_is_bounded_and_valid():
    with pytest.raises(AWSError):
        render(TEMPLATE, params(bucket="b" * 3000, more=["s3:PutObject"]))
    with pytest.raises(AWSError) as exc:  # the result must be a valid identity policy
        render(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "@{e}", "Action": "s3:*",
                                                                 "Resource": "*"}]}), params(e="Maybe"))
    assert exc.value.code == "MalformedPolicyDocument"


def test_boundaries_of_roles_it_may_create():
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PermissionsBoundary": ["arn:aws:iam::aws:policy/A",
                                                                     "arn:aws:iam::aws:policy/B"]}}}]})
    assert boundary_arns(policy) == ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"]


def test_summary_reads_the_compiled_statements_in_order():
    policy = render(TEMPLATE, params(bucket="data", more=["s3:PutObject"]))
    row = SimpleNamespace(requestor_account_id="111122223333", target_account_id=None,
                          session_duration=5400, policy=policy)
    assert summary(row) == (
        "Account 111122223333 requests temporary access to the account that accepts it for 1 hour 30 minutes.\n"
        "It would allow:\n"
        "- s3:GetObject and s3:PutObject on arn:aws:s3:::data/*.\n"
        "It would deny:\n"
        "- every action except s3:* on every resource except arn:aws:s3:::data.")
