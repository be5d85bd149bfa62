"""AWS managed policies: the shipped set at every start, reading and attaching them, the
refusals to change them, and `iamd aws-policies import DIR` with the full catalogue."""

import json
import time

import httpx
import pytest
from botocore.exceptions import ClientError
from helpers import code_status as error
from helpers import run_iamd

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
SHIPPED = {
    "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    "arn:aws:iam::aws:policy/IAMUserChangePassword", "arn:aws:iam::aws:policy/SecurityAudit",
    "arn:aws:iam::aws:policy/job-function/Billing", "arn:aws:iam::aws:policy/job-function/DatabaseAdministrator",
    "arn:aws:iam::aws:policy/job-function/DataScientist",
    "arn:aws:iam::aws:policy/job-function/NetworkAdministrator",
    "arn:aws:iam::aws:policy/job-function/SystemAdministrator", "arn:aws:iam::aws:policy/job-function/SupportUser",
    "arn:aws:iam::aws:policy/AmazonS3FullAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonEC2FullAccess", "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AWSLambda_FullAccess", "arn:aws:iam::aws:policy/CloudWatchFullAccess",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
}


def aws_arns(iam, **kw) -> list[str]:
    return [p["Arn"] for pg in iam.get_paginator("list_policies").paginate(Scope="AWS", **kw)
            for p in pg["Policies"]]


def test_shipped_policies_are_there(iam):
    assert SHIPPED <= set(aws_arns(iam))
    admin = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    assert admin["PolicyId"] == "ANPAIWMBCKSKIEE64ZLYK" and admin["Path"] == "/"
    assert admin["DefaultVersionId"] == "v1" and admin["IsAttachable"] is True
    assert admin["CreateDate"].isoformat().startswith("2015-02-06T18:39:46")
    version = iam.get_policy_version(PolicyArn=ADMIN, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == {"Version": "2012-10-17",
                                   "Statement": [{"Action": "*", "Resource": "*", "Effect": "Allow"}]}
    assert version["IsDefaultVersion"] is True
    view = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")["Policy"]
    assert view["Path"] == "/job-function/"
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=ADMIN)["Versions"]] == ["v1"]
    assert iam.list_policy_tags(PolicyArn=ADMIN)["Tags"] == []
    assert set(aws_arns(iam, PathPrefix="/job-function/")) >= {
        a for a in SHIPPED if "/job-function/" in a}
    assert all("/job-function/" in a for a in aws_arns(iam, PathPrefix="/job-function/"))


def test_aws_policies_cannot_be_changed(iam):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    for call in (lambda: iam.delete_policy(PolicyArn=ADMIN),
                 lambda: iam.create_policy_version(PolicyArn=ADMIN, PolicyDocument=doc),
                 lambda: iam.delete_policy_version(PolicyArn=ADMIN, VersionId="v1"),
                 lambda: iam.set_default_policy_version(PolicyArn=ADMIN, VersionId="v1"),
                 lambda: iam.tag_policy(PolicyArn=ADMIN, Tags=[{"Key": "k", "Value": "v"}])):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("AccessDenied", 403)


def test_customer_policy_may_share_an_aws_name(iam, server):
    # Different ARN, so no clash with arn:aws:iam::aws:policy/SecurityAudit.
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    mine = iam.create_policy(PolicyName="SecurityAudit", PolicyDocument=doc)["Policy"]
    assert mine["Arn"] == f"arn:aws:iam::{server.account_id}:policy/SecurityAudit"
    iam.delete_policy(PolicyArn=mine["Arn"])


def _import(srv, directory, *extra) -> str:
    args = ["aws-policies", "import", str(directory), "--data-dir", str(srv.data_dir), *extra]
    if srv.database_url:
        args += ["--database-url", srv.database_url]
    done = run_iamd(*args, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_full_catalogue(shared_dir, server, server_factory):
    catalogue = shared_dir / "data" / "aws-managed-policies"
    listed = json.loads((catalogue / "policies-list.json").read_text())["Policies"]
    srv = server_factory(server.engine, extra_args=["--no-access-log", "--auth", "off"])
    srv.data_dir.mkdir(parents=True)
    started = time.monotonic()
    out = _import(srv, catalogue)
    assert time.monotonic() - started < 120
    # documents without metadata in policies-list.json (and empty files) are skipped
    assert f"{len(listed)} inserted, 0 updated, 0 unchanged" in out
    again = _import(srv, catalogue)
    assert f"0 inserted, 0 updated, {len(listed)} unchanged" in again
    srv.start()
    iam = srv.client("iam")
    started = time.monotonic()
    arns = aws_arns(iam, PaginationConfig={"PageSize": 1000})
    assert time.monotonic() - started < 10
    assert len(arns) == len(set(arns)) and set(arns) == {p["Arn"] for p in listed}
    # the shipped snapshot at start did not downgrade or duplicate anything
    meta = {p["Arn"]: p for p in listed}
    ro = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert ro["DefaultVersionId"] == meta["arn:aws:iam::aws:policy/ReadOnlyAccess"]["DefaultVersionId"]
    config = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSConfigRole")["Policy"]
    assert config["IsAttachable"] is False
    iam.create_user(UserName="importer")
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="importer",
                               PolicyArn="arn:aws:iam::aws:policy/service-role/AWSConfigRole")
    assert error(e) == ("NoSuchEntity", 404)
    slr = next(p["Arn"] for p in listed if p["Path"] == "/aws-service-role/")
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName="importer", PolicyArn=slr)
    assert error(e) == ("PolicyNotAttachable", 400)
    doc = iam.get_policy_version(PolicyArn=slr, VersionId=meta[slr]["DefaultVersionId"])["PolicyVersion"]
    assert doc["Document"] == json.loads((catalogue / "policies" / meta[slr]["PolicyName"]).read_text())[
        "PolicyVersion"]["Document"]
    # a reset wipes account state, not the catalogue
    assert httpx.post(f"{srv.endpoint}/moto-api/reset").status_code == 200
    assert len(aws_arns(iam, PaginationConfig={"PageSize": 1000})) == len(listed)
    with pytest.raises(ClientError):
        iam.get_user(UserName="importer")
    srv.stop()
