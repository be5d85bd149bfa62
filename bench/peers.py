"""Start and stop the servers compared in one run: iamd, moto's server, the reference app."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
SERVER_CPU = os.environ.get("BENCH_SERVER_CPU", "1")
BENCH_QUOTAS = ("UsersQuota=1000000", "GroupsQuota=1000000", "RolesQuota=1000000",
                "PoliciesQuota=1000000", "InstanceProfilesQuota=1000000")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pinned(cmd: list[str]) -> list[str]:
    return (["taskset", "-c", SERVER_CPU] + cmd) if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else cmd


def _wait(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{proc.args} did not start")


@dataclass
class Peer:
    name: str
    port: int
    key: str
    secret: str
    proc: subprocess.Popen
    tmp: Path
    extra: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far (Linux; 0 elsewhere):
        on a shared machine, requests per CPU-second compare runs that req/s cannot."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def scheduled(self) -> tuple[float, float]:
        """(seconds on a CPU, seconds runnable but waiting for one) of the server's threads
        so far, in nanoseconds' precision (Linux /proc/<pid>/task/*/schedstat; the first
        falls back to `cpu_seconds` and the second to 0 where that is missing). The wait is
        what other load on the machine added to the wall time."""
        run = wait = 0
        tasks = list(Path(f"/proc/{self.proc.pid}/task").glob("*/schedstat"))
        for f in tasks:
            try:
                on_cpu, queued, _ = f.read_text().split()
            except (OSError, ValueError):
                continue
            run, wait = run + int(on_cpu), wait + int(queued)
        if not tasks:
            return self.cpu_seconds(), 0.0
        return run / 1e9, wait / 1e9

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def start_iamd(database_url: str | None = None, access_log: bool = True, workers: int = 1,
               audit: bool = True, data: Path | None = None, src: Path | None = None) -> Peer:
    """iamd on a fresh data directory, or on a copy of `data` (a kept store: the same
    account and entities for runs of different code); with `src`, the `iamd` package
    imported from that directory instead (another version of the code)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-iamd-"))
    if data is not None:
        shutil.copytree(data, tmp / "data")
    port = free_port()
    log = tmp / "server.log"
    cmd = [str(BIN / "iamd"), "serve", "--port", str(port), "--data-dir", str(tmp / "data"),
           "--workers", str(workers)]
    if database_url:
        cmd += ["--database-url", database_url]
    if not access_log:
        cmd.append("--no-access-log")
    if not audit:
        cmd.append("--no-audit")
    for q in BENCH_QUOTAS:  # the account scenarios go past AWS's default quotas
        cmd += ["--quota", q]
    env = None
    if src is not None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(_pinned(cmd), stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env)
    _wait(port, proc, log)
    creds = (tmp / "data" / "credentials").read_text().splitlines()
    key = next(l.split("=", 1)[1].strip() for l in creds if l.startswith("aws_access_key_id"))
    secret = next(l.split("=", 1)[1].strip() for l in creds if l.startswith("aws_secret_access_key"))
    return Peer("iamd" if src is None else src.name, port, key, secret, proc, tmp)


def start_moto() -> Peer:
    tmp = Path(tempfile.mkdtemp(prefix="bench-moto-"))
    port = free_port()
    log = tmp / "server.log"
    exe = shutil.which("moto_server") or str(BIN / "moto_server")
    proc = subprocess.Popen(_pinned([exe, "-p", str(port)]), stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    _wait(port, proc, log)
    return Peer("moto", port, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", proc, tmp)


def start_reference() -> Peer:
    tmp = Path(tempfile.mkdtemp(prefix="bench-ref-"))
    port = free_port()
    log = tmp / "server.log"
    secret = "r" * 40
    env = {**os.environ, "REF_SECRET": secret,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [str(BIN / "uvicorn"), "bench.reference_app:app", "--port", str(port), "--loop", "uvloop",
           "--http", "httptools", "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(_pinned(cmd), stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,
                            cwd=str(Path(__file__).resolve().parents[1]))
    _wait(port, proc, log)
    return Peer("reference", port, "AKIAREFERENCEEXAMPLE", secret, proc, tmp)
