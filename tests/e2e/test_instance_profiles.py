"""Instance profiles over HTTP with boto3: create, get with the role, list, delete, the
one role per profile, profiles of a role, tags, quotas and delete conflicts."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import TRUST, all_pages, error, quota_override


def test_create_get_delete(iam, name, server):
    n = name("ip")
    profile = iam.create_instance_profile(InstanceProfileName=n, Path="/web/",
                                          Tags=[{"Key": "env", "Value": "prod"}])["InstanceProfile"]
    assert profile["InstanceProfileId"].startswith("AIPA") and len(profile["InstanceProfileId"]) == 21
    assert profile["Arn"] == f"arn:aws:iam::{server.account_id}:instance-profile/web/{n}"
    assert profile["Roles"] == [] and profile["Tags"] == [{"Key": "env", "Value": "prod"}]
    got = iam.get_instance_profile(InstanceProfileName=n.upper())["InstanceProfile"]
    assert got == profile
    iam.delete_instance_profile(InstanceProfileName=n)
    for call in (iam.get_instance_profile, iam.delete_instance_profile):
        with pytest.raises(ClientError) as e:
            call(InstanceProfileName=n)
        assert error(e) == ("NoSuchEntity", f"Instance Profile {n} cannot be found.", 404)


def test_duplicate_name_is_case_insensitive(iam, name):
    n = name("Dup")
    iam.create_instance_profile(InstanceProfileName=n)
    with pytest.raises(ClientError) as e:
        iam.create_instance_profile(InstanceProfileName=n.lower(), Path="/x/")
    assert error(e) == ("EntityAlreadyExists", f"Instance Profile {n.lower()} already exists.", 409)


def test_role_in_profile(iam, name, server):
    n, role, other = name("ipr"), name("r"), name("r2")
    iam.create_instance_profile(InstanceProfileName=n)
    made = iam.create_role(RoleName=role, Path="/svc/", AssumeRolePolicyDocument=TRUST,
                           Description="web", Tags=[{"Key": "k", "Value": "v"}])["Role"]
    iam.create_role(RoleName=other, AssumeRolePolicyDocument=TRUST)
    iam.add_role_to_instance_profile(InstanceProfileName=n, RoleName=role)
    roles = iam.get_instance_profile(InstanceProfileName=n)["InstanceProfile"]["Roles"]
    assert len(roles) == 1
    r = roles[0]
    assert r["RoleName"] == role and r["RoleId"] == made["RoleId"] and r["Path"] == "/svc/"
    assert r["Arn"] == f"arn:aws:iam::{server.account_id}:role/svc/{role}"
    assert r["AssumeRolePolicyDocument"] == json.loads(TRUST) and r["Description"] == "web"
    assert r["MaxSessionDuration"] == 3600 and r["CreateDate"] == made["CreateDate"]

    for candidate in (other, role):
        with pytest.raises(ClientError) as e:
            iam.add_role_to_instance_profile(InstanceProfileName=n, RoleName=candidate)
        assert error(e) == ("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)

    with pytest.raises(ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName=n)
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=role)
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)

    with pytest.raises(ClientError) as e:
        iam.remove_role_from_instance_profile(InstanceProfileName=n, RoleName=other)
    assert error(e)[0] == "NoSuchEntity" and error(e)[2] == 404
    iam.remove_role_from_instance_profile(InstanceProfileName=n, RoleName=role.upper())
    assert iam.get_instance_profile(InstanceProfileName=n)["InstanceProfile"]["Roles"] == []
    iam.add_role_to_instance_profile(InstanceProfileName=n, RoleName=other)
    iam.delete_role(RoleName=role)
    iam.remove_role_from_instance_profile(InstanceProfileName=n, RoleName=other)
    iam.delete_instance_profile(InstanceProfileName=n)


def test_unknown_entities(iam, name):
    n, role, ghost = name("ipu"), name("ru"), name("ghost")
    iam.create_instance_profile(InstanceProfileName=n)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    for call in (iam.add_role_to_instance_profile, iam.remove_role_from_instance_profile):
        with pytest.raises(ClientError) as e:
            call(InstanceProfileName=ghost, RoleName=role)
        assert error(e) == ("NoSuchEntity", f"Instance Profile {ghost} cannot be found.", 404)
        with pytest.raises(ClientError) as e:
            call(InstanceProfileName=n, RoleName=ghost)
        assert error(e) == ("NoSuchEntity", f"The role with name {ghost} cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.list_instance_profiles_for_role(RoleName=ghost)
    assert error(e) == ("NoSuchEntity", f"The role with name {ghost} cannot be found.", 404)


def test_list_instance_profiles_paging_prefix_and_roles(iam, name):
    prefix = f"/{name('ipp')}/"
    made = sorted(name("lp") for _ in range(5))
    role = name("lr")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    for n in made:
        iam.create_instance_profile(InstanceProfileName=n, Path=prefix, Tags=[{"Key": "a", "Value": "b"}])
    iam.add_role_to_instance_profile(InstanceProfileName=made[1], RoleName=role)
    iam.add_role_to_instance_profile(InstanceProfileName=made[3], RoleName=role)
    seen = all_pages(iam.list_instance_profiles, "InstanceProfiles", PathPrefix=prefix, MaxItems=2)
    assert [p["InstanceProfileName"] for p in seen] == made
    assert all("Tags" not in p for p in seen)
    assert [[r["RoleName"] for r in p["Roles"]] for p in seen] == [[], [role], [], [role], []]
    assert seen[1]["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(TRUST)

    for_role = all_pages(iam.list_instance_profiles_for_role, "InstanceProfiles", RoleName=role, MaxItems=1)
    assert [p["InstanceProfileName"] for p in for_role] == [made[1], made[3]]
    assert for_role[0]["Roles"][0]["RoleName"] == role
    fresh = name("lonely")
    iam.create_role(RoleName=fresh, AssumeRolePolicyDocument=TRUST)
    out = iam.list_instance_profiles_for_role(RoleName=fresh)
    assert out["InstanceProfiles"] == [] and out["IsTruncated"] is False


def test_tags_are_case_sensitive(iam, name):
    n = name("ipt")
    iam.create_instance_profile(InstanceProfileName=n)
    iam.tag_instance_profile(InstanceProfileName=n, Tags=[{"Key": "Costcenter", "Value": "1"},
                                                          {"Key": "b", "Value": ""}])
    iam.tag_instance_profile(InstanceProfileName=n, Tags=[{"Key": "costcenter", "Value": "2"}])
    tags = iam.list_instance_profile_tags(InstanceProfileName=n)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("Costcenter", "1"), ("b", ""), ("costcenter", "2")]
    iam.untag_instance_profile(InstanceProfileName=n, TagKeys=["COSTCENTER", "b"])
    assert len(iam.list_instance_profile_tags(InstanceProfileName=n)["Tags"]) == 2
    iam.untag_instance_profile(InstanceProfileName=n, TagKeys=["Costcenter"])
    assert iam.get_instance_profile(InstanceProfileName=n)["InstanceProfile"]["Tags"] == \
        [{"Key": "costcenter", "Value": "2"}]
    iam.tag_instance_profile(InstanceProfileName=n, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(4)])
    keys = [t["Key"] for t in all_pages(iam.list_instance_profile_tags, "Tags", InstanceProfileName=n, MaxItems=2)]
    assert len(keys) == 5 and set(keys) == {"costcenter", "k0", "k1", "k2", "k3"}
    with pytest.raises(ClientError) as e:
        iam.tag_instance_profile(InstanceProfileName=n, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert error(e)[0] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.tag_instance_profile(InstanceProfileName=n, Tags=[{"Key": f"z{i}", "Value": "v"} for i in range(46)])
    assert error(e)[0] == "LimitExceeded"
    ghost = name("ghost")
    for call, kw in ((iam.tag_instance_profile, {"Tags": [{"Key": "a", "Value": "b"}]}),
                     (iam.untag_instance_profile, {"TagKeys": ["a"]}), (iam.list_instance_profile_tags, {})):
        with pytest.raises(ClientError) as e:
            call(InstanceProfileName=ghost, **kw)
        assert error(e) == ("NoSuchEntity", f"Instance Profile {ghost} cannot be found.", 404)


def test_instance_profiles_per_account_quota(iam, name, server):
    count = len(all_pages(iam.list_instance_profiles, "InstanceProfiles", MaxItems=1000))
    with quota_override(server, InstanceProfilesQuota=count + 1):
        iam.create_instance_profile(InstanceProfileName=name("last"))
        with pytest.raises(ClientError) as e:
            iam.create_instance_profile(InstanceProfileName=name("over"))
        assert error(e) == ("LimitExceeded",
                            f"Cannot exceed quota for InstanceProfilesPerAccount: {count + 1}", 409)
