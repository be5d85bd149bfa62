"""The access advisor: its jobs table, and the index on audit_events that finds one
principal's calls (databases created from the current schema already have it: m0071)."""

from ..schema import load_all

VERSION = 100


def upgrade(conn) -> None:
    meta = load_all()
    meta.tables["access_advisor_jobs"].create(conn, checkfirst=True)
    for index in meta.tables["audit_events"].indexes:
        if index.name == "audit_events_principal":
            index.create(conn, checkfirst=True)
