"""Inline policies: documents embedded in one user, group or role, unique by name there."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, exists, insert, select, update

from .fastq import Query
from .paging import page
from .schema.policies import inline_policies as ip


_WHERE = (ip.c.entity_type == bindparam("entity_type"), ip.c.entity_id == bindparam("entity_id"))
_REPLACE = Query(update(ip).where(*_WHERE, ip.c.name == bindparam("name")).values(document=bindparam("document")))
_INSERT = Query(insert(ip).values({c: bindparam(c) for c in
                                   ("entity_type", "entity_id", "name", "account_id", "document", "created_at")}))
_DOCUMENTS = Query(select(ip.c.name, ip.c.document).where(*_WHERE))


class InlinePolicyRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def _key(self, entity_type: str, entity_id: str):
        return (ip.c.entity_type == entity_type, ip.c.entity_id == entity_id)

    def put(self, entity_type: str, entity_id: str, name: str, document: str, now: float) -> None:
        """Create or overwrite (PutXPolicy with an existing name replaces the document)."""
        key = {"entity_type": entity_type, "entity_id": entity_id, "name": name, "document": document}
        if not _REPLACE.run(self.tx, **key):
            _INSERT.run(self.tx, **key, account_id=self.account_id, created_at=now)

    def get(self, entity_type: str, entity_id: str, name: str):
        return self.tx.execute(select(ip).where(*self._key(entity_type, entity_id),
                                                ip.c.name == name)).first()

    def delete(self, entity_type: str, entity_id: str, name: str) -> bool:
        return self.tx.execute(delete(ip).where(*self._key(entity_type, entity_id),
                                                ip.c.name == name)).rowcount > 0

    def documents(self, entity_type: str, entity_id: str) -> list:
        """(name, document) of every inline policy of the entity, for the aggregate quota."""
        return _DOCUMENTS.all(self.tx, entity_type=entity_type, entity_id=entity_id)

    def names(self, entity_type: str, entity_id: str, marker: str | None, max_items: int | None):
        stmt = select(ip.c.name).where(*self._key(entity_type, entity_id))
        return page(self.tx, stmt, [ip.c.name], marker, max_items)

    def any_for(self, entity_type: str, entity_id: str) -> bool:
        return self.tx.execute(select(exists().where(*self._key(entity_type, entity_id)))).scalar()
