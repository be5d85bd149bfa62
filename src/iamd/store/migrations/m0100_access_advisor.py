"""The access advisor: its jobs, and the last call of each principal to each action."""

from ..schema import load_all

VERSION = 100


def upgrade(conn) -> None:
    meta = load_all()
    for name in ("access_advisor_jobs", "access_last_used"):
        meta.tables[name].create(conn, checkfirst=True)
