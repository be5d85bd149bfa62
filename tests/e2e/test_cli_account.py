"""`iamd account` run as a real command against the shared iamd (both engines).

Only commands that do not change account-wide state run here (summary, authorization
details, SAML providers with unique names, errors); alias, password policy, the
credential report's findings and the demo need an account of their own and live in
test_cli_account_dedicated.py.
"""

import json
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree

import pytest
import yaml
from helpers import TRUST, ok, one_error_line, policy_doc, saml_metadata
from helpers import run_account_cli as run_cli

from conftest import free_port

DOC = policy_doc()


@pytest.fixture
def entities(iam, name):
    """A user in a group with a managed policy, an inline policy, a role in an instance profile."""
    n = {k: name(k) for k in ("user", "group", "pol", "inline", "role", "ip")}
    policy_arn = iam.create_policy(PolicyName=n["pol"], PolicyDocument=DOC)["Policy"]["Arn"]
    iam.create_user(UserName=n["user"])
    iam.create_group(GroupName=n["group"])
    iam.add_user_to_group(GroupName=n["group"], UserName=n["user"])
    iam.attach_group_policy(GroupName=n["group"], PolicyArn=policy_arn)
    iam.put_user_policy(UserName=n["user"], PolicyName=n["inline"], PolicyDocument=DOC)
    iam.create_role(RoleName=n["role"], AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName=n["role"], PolicyArn=policy_arn)
    iam.create_instance_profile(InstanceProfileName=n["ip"])
    iam.add_role_to_instance_profile(InstanceProfileName=n["ip"], RoleName=n["role"])
    return {**n, "policy_arn": policy_arn}


def test_summary_every_format(server, iam):
    quota = iam.get_account_summary()["SummaryMap"]["UsersQuota"]
    table = ok(run_cli(server, "summary"))
    assert "Usage against quota" in table and "Limits" in table and "Account" in table
    users = next(line for line in table.splitlines() if line.strip("│ ").startswith("Users "))
    assert str(quota) in users and "%" in users
    data = json.loads(ok(run_cli(server, "summary", "-o", "json")))
    truth = iam.get_account_summary()["SummaryMap"]
    assert set(data["SummaryMap"]) == set(truth) and data["SummaryMap"]["UsersQuota"] == quota
    assert {r["key"] for r in data["Usage"]} >= {"Users", "Groups", "Roles", "Policies"}
    assert yaml.safe_load(ok(run_cli(server, "summary", "-o", "yaml")))["SummaryMap"]["UsersQuota"] == quota
    csv_lines = ok(run_cli(server, "summary", "-o", "csv")).splitlines()
    assert csv_lines[0] == "key,value" and f"UsersQuota,{quota}" in csv_lines


def test_authorization_details_tree(server, entities):
    out = ok(run_cli(server, "authorization-details"))
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"user {entities['user']} "))
    block = lines[start:start + 4]
    assert f"group {entities['group']}" in block[1]
    assert f"managed {entities['pol']}" in block[2]  # the group's policy, under the group
    assert f"inline {entities['inline']}" in block[3]
    role_at = next(i for i, line in enumerate(lines) if line.startswith(f"role {entities['role']} "))
    role_block = "\n".join(lines[role_at:role_at + 4])
    assert "trusts ec2.amazonaws.com" in role_block and f"instance profile {entities['ip']}" in role_block
    assert f"managed {entities['pol']}" in role_block


def test_authorization_details_json_and_filter(server, entities):
    data = json.loads(ok(run_cli(server, "authorization-details", "-o", "json")))
    user = next(u for u in data["UserDetailList"] if u["UserName"] == entities["user"])
    assert user["GroupList"] == [entities["group"]]
    assert user["UserPolicyList"][0]["PolicyDocument"] == json.loads(DOC)  # decoded, not URL-encoded text
    role = next(r for r in data["RoleDetailList"] if r["RoleName"] == entities["role"])
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    policy = next(p for p in data["Policies"] if p["Arn"] == entities["policy_arn"])
    assert policy["PolicyVersionList"][0]["Document"] == json.loads(DOC)

    only_roles = json.loads(ok(run_cli(server, "authorization-details", "--filter", "Role", "-o", "json")))
    assert only_roles["UserDetailList"] == [] and only_roles["Policies"] == []
    assert any(r["RoleName"] == entities["role"] for r in only_roles["RoleDetailList"])


