"""GetUser reads the user and its tags in one statement (store.users.get_with_tags): the
tags it returns are exactly ListUserTags', and only the named user's."""

import pytest
from botocore.exceptions import ClientError
from helpers import code

ROLE_TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
              '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}')


def test_tags_match_list_user_tags(iam, name):
    n = name("gt")
    tags = [{"Key": k, "Value": v} for k, v in (("b", "2"), ("A", ""), ("a2", "x y"), ("Z", "z"))]
    iam.create_user(UserName=n, Tags=tags)
    other = name("gto")
    iam.create_user(UserName=other, Tags=[{"Key": "other", "Value": "1"}])
    got = iam.get_user(UserName=n.upper() if n.upper() != n else n)["User"]
    assert got["UserName"] == n
    assert got["Tags"] == iam.list_user_tags(UserName=n)["Tags"]
    assert sorted(t["Key"] for t in got["Tags"]) == sorted(t["Key"] for t in tags)


def test_untagged_user_has_no_tags_member(iam, name):
    n = name("gu")
    iam.create_user(UserName=n, Tags=[{"Key": "k", "Value": "v"}])
    iam.untag_user(UserName=n, TagKeys=["k"])
    got = iam.get_user(UserName=n)["User"]
    assert "Tags" not in got and got["UserName"] == n


def test_other_entities_tags_do_not_leak(iam, name):
    n = name("gl")
    iam.create_user(UserName=n)
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=ROLE_TRUST, Tags=[{"Key": "role", "Value": "1"}])
    assert "Tags" not in iam.get_user(UserName=n)["User"]
    iam.delete_role(RoleName=n)


def test_missing_user(iam, name):
    n = name("gm")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=n)
    assert code(e) == "NoSuchEntity"
    assert e.value.response["Error"]["Message"] == f"The user with name {n} cannot be found."
