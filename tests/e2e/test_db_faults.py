"""Faults of the database: each answers 503 ServiceUnavailable in bounded time, with one log
line saying what is wrong, while /health (liveness) answers and /health/ready says 503.

The faults are real: a TCP proxy between iamd and PostgreSQL that stops relaying (a
stalled database), a SQLite write lock held by another process, a database dropped and
recreated empty under the running server, a SQLite file corrupted mid-file, and a disk
that fills (a small tmpfs in a private mount namespace). Each stall lasts until the test
ends it, so an answer at all shows the server bounded its wait; /health is shown to answer
while the stalled requests are still waiting.
"""

import json
import os
import random
import secrets
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import httpx
import psycopg
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ENGINES, PG_ADMIN_URL, Server, free_port

# A client that waits far longer than any bound of the server's: if the server did not
# bound its wait, the stall (which lasts until the test ends it) would end the test here.
PATIENT = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=120, connect_timeout=10)
ROOT_KEY = {"IAMD_ROOT_ACCESS_KEY_ID": "AKIAFAULTTESTS0000001", "IAMD_ROOT_SECRET_ACCESS_KEY": "s" * 40}


def pg_only():
    return pytest.mark.skipif("postgresql" not in ENGINES, reason="needs PostgreSQL")


def sqlite_only():
    return pytest.mark.skipif("sqlite" not in ENGINES, reason="needs SQLite")


# -- a TCP proxy that can be told to stall -------------------------------------------------------

