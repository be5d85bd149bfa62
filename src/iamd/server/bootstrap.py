"""First start: migrate the schema, create the account and its root access key.

The root key comes from IAMD_ROOT_ACCESS_KEY_ID / IAMD_ROOT_SECRET_ACCESS_KEY when set;
otherwise it is generated once and written to `<data-dir>/credentials` (0600, AWS shared
credentials format) so that `AWS_SHARED_CREDENTIALS_FILE` points boto3 and the CLI at it.
Several processes may start at once on one PostgreSQL database: the account and root-key
step runs under the migrations' advisory lock, so they agree on one account.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from sqlalchemy import insert, select, text, update

from ..service import ids
from ..service.quotas import set_quotas
from ..store.crypto import SecretBox
from ..store.engine import Store
from ..store.keys import AccessKeyRepo
from ..store.migrations import _LOCK_ID as LOCK_ID
from ..store.schema.core import access_keys, accounts

ROOT_KEY_QUOTA = 2


class BootError(Exception):
    """The server cannot start; the message says what to do."""


@dataclass
class BootInfo:
    account_id: str
    schema_version: int
    credentials_path: Path | None
    root_key_source: str


def _write_credentials(path: Path, key_id: str, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    os.replace(tmp, path)


def _lock(tx) -> None:
    """Serialize first starts (SQLite write transactions already are)."""
    if tx.dialect == "postgresql":
        tx.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_ID})


def _decrypt(box: SecretBox, secret: str) -> str:
    try:
        return box.decrypt(secret)
    except (InvalidTag, ValueError):
        raise BootError("the master key does not decrypt the secrets in this database: start with "
                        "the master key it was created with (IAMD_MASTER_KEY or "
                        "<data-dir>/master.key)") from None


def ensure_account(tx, account_id: str | None) -> str:
    """The account the server hosts: the one asked for, else the one stored, else a new one."""
    existing = tx.execute(select(accounts.c.account_id).order_by(accounts.c.created_at)).scalars().all()
    wanted = account_id or (existing[0] if existing else ids.account_id())
    if wanted not in existing:
        tx.execute(insert(accounts).values(account_id=wanted, created_at=time.time(), settings="{}"))
    return wanted


def _env_root_key(tx, box: SecretBox, account_id: str, key_id: str, secret: str) -> None:
    if not (key_id.isascii() and key_id.isalnum() and 16 <= len(key_id) <= 128):
        raise BootError("IAMD_ROOT_ACCESS_KEY_ID must be 16 to 128 letters and digits")
    row = tx.execute(select(access_keys).where(access_keys.c.access_key_id == key_id)).first()
    if row is None:
        AccessKeyRepo(tx, account_id).create(key_id, None, box.encrypt(secret), time.time())
    elif _decrypt(box, row.secret) != secret or row.user_id is not None or row.account_id != account_id \
            or row.status != "Active":
        tx.execute(update(access_keys).where(access_keys.c.access_key_id == key_id)
                   .values(secret=box.encrypt(secret), user_id=None, account_id=account_id,
                           status="Active"))


def _file_root_key(tx, box: SecretBox, account_id: str, path: Path) -> tuple[Path | None, str]:
    keys = AccessKeyRepo(tx, account_id).for_user(None)
    written = path.read_text() if path.exists() else ""
    if any(k.access_key_id in written for k in keys):
        return path, str(path)
    if len(keys) >= ROOT_KEY_QUOTA:
        return None, (f"not written: the account already has {ROOT_KEY_QUOTA} root access keys "
                      f"(set IAMD_ROOT_ACCESS_KEY_ID and IAMD_ROOT_SECRET_ACCESS_KEY to use one)")
    key_id, secret = ids.access_key_id(account_id), ids.secret_access_key()
    AccessKeyRepo(tx, account_id).create(key_id, None, box.encrypt(secret), time.time())
    # written once the key is committed, so the file never names a key that is not there
    tx.after_commit.append(lambda: _write_credentials(path, key_id, secret))
    return path, str(path)


def bootstrap(store: Store, box: SecretBox, account_id: str | None, data_dir: Path,
              quotas: dict[str, int] | None = None) -> BootInfo:
    version = store.migrate()
    env_id = os.environ.get("IAMD_ROOT_ACCESS_KEY_ID")
    env_secret = os.environ.get("IAMD_ROOT_SECRET_ACCESS_KEY")

    def run(tx):
        _lock(tx)
        acct = ensure_account(tx, account_id)
        if quotas:
            set_quotas(tx, acct, quotas)
        sample = tx.execute(select(access_keys.c.secret).limit(1)).scalar()
        if sample is not None:
            _decrypt(box, sample)  # refuse to start rather than answer 500 to every caller
        if env_id and env_secret:
            _env_root_key(tx, box, acct, env_id, env_secret)
            return acct, None, "environment (IAMD_ROOT_ACCESS_KEY_ID)"
        return (acct, *_file_root_key(tx, box, acct, data_dir / "credentials"))
    acct, path, source = store.run(run)
    from ..store.policy_catalog import ensure_shipped
    ensure_shipped(store)  # the shipped AWS managed policies; idempotent, one SELECT if loaded
    return BootInfo(acct, version, path, source)
