"""Temporary delegation (issue 11): partners' policy templates, delegation requests between
accounts hosted on one server, and the Organizations access-report jobs of accounts that
belong to no organization."""

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, Table, Text, UniqueConstraint

from . import metadata

# A partner's registered policy template (`iamd delegation-template`): AWS registers them
# during partner onboarding; the ARN is what CreateDelegationRequest names.
policy_templates = Table(
    "policy_templates", metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),  # the partner that may use it
    Column("document", Text, nullable=False),          # the template, with @{name} parameters
    Column("created_at", Float, nullable=False),
)

delegation_requests = Table(
    "delegation_requests", metadata,
    Column("request_id", String(128), primary_key=True),
    Column("requestor_account_id", String(12), nullable=False),
    Column("requestor_workflow_id", String(400), nullable=False),
    Column("target_account_id", String(12)),  # OwnerAccountId at creation (or the associating account)
    Column("owner_id", String(2048)),          # ARN of the identity that associated it
    Column("approver_id", String(2048)),       # ARN of the identity that accepted it
    Column("approver", Text),                  # that identity as JSON: what the delegated session acts as
    Column("state", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("request_message", Text),
    Column("permissions", Text, nullable=False),  # the request's Permissions, as JSON
    Column("policy", Text, nullable=False),       # the template rendered with its parameters
    Column("redirect_url", String(255)),
    Column("notification_channel", String(400), nullable=False),
    Column("session_duration", Integer, nullable=False),
    Column("only_send_by_owner", Boolean, nullable=False),
    Column("notes", Text),
    Column("rejection_reason", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("token_hash", String(64)),    # sha256 of the trade-in token, once sent
    Column("token_expires_at", Float),
    Column("token_used", Boolean, nullable=False, default=False),
    UniqueConstraint("requestor_account_id", "requestor_workflow_id", name="uq_delegation_workflow"),
)
Index("ix_delegation_target", delegation_requests.c.target_account_id, delegation_requests.c.created_at)
Index("ix_delegation_token", delegation_requests.c.token_hash)

# What SendDelegationToken delivered to a partner's notification channel (AWS publishes to
# SNS; iamd keeps the messages for `iamd delegation-outbox`).
delegation_notifications = Table(
    "delegation_notifications", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(400), nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("message", Text, nullable=False),  # JSON
    Column("created_at", Float, nullable=False),
)
Index("ix_delegation_notifications_channel", delegation_notifications.c.channel)

organizations_access_reports = Table(
    "organizations_access_reports", metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("entity_path", String(427), nullable=False),
    Column("created_at", Float, nullable=False),
)
