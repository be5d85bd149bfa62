"""Attachments of managed policies to users, groups and roles, and the reverse lookup.

One row per (policy, entity); the entity is named by type and unique id, so renames and
moves need no rewrite. ListEntitiesForPolicy reads attachments (permissions policies) or
the users'/roles' permissions_boundary column (boundaries) as one ordered union.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, bindparam, delete, exists, func, literal_column, select, union_all

from .fastq import Query, insert_new
from .paging import page
from .schema.core import users
from .schema.entities import groups, roles
from .schema.policies import managed_policies as mp
from .schema.policies import policy_attachments as pa

_KEY = (pa.c.policy_id == bindparam("policy_id"), pa.c.entity_type == bindparam("entity_type"),
        pa.c.entity_id == bindparam("entity_id"))
_ATTACH = insert_new(pa, "policy_id entity_type entity_id account_id attached_at")
_IS_ATTACHED = Query(select(pa.c.policy_id).where(*_KEY))
_COUNT_FOR = Query(select(func.count()).select_from(pa).where(pa.c.entity_type == bindparam("entity_type"),
                                                              pa.c.entity_id == bindparam("entity_id")))

# entity_type -> (table, id column, list order in ListEntitiesForPolicy)
ENTITIES = {
    "group": (groups, groups.c.group_id, 0),
    "user": (users, users.c.user_id, 1),
    "role": (roles, roles.c.role_id, 2),
}


class AttachmentRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def attach(self, policy_id: str, entity_type: str, entity_id: str, now: float) -> bool:
        """False when the policy was already attached (AWS answers success either way)."""
        return _ATTACH.run(self.tx, policy_id=policy_id, entity_type=entity_type, entity_id=entity_id,
                           account_id=self.account_id, attached_at=now) == 1

    def detach(self, policy_id: str, entity_type: str, entity_id: str) -> bool:
        return self.tx.execute(delete(pa).where(
            pa.c.policy_id == policy_id, pa.c.entity_type == entity_type,
            pa.c.entity_id == entity_id)).rowcount > 0

    def is_attached(self, policy_id: str, entity_type: str, entity_id: str) -> bool:
        return _IS_ATTACHED.one(self.tx, policy_id=policy_id, entity_type=entity_type,
                                entity_id=entity_id) is not None

    def count_for(self, entity_type: str, entity_id: str) -> int:
        return _COUNT_FOR.scalar(self.tx, entity_type=entity_type, entity_id=entity_id)

    def any_for(self, entity_type: str, entity_id: str) -> bool:
        return self.tx.execute(select(exists().where(
            pa.c.entity_type == entity_type, pa.c.entity_id == entity_id))).scalar()

    def list_for(self, entity_type: str, entity_id: str, path_prefix: str | None,
                 marker: str | None, max_items: int | None):
        """The policies attached to one entity, as (name, arn, …) rows ordered by name."""
        stmt = (select(mp.c.name, mp.c.arn, mp.c.name_lower, mp.c.policy_id)
                .select_from(pa.join(mp, pa.c.policy_id == mp.c.policy_id))
                .where(pa.c.entity_type == entity_type, pa.c.entity_id == entity_id))
        if path_prefix and path_prefix != "/":
            stmt = stmt.where(mp.c.path.startswith(path_prefix, autoescape=True))
        return page(self.tx, stmt, [mp.c.name_lower, mp.c.policy_id], marker, max_items)

    def entities(self, policy, kinds: tuple, boundary: bool, path_prefix: str | None,
                 marker: str | None, max_items: int | None):
        """Entities using `policy`: attached to it, or (boundary) having it as boundary.

        Rows carry kind ("user"/"group"/"role"), entity_id and name.
        """
        parts = []
        for kind in kinds:
            table, id_col, order = ENTITIES[kind]
            if boundary:
                if kind == "group":
                    continue  # groups cannot have a permissions boundary
                where = [table.c.account_id == self.account_id,
                         table.c.permissions_boundary == policy.arn]
                source = table
            else:
                source = pa.join(table, (pa.c.entity_type == kind) & (pa.c.entity_id == id_col))
                where = [pa.c.policy_id == policy.policy_id, pa.c.account_id == self.account_id]
            if path_prefix and path_prefix != "/":
                where.append(table.c.path.startswith(path_prefix, autoescape=True))
            # Constants inlined (not bound) so PostgreSQL can type the union's columns.
            parts.append(select(literal_column(str(order), Integer).label("ord"),
                                literal_column(f"'{kind}'", String).label("kind"),
                                table.c.name_lower.label("name_lower"), id_col.label("entity_id"),
                                table.c.name.label("name")).select_from(source).where(*where))
        if not parts:
            return [], None
        u = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
        return page(self.tx, select(u), [u.c.ord, u.c.name_lower, u.c.entity_id], marker, max_items)
