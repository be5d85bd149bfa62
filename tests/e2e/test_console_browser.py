"""The web console as a person uses it: headless Chromium (Debian's, via Playwright) signs
in to an iamd of the module's own and clicks through the pages.

Sign-in as root (password from `iamd root-password set`) and as IAM users (by account id
and by alias), the forced password change, MFA enrolment and sign-in with pyotp codes, a
user created with an access key that boto3 then uses, a limited user refused with the
API's own AccessDenied text, the policy editor's MalformedPolicyDocument message (as typed
and on submit), the credential report's CSV, sign-out, throttled sign-ins, and CSRF and XSS
attempts refused. Every test saves a screenshot under its tmp dir.
"""

import json
import re
import time
from urllib.parse import quote

import boto3
import httpx
import pyotp
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from helpers import (certificate_pem, chromium_browser, key_pem, new_account, policy_doc, run_iamd,
                     saml_metadata, shared_rsa_key, store_args)

ROOT_PASSWORD = "root-Pa55word!"
PASSWORD = "Us3r-Pa55word!"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


@pytest.fixture(scope="module")
def srv(own_server):
    result = run_iamd("root-password", "set", *store_args(own_server), input=f"{ROOT_PASSWORD}\n{ROOT_PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    assert ROOT_PASSWORD not in result.stderr + result.stdout
    return own_server


@pytest.fixture(scope="module")
def iam(srv):
    return srv.client("iam")


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as b:
        yield b


@pytest.fixture
def page(browser, srv, tmp_path, request):
    """A fresh browser (no cookies) on the console; its screenshot is saved at the end."""
    context = browser.new_context(base_url=srv.endpoint, viewport={"width": 1280, "height": 800},
                                  accept_downloads=True)
    pg = context.new_page()
    dialogs = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    pg.screenshot(path=str(tmp_path / f"{request.node.name[:60]}.png"), full_page=True)
    assert dialogs == []  # no script of the page's data ever ran
    context.close()


def sign_in(pg, srv, user: str | None = None, password: str = PASSWORD, account: str | None = None):
    pg.goto("/console/signin")
    if user is None:
        pg.get_by_role("radio", name="Root user").check()
        password = ROOT_PASSWORD if password == PASSWORD else password
    else:
        pg.get_by_role("textbox", name="IAM user name").fill(user)
    pg.get_by_label("Account ID (12 digits) or account alias").fill(account or srv.account_id)
    pg.get_by_label("Password", exact=True).fill(password)
    pg.get_by_role("button", name="Sign in").click()


def error_text(pg) -> str:
    return pg.locator(".error").first.inner_text()


def console_user(iam, name: str, *policies: str, reset: bool = False) -> None:
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=reset)
    for arn in policies:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)


def test_banner_prints_the_console_url(srv):
    line = next(line for line in srv.log_path.read_text().splitlines() if line.startswith("iamd: console: "))
    store = f"--database-url {srv.database_url}" if srv.database_url else f"--data-dir {srv.data_dir}"
    # started before the root password was set: the banner says how to set it
    assert line == (f"iamd: console: http://127.0.0.1:{srv.port}/console/ (the root user signs in after "
                    f"`iamd root-password set {store}`)")


def test_root_signs_in_and_sees_the_dashboard(page, srv):
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    assert page.locator("#account-id").inner_text() == srv.account_id
    assert "Users" in page.locator("main").inner_text()
    assert "The root user has no MFA device." in page.locator("main").inner_text()
    cookie = next(c for c in page.context.cookies() if c["name"] == "iamd_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    headers = page.request.get("/console/dashboard").headers
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]


def test_wrong_password_says_what_aws_says(page, srv):
    sign_in(page, srv, password="not-the-password")
    assert error_text(page).endswith("Your authentication information is incorrect. Please try again.")
    assert page.url.endswith("/console/signin")


