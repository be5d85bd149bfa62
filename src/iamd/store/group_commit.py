"""Group commit for SQLite: one fsync of the write-ahead log makes many commits durable.

With `synchronous=FULL` SQLite fsyncs the WAL inside every commit: about 3 ms on this kind
of disk, most of what a create costs, and the single-threaded server does nothing else
meanwhile. Once the server enables group commit, connections run `synchronous=NORMAL`: a
commit hands its WAL frames to the operating system (they survive a crash of the process)
and SQLite still syncs the WAL before every checkpoint. The server then holds each
response until an fsync of the WAL that began after the response's transaction committed
has finished (`settle`), in a thread of its own; requests arriving meanwhile run and
commit, and the next fsync covers all of them. An acknowledged write is on disk exactly
as with `synchronous=FULL`; only the fsync is shared.

Responses that committed nothing wait too while commits are pending, so that no client
sees data a power cut could still take back. With nothing pending, `settle` returns at once.

Checkpoints (copying the WAL back into the database, with two fsyncs) move off the event
loop too: every `CHECKPOINT_EVERY` commits a thread runs a PASSIVE checkpoint on a
connection of its own, which never blocks a writer. SQLite's own automatic checkpoint, which would run inside a
request's commit, is pushed back to a backstop for when this thread falls behind.
"""

import asyncio
import logging
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import event

log = logging.getLogger("iamd")
CHECKPOINT_EVERY = 200  # commits
AUTOCHECKPOINT_PAGES = 20_000  # SQLite's own checkpoint (default 1,000 pages), the backstop


class GroupCommit:
    def __init__(self, db_path: Path):
        self.db = str(db_path)
        self.wal = f"{db_path}-wal"
        self.directory = str(db_path.parent)
        self.committed = 0  # commits made so far (their count: a sequence)
        self.synced = 0  # commits known to be on disk
        self._lock = threading.Lock()
        self._task: asyncio.Task | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="iamd-fsync")
        self._wal_inode = None
        self._checkpointed = 0  # `committed` at the last checkpoint
        self._checkpointer: sqlite3.Connection | None = None  # used in the checkpoint thread only
        self._checkpoint_thread = ThreadPoolExecutor(1, thread_name_prefix="iamd-checkpoint")
        self._checkpointing = None  # the running checkpoint (a concurrent.futures.Future)

    def note_commit(self) -> None:
        """Called by the store after each write transaction commits."""
        with self._lock:
            self.committed += 1

    def settled(self) -> bool:
        """Whether every commit made so far is on disk (then `settle` would return at once)."""
        return self.synced >= self.committed

    async def settle(self) -> bool:
        """Return once every commit made so far is on disk; False when the fsync failed
        (the disk is gone: the answer must not claim durability)."""
        target = self.committed
        while self.synced < target:
            task = self._task
            if task is None:
                task = self._task = asyncio.get_running_loop().create_task(self._flush())
            if not await asyncio.shield(task):
                return False
        return True

    async def _flush(self) -> bool:
        target = self.committed
        try:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._fsync)
        except OSError as exc:
            log.error("fsync of %s failed: %s", self.wal, exc)
            return False
        finally:
            self._task = None
        self.synced = max(self.synced, target)
        busy = self._checkpointing is not None and not self._checkpointing.done()
        if target - self._checkpointed >= CHECKPOINT_EVERY and not busy:
            self._checkpointed = target
            self._checkpointing = self._checkpoint_thread.submit(self._checkpoint)
        return True

    def _fsync(self) -> None:
        # Opened per flush: SQLite deletes and recreates the WAL when the last connection
        # closes, and a held descriptor would then sync a file nobody writes.
        try:
            fd = os.open(self.wal, os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: every commit has been checkpointed into the database (synced)
        try:
            os.fsync(fd)
            inode = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        if inode != self._wal_inode:  # a new WAL file: make its directory entry durable too
            dfd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
            self._wal_inode = inode

    def _checkpoint(self) -> None:
        try:
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(self.db, isolation_level=None, check_same_thread=False)
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # SQLite's own checkpoint is still the backstop
            log.error("checkpoint of %s failed: %s", self.db, exc)


    def close(self) -> None:
        """At a clean stop: wait for the running checkpoint, copy the whole WAL back into
        the database (so the file alone is the store, as after a stop at FULL) and close."""
        if self._checkpointing is not None:
            self._checkpointing.result()
        self._checkpoint_thread.shutdown(wait=True)
        self._thread.shutdown(wait=True)
        try:
            conn = self._checkpointer or sqlite3.connect(self.db, isolation_level=None)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            conn.close()
        except sqlite3.Error as exc:
            log.error("final checkpoint of %s failed: %s", self.db, exc)
        self._checkpointer = None


def enable(store) -> GroupCommit | None:
    """Switch `store` (a SQLite file) to group commit; None for other engines, which commit
    as before.

    Connections opened from now on run `synchronous=NORMAL`; the ones already open (start-up
    work ran at FULL) are closed so that none is left behind.
    """
    db = store.engine.url.database
    if store.dialect != "sqlite" or not db or db == ":memory:":
        return None
    group = GroupCommit(Path(db))

    @event.listens_for(store.engine, "connect")
    def _connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=NORMAL")  # the WAL is fsynced by GroupCommit instead
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cur.close()

    conn = getattr(store._local, "conn", None)
    if conn is not None:
        store._discard(conn)
    store.engine.dispose()
    store.group_commit = group
    return group
