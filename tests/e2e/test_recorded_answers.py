"""Response shapes and error answers as AWS gives them (issue 10, items 12 and 13).

Each expectation here was recorded against AWS by outside test suites; where it differs
from ../shared/reference/iam-behaviour.md, the recording wins.
"""

import secrets

import pytest
from botocore.exceptions import ClientError
from helpers import (TRUST, code_status_message, key_pem, make_certificate, new_ec_key, policy_doc,
                     saml_metadata)

PATH_INVALID = ("The specified value for path is invalid. It must begin and end with / and contain "
                "only alphanumeric characters and/or / characters.")
THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def refusal(call, **kw) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call(**kw)
    return code_status_message(e)


def oidc_url() -> str:
    return f"https://oidc-{secrets.token_hex(4)}.example.com"


# -- 12. responses ----------------------------------------------------------------------------

def test_get_of_untagged_entities_has_an_empty_tag_list(iam, name):
    policy = iam.create_policy(PolicyName=name("rt"), PolicyDocument=policy_doc())["Policy"]
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["Tags"] == []
    profile = name("rt")
    iam.create_instance_profile(InstanceProfileName=profile)
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Tags"] == []
    cert, key = name("rt"), new_ec_key()
    iam.upload_server_certificate(ServerCertificateName=cert, CertificateBody=make_certificate(key)[0],
                                  PrivateKey=key_pem(key))
    assert iam.get_server_certificate(ServerCertificateName=cert)["ServerCertificate"]["Tags"] == []
    saml = iam.create_saml_provider(Name=name("rt"), SAMLMetadataDocument=saml_metadata())
    assert iam.get_saml_provider(SAMLProviderArn=saml["SAMLProviderArn"])["Tags"] == []
    oidc = iam.create_open_id_connect_provider(Url=oidc_url(), ThumbprintList=[THUMB])
    assert iam.get_open_id_connect_provider(
        OpenIDConnectProviderArn=oidc["OpenIDConnectProviderArn"])["Tags"] == []


def test_users_and_roles_keep_omitting_an_empty_tag_list(iam, name):
    user, role = name("rt"), name("rt")
    iam.create_user(UserName=user)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    assert "Tags" not in iam.get_user(UserName=user)["User"]
    assert "Tags" not in iam.get_role(RoleName=role)["Role"]


def test_create_policy_leaves_the_description_out(iam, name):
    created = iam.create_policy(PolicyName=name("rt"), PolicyDocument=policy_doc(),
                                Description="reads objects")["Policy"]
    assert "Description" not in created
    assert iam.get_policy(PolicyArn=created["Arn"])["Policy"]["Description"] == "reads objects"


def test_list_users_leaves_the_permissions_boundary_out(iam, name):
    boundary = iam.create_policy(PolicyName=name("rt"), PolicyDocument=policy_doc())["Policy"]["Arn"]
    path = f"/{name('rt')}/"
    user = name("rt")
    iam.create_user(UserName=user, Path=path, PermissionsBoundary=boundary)
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    [listed] = iam.list_users(PathPrefix=path)["Users"]
    assert listed["UserName"] == user and "PermissionsBoundary" not in listed


def test_the_default_password_policy_has_no_hard_expiry(own_server):
    iam = own_server.client("iam")
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False}
    iam.update_account_password_policy(HardExpiry=False)  # set, it is shown
    assert iam.get_account_password_policy()["PasswordPolicy"]["HardExpiry"] is False


# -- 13. errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("operation", ["add_user_to_group", "remove_user_from_group"])
def test_membership_with_user_and_group_missing_reports_the_user(iam, name, operation):
    user = name("rt")
    assert refusal(getattr(iam, operation), UserName=user, GroupName=name("rt")) == (
        "NoSuchEntity", 404, f"The user with name {user} cannot be found.")


def test_a_list_constraint_does_not_echo_the_list(server, name):
    iam = server.client("iam", validate=False)
    tags = [{"Key": f"key{i}", "Value": f"value{i}"} for i in range(51)]
    want = ("ValidationError", 400, "1 validation error detected: Value at 'tags' failed to satisfy "
                                    "constraint: Member must have length less than or equal to 50")
    assert refusal(iam.create_user, UserName=name("rt"), Tags=tags) == want
    user = name("rt")
    iam.create_user(UserName=user)
    assert refusal(iam.tag_user, UserName=user, Tags=tags) == want


def test_an_invalid_path_has_its_own_message(iam, name):
    want = ("ValidationError", 400, PATH_INVALID)
    assert refusal(iam.create_user, UserName=name("rt"), Path="nope") == want
    assert refusal(iam.create_group, GroupName=name("rt"), Path="/no spaces/") == want
    assert refusal(iam.create_role, RoleName=name("rt"), Path="a/", AssumeRolePolicyDocument=TRUST) == want
    assert refusal(iam.create_virtual_mfa_device, VirtualMFADeviceName=name("rt"), Path="test") == want


def test_a_duplicate_virtual_mfa_device(iam, name):
    device = name("rt")
    iam.create_virtual_mfa_device(VirtualMFADeviceName=device)
    assert refusal(iam.create_virtual_mfa_device, VirtualMFADeviceName=device) == (
        "EntityAlreadyExists", 409, "MFA device already exists.")


@pytest.mark.parametrize("operation,kw", [
    ("list_users", {}), ("list_policies", {}), ("list_roles", {}),
    ("get_account_authorization_details", {}),
])
def test_an_invalid_marker_is_a_validation_error(iam, operation, kw):
    assert refusal(getattr(iam, operation), Marker="not-a-marker", **kw) == (
        "ValidationError", 400, "Invalid Marker.")


def test_a_missing_access_key_message_ends_with_a_period(iam, user):
    n, key_id = user(), "AKIA" + secrets.token_hex(8).upper()
    want = ("NoSuchEntity", 404, f"The Access Key with id {key_id} cannot be found.")
    assert refusal(iam.delete_access_key, UserName=n, AccessKeyId=key_id) == want
    assert refusal(iam.update_access_key, UserName=n, AccessKeyId=key_id, Status="Inactive") == want


def test_oidc_tag_limit_and_url_without_scheme(iam):
    arn = iam.create_open_id_connect_provider(
        Url=oidc_url(), ThumbprintList=[THUMB],
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])["OpenIDConnectProviderArn"]
    assert refusal(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                   Tags=[{"Key": "one-more", "Value": "v"}]) == (
        "LimitExceeded", 409, "The number of tags has reached the maximum limit.")
    assert refusal(iam.create_open_id_connect_provider, Url="oidc.example.com", ThumbprintList=[THUMB]) == (
        "ValidationError", 400, "Invalid Open ID Connect Provider URL")