def test_iam_user_signs_in_by_alias_and_password_use_is_recorded(page, srv, iam, name):
    user = name("cu")
    console_user(iam, user, READ_ONLY)
    alias = f"acct-{user.lower()}"[:60]
    iam.create_account_alias(AccountAlias=alias)
    try:
        sign_in(page, srv, user, account=alias)
        page.wait_for_url("**/console/dashboard")
        assert user in page.locator(".who").inner_text()
        assert iam.get_user(UserName=user)["User"]["PasswordLastUsed"]
        page.goto(f"/console/users/{user}")
        assert page.locator("#user-name").inner_text() == user
    finally:
        iam.delete_account_alias(AccountAlias=alias)


def test_forced_password_change(page, srv, iam, name):
    user = name("reset")
    console_user(iam, user, reset=True)
    iam.update_account_password_policy(MinimumPasswordLength=12, AllowUsersToChangePassword=True)
    try:
        sign_in(page, srv, user)
        page.wait_for_url("**/console/signin/password")
        page.goto("/console/users")  # nothing else opens until the password is changed
        page.wait_for_url("**/console/signin")
        sign_in(page, srv, user)
        page.wait_for_url("**/console/signin/password")
        for label, value in (("Old password", PASSWORD), ("New password", "short1!"), ("Retype new password", "short1!")):
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name="Confirm password change").click()
        assert error_text(page) == "PasswordPolicyViolation: Password should have a minimum length of 12"
        new = "A-much-longer-passw0rd"
        for label, value in (("Old password", PASSWORD), ("New password", new), ("Retype new password", new)):
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name="Confirm password change").click()
        page.wait_for_url("**/console/dashboard?done=password")
        assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False
    finally:
        iam.delete_account_password_policy()


def test_mfa_enrolment_and_sign_in_with_codes(page, browser, srv, iam, name, tmp_path):
    user = name("mfa")
    console_user(iam, user)
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.goto(f"/console/users/{user}")
    page.get_by_role("button", name="Assign MFA device").click()
    assert page.get_by_alt_text("QR code of the MFA device's secret").is_visible()
    page.locator("summary", has_text="Show secret key").click()
    totp = pyotp.TOTP(page.locator("#mfa-seed").inner_text().strip())
    now = time.time()
    page.get_by_label("MFA code 1").fill(totp.at(now - 30))
    page.get_by_label("MFA code 2").fill(totp.at(now))
    page.get_by_role("button", name="Add MFA").click()
    page.wait_for_url(re.compile(r".*done=mfa$"))
    assert len(iam.list_mfa_devices(UserName=user)["MFADevices"]) == 1
    # the user signs in on another browser: password, then a code
    other = browser.new_context(base_url=srv.endpoint)
    pg = other.new_page()
    try:
        sign_in(pg, srv, user)
        pg.wait_for_url("**/console/signin/mfa")
        pg.get_by_label("MFA code from your authenticator app").fill("000000" if totp.now() != "000000" else "111111")
        pg.get_by_role("button", name="Submit").click()
        assert error_text(pg) == "Your authentication information is incorrect. Please try again."
        pg.get_by_label("MFA code from your authenticator app").fill(totp.at(time.time() + 30))
        pg.get_by_role("button", name="Submit").click()
        pg.wait_for_url("**/console/dashboard")
        pg.screenshot(path=str(tmp_path / "mfa-user-dashboard.png"))
    finally:
        other.close()


def test_create_user_with_access_key_that_boto3_uses(page, srv, name, tmp_path):
    user = name("made")
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.goto("/console/users/new")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Create an access key").check()
    page.get_by_label("Policies to attach").fill(READ_ONLY)
    page.get_by_label("Tags").fill("team=console")
    page.get_by_role("button", name="Create user").click()
    key_id = page.locator("#new-key-id").inner_text().strip()
    secret = page.locator("#new-key-secret").inner_text().strip()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download .csv file").click()
    csv_path = tmp_path / "key.csv"
    info.value.save_as(csv_path)
    assert csv_path.read_text().splitlines() == ["User name,Access key ID,Secret access key",
                                                 f"{user},{key_id},{secret}"]
    client = boto3.client("iam", endpoint_url=srv.endpoint, region_name="us-east-1",
                          aws_access_key_id=key_id, aws_secret_access_key=secret)
    me = client.get_user(UserName=user)["User"]
    assert me["UserName"] == user and {"Key": "team", "Value": "console"} in me["Tags"]
    page.goto(f"/console/users/{user}")
    assert "Active" in page.locator("#access-keys").inner_text()
    assert "iam" in page.locator("#access-keys").inner_text()  # last used: the IAM service


