"""Accounts, users, access keys, tags."""

from ..schema import load_all

VERSION = 1
TABLES = ("accounts", "users", "access_keys", "tags")


def upgrade(conn) -> None:
    meta = load_all()
    for name in TABLES:
        meta.tables[name].create(conn, checkfirst=True)
