"""Starting `iamd serve` as a new user does: `make serve` options and the README's table,
start-up mistakes (one line on stderr, exit 2, nothing created), the permanent account id
and credentials file, the private data dir, TLS, and bounded slow or idle connections."""

import base64
import ipaddress
import json
import os
import re
import selectors
import signal
import socket
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import httpx
import psycopg
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, SSLError
from conftest import ENGINES, free_port, pg_create_database, pg_drop_database
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers import code, run_iamd, wait_for_port

REPO = Path(__file__).resolve().parents[2]


def serve(data_dir: Path, *args, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """`iamd serve` that is expected to refuse to start."""
    return run_iamd("serve", "--data-dir", str(data_dir), "--no-access-log", *args,
                    env={**os.environ, **(env or {})}, timeout=timeout)


def one_line_refusal(result: subprocess.CompletedProcess) -> str:
    """The single stderr line of a start-up mistake: exit 2, no traceback, nothing on stdout."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert result.stdout == ""
    return lines[0]


@pytest.fixture
def database(request):
    """A fresh PostgreSQL database for the engine under test (None for SQLite)."""
    if request.param == "sqlite":
        yield None
        return
    url = pg_create_database()
    yield url
    pg_drop_database(url)


def engine_args(database_url) -> list:
    return ["--database-url", database_url] if database_url else []


def pg_tables(url: str) -> list:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()


# -- make serve, the README's options table --------------------------------------------------------

def _help_options() -> list[str]:
    out = run_iamd("serve", "--help", check=True).stdout
    found = re.findall(r"^  (--[a-z-]+(?: / --[a-z-]+)?)", out, re.M)
    return [o.replace(" / ", "/") for o in found if o != "--help"]


def test_readme_lists_every_option_of_serve_help():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## `iamd serve`", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(--[a-z-]+(?:/--[a-z-]+)?)[^`]*` \|", section, re.M)
    helped = _help_options()
    from iamd.cli.serve import serve as command
    assert len(helped) == len(command.params) and "--quota" in helped
    assert rows == helped


def test_make_serve_passes_args(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    venv = Path(sys.executable).parent.parent  # this test's install; -o: never reinstall here
    proc = subprocess.Popen(["make", "-s", "-o", f"{venv}/.installed", "serve", f"VENV={venv}",
                             f"ARGS=--port {port} --data-dir {data} --no-access-log"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        lines = _wait_for_banner(proc, proc.stdout)
        assert f"iamd: listening on http://127.0.0.1:{port} with 1 worker(s)\n" in lines
        assert (data / "iamd.db").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


# -- start-up mistakes -----------------------------------------------------------------------------

@pytest.mark.parametrize("value, why", [
    ("not base64 at all!", "it is not valid base64"),
    (base64.b64encode(b"k" * 16).decode(), "it decodes to 16 bytes"),
    (base64.b64encode(b"k" * 33).decode(), "it decodes to 33 bytes"),
])
def test_malformed_master_key_is_one_line(tmp_path, value, why):
    data = tmp_path / "data"
    line = one_line_refusal(serve(data, "--port", str(free_port()), env={"IAMD_MASTER_KEY": value}))
    assert line == ("Error: IAMD_MASTER_KEY must be the base64 encoding of 32 random bytes "
                    f"(e.g. `openssl rand -base64 32`); {why}")
    assert value not in line and not data.exists()


def test_malformed_master_key_file_is_one_line(tmp_path):
    data = tmp_path / "data"
    _started_once(data)
    (data / "master.key").write_text("c2hvcnQ=\n")
    line = one_line_refusal(serve(data, "--port", str(free_port())))
    assert line.startswith(f"Error: {data.resolve() / 'master.key'} must be the base64 encoding of 32")
    assert line.endswith("it decodes to 5 bytes")


@pytest.mark.parametrize("database", ENGINES, indirect=True)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_port_in_use_is_one_line_and_creates_nothing(tmp_path, database, workers):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data = tmp_path / "data"
        line = one_line_refusal(serve(data, "--port", str(port), "--workers", workers, *engine_args(database)))
    assert line == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert not data.exists()  # no master key, no database, no credentials
    if database:
        assert pg_tables(database) == []  # no schema, no account


@pytest.mark.parametrize("database", ENGINES, indirect=True)
def test_account_id_is_permanent_and_the_credentials_file_is_never_rewritten(tmp_path, database):
    data = tmp_path / "data"
    creds = _started_once(data, database, "--account-id", "111122223333")

    line = one_line_refusal(serve(data, "--port", str(free_port()), "--account-id", "444455556666",
                                  *engine_args(database)))
    assert line == ("Error: --account-id 444455556666 differs from the account this store holds, "
                    "111122223333: an account id is permanent (start without --account-id, or with "
                    "another data dir or database for a new account)")
    assert (data / "credentials").read_text() == creds

    # a restart without the flag is the stored account, with the same root key
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(port),
                             "--data-dir", str(data), "--no-access-log", *engine_args(database)],
                            stderr=subprocess.PIPE, text=True)
    try:
        banner = _wait_for_banner(proc)
        assert "iamd: account: 111122223333\n" in banner
        assert (data / "credentials").read_text() == creds
    finally:
        proc.terminate()
        proc.wait(15)


def _wait_for_banner(proc, stream=None) -> list[str]:
    banner = []
    while not any("root credentials" in line for line in banner):
        line = (stream or proc.stderr).readline()
        assert line, "".join(banner)
        banner.append(line)
    return banner


def _started_once(data: Path, database_url=None, *extra) -> str:
    """Start and stop a server on `data`; the credentials file it wrote."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(port),
                             "--data-dir", str(data), "--no-access-log", *engine_args(database_url), *extra],
                            stderr=subprocess.PIPE, text=True)
    _wait_for_banner(proc)
    wait_for_port(port)
    proc.terminate()
    assert proc.wait(15) == 0
    return (data / "credentials").read_text()


