"""Credential report over HTTP: its life cycle and its CSV, on both engines.

The report is one per account, so tests that need a report of the current state first
expire the stored one through the server's database (AWS would not regenerate within
four hours), then generate and poll.
"""

import csv
import datetime
import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from helpers import bulk_users, certificate_pem, db, enable_mfa
from helpers import code_status as error
from sqlalchemy import delete, insert, update

from iamd.store.schema.core import access_keys, users
from iamd.store.schema.credentials import login_profiles
from iamd.store.schema.reports import credential_reports

HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
          "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
          "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
          "cert_1_last_rotated,cert_2_active,cert_2_last_rotated")
STAMP = "%Y-%m-%dT%H:%M:%S+00:00"


def set_report_row(server, **values) -> None:
    """Arrange the report row directly (the four-hour clock cannot be waited out)."""
    engine = db(server)
    with engine.begin() as conn:
        where = credential_reports.c.account_id == server.account_id
        if values:
            conn.execute(update(credential_reports).where(where).values(**values))
        else:
            conn.execute(delete(credential_reports).where(where))
    engine.dispose()


def wait_complete(iam, timeout: float = 10) -> None:
    deadline = time.time() + timeout
    while iam.generate_credential_report()["State"] != "COMPLETE":
        assert time.time() < deadline, "credential report did not complete"
        time.sleep(0.02)


def fresh_report(iam, server) -> list[dict]:
    set_report_row(server)
    assert iam.generate_credential_report()["State"] == "STARTED"
    wait_complete(iam)
    got = iam.get_credential_report()
    text = got["Content"].decode("utf-8")
    assert text.split("\n")[0] == HEADER
    return list(csv.DictReader(io.StringIO(text)))


def stamp(value) -> str:
    if isinstance(value, datetime.datetime):
        value = value.timestamp()
    return time.strftime(STAMP, time.gmtime(value))


def test_life_cycle(iam, server):
    set_report_row(server)
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert error(e) == ("ReportNotPresent", 410)
    first = iam.generate_credential_report()
    assert first["State"] == "STARTED"
    assert first["Description"] == "No report exists. Starting a new report generation task"
    wait_complete(iam)
    got = iam.get_credential_report()
    assert got["ReportFormat"] == "text/csv"
    assert abs(got["GeneratedTime"].timestamp() - time.time()) < 60
    again = iam.generate_credential_report()
    assert again["State"] == "COMPLETE" and "Description" not in again
    assert iam.get_credential_report()["GeneratedTime"] == got["GeneratedTime"]  # not regenerated


def test_in_progress_and_stale_generation(iam, server):
    fresh_report(iam, server)
    set_report_row(server, state="INPROGRESS", started_at=time.time())
    assert iam.generate_credential_report()["State"] == "INPROGRESS"
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert error(e) == ("ReportInProgress", 404)
    # A generation whose worker vanished is started afresh after a while.
    set_report_row(server, state="INPROGRESS", started_at=time.time() - 3600)
    assert iam.generate_credential_report()["State"] == "STARTED"
    wait_complete(iam)
    assert iam.get_credential_report()["Content"].startswith(b"user,arn,")


def test_expired_report_is_regenerated(iam, server, name):
    fresh_report(iam, server)
    set_report_row(server, generated_at=time.time() - 4 * 3600 - 5)
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert error(e) == ("ReportExpired", 410)
    n = name("late")
    iam.create_user(UserName=n)
    assert iam.generate_credential_report()["State"] == "STARTED"
    wait_complete(iam)
    report = iam.get_credential_report()
    assert abs(report["GeneratedTime"].timestamp() - time.time()) < 60
    assert f"\n{n}," in report["Content"].decode()  # a new snapshot, not the old one


def test_root_row_and_user_order(iam, server, name):
    made = [name("Ord"), name("ord"), name("aOrd")]
    for n in made:
        iam.create_user(UserName=n)
    rows = fresh_report(iam, server)
    root = rows[0]
    assert root["user"] == "<root_account>"
    assert root["arn"] == f"arn:aws:iam::{server.account_id}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["password_last_changed"] == root["password_next_rotation"] == "not_supported"
    assert root["access_key_1_active"] == "true"  # the root key these calls are signed with
    assert root["access_key_1_last_used_service"] in ("iam", "sts")
    names = [r["user"] for r in rows[1:]]
    assert names == sorted(names, key=lambda s: (s.lower(), s))
    assert set(made) <= set(names)


def test_user_without_credentials(iam, server, name):
    n = name("bare")
    user = iam.create_user(UserName=n, Path="/rep/")["User"]
    row = next(r for r in fresh_report(iam, server) if r["user"] == n)
    assert row == {
        "user": n, "arn": f"arn:aws:iam::{server.account_id}:user/rep/{n}",
        "user_creation_time": stamp(user["CreateDate"]), "password_enabled": "false",
        "password_last_used": "N/A", "password_last_changed": "N/A", "password_next_rotation": "N/A",
        "mfa_active": "false",
        "access_key_1_active": "false", "access_key_1_last_rotated": "N/A",
        "access_key_1_last_used_date": "N/A", "access_key_1_last_used_region": "N/A",
        "access_key_1_last_used_service": "N/A",
        "access_key_2_active": "false", "access_key_2_last_rotated": "N/A",
        "access_key_2_last_used_date": "N/A", "access_key_2_last_used_region": "N/A",
        "access_key_2_last_used_service": "N/A",
        "cert_1_active": "false", "cert_1_last_rotated": "N/A", "cert_2_active": "false",
        "cert_2_last_rotated": "N/A"}


