"""Groups over HTTP with boto3: create, get with members, list, rename/move, delete,
membership and its quotas and delete conflicts."""

import pytest
from botocore.exceptions import ClientError
from helpers import all_pages, error, quota_override


def test_create_get_delete(iam, name, server):
    n = name("g")
    group = iam.create_group(GroupName=n, Path="/team/")["Group"]
    assert group["GroupId"].startswith("AGPA") and len(group["GroupId"]) == 21
    assert group["Arn"] == f"arn:aws:iam::{server.account_id}:group/team/{n}"
    assert group["Path"] == "/team/" and group["GroupName"] == n
    got = iam.get_group(GroupName=n.upper())
    assert got["Group"] == group and got["Users"] == [] and got["IsTruncated"] is False
    iam.delete_group(GroupName=n)
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName=n)
    assert error(e) == ("NoSuchEntity", f"The group with name {n} cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=n)
    assert error(e)[0] == "NoSuchEntity"


def test_duplicate_name_is_case_insensitive_and_path_blind(iam, name):
    n = name("Dup")
    iam.create_group(GroupName=n, Path="/a/")
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName=n.lower(), Path="/b/")
    assert error(e) == ("EntityAlreadyExists", f"Group with name {n.lower()} already exists.", 409)


def test_list_groups_paging_and_path_prefix(iam, name):
    prefix = f"/{name('gp')}/"
    made = sorted(name("lg") for _ in range(5))
    for n in made:
        iam.create_group(GroupName=n, Path=prefix + "sub/")
    iam.create_group(GroupName=name("other"), Path=f"/{name('elsewhere')}/")
    seen = all_pages(iam.list_groups, "Groups", PathPrefix=prefix, MaxItems=2)
    assert [g["GroupName"] for g in seen] == made
    assert all(g["Path"] == prefix + "sub/" for g in seen)
    with pytest.raises(ClientError) as e:
        iam.list_groups(Marker="not-a-marker")
    assert error(e)[0] == "ValidationError"


def test_update_group_rename_and_move_keeps_members(iam, name, server):
    old, new, user = name("old"), name("new"), name("u")
    gid = iam.create_group(GroupName=old)["Group"]["GroupId"]
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=old, UserName=user)
    iam.update_group(GroupName=old, NewGroupName=new, NewPath="/moved/")
    got = iam.get_group(GroupName=new)
    assert got["Group"]["GroupId"] == gid and got["Group"]["Path"] == "/moved/"
    assert got["Group"]["Arn"] == f"arn:aws:iam::{server.account_id}:group/moved/{new}"
    assert [u["UserName"] for u in got["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [new]
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName=old)
    assert error(e)[0] == "NoSuchEntity"
    iam.update_group(GroupName=new, NewPath="/")
    assert iam.get_group(GroupName=new)["Group"]["Path"] == "/"


def test_update_group_errors(iam, name):
    a, b = name("a"), name("b")
    iam.create_group(GroupName=a)
    iam.create_group(GroupName=b)
    with pytest.raises(ClientError) as e:
        iam.update_group(GroupName=a, NewGroupName=b.upper())
    assert error(e) == ("EntityAlreadyExists", f"Group with name {b.upper()} already exists.", 409)
    missing = name("missing")
    with pytest.raises(ClientError) as e:
        iam.update_group(GroupName=missing, NewPath="/x/")
    assert error(e) == ("NoSuchEntity", f"The group with name {missing} cannot be found.", 404)


def test_membership_add_remove_and_listings(iam, name):
    g, other = name("mg"), name("mg2")
    users = sorted(name("mu") for _ in range(5))
    iam.create_group(GroupName=g)
    iam.create_group(GroupName=other)
    for u in users:
        iam.create_user(UserName=u, Path="/members/")
        iam.add_user_to_group(GroupName=g, UserName=u)
    iam.add_user_to_group(GroupName=g, UserName=users[0])  # again: no error, no change
    iam.add_user_to_group(GroupName=other, UserName=users[0])

    members = all_pages(iam.get_group, "Users", GroupName=g, MaxItems=2)
    assert [u["UserName"] for u in members] == users
    assert all(u["UserId"].startswith("AIDA") and u["Path"] == "/members/" for u in members)
    page = iam.get_group(GroupName=g, MaxItems=2)
    assert page["IsTruncated"] is True and page["Group"]["GroupName"] == g

    groups = all_pages(iam.list_groups_for_user, "Groups", UserName=users[0], MaxItems=1)
    assert [x["GroupName"] for x in groups] == sorted([g, other])
    assert iam.list_groups_for_user(UserName=users[1])["Groups"][0]["GroupName"] == g

    iam.remove_user_from_group(GroupName=g, UserName=users[0].upper())
    assert [u["UserName"] for u in iam.get_group(GroupName=g)["Users"]] == users[1:]
    with pytest.raises(ClientError) as e:
        iam.remove_user_from_group(GroupName=g, UserName=users[0])
    assert error(e) == ("NoSuchEntity", f"User {users[0]} not in group {g}", 404)


def test_membership_unknown_entities(iam, name):
    g, u, ghost = name("kg"), name("ku"), name("ghost")
    iam.create_group(GroupName=g)
    iam.create_user(UserName=u)
    for call in (iam.add_user_to_group, iam.remove_user_from_group):
        with pytest.raises(ClientError) as e:
            call(GroupName=g, UserName=ghost)
        assert error(e) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)
        with pytest.raises(ClientError) as e:
            call(GroupName=ghost, UserName=u)
        assert error(e) == ("NoSuchEntity", f"The group with name {ghost} cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.list_groups_for_user(UserName=ghost)
    assert error(e) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)


