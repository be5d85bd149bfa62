"""Roles: rows keyed by AROA id, unique per account by lowercased name; SLR deletion tasks."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select, update

from .casefold import fold
from .entity_counts import entity_count
from .fastq import Query, insert_new
from .paging import page
from .schema.entities import roles, slr_deletions
from .schema.policies import inline_policies, policy_attachments

_OPTIONAL = {"description": None, "max_session_duration": 3600, "permissions_boundary": None,
             "service_linked": False}
_INSERT = insert_new(roles, "role_id account_id name name_lower path created_at assume_role_policy "
                            + " ".join(_OPTIONAL))
_GET_BY_ID = Query(select(roles).where(roles.c.role_id == bindparam("role_id")))
_BY_NAME = select(roles).where(roles.c.account_id == bindparam("account_id"),
                               roles.c.name_lower == bindparam("name_lower"))
_GET, _GET_LOCKED = Query(_BY_NAME), Query(_BY_NAME.with_for_update())
_USED = Query(update(roles).where(roles.c.role_id == bindparam("role_id"))  # AssumeRole: RoleLastUsed
              .values(last_used_at=bindparam("at"), last_used_region=bindparam("region")))


class RoleRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, **values) -> bool:
        """Insert a role (column values); False when the name is taken (case-insensitively)."""
        return _INSERT.run(self.tx, **{**_OPTIONAL, **values, "account_id": self.account_id,
                                       "name_lower": fold(values["name"])}) == 1

    def get(self, name: str, lock: bool = False):
        q = _GET_LOCKED if lock and self.tx.dialect == "postgresql" else _GET
        return q.one(self.tx, account_id=self.account_id, name_lower=fold(name))

    def get_by_id(self, role_id: str):
        return _GET_BY_ID.one(self.tx, role_id=role_id)

    def list(self, path_prefix: str | None, marker: str | None, max_items: int | None):
        stmt = select(roles).where(roles.c.account_id == self.account_id)
        if path_prefix and path_prefix != "/":
            stmt = stmt.where(roles.c.path.startswith(path_prefix, autoescape=True))
        return page(self.tx, stmt, [roles.c.name_lower], marker, max_items)

    def count(self, lock: bool = False) -> int:
        """Roles in the account; `lock` first locks the account row so that concurrent
        creators queue behind each other and the RolesPerAccount quota holds exactly."""
        if lock:
            self.tx.lock_account(self.account_id)
        return entity_count(self.tx, self.account_id, roles)

    def used(self, role_id: str, at: float, region: str) -> None:
        """RoleLastUsed: when and in which region the role was last assumed."""
        _USED.run(self.tx, role_id=role_id, at=at, region=region)

    def update(self, role_id: str, **values) -> None:
        self.tx.execute(update(roles).where(roles.c.role_id == role_id).values(**values))

    def delete(self, role_id: str) -> None:
        self.tx.execute(delete(roles).where(roles.c.role_id == role_id))

    def purge_policies(self, role_id: str) -> None:
        """Drop the role's inline policies and managed attachments: a service-linked role
        is deleted by its service together with its permissions, unlike DeleteRole."""
        self.tx.execute(delete(inline_policies).where(
            inline_policies.c.entity_type == "role", inline_policies.c.entity_id == role_id))
        self.tx.execute(delete(policy_attachments).where(
            policy_attachments.c.entity_type == "role", policy_attachments.c.entity_id == role_id))

    # service-linked role deletion tasks

    def add_deletion(self, task_id: str, role_name: str, status: str, created_at: float,
                     reason: str | None = None) -> None:
        self.tx.execute(insert(slr_deletions).values(
            task_id=task_id, account_id=self.account_id, role_name=role_name, status=status,
            reason=reason, created_at=created_at))

    def get_deletion(self, task_id: str):
        return self.tx.execute(select(slr_deletions).where(
            slr_deletions.c.task_id == task_id, slr_deletions.c.account_id == self.account_id)).first()
