"""GetAccountSummary over HTTP: every model key, live counts, quotas, root-user flags."""

import base64
import datetime
import json
import secrets
import time

import botocore.session
import pyotp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine, select, update

from iamd.store.schema.core import accounts

KEYS = botocore.session.get_session().get_service_model("iam").shape_for("summaryKeyType").enum
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]})
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


def db(server):
    if server.database_url:
        return create_engine(server.database_url.replace("postgresql://", "postgresql+psycopg://"))
    return create_engine(f"sqlite:///{server.data_dir / 'iamd.db'}", connect_args={"timeout": 30})


def certificate(cn: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return cert, cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def saml_metadata(entity: str) -> str:
    cert, _, _ = certificate(entity)
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
    totp, step = pyotp.TOTP(used["Base32StringSeed"].decode()), int(time.time() // 30)
    iam.enable_mfa_device(UserName=user, SerialNumber=used["SerialNumber"],
                          AuthenticationCode1=totp.generate_otp(step - 1), AuthenticationCode2=totp.generate_otp(step))
    _, body, key = certificate(name("srv"))
    iam.upload_server_certificate(ServerCertificateName=name("sc"), CertificateBody=body, PrivateKey=key)
    saml = iam.create_saml_provider(Name=name("saml"), SAMLMetadataDocument=saml_metadata(name("idp")))
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
    _, body, _ = certificate(f"root-{secrets.token_hex(4)}")
    cert = iam.upload_signing_certificate(CertificateBody=body)["Certificate"]  # root: no UserName
    try:
        assert summary(iam)["AccountSigningCertificatesPresent"] == 1
    finally:
        iam.delete_signing_certificate(CertificateId=cert["CertificateId"])
    assert summary(iam)["AccountSigningCertificatesPresent"] == 0


def test_quota_overrides_show(iam, server):
    engine = db(server)
    where = accounts.c.account_id == server.account_id
    with engine.begin() as conn:
        saved = conn.execute(select(accounts.c.settings).where(where)).scalar()
        settings = json.loads(saved or "{}")
        settings["quotas"] = {**settings.get("quotas", {}), "RolesQuota": 5000, "GlobalEndpointTokenVersion": 2}
        conn.execute(update(accounts).where(where).values(settings=json.dumps(settings)))
    try:
        got = summary(iam)
        assert got["RolesQuota"] == 5000 and got["GlobalEndpointTokenVersion"] == 2
        assert got["UsersQuota"] == 5000 and len(got) == 34
    finally:
        with engine.begin() as conn:
            conn.execute(update(accounts).where(where).values(settings=saved))
        engine.dispose()
