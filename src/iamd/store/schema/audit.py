"""The audit trail: one row per API call (or per run of like reads: store/audit.py), its
CloudTrail record as JSON beside the columns `iamd audit events` filters on. `delivered` marks rows already written to the delivery
directory (rows recorded while no directory is set are stored as delivered: they are
never delivered later); the partial index keeps the undelivered few cheap to find."""

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text, false

from . import metadata

audit_events = Table(
    "audit_events", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("event_time", Float, nullable=False),
    Column("event_name", String(128), nullable=False),
    Column("principal_arn", String(2048)),
    Column("user_name", String(128)),
    Column("error_code", String(128)),
    Column("read_only", Boolean, nullable=False),
    Column("delivered", Boolean, nullable=False, server_default=false()),
    Column("record", Text, nullable=False),
    # A run of like reads in one row (store/audit.py): the time of its last record, and
    # what makes each record (JSON); NULL for a row of one record.
    Column("last_time", Float),
    Column("repeats", Text),
)
Index("audit_events_time", audit_events.c.event_time)
Index("audit_events_undelivered", audit_events.c.seq, sqlite_where=audit_events.c.delivered == false(),
      postgresql_where=audit_events.c.delivered == false())
