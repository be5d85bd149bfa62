"""The audit trail: every call, allowed, denied or unauthenticated, leaves one CloudTrail
record in the store and in the delivered files; no record or file holds a secret; the record
of an acknowledged write survives kill -9; `iamd audit` reads and filters them."""

import base64
import gzip
import json
import re
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from helpers import (certificate_pem, client_of, code, db, key_pem, mfa_codes, new_rsa_key, run_iamd,
                     store_args, wait_for)

from sqlalchemy import text

FIELDS = ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
          "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "requestID", "eventID",
          "readOnly", "eventType", "managementEvent", "recipientAccountId")
FILE_NAME = re.compile(r"^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_([A-Za-z0-9]{16})\.json\.gz$")
WAIT = 20.0  # reads' records are written in batches, files delivered in rounds: poll up to this long


def audit_cli(srv, *args) -> subprocess.CompletedProcess:
    return run_iamd("audit", *args, *store_args(srv), timeout=60)


def records(srv, *filters) -> list[dict]:
    out = audit_cli(srv, "events", "--output", "json", *filters)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    return json.loads(out.stdout)["Records"]


def record_of(srv, request_id: str) -> dict:
    def find():
        return [r for r in records(srv, "--max-items", "100000") if r["requestID"] == request_id]
    found = wait_for(find, f"record of request {request_id}")
    assert len(found) == 1, found  # one record per call
    return found[0]


def delivered(trail: Path) -> dict[str, tuple[Path, dict]]:
    """eventID -> (file, record) over every delivered file."""
    out = {}
    for f in trail.rglob("*.json.gz"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f  # records name users and keys
        for rec in json.loads(gzip.decompress(f.read_bytes()))["Records"]:
            assert rec["eventID"] not in out, "a record delivered twice"
            out[rec["eventID"]] = (f, rec)
    return out


def request_id(resp) -> str:
    return resp["ResponseMetadata"]["RequestId"]


def error_request_id(exc) -> str:
    return exc.value.response["ResponseMetadata"]["RequestId"]


@pytest.fixture(scope="module")
def trail_server(server, server_factory, tmp_path_factory):
    trail = tmp_path_factory.mktemp("trail")
    # two workers: each has its own writer and delivery; nothing may be delivered twice
    srv = server_factory(server.engine, extra_args=["--no-access-log", "--workers", "2",
                                                    "--audit-dir", str(trail)]).start()
    srv.trail = trail
    return srv


def check_shape(rec: dict, account: str) -> None:
    for f in FIELDS:
        assert f in rec, f
    assert rec["eventVersion"] == "1.08" and rec["eventType"] == "AwsApiCall" and rec["managementEvent"] is True
    assert rec["recipientAccountId"] == account
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rec["eventTime"])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", rec["eventID"])
    assert rec["sourceIPAddress"] == "127.0.0.1"
    assert rec["userAgent"].startswith("Boto3/") or rec["userAgent"].startswith("python-requests/")


# -- allowed, denied, unauthenticated ----------------------------------------------------------

def test_allowed_write_and_read_by_root(trail_server, name):
    iam, n = trail_server.client("iam"), name("ct")
    made = iam.create_user(UserName=n, Path="/audit/", Tags=[{"Key": "team", "Value": "blue"}])
    rec = record_of(trail_server, request_id(made))
    check_shape(rec, trail_server.account_id)
    assert rec["userIdentity"] == {"type": "Root", "principalId": trail_server.account_id,
                                   "arn": f"arn:aws:iam::{trail_server.account_id}:root",
                                   "accountId": trail_server.account_id, "accessKeyId": trail_server.access_key}
    assert (rec["eventSource"], rec["eventName"], rec["awsRegion"], rec["readOnly"]) == (
        "iam.amazonaws.com", "CreateUser", "us-east-1", False)
    assert rec["requestParameters"] == {"userName": n, "path": "/audit/", "tags": [{"key": "team", "value": "blue"}]}
    user = rec["responseElements"]["user"]
    assert (user["userName"], user["userId"], user["arn"]) == (n, made["User"]["UserId"], made["User"]["Arn"])
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d\d:\d\d [AP]M", user["createDate"])
    assert "errorCode" not in rec

    got = iam.get_user(UserName=n)
    rec = record_of(trail_server, request_id(got))
    assert (rec["eventName"], rec["readOnly"], rec["requestParameters"], rec["responseElements"]) == (
        "GetUser", True, {"userName": n}, None)


