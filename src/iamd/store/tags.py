"""Tags of any entity, in one table keyed by (resource type, resource id, normalized key)."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select, update

from .fastq import Query
from .schema.core import tags

_LIST = Query(select(tags.c.key, tags.c.value).where(
    tags.c.resource_type == bindparam("resource_type"),
    tags.c.resource_id == bindparam("resource_id")).order_by(tags.c.key))
_LIST_MANY = Query(select(tags.c.resource_id, tags.c.key, tags.c.value).where(
    tags.c.resource_type == bindparam("resource_type"),
    tags.c.resource_id.in_(bindparam("ids", expanding=True))).order_by(tags.c.resource_id, tags.c.key))


class TagRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def list(self, resource_type: str, resource_id: str) -> list[tuple[str, str]]:
        return [(r.key, r.value) for r in _LIST.all(self.tx, resource_type=resource_type,
                                                    resource_id=resource_id)]

    def list_many(self, resource_type: str, resource_ids: list[str]) -> dict[str, list[dict]]:
        """Tags of many entities in one query (for list and report outputs)."""
        out: dict[str, list[dict]] = {}
        if not resource_ids:
            return out
        for i in range(0, len(resource_ids), 1000):
            for r in _LIST_MANY.all(self.tx, resource_type=resource_type, ids=resource_ids[i:i + 1000]):
                out.setdefault(r.resource_id, []).append({"Key": r.key, "Value": r.value})
        return out

    def put(self, resource_type: str, resource_id: str, key_norm: str, key: str, value: str) -> None:
        c = tags.c
        found = self.tx.execute(update(tags).where(
            c.resource_type == resource_type, c.resource_id == resource_id, c.key_norm == key_norm)
            .values(key=key, value=value)).rowcount
        if not found:
            self.tx.execute(insert(tags).values(
                resource_type=resource_type, resource_id=resource_id, key_norm=key_norm,
                key=key, value=value, account_id=self.account_id))

    def remove(self, resource_type: str, resource_id: str, key_norms: list[str]) -> None:
        c = tags.c
        self.tx.execute(delete(tags).where(c.resource_type == resource_type,
                                           c.resource_id == resource_id, c.key_norm.in_(key_norms)))

    def remove_all(self, resource_type: str, resource_id: str) -> None:
        c = tags.c
        self.tx.execute(delete(tags).where(c.resource_type == resource_type, c.resource_id == resource_id))

    def rename(self, resource_type: str, old_id: str, new_id: str) -> None:
        c = tags.c
        self.tx.execute(update(tags).where(c.resource_type == resource_type, c.resource_id == old_id)
                        .values(resource_id=new_id))