class StallingProxy:
    """Relays TCP connections to `target`. `stall()` stops relaying: connections stay open,
    new ones are accepted but not connected onwards, bytes wait; `resume()` lets them on."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets:
            s.close()
        self.flowing.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            threading.Thread(target=self._open, args=(client,), daemon=True).start()

    def _open(self, client: socket.socket) -> None:
        self.flowing.wait()
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        self.sockets.append(upstream)
        threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
        self._pump(upstream, client)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# -- what the server answered and logged -----------------------------------------------------------

def patient_iam(srv: Server):
    return boto3.client("iam", endpoint_url=srv.endpoint, region_name="us-east-1", config=PATIENT,
                        aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key)


def outcome(call):
    """('ok', None) or (error code, HTTP status, request id) of one API call."""
    try:
        call()
        return ("ok", 200, None)
    except ClientError as e:
        meta = e.response["ResponseMetadata"]
        return (e.response["Error"]["Code"], meta["HTTPStatusCode"], meta["RequestId"])


def assert_unavailable(results) -> None:
    assert results, "no call was made"
    assert all(r[:2] == ("ServiceUnavailable", 503) for r in results), results


def log_lines(srv: Server) -> list[str]:
    return srv.log_path.read_text().splitlines()


def assert_one_line_each(srv: Server, results, says: str) -> None:
    """Each failed request left exactly one log line, naming it and saying `says`; nothing
    in the log is a traceback."""
    lines = log_lines(srv)
    assert not any("Traceback" in line for line in lines), "\n".join(lines)
    for _, _, rid in results:
        mine = [line for line in lines if rid in line]
        assert len(mine) == 1, (rid, mine)
        assert "database unavailable: " in mine[0] and says in mine[0], mine[0]


def ready(srv: Server) -> tuple[int, dict]:
    resp = httpx.get(srv.endpoint + "/health/ready", timeout=60)
    return resp.status_code, json.loads(resp.content)


def alive(srv: Server) -> int:
    return httpx.get(srv.endpoint + "/health", timeout=60).status_code


def calls_while_pending(srv: Server, calls: list, probe) -> tuple[list, list]:
    """Run `calls` at once; meanwhile call `probe()` until one call has answered. Returns
    the calls' outcomes and the probe's answers that came while none had answered yet."""
    with ThreadPoolExecutor(len(calls)) as ex:
        futures = [ex.submit(outcome, c) for c in calls]
        early = []
        while True:
            answer = probe()
            if any(f.done() for f in futures):
                break
            early.append(answer)
            time.sleep(0.1)  # pacing only
        return [f.result() for f in futures], early


# -- a stalled PostgreSQL ------------------------------------------------------------------------

@pytest.fixture
def proxied_pg(server_factory):
    """An iamd whose PostgreSQL connections pass through a StallingProxy."""
    srv = server_factory("postgresql", extra_args=["--no-access-log"])
    pg = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_URL)
    proxy = StallingProxy((pg.get("host", "127.0.0.1"), int(pg.get("port", 5432))))
    direct = srv.database_url
    srv.database_url = direct.replace(f"{pg.get('host', '127.0.0.1')}:{pg.get('port', 5432)}",
                                      f"127.0.0.1:{proxy.port}")
    assert srv.database_url != direct
    srv.start()
    yield srv, proxy
    proxy.resume()
    srv.stop()
    proxy.close()


@pg_only()
def test_stalled_postgresql_answers_503_and_health_stays_up(proxied_pg):
    srv, proxy = proxied_pg
    iam = patient_iam(srv)
    name = f"stall-{secrets.token_hex(4)}"
    iam.create_user(UserName=name)
    clients = [patient_iam(srv) for _ in range(12)]  # more than the server's pipeline threads
    with ThreadPoolExecutor(12) as ex:  # most pipeline threads hold a connection now
        list(ex.map(lambda c: c.get_user(UserName=name), clients * 2))

    proxy.stall()
    # Wave 1: connections already open go silent mid-request.
    calls = [lambda c=c: c.get_user(UserName=name) for c in clients[:6]] + \
            [lambda c=c: c.list_users() for c in clients[6:]]
    results, early = calls_while_pending(srv, calls, lambda: alive(srv))
    assert early and all(status == 200 for status in early), early  # the loop answered meanwhile
    assert_unavailable(results)
    # Wave 2: the aborted connections are gone; new ones reach a proxy that never answers.
    results2, early2 = calls_while_pending(srv, [lambda c=c: c.create_user(UserName=f"{name}-{i}")
                                                 for i, c in enumerate(clients[:10])], lambda: ready(srv))
    assert early2 and all(code == 503 and body["status"] == "unavailable" for code, body in early2), early2
    assert_unavailable(results2)
    assert_one_line_each(srv, results + results2, "")
    said = " ".join(line for line in log_lines(srv) if "database unavailable" in line)
    assert "the database did not answer within 5 s" in said, said  # the held connections' stall
    assert "the connection to the database failed" in said, said  # the new connections'

    proxy.resume()  # the database is back: so is the service, on fresh connections
    assert iam.get_user(UserName=name)["User"]["UserName"] == name
    assert ready(srv) == (200, {"status": "ready", "database": "ok"})


# -- a SQLite write lock held elsewhere ---------------------------------------------------------

@sqlite_only()
def test_sqlite_write_lock_held_elsewhere_answers_503_while_reads_go_on(server_factory):
    srv = server_factory("sqlite", extra_args=["--no-access-log"]).start()
    iam = patient_iam(srv)
    holder = sqlite3.connect(srv.data_dir / "iamd.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer that does not let go
    try:
        name = f"locked-{secrets.token_hex(4)}"
        results, early = calls_while_pending(srv, [lambda: iam.create_user(UserName=name)],
                                             lambda: (alive(srv), outcome(srv.client("iam").list_users)[0]))
        assert early and all(a == (200, "ok") for a in early), early  # health and reads meanwhile
        assert_unavailable(results)
        assert_one_line_each(srv, results, "database")
    finally:
        holder.rollback()
        holder.close()
    iam.create_user(UserName=name)
    assert iam.get_user(UserName=name)["User"]["UserName"] == name


# -- a database dropped and recreated empty ---------------------------------------------------------

def recreate_empty(srv: Server) -> None:
    if srv.engine == "postgresql":
        db_name = srv.database_url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db_name}"')
        return
    path = srv.data_dir / "iamd.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    sqlite3.connect(path).close()  # an empty database where iamd's was


@pytest.mark.parametrize("engine", ENGINES)
def test_database_recreated_empty_answers_503_and_is_not_ready(server_factory, engine):
    srv = server_factory(engine, extra_args=["--no-access-log"]).start()
    iam = patient_iam(srv)
    iam.create_user(UserName="before")
    assert ready(srv) == (200, {"status": "ready", "database": "ok"})
    recreate_empty(srv)
    results = [outcome(call) for call in (iam.list_users, lambda: iam.get_user(UserName="before"),
                                          lambda: iam.create_user(UserName="after"), iam.list_users)]
    assert_unavailable(results)
    says = "replaced under the running server"
    assert_one_line_each(srv, results, says)
    assert alive(srv) == 200
    code, body = ready(srv)
    assert code == 503 and says in body["database"], body


# -- a SQLite file corrupted mid-file ---------------------------------------------------------------

@sqlite_only()
def test_corrupted_sqlite_copy_answers_503_and_is_not_ready(server_factory, tmp_path):
    original = server_factory("sqlite", extra_args=["--no-access-log"]).start()
    iam = original.client("iam")
    for i in range(400):
        iam.create_user(UserName=f"corrupt-{i:04d}", Path=f"/{'p' * 100}/")
    original.stop()  # a clean stop checkpoints the WAL into the file
    copy = tmp_path / "copy"
    shutil.copytree(original.data_dir, copy)
    db = copy / "iamd.db"
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        leaves = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'users' "
                                             "AND pagetype = 'leaf' ORDER BY pageno")]
    assert len(leaves) > 4, leaves
    with open(db, "r+b") as f:  # garbage over one page of users, mid-file
        f.seek((leaves[len(leaves) // 2] - 1) * page_size)
        f.write(random.Random(7).randbytes(page_size))
    srv = Server("sqlite", copy, free_port(), extra_args=["--no-access-log"],
                 access_key=original.access_key, secret_key=original.secret_key)
    try:
        srv.start()
        iam = patient_iam(srv)
        assert outcome(lambda: iam.get_user(UserName="corrupt-0000"))[0] == "ok"  # an intact page
        results = [outcome(lambda: iam.list_users(MaxItems=1000)) for _ in range(2)]
        assert_unavailable(results)
        assert_one_line_each(srv, results, "the database file is corrupt (database disk image is malformed)")
        assert alive(srv) == 200
        code, body = ready(srv)
        assert code == 503 and "corrupt" in body["database"], body
    finally:
        srv.stop()


# -- a full disk --------------------------------------------------------------------------------------

@sqlite_only()
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="needs root and unshare(1) to mount a small tmpfs in a private namespace")
def test_full_disk_answers_503_reads_go_on_and_writes_come_back(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    srv = Server("sqlite", mnt / "data", free_port(), extra_args=["--no-access-log"], env=ROOT_KEY,
                 access_key=ROOT_KEY["IAMD_ROOT_ACCESS_KEY_ID"], secret_key=ROOT_KEY["IAMD_ROOT_SECRET_ACCESS_KEY"],
                 launcher=["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$@"', str(mnt)])
    try:
        srv.start()
        inside = Path(f"/proc/{srv.proc.pid}/root{mnt}")  # the tmpfs, seen from outside its namespace
        assert os.statvfs(inside).f_blocks * os.statvfs(inside).f_frsize <= 4 << 20
        iam = patient_iam(srv)
        iam.create_user(UserName="before-full")
        filler = inside / "filler"
        # unbuffered: a buffered file would try again to write what did not fit when closed
        with open(filler, "wb", buffering=0) as f:  # take every free block
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        results = []
        for i in range(200):  # the WAL may still have room for a few writes
            results.append(outcome(lambda: iam.create_user(UserName=f"full-{i:03d}", Path=f"/{'p' * 400}/")))
            if results[-1][0] != "ok":
                break
        failed = [r for r in results if r[0] != "ok"]
        assert_unavailable(failed)
        failed += [outcome(lambda: iam.create_user(UserName="full-again"))]
        assert_unavailable(failed)
        assert_one_line_each(srv, failed, "the disk holding the database is full")
        assert outcome(iam.list_users)[0] == "ok"  # reads go on
        code, body = ready(srv)
        assert code == 503 and "full" in body["database"], body
        assert alive(srv) == 200
        filler.unlink()  # room again: writes come back without a restart
        iam.create_user(UserName="after-full")
        assert iam.get_user(UserName="after-full")["User"]["UserName"] == "after-full"
    finally:
        srv.stop()
