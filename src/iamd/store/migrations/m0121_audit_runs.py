"""audit_events.last_time and .repeats: a run of like reads kept in one row (store/audit.py)."""

from sqlalchemy import inspect, text

VERSION = 121


def upgrade(conn) -> None:
    # m0002 creates tables from the current schema, so a fresh database already has them.
    have = {c["name"] for c in inspect(conn).get_columns("audit_events")}
    if "last_time" not in have:
        conn.execute(text("ALTER TABLE audit_events ADD COLUMN last_time FLOAT"))
    if "repeats" not in have:
        conn.execute(text("ALTER TABLE audit_events ADD COLUMN repeats TEXT"))
