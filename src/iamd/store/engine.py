"""Open the database, run migrations, hand out one transaction per API call.

SQLite runs in WAL mode; write transactions start with BEGIN IMMEDIATE so that
concurrent writers (several workers) queue on the database lock instead of failing to
upgrade a read lock. PostgreSQL runs at READ COMMITTED; repositories that check a quota
lock the owning row first (`SELECT … FOR UPDATE`), and unique indexes settle races.
"""

import threading
import time
from pathlib import Path

from sqlalchemy import bindparam, create_engine, event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from ..protocol.errors import AWSError
from . import migrations
from .fastq import Query
from .schema.core import accounts


_LOCK_ACCOUNT = Query(select(accounts.c.account_id)
                      .where(accounts.c.account_id == bindparam("account_id")).with_for_update())


class Tx:
    """One transaction: the connection and what repositories need beside it."""

    __slots__ = ("conn", "dialect", "after_commit", "raw")

    def __init__(self, conn: Connection, dialect: str):
        self.conn = conn
        self.dialect = dialect
        self.after_commit: list = []
        self.raw = conn.connection.driver_connection  # for store.fastq.Query

    def execute(self, stmt, params=None):
        return self.conn.execute(stmt, params) if params is not None else self.conn.execute(stmt)

    def lock_account(self, account_id: str) -> None:
        """Serialize account-wide quota checks by locking the account's row (PostgreSQL);
        SQLite write transactions already run one at a time."""
        if self.dialect == "postgresql":
            _LOCK_ACCOUNT.run(self, account_id=account_id)

    def for_update(self, select):
        """Lock the selected rows until commit (a no-op on SQLite, whose writers serialize)."""
        return select.with_for_update() if self.dialect == "postgresql" else select


def _sqlite_url(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'iamd.db'}"


class Store:
    def __init__(self, url: str | None, data_dir: Path):
        self.url = url or _sqlite_url(Path(data_dir))
        if self.url.startswith("postgresql://"):
            self.url = "postgresql+psycopg://" + self.url[len("postgresql://"):]
        if self.url.startswith("sqlite"):
            self.engine = self._sqlite_engine(self.url)
        else:
            self.engine = create_engine(self.url, pool_size=8, max_overflow=8, pool_pre_ping=True,
                                        isolation_level="READ COMMITTED")
        self.dialect = self.engine.dialect.name
        self._local = threading.local()
        self.group_commit = None  # store.group_commit.enable: the server fsyncs commits in groups

    @staticmethod
    def _sqlite_engine(url: str) -> Engine:
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=4, max_overflow=8)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives power loss
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if conn.info.get("raw_begun"):
                return  # Store.transaction began it on the driver connection
            mode = conn.info.get("begin_mode", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def _connection(self) -> Connection:
        """This thread's connection, held across transactions: a pool checkout per request
        costs more than a short read."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._local.conn = self.engine.connect()
        return conn

    def _discard(self, conn: Connection) -> None:
        self._local.conn = None
        try:
            conn.invalidate()
        except Exception:  # noqa: BLE001 - already broken
            pass

    def migrate(self) -> int:
        return migrations.upgrade(self)

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return migrations.current_version(conn)

    def transaction(self, write: bool = True) -> "_Transaction":
        """A context manager yielding a Tx; commit on success, roll back on any exception."""
        return _Transaction(self, write)

    def run(self, fn, write: bool = True, retries: int = 3):
        """Run fn(tx) in a transaction, retrying when the database reports a transient lock."""
        for attempt in range(retries):
            try:
                with _Transaction(self, write) as tx:
                    return fn(tx)
            except (OperationalError, self.engine.dialect.dbapi.OperationalError) as exc:
                if attempt == retries - 1 or not _transient(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))

    def reset(self) -> None:
        reset_all(self)

    def dispose(self) -> None:
        self.engine.dispose()


class _Transaction:
    """One transaction on this thread's held connection (`Store.transaction`).

    The transaction is driven on the driver connection: SQLAlchemy's begin/commit machinery
    costs more than a short read, and so does a generator-based context manager. Core
    statements run inside it all the same. A driver OperationalError/InterfaceError on the
    way (the server restarted) discards the connection: it is never reused.
    """

    __slots__ = ("store", "write", "conn", "raw", "tx", "changes")

    def __init__(self, store: Store, write: bool):
        self.store, self.write = store, write

    def __enter__(self) -> Tx:
        store = self.store
        conn = self.conn = store._connection()
        raw = self.raw = conn.connection.driver_connection
        dbapi = store.engine.dialect.dbapi
        try:
            if store.dialect == "sqlite":
                raw.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
                self.changes = raw.total_changes  # for group commit: did this transaction write?
            conn.info["raw_begun"] = True
            tx = self.tx = Tx(conn, store.dialect)
        except BaseException as exc:
            if isinstance(exc, (dbapi.OperationalError, dbapi.InterfaceError)):
                store._discard(conn)
            _release(conn)
            raise
        return tx

    def __exit__(self, exc_type, exc, tb) -> bool:
        store, conn = self.store, self.conn
        dbapi = store.engine.dialect.dbapi
        try:
            if exc_type is None:
                try:
                    self.raw.commit()
                except (IntegrityError, dbapi.IntegrityError) as err:
                    raise AWSError("ConcurrentModification",
                                   "The request was rejected because it conflicts with another "
                                   "change made at the same time.") from err
                if store.group_commit is not None and self.raw.total_changes != self.changes:
                    store.group_commit.note_commit()
                for fn in self.tx.after_commit:
                    fn()
            else:
                self.raw.rollback()
                if issubclass(exc_type, (dbapi.OperationalError, dbapi.InterfaceError)):
                    store._discard(conn)
        except (dbapi.OperationalError, dbapi.InterfaceError):
            store._discard(conn)
            raise
        finally:
            _release(conn)
        return False


def _release(conn: Connection) -> None:
    conn.info.pop("raw_begun", None)
    if conn.in_transaction():
        conn.rollback()  # SQLAlchemy's own bookkeeping; the driver transaction is over


def _transient(exc: Exception) -> bool:
    """A lock the database gave up on (SQLite) or a deadlock/serialization victim
    (PostgreSQL): the whole transaction may simply run again."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) in ("40001", "40P01") or "locked" in str(exc).lower()


def reset_all(store: Store) -> None:
    """Wipe every entity, keeping accounts and their root keys (moto's /moto-api/reset)."""
    from sqlalchemy import delete, select

    from .schema import load_all
    from .schema.core import access_keys

    meta = load_all()
    with store.transaction() as tx:
        for table in reversed(meta.sorted_tables):
            if table.name in ("accounts", "schema_migrations"):
                continue
            stmt = delete(table)
            if table is access_keys:
                stmt = stmt.where(access_keys.c.user_id.is_not(None))
            if table.name in ("managed_policies", "policy_versions"):
                # AWS managed policies (account_id NULL) are not account state: keep them.
                mp = meta.tables["managed_policies"]
                local = select(mp.c.policy_id).where(mp.c.account_id.is_not(None))
                stmt = stmt.where(table.c.policy_id.in_(local))
            tx.execute(stmt)
