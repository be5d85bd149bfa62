"""The access advisor's tables: its report jobs (GenerateServiceLastAccessedDetails), one
row per job, IN_PROGRESS until its generator writes the report (JSON) or the reason it
failed; and the last authenticated call of each user or role to each action, kept by the
audit trail as it records calls (server/audit.py), for AWS's tracking period."""

from sqlalchemy import Column, Float, Index, PrimaryKeyConstraint, String, Table, Text

from . import metadata

access_advisor_jobs = Table(
    "access_advisor_jobs", metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("owner_arn", String(2048), nullable=False),  # the caller that generated it: only it may read it
    Column("entity_arn", String(2048), nullable=False),
    Column("entity_kind", String(8), nullable=False),  # user, group, role, policy
    Column("entity_id", String(32), nullable=False),
    Column("granularity", String(16), nullable=False),  # SERVICE_LEVEL, ACTION_LEVEL
    Column("status", String(16), nullable=False),  # IN_PROGRESS, COMPLETED, FAILED
    Column("created_at", Float, nullable=False),
    Column("completed_at", Float),
    Column("report", Text),  # COMPLETED: services and entities as JSON
    Column("error_code", String(128)),
    Column("error_message", Text),
)
Index("ix_access_advisor_jobs_created", access_advisor_jobs.c.created_at)

access_last_used = Table(
    "access_last_used", metadata,
    Column("account_id", String(12), nullable=False),  # the entity's account
    Column("entity_arn", String(2048), nullable=False),  # a user, or a role (for its sessions)
    Column("action", String(128), nullable=False),  # the operation: GetUser, AssumeRole
    Column("last_at", Float, nullable=False),
    Column("region", String(32)),
    # an entity's actions are one walk of the key
    PrimaryKeyConstraint("account_id", "entity_arn", "action", name="pk_access_last_used"),
)
Index("ix_access_last_used_time", access_last_used.c.last_at)