@pytest.fixture
def password_policy(iam):
    """Set MaxPasswordAge for one test, then put back whatever policy was there."""
    try:
        before = iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError:
        before = None
    yield lambda **kw: iam.update_account_password_policy(**kw)
    if before is None:
        iam.delete_account_password_policy()
    else:
        keep = {k: v for k, v in before.items() if k not in ("ExpirePasswords",)}
        iam.update_account_password_policy(**keep)


def test_user_with_every_credential(iam, server, name, password_policy):
    n = name("full")
    iam.create_user(UserName=n)
    password_policy(MaxPasswordAge=90)
    iam.create_login_profile(UserName=n, Password="Sup3r-secret-pw!")
    k1 = iam.create_access_key(UserName=n)["AccessKey"]
    k2 = iam.create_access_key(UserName=n)["AccessKey"]
    iam.update_access_key(UserName=n, AccessKeyId=k2["AccessKeyId"], Status="Inactive")
    server.client("sts", k1["AccessKeyId"], k1["SecretAccessKey"], region="eu-west-1").get_caller_identity()
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("mfa"))["VirtualMFADevice"]
    enable_mfa(iam, n, device)
    cert = iam.upload_signing_certificate(UserName=n, CertificateBody=certificate_pem(cn=n))["Certificate"]
    profile = iam.get_login_profile(UserName=n)["LoginProfile"]
    used = iam.get_access_key_last_used(AccessKeyId=k1["AccessKeyId"])["AccessKeyLastUsed"]

    row = next(r for r in fresh_report(iam, server) if r["user"] == n)
    changed = profile["CreateDate"].timestamp()
    assert row["password_enabled"] == "true"
    assert row["password_last_used"] == "no_information"  # a password never used to sign in
    assert row["password_last_changed"] == stamp(changed)
    assert row["password_next_rotation"] == stamp(changed + 90 * 86400)
    assert row["mfa_active"] == "true"
    assert (row["access_key_1_active"], row["access_key_1_last_rotated"]) == ("true", stamp(k1["CreateDate"]))
    assert row["access_key_1_last_used_date"] == stamp(used["LastUsedDate"])
    assert (row["access_key_1_last_used_region"], row["access_key_1_last_used_service"]) == ("eu-west-1", "sts")
    assert (row["access_key_2_active"], row["access_key_2_last_rotated"]) == ("false", stamp(k2["CreateDate"]))
    assert row["access_key_2_last_used_date"] == row["access_key_2_last_used_service"] == "N/A"
    assert (row["cert_1_active"], row["cert_1_last_rotated"]) == ("true", stamp(cert["UploadDate"]))
    assert (row["cert_2_active"], row["cert_2_last_rotated"]) == ("false", "N/A")


def test_name_with_comma_stays_one_field(iam, server, name):
    n = name("a,b")
    iam.create_user(UserName=n)
    row = next(r for r in fresh_report(iam, server) if r["user"] == n)
    assert row["arn"].endswith(f":user/{n}")


# -- scale: a dedicated server, filled straight through its database ------------------------

def test_ten_thousand_users_generate_quickly(own_server):
    engine = db(own_server)
    now, acct = time.time(), own_server.account_id
    user_rows = bulk_users(acct, 10000, now)
    with engine.begin() as conn:
        conn.execute(insert(users), user_rows)
        conn.execute(insert(login_profiles), [
            {"user_id": u["user_id"], "account_id": acct, "password_hash": "x", "created_at": now,
             "password_changed_at": now, "reset_required": False} for u in user_rows[::2]])
        conn.execute(insert(access_keys), [
            {"access_key_id": f"AKIABIG{i:013d}{j}", "account_id": acct, "user_id": u["user_id"],
             "secret": "x", "status": "Active", "created_at": now + j}
            for i, u in enumerate(user_rows) for j in range(2)])
    engine.dispose()
    iam = own_server.client("iam")
    assert iam.generate_credential_report()["State"] == "STARTED"
    wait_complete(iam)
    content = iam.get_credential_report()["Content"].decode()
    lines = content.split("\n")
    assert len(lines) == 1 + 1 + 10000 and lines[2].startswith("u00000,")
    assert lines[2].split(",")[3] == "true" and lines[3].split(",")[3] == "false"


def test_racing_workers_start_one_generation(server, server_factory):
    srv = server_factory(server.engine, extra_args=["--no-access-log", "--workers", "2"]).start()
    clients = [srv.client("iam") for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        states = list(pool.map(lambda c: c.generate_credential_report()["State"], clients))
    assert states.count("STARTED") == 1, states
    assert set(states) <= {"STARTED", "INPROGRESS", "COMPLETE"}
    wait_complete(clients[0])
    lines = clients[0].get_credential_report()["Content"].decode().split("\n")
    assert lines[0] == HEADER and lines[1].startswith("<root_account>,")
