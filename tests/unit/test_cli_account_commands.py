"""`iamd account` commands driven through click with a stubbed IAM client (no server).

botocore's Stubber checks every request against the model and answers with responses
shaped like the real ones, so these tests pin the client's requests, rendering and error
lines; the e2e tests (tests/e2e/test_cli_account*.py) repeat the journeys over HTTP.
"""

import importlib
import json
from datetime import datetime, timezone

import boto3
import pytest
import yaml
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from botocore.stub import Stubber
from click.testing import CliRunner

from iamd.cli.account.common import describe_error
from iamd.cli.main import cli

MODULES = ["alias", "authz", "credential_report", "demo", "password_policy", "saml", "summary"]
ACCT = "123456789012"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def stub(monkeypatch):
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE",
                          aws_secret_access_key="secret")
    for name in MODULES:
        monkeypatch.setattr(importlib.import_module(f"iamd.cli.account.{name}"), "iam_client", lambda: client)
    monkeypatch.setattr(importlib.import_module("iamd.cli.account.credential_report").time, "sleep", lambda s: None)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def run(*args, input=None):
    return CliRunner().invoke(cli, ["account", *args], input=input, prog_name="iamd")


SUMMARY = {"Users": 4500, "UsersQuota": 5000, "Groups": 10, "GroupsQuota": 300, "Roles": 20, "RolesQuota": 1000,
           "Policies": 3, "PoliciesQuota": 1500, "PolicyVersionsInUse": 7, "PolicyVersionsInUseQuota": 10000,
           "InstanceProfiles": 1, "InstanceProfilesQuota": 1000, "ServerCertificates": 0,
           "ServerCertificatesQuota": 20, "GroupsPerUserQuota": 10, "AccessKeysPerUserQuota": 2,
           "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1, "MFADevices": 2, "MFADevicesInUse": 1,
           "Providers": 0, "GlobalEndpointTokenVersion": 1}


def test_summary_table_bars_and_warning(stub):
    stub.add_response("get_account_summary", {"SummaryMap": SUMMARY})
    result = run("summary", "--no-color")
    assert result.exit_code == 0, result.output
    users = next(line for line in result.stdout.splitlines() if "Users" in line and "5000" in line)
    assert "4500" in users and "90%" in users and "█" in users
    assert result.stderr.strip() == "warning: Users at 90% of quota (4500 of 5000)"
    assert "GroupsPerUserQuota" in result.stdout and "Root user has MFA" in result.stdout


def test_summary_json_and_csv(stub):
    stub.add_response("get_account_summary", {"SummaryMap": SUMMARY})
    stub.add_response("get_account_summary", {"SummaryMap": SUMMARY})
    data = json.loads(run("summary", "-o", "json", "--warn-at", "95").stdout)
    assert data["SummaryMap"]["Users"] == 4500 and data["Warnings"] == []
    assert {"resource": "Users", "key": "Users", "used": 4500, "quota": 5000, "fraction": 0.9} in data["Usage"]
    lines = run("summary", "--output", "csv").stdout.splitlines()
    assert lines[0] == "key,value" and "UsersQuota,5000" in lines


def test_service_error_is_one_line(stub):
    stub.add_client_error("get_account_summary", service_error_code="AccessDenied", http_status_code=403,
                          service_message="User: arn:aws:iam::123456789012:user/x is not authorized "
                                          "to perform: iam:GetAccountSummary")
    result = run("summary")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("error: AccessDenied: User: arn:aws:iam::123456789012:user/x is not authorized "
                             "to perform: iam:GetAccountSummary\n")


def test_not_implemented_is_one_line(stub):
    stub.add_client_error("list_saml_providers", service_error_code="NotImplemented", http_status_code=501,
                          service_message="The operation ListSAMLProviders is not implemented by iamd yet.")
    result = run("saml-providers")
    assert result.exit_code == 1
    assert result.stderr == "error: NotImplemented: The operation ListSAMLProviders is not implemented by iamd yet.\n"