def test_limited_user_sees_the_api_denial(page, srv, iam, name):
    user, victim = name("ro"), name("target")
    console_user(iam, user, READ_ONLY)
    iam.create_user(UserName=victim)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    api = boto3.client("iam", endpoint_url=srv.endpoint, region_name="us-east-1",
                       aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    with pytest.raises(ClientError) as denied:
        api.attach_user_policy(UserName=victim, PolicyArn=READ_ONLY)
    sign_in(page, srv, user)
    page.wait_for_url("**/console/dashboard")
    page.goto(f"/console/users/{victim}")
    page.get_by_label("Attach policy (ARN)").fill(READ_ONLY)
    page.get_by_role("button", name="Attach", exact=True).click()
    shown = error_text(page)
    assert shown == f"AccessDenied: {denied.value.response['Error']['Message']}"
    assert shown.startswith(f"AccessDenied: User: arn:aws:iam::{srv.account_id}:user/{user} is not authorized "
                            f"to perform: iam:AttachUserPolicy on resource: ")
    assert iam.list_attached_user_policies(UserName=victim)["AttachedPolicies"] == []


def test_policy_editor_shows_the_validation_message(page, srv, iam, name):
    arn = iam.create_policy(PolicyName=name("edit"), PolicyDocument=policy_doc())["Policy"]["Arn"]
    bad = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}'
    with pytest.raises(ClientError) as api:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=bad)
    expected = f"MalformedPolicyDocument: {api.value.response['Error']['Message']}"
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.goto(f"/console/policy?arn={quote(arn, safe='')}")
    editor = page.get_by_label("Document of the default version")
    editor.fill(bad)
    check = page.locator("#document-check")
    check.filter(has_text="MalformedPolicyDocument").wait_for()
    assert check.inner_text() == expected  # as typed
    page.get_by_role("button", name="Save changes").click()
    assert error_text(page) == expected  # on submit, the operation's own answer
    assert page.get_by_label("Document of the default version").input_value() == bad
    editor = page.get_by_label("Document of the default version")
    editor.fill(policy_doc("s3:PutObject"))
    page.locator("#document-check").filter(has_text="valid").wait_for()
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r".*done=updated$"))
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"


def test_credential_report_download(page, srv, iam, name, tmp_path):
    user = name("rep")
    console_user(iam, user)
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.goto("/console/credential-report")
    page.get_by_role("button", name="Generate report").click()
    page.wait_for_url(re.compile(r".*done=generated$"))
    assert user in page.locator("#report").inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download report (CSV)").click()
    path = tmp_path / "report.csv"
    info.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("user,arn,user_creation_time,password_enabled,password_last_used")
    assert any(line.startswith(f"{user},arn:aws:iam::{srv.account_id}:user/{user},") for line in lines)


def test_sign_out_ends_the_session(page, srv):
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "iamd_console")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/signin?done=signedout")
    page.goto("/console/users")
    page.wait_for_url("**/console/signin")
    replay = httpx.get(f"{srv.endpoint}/console/users", cookies={"iamd_console": token})
    assert replay.status_code == 303 and replay.headers["location"] == "/console/signin"


def test_failed_sign_ins_are_throttled(page, srv, iam, name):
    user = name("thr")
    console_user(iam, user)
    for _ in range(5):
        sign_in(page, srv, user, password="wrong-password")
        assert error_text(page).endswith("Your authentication information is incorrect. Please try again.")
    sign_in(page, srv, user)  # the right password, too soon
    assert "Too many failed sign-in attempts" in error_text(page)
    assert "PasswordLastUsed" not in iam.get_user(UserName=user)["User"]