def test_allowed_and_denied_calls_of_a_user(trail_server, name):
    iam, n = trail_server.client("iam"), name("ct")
    user = iam.create_user(UserName=n)["User"]
    me = client_of(trail_server, iam, n, allow=("iam:GetUser",))
    key_id = me._request_signer._credentials.access_key
    ok = me.get_user(UserName=n)
    rec = record_of(trail_server, request_id(ok))
    assert rec["userIdentity"] == {"type": "IAMUser", "principalId": user["UserId"], "arn": user["Arn"],
                                   "accountId": trail_server.account_id, "accessKeyId": key_id, "userName": n}
    assert "errorCode" not in rec

    with pytest.raises(ClientError) as e:
        me.create_user(UserName=name("nope"))
    rec = record_of(trail_server, error_request_id(e))
    check_shape(rec, trail_server.account_id)
    assert (rec["eventName"], rec["errorCode"], rec["readOnly"], rec["responseElements"]) == (
        "CreateUser", "AccessDenied", False, None)
    assert rec["errorMessage"] == e.value.response["Error"]["Message"]
    assert rec["userIdentity"]["userName"] == n
    # a denied write changed nothing, and its record says so
    assert code(pytest.raises(ClientError, iam.get_user, UserName=rec["requestParameters"]["userName"])) \
        == "NoSuchEntity"


def test_failed_calls_are_recorded_with_their_error(trail_server, name):
    iam = trail_server.client("iam")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=name("missing"))
    rec = record_of(trail_server, error_request_id(e))
    assert (rec["errorCode"], rec["errorMessage"]) == ("NoSuchEntity", e.value.response["Error"]["Message"])


def test_unauthenticated_calls_are_recorded(trail_server):
    bad = trail_server.client("iam", key="AKIAUNKNOWNKEY000001", secret="not-the-secret")
    with pytest.raises(ClientError) as e:
        bad.list_users()
    rec = record_of(trail_server, error_request_id(e))
    check_shape(rec, trail_server.account_id)
    assert rec["errorCode"] == "InvalidClientTokenId"
    assert rec["userIdentity"] == {"type": "Unknown", "accessKeyId": "AKIAUNKNOWNKEY000001"}
    assert rec["eventName"] == "ListUsers"

    resp = requests.post(trail_server.endpoint, data={"Action": "ListRoles", "Version": "2010-05-08"})
    assert resp.status_code == 403
    rec = record_of(trail_server, resp.headers["x-amzn-requestid"])
    assert (rec["errorCode"], rec["userIdentity"], rec["eventName"]) == (
        "MissingAuthenticationToken", {"type": "Unknown"}, "ListRoles")
    check_shape(rec, trail_server.account_id)


def test_malformed_calls_are_recorded(trail_server):
    resp = requests.post(trail_server.endpoint, data={"Action": "NoSuchThing", "Version": "2010-05-08"})
    rec = record_of(trail_server, resp.headers["x-amzn-requestid"])
    assert (rec["eventName"], rec["errorCode"], rec["requestParameters"]) == ("NoSuchThing", "InvalidAction", None)
    resp = requests.post(trail_server.endpoint, data=b"Action=ListUsers&x=" + b"a" * (1 << 20))
    assert resp.status_code == 413
    rec = record_of(trail_server, resp.headers["x-amzn-requestid"])
    assert (rec["eventName"], rec["errorCode"]) == ("Unknown", "RequestEntityTooLarge")
    check_shape(rec, trail_server.account_id)


def test_sts_calls_name_sts_and_the_signed_region(trail_server):
    sts = trail_server.client("sts", region="eu-west-1")
    got = sts.get_caller_identity()
    rec = record_of(trail_server, request_id(got))
    assert (rec["eventSource"], rec["awsRegion"], rec["eventName"], rec["readOnly"]) == (
        "sts.amazonaws.com", "eu-west-1", "GetCallerIdentity", True)


