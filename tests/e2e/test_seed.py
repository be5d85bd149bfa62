"""The seed: /work/shared/seed/account_demo.py, unchanged, against a seeded iamd.

It runs in a subprocess with only AWS_ENDPOINT_URL and root credentials set, answering
its y/n prompts with "y" (see the details, see the password policy, create the default
policy, delete it), on a dedicated server per engine so alias and report state are its own.
"""

import base64
import datetime
import json
import os
import re
import subprocess
import sys
import time

import botocore.session
import pyotp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SUMMARY_KEYS = botocore.session.get_session().get_service_model("iam").shape_for("summaryKeyType").enum
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]})
USERS = ("alice", "bob", "carol")


def saml_metadata(entity: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, entity)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://{entity}.example.com/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
                            Location="https://{entity}.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def populate(iam) -> dict:
    """An account worth reporting on, made through the API only."""
    policy = iam.create_policy(PolicyName="ReadBuckets", PolicyDocument=POLICY)["Policy"]["Arn"]
    iam.create_group(GroupName="developers")
    iam.attach_group_policy(GroupName="developers", PolicyArn=policy)
    iam.put_group_policy(GroupName="developers", PolicyName="deny-iam", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}))
    for name in USERS:
        iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "seed"}])
    iam.add_user_to_group(GroupName="developers", UserName="alice")
    iam.add_user_to_group(GroupName="developers", UserName="bob")
    for _ in range(2):
        iam.create_access_key(UserName="alice")
    iam.create_access_key(UserName="bob")
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9!")
    iam.create_login_profile(UserName="bob", Password="Battery-Staple-8?")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    totp, step = pyotp.TOTP(device["Base32StringSeed"].decode()), int(time.time() // 30)
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.generate_otp(step - 1), AuthenticationCode2=totp.generate_otp(step))
    iam.create_role(RoleName="web-server", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="web-server", PolicyArn=policy)
    iam.create_instance_profile(InstanceProfileName="web-server")
    iam.add_role_to_instance_profile(InstanceProfileName="web-server", RoleName="web-server")
    saml = [iam.create_saml_provider(Name=n, SAMLMetadataDocument=saml_metadata(n))["SAMLProviderArn"]
            for n in ("corp-idp", "partner-idp")]
    return {"policy": policy, "saml": saml}


@pytest.fixture
def seed_server(server, server_factory):
    return server_factory(server.engine, extra_args=["--no-access-log"]).start()


def test_seed_demo_runs_unchanged(seed_server, shared_dir):
    iam = seed_server.client("iam")
    made = populate(iam)
    script = shared_dir / "seed" / "account_demo.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(seed_server.env_for_clients())
    run = subprocess.run([sys.executable, str(script)], input="y\n" * 4, env=env, capture_output=True,
                         text=True, timeout=120)
    out, log = run.stdout, run.stderr
    assert run.returncode == 0, f"seed failed:\n{out}\n{log}"
    assert "ERROR" not in log and "Traceback" not in log

    # aliases: none at first, two set one after the other, the current one removed
    assert "Your account currently has no alias." in out
    set_to = re.findall(r"Setting your account alias to (alias-\d-\d+)", out)
    assert len(set_to) == 2 and all(f"Created an alias '{a}' for your account." in log for a in set_to)
    assert f"Your account alias is now ['{set_to[1]}']." in out
    assert f"Removed alias '{set_to[1]}' from your account." in log
    assert "Your account now has no alias." in out
    assert iam.list_account_aliases()["AccountAliases"] == []

    # credential report: STARTED, then COMPLETE; root row first, one row per user
    states = out.split("Let's generate a credentials report...\n", 1)[1].split("\nGot credentials report", 1)[0]
    assert states.splitlines()[0] == "STARTED" and "COMPLETE" in states.splitlines()
    table = out.split("Showing only the first 3 columns.\n", 1)[1].split("-" * 88, 1)[0].splitlines()
    assert table[0].split() == ["user", "arn", "user_creation_time"]
    assert table[1].split()[:2] == ["<root_account>", f"arn:aws:iam::{seed_server.account_id}:root"]
    assert [row.split()[0] for row in table[2:]] == list(USERS)
    for row in table[2:]:
        assert re.fullmatch(r"\S+ +arn:aws:iam::\d{12}:user/\S+ +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 *", row)

    # account summary: every key of the model, with this account's counts
    summary = out.split("Here's your summary:\n", 1)[1].split("-" * 88, 1)[0]
    for key in SUMMARY_KEYS:
        assert f"'{key}':" in summary
    for key, value in {"Users": 3, "Groups": 1, "Roles": 1, "Policies": 1, "InstanceProfiles": 1,
                       "PolicyVersionsInUse": 2, "MFADevices": 1, "MFADevicesInUse": 1, "Providers": 2,
                       "AccountAccessKeysPresent": 1, "UsersQuota": 5000}.items():
        assert f"'{key}': {value}," in summary or f"'{key}': {value}}}" in summary

    # authorization details, shown because the first answer was "y"
    details = out.split("These are pretty long, do you want to see them (y/n)? ", 1)[1].split("-" * 88, 1)[0]
    for text in ("'UserDetailList'", "'GroupDetailList'", "'RoleDetailList'", "'Policies'",
                 "'UserName': 'alice'", "'GroupName': 'developers'", "'RoleName': 'web-server'",
                 "'InstanceProfileName': 'web-server'", f"'PolicyArn': '{made['policy']}'",
                 "'PolicyName': 'deny-iam'", "'IsTruncated': False"):
        assert text in details, text

    # password policy: none, the default one created and shown, then deleted
    policy = out.split("Want to see the password policy for the account (y/n)? ", 1)[1]
    # (the heading prints before the resource loads, so it precedes "no policy" too)
    shown = "The account's password policy:\n\tMinimum length: 6\n\tRequire symbols: False\n"
    assert policy.index("This account has no password policy.") < policy.index(shown)
    assert "\tPasswords expire: False\n" in policy
    assert "Password policy deleted." in policy
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_account_password_policy()

    # SAML providers
    providers = out.split("The SAML providers for your account are:\n", 1)[1].split("-" * 88, 1)[0]
    assert sorted(line.strip() for line in providers.strip().splitlines()) == sorted(made["saml"])
    assert out.rstrip().endswith("Thanks for watching.")