def test_csrf_attempts_are_refused(page, srv, iam, name):
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    victim = name("csrf")
    # the session cookie rides along, but no token (or a wrong one, or a foreign Origin) is refused
    for form, headers in (({"name": victim}, {}), ({"name": victim, "csrf": "guess"}, {})):
        resp = page.request.post("/console/users/new", form=form, headers=headers, max_redirects=0)
        assert resp.status == 403 and "CSRF" in resp.text()
    token = page.locator('input[name="csrf"]').first.input_value()
    resp = page.request.post("/console/users/new", form={"name": victim, "csrf": token},
                             headers={"Origin": "https://evil.example"}, max_redirects=0)
    assert resp.status == 403 and "Cross-site request refused." in resp.text()
    unknown = page.request.post(f"/console/users/{victim}/no-such-action", form={"csrf": token}, max_redirects=0)
    assert unknown.status == 404 and "Not found." in unknown.text()
    # a page of another site cannot frame the console either
    assert page.request.get("/console/dashboard").headers["x-frame-options"] == "DENY"
    with pytest.raises(ClientError):
        iam.get_user(UserName=victim)


def test_xss_attempts_are_text(page, srv, iam, name):
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    script = "<script>alert(1)</script>"
    page.goto("/console/users/new")
    page.get_by_label("User name").fill(script)
    page.get_by_role("button", name="Create user").click()
    assert f"Value '{script}' at 'userName' failed to satisfy constraint" in error_text(page)
    policy = name("xss")
    img = '<img src=x onerror="alert(2)">'
    iam.create_policy(PolicyName=policy, PolicyDocument=policy_doc(), Description=img)
    arn = f"arn:aws:iam::{srv.account_id}:policy/{policy}"
    page.goto(f"/console/policy?arn={quote(arn, safe='')}")
    assert img in page.locator("main").inner_text()
    assert page.locator("main img").count() == 0
    page.goto(f"/console/users?search={quote(script)}")
    assert page.get_by_label("Find users by name").input_value() == script
    # page.dialogs is checked empty when the fixture closes


def test_users_page_lists_and_searches_by_pages(page, srv, iam, name):
    prefix = name("pg")
    for i in range(3):
        iam.create_user(UserName=f"{prefix}-{i}")
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.goto(f"/console/users?search={prefix}")
    names = page.locator("#users tbody td:first-child").all_inner_texts()
    assert names == [f"{prefix}-{i}" for i in range(3)]


def test_no_console_turns_it_off(server, server_factory):
    off = server_factory(server.engine, extra_args=["--no-access-log", "--no-console"]).start()
    assert "console:" not in off.log_path.read_text()
    resp = httpx.get(f"{off.endpoint}/console/signin")
    assert "text/html" not in resp.headers["content-type"] and b"<Code>MissingAction</Code>" in resp.content


def test_identity_providers_saml_file_and_oidc(page, srv, iam, name, tmp_path):
    saml, host = name("idp"), name("oidc").lower()
    metadata = tmp_path / "metadata.xml"
    metadata.write_text(saml_metadata())
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.get_by_role("link", name="Identity providers").click()
    page.get_by_label("Provider name").fill(saml)
    page.get_by_label("Metadata document (file)").set_input_files(str(metadata))
    page.wait_for_function("document.getElementById('saml-metadata').value.length > 0")
    page.get_by_role("button", name="Add SAML provider").click()
    page.wait_for_url(re.compile(r".*done=created$"))
    assert f"saml-provider/{saml}" in page.locator("#saml-providers").inner_text()
    page.get_by_label("Provider URL").fill(f"https://{host}.example.com")
    page.get_by_label("Audiences").fill("my-app")
    page.get_by_role("button", name="Add OpenID Connect provider").click()
    page.wait_for_url(re.compile(r".*done=created$"))
    arns = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert f"arn:aws:iam::{srv.account_id}:oidc-provider/{host}.example.com" in arns
    page.get_by_label("Provider URL").fill("http://not-https.example.com")
    page.get_by_role("button", name="Add OpenID Connect provider").click()
    with pytest.raises(ClientError) as api:
        iam.create_open_id_connect_provider(Url="http://not-https.example.com")
    assert error_text(page) == f"{api.value.response['Error']['Code']}: {api.value.response['Error']['Message']}"