def test_describe_error_for_client_side_failures():
    assert describe_error(NoCredentialsError())[0] == "NoCredentials"
    code, message = describe_error(EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"))
    assert code == "EndpointConnectionError" and "http://127.0.0.1:1/" in message


def test_alias_show_set_delete(stub):
    stub.add_response("list_account_aliases", {"AccountAliases": [], "IsTruncated": False})
    assert run("alias").stdout.strip() == "This account has no alias."

    stub.add_response("list_account_aliases", {"AccountAliases": ["old-name"], "IsTruncated": False})
    stub.add_response("create_account_alias", {}, {"AccountAlias": "new-name"})
    result = run("alias", "set", "new-name", "--no-color")
    assert result.stdout.strip() == "Account alias set to new-name (replaced old-name)."

    stub.add_response("list_account_aliases", {"AccountAliases": ["new-name"], "IsTruncated": False})
    out = yaml.safe_load(run("alias", "show", "-o", "yaml").stdout)
    assert out == {"AccountAliases": ["new-name"]}

    stub.add_response("list_account_aliases", {"AccountAliases": ["new-name"], "IsTruncated": False})
    stub.add_response("delete_account_alias", {}, {"AccountAlias": "new-name"})
    assert run("alias", "delete").stdout.strip() == "Account alias new-name deleted."


def test_alias_delete_without_alias(stub):
    stub.add_response("list_account_aliases", {"AccountAliases": [], "IsTruncated": False})
    result = run("alias", "delete")
    assert result.exit_code == 1 and result.stderr == "error: NoSuchEntity: The account has no alias to delete.\n"


REPORT = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
          "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
          "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
          "cert_2_active,cert_2_last_rotated\n"
          f"<root_account>,arn:aws:iam::{ACCT}:root,2024-01-01T00:00:00+00:00,not_supported,no_information,"
          "not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
          f"alice,arn:aws:iam::{ACCT}:user/alice,2024-02-01T00:00:00+00:00,true,2024-04-30T08:00:00+00:00,"
          "2024-02-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")


def report_responses(stub, states=("STARTED", "INPROGRESS", "COMPLETE")):
    for state in states:
        stub.add_response("generate_credential_report", {"State": state})
    stub.add_response("get_credential_report", {"Content": REPORT.encode(), "ReportFormat": "text/csv",
                                                "GeneratedTime": T0})


def test_credential_report_polls_until_complete_then_shows_table(stub):
    report_responses(stub)
    result = run("credential-report")
    assert result.exit_code == 0, result.output
    assert "Credential report generated 2024-05-01 10:00:00 UTC" in result.stdout
    assert "alice" in result.stdout and "<root_account>" in result.stdout


def test_credential_report_csv_is_the_report(stub):
    report_responses(stub, ("COMPLETE",))
    assert run("credential-report", "-o", "csv").stdout == REPORT + "\n"


def test_credential_report_findings_json(stub):
    report_responses(stub, ("COMPLETE",))
    stub.add_client_error("get_account_password_policy", service_error_code="NoSuchEntity", http_status_code=404,
                          service_message=f"The Password Policy with domain name {ACCT} cannot be found.")
    result = run("credential-report", "--findings", "-o", "json", "--as-of", "2024-05-02")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"user": "alice", "arn": f"arn:aws:iam::{ACCT}:user/alice",
                                          "check": "console-user-no-mfa", "severity": "high",
                                          "detail": "console password enabled without MFA"}]


def test_credential_report_findings_use_password_policy(stub):
    report_responses(stub, ("COMPLETE",))
    stub.add_response("get_account_password_policy", {"PasswordPolicy": {
        "MinimumPasswordLength": 8, "ExpirePasswords": True, "MaxPasswordAge": 30}})
    result = run("credential-report", "--findings", "-o", "csv", "--as-of", "2024-05-02")
    lines = result.stdout.splitlines()
    assert lines[0] == "severity,user,check,detail,arn"
    assert any(line.startswith("medium,alice,password-too-old,") for line in lines)


