"""Shared fixtures: a real iamd server over HTTP, on SQLite and on PostgreSQL.

Every end-to-end test runs once per engine (`IAMD_TEST_ENGINES=sqlite` narrows it). The
server is a subprocess started with `iamd serve`, one per engine for the whole session;
tests make their own uniquely named entities so they do not step on each other.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ENGINES = os.environ.get("IAMD_TEST_ENGINES", "sqlite,postgresql").split(",")
PG_ADMIN_URL = os.environ.get("IAMD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# ../shared (beside the checkout) holds data that is not part of the repository; a fresh
# clone has none, and tests that need it skip. IAMD_TEST_SHARED points elsewhere (a path
# that does not exist shows what a fresh clone sees).
SHARED = Path(os.environ.get("IAMD_TEST_SHARED") or Path(__file__).resolve().parents[2] / "shared")


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip with a one-line reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path}: ../shared is not part of the repository and is absent here")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_create_database() -> str:
    import psycopg
    name = f"iamd_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def pg_drop_database(url: str) -> None:
    import psycopg
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    """A running iamd: its endpoint, root credentials and how to get clients."""

    engine: str
    data_dir: Path
    port: int
    database_url: str | None = None
    extra_args: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    launcher: list = field(default_factory=list)  # a command that runs iamd's (e.g. unshare)
    proc: subprocess.Popen | None = None
    account_id: str = ""
    access_key: str = ""
    secret_key: str = ""
    log_path: Path | None = None
    tls_ca: Path | None = None  # started with --tls-cert: clients use https and trust this

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls_ca else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "Server":
        cmd = [*self.launcher, sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(self.port),
               "--data-dir", str(self.data_dir), *self.extra_args]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        log = open(self.log_path, "ab")
        env = {**os.environ, **self.env}
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"iamd exited: {self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"iamd did not start: {self.log_path.read_text()}")
        creds = (self.data_dir / "credentials")
        if creds.exists() and not self.access_key:
            for line in creds.read_text().splitlines():
                if line.startswith("aws_access_key_id"):
                    self.access_key = line.split("=", 1)[1].strip()
                if line.startswith("aws_secret_access_key"):
                    self.secret_key = line.split("=", 1)[1].strip()
        if not self.account_id:
            self.account_id = self.client("sts").get_caller_identity()["Account"]
        return self

    def stop(self, sig: str = "term") -> None:
        if self.proc and self.proc.poll() is None:
            if sig == "kill":
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def client(self, service: str = "iam", key: str | None = None, secret: str | None = None,
               region: str = "us-east-1", retries: int = 0, validate: bool = True):
        """`validate=False` leaves input validation to the server (botocore checks min/max first)."""
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=region, verify=self._verify,
            aws_access_key_id=key or self.access_key, aws_secret_access_key=secret or self.secret_key,
            config=Config(retries={"max_attempts": retries, "mode": "standard"} if retries else {"max_attempts": 1},
                          parameter_validation=validate))

    @property
    def _verify(self):
        return str(self.tls_ca) if self.tls_ca else None

    def resource(self, key: str | None = None, secret: str | None = None):
        return boto3.resource("iam", endpoint_url=self.endpoint, region_name="us-east-1", verify=self._verify,
                              aws_access_key_id=key or self.access_key,
                              aws_secret_access_key=secret or self.secret_key)

    def sign(self, body: bytes = b"Action=ListUsers&Version=2010-05-08", *, service: str | None = None,
             region: str = "us-east-1", key: str | None = None, secret: str | None = None,
             method: str = "POST", query: str = "", at: datetime | None = None,
             headers: dict | None = None) -> tuple[str, dict, bytes]:
        """(url, headers, body) of a form request signed exactly as botocore signs it, for
        sending raw. `service` defaults to the one whose API version the body names; `at`
        signs as if the clock said so."""
        url = f"{self.endpoint}/" + (f"?{query}" if query else "")
        req = AWSRequest(method=method, url=url, data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Host": urlsplit(self.endpoint).netloc, **(headers or {})})
        service = service or ("sts" if b"Version=2011-06-15" in body else "iam")
        auth = SigV4Auth(Credentials(key or self.access_key, secret or self.secret_key), service, region)
        if at is None:
            auth.add_auth(req)
        else:
            with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
                auth.add_auth(req)
        return url, dict(req.headers.items()), body

    def env_for_clients(self) -> dict:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_DEFAULT_REGION": "us-east-1"}


def make_server(tmp: Path, engine: str, **kw) -> Server:
    url = pg_create_database() if engine == "postgresql" else None
    port = free_port()
    return Server(engine, tmp / f"data-{engine}-{port}", port, url, **kw)


def discard_server(server: Server) -> None:
    server.stop()
    if server.database_url:
        pg_drop_database(server.database_url)


@pytest.fixture(scope="session", params=ENGINES)
def server(request, tmp_path_factory):
    """One running iamd per engine for the session."""
    srv = make_server(tmp_path_factory.mktemp("iamd"), request.param, extra_args=["--no-access-log"])
    srv.start()
    yield srv
    discard_server(srv)


@pytest.fixture(scope="session")
def server_factory(tmp_path_factory):
    """Start extra servers (own data dir / database) for tests that restart or kill them."""
    made = []

    def make(engine: str, **kw) -> Server:
        srv = make_server(tmp_path_factory.mktemp("iamd-extra"), engine, **kw)
        made.append(srv)
        return srv
    yield make
    for srv in made:
        discard_server(srv)


@pytest.fixture(scope="module")
def own_server(server, server_factory):
    """An iamd of the module's own on the session server's engine, for account-wide state
    (password policy, alias, credential report) and for filling an account in bulk."""
    return server_factory(server.engine, extra_args=["--no-access-log"]).start()


@pytest.fixture
def store(tmp_path):
    """A migrated SQLite store of the test's own (unit tests of the store)."""
    from iamd.store.engine import Store
    s = Store(None, tmp_path)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def iam(server):
    return server.client("iam")


@pytest.fixture
def unchecked_iam(server):
    """An IAM client that sends what botocore would refuse, so the server's checks are seen."""
    return server.client("iam", validate=False)


@pytest.fixture
def sts(server):
    return server.client("sts")


@pytest.fixture
def name():
    """A fresh entity name per call: name('user') -> 'user-3f9a1c2b'."""
    return lambda prefix="t": f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def user(iam, name):
    """Create a fresh user: user() -> its name."""
    def make(prefix: str = "u") -> str:
        n = name(prefix)
        iam.create_user(UserName=n)
        return n
    return make


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared; the test skips when it is absent (a fresh clone)."""
    return shared_path()
