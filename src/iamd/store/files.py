"""The data directory is private: created 0700, every file iamd writes in it 0600.

It holds the SQLite database (password hashes, all IAM data), the master key and the root
credentials. SQLite creates `-wal` and `-shm` with the mode of the database file, so
creating `iamd.db` 0600 before SQLite opens it keeps those private too.
"""

import os
import stat
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create the directory (and its missing parents) 0700; an existing one is left as it is."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask
    return path


def private_file(path: Path) -> Path:
    """Create an empty file 0600 unless it exists."""
    path = Path(path)
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path


def open_private(path: Path, mode: str = "w"):
    """Open a new file for writing, 0600 from the start (never briefly readable by others)."""
    path = Path(path)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    return os.fdopen(fd, mode)


def replace_durably(tmp: Path, dest: Path) -> None:
    """Move a written and synced file into place, and make the rename itself durable."""
    os.replace(tmp, dest)
    fd = os.open(Path(dest).parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


OWN_FILES = ("iamd.db", "iamd.db-wal", "iamd.db-shm", "master.key", "credentials")


def too_open(path: Path) -> list[str]:
    """The data directory and iamd's files in it that others can read or write, as 'PATH (0644)'."""
    path = Path(path)
    if not path.is_dir():
        return []
    found = []
    for p in [path, *(path / name for name in OWN_FILES)]:
        try:
            st = p.lstat()
        except FileNotFoundError:  # a -shm or -wal gone meanwhile
            continue
        if (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)) and st.st_mode & 0o077:
            found.append(f"{p} ({stat.S_IMODE(st.st_mode):04o})")
    return found
