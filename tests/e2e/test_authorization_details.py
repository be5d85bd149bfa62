"""GetAccountAuthorizationDetails over HTTP: what each list holds, filters, and paging
that neither repeats nor drops entities while the account changes between pages."""

import json
import time
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError
from helpers import bulk_users, db, response_bodies
from sqlalchemy import insert, inspect, text

from iamd.store.schema.core import tags, users
from iamd.store.schema.entities import groups, roles

TRUST = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", ' \
        '"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]\n}'
DOC_V1 = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
DOC_V2 = '{\n "Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]\n}'
INLINE = '{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}}'
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def everything(iam, **kw) -> dict:
    out = {k: [] for k in LISTS}
    for page in iam.get_paginator("get_account_authorization_details").paginate(**kw):
        for k in LISTS:
            out[k] += page[k]
    return out


def by(items: list, key: str, value: str) -> dict:
    found = [i for i in items if i[key] == value]
    assert len(found) == 1, f"{value}: {len(found)} entries"
    return found[0]


@pytest.fixture
def raw_bodies(iam):
    """The XML bodies of GAAD answers, to see documents as sent on the wire."""
    with response_bodies(iam, "GetAccountAuthorizationDetails") as bodies:
        yield bodies


@pytest.fixture
def world(iam, name):
    """A user, group, role, instance profile and managed policy wired to each other."""
    w = {k: name(k) for k in ("user", "group", "role", "profile", "policy", "boundary")}
    pol = iam.create_policy(PolicyName=w["policy"], PolicyDocument=DOC_V1, Path="/gaad/",
                            Description="gaad test")["Policy"]
    iam.create_policy_version(PolicyArn=pol["Arn"], PolicyDocument=DOC_V2, SetAsDefault=True)
    bnd = iam.create_policy(PolicyName=w["boundary"], PolicyDocument=DOC_V1)["Policy"]
    w.update(policy_arn=pol["Arn"], policy_id=pol["PolicyId"], boundary_arn=bnd["Arn"])
    w["user_row"] = iam.create_user(UserName=w["user"], Path="/gaad/", PermissionsBoundary=bnd["Arn"],
                                    Tags=[{"Key": "team", "Value": "blue"}])["User"]
    w["group_row"] = iam.create_group(GroupName=w["group"])["Group"]
    iam.add_user_to_group(GroupName=w["group"], UserName=w["user"])
    w["role_row"] = iam.create_role(RoleName=w["role"], AssumeRolePolicyDocument=TRUST,
                                    Tags=[{"Key": "env", "Value": "prod"}])["Role"]
    iam.put_role_permissions_boundary(RoleName=w["role"], PermissionsBoundary=bnd["Arn"])
    w["profile_row"] = iam.create_instance_profile(InstanceProfileName=w["profile"])["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName=w["profile"], RoleName=w["role"])
    for kind in ("user", "group", "role"):
        getattr(iam, f"attach_{kind}_policy")(**{f"{kind.capitalize()}Name": w[kind], "PolicyArn": pol["Arn"]})
        getattr(iam, f"put_{kind}_policy")(**{f"{kind.capitalize()}Name": w[kind], "PolicyName": "inline",
                                              "PolicyDocument": INLINE})
    return w


def test_entities_in_full(iam, server, world, raw_bodies):
    w, acct = world, server.account_id
    got = everything(iam, MaxItems=1000)
    user = by(got["UserDetailList"], "UserName", w["user"])
    assert user == {
        "Path": "/gaad/", "UserName": w["user"], "UserId": w["user_row"]["UserId"],
        "Arn": f"arn:aws:iam::{acct}:user/gaad/{w['user']}", "CreateDate": w["user_row"]["CreateDate"],
        "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": json.loads(INLINE)}],
        "GroupList": [w["group"]],
        "AttachedManagedPolicies": [{"PolicyName": w["policy"], "PolicyArn": w["policy_arn"]}],
        "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": w["boundary_arn"]},
        "Tags": [{"Key": "team", "Value": "blue"}]}
    group = by(got["GroupDetailList"], "GroupName", w["group"])
    assert group == {
        "Path": "/", "GroupName": w["group"], "GroupId": w["group_row"]["GroupId"],
        "Arn": f"arn:aws:iam::{acct}:group/{w['group']}", "CreateDate": w["group_row"]["CreateDate"],
        "GroupPolicyList": [{"PolicyName": "inline", "PolicyDocument": json.loads(INLINE)}],
        "AttachedManagedPolicies": [{"PolicyName": w["policy"], "PolicyArn": w["policy_arn"]}]}
    role = by(got["RoleDetailList"], "RoleName", w["role"])
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert role["RolePolicyList"] == [{"PolicyName": "inline", "PolicyDocument": json.loads(INLINE)}]
    assert role["AttachedManagedPolicies"] == [{"PolicyName": w["policy"], "PolicyArn": w["policy_arn"]}]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == w["boundary_arn"]
    assert role["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert role["RoleLastUsed"] == {}
    [profile] = role["InstanceProfileList"]
    assert profile["InstanceProfileName"] == w["profile"]
    assert profile["InstanceProfileId"] == w["profile_row"]["InstanceProfileId"]
    assert profile["Arn"] == f"arn:aws:iam::{acct}:instance-profile/{w['profile']}"
    assert [r["RoleName"] for r in profile["Roles"]] == [w["role"]]
    assert profile["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    policy = by(got["Policies"], "PolicyName", w["policy"])
    versions = policy.pop("PolicyVersionList")
    assert policy["PolicyId"] == w["policy_id"] and policy["Path"] == "/gaad/"
    assert policy["DefaultVersionId"] == "v2" and policy["AttachmentCount"] == 3
    assert policy["PermissionsBoundaryUsageCount"] == 0 and policy["IsAttachable"] is True
    assert policy["Description"] == "gaad test"
    assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"]) for v in versions] == [
        ("v1", False, json.loads(DOC_V1)), ("v2", True, json.loads(DOC_V2))]
    boundary = by(got["Policies"], "PolicyName", w["boundary"])
    assert (boundary["AttachmentCount"], boundary["PermissionsBoundaryUsageCount"]) == (0, 2)
    # Documents travel as written (whitespace kept), percent-encoded.
    wire = "".join(raw_bodies)
    assert quote(TRUST, safe="-_.~") in wire and quote(DOC_V2, safe="-_.~") in wire


def test_filters(iam, world):
    only_users = iam.get_account_authorization_details(Filter=["User"], MaxItems=1000)
    assert only_users["UserDetailList"] and not any(only_users[k] for k in LISTS[1:])
    both = everything(iam, Filter=["Role", "Group"], MaxItems=1000)
    assert both["RoleDetailList"] and both["GroupDetailList"]
    assert not both["UserDetailList"] and not both["Policies"]
    local = everything(iam, Filter=["LocalManagedPolicy"])
    assert local["Policies"] and all(":aws:policy" not in p["Arn"] for p in local["Policies"])
    assert world["policy_arn"] in {p["Arn"] for p in local["Policies"]}
    empty = everything(iam, Filter=[])  # botocore sends `Filter=`: all types
    assert all(empty[k] for k in LISTS)


def test_aws_managed_only_when_in_use(iam, name):
    aws = iam.list_policies(Scope="AWS", MaxItems=2)["Policies"]
    if len(aws) < 2:
        pytest.skip("no AWS managed policies loaded in this store")
    used, unused = aws
    for p in everything(iam, Filter=["AWSManagedPolicy"])["Policies"]:
        iam.get_policy(PolicyArn=p["Arn"])  # whatever is listed exists
        assert p["AttachmentCount"] + p["PermissionsBoundaryUsageCount"] > 0
    group = name("awsg")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=used["Arn"])
    arns = {p["Arn"] for p in everything(iam, Filter=["AWSManagedPolicy"])["Policies"]}
    assert used["Arn"] in arns and (unused["Arn"] not in arns or
                                    iam.get_policy(PolicyArn=unused["Arn"])["Policy"]["AttachmentCount"])
    detail = by(everything(iam, Filter=["AWSManagedPolicy"])["Policies"], "Arn", used["Arn"])
    assert detail["PolicyVersionList"] and any(v["IsDefaultVersion"] for v in detail["PolicyVersionList"])
    assert not any(p["Arn"].startswith("arn:aws:iam::aws:") for p in
                   everything(iam, Filter=["LocalManagedPolicy"])["Policies"])
    iam.detach_group_policy(GroupName=group, PolicyArn=used["Arn"])


