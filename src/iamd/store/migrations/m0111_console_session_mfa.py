"""console_sessions.mfa_at: whether (when) a console session's sign-in used MFA."""

from sqlalchemy import inspect, text

VERSION = 111


def upgrade(conn) -> None:
    # m0002 creates tables from the current schema, so a fresh database already has it.
    if "mfa_at" not in {c["name"] for c in inspect(conn).get_columns("console_sessions")}:
        conn.execute(text("ALTER TABLE console_sessions ADD COLUMN mfa_at FLOAT"))
