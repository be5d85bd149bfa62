"""The outbound issuer's state and signing keys, per account (schema/issuer.py)."""

from __future__ import annotations

from sqlalchemy import insert, or_, select, update

from .schema.issuer import issuer_keys, outbound_issuers


class IssuerRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def get(self, lock: bool = False):
        stmt = select(outbound_issuers).where(outbound_issuers.c.account_id == self.account_id)
        return self.tx.execute(self.tx.for_update(stmt) if lock else stmt).first()

    def set(self, issuer_id: str, enabled: bool, now: float) -> None:
        values = {"issuer_id": issuer_id, "enabled": enabled, "changed_at": now}
        if self.get() is None:
            self.tx.execute(insert(outbound_issuers).values(account_id=self.account_id, **values))
        else:
            self.tx.execute(update(outbound_issuers).where(outbound_issuers.c.account_id == self.account_id)
                            .values(**values))

    def current_key(self, algorithm: str):
        c = issuer_keys.c
        return self.tx.execute(select(issuer_keys).where(
            c.account_id == self.account_id, c.algorithm == algorithm, c.retired_at.is_(None))
            .order_by(c.created_at.desc())).first()

    def add_key(self, kid: str, algorithm: str, private_key: str, now: float) -> None:
        c = issuer_keys.c
        self.tx.execute(update(issuer_keys).where(c.account_id == self.account_id, c.algorithm == algorithm,
                                                  c.retired_at.is_(None)).values(retired_at=now))
        self.tx.execute(insert(issuer_keys).values(kid=kid, account_id=self.account_id, algorithm=algorithm,
                                                   private_key=private_key, created_at=now))

    def published(self, retired_since: float):
        """Current keys and those retired after `retired_since`, oldest first."""
        c = issuer_keys.c
        return self.tx.execute(select(issuer_keys).where(
            c.account_id == self.account_id, or_(c.retired_at.is_(None), c.retired_at > retired_since))
            .order_by(c.created_at)).all()


def account_of_issuer(tx, issuer_id: str) -> str | None:
    return tx.execute(select(outbound_issuers.c.account_id).where(
        outbound_issuers.c.issuer_id == issuer_id, outbound_issuers.c.enabled.is_(True))).scalar()
