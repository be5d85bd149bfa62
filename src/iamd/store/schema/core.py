"""Accounts, users, access keys and the tags every taggable entity shares."""

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from . import metadata

accounts = Table(
    "accounts", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("alias", String(63), unique=True),
    Column("settings", Text, nullable=False, default="{}"),  # JSON: quota overrides and such
    # Bumped by every write that changes a principal's policies (m0042).
    Column("policy_generation", Integer, nullable=False, default=0, server_default="0"),
)

users = Table(
    "users", metadata,
    Column("user_id", String(32), primary_key=True),  # AIDA…
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("permissions_boundary", String(2048)),
    Column("password_last_used", Float),
    UniqueConstraint("account_id", "name_lower", name="uq_users_name"),
)
Index("ix_users_path", users.c.account_id, users.c.path)
# GetAccountAuthorizationDetails pages each kind in (created_at, id) order (m0062).
Index("ix_users_created", users.c.account_id, users.c.created_at, users.c.user_id)
# PermissionsBoundaryUsageCount and "is this policy in use" look users up by boundary (m0062).
Index("ix_users_boundary", users.c.account_id, users.c.permissions_boundary)

access_keys = Table(
    "access_keys", metadata,
    Column("access_key_id", String(32), primary_key=True),  # AKIA…
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id")),  # NULL: the account's root
    Column("secret", Text, nullable=False),  # encrypted with the master key
    Column("status", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    Column("last_used_region", String(64)),
    Column("last_used_service", String(64)),
)
Index("ix_access_keys_user", access_keys.c.account_id, access_keys.c.user_id)

# Tags of every taggable entity. `key_norm` is the key case-folded (`casefold.fold`, never
# longer than the key) where AWS treats keys case-insensitively (users, roles) and the key
# itself elsewhere; it carries uniqueness.
tags = Table(
    "tags", metadata,
    Column("resource_type", String(32), primary_key=True),
    Column("resource_id", String(2048), primary_key=True),
    Column("key_norm", String(128), primary_key=True),
    Column("key", String(128), nullable=False),
    Column("value", String(256), nullable=False),
    Column("account_id", String(12), nullable=False),
)

# How many users, groups, roles, customer managed policies and instance profiles each
# account holds, kept by triggers (migration m0061) so that a quota check reads one row
# instead of counting thousands. `kind` is the table's name.
entity_counts = Table(
    "entity_counts", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("n", Integer, nullable=False),
)
