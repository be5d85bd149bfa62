"""Attaching managed policies to users, groups and roles; counts, listings both ways,
quotas, permissions boundaries, and what attachments block."""

import pytest
from botocore.exceptions import ClientError
from helpers import TRUST, policy_doc
from helpers import code_status_message as error

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture
def policy(iam, name):
    return iam.create_policy(PolicyName=name("ap"), PolicyDocument=policy_doc())["Policy"]["Arn"]


def counts(iam, arn):
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    return p["AttachmentCount"], p["PermissionsBoundaryUsageCount"]


def test_attach_user_counts_and_listings(iam, name, policy):
    u = name("au")
    iam.create_user(UserName=u, Path="/ops/")
    iam.attach_user_policy(UserName=u, PolicyArn=policy)
    iam.attach_user_policy(UserName=u, PolicyArn=policy)  # twice: no change
    assert counts(iam, policy) == (1, 0)
    attached = iam.list_attached_user_policies(UserName=u)
    assert attached["AttachedPolicies"] == [{"PolicyName": policy.rsplit("/", 1)[1], "PolicyArn": policy}]
    assert attached["IsTruncated"] is False
    ents = iam.list_entities_for_policy(PolicyArn=policy)
    assert [x["UserName"] for x in ents["PolicyUsers"]] == [u]
    assert ents["PolicyGroups"] == [] and ents["PolicyRoles"] == []
    assert iam.list_entities_for_policy(PolicyArn=policy, PathPrefix="/other/")["PolicyUsers"] == []
    assert iam.list_entities_for_policy(PolicyArn=policy, EntityFilter="Role")["PolicyUsers"] == []
    only = [p["Arn"] for pg in iam.get_paginator("list_policies").paginate(Scope="Local", OnlyAttached=True)
            for p in pg["Policies"]]
    assert policy in only
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=policy)
    assert error(e) == ("DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert error(e) == ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
    iam.detach_user_policy(UserName=u, PolicyArn=policy)
    assert counts(iam, policy) == (0, 0)
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName=u, PolicyArn=policy)
    assert error(e)[:2] == ("NoSuchEntity", 404)
    iam.delete_user(UserName=u)
    iam.delete_policy(PolicyArn=policy)


def test_attach_errors(iam, name, server, policy):
    u = name("ae")
    iam.create_user(UserName=u)
    missing = f"arn:aws:iam::{server.account_id}:policy/missing-policy"
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName=u, PolicyArn=missing)
    assert error(e) == ("NoSuchEntity", 404, f"Policy {missing} does not exist or is not attachable.")
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName=name("nobody"), PolicyArn=policy)
    assert error(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName=u, PolicyArn="arn:aws:iam::aws:policy/aws-service-role/NoSuchOne")
    assert error(e)[:2] == ("NoSuchEntity", 404)


def test_attach_aws_managed_policy_counts_per_account(iam, name):
    u = name("aw")
    iam.create_user(UserName=u)
    before = counts(iam, ADMIN)[0]
    iam.attach_user_policy(UserName=u, PolicyArn=ADMIN)
    assert counts(iam, ADMIN)[0] == before + 1
    assert {"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN} in \
        iam.list_attached_user_policies(UserName=u)["AttachedPolicies"]
    attached_aws = [p["Arn"] for pg in iam.get_paginator("list_policies").paginate(Scope="AWS", OnlyAttached=True)
                    for p in pg["Policies"]]
    assert ADMIN in attached_aws
    iam.detach_user_policy(UserName=u, PolicyArn=ADMIN)
    assert counts(iam, ADMIN)[0] == before


def test_user_attach_quota(iam, name):
    u = name("aq")
    iam.create_user(UserName=u)
    arns = [iam.create_policy(PolicyName=name("q"), PolicyDocument=policy_doc())["Policy"]["Arn"] for _ in range(11)]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName=u, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName=u, PolicyArn=arns[10])
    assert error(e) == ("LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10")
    iam.attach_user_policy(UserName=u, PolicyArn=arns[0])  # already attached: not over quota
    page = iam.list_attached_user_policies(UserName=u, MaxItems=4)
    assert len(page["AttachedPolicies"]) == 4 and page["IsTruncated"]
    everything = [p["PolicyArn"] for pg in iam.get_paginator("list_attached_user_policies").paginate(UserName=u)
                  for p in pg["AttachedPolicies"]]
    assert sorted(everything) == sorted(arns[:10])


