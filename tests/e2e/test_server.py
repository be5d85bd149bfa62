"""`iamd serve` as an operator sees it: options and defaults, the start banner, the files it
writes (credentials, master key) and their modes, the access log, secrets at rest, /health,
graceful shutdown on SIGTERM, and routing of what is not a well-formed API call."""

import configparser
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from conftest import ENGINES, free_port
from helpers import error_of, wait_for_port

from iamd import __version__


def post(server, body: bytes) -> httpx.Response:
    url, headers, _ = server.sign(body)
    return httpx.post(url, headers=headers, content=body, timeout=10)


def log_lines(server, want_rids=(), wait: float = 3.0) -> list[dict]:
    """The access-log entries so far; lines are written in batches (within 50 ms), so wait
    until every request id in `want_rids` has appeared."""
    deadline = time.time() + wait
    while True:
        lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.startswith("{")]
        if {e["rid"] for e in lines} >= set(want_rids) or time.time() > deadline:
            return lines
        time.sleep(0.02)


@pytest.fixture(scope="module", params=ENGINES)
def logged(request, server_factory):
    """A server of its own with the access log on (the shared one runs without)."""
    return server_factory(request.param).start()


# -- options, banner, files -------------------------------------------------------------------

def test_option_defaults():
    from iamd.cli.serve import serve
    assert {p.name: p.default for p in serve.params} == {
        "host": "127.0.0.1", "port": 8777, "data_dir": "./iamd-data", "database_url": None,
        "account_id": None, "auth": "enforce", "workers": 1, "access_log": True, "quotas": (),
        "tls_cert": None, "tls_key": None, "header_timeout": 10.0, "body_timeout": 30.0, "keep_alive_timeout": 5.0,
        "http_issuers": (), "public_url": None, "console": True,
        "audit": True, "audit_dir": None, "audit_retention_days": 90}
    out = subprocess.run([sys.executable, "-m", "iamd.cli.main", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for opt in ("--host", "--port", "--data-dir", "--database-url", "--account-id", "--auth", "--workers"):
        assert opt in out


def test_bad_options_exit_with_usage_errors(tmp_path):
    for args, fragment in ((["--account-id", "12345"], "must be 12 digits"),
                           (["--auth", "maybe"], "'maybe' is not one of"),
                           (["--workers", "0"], "0 is not in the range")):
        res = subprocess.run([sys.executable, "-m", "iamd.cli.main", "serve", "--data-dir", str(tmp_path), *args],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 2 and fragment in res.stderr, res.stderr


def test_default_data_dir_account_id_and_root_key_from_environment(tmp_path):
    key, secret = "AKIAENVROOT000000001", "env-secret-" + "x" * 29
    port = free_port()
    env = {**os.environ, "IAMD_ROOT_ACCESS_KEY_ID": key, "IAMD_ROOT_SECRET_ACCESS_KEY": secret}
    proc = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(port),
                             "--account-id", "123456789012", "--no-access-log"],
                            cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        banner = []
        while not any("root credentials" in line for line in banner):
            line = proc.stderr.readline()
            assert line, "".join(banner)
            banner.append(line)
        wait_for_port(port)
        data = tmp_path / "iamd-data"
        assert (data / "iamd.db").exists() and (data / "master.key").exists()
        assert not (data / "credentials").exists()
        assert "iamd: root credentials: environment (IAMD_ROOT_ACCESS_KEY_ID)\n" in banner
        assert f"iamd: storage: sqlite ({data / 'iamd.db'})" in "".join(banner)
        sts = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id=key, aws_secret_access_key=secret)
        assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"
    finally:
        proc.terminate()
        assert proc.wait(15) == 0


def test_banner(logged):
    from iamd.store.migrations import available
    text = logged.log_path.read_text()
    banner = [line for line in text.splitlines() if line.startswith("iamd: ")]
    assert banner[0] == f"iamd: version {__version__}"
    assert banner[1] == f"iamd: listening on http://127.0.0.1:{logged.port} with 1 worker(s)"
    version = max(m.VERSION for m in available())
    if logged.engine == "sqlite":
        assert banner[2] == f"iamd: storage: sqlite ({logged.data_dir.resolve() / 'iamd.db'}), schema version {version}"
    else:
        db = logged.database_url.rsplit("/", 1)[1]
        assert banner[2] == f"iamd: storage: postgresql (postgres@127.0.0.1:5432/{db}), schema version {version}"
    assert banner[3] == f"iamd: account: {logged.account_id}"
    assert banner[4] == "iamd: auth: enforce (SigV4 signatures verified, IAM policies enforced on every call)"
    assert banner[5] == ("iamd: transport: plain HTTP, unencrypted; beyond loopback serve HTTPS with "
                         "--tls-cert and --tls-key")
    creds = logged.data_dir.resolve() / "credentials"
    assert banner[6] == f"iamd: root credentials: {creds}"
    assert banner[7] == f"iamd:   export AWS_SHARED_CREDENTIALS_FILE={creds}"
    assert banner[8] == (f"iamd: outbound OIDC issuers: http://127.0.0.1:{logged.port}/issuer/<id> "
                         "(GetOutboundWebIdentityFederationInfo)")
    assert banner[9] == "iamd: audit trail: on (every call recorded), kept 90 days"
    assert banner[10].startswith(f"iamd: console: http://127.0.0.1:{logged.port}/console/ ")
    assert len(banner) == 11


def test_files_are_private_and_the_credentials_file_works(logged, monkeypatch):
    for fname in ("credentials", "master.key"):
        assert stat.S_IMODE((logged.data_dir / fname).stat().st_mode) == 0o600
    cp = configparser.ConfigParser()
    cp.read(logged.data_dir / "credentials")
    assert cp.sections() == ["default"]
    assert cp["default"]["aws_access_key_id"] == logged.access_key
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(logged.data_dir / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(logged.data_dir / "no-such-config"))
    sts = boto3.session.Session().client("sts", endpoint_url=logged.endpoint, region_name="us-east-1")
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{logged.account_id}:root"


# -- access log, secrets ----------------------------------------------------------------------

def test_one_structured_access_log_line_per_request(logged, name):
    iam = logged.client("iam")
    rids = {}
    rids["ok"] = iam.list_users(MaxItems=1)["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=name("missing"))
    rids["missing"] = e.value.response["ResponseMetadata"]["RequestId"]
    rids["unsigned"] = httpx.post(logged.endpoint + "/", content=b"Action=ListUsers").headers["x-amzn-requestid"]
    rids["health"] = httpx.get(logged.endpoint + "/health").headers["x-amzn-requestid"]
    rids["noaction"] = post(logged, b"Version=2010-05-08").headers["x-amzn-requestid"]
    lines = log_lines(logged, rids.values())
    by_rid = {rid: [entry for entry in lines if entry["rid"] == rid] for rid in rids.values()}
    assert all(len(found) == 1 for found in by_rid.values()), by_rid
    got = {k: by_rid[rid][0] for k, rid in rids.items()}
    root = f"arn:aws:iam::{logged.account_id}:root"
    assert {k: (v["action"], v["caller"], v["status"]) for k, v in got.items()} == {
        "ok": ("ListUsers", root, 200), "missing": ("GetUser", root, 404),
        "unsigned": ("ListUsers", "-", 403), "health": ("health", "-", 200), "noaction": ("-", "-", 400)}
    for entry in got.values():
        assert isinstance(entry["ms"], (int, float)) and 0 <= entry["ms"] < 10_000
        assert isinstance(entry["pid"], int)


def _db_text(server) -> str:
    """Everything stored about access keys, as the database holds it."""
    if server.engine == "sqlite":
        with sqlite3.connect(server.data_dir / "iamd.db") as conn:
            rows = conn.execute("SELECT * FROM access_keys").fetchall()
        raw = b"".join(p.read_bytes() for p in server.data_dir.glob("iamd.db*"))
        return repr(rows) + raw.decode("latin-1")
    import psycopg
    with psycopg.connect(server.database_url) as conn:
        return repr(conn.execute("SELECT t::text FROM access_keys t").fetchall())


def test_secrets_are_encrypted_at_rest_and_never_logged(logged, name):
    iam = logged.client("iam")
    n = name("sec")
    iam.create_user(UserName=n)
    key = iam.create_access_key(UserName=n)["AccessKey"]
    logged.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"]).get_caller_identity()
    stored = _db_text(logged)
    assert key["AccessKeyId"] in stored and "v1:" in stored  # the row is there, its secret sealed
    for secret in (key["SecretAccessKey"], logged.secret_key):
        assert secret not in stored
        assert secret not in logged.log_path.read_text()


# -- health, reset, routing -------------------------------------------------------------------

def test_health(server):
    resp = httpx.get(server.endpoint + "/health")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


def test_moto_reset_is_refused_when_auth_is_enforced(server, iam, name):
    n = name("keep")
    iam.create_user(UserName=n)
    resp = httpx.post(server.endpoint + "/moto-api/reset")
    assert error_of(resp)[:2] == (403, "AccessDenied")
    assert iam.get_user(UserName=n)["User"]["UserName"] == n


@pytest.mark.parametrize("body, status, code, message", [
    (b"Version=2010-05-08", 400, "MissingAction", "Missing Action"),
    (b"Action=&Version=2010-05-08", 400, "MissingAction", "Missing Action"),
    (b"Action=DescribeInstances&Version=2010-05-08", 400, "InvalidAction",
     "Could not find operation DescribeInstances for version 2010-05-08"),
    (b"Action=ListUsers&Version=2011-06-15", 400, "InvalidAction",
     "Could not find operation ListUsers for version 2011-06-15"),
    (b"Action=GetCallerIdentity&Version=2010-05-08", 400, "InvalidAction",
     "Could not find operation GetCallerIdentity for version 2010-05-08"),
    (b"Action=ListUsers&Version=2010-05-08&MaxItems=1&MaxItems=2", 400, "InvalidParameterValue",
     "The parameter MaxItems appears more than once."),
])
def test_routing_errors(server, body, status, code, message):
    assert error_of(post(server, body)) == (status, code, message)


def test_get_query_form_routes_like_post(server):
    resp = httpx.get(server.endpoint + "/?Action=NoSuchThing&Version=2010-05-08")
    assert error_of(resp) == (400, "InvalidAction", "Could not find operation NoSuchThing for version 2010-05-08")


def test_body_too_large_and_not_utf8(server):
    resp = httpx.post(server.endpoint + "/", content=b"Action=ListUsers&Version=2010-05-08&x=" + b"a" * (1 << 20))
    assert error_of(resp)[:2] == (413, "RequestEntityTooLarge")
    status, code, _ = error_of(post(server, b"Action=ListUsers&Version=2010-05-08&PathPrefix=%2F\xff"))
    assert code == "MalformedQueryString" and status < 500


def _unimplemented() -> list:
    from iamd.protocol.model import catalog
    from iamd.service.registry import load_handlers
    handlers = load_handlers()
    return [op for name, op in sorted(catalog().by_name.items()) if name not in handlers]


def test_unimplemented_operations_answer_501_never_500(server):
    ops = _unimplemented()
    if not ops:
        pytest.skip("every operation of the model is implemented")
    for op in ops:
        resp = post(server, f"Action={op.name}&Version={op.version}".encode())
        status, code, message = error_of(resp)
        required = op.input_shape is not None and op.input_shape.required_members
        if (status, code) == (501, "NotImplemented"):
            assert op.name in message
        else:  # the input is validated first; a call missing required members is refused
            assert required and (status, code) == (400, "ValidationError"), (op.name, status, code, message)


def test_botocore_parses_not_implemented(server):
    from botocore import xform_name
    ops = [op for op in _unimplemented() if op.input_shape is None or not op.input_shape.required_members]
    if not ops:
        pytest.skip("no unimplemented operation without required input is left")
    op = ops[0]
    client = server.client(op.service)
    with pytest.raises(ClientError) as e:
        getattr(client, xform_name(op.name))()
    assert e.value.response["Error"]["Code"] == "NotImplemented"
    assert op.name in e.value.response["Error"]["Message"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


# -- graceful shutdown ------------------------------------------------------------------------

@pytest.mark.parametrize("engine, workers", [(e, 1) for e in ENGINES] + [(ENGINES[0], 2)])
def test_sigterm_finishes_the_request_in_flight_and_exits_zero(server_factory, engine, workers):
    srv = server_factory(engine, extra_args=["--workers", str(workers), "--no-access-log"]).start()
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    _, headers, _ = srv.sign(body)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "content-length")
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(f"POST / HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
    time.sleep(0.3)  # the request is in: headers read, body on its way
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.7)
    assert srv.proc.poll() is None, "exited with a request in flight"
    if workers == 1:  # no new connections meanwhile (with workers, the supervisor holds the socket)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
    sock.sendall(body[10:])
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    sock.close()
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
    assert f"<Account>{srv.account_id}</Account>".encode() in reply
    assert srv.proc.wait(15) == 0
    assert "Traceback" not in srv.log_path.read_text()


@pytest.mark.skipif("postgresql" not in ENGINES, reason="needs PostgreSQL")
def test_database_outage_is_503_and_the_server_stays_up(server_factory):
    from conftest import pg_drop_database
    srv = server_factory("postgresql", extra_args=["--no-access-log"]).start()
    iam = srv.client("iam")
    iam.list_users()
    pg_drop_database(srv.database_url)  # terminates the server's connections, too
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert e.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert httpx.get(srv.endpoint + "/health").status_code == 200


def test_workers_exit_with_a_killed_supervisor(server_factory):
    srv = server_factory(ENGINES[0], extra_args=["--workers", "2", "--no-access-log"]).start()
    srv.stop("kill")  # SIGKILL: the supervisor cannot pass anything on
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", srv.port), timeout=0.5).close()
        except OSError:
            return  # nobody holds the port any more
        time.sleep(0.1)
    raise AssertionError("workers outlived their supervisor and still hold the port")