def ids_of(page: dict) -> list[str]:
    return ([u["UserId"] for u in page["UserDetailList"]] + [g["GroupId"] for g in page["GroupDetailList"]]
            + [r["RoleId"] for r in page["RoleDetailList"]] + [p["PolicyId"] for p in page["Policies"]])


def test_paging_survives_changes(iam, name, world):
    fixed = [name("pg") for _ in range(6)]
    for n in fixed:
        iam.create_user(UserName=n)
    doomed, renamed = name("gone"), name("ren")
    iam.create_user(UserName=doomed)
    renamed_id = iam.create_user(UserName=renamed)["User"]["UserId"]
    start = set(ids_of(everything(iam, MaxItems=1000)))
    seen, marker, pages, changed = [], None, 0, False
    while True:
        kw = {"MaxItems": 7}
        if marker:
            kw["Marker"] = marker
        page = iam.get_account_authorization_details(**kw)
        got = ids_of(page)
        assert 0 < len(got) <= 7 or not page["IsTruncated"]
        seen += got
        pages += 1
        if not changed:  # between the first and second page: churn
            iam.delete_user(UserName=doomed)
            iam.update_user(UserName=renamed, NewUserName=name("moved"))
            fresh = iam.create_user(UserName=name("late"))["User"]["UserId"]
            changed = True
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert pages > 1
    assert len(seen) == len(set(seen)), "an entity was returned twice"
    doomed_gone = start - set(seen)
    assert len(doomed_gone) <= 1  # only the deleted user may be missing
    assert renamed_id in seen and fresh in seen


