"""`iamd backup` and `iamd restore`: an online snapshot of a running SQLite store, taken
under write load, restores with every write acknowledged before it began; the mistakes
around them are one line, exit 2. (PostgreSQL is backed up with pg_dump.)"""

import shutil
import stat
import threading

import pytest
from botocore.exceptions import ClientError
from helpers import all_pages, run_iamd

def one_line(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    return lines[0]


class Writers:
    """Threads creating users until stopped; `acked` holds every name the server confirmed."""

    def __init__(self, server, threads: int = 4):
        self.server, self.acked, self.lock = server, [], threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, i: int) -> None:
        iam = self.server.client("iam", retries=3)
        n = 0
        while not self.stop.is_set():
            name = f"load-{i}-{n}"
            iam.create_user(UserName=name)
            with self.lock:
                self.acked.append(name)
            n += 1

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def snapshot(self) -> set:
        with self.lock:
            return set(self.acked)

    def wait_for(self, count: int) -> None:
        while len(self.snapshot()) < count:
            self.stop.wait(0.05)


def test_snapshot_under_write_load_restores_every_acknowledged_write(server_factory, tmp_path):
    srv = server_factory("sqlite", extra_args=["--no-access-log", "--workers", "2"]).start()
    backup = tmp_path / "iamd-backup.db"
    with Writers(srv) as load:
        load.wait_for(200)
        before = load.snapshot()  # acknowledged before the backup began
        result = run_iamd("backup", str(backup), "--data-dir", str(srv.data_dir), timeout=120)
        load.wait_for(len(before) + 50)  # the load went on during and after the backup
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"iamd: backup: {backup} (")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not backup.with_name(backup.name + "-wal").exists()

    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    shutil.copy2(srv.data_dir / "master.key", restored / "master.key")
    shutil.copy2(srv.data_dir / "credentials", restored / "credentials")
    done = run_iamd("restore", str(backup), "--data-dir", str(restored), timeout=120)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((restored / "iamd.db").stat().st_mode) == 0o600

    again = server_factory("sqlite", extra_args=["--no-access-log"])
    again.data_dir = restored
    again.start()
    assert again.account_id == srv.account_id
    names = {u["UserName"] for u in all_pages(again.client("iam").list_users, "Users")}
    loaded = {n for n in names if n.startswith("load-")}
    assert before <= loaded, f"{len(before - loaded)} acknowledged writes missing"
    assert len(loaded - load.snapshot()) <= len(load.threads)  # at most the calls in flight at the end
    assert len(loaded) < len(load.snapshot())  # the snapshot is a point in time, not the end


def test_restore_refuses_a_data_dir_with_a_database_and_one_without_its_key(server_factory, tmp_path):
    srv = server_factory("sqlite", extra_args=["--no-access-log"]).start()
    backup = tmp_path / "b.db"
    assert run_iamd("backup", str(backup), "--data-dir", str(srv.data_dir), timeout=120).returncode == 0

    line = one_line(run_iamd("restore", str(backup), "--data-dir", str(srv.data_dir)))
    assert line == f"Error: {srv.data_dir.resolve() / 'iamd.db'} already exists: stop the server and move it aside first"

    keyless = tmp_path / "keyless"
    line = one_line(run_iamd("restore", str(backup), "--data-dir", str(keyless)))
    assert line.startswith(f"Error: copy the master.key the backup was taken with into {keyless.resolve()}")
    assert not (keyless / "iamd.db").exists()

    wrong = tmp_path / "wrong-key"
    wrong.mkdir()
    (wrong / "master.key").write_text("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")  # 32 bytes, not the key
    line = one_line(run_iamd("restore", str(backup), "--data-dir", str(wrong)))
    assert line.startswith("Error: the master key (IAMD_MASTER_KEY or master.key in the data dir) does not open")
    assert not (wrong / "iamd.db").exists()


def test_backup_mistakes_are_one_line(tmp_path):
    line = one_line(run_iamd("backup", str(tmp_path / "b.db"), "--data-dir", str(tmp_path / "none")))
    assert line == f"Error: {tmp_path / 'none' / 'iamd.db'} does not exist or is empty: nothing to back up"
    line = one_line(run_iamd("backup", str(tmp_path / "b.db"), "--database-url", "postgresql://u@h/db"))
    assert "pg_dump" in line
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite" * 100)
    (tmp_path / "into").mkdir()
    (tmp_path / "into" / "master.key").write_text("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")
    line = one_line(run_iamd("restore", str(junk), "--data-dir", str(tmp_path / "into")))
    assert line.startswith(f"Error: {junk} is not an iamd database")


def test_a_deleted_user_is_gone_from_a_later_snapshot(server_factory, tmp_path):
    srv = server_factory("sqlite", extra_args=["--no-access-log"]).start()
    iam = srv.client("iam")
    iam.create_user(UserName="kept")
    iam.create_user(UserName="dropped")
    iam.delete_user(UserName="dropped")
    backup = tmp_path / "b.db"
    assert run_iamd("backup", str(backup), "--data-dir", str(srv.data_dir), timeout=120).returncode == 0
    restored = tmp_path / "r"
    restored.mkdir(mode=0o700)
    shutil.copy2(srv.data_dir / "master.key", restored / "master.key")
    assert run_iamd("restore", str(backup), "--data-dir", str(restored), timeout=120).returncode == 0
    again = server_factory("sqlite", extra_args=["--no-access-log"])
    again.data_dir = restored
    again.start()  # no credentials file: a new root key is written for the restored account
    iam2 = again.client("iam")
    assert iam2.get_user(UserName="kept")["User"]["UserName"] == "kept"
    with pytest.raises(ClientError):
        iam2.get_user(UserName="dropped")
