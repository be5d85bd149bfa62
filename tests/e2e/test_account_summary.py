"""GetAccountSummary over HTTP: every model key, live counts, quotas, root-user flags."""

import secrets

import botocore.session
import pytest
from helpers import (TRUST, certificate_pem, enable_mfa, key_pem, make_certificate, new_ec_key, policy_doc,
                     quota_override, saml_metadata)

KEYS = botocore.session.get_session().get_service_model("iam").shape_for("summaryKeyType").enum
POLICY = policy_doc("s3:Get*")
DEFAULT_QUOTAS = {
    "UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "InstanceProfilesQuota": 1000,
    "PoliciesQuota": 1500, "PolicySizeQuota": 6144, "PolicyVersionsInUseQuota": 10000,
    "VersionsPerPolicyQuota": 5, "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120,
    "RolePolicySizeQuota": 10240, "AssumeRolePolicySizeQuota": 2048, "GroupsPerUserQuota": 10,
    "AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10, "AccessKeysPerUserQuota": 2, "SigningCertificatesPerUserQuota": 2,
    "ServerCertificatesQuota": 20, "GlobalEndpointTokenVersion": 1,
}
COUNTS = ("Users", "Groups", "Roles", "InstanceProfiles", "Policies", "PolicyVersionsInUse",
          "ServerCertificates", "MFADevices", "MFADevicesInUse", "Providers")


def summary(iam) -> dict:
    return iam.get_account_summary()["SummaryMap"]


def test_every_model_key_with_default_quotas(iam):
    got = summary(iam)
    assert set(got) == set(KEYS) and len(got) == 34
    assert all(isinstance(v, int) for v in got.values())
    assert {k: got[k] for k in DEFAULT_QUOTAS} == DEFAULT_QUOTAS
    assert got["AccountAccessKeysPresent"] == 1  # the root key this call is signed with
    assert got["AccountPasswordPresent"] == 0 and got["AccountMFAEnabled"] == 0


def test_resource_summary_map(server):
    summary_map = server.resource().AccountSummary().summary_map
    assert set(summary_map) == set(KEYS) and summary_map["UsersQuota"] == 5000


def test_counts_follow_the_account(iam, name):
    before = summary(iam)
    user, group, role, profile = name("su"), name("sg"), name("sr"), name("sp")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName=profile)
    policy = iam.create_policy(PolicyName=name("pol"), PolicyDocument=POLICY)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=policy, PolicyDocument=POLICY, SetAsDefault=True)
    iam.attach_user_policy(UserName=user, PolicyArn=policy)
    iam.attach_group_policy(GroupName=group, PolicyArn=policy)
    iam.attach_role_policy(RoleName=role, PolicyArn=policy)
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=policy)  # not an attachment
    loose = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("m1"))["VirtualMFADevice"]
    used = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("m2"))["VirtualMFADevice"]
    enable_mfa(iam, user, used)
    key = new_ec_key()
    body, _ = make_certificate(key, name("srv"))
    iam.upload_server_certificate(ServerCertificateName=name("sc"), CertificateBody=body, PrivateKey=key_pem(key))
    saml = iam.create_saml_provider(Name=name("saml"), SAMLMetadataDocument=saml_metadata(
        entity_id=f"https://{name('idp')}.example.com/saml"))
    oidc = iam.create_open_id_connect_provider(Url=f"https://{name('oidc')}.example.com",
                                               ClientIDList=["app"], ThumbprintList=["a" * 40])
    after = summary(iam)
    delta = {k: after[k] - before[k] for k in COUNTS}
    assert delta == {"Users": 1, "Groups": 1, "Roles": 1, "InstanceProfiles": 1, "Policies": 1,
                     "PolicyVersionsInUse": 3, "ServerCertificates": 1, "MFADevices": 2,
                     "MFADevicesInUse": 1, "Providers": 2}
    iam.delete_saml_provider(SAMLProviderArn=saml["SAMLProviderArn"])
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=oidc["OpenIDConnectProviderArn"])
    iam.detach_role_policy(RoleName=role, PolicyArn=policy)
    iam.delete_virtual_mfa_device(SerialNumber=loose["SerialNumber"])
    final = summary(iam)
    assert final["Providers"] == before["Providers"]
    assert final["PolicyVersionsInUse"] == after["PolicyVersionsInUse"] - 1
    assert final["MFADevices"] == after["MFADevices"] - 1


def test_aws_managed_policies_are_not_counted(iam, name):
    aws = iam.list_policies(Scope="AWS", MaxItems=1)["Policies"]
    if not aws:
        pytest.skip("no AWS managed policies loaded in this store")
    before = summary(iam)
    group = name("ag")
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=aws[0]["Arn"])
    after = summary(iam)
    assert after["Policies"] == before["Policies"]
    assert after["PolicyVersionsInUse"] == before["PolicyVersionsInUse"] + 1
    iam.detach_group_policy(GroupName=group, PolicyArn=aws[0]["Arn"])


def test_root_signing_certificate_flag(iam):
    assert summary(iam)["AccountSigningCertificatesPresent"] == 0
    body = certificate_pem(cn=f"root-{secrets.token_hex(4)}")
    cert = iam.upload_signing_certificate(CertificateBody=body)["Certificate"]  # root: no UserName
    try:
        assert summary(iam)["AccountSigningCertificatesPresent"] == 1
    finally:
        iam.delete_signing_certificate(CertificateId=cert["CertificateId"])
    assert summary(iam)["AccountSigningCertificatesPresent"] == 0


def test_quota_overrides_show(iam, server):
    with quota_override(server, RolesQuota=5000, GlobalEndpointTokenVersion=2):
        got = summary(iam)
        assert got["RolesQuota"] == 5000 and got["GlobalEndpointTokenVersion"] == 2
        assert got["UsersQuota"] == 5000 and len(got) == 34
