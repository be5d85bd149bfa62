"""Versioned schema migrations, applied in order at start under a database lock.

Each module `mNNNN_<name>.py` in this package has `VERSION = NNNN` and `upgrade(conn)`;
the `schema_migrations` table records what has been applied. Several processes starting
at once take a lock first (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so
exactly one of them applies each migration.
"""

import importlib
import pkgutil
import time

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, inspect, select, text

_meta = MetaData()
schema_migrations = Table(
    "schema_migrations", _meta,
    Column("version", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("applied_at", Float, nullable=False),
)

_LOCK_ID = 0x1A4D  # advisory lock key for PostgreSQL


def available() -> list:
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m"):
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    return sorted(mods, key=lambda m: m.VERSION)


def current_version(conn) -> int:
    if not inspect(conn).has_table("schema_migrations"):
        return 0
    return conn.execute(select(text("coalesce(max(version), 0)")).select_from(schema_migrations)).scalar()


def upgrade(store) -> int:
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            conn.info["begin_mode"] = "IMMEDIATE"
        with conn.begin():
            if store.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
            schema_migrations.create(conn, checkfirst=True)
            done = set(conn.execute(select(schema_migrations.c.version)).scalars())
            for mod in available():
                if mod.VERSION in done:
                    continue
                mod.upgrade(conn)
                conn.execute(schema_migrations.insert().values(
                    version=mod.VERSION, name=mod.__name__.rsplit(".", 1)[1], applied_at=time.time()))
        return current_version(conn)
