"""Inline policies of users, groups and roles: put/overwrite, get as written, list, delete,
the aggregate size quotas, and the DeleteConflict they raise on their entity."""

import json
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError
from helpers import TRUST, policy_doc, response_bodies
from helpers import code_status_message as error


def test_user_inline_lifecycle(iam, name):
    u = name("iu")
    iam.create_user(UserName=u)
    text = '{"Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}'  # no Version: inline accepts it
    iam.put_user_policy(UserName=u, PolicyName="Read", PolicyDocument=text)
    got = iam.get_user_policy(UserName=u.upper(), PolicyName="Read")
    assert got["UserName"] == u and got["PolicyName"] == "Read"
    assert got["PolicyDocument"] == json.loads(text)
    iam.put_user_policy(UserName=u, PolicyName="Read", PolicyDocument=policy_doc("s3:*"))  # overwrite
    assert iam.get_user_policy(UserName=u, PolicyName="Read")["PolicyDocument"]["Statement"][0]["Action"] == "s3:*"
    iam.put_user_policy(UserName=u, PolicyName="Another", PolicyDocument=policy_doc())
    assert iam.list_user_policies(UserName=u)["PolicyNames"] == ["Another", "Read"]
    page = iam.list_user_policies(UserName=u, MaxItems=1)
    assert page["PolicyNames"] == ["Another"] and page["IsTruncated"]
    assert iam.list_user_policies(UserName=u, Marker=page["Marker"])["PolicyNames"] == ["Read"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert error(e) == ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
    iam.delete_user_policy(UserName=u, PolicyName="Read")
    iam.delete_user_policy(UserName=u, PolicyName="Another")
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName=u, PolicyName="Read")
    assert error(e) == ("NoSuchEntity", 404, "The user policy with name Read cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.delete_user_policy(UserName=u, PolicyName="Read")
    assert error(e)[:2] == ("NoSuchEntity", 404)
    iam.delete_user(UserName=u)


def test_document_on_the_wire_is_the_text_as_written(iam, name, server):
    u = name("wire")
    iam.create_user(UserName=u)
    text = '{"Version":"2012-10-17",\n "Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}'
    iam.put_user_policy(UserName=u, PolicyName="P", PolicyDocument=text)
    with response_bodies(iam, "GetUserPolicy") as raw:
        iam.get_user_policy(UserName=u, PolicyName="P")
    body = raw[0]
    encoded = body.split("<PolicyDocument>")[1].split("</PolicyDocument>")[0]
    assert unquote(encoded) == text


def test_inline_errors(iam, name):
    u = name("ie")
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=u, PolicyName="P", PolicyDocument=policy_doc())
    assert error(e) == ("NoSuchEntity", 404, f"The user with name {u} cannot be found.")
    iam.create_user(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=u, PolicyName="P", PolicyDocument=policy_doc(resource="nope"))
    assert error(e) == ("MalformedPolicyDocument", 400, 'Resource nope must be in ARN format or "*".')
    principal = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=u, PolicyName="P", PolicyDocument=principal)
    assert error(e)[:2] == ("MalformedPolicyDocument", 400)


def _sized(n_actions: int) -> str:
    return policy_doc([f"s3:Get{i:04d}" for i in range(n_actions)])


def test_user_aggregate_quota(iam, name):
    u = name("uq")
    iam.create_user(UserName=u)
    one = _sized(60)  # ~800 characters
    iam.put_user_policy(UserName=u, PolicyName="A", PolicyDocument=one)
    iam.put_user_policy(UserName=u, PolicyName="B", PolicyDocument=one)
    iam.put_user_policy(UserName=u, PolicyName="B", PolicyDocument=one)  # overwrite is not counted twice
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=u, PolicyName="C", PolicyDocument=one)
    assert error(e) == ("LimitExceeded", 409, f"Maximum policy size of 2048 bytes exceeded for user {u}")
    # whitespace does not count
    padded = policy_doc("s3:GetObject")[:-1] + " " * 3000 + "}"
    iam.put_user_policy(UserName=u, PolicyName="D", PolicyDocument=padded)


def test_group_inline_and_quota(iam, name):
    g = name("ig")
    iam.create_group(GroupName=g)
    iam.put_group_policy(GroupName=g, PolicyName="G1", PolicyDocument=policy_doc())
    got = iam.get_group_policy(GroupName=g, PolicyName="G1")
    assert got["GroupName"] == g and got["PolicyDocument"] == json.loads(policy_doc())
    assert iam.list_group_policies(GroupName=g)["PolicyNames"] == ["G1"]
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=g)
    assert error(e) == ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
    big = _sized(400)  # over 5120
    with pytest.raises(ClientError) as e:
        iam.put_group_policy(GroupName=g, PolicyName="G2", PolicyDocument=big)
    assert error(e) == ("LimitExceeded", 409, f"Maximum policy size of 5120 bytes exceeded for group {g}")
    with pytest.raises(ClientError) as e:
        iam.get_group_policy(GroupName=g, PolicyName="G2")
    assert error(e) == ("NoSuchEntity", 404, "The group policy with name G2 cannot be found.")
    iam.delete_group_policy(GroupName=g, PolicyName="G1")
    iam.delete_group(GroupName=g)


def test_role_inline_and_quota(iam, name):
    r = name("ir")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    medium = _sized(300)  # ~4000 characters: too big for a user, fine for a role
    iam.put_role_policy(RoleName=r, PolicyName="R1", PolicyDocument=medium)
    iam.put_role_policy(RoleName=r, PolicyName="R2", PolicyDocument=medium)
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName=r, PolicyName="R3", PolicyDocument=medium)
    assert error(e) == ("LimitExceeded", 409, f"Maximum policy size of 10240 bytes exceeded for role {r}")
    assert iam.get_role_policy(RoleName=r, PolicyName="R1")["RoleName"] == r
    assert iam.list_role_policies(RoleName=r)["PolicyNames"] == ["R1", "R2"]
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=r)
    assert error(e) == ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
    with pytest.raises(ClientError) as e:
        iam.get_role_policy(RoleName=r, PolicyName="Nope")
    assert error(e) == ("NoSuchEntity", 404, "The role policy with name Nope cannot be found.")
    iam.delete_role_policy(RoleName=r, PolicyName="R1")
    iam.delete_role_policy(RoleName=r, PolicyName="R2")
    iam.delete_role(RoleName=r)
