"""Delegation requests, partners' policy templates, their notifications, and
Organizations access-report jobs (store/schema/delegation.py)."""

from ..schema import load_all

VERSION = 91
TABLES = ("policy_templates", "delegation_requests", "delegation_notifications",
          "organizations_access_reports")


def upgrade(conn) -> None:
    meta = load_all()
    for name in TABLES:
        meta.tables[name].create(conn, checkfirst=True)
