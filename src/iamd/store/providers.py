"""Identity providers: SAML 2.0 and OpenID Connect, each keyed by its ARN.

SAML providers keep their metadata as uploaded plus a JSON `settings` (UUID, assertion
encryption mode, encrypted private keys); OIDC providers keep their client ids and
thumbprints as JSON lists in the order they were given.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .schema.providers import oidc_providers, saml_providers


class _ByArn:
    table = None

    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def _insert(self, **values) -> bool:
        """Insert; False when the ARN (or name) is taken."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(self.table).values(account_id=self.account_id, **values))
        except IntegrityError:
            return False
        return True

    def get(self, arn: str, lock: bool = False):
        c = self.table.c
        stmt = select(self.table).where(c.account_id == self.account_id, c.arn == arn)
        if lock:
            stmt = self.tx.for_update(stmt)
        return self.tx.execute(stmt).first()

    def count(self) -> int:
        return self.tx.execute(select(func.count()).select_from(self.table)
                               .where(self.table.c.account_id == self.account_id)).scalar()

    def list(self):
        c = self.table.c
        return self.tx.execute(select(self.table).where(c.account_id == self.account_id)
                               .order_by(c.arn)).all()

    def update(self, arn: str, **values) -> None:
        self.tx.execute(update(self.table).where(self.table.c.arn == arn).values(**values))

    def delete(self, arn: str) -> None:
        self.tx.execute(delete(self.table).where(self.table.c.arn == arn))


class SamlProviderRepo(_ByArn):
    table = saml_providers

    def create(self, arn: str, name: str, document: str, created_at: float, valid_until: float,
               settings: dict) -> bool:
        return self._insert(arn=arn, name=name, metadata_document=document, created_at=created_at,
                            valid_until=valid_until, settings=json.dumps(settings))


class OidcProviderRepo(_ByArn):
    table = oidc_providers

    def create(self, arn: str, url: str, client_ids: list[str], thumbprints: list[str],
               created_at: float) -> bool:
        return self._insert(arn=arn, url=url, client_ids=json.dumps(client_ids),
                            thumbprints=json.dumps(thumbprints), created_at=created_at)

    def set_lists(self, arn: str, client_ids: list[str] | None = None,
                  thumbprints: list[str] | None = None) -> None:
        values = {}
        if client_ids is not None:
            values["client_ids"] = json.dumps(client_ids)
        if thumbprints is not None:
            values["thumbprints"] = json.dumps(thumbprints)
        self.update(arn, **values)
