"""Credential-report findings (iamd.analysis.findings) on fixed CSV reports.

The fixtures follow AWS's format exactly: the 22-column header, `<root_account>` first,
lowercase booleans, `+00:00` timestamps and the N/A / no_information / not_supported tokens.
"""

from datetime import datetime, timezone

import pytest

from iamd.analysis.findings import CHECKS, find, parse_report, parse_time
from iamd.service.credential_report import HEADER as COLUMNS

HEADER = ",".join(COLUMNS)  # the report's header as the server writes it (checked against AWS's in e2e)
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
ACCT = "123456789012"


def line(user, created="2023-01-01T00:00:00+00:00", pw=("false", "N/A", "N/A", "N/A"), mfa="false",
         key1=("false", "N/A", "N/A", "N/A", "N/A"), key2=("false", "N/A", "N/A", "N/A", "N/A")):
    arn = f"arn:aws:iam::{ACCT}:root" if user == "<root_account>" else f"arn:aws:iam::{ACCT}:user/{user}"
    return ",".join([user, arn, created, *pw, mfa, *key1, *key2, "false", "N/A", "false", "N/A"])


CLEAN_ROOT = line("<root_account>", pw=("not_supported", "2024-05-30T08:00:00+00:00", "not_supported",
                                        "not_supported"), mfa="true")
# A well-kept account: root with MFA and no keys, one console user with MFA who signs in,
# one automation user with one fresh, used key.
CLEAN = "\n".join([
    HEADER, CLEAN_ROOT,
    line("alice", pw=("true", "2024-05-31T09:00:00+00:00", "2024-04-01T00:00:00+00:00", "N/A"), mfa="true"),
    line("deploy", key1=("true", "2024-05-01T00:00:00+00:00", "2024-05-31T23:00:00+00:00", "us-east-1", "s3")),
])


def checks(report: str, **kw) -> list[tuple[str, str]]:
    return [(f.user, f.check) for f in find(parse_report(report), NOW, **kw)]


def test_clean_account_has_no_findings():
    assert find(parse_report(CLEAN), NOW) == []


def test_parse_report_reads_rows_and_ignores_trailing_newline():
    rows = parse_report((CLEAN + "\n").encode())
    assert [r["user"] for r in rows] == ["<root_account>", "alice", "deploy"]
    assert rows[2]["access_key_1_last_used_service"] == "s3"


def test_parse_time_tokens():
    assert parse_time("N/A") is None and parse_time("no_information") is None
    assert parse_time("not_supported") is None and parse_time("") is None and parse_time("garbage") is None
    assert parse_time("2017-06-10T02:35:07+00:00") == datetime(2017, 6, 10, 2, 35, 7, tzinfo=timezone.utc)
    assert parse_time("2017-06-10T02:35:07Z").tzinfo is not None


def test_root_keys_present_used_and_no_mfa():
    root = line("<root_account>", pw=("not_supported", "no_information", "not_supported", "not_supported"),
                key1=("true", "2020-01-01T00:00:00+00:00", "2024-05-20T10:00:00+00:00", "us-east-1", "iam"),
                key2=("false", "2020-01-01T00:00:00+00:00", "2021-03-04T00:00:00+00:00", "eu-west-1", "ec2"))
    found = find(parse_report("\n".join([HEADER, root])), NOW)
    got = [(f.check, f.detail) for f in found]
    assert ("root-access-key-present", "root access key 1 is active") in got
    assert ("root-access-key-used", "root access key 1 last used 2024-05-20 (iam, us-east-1)") in got
    # An inactive root key that was used once is still a finding: it can be switched back on.
    assert ("root-access-key-used", "root access key 2 last used 2021-03-04 (ec2, eu-west-1)") in got
    assert ("root-no-mfa", "the root user has no MFA device") in got
    assert all(f.severity == "high" for f in found if f.check.startswith("root-"))
    assert all(f.arn == f"arn:aws:iam::{ACCT}:root" for f in found)
    # ... and the active key is also judged like any other key (the inactive one is not).
    assert ("access-key-too-old", "access key 1 is 1613 days old (limit 90)") in got
    assert len(found) == 5


def test_root_keys_are_judged_like_any_other_key():
    root = line("<root_account>", pw=("not_supported", "no_information", "not_supported", "not_supported"),
                mfa="true",
                key1=("true", "2023-12-05T12:00:00+00:00", "2024-01-15T10:00:00+00:00", "us-east-1", "iam"),
                key2=("true", "2024-05-30T00:00:00+00:00", "N/A", "N/A", "N/A"))
    found = find(parse_report("\n".join([HEADER, root])), NOW)
    got = {(f.check, f.detail) for f in found}
    assert {c for c, _ in got if not c.startswith("root-")} == {
        "access-key-too-old", "credential-unused", "access-key-never-used", "two-active-keys"}
    assert ("access-key-too-old", "access key 1 is 179 days old (limit 90)") in got
    assert ("credential-unused", "access key 1 last used 2024-01-15, 138 days ago (limit 90)") in got
    assert ("access-key-never-used", "access key 2 has never been used") in got
    assert all(f.user == "<root_account>" and f.arn == f"arn:aws:iam::{ACCT}:root" for f in found)
    # the limits apply to root keys as to others
    lenient = {f.check for f in find(parse_report("\n".join([HEADER, root])), NOW, max_key_age=180, max_unused=180)}
    assert not lenient & {"access-key-too-old", "credential-unused"}


