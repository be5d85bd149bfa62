"""Open the database, run migrations, hand out one transaction per API call.

SQLite runs in WAL mode; write transactions start with BEGIN IMMEDIATE so that
concurrent writers (several workers) queue on the database lock instead of failing to
upgrade a read lock. PostgreSQL runs at READ COMMITTED; repositories that check a quota
lock the owning row first (`SELECT … FOR UPDATE`), and unique indexes settle races.
"""

import functools
import math
import os
import socket
import threading
import time
from pathlib import Path

from sqlalchemy import bindparam, create_engine, event, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError

from ..protocol.errors import AWSError
from . import migrations
from .files import private_file
from .faults import DatabaseUnavailable, describe
from .fastq import Query
from .schema.core import accounts


_LOCK_ACCOUNT = Query(select(accounts.c.account_id)
                      .where(accounts.c.account_id == bindparam("account_id")).with_for_update())


class Tx:
    """One transaction: the connection and what repositories need beside it."""

    __slots__ = ("conn", "dialect", "after_commit", "raw")

    def __init__(self, conn: Connection, dialect: str, raw):
        self.conn = conn
        self.dialect = dialect
        self.after_commit: list = []
        self.raw = raw  # the driver connection, for store.fastq.Query

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
    db = private_file(data_dir / "iamd.db")  # 0600 before SQLite opens it: -wal and -shm follow
    return f"sqlite:///{db}"


CONNECT_TIMEOUT = 3  # seconds to open a PostgreSQL connection (libpq's minimum is 2)
WATCH_EVERY = 0.1  # how often the watchdog looks for transactions past their deadline
FILE_CHECK_EVERY = 0.005  # seconds a read may go without checking the SQLite file is still the store's
POOL_SIZE = 12  # connections kept open: one per request thread, and a few for the rest
# PostgreSQL counts every connection against max_connections (100 by default) shared by
# every process on the server: keep few idle, open more only for a burst (then closed).
PG_IDLE = 4


def _pg_connect_args(url: str, timeout: float | None) -> dict:
    """Bounds on every wait of a PostgreSQL connection, unless the URL sets its own: the
    connect, a dead peer (TCP keepalives; unacknowledged data), a statement, and a session
    left idle in a transaction. A peer that accepts but never answers is the watchdog's."""
    args = {"connect_timeout": CONNECT_TIMEOUT, "keepalives": 1, "keepalives_idle": 10,
            "keepalives_interval": 3, "keepalives_count": 3, "tcp_user_timeout": 10_000}
    given = make_url(url).query
    if timeout is not None:
        ms = int(timeout * 1000)
        ours = f"-c statement_timeout={ms} -c idle_in_transaction_session_timeout={max(ms * 4, 60_000)}"
        theirs = given.get("options")
        args["options"] = f"{theirs} {ours}" if isinstance(theirs, str) else ours
    return {k: v for k, v in args.items() if k not in given or k == "options"}


