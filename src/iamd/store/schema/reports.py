"""The account's credential report: one row per account, replaced by each generation."""

from sqlalchemy import Column, Float, LargeBinary, String, Table

from . import metadata

credential_reports = Table(
    "credential_reports", metadata,
    Column("account_id", String(12), primary_key=True),
    Column("state", String(16), nullable=False),  # STARTED, INPROGRESS, COMPLETE
    Column("started_at", Float, nullable=False),
    Column("generated_at", Float),
    Column("content", LargeBinary),
)