def test_console_user_without_mfa():
    report = "\n".join([HEADER, CLEAN_ROOT,
                        line("bob", pw=("true", "2024-05-31T00:00:00+00:00", "2024-05-01T00:00:00+00:00", "N/A")),
                        line("carol", pw=("false", "N/A", "N/A", "N/A"))])
    assert checks(report) == [("bob", "console-user-no-mfa")]


def test_old_and_never_used_and_stale_keys():
    report = "\n".join([HEADER, CLEAN_ROOT, line(
        "svc",
        key1=("true", "2023-12-01T00:00:00+00:00", "2024-01-15T00:00:00+00:00", "us-east-1", "iam"),
        key2=("true", "2024-05-25T00:00:00+00:00", "N/A", "N/A", "N/A"))])
    found = {(f.check, f.detail) for f in find(parse_report(report), NOW)}
    assert found == {
        ("access-key-too-old", "access key 1 is 183 days old (limit 90)"),
        ("credential-unused", "access key 1 last used 2024-01-15, 138 days ago (limit 90)"),
        ("access-key-never-used", "access key 2 has never been used"),
        ("two-active-keys", "access keys 1 and 2 are both active"),
    }


def test_inactive_keys_are_not_judged_for_age_or_use():
    report = "\n".join([HEADER, CLEAN_ROOT, line(
        "svc", key1=("false", "2019-01-01T00:00:00+00:00", "2019-02-01T00:00:00+00:00", "us-east-1", "iam"))])
    assert checks(report) == []


def test_limits_are_parameters():
    report = "\n".join([HEADER, CLEAN_ROOT, line(
        "svc", key1=("true", "2024-04-01T00:00:00+00:00", "2024-05-01T00:00:00+00:00", "us-east-1", "iam"))])
    assert checks(report) == []
    assert checks(report, max_key_age=30, max_unused=14) == [("svc", "access-key-too-old"),
                                                            ("svc", "credential-unused")]


def test_password_unused_or_never_used():
    report = "\n".join([HEADER, CLEAN_ROOT,
                        line("idle", pw=("true", "2023-11-01T00:00:00+00:00", "2023-06-01T00:00:00+00:00", "N/A"),
                             mfa="true"),
                        line("never", pw=("true", "no_information", "2024-01-01T00:00:00+00:00", "N/A"), mfa="true"),
                        line("newbie", pw=("true", "no_information", "2024-05-20T00:00:00+00:00", "N/A"), mfa="true")])
    found = {(f.user, f.detail) for f in find(parse_report(report), NOW) if f.check == "credential-unused"}
    assert found == {("idle", "password last used 2023-11-01, 213 days ago (limit 90)"),
                     ("never", "password never used since it was set 2024-01-01 (limit 90)")}


def test_password_older_than_policy():
    report = "\n".join([HEADER, CLEAN_ROOT,
                        line("old", pw=("true", "2024-05-31T00:00:00+00:00", "2024-01-01T00:00:00+00:00",
                                        "2024-03-31T00:00:00+00:00"), mfa="true"),
                        line("fresh", pw=("true", "2024-05-31T00:00:00+00:00", "2024-05-01T00:00:00+00:00",
                                          "2024-07-30T00:00:00+00:00"), mfa="true")])
    assert checks(report, max_password_age=200) == []
    with_policy = find(parse_report(report), NOW, max_password_age=90)
    assert [(f.user, f.check, f.detail) for f in with_policy] == [
        ("old", "password-too-old", "password set 2024-01-01, 152 days ago (policy allows 90)")]


def test_password_rotation_date_used_when_policy_unknown():
    report = "\n".join([HEADER, CLEAN_ROOT,
                        line("old", pw=("true", "2024-05-31T00:00:00+00:00", "2024-01-01T00:00:00+00:00",
                                        "2024-03-31T00:00:00+00:00"), mfa="true")])
    # The report alone says when the password was due (the policy may be unreadable).
    found = find(parse_report(report), NOW, max_password_age=None)
    assert [(f.check, f.detail) for f in found] == [("password-too-old", "password was due for rotation on 2024-03-31")]


def test_order_is_severity_then_root_then_user():
    report = "\n".join([
        HEADER,
        line("<root_account>", pw=("not_supported", "no_information", "not_supported", "not_supported")),
        line("zed", pw=("true", "2024-05-31T00:00:00+00:00", "2024-05-01T00:00:00+00:00", "N/A")),
        line("amy", key1=("true", "2024-05-01T00:00:00+00:00", "N/A", "N/A", "N/A"),
             key2=("true", "2024-05-01T00:00:00+00:00", "N/A", "N/A", "N/A")),
    ])
    found = find(parse_report(report), NOW)
    assert [(f.severity, f.user) for f in found] == [
        ("high", "<root_account>"), ("high", "zed"), ("low", "amy"), ("low", "amy"), ("low", "amy")]
    assert all(f.severity == CHECKS[f.check][0] for f in found)


@pytest.mark.parametrize("value", ["TRUE", "True", "true"])
def test_booleans_accept_documented_uppercase(value):
    report = "\n".join([HEADER, CLEAN_ROOT,
                        line("bob", pw=(value, "2024-05-31T00:00:00+00:00", "2024-05-01T00:00:00+00:00", "N/A"))])
    assert checks(report) == [("bob", "console-user-no-mfa")]