@pytest.mark.parametrize("database", ENGINES, indirect=True)
def test_credentials_file_of_another_store_is_refused_and_kept(tmp_path, database):
    data = tmp_path / "data"
    creds = _started_once(data, database)
    key_id = re.search(r"aws_access_key_id = (\w+)", creds).group(1)
    if database:  # the same data dir with a new, empty database
        other = pg_create_database()
        try:
            result = serve(data, "--port", str(free_port()), "--database-url", other)
        finally:
            pg_drop_database(other)
    else:  # the same store, but a credentials file naming a key it does not have
        (data / "credentials").write_text(creds.replace(key_id, "AKIAOTHERSTORE000000"))
        creds = (data / "credentials").read_text()
        key_id = "AKIAOTHERSTORE000000"
        result = serve(data, "--port", str(free_port()))
    line = one_line_refusal(result)
    assert line.startswith(f"Error: {data.resolve() / 'credentials'} holds access key {key_id}, which is "
                           f"not a root key of account ")
    assert line.endswith("move the file aside to have a new root key written, or start with the store it belongs to")
    assert (data / "credentials").read_text() == creds


@pytest.mark.parametrize("damage", ["missing", "empty"])
def test_lost_sqlite_database_beside_key_and_credentials_is_refused(tmp_path, damage):
    data = tmp_path / "data"
    creds = _started_once(data)
    for p in data.glob("iamd.db*"):
        p.unlink()
    if damage == "empty":
        (data / "iamd.db").touch(mode=0o600)
    line = one_line_refusal(serve(data, "--port", str(free_port())))
    db = data.resolve() / "iamd.db"
    assert line == (f"Error: {db} is {damage} but master.key and credentials from an earlier start remain: "
                    f"restore the database (iamd restore FILE --data-dir {data.resolve()}) or move the "
                    f"directory aside to start a new account")
    assert (data / "credentials").read_text() == creds
    assert db.exists() == (damage == "empty")


# -- file modes ------------------------------------------------------------------------------------

def test_data_dir_is_private_whatever_the_umask(server_factory):
    srv = server_factory("sqlite", extra_args=["--no-access-log"])
    old = os.umask(0o022)  # the server inherits the usual umask
    try:
        srv.start()
    finally:
        os.umask(old)
    srv.client("iam").create_user(UserName="modes")  # the WAL has content
    assert stat.S_IMODE(srv.data_dir.stat().st_mode) == 0o700
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in srv.data_dir.iterdir()}
    assert {"iamd.db", "iamd.db-wal", "iamd.db-shm", "master.key", "credentials"} <= files.keys()
    assert set(files.values()) == {0o600}, files
    assert "warning" not in srv.log_path.read_text()


@pytest.mark.parametrize("database", ENGINES, indirect=True)
def test_a_data_dir_others_can_read_gets_a_warning(tmp_path, database):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    proc = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(free_port()),
                             "--data-dir", str(data), "--no-access-log", *engine_args(database)],
                            stderr=subprocess.PIPE, text=True)
    try:
        banner = _wait_for_banner(proc)
        banner += [proc.stderr.readline(), proc.stderr.readline()]  # the export line, the warning
    finally:
        proc.terminate()
        proc.wait(15)
    assert banner[-1] == (f"iamd: warning: others can read or write {data.resolve()} (0755): chmod 700 the "
                          f"directory and 600 its files\n"), banner
    assert stat.S_IMODE((data / "master.key").stat().st_mode) == 0o600


# -- TLS -------------------------------------------------------------------------------------------