# -- secrets -----------------------------------------------------------------------------------

def test_no_secret_reaches_a_record_or_a_delivered_file(trail_server, name):
    iam, n = trail_server.client("iam"), name("sec")
    iam.create_user(UserName=n)
    secrets, rids = [], []

    def call(fn, **kw):
        resp = fn(**kw)
        rids.append(request_id(resp))
        return resp

    key = call(iam.create_access_key, UserName=n)["AccessKey"]
    secrets.append(key["SecretAccessKey"])
    passwords = ["Audit-Passw0rd-One!", "Audit-Passw0rd-Two!", "Audit-Passw0rd-Three!"]
    secrets += passwords
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    call(iam.create_login_profile, UserName=n, Password=passwords[0])
    call(iam.update_login_profile, UserName=n, Password=passwords[1])
    me = trail_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    call(me.change_password, OldPassword=passwords[1], NewPassword=passwords[2])
    with pytest.raises(ClientError) as e:  # a failed call carrying a password
        iam.create_login_profile(UserName=n, Password="Audit-Failed-Passw0rd!")
    secrets.append("Audit-Failed-Passw0rd!")
    rids.append(error_request_id(e))

    pkey = new_rsa_key()
    private = key_pem(pkey)
    call(iam.upload_server_certificate, ServerCertificateName=name("cert"),
         CertificateBody=certificate_pem(pkey), PrivateKey=private)
    secrets += [line for line in private.splitlines() if not line.startswith("-----")][1:4]

    device = call(iam.create_virtual_mfa_device, VirtualMFADeviceName=name("mfa"))["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    secrets += [seed.decode(), base64.b64encode(seed).decode(), base64.b64encode(device["QRCodePNG"]).decode()[:40]]
    codes = mfa_codes(seed)
    call(iam.enable_mfa_device, UserName=n, SerialNumber=device["SerialNumber"], **codes)
    secrets += list(codes.values())

    cred = call(iam.create_service_specific_credential, UserName=n,
                ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    reset = call(iam.reset_service_specific_credential, UserName=n,
                 ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"])["ServiceSpecificCredential"]
    secrets += [cred["ServicePassword"], reset["ServicePassword"]]

    # every call was recorded, with what is not secret
    by_rid = {rid: record_of(trail_server, rid) for rid in rids}
    assert [r["eventName"] for r in by_rid.values()] == [
        "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "ChangePassword", "CreateLoginProfile",
        "UploadServerCertificate", "CreateVirtualMFADevice", "EnableMFADevice", "CreateServiceSpecificCredential",
        "ResetServiceSpecificCredential"]
    made_key = by_rid[rids[0]]["responseElements"]["accessKey"]
    assert made_key["accessKeyId"] == key["AccessKeyId"] and "secretAccessKey" not in made_key
    assert by_rid[rids[1]]["requestParameters"] == {"userName": n}
    assert by_rid[rids[3]]["userIdentity"]["userName"] == n
    assert by_rid[rids[6]]["responseElements"]["virtualMFADevice"] == {"serialNumber": device["SerialNumber"]}
    assert by_rid[rids[-1]]["responseElements"]["serviceSpecificCredential"]["serviceUserName"] == \
        reset["ServiceUserName"]

    # the whole trail as the CLI prints it, the raw rows, and every delivered file
    everything = [audit_cli(trail_server, "events", "--output", "json", "--max-items", "100000").stdout,
                  audit_cli(trail_server, "tail", "-n", "1000").stdout]
    engine = db(trail_server)
    with engine.connect() as conn:
        everything.append("\n".join(conn.execute(text("SELECT record FROM audit_events")).scalars()))
    engine.dispose()
    ids = {r["eventID"] for r in by_rid.values()}
    files = wait_for(lambda: (lambda d: d if ids <= d.keys() else None)(delivered(trail_server.trail)),
                     "delivery of the records")
    everything += [gzip.decompress(f.read_bytes()).decode() for f in {f for f, _ in files.values()}]
    blob = "\n".join(everything)
    for rid in rids:
        assert rid in blob
    for secret in secrets:
        assert secret not in blob, "a secret reached the audit trail"
        assert json.dumps(secret)[1:-1] not in blob


# -- durability --------------------------------------------------------------------------------

def test_the_record_of_an_acknowledged_write_survives_kill_9(server, server_factory, name):
    srv = server_factory(server.engine, extra_args=["--no-access-log"]).start()
    n = name("kill")
    made = srv.client("iam").create_user(UserName=n)
    srv.stop("kill")
    assert srv.proc.returncode == -9
    found = [r for r in records(srv, "--event-name", "CreateUser") if r["requestID"] == request_id(made)]
    assert len(found) == 1
    assert found[0]["responseElements"]["user"]["userName"] == n
    srv.start()  # and the server comes back on the same store with its trail
    assert [r["requestID"] for r in records(srv, "--event-name", "CreateUser")] == [request_id(made)]


def test_queued_records_are_written_at_shutdown(server, server_factory, name):
    srv = server_factory(server.engine, extra_args=["--no-access-log"]).start()
    iam = srv.client("iam")
    n = name("bye")
    iam.create_user(UserName=n)
    rids = [request_id(iam.get_user(UserName=n)) for _ in range(20)]
    srv.stop()  # SIGTERM: a graceful stop writes what is queued
    assert srv.proc.returncode == 0
    assert [r["requestID"] for r in records(srv, "--event-name", "GetUser", "--user", f"arn:aws:iam::{srv.account_id}:root")
            if r["requestID"] in rids] == rids


# -- delivery ----------------------------------------------------------------------------------

def test_delivered_files_are_cloudtrail_files(trail_server, name):
    iam = trail_server.client("iam")
    rids = [request_id(iam.create_user(UserName=name("file"))), request_id(iam.list_users(MaxItems=1)),
            request_id(trail_server.client("sts", region="us-west-2").get_caller_identity())]
    wanted = {record_of(trail_server, rid)["eventID"] for rid in rids}
    got = wait_for(lambda: (lambda d: d if wanted <= d.keys() else None)(delivered(trail_server.trail)),
                   "delivered files")
    regions = set()
    for eid in wanted:
        path, rec = got[eid]
        m = FILE_NAME.match(path.name)
        assert m, path.name
        account, region, stamp, _ = m.groups()
        rel = path.relative_to(trail_server.trail).parts
        assert rel[:4] == ("AWSLogs", account, "CloudTrail", region)
        assert rel[4:7] == (stamp[:4], stamp[4:6], stamp[6:8])
        assert account == trail_server.account_id == rec["recipientAccountId"]
        assert rec["awsRegion"] == region
        regions.add(region)
        check_shape(rec, trail_server.account_id)
        body = json.loads(gzip.decompress(path.read_bytes()))
        assert list(body) == ["Records"] and isinstance(body["Records"], list)
    assert regions == {"us-east-1", "us-west-2"}
    assert not list(trail_server.trail.rglob(".*.tmp"))


# -- the CLI -----------------------------------------------------------------------------------

def test_events_filters(trail_server, name):
    iam, n = trail_server.client("iam"), name("flt")
    iam.create_user(UserName=n)
    me = client_of(trail_server, iam, n, allow=("iam:GetUser",))
    start = time.time() - 1
    mine = [request_id(me.get_user(UserName=n))]
    with pytest.raises(ClientError) as e:
        me.delete_user(UserName=n)
    mine.append(error_request_id(e))
    for rid in mine:
        record_of(trail_server, rid)
    arn = f"arn:aws:iam::{trail_server.account_id}:user/{n}"
    by_user = records(trail_server, "--user", n)
    assert [r["requestID"] for r in by_user] == mine
    assert [r["requestID"] for r in records(trail_server, "--user", arn)] == mine
    assert [r["requestID"] for r in records(trail_server, "--user", n, "--read-only")] == mine[:1]
    assert [r["requestID"] for r in records(trail_server, "--user", n, "--write-only")] == mine[1:]
    assert [r["requestID"] for r in records(trail_server, "--user", n, "--error-code", "AccessDenied")] == mine[1:]
    assert [r["requestID"] for r in records(trail_server, "--user", n, "--error-code", "*")] == mine[1:]
    assert [r["requestID"] for r in records(trail_server, "--user", n, "--event-name", "DeleteUser")] == mine[1:]
    assert records(trail_server, "--user", n, "--end-time", str(start)) == []
    assert len(records(trail_server, "--user", n, "--start-time", "5m")) == 2
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))
    assert len(records(trail_server, "--user", n, "--start-time", iso)) == 2

    table = audit_cli(trail_server, "events", "--user", n)
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert "Event" in lines[0] and len(lines) == 3
    assert "GetUser" in lines[1] and "DeleteUser" in lines[2] and "AccessDenied" in lines[2]

    bad = audit_cli(trail_server, "events", "--start-time", "yesterday-ish")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_events_on_a_store_without_a_trail(tmp_path):
    out = run_iamd("audit", "events", "--data-dir", str(tmp_path / "nothing"))
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        f"Error: no audit trail in {tmp_path / 'nothing'}: start `iamd serve` there first"]


