"""The account password policy over HTTP: Update (full replacement), Get, Delete, the boto3
resource the seed drives, and AWS's ranges.

The policy is account-wide, so this module runs on a server of its own: changing it on
the shared server would reach into every other test that sets a password.
"""

import pytest
from botocore.exceptions import ClientError
from helpers import error


@pytest.fixture
def iam(own_server):
    client = own_server.client("iam")
    yield client
    try:
        client.delete_account_password_policy()
    except ClientError:
        pass


def test_no_policy_get_and_delete_answer_no_such_entity(iam, own_server):
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert error(e) == ("NoSuchEntity",
                        f"The Password Policy with domain name {own_server.account_id} cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.delete_account_password_policy()
    assert error(e) == ("NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.", 404)


def test_seed_resource_path_with_no_arguments(own_server, iam):
    res = own_server.resource()
    res.create_account_password_policy()
    policy = res.AccountPasswordPolicy()
    policy.load()
    assert policy.minimum_password_length == 6
    assert policy.require_symbols is False and policy.require_numbers is False
    assert policy.require_uppercase_characters is False and policy.require_lowercase_characters is False
    assert policy.allow_users_to_change_password is False
    # AWS leaves HardExpiry out of the default policy (recorded against AWS).
    assert policy.expire_passwords is False and policy.hard_expiry is None
    assert policy.max_password_age is None and policy.password_reuse_prevention is None
    policy.delete()
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert error(e)[0] == "NoSuchEntity"


def test_every_parameter_round_trips(iam):
    iam.update_account_password_policy(
        MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True,
        RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True, MaxPasswordAge=90, PasswordReusePrevention=24, HardExpiry=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 90,
        "PasswordReusePrevention": 24, "HardExpiry": True}


def test_update_replaces_the_whole_policy(iam):
    iam.update_account_password_policy(MinimumPasswordLength=20, RequireSymbols=True, MaxPasswordAge=30,
                                       PasswordReusePrevention=3, HardExpiry=True)
    iam.update_account_password_policy(RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False}


def test_range_edges_are_accepted(iam):
    iam.update_account_password_policy(MinimumPasswordLength=128, MaxPasswordAge=1095, PasswordReusePrevention=1)
    got = iam.get_account_password_policy()["PasswordPolicy"]
    assert (got["MinimumPasswordLength"], got["MaxPasswordAge"], got["PasswordReusePrevention"]) == (128, 1095, 1)
    iam.update_account_password_policy(MinimumPasswordLength=6, MaxPasswordAge=1)
    assert iam.get_account_password_policy()["PasswordPolicy"]["MaxPasswordAge"] == 1


@pytest.mark.parametrize("param,value,member,bound", [
    ("MinimumPasswordLength", 5, "minimumPasswordLength", "greater than or equal to 6"),
    ("MinimumPasswordLength", 129, "minimumPasswordLength", "less than or equal to 128"),
    ("MaxPasswordAge", 0, "maxPasswordAge", "greater than or equal to 1"),
    ("MaxPasswordAge", 1096, "maxPasswordAge", "less than or equal to 1095"),
    ("PasswordReusePrevention", 0, "passwordReusePrevention", "greater than or equal to 1"),
    ("PasswordReusePrevention", 25, "passwordReusePrevention", "less than or equal to 24"),
])
def test_out_of_range_is_a_validation_error(own_server, iam, param, value, member, bound):
    # boto3 refuses values below a minimum before sending; turn that off to reach the server.
    raw = own_server.client("iam", validate=False)
    with pytest.raises(ClientError) as e:
        raw.update_account_password_policy(**{param: value})
    assert error(e) == ("ValidationError", f"1 validation error detected: Value '{value}' at '{member}' "
                        f"failed to satisfy constraint: Member must have value {bound}", 400)
    with pytest.raises(ClientError):
        iam.get_account_password_policy()
