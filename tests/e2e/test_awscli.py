"""The AWS CLI against iamd, configured only by `--endpoint-url` and the credentials file
iamd wrote (`AWS_SHARED_CREDENTIALS_FILE`), as the README tells an operator to do."""

import json
import os
import subprocess
import sys
from pathlib import Path

AWS = str(Path(sys.executable).with_name("aws"))


def aws(server, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(server.data_dir / "credentials"),
               AWS_CONFIG_FILE=str(server.data_dir / "no-such-config"), AWS_DEFAULT_REGION="us-east-1")
    return subprocess.run([AWS, *args, "--endpoint-url", server.endpoint, "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=60)


def test_create_list_and_get_users(server, name):
    n = name("cli")
    made = aws(server, "iam", "create-user", "--user-name", n, "--path", "/cli/")
    assert made.returncode == 0, made.stderr
    user = json.loads(made.stdout)["User"]
    assert user["UserName"] == n and user["Arn"] == f"arn:aws:iam::{server.account_id}:user/cli/{n}"
    listed = aws(server, "iam", "list-users", "--path-prefix", "/cli/")
    assert listed.returncode == 0, listed.stderr
    assert n in [u["UserName"] for u in json.loads(listed.stdout)["Users"]]


def test_get_caller_identity(server):
    res = aws(server, "sts", "get-caller-identity")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"UserId": server.account_id, "Account": server.account_id,
                                      "Arn": f"arn:aws:iam::{server.account_id}:root"}


def test_errors_reach_the_cli_as_aws_errors(server, name):
    res = aws(server, "iam", "get-user", "--user-name", name("absent"))
    assert res.returncode in (254, 255)  # a service error: 255 in CLI v1, 254 in v2
    assert "An error occurred (NoSuchEntity) when calling the GetUser operation" in res.stderr