def test_authorization_details_edge_list(server, entities):
    rows = {tuple(line.split(",")[:5]) for line in ok(run_cli(server, "authorization-details", "-o", "csv")).splitlines()}
    e = entities
    assert {("user", e["user"], "member-of", "group", e["group"]),
            ("user", e["user"], "inline", "inline-policy", e["inline"]),
            ("group", e["group"], "attached", "policy", e["pol"]),
            ("role", e["role"], "attached", "policy", e["pol"]),
            ("instance-profile", e["ip"], "contains", "role", e["role"])} <= rows


def test_authorization_details_graphs(server, entities, tmp_path):
    names = {entities[k] for k in ("user", "group", "pol", "inline", "role", "ip")}
    svg, png, html = tmp_path / "g.svg", tmp_path / "g.png", tmp_path / "g.html"
    for path in (svg, png, html):
        result = run_cli(server, "authorization-details", "--graph", str(path))
        assert ok(result) == ""
        assert re.search(rf"^wrote {re.escape(str(path))}: \d+ nodes, \d+ edges$", result.stderr, re.M)
    texts = {"".join(t.itertext()) for t in ElementTree.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")}
    assert names <= texts
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000
    page = html.read_text()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    graph = json.loads(re.search(r'type="application/json">(.*?)</script>', page, re.S).group(1))
    assert names <= {n["label"] for n in graph["nodes"]}


def test_saml_providers_journey(server, iam, name, tmp_path):
    provider = name("idp")
    doc = saml_metadata(valid_until="2031-01-01T00:00:00Z", entity_id=f"https://{provider}.example.com/saml")
    (tmp_path / "idp.xml").write_text(doc)
    arn = f"arn:aws:iam::{server.account_id}:saml-provider/{provider}"

    created = json.loads(ok(run_cli(server, "saml-providers", "create", provider, "--metadata",
                                    str(tmp_path / "idp.xml"), "--tag", "team=sec", "-o", "json")))
    assert created == {"SAMLProviderArn": arn}
    assert iam.get_saml_provider(SAMLProviderArn=arn)["Tags"] == [{"Key": "team", "Value": "sec"}]

    listed = ok(run_cli(server, "saml-providers"))
    row = next(line for line in listed.splitlines() if arn in line)
    assert provider in row and "2031-01-01 00:00:00" in row
    assert any(p["Arn"] == arn for p in json.loads(ok(run_cli(server, "saml-providers", "list", "-o", "json")))
               ["SAMLProviderList"])

    shown = ok(run_cli(server, "saml-providers", "show", provider))
    assert f"https://{provider}.example.com/saml" in shown and "https://idp.example.com/sso" in shown
    assert re.search(r"Signing certificates\s+1", shown) and "team=sec" in shown
    assert ok(run_cli(server, "saml-providers", "show", arn, "--metadata")) == doc + "\n"
    as_yaml = yaml.safe_load(ok(run_cli(server, "saml-providers", "show", arn, "-o", "yaml")))
    assert as_yaml["SAMLMetadataDocument"] == doc and as_yaml["SAMLProviderArn"] == arn

    assert ok(run_cli(server, "saml-providers", "delete", provider)).strip() == f"Deleted SAML provider {arn}"
    one_error_line(run_cli(server, "saml-providers", "show", arn), "NoSuchEntity")
    one_error_line(run_cli(server, "saml-providers", "delete", provider), "NoSuchEntity")


def test_saml_create_bad_metadata_surfaces_the_api_error(server, name, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<notmetadata>" + "x" * 1200 + "</notmetadata>")
    line = one_error_line(run_cli(server, "saml-providers", "create", name("idp"), "--metadata", str(bad)),
                          "InvalidInput")
    assert "metadata" in line


def test_no_credentials(server):
    line = one_error_line(run_cli(server, "summary", env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}),
                          "NoCredentials")
    assert "Unable to locate credentials" in line


def test_bad_credentials(server):
    one_error_line(run_cli(server, "summary", env={"AWS_SECRET_ACCESS_KEY": "not-the-secret"}), "SignatureDoesNotMatch")
    one_error_line(run_cli(server, "alias", env={"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}), "InvalidClientTokenId")


def test_unreachable_endpoint(server):
    url = f"http://127.0.0.1:{free_port()}"
    line = one_error_line(run_cli(server, "summary", "--endpoint-url", url), "EndpointConnectionError")
    assert url in line


def usage_error_line(result) -> str:
    """The one stderr line of a command refused as a usage mistake (exit 2, nothing sent)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr and "InternalError" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: UsageError: "), result.stderr
    return lines[0]


def test_input_mistakes_are_usage_errors(server, tmp_path):
    line = usage_error_line(run_cli(server, "summary", "--endpoint-url", "127.0.0.1:18777"))
    assert "Invalid value for '--endpoint-url': '127.0.0.1:18777' must start with http:// or https://" in line
    line = usage_error_line(run_cli(server, "summary", env={"AWS_ENDPOINT_URL": "127.0.0.1:18777"}))
    assert "Invalid endpoint: 127.0.0.1:18777 (from AWS_ENDPOINT_URL or the config file)" in line
    line = usage_error_line(run_cli(server, "credential-report", "--columns", "user,bogus"))
    assert "Invalid value for '--columns': unknown report column(s): bogus." in line
    line = usage_error_line(run_cli(server, "authorization-details", "--graph", str(tmp_path / "g.pdf")))
    assert "Invalid value for '--graph': the file must end in .svg, .png or .html" in line
    assert not (tmp_path / "g.pdf").exists()


BODY_MARKER = "secret-page-body-7f3a"


@contextmanager
def foreign_server(status: int, content_type: str):
    """An HTTP server that answers every request as a web server, not as AWS does."""
    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            body = f"<!DOCTYPE html><html><body><h1>{status}</h1><p>{BODY_MARKER}</p></body></html>".encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        do_GET = do_POST = answer

        def log_message(self, *args):
            pass
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("status, content_type", [(404, "text/html"), (200, "text/html; charset=utf-8"),
                                                  (500, "text/plain")])
def test_an_endpoint_that_is_not_aws_gets_one_line(server, status, content_type):
    with foreign_server(status, content_type) as url:
        for command in (("summary",), ("credential-report",), ("authorization-details", "-o", "json")):
            line = one_error_line(run_cli(server, *command, "--endpoint-url", url), "NotAnAWSEndpoint")
            assert line == (f"error: NotAnAWSEndpoint: {url} did not answer as an AWS IAM endpoint does "
                            f"(HTTP {status}, {content_type.split(';')[0]}); check --endpoint-url.")
            assert BODY_MARKER not in line


def test_access_denied(server, iam, name):
    user = name("nobody")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    result = run_cli(server, "summary", env={"AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                                             "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
    line = one_error_line(result, "AccessDenied")
    assert line == (f"error: AccessDenied: User: arn:aws:iam::{server.account_id}:user/{user} is not authorized "
                    "to perform: iam:GetAccountSummary because no identity-based policy allows the "
                    "iam:GetAccountSummary action")


def test_profile_and_endpoint_options(server, tmp_path):
    (tmp_path / "credentials").write_text(
        f"[lab]\naws_access_key_id = {server.access_key}\naws_secret_access_key = {server.secret_key}\n")
    (tmp_path / "config").write_text("[profile lab]\nregion = eu-west-1\n")
    env = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_ENDPOINT_URL": None,
           "AWS_DEFAULT_REGION": None, "AWS_CONFIG_FILE": str(tmp_path / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    out = ok(run_cli(server, "summary", "-o", "json", "--profile", "lab", "--endpoint-url", server.endpoint, env=env))
    assert json.loads(out)["SummaryMap"]["UsersQuota"] > 0
    # group-level options work as well as command-level ones
    out = ok(run_cli(server, "--profile", "lab", "--endpoint-url", server.endpoint, "--region", "us-east-1",
                     "summary", "-o", "json", env=env))
    assert "SummaryMap" in json.loads(out)
    one_error_line(run_cli(server, "summary", "--profile", "nope", env=env), "ProfileNotFound")


def test_debug_logs_requests_on_stderr_only(server):
    result = run_cli(server, "summary", "-o", "json", "--debug")
    assert result.returncode == 0
    assert "GetAccountSummary" in result.stderr and "botocore" in result.stderr
    assert "SummaryMap" in json.loads(result.stdout)


def test_client_side_validation_uses_the_api_text(server):
    line = one_error_line(run_cli(server, "password-policy", "set", "--min-length", "200"), "ValidationError")
    assert line == ("error: ValidationError: 1 validation error detected: Value '200' at 'minimumPasswordLength' "
                    "failed to satisfy constraint: Member must have value less than or equal to 128")
