"""mfa_devices.drift: the clock offset ResyncMFADevice measures, kept for later codes."""

from sqlalchemy import inspect, text

VERSION = 30


def upgrade(conn) -> None:
    # m0002 creates tables from the current schema, so a fresh database already has it.
    if "drift" not in {c["name"] for c in inspect(conn).get_columns("mfa_devices")}:
        conn.execute(text("ALTER TABLE mfa_devices ADD COLUMN drift INTEGER"))