def test_group_and_role_attachments(iam, name, policy):
    g, r = name("ag"), name("ar")
    gid = iam.create_group(GroupName=g)["Group"]["GroupId"]
    rid = iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)["Role"]["RoleId"]
    iam.attach_group_policy(GroupName=g, PolicyArn=policy)
    iam.attach_role_policy(RoleName=r, PolicyArn=policy)
    assert counts(iam, policy) == (2, 0)
    assert iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"][0]["PolicyArn"] == policy
    assert iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"][0]["PolicyArn"] == policy
    ents = iam.list_entities_for_policy(PolicyArn=policy)
    assert ents["PolicyGroups"] == [{"GroupName": g, "GroupId": gid}]
    assert ents["PolicyRoles"] == [{"RoleName": r, "RoleId": rid}]
    only_groups = iam.list_entities_for_policy(PolicyArn=policy, EntityFilter="Group")
    assert only_groups["PolicyRoles"] == [] and len(only_groups["PolicyGroups"]) == 1
    assert iam.list_entities_for_policy(PolicyArn=policy, EntityFilter="LocalManagedPolicy")["PolicyRoles"] == []
    page = iam.list_entities_for_policy(PolicyArn=policy, MaxItems=1)
    assert page["IsTruncated"] and len(page["PolicyGroups"]) == 1 and page["PolicyRoles"] == []
    rest = iam.list_entities_for_policy(PolicyArn=policy, MaxItems=1, Marker=page["Marker"])
    assert rest["PolicyRoles"] == [{"RoleName": r, "RoleId": rid}] and not rest["IsTruncated"]
    for call in (lambda: iam.delete_group(GroupName=g), lambda: iam.delete_role(RoleName=r)):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
    iam.detach_group_policy(GroupName=g, PolicyArn=policy)
    iam.detach_role_policy(RoleName=r, PolicyArn=policy)
    iam.delete_group(GroupName=g)
    iam.delete_role(RoleName=r)
    assert counts(iam, policy) == (0, 0)


def test_role_attach_quota(iam, name):
    r = name("rq")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    arns = [iam.create_policy(PolicyName=name("rq"), PolicyDocument=policy_doc())["Policy"]["Arn"] for _ in range(11)]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=r, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName=r, PolicyArn=arns[10])
    assert error(e) == ("LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10")


def test_permissions_boundaries(iam, name, server, policy):
    u, r = name("bu"), name("br")
    iam.create_user(UserName=u)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=policy)
    iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=policy)
    assert iam.get_user(UserName=u)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": policy}
    assert counts(iam, policy) == (0, 2)
    assert iam.list_entities_for_policy(PolicyArn=policy)["PolicyUsers"] == []
    ents = iam.list_entities_for_policy(PolicyArn=policy, PolicyUsageFilter="PermissionsBoundary")
    assert [x["UserName"] for x in ents["PolicyUsers"]] == [u]
    assert [x["RoleName"] for x in ents["PolicyRoles"]] == [r]
    boundaries = [p["Arn"] for pg in iam.get_paginator("list_policies").paginate(
        Scope="Local", PolicyUsageFilter="PermissionsBoundary") for p in pg["Policies"]]
    assert policy in boundaries
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=policy)
    assert error(e) == ("DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    # replacing the boundary moves the count
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=ADMIN)
    assert counts(iam, policy) == (0, 1)
    missing = f"arn:aws:iam::{server.account_id}:policy/no-such-boundary"
    with pytest.raises(ClientError) as e:
        iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=missing)
    assert error(e) == ("NoSuchEntity", 404, f"Policy {missing} does not exist or is not attachable.")
    iam.delete_role_permissions_boundary(RoleName=r)
    iam.delete_user_permissions_boundary(UserName=u)
    assert "PermissionsBoundary" not in iam.get_user(UserName=u)["User"]
    assert counts(iam, policy) == (0, 0)
    with pytest.raises(ClientError) as e:
        iam.delete_user_permissions_boundary(UserName=name("ghost"))
    assert error(e)[:2] == ("NoSuchEntity", 404)
    iam.delete_policy(PolicyArn=policy)


def test_create_user_with_boundary(iam, name, server, policy):
    u = name("cb")
    user = iam.create_user(UserName=u, PermissionsBoundary=policy)["User"]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == policy
    assert counts(iam, policy) == (0, 1)
    missing = f"arn:aws:iam::{server.account_id}:policy/absent-boundary"
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=name("cb"), PermissionsBoundary=missing)
    assert error(e) == ("NoSuchEntity", 404, f"Policy {missing} does not exist or is not attachable.")
    # the boundary does not block deleting the user
    iam.delete_user(UserName=u)
    assert counts(iam, policy) == (0, 0)


def test_service_linked_role_refuses_changes(iam, policy):
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                          CustomSuffix=policy.rsplit("-", 1)[1])["Role"]
    name = role["RoleName"]
    doc_text = policy_doc()
    for call in (lambda: iam.attach_role_policy(RoleName=name, PolicyArn=policy),
                 lambda: iam.put_role_policy(RoleName=name, PolicyName="P", PolicyDocument=doc_text),
                 lambda: iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=policy)):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("UnmodifiableEntity", 400, f"Cannot perform the operation on the protected "
                            f"role '{name}' - this role is only modifiable by AWS")
    iam.delete_service_linked_role(RoleName=name)
