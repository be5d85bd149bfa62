"""Managed policies (customer and AWS), their versions, attachments, inline policies.

AWS managed policies have account_id NULL and are shared by every account. Attachments
and inline policies point at an entity by (entity_type, entity_id) with entity_type in
user/group/role and entity_id the AIDA/AGPA/AROA id, so renames need no rewrite.
"""

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, true

from . import metadata

managed_policies = Table(
    "managed_policies", metadata,
    Column("policy_id", String(32), primary_key=True),  # ANPA… (ANPA too for AWS ones)
    Column("account_id", String(12)),  # NULL: AWS managed
    Column("arn", String(2048), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("description", String(1000)),
    Column("default_version", String(16), nullable=False),  # "v3"
    Column("next_version", Integer, nullable=False),  # versions are never reused
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # IsAttachable: false for a few deprecated AWS managed policies (added in m0010).
    Column("attachable", Boolean, nullable=False, default=True, server_default=true()),
    UniqueConstraint("account_id", "name_lower", name="uq_managed_policies_name"),
)
Index("ix_managed_policies_account_path", managed_policies.c.account_id, managed_policies.c.path)
# ListPolicies walks policies in (name_lower, policy_id) order (m0010).
Index("ix_managed_policies_name", managed_policies.c.name_lower, managed_policies.c.policy_id)
# GetAccountAuthorizationDetails pages policies in (created_at, policy_id) order (m0062).
Index("ix_managed_policies_created", managed_policies.c.account_id, managed_policies.c.created_at,
      managed_policies.c.policy_id)

policy_versions = Table(
    "policy_versions", metadata,
    Column("policy_id", String(32), ForeignKey("managed_policies.policy_id", ondelete="CASCADE"),
           primary_key=True),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),  # as the author wrote it
    Column("created_at", Float, nullable=False),
)

# Attachments of managed policies, and permissions boundaries kept beside them so that
# AttachmentCount and PermissionsBoundaryUsageCount are counts of one indexed table.
policy_attachments = Table(
    "policy_attachments", metadata,
    Column("policy_id", String(32), ForeignKey("managed_policies.policy_id"), primary_key=True),
    Column("entity_type", String(8), primary_key=True),  # user, group, role
    Column("entity_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("attached_at", Float, nullable=False),
)
# An entity's attached policies, covered (no table row read per attachment): m0120.
Index("ix_policy_attachments_entity_policy", policy_attachments.c.entity_type, policy_attachments.c.entity_id,
      policy_attachments.c.policy_id)

inline_policies = Table(
    "inline_policies", metadata,
    Column("entity_type", String(8), primary_key=True),  # user, group, role
    Column("entity_id", String(32), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("document", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

