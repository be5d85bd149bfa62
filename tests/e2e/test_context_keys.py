"""GetContextKeysForCustomPolicy / GetContextKeysForPrincipalPolicy over HTTP."""


import pytest
from botocore.exceptions import ClientError

from helpers import code, doc


S3_MFA = {"Effect": "Allow", "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::home/${aws:username}/*",
          "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                        "StringEquals": {"s3:prefix": ["a", "b"], "AWS:MultiFactorAuthPresent": "x"}}}
IP = {"Effect": "Deny", "Action": "*", "Resource": "*",
      "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}


def test_custom_policy_keys_in_order_without_case_repeats(iam):
    got = iam.get_context_keys_for_custom_policy(PolicyInputList=[doc(S3_MFA), doc(IP)])["ContextKeyNames"]
    assert got == ["aws:MultiFactorAuthPresent", "s3:prefix", "aws:username", "aws:SourceIp"]


def test_custom_policy_without_conditions_has_no_keys(iam):
    got = iam.get_context_keys_for_custom_policy(PolicyInputList=[doc(
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"})])
    assert got["ContextKeyNames"] == []


def test_malformed_custom_policy_is_invalid_input(iam):
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_custom_policy(PolicyInputList=["{not json"])
    assert code(e) == "InvalidInput"


def test_principal_policy_gathers_user_group_and_managed_policies(iam, server, name):
    user, group = name("ck"), name("ckg")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="mine", PolicyDocument=doc(S3_MFA))
    arn = iam.create_policy(PolicyName=name("ckp"), PolicyDocument=doc(IP))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    user_arn = f"arn:aws:iam::{server.account_id}:user/{user}"
    got = iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn)["ContextKeyNames"]
    assert set(got) == {"aws:MultiFactorAuthPresent", "s3:prefix", "aws:username", "aws:SourceIp"}
    extra = doc({"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
                 "Condition": {"StringEquals": {"ec2:Region": "eu-west-1"}}})
    got = iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn, PolicyInputList=[extra])
    assert "ec2:Region" in got["ContextKeyNames"]
    group_arn = f"arn:aws:iam::{server.account_id}:group/{group}"
    assert iam.get_context_keys_for_principal_policy(PolicySourceArn=group_arn)["ContextKeyNames"] == [
        "aws:SourceIp"]


def test_principal_policy_unknown_entity(iam, server, name):
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{server.account_id}:role/{name('nope')}")
    assert code(e) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.get_context_keys_for_principal_policy(PolicySourceArn="arn:aws:iam::000000000000:user/x")
    assert code(e) == "InvalidInput"
