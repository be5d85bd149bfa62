"""The AWS managed policy catalogue loader: idempotent, refreshes newer policies, never
downgrades, keeps only the default version; and the shipped snapshot is self-contained."""

import json

from sqlalchemy import select

from iamd.store.policy_catalog import load_into, read_directory, read_shipped
from iamd.store.schema.policies import managed_policies as mp
from iamd.store.schema.policies import policy_versions as pv


def entry(version="v1", updated="2020-01-01T00:00:00+00:00", action="s3:Get*"):
    return {"PolicyName": "Example", "PolicyId": "ANPAEXAMPLEEXAMPLE234", "Path": "/",
            "Arn": "arn:aws:iam::aws:policy/Example", "DefaultVersionId": version,
            "CreateDate": "2019-01-01T00:00:00+00:00", "UpdateDate": updated, "IsAttachable": True,
            "VersionCreateDate": updated.replace("+00:00", "Z"),
            "Document": {"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}}


def stored(store):
    def read(tx):
        policy = tx.execute(select(mp).where(mp.c.arn == "arn:aws:iam::aws:policy/Example")).first()
        versions = tx.execute(select(pv).where(pv.c.policy_id == policy.policy_id)).all()
        return policy, versions
    return store.run(read, write=False)


def test_load_is_idempotent_and_refreshes_newer(store):
    assert load_into(store, [entry()]) == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert load_into(store, [entry()]) == {"inserted": 0, "updated": 0, "unchanged": 1}
    policy, versions = stored(store)
    assert policy.account_id is None and policy.default_version == "v1" and policy.next_version == 2
    assert [v.version_id for v in versions] == ["v1"]
    assert json.loads(versions[0].document)["Statement"][0]["Action"] == "s3:Get*"

    newer = entry("v3", "2021-06-01T00:00:00+00:00", "s3:List*")
    assert load_into(store, [newer]) == {"inserted": 0, "updated": 1, "unchanged": 0}
    policy, versions = stored(store)
    assert policy.default_version == "v3" and policy.next_version == 4
    assert [v.version_id for v in versions] == ["v3"]
    assert json.loads(versions[0].document)["Statement"][0]["Action"] == "s3:List*"

    # an older snapshot (the shipped one after a full import) does not downgrade
    assert load_into(store, [entry()]) == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert stored(store)[0].default_version == "v3"


def test_read_directory_skips_what_has_no_metadata(tmp_path):
    (tmp_path / "policies").mkdir()
    e = entry()
    meta = {k: e[k] for k in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId",
                              "CreateDate", "UpdateDate", "IsAttachable")}
    (tmp_path / "policies-list.json").write_text(json.dumps({"Policies": [meta]}))
    version = {"PolicyVersion": {"Document": e["Document"], "VersionId": "v1", "IsDefaultVersion": True,
                                 "CreateDate": "2020-01-01T00:00:00Z"}}
    (tmp_path / "policies" / "Example").write_text(json.dumps(version))
    (tmp_path / "policies" / "Unlisted").write_text(json.dumps(version))
    (tmp_path / "policies" / "Empty").write_text("")
    entries, skipped = read_directory(tmp_path)
    assert [x["PolicyName"] for x in entries] == ["Example"]
    assert entries[0]["Document"] == e["Document"]
    assert sorted(s.split(":")[0] for s in skipped) == ["Empty", "Unlisted"]


def test_shipped_snapshot_is_complete():
    shipped = read_shipped()
    names = {e["PolicyName"] for e in shipped}
    assert {"AdministratorAccess", "ReadOnlyAccess", "ViewOnlyAccess", "IAMUserChangePassword",
            "AWSLambdaBasicExecutionRole", "AmazonDynamoDBFullAccess"} <= names
    for e in shipped:
        assert e["Arn"] == f"arn:aws:iam::aws:policy{e['Path']}{e['PolicyName']}"
        assert e["PolicyId"].startswith("ANPA") and e["DefaultVersionId"].startswith("v")
        assert e["Document"]["Statement"]
