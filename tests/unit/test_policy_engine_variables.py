"""Policy variables in Resource and Condition values, one AWS rule per case.

Source: AWS IAM User Guide, "IAM policy elements: Variables and tags" (reference §6.4).
"""

import pytest

from engine_cases import ACCOUNT, allow, decide, doc, request

U = f"arn:aws:iam::{ACCOUNT}:user"
BOB = {"aws:username": "bob", "aws:userid": "AIDABOB", "aws:PrincipalTag/team": "ops"}

RESOURCE_CASES = [
    ("${aws:username} in Resource matches the caller's own user", f"{U}/${{aws:username}}", f"{U}/bob", BOB, "2012-10-17", True),
    ("${aws:username} in Resource does not match another user", f"{U}/${{aws:username}}", f"{U}/alice", BOB, "2012-10-17", False),
    ("Variable key names are case-insensitive", f"{U}/${{AWS:UserName}}", f"{U}/bob", BOB, "2012-10-17", True),
    ("Variables need Version 2012-10-17: with 2008-10-17 the text is literal", f"{U}/${{aws:username}}", f"{U}/bob", BOB, "2008-10-17", False),
    ("Variables need Version 2012-10-17: literal text matches itself under 2008-10-17", f"{U}/${{aws:username}}", f"{U}/${{aws:username}}", BOB, "2008-10-17", True),
    ("Variables need Version 2012-10-17: without Version the text is literal", f"{U}/${{aws:username}}", f"{U}/bob", BOB, None, False),
    ("Unresolvable variable in Resource matches no resource", f"{U}/${{aws:username}}", f"{U}/bob", {}, "2012-10-17", False),
    ("Default value is used when the key is absent", f"{U}/${{aws:username, 'guest'}}", f"{U}/guest", {}, "2012-10-17", True),
    ("Default value is ignored when the key is present", f"{U}/${{aws:username, 'guest'}}", f"{U}/guest", BOB, "2012-10-17", False),
    ("Default value: spacing around the comma is allowed", f"{U}/${{aws:username,'guest'}}", f"{U}/guest", {}, "2012-10-17", True),
    ("Tag variable ${aws:PrincipalTag/key}", f"{U}/${{aws:PrincipalTag/team}}/*", f"{U}/ops/bob", BOB, "2012-10-17", True),
    ("Tag key in a variable is case-insensitive", f"{U}/${{aws:PrincipalTag/TEAM}}/*", f"{U}/ops/bob", BOB, "2012-10-17", True),
    ("Variable combined with a wildcard", f"{U}/${{aws:username}}*", f"{U}/bobby", BOB, "2012-10-17", True),
    ("Variable in the middle of a path", f"arn:aws:s3:::bucket/home/${{aws:username}}/*", "arn:aws:s3:::bucket/home/bob/file", BOB, "2012-10-17", True),
    ("Variable in the middle of a path does not match another home", f"arn:aws:s3:::bucket/home/${{aws:username}}/*", "arn:aws:s3:::bucket/home/eve/file", BOB, "2012-10-17", False),
    ("${*} is a literal * (not a wildcard)", f"{U}/${{*}}", f"{U}/*", BOB, "2012-10-17", True),
    ("${*} does not act as a wildcard", f"{U}/${{*}}", f"{U}/bob", BOB, "2012-10-17", False),
    ("${?} is a literal ?", f"{U}/a${{?}}", f"{U}/a?", BOB, "2012-10-17", True),
    ("${?} does not act as a wildcard", f"{U}/a${{?}}", f"{U}/ab", BOB, "2012-10-17", False),
    ("${$} is a literal $", f"{U}/a${{$}}", f"{U}/a$", BOB, "2012-10-17", True),
    ("A substituted value is literal, never a wildcard", f"{U}/${{aws:PrincipalTag/team}}", f"{U}/bob", {"aws:PrincipalTag/team": "*"}, "2012-10-17", False),
    ("Multivalued keys cannot be variables (unresolvable)", f"{U}/${{aws:TagKeys}}", f"{U}/a", {"aws:TagKeys": ("a",)}, "2012-10-17", False),
    ("${aws:userid} resolves", f"{U}/${{aws:userid}}", f"{U}/AIDABOB", BOB, "2012-10-17", True),
]