def test_readable_on_a_phone_and_usable_by_keyboard(browser, srv, tmp_path):
    context = browser.new_context(base_url=srv.endpoint, viewport={"width": 390, "height": 844})
    pg = context.new_page()
    try:
        pg.goto("/console/signin")
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.textContent") == "Skip to content"
        pg.keyboard.press("Tab")  # the first field of the form: the principal choice
        assert pg.evaluate("document.activeElement.name") == "principal"
        sign_in(pg, srv)
        pg.wait_for_url("**/console/dashboard")
        for path in ("/console/dashboard", "/console/users", "/console/policies", "/console/credential-report"):
            pg.goto(path)
            assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
            for field in pg.locator("main input:not([type=hidden]), main textarea, main select").all():
                field_id = field.get_attribute("id")
                labelled = field_id and pg.locator(f'label[for="{field_id}"]').count() == 1
                assert labelled or field.evaluate("e => e.closest('label') !== null"), (path, field_id)
        pg.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    finally:
        context.close()


def test_cookie_is_secure_under_tls(server, server_factory, tmp_path):
    key = shared_rsa_key()
    cert, pem = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text(certificate_pem(key, "127.0.0.1"))
    pem.write_text(key_pem(key))
    tls = server_factory(server.engine, extra_args=["--no-access-log", "--tls-cert", str(cert), "--tls-key", str(pem)])
    tls.account_id = "-"  # started without the STS call that would check the certificate's name
    tls.start()
    resp = httpx.get(f"https://127.0.0.1:{tls.port}/console/signin", verify=False)  # self-signed, no IP name
    cookie = resp.headers["set-cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Strict" in cookie
    assert f"console: https://127.0.0.1:{tls.port}/console/" in tls.log_path.read_text()


def test_groups_roles_alias_password_policy_and_simulator(page, srv, iam, name):
    group, role, member = name("grp"), name("role"), name("member")
    iam.create_user(UserName=member)
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    alias = f"alias-{member.lower()}"[:60]
    page.get_by_label("Alias").fill(alias)
    page.get_by_role("button", name="Save alias").click()
    page.wait_for_url(re.compile(r".*done=updated$"))
    assert page.locator("#account-alias").inner_text() == alias
    page.get_by_label("Alias").fill("")
    page.get_by_role("button", name="Save alias").click()
    page.wait_for_url(re.compile(r".*done=updated$"))
    assert iam.list_account_aliases()["AccountAliases"] == []
    # a group with a member and a policy
    page.goto("/console/groups")
    page.get_by_label("New group name").fill(group)
    page.get_by_role("button", name="Create group").click()
    page.get_by_role("link", name=group, exact=True).click()
    page.get_by_label("Add user").fill(member)
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_label("Attach policy (ARN)").fill(READ_ONLY)
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_url(re.compile(r".*done=updated$"))
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [member]
    assert "IAMReadOnlyAccess" in page.locator("main").inner_text()
    # a role: its trust policy shown, a bad edit refused with the API's words, a good one saved
    trust = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
             '{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')
    page.goto("/console/roles")
    page.get_by_label("Role name").fill(role)
    page.get_by_label("Trust policy (JSON)").fill(trust)
    page.get_by_role("button", name="Create role").click()
    page.get_by_role("link", name=role, exact=True).click()
    assert "ec2.amazonaws.com" in page.get_by_label("Trust policy (JSON)").input_value()
    bad = trust.replace('"Principal": {"Service": "ec2.amazonaws.com"}, ', "")
    with pytest.raises(ClientError) as api:
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=bad)
    page.get_by_label("Trust policy (JSON)").fill(bad)
    page.get_by_role("button", name="Update trust policy").click()
    assert error_text(page) == f"MalformedPolicyDocument: {api.value.response['Error']['Message']}"
    page.get_by_label("Trust policy (JSON)").fill(trust.replace("ec2", "lambda"))
    page.get_by_role("button", name="Update trust policy").click()
    page.wait_for_url(re.compile(r".*done=updated$"))
    assert "lambda" in json_text(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])
    # the password policy editor
    page.goto("/console/password-policy")
    page.get_by_label("Minimum password length").fill("14")
    page.get_by_label("Require at least one number (0-9)").check()
    page.get_by_role("button", name="Save password policy").click()
    page.wait_for_url(re.compile(r".*done=updated$"))
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["RequireNumbers"] is True
    page.get_by_role("button", name="Delete password policy").click()
    page.wait_for_url(re.compile(r".*done=deleted$"))
    # the simulator, on the member: allowed through the group's policy, denied beyond it
    page.goto("/console/simulator")
    page.get_by_label("User, group or role ARN").fill(f"arn:aws:iam::{srv.account_id}:user/{member}")
    page.get_by_label("Actions").fill("iam:ListUsers iam:CreateUser")
    page.get_by_role("button", name="Run simulation").click()
    rows = page.locator("#results tbody tr").all_inner_texts()
    assert [r.split("\t")[2] for r in rows] == ["allowed", "implicitDeny"]


