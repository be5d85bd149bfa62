"""Credentials hanging off users (and root): passwords, MFA devices, certificates, SSH
keys, service-specific credentials; and the account's password policy."""

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from . import metadata

login_profiles = Table(
    "login_profiles", metadata,
    Column("user_id", String(32), ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("created_at", Float, nullable=False),
    Column("password_changed_at", Float, nullable=False),
    Column("reset_required", Boolean, nullable=False, default=False),
)

# The last hashes of each user's passwords, for PasswordReusePrevention.
password_history = Table(
    "password_history", metadata,
    Column("user_id", String(32), ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Column("set_at", Float, primary_key=True),
    Column("password_hash", Text, nullable=False),
)

password_policies = Table(
    "password_policies", metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("minimum_length", Integer, nullable=False),
    Column("require_symbols", Boolean, nullable=False),
    Column("require_numbers", Boolean, nullable=False),
    Column("require_uppercase", Boolean, nullable=False),
    Column("require_lowercase", Boolean, nullable=False),
    Column("allow_users_to_change", Boolean, nullable=False),
    Column("max_age", Integer),  # days; NULL: passwords do not expire
    Column("reuse_prevention", Integer),
    Column("hard_expiry", Boolean),
)

mfa_devices = Table(
    "mfa_devices", metadata,
    Column("serial", String(256), primary_key=True),  # the device ARN for virtual devices
    Column("account_id", String(12), nullable=False),
    Column("name", String(226), nullable=False),
    Column("path", String(512), nullable=False),
    Column("seed", Text),  # encrypted Base32 seed
    Column("user_id", String(32), ForeignKey("users.user_id")),  # NULL: unassigned (or root if root_owned)
    Column("root_owned", Boolean, nullable=False, default=False),
    Column("enabled_at", Float),
    Column("created_at", Float, nullable=False),
    Column("last_counter", Integer),  # last accepted TOTP time step (no reuse)
    Column("drift", Integer),  # device clock minus ours, in TOTP steps (EnableMFADevice, ResyncMFADevice)
)
Index("ix_mfa_devices_user", mfa_devices.c.account_id, mfa_devices.c.user_id)

server_certificates = Table(
    "server_certificates", metadata,
    Column("certificate_id", String(32), primary_key=True),  # ASCA…
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("body", Text, nullable=False),
    Column("chain", Text),
    Column("private_key", Text, nullable=False),  # encrypted
    Column("uploaded_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_server_certificates_name"),
)

signing_certificates = Table(
    "signing_certificates", metadata,
    Column("certificate_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id")),  # NULL: root
    Column("body", Text, nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", Float, nullable=False),
)
Index("ix_signing_certificates_user", signing_certificates.c.account_id, signing_certificates.c.user_id)

ssh_public_keys = Table(
    "ssh_public_keys", metadata,
    Column("key_id", String(32), primary_key=True),  # APKA…
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", Float, nullable=False),
)
Index("ix_ssh_public_keys_user", ssh_public_keys.c.user_id)

service_credentials = Table(
    "service_credentials", metadata,
    Column("credential_id", String(128), primary_key=True),  # ACCA…
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    Column("service_name", String(128), nullable=False),
    Column("service_user_name", String(200), nullable=False),
    Column("password", Text, nullable=False),  # encrypted; shown once, returned on reset
    Column("status", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),
)
Index("ix_service_credentials_user", service_credentials.c.user_id)

