"""Groups, roles, instance profiles and how users, roles and profiles relate to them."""

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from . import metadata

groups = Table(
    "groups", metadata,
    Column("group_id", String(32), primary_key=True),  # AGPA…
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_groups_name"),
)
# GetAccountAuthorizationDetails pages each kind in (created_at, id) order (m0062).
Index("ix_groups_created", groups.c.account_id, groups.c.created_at, groups.c.group_id)

group_members = Table(
    "group_members", metadata,
    Column("group_id", String(32), ForeignKey("groups.group_id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Column("added_at", Float, nullable=False),
)
# A user's groups, covered (no table row read per membership): m0120.
Index("ix_group_members_user_group", group_members.c.user_id, group_members.c.group_id)

roles = Table(
    "roles", metadata,
    Column("role_id", String(32), primary_key=True),  # AROA…
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("assume_role_policy", Text, nullable=False),  # as the author wrote it
    Column("description", String(1000)),
    Column("max_session_duration", Integer, nullable=False, default=3600),
    Column("permissions_boundary", String(2048)),
    Column("last_used_at", Float),
    Column("last_used_region", String(64)),
    Column("service_linked", Boolean, nullable=False, default=False),
    UniqueConstraint("account_id", "name_lower", name="uq_roles_name"),
)
Index("ix_roles_created", roles.c.account_id, roles.c.created_at, roles.c.role_id)
Index("ix_roles_boundary", roles.c.account_id, roles.c.permissions_boundary)

# DeleteServiceLinkedRole is asynchronous in AWS: a task id and its status.
slr_deletions = Table(
    "slr_deletions", metadata,
    Column("task_id", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("role_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # SUCCEEDED, IN_PROGRESS, FAILED, NOT_STARTED
    Column("reason", Text),
    Column("created_at", Float, nullable=False),
)

instance_profiles = Table(
    "instance_profiles", metadata,
    Column("profile_id", String(32), primary_key=True),  # AIPA…
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_instance_profiles_name"),
)

instance_profile_roles = Table(
    "instance_profile_roles", metadata,
    Column("profile_id", String(32), ForeignKey("instance_profiles.profile_id", ondelete="CASCADE"),
           primary_key=True),  # one role per profile (AWS quota 1)
    Column("role_id", String(32), ForeignKey("roles.role_id", ondelete="CASCADE"), nullable=False),
)
Index("ix_instance_profile_roles_role", instance_profile_roles.c.role_id)