def json_text(document) -> str:
    """boto3 hands a policy document back decoded (a dict); as text for a substring check."""
    return document if isinstance(document, str) else json.dumps(document)


def test_authorization_graph_draws_under_its_policy(page, srv, iam, name):
    user, group = name("gu"), name("gg")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.get_by_role("link", name="Graph").click()
    page.wait_for_url("**/console/graph")
    page.locator("svg circle").first.wait_for()
    labels = " ".join(page.locator("svg text").all_text_contents())
    assert user in labels and group in labels
    assert refused == []
    csp = page.request.get("/console/graph").headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'sha256-" in csp


def test_ssh_public_keys_uploaded_switched_and_deleted(page, srv, iam, name, tmp_path):
    user = name("ssh")
    iam.create_user(UserName=user)
    bad = "ssh-rsa this-is-not-a-key"
    with pytest.raises(ClientError) as refused:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=bad)
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.goto(f"/console/users/{user}")
    page.locator("summary", has_text="Upload SSH public key").click()  # opens the form
    page.get_by_label("SSH public key (ssh-rsa or PEM, 2048 bits or more)").fill(bad)
    page.get_by_role("button", name="Upload SSH public key").click()
    err = refused.value.response["Error"]
    assert error_text(page) == f"{err['Code']}: {err['Message']}"  # the server's words, as the API says them
    page.screenshot(path=str(tmp_path / "ssh-refused.png"), full_page=True)
    body = shared_rsa_key().public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    page.locator("summary", has_text="Upload SSH public key").click()
    page.get_by_label("SSH public key (ssh-rsa or PEM, 2048 bits or more)").fill(body)
    page.get_by_role("button", name="Upload SSH public key").click()
    page.wait_for_url(f"**/console/users/{user}?done=added")
    (key,) = iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]
    row = page.locator("#ssh-keys tbody tr")
    assert key["SSHPublicKeyId"] in row.inner_text() and "Active" in row.inner_text()
    row.get_by_role("button", name="Deactivate").click()
    page.wait_for_url(f"**/console/users/{user}?done=updated")
    assert iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key["SSHPublicKeyId"],
                                  Encoding="SSH")["SSHPublicKey"]["Status"] == "Inactive"
    assert "Inactive" in page.locator("#ssh-keys").inner_text()
    page.locator("#ssh-keys tbody tr").get_by_role("button", name="Delete").click()
    page.wait_for_url(f"**/console/users/{user}?done=deleted")
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []
    assert "No SSH public keys." in page.locator("#ssh-keys").inner_text()


