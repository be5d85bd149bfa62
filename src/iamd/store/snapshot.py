"""Online backup and restore of a SQLite store, with SQLite's backup API.

`take` copies the database while servers keep writing: the copy is one read transaction,
so it holds every write committed before it began and none half-made after (in WAL mode
writers are not blocked meanwhile). The snapshot is a self-contained database file (no
-wal beside it), written 0600 and renamed into place, so a failed backup leaves nothing
that looks whole. `restore` checks the snapshot and copies it into an empty data dir.
The master key is not in the snapshot: the secrets in it open only with the key they
were sealed with, kept apart on purpose.
"""

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .files import private_dir, private_file, replace_durably


class SnapshotError(Exception):
    """The snapshot cannot be taken or restored; the message says why."""


@dataclass
class Snapshot:
    path: Path
    size: int
    schema_version: int
    accounts: list[str]
    sample_secret: str | None  # one sealed secret, to check a master key against


def _copy(source: str, dest: Path, failure: str) -> None:
    """The database at `source` (an SQLite URI) into `dest`, replaced atomically, as a
    single-file database; an error is a SnapshotError starting with `failure`."""
    tmp = dest.with_name(dest.name + ".part")
    try:
        tmp.unlink(missing_ok=True)
        private_file(tmp)
        src = sqlite3.connect(source, uri=True, timeout=30)
        try:
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)  # all pages in one step: one consistent read transaction
                out.execute("PRAGMA journal_mode=DELETE")  # no -wal: the file is the whole snapshot
            finally:
                out.close()
        finally:
            src.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        replace_durably(tmp, dest)
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise SnapshotError(f"{failure}: {exc}") from None


def inspect(path: Path) -> Snapshot:
    """What a snapshot (or a store) holds; refuses what is not a whole iamd database."""
    if not path.is_file() or path.stat().st_size == 0:
        raise SnapshotError(f"{path} is not a file with an iamd database in it")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise SnapshotError(f"{path} is damaged (SQLite's quick_check fails)")
            version = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
            accounts = [r[0] for r in conn.execute("SELECT account_id FROM accounts ORDER BY created_at")]
            row = conn.execute("SELECT secret FROM access_keys LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise SnapshotError(f"{path} is not an iamd database: {exc}") from None
    return Snapshot(path, path.stat().st_size, version, accounts, row[0] if row else None)


def take(data_dir: Path, dest: Path) -> Snapshot:
    db = Path(data_dir) / "iamd.db"
    if not db.is_file() or db.stat().st_size == 0:
        raise SnapshotError(f"{db} does not exist or is empty: nothing to back up")
    dest = Path(dest).resolve()
    if dest == db.resolve():
        raise SnapshotError("the backup must not overwrite the database it copies")
    _copy(f"file:{db}", dest, f"cannot back up {db} to {dest}")
    return inspect(dest)


def restore(snapshot: Path, data_dir: Path) -> Snapshot:
    info = inspect(Path(snapshot))
    data_dir = Path(data_dir)
    db = data_dir / "iamd.db"
    if db.exists() and db.stat().st_size > 0:
        raise SnapshotError(f"{db} already exists: stop the server and move it aside first")
    failure = f"cannot restore {snapshot} into {db}"
    try:
        private_dir(data_dir)
        for stale in ("iamd.db-wal", "iamd.db-shm", "iamd.db-journal"):  # of a database that is gone
            (data_dir / stale).unlink(missing_ok=True)
    except OSError as exc:
        raise SnapshotError(f"{failure}: {exc}") from None
    _copy(f"file:{info.path.resolve()}?mode=ro", db, failure)
    return info
