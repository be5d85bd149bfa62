"""Server certificates (per account, unique by lowercased name) and X.509 signing
certificates (per user; NULL user_id is the account's root)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .casefold import fold
from .paging import page
from .schema.credentials import server_certificates, signing_certificates


def lock_account(tx, account_id: str) -> None:
    """Serialize account-wide quota checks (a no-op on SQLite, whose writers serialize)."""
    tx.lock_account(account_id)


class ServerCertificateRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, **values) -> bool:
        """Insert; False when the name is taken (case-insensitively)."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(server_certificates).values(
                    account_id=self.account_id, name_lower=fold(values["name"]), **values))
        except IntegrityError:
            return False
        return True

    def get(self, name: str):
        c = server_certificates.c
        return self.tx.execute(select(server_certificates).where(
            c.account_id == self.account_id, c.name_lower == fold(name))).first()

    def count(self) -> int:
        c = server_certificates.c
        return self.tx.execute(select(func.count()).select_from(server_certificates)
                               .where(c.account_id == self.account_id)).scalar()

    def list(self, path_prefix: str | None, marker: str | None, max_items: int | None):
        c = server_certificates.c
        stmt = select(c.certificate_id, c.name, c.path, c.uploaded_at, c.expires_at, c.name_lower) \
            .where(c.account_id == self.account_id)
        if path_prefix and path_prefix != "/":
            stmt = stmt.where(c.path.startswith(path_prefix, autoescape=True))
        return page(self.tx, stmt, [c.name_lower], marker, max_items)

    def update(self, certificate_id: str, **values) -> bool:
        if "name" in values:
            values["name_lower"] = fold(values["name"])
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(update(server_certificates)
                                .where(server_certificates.c.certificate_id == certificate_id)
                                .values(**values))
        except IntegrityError:
            return False
        return True

    def delete(self, certificate_id: str) -> None:
        self.tx.execute(delete(server_certificates)
                        .where(server_certificates.c.certificate_id == certificate_id))


def _owner(user_id: str | None):
    c = signing_certificates.c
    return c.user_id == user_id if user_id else c.user_id.is_(None)


class SigningCertificateRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, certificate_id: str, user_id: str | None, body: str, fingerprint: str,
               uploaded_at: float) -> None:
        self.tx.execute(insert(signing_certificates).values(
            certificate_id=certificate_id, account_id=self.account_id, user_id=user_id, body=body,
            fingerprint=fingerprint, status="Active", uploaded_at=uploaded_at))

    def by_fingerprint(self, fingerprint: str):
        c = signing_certificates.c
        return self.tx.execute(select(c.certificate_id, c.user_id).where(
            c.account_id == self.account_id, c.fingerprint == fingerprint)).first()

    def get(self, user_id: str | None, certificate_id: str):
        c = signing_certificates.c
        return self.tx.execute(select(signing_certificates).where(
            c.account_id == self.account_id, c.certificate_id == certificate_id, _owner(user_id))).first()

    def count_for_user(self, user_id: str | None) -> int:
        c = signing_certificates.c
        return self.tx.execute(select(func.count()).select_from(signing_certificates).where(
            c.account_id == self.account_id, _owner(user_id))).scalar()

    def list(self, user_id: str | None, marker: str | None, max_items: int | None):
        c = signing_certificates.c
        stmt = select(signing_certificates).where(c.account_id == self.account_id, _owner(user_id))
        return page(self.tx, stmt, [c.uploaded_at, c.certificate_id], marker, max_items)

    def set_status(self, certificate_id: str, status: str) -> None:
        self.tx.execute(update(signing_certificates)
                        .where(signing_certificates.c.certificate_id == certificate_id)
                        .values(status=status))

    def delete(self, certificate_id: str) -> None:
        self.tx.execute(delete(signing_certificates)
                        .where(signing_certificates.c.certificate_id == certificate_id))


def signing_certificates_by_user(tx, account_id: str) -> dict[str | None, list[tuple[bool, float]]]:
    """Every signing certificate of the account in one query, for the credential report:
    {user_id (None for root): [(active, uploaded_at), ...] oldest first}."""
    c = signing_certificates.c
    out: dict[str | None, list[tuple[bool, float]]] = defaultdict(list)
    for r in tx.execute(select(c.user_id, c.status, c.uploaded_at)
                        .where(c.account_id == account_id)
                        .order_by(c.uploaded_at, c.certificate_id)):
        out[r.user_id].append((r.status == "Active", r.uploaded_at))
    return dict(out)