def test_fetch_report_gives_up_after_timeout(stub):
    from iamd.cli.account.common import CliError
    fetch_report = importlib.import_module("iamd.cli.account.credential_report").fetch_report
    client = stub.client
    clock, slept, seen = iter([0, 10, 100, 200]), [], []
    stub.add_response("generate_credential_report", {"State": "STARTED"})
    stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    with pytest.raises(CliError) as err:
        fetch_report(client, 150, sleep=slept.append, clock=lambda: next(clock), show=seen.append)
    assert (err.value.code, err.value.message) == ("ReportInProgress",
                                                   "The credential report was not ready after 150 seconds.")
    assert seen == ["STARTED", "INPROGRESS", "INPROGRESS"]
    assert slept == [0.2, 0.4]  # backs off, capped at 2 s


def test_fetch_report_retries_when_report_vanishes_between_calls(stub):
    fetch_report = importlib.import_module("iamd.cli.account.credential_report").fetch_report
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_client_error("get_credential_report", service_error_code="ReportInProgress", http_status_code=404)
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response("get_credential_report", {"Content": b"user\n", "ReportFormat": "text/csv", "GeneratedTime": T0})
    assert fetch_report(stub.client, 60, sleep=lambda s: None)["Content"] == b"user\n"


def test_credential_report_unknown_column_is_a_usage_error(stub):
    result = run("credential-report", "--columns", "user,nope")  # refused before any call (no stubbed answer)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: UsageError: Invalid value for '--columns': unknown report column(s): "
                                    "nope. Columns: all, user, arn, ")
    assert result.stderr.endswith(" (see 'iamd account credential-report -h')\n") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("args, fragment", [
    (("summary", "--endpoint-url", "127.0.0.1:18777"),
     "Invalid value for '--endpoint-url': '127.0.0.1:18777' must start with http:// or https://"),
    (("--endpoint-url", "ftp://127.0.0.1:18777", "alias"), "'ftp://127.0.0.1:18777' must start with http://"),
    (("summary", "--endpoint-url", "http://"), "'http://' is not a valid URL"),
    (("credential-report", "--as-of", "yesterday"), "Invalid value for '--as-of': must be an ISO 8601 date"),
    (("saml-providers", "create", "corp", "--metadata", "x.xml", "--tag", "novalue"),
     "Invalid value for '--tag': must look like KEY=VALUE, not 'novalue'."),
    (("summary", "-o", "xml"), "Invalid value for '--output' / '-o': 'xml' is not one of"),
    (("nosuchcommand",), "No such command 'nosuchcommand'."),
])
def test_input_mistakes_are_one_line_usage_errors(stub, args, fragment):
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: UsageError: ") and fragment in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_endpoint_from_the_environment_is_checked_too():
    result = CliRunner().invoke(cli, ["account", "summary"], env={"AWS_ENDPOINT_URL": "127.0.0.1:18777",
                                                                 "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                                                                 "AWS_SECRET_ACCESS_KEY": "secret"})
    assert result.exit_code == 2 and "InternalError" not in result.stderr
    assert result.stderr.startswith("error: UsageError: Invalid endpoint: 127.0.0.1:18777 (from AWS_ENDPOINT_URL")


POLICY = {"MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": False,
          "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
          "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 90,
          "PasswordReusePrevention": 5, "HardExpiry": False}


def test_password_policy_set_changes_only_what_is_given(stub):
    stub.add_response("get_account_password_policy", {"PasswordPolicy": POLICY})
    expected = {k: v for k, v in POLICY.items() if k != "ExpirePasswords"}
    stub.add_response("update_account_password_policy", {},
                      {**expected, "RequireNumbers": True, "MaxPasswordAge": 30})
    stub.add_response("get_account_password_policy", {"PasswordPolicy": {**POLICY, "MaxPasswordAge": 30}})
    result = run("password-policy", "set", "--require-numbers", "--max-age", "30", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["PasswordPolicy"]["MaxPasswordAge"] == 30


def test_password_policy_set_zero_switches_off_and_reset_starts_from_defaults(stub):
    stub.add_response("get_account_password_policy", {"PasswordPolicy": POLICY})
    expected = {k: v for k, v in POLICY.items() if k not in ("ExpirePasswords", "MaxPasswordAge")}
    stub.add_response("update_account_password_policy", {}, expected)
    stub.add_response("get_account_password_policy", {"PasswordPolicy": POLICY})
    assert run("password-policy", "set", "--max-age", "0").exit_code == 0

    stub.add_response("update_account_password_policy", {}, {"MinimumPasswordLength": 10})
    stub.add_response("get_account_password_policy", {"PasswordPolicy": {"MinimumPasswordLength": 10}})
    result = run("password-policy", "set", "--reset", "--min-length", "10", "--no-color")
    assert result.exit_code == 0 and "Password policy updated." in result.stdout


def test_password_policy_validation_matches_the_api(stub):
    stub.add_client_error("get_account_password_policy", service_error_code="NoSuchEntity", http_status_code=404,
                          service_message="none")
    result = run("password-policy", "set", "--min-length", "129", "--reuse-prevention", "-1")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: ValidationError: 2 validation errors detected: Value '129' at 'minimumPasswordLength' "
        "failed to satisfy constraint: Member must have value less than or equal to 128; Value '-1' at "
        "'passwordReusePrevention' failed to satisfy constraint: Member must have value greater than or "
        "equal to 1\n")


def test_password_policy_show_without_policy(stub):
    for _ in range(2):
        stub.add_client_error("get_account_password_policy", service_error_code="NoSuchEntity",
                              http_status_code=404, service_message="none")
    assert run("password-policy").stdout.strip() == "This account has no password policy."
    assert json.loads(run("password-policy", "show", "-o", "json").stdout) == {"PasswordPolicy": None}


def test_password_policy_table(stub):
    stub.add_response("get_account_password_policy", {"PasswordPolicy": POLICY})
    out = run("password-policy", "show", "--no-color").stdout
    assert "Minimum length" in out and "12" in out
    assert "Maximum password age (days)" in out and "90" in out


SAML_ARN = f"arn:aws:iam::{ACCT}:saml-provider/corp"


def metadata(entity="https://idp.example.com/saml"):
    return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
            + "A" * 1200 + '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            'Location="https://idp.example.com/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>')


def test_saml_list_show_by_name_delete(stub):
    listing = {"SAMLProviderList": [{"Arn": SAML_ARN, "CreateDate": T0, "ValidUntil": T0.replace(year=2124)}]}
    stub.add_response("list_saml_providers", listing)
    out = run("saml-providers", "list").stdout
    assert "corp" in out and SAML_ARN in out and "2124-05-01" in out

    stub.add_response("list_saml_providers", listing)
    stub.add_response("get_saml_provider", {"SAMLMetadataDocument": metadata(), "CreateDate": T0,
                                            "ValidUntil": T0.replace(year=2124),
                                            "Tags": [{"Key": "env", "Value": "prod"}]},
                      {"SAMLProviderArn": SAML_ARN})
    out = run("saml-providers", "show", "corp", "--no-color").stdout
    assert "https://idp.example.com/saml" in out and "https://idp.example.com/sso" in out
    assert "env=prod" in out and "Signing certificates  1" in out

    stub.add_response("delete_saml_provider", {}, {"SAMLProviderArn": SAML_ARN})
    assert run("saml-providers", "delete", SAML_ARN, "-o", "json").stdout.strip() == \
        json.dumps({"DeletedSAMLProviderArn": SAML_ARN}, indent=2)


def test_saml_unknown_name(stub):
    stub.add_response("list_saml_providers", {"SAMLProviderList": []})
    result = run("saml-providers", "show", "nope")
    assert result.exit_code == 1 and result.stderr == "error: NoSuchEntity: SAMLProvider nope does not exist.\n"


def test_saml_create_reads_file_and_tags(stub, tmp_path):
    doc = metadata()
    path = tmp_path / "idp.xml"
    path.write_text("\ufeff" + doc, encoding="utf-8")  # a BOM from a Windows editor is dropped
    stub.add_response("create_saml_provider", {"SAMLProviderArn": SAML_ARN},
                      {"Name": "corp", "SAMLMetadataDocument": doc, "Tags": [{"Key": "team", "Value": "sec"}]})
    result = run("saml-providers", "create", "corp", "--metadata", str(path), "--tag", "team=sec", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"SAMLProviderArn": SAML_ARN}


DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
         '"Action":"sts:AssumeRole"}]}')


def gaad_pages():
    user = {"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLEALICE00001", "Arn": f"arn:aws:iam::{ACCT}:user/alice",
            "CreateDate": T0, "GroupList": ["admins"], "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": DOC}],
            "AttachedManagedPolicies": []}
    group = {"Path": "/", "GroupName": "admins", "GroupId": "AGPAEXAMPLEADMINS0001", "Arn": f"arn:aws:iam::{ACCT}:group/admins",
             "CreateDate": T0, "GroupPolicyList": [],
             "AttachedManagedPolicies": [{"PolicyName": "s3all", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/s3all"}]}
    role = {"Path": "/", "RoleName": "web", "RoleId": "AROAEXAMPLEWEB0000001", "Arn": f"arn:aws:iam::{ACCT}:role/web",
            "CreateDate": T0, "AssumeRolePolicyDocument": TRUST, "RolePolicyList": [], "AttachedManagedPolicies": [],
            "InstanceProfileList": [{"Path": "/", "InstanceProfileName": "web-ip", "InstanceProfileId": "AIPAEXAMPLEWEBIP00001",
                                     "Arn": f"arn:aws:iam::{ACCT}:instance-profile/web-ip", "CreateDate": T0, "Roles": []}]}
    policy = {"PolicyName": "s3all", "PolicyId": "ANPAEXAMPLES3ALL00001", "Arn": f"arn:aws:iam::{ACCT}:policy/s3all",
              "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": True,
              "CreateDate": T0, "UpdateDate": T0,
              "PolicyVersionList": [{"Document": DOC, "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": T0}]}
    return ([{"UserDetailList": [user], "GroupDetailList": [group], "IsTruncated": True, "Marker": "m1"},
             {"RoleDetailList": [role], "Policies": [policy], "IsTruncated": False}])


def add_gaad(stub, filters=None):
    first, second = gaad_pages()
    base = {"Filter": filters} if filters else {}
    stub.add_response("get_account_authorization_details", first, base)
    stub.add_response("get_account_authorization_details", second, {**base, "Marker": "m1"})


def test_authorization_details_trees_over_pages(stub):
    add_gaad(stub)
    result = run("authorization-details", "--no-color")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1 user, 1 group, 1 role, 1 managed policy" in out
    assert "user alice" in out and "group admins" in out and "managed s3all" in out and "inline own" in out
    assert "role web" in out and "trusts ec2.amazonaws.com" in out and "instance profile web-ip" in out
    # the group's policy hangs under the group, under the user
    lines = out.splitlines()
    assert lines.index(next(x for x in lines if "group admins" in x)) < \
        lines.index(next(x for x in lines if "managed s3all" in x))


def test_authorization_details_json_decodes_documents(stub):
    add_gaad(stub, ["User", "Role"])
    result = run("authorization-details", "--filter", "User", "--filter", "Role", "-o", "json")
    data = json.loads(result.stdout)
    assert data["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "s3:*"
    assert data["RoleDetailList"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == \
        {"Service": "ec2.amazonaws.com"}
    assert data["Policies"][0]["PolicyVersionList"][0]["Document"]["Version"] == "2012-10-17"


def test_authorization_details_edges_csv(stub):
    add_gaad(stub)
    lines = run("authorization-details", "-o", "csv").stdout.splitlines()
    assert lines[0] == "source_kind,source,relation,target_kind,target,source_arn,target_arn"
    rel = {tuple(line.split(",")[:5]) for line in lines[1:]}
    assert rel == {("user", "alice", "member-of", "group", "admins"), ("user", "alice", "inline", "inline-policy", "own"),
                   ("group", "admins", "attached", "policy", "s3all"),
                   ("instance-profile", "web-ip", "contains", "role", "web")}


def test_authorization_details_graph_file(stub, tmp_path):
    add_gaad(stub)
    out = tmp_path / "g.svg"
    result = run("authorization-details", "--graph", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and f"wrote {out}: 6 nodes, 4 edges" in result.stderr
    assert "alice" in out.read_text()


def test_authorization_details_bad_graph_suffix():
    result = run("authorization-details", "--graph", "out.pdf")
    assert result.exit_code == 2
    assert result.stderr == ("error: UsageError: Invalid value for '--graph': the file must end in .svg, .png or "
                             ".html, not 'out.pdf'. (see 'iamd account authorization-details -h')\n")


def test_demo_yes_runs_the_tour(stub):
    stub.add_response("list_account_aliases", {"AccountAliases": ["keep"], "IsTruncated": False})
    stub.add_response("create_account_alias", {})
    stub.add_response("create_account_alias", {})
    stub.add_response("list_account_aliases", {"AccountAliases": ["alias-2-x"], "IsTruncated": False})
    stub.add_response("delete_account_alias", {}, {"AccountAlias": "alias-2-x"})
    stub.add_response("create_account_alias", {}, {"AccountAlias": "keep"})
    report_responses(stub, ("COMPLETE",))
    stub.add_response("get_account_summary", {"SummaryMap": SUMMARY})
    add_gaad(stub)
    stub.add_client_error("get_account_password_policy", service_error_code="NoSuchEntity", http_status_code=404,
                          service_message="none")
    stub.add_response("update_account_password_policy", {}, {})
    stub.add_response("get_account_password_policy", {"PasswordPolicy": {"MinimumPasswordLength": 6}})
    stub.add_response("delete_account_password_policy", {})
    stub.add_response("list_saml_providers", {"SAMLProviderList": []})
    result = run("demo", "--yes", "--no-color")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Your account currently uses 'keep' as its alias.", "Restoring your original alias back to keep",
                 "Showing only the first 3 columns.", "user alice", "Password policy deleted.",
                 "This account has no SAML providers.", "Thanks for watching"):
        assert text in out


def test_shell_completion_lists_commands_and_choices():
    def complete(words: str) -> list[str]:
        env = {"_IAMD_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
        result = CliRunner().invoke(cli, [], prog_name="iamd", env=env)
        return [line.split(",", 1)[1] for line in result.output.splitlines()]
    assert set(complete("iamd account ")) == {"alias", "credential-report", "summary", "authorization-details",
                                              "password-policy", "saml-providers", "simulate", "demo"}
    assert complete("iamd account authorization-details --filter Lo") == ["LocalManagedPolicy"]
    assert complete("iamd account summary -o y") == ["yaml"]


def test_saml_create_unreadable_file_is_one_line(stub, tmp_path):
    result = run("saml-providers", "create", "corp", "--metadata", str(tmp_path / "missing.xml"))
    assert result.exit_code == 2
    assert result.stderr == (f"error: UsageError: Invalid value for '--metadata': cannot read {tmp_path / 'missing.xml'}: "
                             "No such file or directory. (see 'iamd account saml-providers create -h')\n")


def test_saml_create_from_stdin(stub):
    doc = metadata()
    stub.add_response("create_saml_provider", {"SAMLProviderArn": SAML_ARN}, {"Name": "corp", "SAMLMetadataDocument": doc})
    result = run("saml-providers", "create", "corp", "--metadata", "-", input=doc)
    assert result.exit_code == 0 and result.stdout.strip() == f"Created SAML provider {SAML_ARN}"
