"""audit_events: the audit trail (one CloudTrail record per API call)."""

from ..schema import load_all

VERSION = 71


def upgrade(conn) -> None:
    load_all().tables["audit_events"].create(conn, checkfirst=True)
