"""`iamd account` on an account of its own: alias, password policy, credential report and
its findings, the summary's quota warning, and the demo (both engines).

The module starts one dedicated iamd per engine and seeds it once, before anything asks
for a credential report: the report is a snapshot that stays fresh for four hours, so the
expected findings below are exactly those of the seeded users.
"""

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from helpers import enable_mfa, ok, one_error_line, quota_override, saml_metadata
from helpers import run_account_cli as run_cli

ROOT = "<root_account>"


def seed(srv) -> dict:
    """Users whose findings are known; see EXPECTED_NOW."""
    iam = srv.client("iam")
    for user in ("console", "guarded", "twokeys", "onekey", "dormant", "plain"):
        iam.create_user(UserName=user)
    iam.create_login_profile(UserName="console", Password="Corr3ct-Horse-Battery!")
    iam.create_login_profile(UserName="guarded", Password="Corr3ct-Horse-Battery!")
    enable_mfa(iam, "guarded", iam.create_virtual_mfa_device(VirtualMFADeviceName="guarded")["VirtualMFADevice"])
    iam.create_access_key(UserName="twokeys")
    iam.create_access_key(UserName="twokeys")
    key = iam.create_access_key(UserName="onekey")["AccessKey"]
    srv.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    dormant = iam.create_access_key(UserName="dormant")["AccessKey"]
    iam.update_access_key(UserName="dormant", AccessKeyId=dormant["AccessKeyId"], Status="Inactive")
    return {"iam": iam}


@pytest.fixture(scope="module")
def acct(own_server):
    seed(own_server)
    return own_server


# (user, check) of the seeded account judged now with the default limits.
EXPECTED_NOW = [
    (ROOT, "root-access-key-present"),   # the bootstrap root key
    (ROOT, "root-access-key-used"),      # ... which signed the seeding calls
    (ROOT, "root-no-mfa"),
    ("console", "console-user-no-mfa"),  # "guarded" has the same password and an MFA device
    ("twokeys", "access-key-never-used"),
    ("twokeys", "access-key-never-used"),
    ("twokeys", "two-active-keys"),
]


def findings(srv, *args) -> list[dict]:
    return json.loads(ok(run_cli(srv, "credential-report", "--findings", "-o", "json", *args)))


def test_credential_report_every_format(acct):
    iam = acct.client("iam")
    csv_text = ok(run_cli(acct, "credential-report", "-o", "csv"))
    assert csv_text == iam.get_credential_report()["Content"].decode().rstrip("\n") + "\n"
    assert len(csv_text.splitlines()[0].split(",")) == 22
    rows = json.loads(ok(run_cli(acct, "credential-report", "-o", "json")))
    assert [r["user"] for r in rows][:1] == [ROOT]
    assert {r["user"] for r in rows} >= {"console", "guarded", "twokeys", "onekey", "dormant", "plain"}
    assert next(r for r in rows if r["user"] == "guarded")["mfa_active"] == "true"
    assert yaml.safe_load(ok(run_cli(acct, "credential-report", "-o", "yaml"))) == rows
    table = ok(run_cli(acct, "credential-report"))
    assert "Credential report generated" in table and "pw used" in table
    console_row = next(line for line in table.splitlines() if " console " in line).split()
    assert console_row[:4] == ["console", "yes", "never", "no"]  # password, never used, no MFA
    wide = ok(run_cli(acct, "credential-report", "--columns", "user,arn,mfa_active"))
    assert f"arn:aws:iam::{acct.account_id}:user/guarded" in wide and "access key" not in wide


def test_findings_now(acct):
    found = findings(acct)
    assert sorted((f["user"], f["check"]) for f in found) == sorted(EXPECTED_NOW)
    assert found[0]["severity"] == "high" and found[-1]["severity"] == "low"
    table = ok(run_cli(acct, "credential-report", "--findings"))
    assert "7 finding(s)" in table and "console-user-no-mfa" in table
    csv_lines = ok(run_cli(acct, "credential-report", "--findings", "-o", "csv")).splitlines()
    assert csv_lines[0] == "severity,user,check,detail,arn" and len(csv_lines) == 8


def test_findings_ahead_in_time_with_a_password_policy(acct):
    iam = acct.client("iam")
    iam.update_account_password_policy(MaxPasswordAge=30)
    try:
        ahead = (datetime.now(timezone.utc) + timedelta(days=100)).isoformat()
        found = {(f["user"], f["check"]) for f in findings(acct, "--as-of", ahead)}
    finally:
        iam.delete_account_password_policy()
    assert found - set(EXPECTED_NOW) == {
        (ROOT, "access-key-too-old"), (ROOT, "credential-unused"),  # root's key is judged like any other
        ("onekey", "access-key-too-old"), ("onekey", "credential-unused"),
        ("twokeys", "access-key-too-old"),
        ("console", "credential-unused"), ("guarded", "credential-unused"),  # passwords never used
        ("console", "password-too-old"), ("guarded", "password-too-old"),
    }
    # the limits are options: a year-long allowance clears the age findings again
    lenient = {(f["user"], f["check"]) for f in findings(acct, "--as-of", ahead, "--max-key-age", "365",
                                                         "--max-unused", "365")}
    assert lenient == set(EXPECTED_NOW)


