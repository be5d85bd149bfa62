"""First start: migrate the schema, create the account and its root access key.

The root key comes from IAMD_ROOT_ACCESS_KEY_ID / IAMD_ROOT_SECRET_ACCESS_KEY when set;
otherwise it is generated once and written to `<data-dir>/credentials` (0600, AWS shared
credentials format) so that `AWS_SHARED_CREDENTIALS_FILE` points boto3 and the CLI at it.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select, update

from ..service import ids
from ..store.crypto import SecretBox
from ..store.engine import Store
from ..store.keys import AccessKeyRepo
from ..store.schema.core import access_keys, accounts


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


def ensure_account(store: Store, box: SecretBox, account_id: str | None) -> str:
    """The account the server hosts: the one asked for, else the one stored, else a new one."""
    def run(tx):
        existing = tx.execute(select(accounts.c.account_id).order_by(accounts.c.created_at)).scalars().all()
        wanted = account_id or (existing[0] if existing else ids.account_id())
        if wanted not in existing:
            tx.execute(insert(accounts).values(account_id=wanted, created_at=time.time(), settings="{}"))
        return wanted
    return store.run(run)


def ensure_root_key(store: Store, box: SecretBox, account_id: str, data_dir: Path) -> tuple[Path | None, str]:
    env_id = os.environ.get("IAMD_ROOT_ACCESS_KEY_ID")
    env_secret = os.environ.get("IAMD_ROOT_SECRET_ACCESS_KEY")
    if env_id and env_secret:
        def put(tx):
            row = tx.execute(select(access_keys).where(access_keys.c.access_key_id == env_id)).first()
            if row is None:
                AccessKeyRepo(tx, account_id).create(env_id, None, box.encrypt(env_secret), time.time())
            elif box.decrypt(row.secret) != env_secret or row.user_id is not None:
                tx.execute(update(access_keys).where(access_keys.c.access_key_id == env_id)
                           .values(secret=box.encrypt(env_secret), user_id=None, account_id=account_id,
                                   status="Active"))
        store.run(put)
        return None, "environment (IAMD_ROOT_ACCESS_KEY_ID)"
    path = data_dir / "credentials"

    def ensure(tx):
        keys = AccessKeyRepo(tx, account_id).for_user(None)
        if path.exists() and any(path.read_text().find(k.access_key_id) >= 0 for k in keys):
            return
        if keys and not path.exists() and len(keys) >= 2:
            return  # the operator manages root keys; do not exceed the quota
        key_id, secret = ids.access_key_id(account_id), ids.secret_access_key()
        AccessKeyRepo(tx, account_id).create(key_id, None, box.encrypt(secret), time.time())
        _write_credentials(path, key_id, secret)
    store.run(ensure)
    return path, str(path)


def bootstrap(store: Store, box: SecretBox, account_id: str | None, data_dir: Path) -> BootInfo:
    version = store.migrate()
    acct = ensure_account(store, box, account_id)
    path, source = ensure_root_key(store, box, acct, data_dir)
    return BootInfo(acct, version, path, source)
