"""Policy documents as AWS's parser judges them, through every operation that saves one.

The answers below were recorded against AWS (issue 10, item 11): AWS accepts what its
old parser accepted (`arn:aws:x`, condition keys without a vendor, dates cut short) and
reports the first fault in its own order (legacy parsing before missing actions).
Identity documents go through CreatePolicy, CreatePolicyVersion and Put{User,Group,Role}Policy;
trust documents through CreateRole and UpdateAssumeRolePolicy.
"""

import json
import secrets

import pytest
from botocore.exceptions import ClientError
from helpers import TRUST, policy_doc

LEGACY = "The policy failed legacy parsing"
VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
REGEXES = "Resource vendor must be fully qualified and cannot contain regexes."
SYNTAX = "Syntax errors in policy."

ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
ASSUME = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


def document(statement: dict, version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": [statement]})


def dated(value) -> dict:
    return {"Condition": {"DateGreaterThan": {"aws:CurrentTime": value}}}


def without_action(st: dict) -> dict:
    return {k: v for k, v in st.items() if k != "Action"}


# (what the statement changes, AWS's answer: None when the document is accepted)
RESOURCES = [
    ({"Resource": "arn:aws:x"}, None),                       # three fields
    ({"Resource": "arn:aws:s3::x"}, LEGACY),
    ({"Resource": "arn:aws::x"}, LEGACY),
    ({"Resource": "arn:aws::::x"}, LEGACY),
    ({"Resource": "arn:aws"}, REGEXES),
    ({"Resource": "a:b:c"}, 'Partition "b" is not valid for resource "arn:b:c:*:*:*".'),
    ({"Resource": "a:b"}, 'Partition "b" is not valid for resource "arn:b:*:*:*:*".'),
    ({"Resource": ""}, 'Resource  must be in ARN format or "*".'),
]
COMMON = [
    ({"Condition": {"StringEquals": {"a": "b"}}}, None),     # a condition key without vendor
    ({"Action": ""}, VENDOR),
    (dated("01T"), None),
    (dated("2019-07-01T13:20:15.593194+23"), None),
    (dated("9223372036854775808"), LEGACY),
]


@pytest.fixture(scope="module")
def holders(server):
    """A user, group and role to hold inline policies, a managed policy to version."""
    iam = server.client("iam")
    tag = f"pd-{secrets.token_hex(4)}"
    iam.create_user(UserName=f"{tag}-user")
    iam.create_group(GroupName=f"{tag}-group")
    iam.create_role(RoleName=f"{tag}-role", AssumeRolePolicyDocument=TRUST)
    arn = iam.create_policy(PolicyName=f"{tag}-policy", PolicyDocument=policy_doc())["Policy"]["Arn"]
    return {"user": f"{tag}-user", "group": f"{tag}-group", "role": f"{tag}-role", "policy": arn}


def identity_writers(iam, name, h):
    """Each operation that saves an identity document, as a function of the document."""
    return {
        "CreatePolicy": lambda d: iam.create_policy(PolicyName=name("pd"), PolicyDocument=d),
        "CreatePolicyVersion": lambda d: iam.delete_policy_version(
            PolicyArn=h["policy"],
            VersionId=iam.create_policy_version(PolicyArn=h["policy"], PolicyDocument=d)
            ["PolicyVersion"]["VersionId"]),
        "PutUserPolicy": lambda d: iam.put_user_policy(UserName=h["user"], PolicyName="p", PolicyDocument=d),
        "PutGroupPolicy": lambda d: iam.put_group_policy(GroupName=h["group"], PolicyName="p", PolicyDocument=d),
        "PutRolePolicy": lambda d: iam.put_role_policy(RoleName=h["role"], PolicyName="p", PolicyDocument=d),
    }


def trust_writers(iam, name, h):
    return {
        "CreateRole": lambda d: iam.create_role(RoleName=name("pd"), AssumeRolePolicyDocument=d),
        "UpdateAssumeRolePolicy": lambda d: iam.update_assume_role_policy(RoleName=h["role"], PolicyDocument=d),
    }


def answers(writers: dict, text: str) -> dict:
    """Operation -> None (accepted) or (code, status, message) of its refusal."""
    out = {}
    for op, write in writers.items():
        try:
            write(text)
            out[op] = None
        except ClientError as exc:
            out[op] = (exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"],
                       exc.response["Error"]["Message"])
    return out


def expected(writers: dict, message: str | None) -> dict:
    return {op: message and ("MalformedPolicyDocument", 400, message) for op in writers}


@pytest.mark.parametrize("change,message", RESOURCES + COMMON)
def test_identity_documents(iam, name, holders, change, message):
    writers = identity_writers(iam, name, holders)
    assert answers(writers, document({**ALLOW, **change})) == expected(writers, message)


@pytest.mark.parametrize("resource", ["arn:aws:s3::x", "arn:aws::x", "arn:aws::::x"])
def test_legacy_parsing_comes_before_a_missing_action(iam, name, holders, resource):
    writers = identity_writers(iam, name, holders)
    text = document(without_action({**ALLOW, "Resource": resource}))
    assert answers(writers, text) == expected(writers, LEGACY)


@pytest.mark.parametrize("change,message",
                         [c for c in RESOURCES if c[1] is not None] + COMMON)
def test_trust_documents(iam, name, holders, change, message):
    # A trust policy has no resources: a resource that parses is refused as such, so only
    # the malformed ones say how AWS parses them.
    writers = trust_writers(iam, name, holders)
    assert answers(writers, document({**ASSUME, **change})) == expected(writers, message)


def test_unknown_version_is_a_syntax_error(iam, name, holders):
    writers = {**identity_writers(iam, name, holders), **trust_writers(iam, name, holders)}
    text = {op: document(ASSUME if op in ("CreateRole", "UpdateAssumeRolePolicy") else ALLOW, "2013-10-17")
            for op in writers}
    got = {op: answers({op: w}, text[op])[op] for op, w in writers.items()}
    assert got == expected(writers, SYNTAX)
