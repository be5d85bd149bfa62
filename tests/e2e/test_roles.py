"""Roles over HTTP with boto3: create (trust policy, boundary, tags), get, list, update,
trust policy updates, delete, tags, quotas."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import TRUST, all_pages, error, policy_doc, quota_override, response_bodies

POLICY = policy_doc()


def test_create_get_delete(iam, name, server):
    n = name("r")
    role = iam.create_role(RoleName=n, Path="/app/", AssumeRolePolicyDocument=TRUST,
                           Description="for tests")["Role"]
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["Arn"] == f"arn:aws:iam::{server.account_id}:role/app/{n}"
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert role["MaxSessionDuration"] == 3600 and role["Description"] == "for tests"
    assert "RoleLastUsed" not in role and "Tags" not in role
    got = iam.get_role(RoleName=n.upper())["Role"]
    assert got["RoleName"] == n and got["RoleId"] == role["RoleId"] and got["Path"] == "/app/"
    assert got["RoleLastUsed"] == {} and "Tags" not in got and "PermissionsBoundary" not in got
    assert got["CreateDate"] == role["CreateDate"]
    iam.delete_role(RoleName=n)
    for call in (iam.get_role, iam.delete_role):
        with pytest.raises(ClientError) as e:
            call(RoleName=n)
        assert error(e) == ("NoSuchEntity", f"The role with name {n} cannot be found.", 404)


def test_trust_policy_is_returned_as_written(iam, name):
    n = name("raw")
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", ' \
           '"Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]\n}'
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=text)
    with response_bodies(iam, "GetRole") as bodies:
        iam.get_role(RoleName=n)
    body = bodies[0]
    assert "%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22" in body
    assert iam.get_role(RoleName=n)["Role"]["AssumeRolePolicyDocument"] == json.loads(text)


def test_duplicate_name_is_case_insensitive(iam, name):
    n = name("Dup")
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=n.lower(), Path="/other/", AssumeRolePolicyDocument=TRUST)
    assert error(e) == ("EntityAlreadyExists", f"Role with name {n.lower()} already exists.", 409)


def test_create_role_input_errors(iam, unchecked_iam, name):
    n = name("bad")
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument="{not json")
    assert error(e) == ("MalformedPolicyDocument", "Syntax errors in policy.", 400)
    no_principal = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole"}]})
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=no_principal)
    assert error(e)[0] == "MalformedPolicyDocument"
    for duration in (3599, 43201):
        with pytest.raises(ClientError) as e:
            unchecked_iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST, MaxSessionDuration=duration)
        bound = "greater than or equal to 3600" if duration < 3600 else "less than or equal to 43200"
        assert error(e) == ("ValidationError", f"1 validation error detected: Value '{duration}' at "
                            f"'maxSessionDuration' failed to satisfy constraint: Member must have value "
                            f"{bound}", 400)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST, Path="/aws-service-role/x/")
    assert error(e) == ("InvalidInput", "Path prefix '/aws-service-role/' can only be used for AWS "
                                        "Service linked Roles", 400)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "aws:k", "Value": "v"}])
    assert error(e)[0] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=n)
    assert error(e)[0] == "NoSuchEntity"  # nothing half-created


def test_trust_policy_size_quota(iam, name):
    n = name("big")
    statement = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    sids = [dict(statement, Sid=f"S{i}") for i in range(40)]
    big = json.dumps({"Version": "2012-10-17", "Statement": sids})
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=big)
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409)
    # whitespace does not count: the same small document padded with spaces fits
    padded = json.dumps(json.loads(TRUST), indent=400)
    assert len(padded) > 2048
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=padded)
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=n, PolicyDocument=big)
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409)


def test_max_session_duration_and_updates(iam, unchecked_iam, name):
    n = name("upd")
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST, MaxSessionDuration=7200)
    assert iam.get_role(RoleName=n)["Role"]["MaxSessionDuration"] == 7200
    assert iam.update_role(RoleName=n, Description="d1", MaxSessionDuration=43200)["ResponseMetadata"]
    got = iam.get_role(RoleName=n)["Role"]
    assert got["Description"] == "d1" and got["MaxSessionDuration"] == 43200
    with pytest.raises(ClientError) as e:
        unchecked_iam.update_role(RoleName=n, MaxSessionDuration=100)
    assert error(e)[0] == "ValidationError"
    role = iam.update_role_description(RoleName=n, Description="d2")["Role"]
    assert role["Description"] == "d2" and role["RoleName"] == n and role["MaxSessionDuration"] == 43200
    missing = name("missing")
    for call, kw in ((iam.update_role, {"Description": "x"}),
                     (iam.update_role_description, {"Description": "x"}),
                     (iam.update_assume_role_policy, {"PolicyDocument": TRUST})):
        with pytest.raises(ClientError) as e:
            call(RoleName=missing, **kw)
        assert error(e) == ("NoSuchEntity", f"The role with name {missing} cannot be found.", 404)


def test_update_assume_role_policy(iam, name):
    n = name("trust")
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST)
    new = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.update_assume_role_policy(RoleName=n, PolicyDocument=new)
    assert iam.get_role(RoleName=n)["Role"]["AssumeRolePolicyDocument"] == json.loads(new)
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=n, PolicyDocument="[]")
    assert error(e)[0] == "MalformedPolicyDocument"
    assert iam.get_role(RoleName=n)["Role"]["AssumeRolePolicyDocument"] == json.loads(new)


def test_list_roles_paging_prefix_and_subset(iam, name):
    prefix = f"/{name('rp')}/"
    made = sorted(name("lr") for _ in range(5))
    for n in made:
        iam.create_role(RoleName=n, Path=prefix, AssumeRolePolicyDocument=TRUST,
                        Tags=[{"Key": "k", "Value": "v"}], Description="listed")
    seen = all_pages(iam.list_roles, "Roles", PathPrefix=prefix, MaxItems=2)
    assert [r["RoleName"] for r in seen] == made
    for r in seen:
        assert r["AssumeRolePolicyDocument"] == json.loads(TRUST) and r["Description"] == "listed"
        assert r["MaxSessionDuration"] == 3600
        assert "Tags" not in r and "RoleLastUsed" not in r and "PermissionsBoundary" not in r
    paged = [r["RoleName"] for p in iam.get_paginator("list_roles").paginate(
        PathPrefix=prefix, PaginationConfig={"PageSize": 3}) for r in p["Roles"]]
    assert paged == made


def test_permissions_boundary(iam, name, server):
    n, pol = name("pb"), name("pbpol")
    ghost = f"arn:aws:iam::{server.account_id}:policy/{name('nope')}"
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=ghost)
    assert error(e) == ("NoSuchEntity", f"Policy {ghost} does not exist or is not attachable.", 404)
    policy_arn = iam.create_policy(PolicyName=pol, PolicyDocument=POLICY)["Policy"]["Arn"]
    role = iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=policy_arn)["Role"]
    boundary = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": policy_arn}
    assert role["PermissionsBoundary"] == boundary
    assert iam.get_role(RoleName=n)["Role"]["PermissionsBoundary"] == boundary


def test_tags(iam, name):
    n = name("tr")
    role = iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST,
                           Tags=[{"Key": "Department", "Value": "finance"}])["Role"]
    assert role["Tags"] == [{"Key": "Department", "Value": "finance"}]
    iam.tag_role(RoleName=n, Tags=[{"Key": "department", "Value": "hr"}, {"Key": "b", "Value": ""}])
    assert sorted((t["Key"], t["Value"]) for t in iam.list_role_tags(RoleName=n)["Tags"]) == \
        [("b", ""), ("department", "hr")]
    assert sorted(t["Key"] for t in iam.get_role(RoleName=n)["Role"]["Tags"]) == ["b", "department"]
    iam.untag_role(RoleName=n, TagKeys=["B", "missing"])
    assert iam.list_role_tags(RoleName=n)["Tags"] == [{"Key": "department", "Value": "hr"}]
    iam.tag_role(RoleName=n, Tags=[{"Key": f"k{i:02}", "Value": "v"} for i in range(5)])
    keys = [t["Key"] for t in all_pages(iam.list_role_tags, "Tags", RoleName=n, MaxItems=2)]
    assert keys == ["department"] + [f"k{i:02}" for i in range(5)]
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName=n, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert error(e)[0] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName=n, Tags=[{"Key": f"z{i}", "Value": "v"} for i in range(45)])
    assert error(e)[0] == "LimitExceeded"
    missing = name("missing")
    for call, kw in ((iam.tag_role, {"Tags": [{"Key": "a", "Value": "b"}]}),
                     (iam.untag_role, {"TagKeys": ["a"]}), (iam.list_role_tags, {})):
        with pytest.raises(ClientError) as e:
            call(RoleName=missing, **kw)
        assert error(e) == ("NoSuchEntity", f"The role with name {missing} cannot be found.", 404)
    iam.delete_role(RoleName=n)
    iam.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST)
    assert iam.list_role_tags(RoleName=n)["Tags"] == []  # tags went with the old role


def test_roles_per_account_quota(iam, name, server):
    count = len(all_pages(iam.list_roles, "Roles", MaxItems=1000))
    with quota_override(server, RolesQuota=count + 1):
        iam.create_role(RoleName=name("last"), AssumeRolePolicyDocument=TRUST)
        with pytest.raises(ClientError) as e:
            iam.create_role(RoleName=name("over"), AssumeRolePolicyDocument=TRUST)
        assert error(e) == ("LimitExceeded", f"Cannot exceed quota for RolesPerAccount: {count + 1}", 409)