def test_tail_follows_new_records(trail_server, name):
    before = request_id(trail_server.client("iam").create_user(UserName=name("tail")))
    record_of(trail_server, before)
    proc = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "audit", "tail", "-f", "-n", "1",
                             "--output", "json", *store_args(trail_server)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert json.loads(proc.stdout.readline())["eventName"]  # the latest record: it has started
        rid = request_id(trail_server.client("iam").create_user(UserName=name("tail")))
        seen = []
        deadline = time.monotonic() + WAIT
        while rid not in {r["requestID"] for r in seen} and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                seen.append(json.loads(proc.stdout.readline()))
        assert rid in {r["requestID"] for r in seen}
        assert all(r["eventName"] for r in seen)
    finally:
        proc.terminate()
        proc.wait(10)


def test_retention_drops_old_records(server, server_factory):
    srv = server_factory(server.engine, extra_args=["--no-access-log", "--audit-retention-days", "1"]).start()
    srv.stop()
    engine = db(srv)
    old = {"eid": "00000000-0000-4000-8000-000000000001", "acct": srv.account_id, "t": time.time() - 3 * 86400,
           "rec": json.dumps({"eventName": "Old"})}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_events (event_id, account_id, event_time, event_name, read_only, "
                          "delivered, record) VALUES (:eid, :acct, :t, 'Old', false, true, :rec)"), old)
    srv.start()

    def gone():
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM audit_events WHERE event_name = 'Old'")).scalar() == 0
    wait_for(gone, "purge of the old record")
    engine.dispose()