def test_invalid_marker(iam):
    for bad in ("not-a-marker", "WzEsMiwzXQ=="):  # the second: base64 of [1,2,3]
        with pytest.raises(ClientError) as e:
            iam.get_account_authorization_details(Marker=bad)
        assert e.value.response["Error"]["Code"] == "ValidationError"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- scale: a dedicated server, filled straight through its database ------------------------

def test_ten_thousand_entities_page_quickly(own_server):
    engine = db(own_server)
    now, acct = time.time(), own_server.account_id
    with engine.begin() as conn:
        conn.execute(insert(users), bulk_users(acct, 6000, now))
        conn.execute(insert(tags), [{"resource_type": "user", "resource_id": f"AIDABIG{i:014d}", "key_norm": "k",
                                     "key": "k", "value": str(i), "account_id": acct} for i in range(6000)])
        conn.execute(insert(groups), [{"group_id": f"AGPABIG{i:014d}", "account_id": acct, "name": f"g{i:05d}",
                                       "name_lower": f"g{i:05d}", "path": "/", "created_at": now}
                                      for i in range(1000)])
        conn.execute(insert(roles), [{"role_id": f"AROABIG{i:014d}", "account_id": acct, "name": f"r{i:05d}",
                                      "name_lower": f"r{i:05d}", "path": "/", "created_at": now,
                                      "assume_role_policy": TRUST, "max_session_duration": 3600,
                                      "service_linked": False} for i in range(3000)])
        if own_server.database_url:
            conn.exec_driver_sql("ANALYZE")  # what autovacuum does soon after a bulk load
    engine.dispose()
    iam = own_server.client("iam")
    got = everything(iam, MaxItems=500)
    assert [len(got[k]) for k in LISTS[:3]] == [6000, 1000, 3000]
    assert [u["UserName"] for u in got["UserDetailList"][:2]] == ["u00000", "u00001"]
    assert got["UserDetailList"][5999]["Tags"] == [{"Key": "k", "Value": "5999"}]


def test_a_database_from_before_the_covering_indexes_is_upgraded(server, server_factory, name):
    """m0120 replaces the relation indexes of an older database; the answer is the same."""
    srv = server_factory(server.engine, extra_args=["--no-access-log"]).start()
    iam = srv.client("iam")
    user, group = name("ixu"), name("ixg")
    arn = iam.create_policy(PolicyName=name("ixp"), PolicyDocument=DOC_V1)["Policy"]["Arn"]
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    for kind, entity in (("user", user), ("group", group)):
        getattr(iam, f"attach_{kind}_policy")(**{f"{kind.capitalize()}Name": entity, "PolicyArn": arn})
    before = everything(iam, MaxItems=1000)
    srv.stop()
    engine = db(srv)  # back to the indexes before m0120
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_policy_attachments_entity_policy"))
            conn.execute(text("DROP INDEX ix_group_members_user_group"))
            conn.execute(text("CREATE INDEX ix_policy_attachments_entity ON policy_attachments (entity_type, entity_id)"))
            conn.execute(text("CREATE INDEX ix_group_members_user ON group_members (user_id)"))
            conn.execute(text("DELETE FROM schema_migrations WHERE version = 120"))
        srv.start()
        names = {t: {i["name"] for i in inspect(engine).get_indexes(t)} for t in ("policy_attachments", "group_members")}
    finally:
        engine.dispose()
    assert "ix_policy_attachments_entity_policy" in names["policy_attachments"]
    assert "ix_policy_attachments_entity" not in names["policy_attachments"]
    assert "ix_group_members_user_group" in names["group_members"]
    assert "ix_group_members_user" not in names["group_members"]
    after = everything(srv.client("iam"), MaxItems=1000)
    assert by(after["UserDetailList"], "UserName", user) == by(before["UserDetailList"], "UserName", user)
    assert by(after["GroupDetailList"], "GroupName", group) == by(before["GroupDetailList"], "GroupName", group)
    srv.stop()
