"""The seed: /work/shared/seed/account_demo.py, unchanged, against a seeded iamd.

It runs in a subprocess with only AWS_ENDPOINT_URL and root credentials set, answering
its y/n prompts with "y" (see the details, see the password policy, create the default
policy, delete it), on a dedicated server per engine so alias and report state are its own.
"""

import json
import re
import subprocess
import sys

import botocore.session
import pytest
from helpers import TRUST, client_env, enable_mfa, policy_doc, saml_metadata

SUMMARY_KEYS = botocore.session.get_session().get_service_model("iam").shape_for("summaryKeyType").enum
POLICY = policy_doc(["s3:GetObject", "s3:ListBucket"])
USERS = ("alice", "bob", "carol")


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
    enable_mfa(iam, "alice", device)
    iam.create_role(RoleName="web-server", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="web-server", PolicyArn=policy)
    iam.create_instance_profile(InstanceProfileName="web-server")
    iam.add_role_to_instance_profile(InstanceProfileName="web-server", RoleName="web-server")
    saml = [iam.create_saml_provider(Name=n, SAMLMetadataDocument=saml_metadata(
        entity_id=f"https://{n}.example.com/saml"))["SAMLProviderArn"] for n in ("corp-idp", "partner-idp")]
    return {"policy": policy, "saml": saml}


def test_seed_demo_runs_unchanged(shared_dir, own_server):  # shared_dir first: skip before starting
    iam = own_server.client("iam")
    made = populate(iam)
    script = shared_dir / "seed" / "account_demo.py"
    run = subprocess.run([sys.executable, str(script)], input="y\n" * 4, env=client_env(own_server),
                         capture_output=True, text=True, timeout=120)
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
    assert table[1].split()[:2] == ["<root_account>", f"arn:aws:iam::{own_server.account_id}:root"]
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