@pytest.mark.parametrize("pattern,resource,ctx,version,expected",
                         [pytest.param(*c[1:], id=c[0]) for c in RESOURCE_CASES])
def test_variable_in_resource(pattern, resource, ctx, version, expected):
    d = decide([doc(allow(resource=pattern), version=version)], request(resource=resource, ctx=ctx))
    assert (d.decision == "allowed") is expected


@pytest.mark.parametrize("resource,expected", [
    pytest.param(f"{U}/bob", "implicitDeny", id="Variable in NotResource: the caller's own ARN is excluded"),
    pytest.param(f"{U}/alice", "allowed", id="Variable in NotResource: other users are granted"),
])
def test_variable_in_not_resource(resource, expected):
    st = {"Effect": "Allow", "Action": "iam:GetUser", "NotResource": f"{U}/${{aws:username}}"}
    assert decide([doc(st)], request(resource=resource, ctx=BOB)).decision == expected


CONDITION_CASES = [
    ("StringEquals value with a variable", "StringEquals", "aws:PrincipalTag/owner", "${aws:username}", {**BOB, "aws:PrincipalTag/owner": "bob"}, True),
    ("StringEquals value with a variable that differs", "StringEquals", "aws:PrincipalTag/owner", "${aws:username}", {**BOB, "aws:PrincipalTag/owner": "eve"}, False),
    ("StringLike value mixing a variable and a wildcard", "StringLike", "aws:PrincipalTag/owner", "${aws:username}-*", {**BOB, "aws:PrincipalTag/owner": "bob-admin"}, True),
    ("StringEqualsIgnoreCase with a variable", "StringEqualsIgnoreCase", "aws:PrincipalTag/owner", "${aws:username}", {**BOB, "aws:PrincipalTag/owner": "BOB"}, True),
    ("ArnLike value with a variable", "ArnLike", "aws:PrincipalArn", f"{U}/${{aws:username}}", {**BOB, "aws:PrincipalArn": f"{U}/bob"}, True),
    ("Resource tag compared with a principal tag", "StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}", {**BOB, "aws:ResourceTag/team": "ops"}, True),
    ("Unresolvable variable: a positive operator does not match", "StringEquals", "aws:PrincipalTag/owner", "${aws:username}", {"aws:PrincipalTag/owner": "bob"}, False),
    ("Unresolvable variable: a negated operator matches", "StringNotEquals", "aws:PrincipalTag/owner", "${aws:username}", {"aws:PrincipalTag/owner": "bob"}, True),
    ("Unresolvable variable: the other values still count", "StringEquals", "aws:PrincipalTag/owner", ["${aws:username}", "bob"], {"aws:PrincipalTag/owner": "bob"}, True),
    ("Default value in a condition", "StringEquals", "aws:PrincipalTag/owner", "${aws:username, 'nobody'}", {"aws:PrincipalTag/owner": "nobody"}, True),
    ("Numeric operators take no variables (the value cannot be read)", "NumericEquals", "n", "${aws:username}", {**BOB, "n": "1"}, False),
    ("${*} in a StringLike value is a literal *", "StringLike", "aws:username", "b${*}", {"aws:username": "bob"}, False),
    ("${*} in a StringLike value matches a literal *", "StringLike", "aws:username", "b${*}", {"aws:username": "b*"}, True),
]


@pytest.mark.parametrize("operator,key,value,ctx,expected", [pytest.param(*c[1:], id=c[0]) for c in CONDITION_CASES])
def test_variable_in_condition(operator, key, value, ctx, expected):
    d = decide([doc(allow(condition={operator: {key: value}}))], request(ctx=ctx))
    assert (d.decision == "allowed") is expected


def test_variables_are_not_substituted_in_actions():
    """Variables are not allowed in Action: the text is literal."""
    d = decide([doc(allow(action="iam:${aws:username}"))], request(action="iam:bob", ctx={"aws:username": "bob"}))
    assert d.decision == "implicitDeny"


def test_unresolved_variable_is_reported_missing():
    """MissingContextValues: a variable's key that the request lacks is listed."""
    d = decide([doc(allow(resource=f"{U}/${{aws:username}}"))], request(resource=f"{U}/bob"))
    assert d.missing == ("aws:username",)
