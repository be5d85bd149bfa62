"""SSH public keys of users (for CodeCommit): one row per key, keyed by its APKA id."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update

from .paging import page
from .schema.credentials import ssh_public_keys


class SSHKeyRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, key_id: str, user_id: str, body: str, fingerprint: str, uploaded_at: float) -> None:
        self.tx.execute(insert(ssh_public_keys).values(
            key_id=key_id, account_id=self.account_id, user_id=user_id, body=body,
            fingerprint=fingerprint, status="Active", uploaded_at=uploaded_at))

    def get(self, user_id: str, key_id: str):
        c = ssh_public_keys.c
        return self.tx.execute(select(ssh_public_keys).where(
            c.account_id == self.account_id, c.user_id == user_id, c.key_id == key_id)).first()

    def has_fingerprint(self, user_id: str, fingerprint: str) -> bool:
        c = ssh_public_keys.c
        return self.tx.execute(select(c.key_id).where(
            c.user_id == user_id, c.fingerprint == fingerprint)).first() is not None

    def count_for_user(self, user_id: str) -> int:
        c = ssh_public_keys.c
        return self.tx.execute(select(func.count()).select_from(ssh_public_keys)
                               .where(c.user_id == user_id)).scalar()

    def list(self, user_id: str, marker: str | None, max_items: int | None):
        c = ssh_public_keys.c
        stmt = select(c.key_id, c.status, c.uploaded_at).where(c.user_id == user_id)
        return page(self.tx, stmt, [c.uploaded_at, c.key_id], marker, max_items)

    def set_status(self, key_id: str, status: str) -> None:
        self.tx.execute(update(ssh_public_keys).where(ssh_public_keys.c.key_id == key_id)
                        .values(status=status))

    def delete(self, key_id: str) -> None:
        self.tx.execute(delete(ssh_public_keys).where(ssh_public_keys.c.key_id == key_id))
