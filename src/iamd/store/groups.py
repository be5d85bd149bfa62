"""Groups and their members: groups keyed by AGPA id, unique per account by lowercased name."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .casefold import fold
from .entity_counts import entity_count
from .fastq import Query, insert_new
from .paging import page
from .schema.core import users
from .schema.entities import group_members, groups

_INSERT = insert_new(groups, "group_id account_id name name_lower path created_at")
_GET_BY_ID = Query(select(groups).where(groups.c.group_id == bindparam("group_id")))
_BY_NAME = select(groups).where(groups.c.account_id == bindparam("account_id"),
                                groups.c.name_lower == bindparam("name_lower"))
_GET, _GET_LOCKED = Query(_BY_NAME), Query(_BY_NAME.with_for_update())
_gm = group_members.c
_ADD_MEMBER = insert_new(group_members, "group_id user_id added_at")
_IS_MEMBER = Query(select(_gm.user_id).where(_gm.group_id == bindparam("group_id"), _gm.user_id == bindparam("user_id")))
_COUNT_FOR_USER = Query(select(func.count()).select_from(group_members).where(_gm.user_id == bindparam("user_id")))


class GroupRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, group_id: str, name: str, path: str, created_at: float) -> bool:
        """Insert; False when the name is taken (case-insensitively)."""
        return _INSERT.run(self.tx, group_id=group_id, account_id=self.account_id, name=name,
                           name_lower=fold(name), path=path, created_at=created_at) == 1

    def get(self, name: str, lock: bool = False):
        q = _GET_LOCKED if lock and self.tx.dialect == "postgresql" else _GET
        return q.one(self.tx, account_id=self.account_id, name_lower=fold(name))

    def get_by_id(self, group_id: str):
        return _GET_BY_ID.one(self.tx, group_id=group_id)

    def list(self, path_prefix: str | None, marker: str | None, max_items: int | None):
        stmt = select(groups).where(groups.c.account_id == self.account_id)
        if path_prefix and path_prefix != "/":
            stmt = stmt.where(groups.c.path.startswith(path_prefix, autoescape=True))
        return page(self.tx, stmt, [groups.c.name_lower], marker, max_items)

    def count(self, lock: bool = False) -> int:
        """Groups in the account; `lock` first locks the account row so that concurrent
        creators queue behind each other and the GroupsPerAccount quota holds exactly."""
        if lock:
            self.tx.lock_account(self.account_id)
        return entity_count(self.tx, self.account_id, groups)

    def update(self, group_id: str, **values) -> bool:
        """Rename and/or move; False when the new name is taken."""
        if "name" in values:
            values["name_lower"] = fold(values["name"])
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(update(groups).where(groups.c.group_id == group_id).values(**values))
        except IntegrityError:
            return False
        return True

    def delete(self, group_id: str) -> None:
        self.tx.execute(delete(groups).where(groups.c.group_id == group_id))

    # membership

    def add_member(self, group_id: str, user_id: str, added_at: float) -> bool:
        """Add; False when the user already is a member."""
        return _ADD_MEMBER.run(self.tx, group_id=group_id, user_id=user_id, added_at=added_at) == 1

    def remove_member(self, group_id: str, user_id: str) -> bool:
        return bool(self.tx.execute(delete(group_members).where(
            group_members.c.group_id == group_id, group_members.c.user_id == user_id)).rowcount)

    def is_member(self, group_id: str, user_id: str) -> bool:
        return _IS_MEMBER.one(self.tx, group_id=group_id, user_id=user_id) is not None

    def count_members(self, group_id: str) -> int:
        return self.tx.execute(select(func.count()).select_from(group_members)
                               .where(group_members.c.group_id == group_id)).scalar()

    def count_for_user(self, user_id: str) -> int:
        return _COUNT_FOR_USER.scalar(self.tx, user_id=user_id)

    def members(self, group_id: str, marker: str | None, max_items: int | None):
        """One page of the group's users (user rows), ordered by name."""
        stmt = (select(users).join(group_members, group_members.c.user_id == users.c.user_id)
                .where(group_members.c.group_id == group_id))
        return page(self.tx, stmt, [users.c.name_lower], marker, max_items)

    def for_user(self, user_id: str, marker: str | None, max_items: int | None):
        """One page of the groups a user belongs to (group rows), ordered by name."""
        stmt = (select(groups).join(group_members, group_members.c.group_id == groups.c.group_id)
                .where(group_members.c.user_id == user_id))
        return page(self.tx, stmt, [groups.c.name_lower], marker, max_items)

    def all_for_user(self, user_id: str) -> list:
        """Every group row of a user (for policy evaluation and reports)."""
        stmt = (select(groups).join(group_members, group_members.c.group_id == groups.c.group_id)
                .where(group_members.c.user_id == user_id).order_by(groups.c.name_lower))
        return self.tx.execute(stmt).all()
