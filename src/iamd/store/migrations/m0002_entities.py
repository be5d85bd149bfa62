"""Groups, roles, instance profiles, policies, credentials, providers, reports."""

from ..schema import load_all

VERSION = 2
TABLES = (
    "groups", "group_members", "roles", "slr_deletions", "instance_profiles",
    "instance_profile_roles", "managed_policies", "policy_versions", "policy_attachments",
    "inline_policies", "login_profiles", "password_history", "password_policies",
    "mfa_devices", "server_certificates", "signing_certificates", "ssh_public_keys",
    "service_credentials", "saml_providers", "oidc_providers", "credential_reports",
)


def upgrade(conn) -> None:
    meta = load_all()
    for name in TABLES:
        meta.tables[name].create(conn, checkfirst=True)