def test_delete_conflicts_while_members_exist(iam, name):
    g, u = name("cg"), name("cu")
    iam.create_group(GroupName=g)
    iam.create_user(UserName=u)
    iam.add_user_to_group(GroupName=g, UserName=u)
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=g)
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=u)
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    iam.remove_user_from_group(GroupName=g, UserName=u)
    iam.delete_user(UserName=u)
    iam.delete_group(GroupName=g)


def test_renamed_user_keeps_membership(iam, name):
    g, old, new = name("rg"), name("ru"), name("ru2")
    iam.create_group(GroupName=g)
    iam.create_user(UserName=old)
    iam.add_user_to_group(GroupName=g, UserName=old)
    iam.update_user(UserName=old, NewUserName=new)
    assert [u["UserName"] for u in iam.get_group(GroupName=g)["Users"]] == [new]


def test_groups_per_user_quota(iam, name):
    u = name("qu")
    iam.create_user(UserName=u)
    groups = [name("qg") for _ in range(11)]
    for g in groups:
        iam.create_group(GroupName=g)
    for g in groups[:10]:
        iam.add_user_to_group(GroupName=g, UserName=u)
    iam.add_user_to_group(GroupName=groups[0], UserName=u)  # re-adding at the quota is fine
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName=groups[10], UserName=u)
    assert error(e) == ("LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)
    iam.remove_user_from_group(GroupName=groups[0], UserName=u)
    iam.add_user_to_group(GroupName=groups[10], UserName=u)


def test_groups_per_account_quota(iam, name, server):
    count = len(all_pages(iam.list_groups, "Groups", MaxItems=1000))
    with quota_override(server, GroupsQuota=count + 1):
        iam.create_group(GroupName=name("last"))
        with pytest.raises(ClientError) as e:
            iam.create_group(GroupName=name("over"))
        assert error(e) == ("LimitExceeded", f"Cannot exceed quota for GroupsPerAccount: {count + 1}", 409)


def test_invalid_names_and_paths(iam):
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName="bad name")
    assert error(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName="okname", Path="no-slashes")
    assert error(e)[0] == "ValidationError"
