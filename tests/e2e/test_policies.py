"""Customer managed policies over HTTP: create, get, list, delete, versions, tags."""

import json
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError
from helpers import policy_doc, response_bodies
from helpers import code_status_message as error


def test_create_get_delete(iam, name, server):
    n = name("pol")
    text = policy_doc()
    created = iam.create_policy(PolicyName=n, Path="/team/", PolicyDocument=text,
                                Description="reads objects")["Policy"]
    arn = f"arn:aws:iam::{server.account_id}:policy/team/{n}"
    assert created["Arn"] == arn
    assert created["PolicyId"].startswith("ANPA") and len(created["PolicyId"]) == 21
    assert created["DefaultVersionId"] == "v1" and created["AttachmentCount"] == 0
    assert created["PermissionsBoundaryUsageCount"] == 0 and created["IsAttachable"] is True
    assert created["CreateDate"] == created["UpdateDate"]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads objects" and got["Path"] == "/team/"
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(text) and version["IsDefaultVersion"] is True
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert error(e) == ("NoSuchEntity", 404, f"Policy {arn} does not exist or is not attachable.")


def test_document_returned_as_written(iam, name):
    text = '{\n  "Version": "2012-10-17",\n  "Statement": {"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}\n}'
    arn = iam.create_policy(PolicyName=name("w"), PolicyDocument=text)["Policy"]["Arn"]
    with response_bodies(iam, "GetPolicyVersion") as raw:
        got = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert got == json.loads(text)  # botocore decodes the URL-encoded JSON
    encoded = raw[0].split("<Document>")[1].split("</Document>")[0]
    assert unquote(encoded) == text  # on the wire: the text as written, whitespace and all


def test_duplicate_name(iam, name):
    n = name("Dup")
    iam.create_policy(PolicyName=n, PolicyDocument=policy_doc())
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=n.lower(), Path="/other/", PolicyDocument=policy_doc())
    assert error(e) == ("EntityAlreadyExists", 409,
                        f"A policy called {n.lower()} already exists. Duplicate names are not allowed.")


@pytest.mark.parametrize("text,message", [
    ("{not json", "Syntax errors in policy."),
    (json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
     "Policy document must be version 2012-10-17 or greater."),
    (policy_doc(action="getobject"), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*"}]}),
     "Policy statement must contain resources."),
    (policy_doc(resource="bucket"), 'Resource bucket must be in ARN format or "*".'),
])
def test_malformed_documents(iam, name, text, message):
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("bad"), PolicyDocument=text)
    assert error(e) == ("MalformedPolicyDocument", 400, message)


def test_size_quota_ignores_whitespace(iam, name):
    # 6144 characters without whitespace is the limit; pad with whitespace well past it.
    base = policy_doc(resource="arn:aws:s3:::b/" + "x" * 10)
    pad = " " * 7000
    padded = base[:-1] + pad + "}"
    iam.create_policy(PolicyName=name("ws"), PolicyDocument=padded)
    big = policy_doc(action=[f"s3:Get{i:05d}" for i in range(600)])
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name("big"), PolicyDocument=big)
    assert error(e) == ("LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")


def test_bad_arns(iam, server):
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn="not-an-arn-but-long-enough")
    assert error(e) == ("InvalidInput", 400, "ARN not-an-arn-but-long-enough is not valid.")
    missing = f"arn:aws:iam::{server.account_id}:policy/nope-nope"
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=missing)
    assert error(e) == ("NoSuchEntity", 404, f"Policy {missing} does not exist or is not attachable.")


def test_list_scope_path_and_paging(iam, name):
    prefix = f"/{name('lp')}/"
    made = sorted(name("lpol") for _ in range(5))
    arns = {}
    for n in made:
        arns[n] = iam.create_policy(PolicyName=n, Path=prefix, PolicyDocument=policy_doc())["Policy"]["Arn"]
    seen, marker = [], None
    while True:
        kw = {"PathPrefix": prefix, "MaxItems": 2, "Scope": "Local"}
        if marker:
            kw["Marker"] = marker
        page = iam.list_policies(**kw)
        assert len(page["Policies"]) <= 2
        assert all("Description" not in p and "Tags" not in p for p in page["Policies"])
        seen += [p["PolicyName"] for p in page["Policies"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == made
    assert iam.list_policies(Scope="AWS", PathPrefix=prefix)["Policies"] == []
    everything = [p["PolicyName"] for pg in iam.get_paginator("list_policies").paginate(PathPrefix=prefix)
                  for p in pg["Policies"]]
    assert everything == made


def test_versions_lifecycle(iam, name):
    arn = iam.create_policy(PolicyName=name("ver"), PolicyDocument=policy_doc())["Policy"]["Arn"]
    created = iam.get_policy(PolicyArn=arn)["Policy"]["CreateDate"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy_doc("s3:PutObject"))["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is False and "Document" not in v2
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy_doc("s3:ListBucket"),
                                   SetAsDefault=True)["PolicyVersion"]
    assert v3["VersionId"] == "v3" and v3["IsDefaultVersion"] is True
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["DefaultVersionId"] == "v3" and policy["UpdateDate"] >= created
    assert policy["UpdateDate"] == v3["CreateDate"]
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in listed] == ["v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in listed] == [True, False, False]
    assert all("Document" not in v for v in listed)
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error(e) == ("DeleteConflict", 409, "Cannot delete the default version of a policy.")
    with pytest.raises(ClientError) as e:
        iam.get_policy_version(PolicyArn=arn, VersionId="v9")
    assert error(e)[:2] == ("NoSuchEntity", 404)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    # the newest remaining version now dates the policy
    assert iam.get_policy(PolicyArn=arn)["Policy"]["UpdateDate"] == v2["CreateDate"]
    # ids are never reused
    v4 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy_doc("s3:*"))["PolicyVersion"]
    assert v4["VersionId"] == "v4"


def test_version_limit_and_delete_conflict(iam, name):
    arn = iam.create_policy(PolicyName=name("lim"), PolicyDocument=policy_doc())["Policy"]["Arn"]
    for i in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy_doc(f"s3:Get{i}"))
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy_doc("s3:Other"))
    assert error(e) == ("LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you "
                        "create a new version, you must delete an existing version.")
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error(e) == ("DeleteConflict", 409, "This policy has more than one version. Before you delete "
                        "a policy, you must delete the policy's versions. The default version is deleted "
                        "with the policy.")
    for v in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)


def test_version_document_is_validated(iam, name):
    arn = iam.create_policy(PolicyName=name("val"), PolicyDocument=policy_doc())["Policy"]["Arn"]
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy_doc(resource="arn:aws:iam:us-east-1:1:user/x"))
    assert error(e) == ("MalformedPolicyDocument", 400,
                        "IAM resource arn:aws:iam:us-east-1:1:user/x cannot contain region information.")


def test_tags_are_case_sensitive(iam, name):
    arn = iam.create_policy(PolicyName=name("tag"), PolicyDocument=policy_doc(),
                            Tags=[{"Key": "Costcenter", "Value": "1"}])["Policy"]["Arn"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "Costcenter", "Value": "1"}]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "costcenter", "Value": "2"}])
    tags = iam.list_policy_tags(PolicyArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("Costcenter", "1"), ("costcenter", "2")]
    iam.untag_policy(PolicyArn=arn, TagKeys=["Costcenter"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "costcenter", "Value": "2"}]
    iam.delete_policy(PolicyArn=arn)
    # a policy re-created with the same name starts without the old tags
    arn = iam.create_policy(PolicyName=arn.rsplit("/", 1)[1], PolicyDocument=policy_doc())["Policy"]["Arn"]
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == []
