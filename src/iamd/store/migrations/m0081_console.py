"""The web console's tables: sign-in sessions and the root password."""

from ..schema import load_all

VERSION = 81


def upgrade(conn) -> None:
    meta = load_all()
    for name in ("console_sessions", "root_passwords"):
        meta.tables[name].create(conn, checkfirst=True)
