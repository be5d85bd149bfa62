"""The access advisor's report jobs (GenerateServiceLastAccessedDetails): one row per job,
IN_PROGRESS until its generator writes the report (JSON) or the reason it failed."""

from sqlalchemy import Column, Float, Index, String, Table, Text

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
