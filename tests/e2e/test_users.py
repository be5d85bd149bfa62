"""Users over HTTP with boto3: create, get, list with paging, rename, delete, tags."""

import pytest
from botocore.exceptions import ClientError
from helpers import client_of, code, message


def test_create_get_delete(iam, name, server):
    n = name("u")
    user = iam.create_user(UserName=n, Path="/team/")["User"]
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["Arn"] == f"arn:aws:iam::{server.account_id}:user/team/{n}"
    got = iam.get_user(UserName=n)["User"]
    assert got["UserId"] == user["UserId"] and got["Path"] == "/team/"
    iam.delete_user(UserName=n)
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=n)
    assert code(e) == "NoSuchEntity"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert e.value.response["Error"]["Message"] == f"The user with name {n} cannot be found."


def test_duplicate_name_is_case_insensitive(iam, name):
    n = name("Dup")
    iam.create_user(UserName=n)
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=n.lower())
    assert code(e) == "EntityAlreadyExists"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_list_pagination_and_path_prefix(iam, name):
    prefix = f"/{name('p')}/"
    made = sorted(name("pg") for _ in range(7))
    for n in made:
        iam.create_user(UserName=n, Path=prefix)
    seen, marker = [], None
    while True:
        kw = {"PathPrefix": prefix, "MaxItems": 3}
        if marker:
            kw["Marker"] = marker
        page = iam.list_users(**kw)
        assert len(page["Users"]) <= 3
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert seen == made
    all_names = [u["UserName"] for p in iam.get_paginator("list_users").paginate(PathPrefix=prefix)
                 for u in p["Users"]]
    assert all_names == made


def test_update_user_rename_and_path(iam, name):
    old, new = name("old"), name("new")
    uid = iam.create_user(UserName=old)["User"]["UserId"]
    iam.tag_user(UserName=old, Tags=[{"Key": "team", "Value": "x"}])
    iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
    got = iam.get_user(UserName=new)["User"]
    assert got["UserId"] == uid and got["Path"] == "/moved/"
    assert got["Tags"] == [{"Key": "team", "Value": "x"}]
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=old)
    assert code(e) == "NoSuchEntity"


def test_rename_onto_existing_name_conflicts(iam, name):
    a, b = name("a"), name("b")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName=a, NewUserName=b.upper())
    assert code(e) == "EntityAlreadyExists"


def test_tags_case_insensitive_keys_and_limits(iam, name):
    n = name("tg")
    iam.create_user(UserName=n, Tags=[{"Key": "Department", "Value": "finance"}])
    iam.tag_user(UserName=n, Tags=[{"Key": "department", "Value": "hr"}, {"Key": "b", "Value": ""}])
    tags = iam.list_user_tags(UserName=n)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("b", ""), ("department", "hr")]
    iam.untag_user(UserName=n, TagKeys=["B", "missing"])
    assert iam.list_user_tags(UserName=n)["Tags"] == [{"Key": "department", "Value": "hr"}]
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName=n, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code(e) == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName=n, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert code(e) == "LimitExceeded"


def test_validation_error_wording(iam):
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="bad name!")
    assert code(e) == "ValidationError"
    assert e.value.response["Error"]["Message"].startswith(
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern")


def test_get_user_without_name_is_the_caller(iam, server, name):
    n = name("me")
    iam.create_user(UserName=n)
    me = client_of(server, iam, n, allow=("iam:GetUser",))
    assert me.get_user()["User"]["UserName"] == n
    root = iam.get_user()["User"]
    assert root["Arn"] == f"arn:aws:iam::{server.account_id}:root"


@pytest.mark.parametrize("forged", ["WzFd", "bm90LWpzb24", "WyJhIiwiYiJd", "e30", "!!!"])
def test_forged_marker_is_a_validation_error(iam, forged):
    """A marker is opaque: anything iamd did not issue is AWS's ValidationError (recorded
    against AWS), never a 500."""
    with pytest.raises(ClientError) as e:
        iam.list_users(Marker=forged)
    assert (code(e), message(e)) == ("ValidationError", "Invalid Marker.")


@pytest.mark.parametrize("forged", ["abc", "-1", " 1", "1.5"])
def test_forged_offset_marker_is_a_validation_error(iam, name, forged):
    """Lists short enough to be paged by offset (keys, tags) refuse a marker they did not issue too."""
    n = name("om")
    iam.create_user(UserName=n, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    keys = [iam.create_access_key(UserName=n)["AccessKey"]["AccessKeyId"] for _ in range(2)]
    for call, field, want in ((iam.list_access_keys, "AccessKeyMetadata", keys),
                              (iam.list_user_tags, "Tags", ["a", "b"])):
        first = call(UserName=n, MaxItems=1)
        rest = call(UserName=n, Marker=first["Marker"])
        got = [x.get("AccessKeyId") or x.get("Key") for x in first[field] + rest[field]]
        assert first["IsTruncated"] and not rest["IsTruncated"] and sorted(got) == sorted(want)
        with pytest.raises(ClientError) as e:
            call(UserName=n, Marker=forged)
        assert (code(e), message(e)) == ("ValidationError", "Invalid Marker.")