def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamd test")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return _self_signed(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("engine", ENGINES)
def test_https_with_tls_cert_and_key(server_factory, tls_files, engine):
    cert, key = tls_files
    srv = server_factory(engine, extra_args=["--no-access-log", "--tls-cert", str(cert), "--tls-key", str(key)])
    srv.tls_ca = cert
    srv.start()
    try:
        _talk_https(srv, cert)
    finally:
        srv.stop()  # its database connections go back to the PostgreSQL server shared by the session


def _talk_https(srv, cert: Path) -> None:
    iam = srv.client("iam")
    iam.create_user(UserName="over-tls")
    assert iam.get_user(UserName="over-tls")["User"]["UserName"] == "over-tls"
    # aws:SecureTransport is true on this connection: a policy that demands it allows the call
    iam.put_user_policy(UserName="over-tls", PolicyName="tls-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                                                "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}))
    key = iam.create_access_key(UserName="over-tls")["AccessKey"]
    as_user = srv.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == "over-tls"
    assert srv.client("sts").get_caller_identity()["Account"] == srv.account_id
    banner = [line for line in srv.log_path.read_text().splitlines() if line.startswith("iamd: ")]
    assert f"iamd: listening on https://127.0.0.1:{srv.port} with 1 worker(s)" in banner
    assert f"iamd: transport: HTTPS (certificate {cert.resolve()})" in banner
    # a client that does not trust the certificate is refused by its own TLS check
    untrusting = boto3.client("iam", endpoint_url=srv.endpoint, region_name="us-east-1",
                              aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
                              config=Config(retries={"max_attempts": 1}))
    with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        untrusting.list_users()
    # plain HTTP to the HTTPS port gets no API answer
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{srv.port}/health", timeout=5)


def test_secure_transport_comes_from_the_connection():
    from iamd.server.authorize import Peer
    assert Peer.of({"scheme": "https", "client": ("10.0.0.7", 5555)}, {}) == Peer("10.0.0.7", True, None)
    assert Peer.of({"scheme": "http", "client": ("127.0.0.1", 5555)}, {"user-agent": "ua"}).secure is False


def test_tls_mistakes_are_one_line(tmp_path, tls_files):
    cert, key = tls_files
    port = str(free_port())
    result = serve(tmp_path / "a", "--port", port, "--tls-cert", str(cert))
    assert result.returncode == 2 and "--tls-cert and --tls-key go together" in result.stderr
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key\n")
    line = one_line_refusal(serve(tmp_path / "b", "--port", port, "--tls-cert", str(cert), "--tls-key", str(bad)))
    assert line.startswith(f"Error: cannot use --tls-cert {cert} with --tls-key {bad}: ")
    assert not (tmp_path / "b").exists()


# -- slow and idle connections ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def impatient(server_factory):
    """A server with short read bounds; --auth off, so that a cut-off body that were handled
    would visibly create a user."""
    return server_factory(ENGINES[0], extra_args=[
        "--no-access-log", "--auth", "off", "--header-timeout", "1", "--body-timeout", "1",
        "--keep-alive-timeout", "1"]).start()


def _all_closed_by_server(socks: list, limit: float = 60) -> int:
    """Wait until the server has closed every socket (EOF or reset); how many it closed."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed, deadline = 0, time.monotonic() + limit
    while closed < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            try:
                data = key.fileobj.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                closed += 1
    sel.close()
    return closed


def test_3000_slow_header_connections_are_closed(impatient):
    socks = []
    try:
        for _ in range(3000):
            s = socket.create_connection(("127.0.0.1", impatient.port), timeout=30)
            s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and never the rest
            socks.append(s)
        assert _all_closed_by_server(socks) == 3000
    finally:
        for s in socks:
            s.close()
    assert httpx.get(impatient.endpoint + "/health").status_code == 200


def test_a_connection_that_sends_nothing_is_closed(impatient):
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=30) as s:
        assert _all_closed_by_server([s]) == 1


def test_a_slow_body_is_cut_off_and_never_handled(impatient):
    body = b"Action=CreateUser&Version=2010-05-08&UserName=slow-body"
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=30) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: " + str(len(body) + 10).encode() + b"\r\n\r\n" + body)
        assert _all_closed_by_server([s]) == 1
    iam = impatient.client("iam")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="slow-body")
    assert code(e) == "NoSuchEntity"


def test_an_idle_kept_alive_connection_is_closed(impatient):
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=30) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        reply = b""
        while b'{"status":"ok"}' not in reply:
            chunk = s.recv(4096)
            assert chunk, reply
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200 ")
        assert _all_closed_by_server([s]) == 1


def test_requests_within_the_bounds_are_answered(impatient):
    iam = impatient.client("iam")
    for i in range(3):
        iam.create_user(UserName=f"within-{i}")
    assert {f"within-{i}" for i in range(3)} <= {u["UserName"] for u in iam.list_users()["Users"]}

