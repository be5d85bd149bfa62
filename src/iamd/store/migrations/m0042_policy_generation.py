"""accounts.policy_generation: bumped by every write that changes what a principal may do,
so that each worker's cache of compiled policies (store/principal_policies.py) notices."""

from sqlalchemy import inspect, text

VERSION = 42


def upgrade(conn) -> None:
    # m0002 creates tables from the current schema, so a fresh database already has it.
    if "policy_generation" not in {c["name"] for c in inspect(conn).get_columns("accounts")}:
        conn.execute(text("ALTER TABLE accounts ADD COLUMN policy_generation INTEGER NOT NULL DEFAULT 0"))