def test_a_polling_client_leaves_one_record_per_call(trail_server, name):
    """Like reads in a row (one caller reading the same thing) share one row in the store;
    every call still has its own record everywhere records are read: `audit events`,
    `audit tail`, and the delivered files."""
    iam, n = trail_server.client("iam"), name("poll")
    iam.create_user(UserName=n)
    rids = [request_id(iam.get_user(UserName=n)) for _ in range(200)]
    for rid in (rids[0], rids[-1]):
        record_of(trail_server, rid)
    found = [r for r in records(trail_server, "--max-items", "100000", "--event-name", "GetUser")
             if r["requestParameters"] == {"userName": n}]
    assert sorted(r["requestID"] for r in found) == sorted(rids)  # each call once
    assert len({r["eventID"] for r in found}) == len(rids)
    for rec in found:
        check_shape(rec, trail_server.account_id)
    assert [r["requestID"] for r in found] == rids  # oldest first, in the order of the calls
    tail = audit_cli(trail_server, "tail", "-n", "1000", "--output", "json")
    assert set(rids) <= {json.loads(line)["requestID"] for line in tail.stdout.splitlines()}
    engine = db(trail_server)
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT count(*) FROM audit_events WHERE repeats IS NOT NULL "
                                 "AND event_name = 'GetUser'")).scalar()
    engine.dispose()
    assert runs > 0, "no run of like reads was kept as one row"
    ids = {r["eventID"]: r for r in found}
    files = wait_for(lambda: (lambda d: d if ids.keys() <= d.keys() else None)(delivered(trail_server.trail)),
                     "delivery of the records")
    for eid, rec in ids.items():
        assert files[eid][1] == rec  # the same record in the file as in the store
