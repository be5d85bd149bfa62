"""What the STS end-to-end modules share: roles to assume, clients of temporary credentials."""

import json

import boto3
from botocore.config import Config

from helpers import client_of


def trust_of(*principals: str, action="sts:AssumeRole", condition: dict | None = None, extra=()) -> str:
    """A trust policy letting the given AWS principals perform `action` (and `extra` actions)."""
    st = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": [action, *extra]}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def allow(*actions: str, resource="*", condition: dict | None = None) -> str:
    st = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def session_client(server, creds: dict, service: str = "iam", region: str = "us-east-1"):
    """A client signed with the temporary credentials of an STS answer."""
    return boto3.client(service, endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))


def make_role(iam, name: str, trust: str, *actions: str, **kw) -> str:
    """A role with the trust policy and (if any) an inline policy allowing `actions`; its ARN."""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **kw)["Role"]["Arn"]
    if actions:
        iam.put_role_policy(RoleName=name, PolicyName="can", PolicyDocument=allow(*actions))
    return arn


def user_with_sts(server, iam, user_name: str, *actions: str):
    """(user ARN, an STS client of the user) with the actions allowed."""
    arn = iam.create_user(UserName=user_name)["User"]["Arn"]
    return arn, client_of(server, iam, user_name, "sts", allow=actions or ("sts:AssumeRole",))
