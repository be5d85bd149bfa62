"""Server settings, passed from `iamd serve` to worker processes through the environment."""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

ENV = "IAMD_SETTINGS"


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8777
    data_dir: str = "./iamd-data"
    database_url: str | None = None
    account_id: str | None = None
    auth: str = "enforce"
    workers: int = 1
    access_log: bool = True
    tls: bool = False
    header_timeout: float = 10.0  # seconds to send a request's headers
    body_timeout: float = 30.0  # seconds to send its body, once the headers are in
    keep_alive_timeout: float = 5.0  # seconds a connection may idle between requests
    console: bool = True  # the web console under /console/
    db_timeout: float = 5.0  # seconds: every database wait of a request is bounded by it
    allow_http_issuers: list = field(default_factory=list)  # OIDC issuers reachable over plain HTTP
    public_url: str | None = None  # how clients reach iamd: the base of its own issuer URLs
    audit: bool = True  # the audit trail (server/audit.py)
    audit_dir: str | None = None  # where CloudTrail files are delivered
    audit_retention_days: int = 90  # 0: keep records forever

    @property
    def enforce(self) -> bool:
        return self.auth == "enforce"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    def export(self) -> None:
        os.environ[ENV] = json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> "Settings":
        raw = os.environ.get(ENV)
        return cls(**json.loads(raw)) if raw else cls()