def test_alias_journey(acct):
    assert ok(run_cli(acct, "alias")).strip() == "This account has no alias."
    first, second = f"cli-{acct.port}-a", f"cli-{acct.port}-b"
    assert ok(run_cli(acct, "alias", "set", first)).strip() == f"Account alias set to {first}."
    shown = ok(run_cli(acct, "alias", "show"))
    assert f"Account alias: {first}" in shown and f"https://{first}.signin.aws.amazon.com/console" in shown
    assert json.loads(ok(run_cli(acct, "alias", "-o", "json"))) == {"AccountAliases": [first]}
    assert yaml.safe_load(ok(run_cli(acct, "alias", "show", "-o", "yaml"))) == {"AccountAliases": [first]}
    assert ok(run_cli(acct, "alias", "show", "-o", "csv")).splitlines() == [
        "alias,sign_in_url", f"{first},https://{first}.signin.aws.amazon.com/console"]
    replaced = json.loads(ok(run_cli(acct, "alias", "set", second, "-o", "json")))
    assert replaced == {"AccountAlias": second, "Replaced": first}
    assert acct.client("iam").list_account_aliases()["AccountAliases"] == [second]
    one_error_line(run_cli(acct, "alias", "set", "Not_Valid"), "ValidationError")
    one_error_line(run_cli(acct, "alias", "delete", first), "NoSuchEntity")
    assert ok(run_cli(acct, "alias", "delete")).strip() == f"Account alias {second} deleted."
    assert acct.client("iam").list_account_aliases()["AccountAliases"] == []
    assert one_error_line(run_cli(acct, "alias", "delete"), "NoSuchEntity") == \
        "error: NoSuchEntity: The account has no alias to delete."


def test_password_policy_journey(acct):
    iam = acct.client("iam")
    assert ok(run_cli(acct, "password-policy")).strip() == "This account has no password policy."
    assert json.loads(ok(run_cli(acct, "password-policy", "show", "-o", "json"))) == {"PasswordPolicy": None}

    out = ok(run_cli(acct, "password-policy", "set", "--min-length", "12", "--require-symbols", "--max-age", "30",
                     "--reuse-prevention", "5"))
    assert "Password policy updated." in out and "Minimum length" in out
    got = iam.get_account_password_policy()["PasswordPolicy"]
    assert (got["MinimumPasswordLength"], got["RequireSymbols"], got["MaxPasswordAge"], got["PasswordReusePrevention"]) \
        == (12, True, 30, 5)

    # one more setting keeps the others (the API alone would reset them)
    data = json.loads(ok(run_cli(acct, "password-policy", "set", "--require-numbers", "-o", "json")))["PasswordPolicy"]
    assert (data["MinimumPasswordLength"], data["RequireSymbols"], data["RequireNumbers"], data["MaxPasswordAge"]) \
        == (12, True, True, 30)
    data = yaml.safe_load(ok(run_cli(acct, "password-policy", "set", "--max-age", "0", "--no-require-symbols",
                                     "-o", "yaml")))["PasswordPolicy"]
    assert data["ExpirePasswords"] is False and "MaxPasswordAge" not in data and data["RequireSymbols"] is False
    rows = ok(run_cli(acct, "password-policy", "show", "-o", "csv")).splitlines()
    assert rows[0] == "setting,value" and "MinimumPasswordLength,12" in rows

    data = json.loads(ok(run_cli(acct, "password-policy", "set", "--reset", "--hard-expiry", "-o", "json")))
    assert data["PasswordPolicy"]["MinimumPasswordLength"] == 6 and data["PasswordPolicy"]["HardExpiry"] is True

    one_error_line(run_cli(acct, "password-policy", "set", "--min-length", "5"), "ValidationError")
    assert ok(run_cli(acct, "password-policy", "delete")).strip() == "Password policy deleted."
    line = one_error_line(run_cli(acct, "password-policy", "delete"), "NoSuchEntity")
    assert line == "error: NoSuchEntity: The account policy with name PasswordPolicy cannot be found."


def test_summary_warns_above_eighty_percent(acct):
    users = acct.client("iam").get_account_summary()["SummaryMap"]["Users"]
    with quota_override(acct, UsersQuota=users + 1, GroupsQuota=10):
        result = run_cli(acct, "summary")
        data = json.loads(ok(run_cli(acct, "summary", "-o", "json")))
    pct = round(users / (users + 1) * 100)
    assert result.stderr == f"warning: Users at {pct}% of quota ({users} of {users + 1})\n"
    row = next(line for line in ok(result).splitlines() if line.strip("│ ").startswith("Users "))
    assert f"{pct}% !" in row
    assert data["Warnings"] == ["Users"]
    assert next(r for r in data["Usage"] if r["key"] == "Users")["quota"] == users + 1


