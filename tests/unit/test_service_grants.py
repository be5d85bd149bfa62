"""Which services permissions policies grant (policy/service_grants.py), as the access
advisor reads them: Allow statements' Action and NotAction only."""

import json

import pytest

from iamd.policy.service_grants import allows_action, granted_namespaces, grants_namespace
from iamd.service.access_report import service_names, tracked

NAMESPACES = ("iam", "sts", "s3", "s3express", "ec2", "dynamodb")


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, key="Action") -> dict:
    return {"Effect": "Allow", key: action, "Resource": "*"}


@pytest.mark.parametrize("statement, granted", [
    (allow("iam:GetUser"), {"iam"}),
    (allow(["s3:Get*", "IAM:list*"]), {"s3", "iam"}),
    (allow("*"), set(NAMESPACES)),
    (allow("s3*:*"), {"s3", "s3express"}),
    (allow("s3*"), {"s3", "s3express"}),
    (allow("?3:*"), {"s3"}),
    (allow("iam:*", "NotAction"), set(NAMESPACES) - {"iam"}),
    (allow("iam:Get*", "NotAction"), set(NAMESPACES)),
    (allow(["iam:*", "s3*"], "NotAction"), {"sts", "ec2", "dynamodb"}),
    (allow("*", "NotAction"), set()),
    ({"Effect": "Deny", "Action": "*", "Resource": "*"}, set()),
    ({"Effect": "Allow", "Resource": "*"}, set()),
    (allow("nosuchservice:*"), set()),
])
def test_granted_namespaces(statement, granted):
    assert granted_namespaces([doc(statement)], NAMESPACES) == granted
    assert {ns for ns in NAMESPACES if grants_namespace(doc(statement), ns)} == granted


def test_documents_add_up_and_bad_text_grants_nothing():
    assert granted_namespaces([doc(allow("iam:GetUser")), doc(allow("ec2:Run*")), "not json", "[]"],
                              NAMESPACES) == {"iam", "ec2"}


def test_a_single_statement_object_counts():
    assert granted_namespaces([json.dumps({"Statement": allow("sts:AssumeRole")})], NAMESPACES) == {"sts"}


def test_allows_action_uses_the_engines_matching():
    texts = [doc(allow("iam:Create*")), doc(allow("iam:Delete*", "NotAction"))]
    assert allows_action(texts, "iam:CreateUser")
    assert allows_action(texts, "iam:UpdateUser")  # NotAction leaves it in
    assert not allows_action([doc(allow("iam:Create*"))], "iam:DeleteUser")
    assert not allows_action([doc({"Effect": "Deny", "Action": "*", "Resource": "*"})], "iam:CreateUser")


def test_the_catalogue_names_the_services_iamd_serves():
    names = service_names()
    assert names["iam"] == "AWS Identity and Access Management"
    assert names["sts"] == "AWS Security Token Service"
    assert names["s3"] == "Amazon S3"
    assert len(names) > 400 and all(ns == ns.lower() and name for ns, name in names.items())


@pytest.mark.parametrize("namespace, action, expected", [
    ("iam", "CreateUser", True), ("iam", "AttachRolePolicy", True), ("iam", "TagRole", True),
    ("iam", "GetUser", False), ("iam", "ListUsers", False), ("iam", "GenerateCredentialReport", False),
    ("sts", "AssumeRole", True), ("sts", "GetCallerIdentity", False), ("s3", "CreateBucket", False)])
def test_tracked_actions_are_the_management_actions(namespace, action, expected):
    assert tracked(namespace, action) is expected
