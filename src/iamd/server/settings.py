"""Server settings, passed from `iamd serve` to worker processes through the environment."""

import json
import os
from dataclasses import asdict, dataclass
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
    audit: bool = True  # the audit trail (server/audit.py)
    audit_dir: str | None = None  # where CloudTrail files are delivered
    audit_retention_days: int = 90  # 0: keep records forever

    @property
    def enforce(self) -> bool:
        return self.auth == "enforce"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    def export(self) -> None:
        os.environ[ENV] = json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> "Settings":
        raw = os.environ.get(ENV)
        return cls(**json.loads(raw)) if raw else cls()
