"""Real clients with role profiles, unchanged: the AWS CLI's `role_arn` + `source_profile`
(and `mfa_serial`, its prompt answered with a TOTP code), boto3's own AssumeRole provider,
and `iamd account` run as an assumed role."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pyotp

from helpers import client_env, enable_mfa, ok, run_account_cli
from sts_helpers import make_role, trust_of

AWS = str(Path(sys.executable).with_name("aws"))


def _profiles(tmp_path, server, user_key: dict, role_arn: str, mfa_serial: str | None = None) -> dict:
    """The files a person writes: credentials of the user, a config with a role profile."""
    creds = tmp_path / "credentials"
    creds.write_text(f"[user]\naws_access_key_id = {user_key['AccessKeyId']}\n"
                     f"aws_secret_access_key = {user_key['SecretAccessKey']}\n")
    config = tmp_path / "config"
    extra = f"mfa_serial = {mfa_serial}\n" if mfa_serial else ""
    config.write_text(f"[profile user]\nregion = us-east-1\n"
                      f"[profile admin]\nrole_arn = {role_arn}\nsource_profile = user\n"
                      f"role_session_name = cli-session\nregion = us-east-1\n{extra}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_CONFIG_FILE=str(config), AWS_ENDPOINT_URL=server.endpoint,
               HOME=str(tmp_path))  # the CLI caches role credentials under ~/.aws/cli/cache
    return env


def _user_and_role(server, iam, name, trust_condition=None):
    user = name("u")
    user_arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    role = name("admin")
    role_arn = make_role(iam, role, trust_of(user_arn, condition=trust_condition), "iam:*", "sts:GetCallerIdentity")
    return user, role, role_arn, iam.create_access_key(UserName=user)["AccessKey"]


def _aws(env, *args, input=None) -> subprocess.CompletedProcess:
    # a session of its own: no controlling terminal, so the MFA prompt reads standard input
    return subprocess.run([AWS, *args, "--output", "json"], capture_output=True, text=True, env=env,
                          input=input, timeout=90, start_new_session=True)


def test_aws_cli_role_profile(server, iam, name, tmp_path):
    _, role, role_arn, key = _user_and_role(server, iam, name)
    env = _profiles(tmp_path, server, key, role_arn)
    who = _aws(env, "sts", "get-caller-identity", "--profile", "admin")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/{role}/cli-session"
    listed = _aws(env, "iam", "list-roles", "--profile", "admin")
    assert listed.returncode == 0, listed.stderr
    assert role in [r["RoleName"] for r in json.loads(listed.stdout)["Roles"]]


def test_aws_cli_role_profile_with_mfa_prompt(server, iam, name, tmp_path):
    user, role, role_arn, key = _user_and_role(
        server, iam, name, trust_condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("d"))["VirtualMFADevice"]
    enable_mfa(iam, user, device, offset=-30)
    env = _profiles(tmp_path, server, key, role_arn, mfa_serial=device["SerialNumber"])
    code = pyotp.TOTP(device["Base32StringSeed"].decode()).now()
    who = _aws(env, "sts", "get-caller-identity", "--profile", "admin", input=code + "\n")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"].endswith(f":assumed-role/{role}/cli-session")
    refused = _aws({**env, "HOME": str(tmp_path / "elsewhere")}, "sts", "get-caller-identity", "--profile", "admin",
                   input=f"{(int(code) + 1) % 1000000:06d}\n")
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr


def test_boto3_role_profile(server, iam, name, tmp_path):
    _, role, role_arn, key = _user_and_role(server, iam, name)
    env = _profiles(tmp_path, server, key, role_arn)
    saved = {k: os.environ.get(k) for k in env if k.startswith("AWS_")}
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    try:
        session = boto3.Session(profile_name="admin")
        arn = session.client("sts").get_caller_identity()["Arn"]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert arn.endswith(f":assumed-role/{role}/cli-session")


def test_iamd_account_runs_as_an_assumed_role(server, iam, name, tmp_path):
    _, role, role_arn, key = _user_and_role(server, iam, name)
    creds = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                         aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
                         ).assume_role(RoleArn=role_arn, RoleSessionName="acct")["Credentials"]
    env = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
           "AWS_SESSION_TOKEN": creds["SessionToken"]}
    out = ok(run_account_cli(server, "summary", "--output", "json", env=env))
    assert json.loads(out)
    # and through a role profile of the config file
    profiles = _profiles(tmp_path, server, key, role_arn)
    by_profile = {**{k: None for k in client_env(server) if k.startswith("AWS_")},
                  **{k: v for k, v in profiles.items() if k.startswith("AWS_")}}
    out = ok(run_account_cli(server, "--profile", "admin", "summary", "--output", "json", env=by_profile))
    assert json.loads(out)