def test_service_specific_credentials_created_reset_deactivated_deleted(page, srv, iam, name, tmp_path):
    user = name("git")
    iam.create_user(UserName=user)
    sign_in(page, srv)
    page.wait_for_url("**/console/dashboard")
    page.goto(f"/console/users/{user}")
    page.get_by_label("Service", exact=True).select_option("codecommit.amazonaws.com")
    page.get_by_role("button", name="Generate credentials").click()
    shown_user = page.locator("#new-credential-user").inner_text().strip()
    password = page.locator("#new-credential-secret").inner_text().strip()
    assert shown_user == f"{user}-at-{srv.account_id}" and len(password) >= 20
    assert "This is the only time the password can be viewed" in page.locator("main").inner_text()
    page.screenshot(path=str(tmp_path / "credential-shown-once.png"), full_page=True)
    (cred,) = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert cred["ServiceName"] == "codecommit.amazonaws.com" and cred["ServiceUserName"] == shown_user
    page.goto(f"/console/users/{user}")  # shown once: a reload does not show it again
    assert password not in page.content() and page.locator("#new-credential-secret").count() == 0
    row = page.locator("#service-credentials tbody tr")
    assert cred["ServiceSpecificCredentialId"] in row.inner_text() and "Active" in row.inner_text()
    row.get_by_role("button", name="Reset").click()
    again = page.locator("#new-credential-secret").inner_text().strip()
    assert again and again != password
    page.locator("#service-credentials tbody tr").get_by_role("button", name="Deactivate").click()
    page.wait_for_url(f"**/console/users/{user}?done=updated")
    (cred,) = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert cred["Status"] == "Inactive"
    # a second Keyspaces credential is allowed, a third of one service is refused in AWS's words
    page.get_by_label("Service", exact=True).select_option("cassandra.amazonaws.com")
    page.get_by_role("button", name="Generate credentials").click()
    assert page.locator("#new-credential-user").inner_text().strip() == f"{user}-at-{srv.account_id}"
    for expected in ("", "LimitExceeded: Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2"):
        page.get_by_label("Service", exact=True).select_option("codecommit.amazonaws.com")
        page.get_by_role("button", name="Generate credentials").click()
        if expected:
            assert error_text(page) == expected
    for cred in iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]:
        row = page.locator("#service-credentials tbody tr", has_text=cred["ServiceSpecificCredentialId"])
        row.get_by_role("button", name="Delete").click()
        page.wait_for_url(f"**/console/users/{user}?done=deleted")
    assert iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"] == []


def test_every_hosted_account_signs_in_with_its_own_root_password_and_users(page, browser, srv, iam, name,
                                                                            tmp_path):
    alias = f"second-{srv.port}"
    other, key, secret = new_account(srv, alias)
    other_password = "0ther-root-Pa55!"
    set_pw = run_iamd("root-password", "set", "--account", alias, *store_args(srv),
                      input=f"{other_password}\n{other_password}\n")
    assert set_pw.returncode == 0 and f"account {other}" in set_pw.stderr
    assert other_password not in set_pw.stderr + set_pw.stdout
    # the first account's root password does not open the second account
    sign_in(page, srv, account=alias)
    assert error_text(page).endswith("Your authentication information is incorrect. Please try again.")
    sign_in(page, srv, password=other_password, account=alias)
    page.wait_for_url("**/console/dashboard")
    assert page.locator("#account-id").inner_text() == other
    assert f"root @ {other}" in page.locator(".who").inner_text()
    # what root does here happens in the second account, not the server's own
    user = name("acct2")
    page.goto("/console/users/new")
    page.get_by_label("User name").fill(user)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    page.screenshot(path=str(tmp_path / "second-account-user-created.png"), full_page=True)
    second = srv.client("iam", key, secret)
    assert second.get_user(UserName=user)["User"]["Arn"] == f"arn:aws:iam::{other}:user/{user}"
    with pytest.raises(ClientError):
        iam.get_user(UserName=user)
    # its IAM user signs in by the account's id, and only there
    fresh = browser.new_context(base_url=srv.endpoint, viewport={"width": 1280, "height": 800})
    try:
        pg = fresh.new_page()
        for wrong in (srv.account_id, "999999999999", "no-such-alias"):  # another account, none at all
            sign_in(pg, srv, user, account=wrong)
            assert error_text(pg).endswith("Your authentication information is incorrect. Please try again.")
        sign_in(pg, srv, user, account=other)
        pg.wait_for_url("**/console/dashboard")
        assert f"{user} @ {other}" in pg.locator(".who").inner_text()
        pg.screenshot(path=str(tmp_path / "second-account-user-dashboard.png"), full_page=True)
        assert second.get_user(UserName=user)["User"]["PasswordLastUsed"]
    finally:
        fresh.close()