class Store:
    """The engine, a connection held per thread, and the bounds on every database wait.

    With a `timeout` (the server's), a transaction that has not finished within it (or by
    the deadline `set_deadline` gave this thread's request) is aborted by a watchdog thread:
    SQLite's connection is interrupted, PostgreSQL's socket shut down, so that a stalled
    database answers `faults.DatabaseUnavailable` in bounded time instead of holding the
    thread. Every database error that is a fault of the database becomes that exception.
    """

    def __init__(self, url: str | None, data_dir: Path, timeout: float | None = None):
        self.url = url or _sqlite_url(Path(data_dir))
        if self.url.startswith("postgresql://"):
            self.url = "postgresql+psycopg://" + self.url[len("postgresql://"):]
        self.timeout = timeout
        self.path: str | None = None  # the SQLite file
        self._file_id: tuple | None = None  # (device, inode) of the file the store opened
        self._file_checked = 0.0  # time.monotonic() of the last check that the file is still it
        if self.url.startswith("sqlite"):
            self.path = make_url(self.url).database
            self.engine = self._sqlite_engine(self.url, timeout)
        else:
            self.engine = create_engine(self.url, pool_size=PG_IDLE, max_overflow=POOL_SIZE + 8 - PG_IDLE,
                                        pool_timeout=timeout or 30, isolation_level="READ COMMITTED",
                                        hide_parameters=True,
                                        connect_args=_pg_connect_args(self.url, timeout))
            event.listen(self.engine, "do_connect", self._connect_within_deadline)
        self.dialect = self.engine.dialect.name
        # A connection back in the pool is begun SQLAlchemy's way again by its next user
        # (Store's own connections mark theirs "raw_begun": see `_connection`).
        event.listen(self.engine, "checkin", lambda _dbapi, record: record.info.pop("raw_begun", None))
        self._local = threading.local()
        self._used: set[int] = set()  # PostgreSQL connections that served a transaction before
        self._running: dict[int, _Transaction] = {}  # thread id -> its bounded transaction
        self._watchdog: threading.Thread | None = None
        self._watch_lock = threading.Lock()
        self.group_commit = None  # store.group_commit.enable: the server fsyncs commits in groups

    def _sqlite_engine(self, url: str, timeout: float | None) -> Engine:
        busy = timeout or 30  # a writer waits this long for the lock before giving up
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy},
                               pool_size=POOL_SIZE, max_overflow=8, pool_timeout=busy,
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives power loss
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
            cur.close()
            if self._file_id is None and self.path and self.path != ":memory:":
                self._file_id = self._sqlite_file_id()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if conn.info.get("raw_begun"):
                return  # Store.transaction began it on the driver connection
            mode = conn.info.get("begin_mode", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def _sqlite_file_id(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _check_sqlite_file(self) -> None:
        """The file the connections hold must still be the one at the path: a connection
        would go on reading and writing a deleted or replaced file, and lose every write.
        Every write transaction checks; a read, when no transaction has checked within
        FILE_CHECK_EVERY (a read of the file just replaced is one made that much earlier)."""
        at = time.monotonic()
        if self._sqlite_file_id() == self._file_id:
            self._file_checked = at
        else:
            raise DatabaseUnavailable(f"the database file {self.path} was deleted or replaced under the "
                                      f"running server", lasting=True)

    def _connection(self) -> Connection:
        """This thread's connection, held across transactions: a pool checkout per request
        costs more than a short read."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._local.conn = self.engine.connect()
            # Read once per connection: SQLAlchemy's property chains cost more than a BEGIN.
            self._local.raw = conn.connection.driver_connection
            conn.info["raw_begun"] = True  # transactions are begun on the driver (the "begin" listener)
        return conn

    def _discard(self, conn: Connection) -> None:
        """Never use this connection again (it failed, or was aborted mid-statement)."""
        self._local.conn = None
        try:
            conn.invalidate()
        except Exception:  # noqa: BLE001 - already broken
            pass

    # -- deadlines ----------------------------------------------------------------------

    def _connect_within_deadline(self, _dialect, _record, _cargs, cparams) -> None:
        """A connection opened for a request gives up by the request's deadline (psycopg's
        own floor is 2 s), not a whole CONNECT_TIMEOUT later."""
        at = getattr(self._local, "deadline", None)
        if at is not None and "connect_timeout" in cparams:
            left = at - time.monotonic()
            cparams["connect_timeout"] = max(2, min(int(cparams["connect_timeout"]), math.ceil(left)))

    def set_deadline(self, at: float | None) -> None:
        """Transactions on this thread end by `at` (time.monotonic()) until cleared with
        None: the request's deadline, which its wait for a thread has already used up."""
        self._local.deadline = at

    def _deadline(self) -> float | None:
        at = getattr(self._local, "deadline", None)
        if at is None and self.timeout is not None:
            at = time.monotonic() + self.timeout
        return at

    def _watch(self) -> None:
        """Abort every transaction past its deadline (runs for the life of the process)."""
        while True:
            time.sleep(WATCH_EVERY)
            now = time.monotonic()
            for ident, t in list(self._running.items()):
                if t.deadline <= now and not t.expired and t.raw is not None \
                        and self._running.get(ident) is t:  # still running, not the thread's next one
                    t.expired = True
                    self._abort(t.raw)

    def _start_watchdog(self) -> None:
        with self._watch_lock:
            if self._watchdog is None:
                self._watchdog = threading.Thread(target=self._watch, name="iamd-db-watchdog", daemon=True)
                self._watchdog.start()

    def _abort(self, raw) -> None:
        """Make the statement running on `raw` fail now (from another thread)."""
        try:
            if self.dialect == "sqlite":
                raw.interrupt()
            else:  # a stalled peer never answers a cancel request: cut the socket instead
                with socket.socket(fileno=os.dup(raw.pgconn.socket)) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
        except Exception:  # noqa: BLE001 - the connection is already gone: nothing to abort
            pass

    def timed_out(self) -> DatabaseUnavailable:
        return DatabaseUnavailable(f"the database did not answer within {self.timeout:g} s")

    # -- transactions -------------------------------------------------------------------

    def migrate(self) -> int:
        return migrations.upgrade(self)

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return migrations.current_version(conn)

    def transaction(self, write: bool = True) -> "_Transaction":
        """A context manager yielding a Tx; commit on success, roll back on any exception."""
        return _Transaction(self, write)

    def run(self, fn, write: bool = True, retries: int = 3, awaited: bool = True):
        """Run fn(tx) in a transaction, retrying when the database reports a transient lock
        and the deadline leaves time for it. `awaited=False`: a write no response waits for
        (the audit trail's batches of reads' records, whose connection commits without
        syncing): group commit does not count it, so answers do not wait on its fsync."""
        for attempt in range(retries):
            try:
                with _Transaction(self, write, awaited) as tx:
                    return fn(tx)
            except DatabaseUnavailable as exc:
                if exc.retry and attempt == 0:  # the connection had been lost, not this transaction's work
                    if self.dialect == "postgresql":
                        self.engine.pool.dispose()  # the server ended its idle peers in the pool too
                    continue
                pause = 0.05 * (attempt + 1)
                at = getattr(self._local, "deadline", None)
                if attempt == retries - 1 or not _transient(exc.__cause__ or exc) \
                        or (at is not None and time.monotonic() + pause >= at):
                    raise
                time.sleep(pause)

    def probe(self, account_id: str) -> str | None:
        """Why the database cannot serve requests now, or None when it can: one quick read
        of what every request relies on (the schema, the account, the keys table)."""
        try:
            self.run(lambda tx: _probe(tx, account_id), write=False, retries=1)
        except DatabaseUnavailable as exc:
            return exc.reason
        return None

    def reset(self) -> None:
        reset_all(self)

    def dispose(self) -> None:
        self.engine.dispose()


@functools.cache
def _latest_version() -> int:
    return migrations.available()[-1].VERSION


def _probe(tx: Tx, account_id: str) -> None:
    version = tx.execute(text("SELECT max(version) FROM schema_migrations")).scalar()
    expected = _latest_version()
    if version != expected:
        raise DatabaseUnavailable(f"the database's schema is version {version}, not {expected}: it was "
                                  f"replaced under the running server", lasting=True)
    if tx.execute(select(accounts.c.account_id).where(accounts.c.account_id == account_id)).first() is None:
        raise DatabaseUnavailable(f"the database holds no account {account_id}: it was recreated or "
                                  f"replaced under the running server", lasting=True)
    tx.execute(text("SELECT 1 FROM access_keys LIMIT 1")).first()


class _Transaction:
    """One transaction on this thread's held connection (`Store.transaction`).

    The transaction is driven on the driver connection: SQLAlchemy's begin/commit machinery
    costs more than a short read, and so does a generator-based context manager. Core
    statements run inside it all the same. A fault of the database on the way (see
    `faults.describe`) discards the connection, which is never reused, and is raised as
    `DatabaseUnavailable`; so is a transaction the watchdog aborted at its deadline.
    """

    __slots__ = ("store", "write", "awaited", "conn", "raw", "tx", "deadline", "expired", "ident", "reused",
                 "changes")

    def __init__(self, store: Store, write: bool, awaited: bool = True):
        self.store, self.write, self.awaited = store, write, awaited
        self.raw = None
        self.expired = self.reused = False

    def __enter__(self) -> Tx:
        store = self.store
        self.deadline = deadline = store._deadline()
        if deadline is not None:
            if time.monotonic() >= deadline:  # the request spent its time waiting for a thread
                raise store.timed_out()
            if store._watchdog is None:
                store._start_watchdog()
            self.ident = threading.get_ident()
            store._running[self.ident] = self
        conn = None
        try:
            if store._file_id is not None and (
                    self.write or time.monotonic() >= store._file_checked + FILE_CHECK_EVERY):
                store._check_sqlite_file()
            local = store._local
            held = getattr(local, "conn", None)
            conn = self.conn = store._connection()
            raw = self.raw = local.raw
            self.reused = conn is held or id(raw) in store._used
            if store.dialect == "sqlite":
                raw.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
                self.changes = raw.total_changes  # for group commit: did this transaction write?
            tx = self.tx = Tx(conn, store.dialect, raw)
        except BaseException as exc:
            fault = self._fault(exc)
            self._end(conn, broken=fault is not None)
            if fault is not None and fault is not exc:
                raise fault from exc
            raise
        return tx

    def __exit__(self, exc_type, exc, tb) -> bool:
        fault = self._fault(exc) if exc is not None else None
        broken = fault is not None
        try:
            if exc is None:
                self.raw.commit()
                if self.awaited and self.store.group_commit is not None and self.store.dialect == "sqlite" \
                        and self.raw.total_changes != self.changes:
                    self.store.group_commit.note_commit()
            else:
                self.raw.rollback()
        except (IntegrityError, self.store.engine.dialect.dbapi.IntegrityError) as err:
            self._end(self.conn, broken)
            raise AWSError("ConcurrentModification", "The request was rejected because it conflicts with "
                           "another change made at the same time.") from err
        except Exception as err:  # commit or rollback failed: the connection is not to be trusted
            self._end(self.conn, broken=True)
            if exc is None:  # the commit's failure is the one to report
                raise (self._fault(err, committing=True) or err) from err
            # else the first error is the one to report, not this echo of it
        else:
            self._end(self.conn, broken)
        if fault is not None and fault is not exc:
            raise fault from exc
        if exc is None:
            for fn in self.tx.after_commit:
                fn()
        return False

    def _fault(self, exc: BaseException, committing: bool = False) -> DatabaseUnavailable | None:
        """The database fault `exc` stands for (None: a request error, or already one). A
        held connection found lost before the commit was sent may be retried on a new one."""
        if isinstance(exc, (AWSError, DatabaseUnavailable)):
            return None
        if self.expired:
            return self.store.timed_out()
        fault = describe(exc)
        if fault is not None:
            fault.retry = fault.lost and self.reused and not committing
        return fault

    def _end(self, conn: Connection | None, broken: bool) -> None:
        """Stop watching this transaction; give its connection back, or discard it."""
        store = self.store
        if self.deadline is not None:
            store._running.pop(self.ident, None)
        if conn is None:
            return
        if broken or self.expired:
            store._discard(conn)
        else:
            if conn.in_transaction():
                conn.rollback()  # SQLAlchemy's own bookkeeping; the driver transaction is over
            if store.dialect == "postgresql":
                # Back to the pool: PostgreSQL counts every open connection against its
                # max_connections, shared by every process; a thread must not keep one idle.
                store._local.conn = None
                store._used.add(id(self.raw))
                conn.close()


def _transient(exc: BaseException) -> bool:
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
