"""Per-account quotas: `iamd serve --quota NAME=N` overrides AWS's defaults, and the
operations and GetAccountSummary follow the new value."""

import subprocess
import sys

import pytest
from botocore.exceptions import ClientError


def test_quota_override_applies_and_persists(server, server_factory):
    srv = server_factory(server.engine, extra_args=["--no-access-log", "--quota", "UsersQuota=2",
                                                    "--quota", "GroupsQuota=400"]).start()
    iam = srv.client("iam")
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["UsersQuota"] == 2 and summary["GroupsQuota"] == 400
    iam.create_user(UserName="q1")
    iam.create_user(UserName="q2")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="q3")
    assert e.value.response["Error"]["Code"] == "LimitExceeded"
    assert e.value.response["Error"]["Message"] == "Cannot exceed quota for UsersPerAccount: 2"
    srv.stop()
    srv.extra_args = ["--no-access-log"]
    srv.start()
    assert srv.client("iam").get_account_summary()["SummaryMap"]["UsersQuota"] == 2


@pytest.mark.parametrize("bad", ["UsersQuota", "UsersQuota=x", "NoSuchQuota=3"])
def test_bad_quota_option_is_one_clear_line(tmp_path, bad):
    out = subprocess.run([sys.executable, "-m", "iamd.cli.main", "serve", "--data-dir", str(tmp_path),
                          "--port", "0", "--quota", bad], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert "quota" in out.stderr.lower()