def test_demo_unattended_restores_the_account(acct):
    iam = acct.client("iam")
    iam.create_account_alias(AccountAlias=f"keep-{acct.port}")
    try:
        out = ok(run_cli(acct, "demo", "--yes"))
        assert iam.list_account_aliases()["AccountAliases"] == [f"keep-{acct.port}"]
    finally:
        iam.delete_account_alias(AccountAlias=f"keep-{acct.port}")
    for text in (f"Your account currently uses 'keep-{acct.port}' as its alias.", "Your account now has no alias.",
                 "Got credentials report. Showing only the first 3 columns.", "Usage against quota",
                 "user console", "Do you want to create a default password policy? (yes)",
                 "Minimum length", "Password policy deleted.", "This account has no SAML providers.",
                 "Thanks for watching"):
        assert text in out, text
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_account_password_policy()


def test_demo_interactive_answers(acct):
    out = ok(run_cli(acct, "demo", input="n\nn\nn\n"))
    assert "Do you want to try setting the alias?" in out and "Setting your account alias" not in out
    assert "These are pretty long" in out and "user console" not in out
    assert "Want to see the password policy" in out and "Thanks for watching" in out


def test_demo_asks_before_its_first_change(acct):
    iam = acct.client("iam")
    iam.create_account_alias(AccountAlias=f"before-{acct.port}")
    try:
        # No answer at all (stdin closed at the first question): the demo stops there, and
        # the alias was never touched (a change followed by a restore would have recreated it).
        created = iam.list_account_aliases()["AccountAliases"]
        result = run_cli(acct, "demo", input="")
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.stdout.rstrip().endswith("Do you want to try setting the alias? (your current one is "
                                               "restored afterwards) [y/N]:"), result.stdout
        assert "Setting your account alias" not in result.stdout
        assert iam.list_account_aliases()["AccountAliases"] == created == [f"before-{acct.port}"]
        # With yes, the question comes before the first change.
        out = ok(run_cli(acct, "demo", input="y\nn\nn\n"))
        assert out.index("Do you want to try setting the alias?") < out.index("Setting your account alias")
    finally:
        iam.delete_account_alias(AccountAlias=f"before-{acct.port}")


# Every command in every format, as a script sees it (stdout a pipe, not a terminal).
PIPED_COMMANDS = [
    ("alias", "set", "piped-alias"), ("alias",), ("alias", "show"),
    ("credential-report",), ("credential-report", "--findings"), ("credential-report", "--columns", "all"),
    ("summary",), ("authorization-details",),
    ("password-policy", "set", "--min-length", "10"), ("password-policy",), ("password-policy", "show"),
    ("saml-providers",), ("saml-providers", "list"), ("saml-providers", "show", "piped-idp"),
]
RULE_CHARS = set("─━═-=│ ")


def assert_script_friendly(text: str, what) -> None:
    """No line ends in blanks, and no rule (a line of rule characters only) is wider than
    both 80 columns and the widest line of text it goes with."""
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        assert line == line.rstrip(), f"{what}: trailing blanks on line {number}: {line!r}"
    widest_text = max((len(line) for line in lines if not set(line) <= RULE_CHARS), default=0)
    for number, line in enumerate(lines, 1):
        if line and set(line) <= RULE_CHARS:
            assert len(line) <= max(80, widest_text), f"{what}: a {len(line)}-column rule on line {number}"


def test_piped_output_has_no_long_rules_and_no_trailing_blanks(acct, tmp_path):
    (tmp_path / "idp.xml").write_text(saml_metadata(valid_until="2031-01-01T00:00:00Z"))
    try:
        assert_script_friendly(ok(run_cli(acct, "saml-providers", "create", "piped-idp", "--metadata",
                                          str(tmp_path / "idp.xml"), "--tag", "team=sec")), "saml create")
        for command in PIPED_COMMANDS:
            for fmt in ("table", "json", "yaml", "csv"):
                out = ok(run_cli(acct, *command, "-o", fmt))
                assert out.strip(), (command, fmt)
                assert_script_friendly(out, (command, fmt))
        for command in (("password-policy", "delete"), ("alias", "delete"), ("saml-providers", "delete", "piped-idp")):
            assert_script_friendly(ok(run_cli(acct, *command)), command)
        for answers in ("y\nn\nn\n", "y\ny\ny\ny\ny\n"):  # the demo, interactive and unattended
            demo = ok(run_cli(acct, "demo", input=answers))
            assert "Thanks for watching" in demo
            assert_script_friendly(demo, ("demo", answers))
        assert_script_friendly(ok(run_cli(acct, "demo", "--yes")), ("demo", "--yes"))
    finally:
        iam = acct.client("iam")
        for alias in iam.list_account_aliases()["AccountAliases"]:
            iam.delete_account_alias(AccountAlias=alias)
