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
from ..store.files import open_private
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


def _write_credentials(path: Path, key_id: str, secret: str, profile: str = "default") -> None:
    """Write one profile of the credentials file, keeping the others (the server's own root
    key is `default`; `iamd accounts create` adds a profile named after each new account)."""
    profiles = _profiles(path)
    profiles[profile] = (key_id, secret)
    tmp = path.with_suffix(".tmp")
    with open_private(tmp) as f:
        f.write("".join(f"[{name}]\naws_access_key_id = {k}\naws_secret_access_key = {s}\n"
                        for name, (k, s) in profiles.items()))
    os.replace(tmp, path)


def _profiles(path: Path) -> dict[str, tuple[str, str]]:
    """profile -> (access key id, secret) of the credentials file, in file order."""
    out: dict[str, list[str]] = {}
    current = None
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("[") and line.endswith("]"):
                current = out.setdefault(line[1:-1].strip(), ["", ""])
                continue
            name, eq, value = line.partition("=")
            if eq and current is not None and name.strip() in ("aws_access_key_id", "aws_secret_access_key"):
                current[name.strip() == "aws_secret_access_key"] = value.strip()
    return {name: (k, s) for name, (k, s) in out.items()}


def _written_key_id(path: Path) -> str | None:
    """The access key id the credentials file's default profile names, if there is one."""
    return _profiles(path).get("default", (None, None))[0] or None


def check_data_dir(data_dir: Path) -> None:
    """A SQLite store: refuse a data dir whose database is gone but whose key or credentials
    remain; starting would make a new account and overwrite the credentials."""
    db = data_dir / "iamd.db"
    left = [name for name in ("master.key", "credentials") if (data_dir / name).exists()]
    if left and not (db.exists() and db.stat().st_size > 0):
        state = "is empty" if db.exists() else "is missing"
        raise BootError(f"{db} {state} but {' and '.join(left)} from an earlier start remain: restore the "
                        f"database (iamd restore FILE --data-dir {data_dir}) or move the directory aside "
                        f"to start a new account")


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
    """The account the server hosts: the one stored, else the one asked for, else a new one.
    An account id is permanent: asking for another than the store holds is refused."""
    existing = tx.execute(select(accounts.c.account_id).order_by(accounts.c.created_at)).scalars().all()
    if account_id and existing and account_id not in existing:
        raise BootError(f"--account-id {account_id} differs from the account this store holds, "
                        f"{existing[0]}: an account id is permanent (start without --account-id, "
                        f"or with another data dir or database for a new account)")
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
    written = _written_key_id(path)
    if written is not None:
        if any(k.access_key_id == written for k in keys):
            return path, str(path)
        # never overwrite: the file may be the only copy of a key of another store or account
        raise BootError(f"{path} holds access key {written}, which is not a root key of account "
                        f"{account_id} in this store: move the file aside to have a new root key "
                        f"written, or start with the store it belongs to")
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


def add_account(store: Store, box: SecretBox, account_id: str | None, alias: str | None,
                credentials: Path) -> str:
    """Host one more account: its row, its alias, a root access key written as the profile
    named after the account in `credentials`. BootError when the id or alias is taken."""
    from ..store.account import AccountRepo
    store.migrate()

    def run(tx):
        _lock(tx)
        acct = account_id or ids.account_id()
        if tx.execute(select(accounts.c.account_id).where(accounts.c.account_id == acct)).first():
            raise BootError(f"account {acct} already exists in this store")
        tx.execute(insert(accounts).values(account_id=acct, created_at=time.time(), settings="{}"))
        if alias is not None and not AccountRepo(tx, acct).set_alias(alias):
            raise BootError(f"the account alias {alias} is taken")
        key_id, secret = ids.access_key_id(acct), ids.secret_access_key()
        AccessKeyRepo(tx, acct).create(key_id, None, box.encrypt(secret), time.time())
        tx.after_commit.append(lambda: _write_credentials(credentials, key_id, secret, acct))
        return acct
    return store.run(run)


def list_accounts(store: Store) -> list:
    """Every hosted account: (id, alias, created) in creation order."""
    return store.run(lambda tx: tx.execute(select(accounts.c.account_id, accounts.c.alias, accounts.c.created_at)
                                           .order_by(accounts.c.created_at)).all(), write=False)
