"""Users: rows keyed by AIDA id, unique per account by lowercased name."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .casefold import fold
from .fastq import Query
from .entity_counts import entity_count
from .fastq import Query, insert_new
from .paging import page_query
from .schema.core import tags, users

_BY_NAME = select(users).where(users.c.account_id == bindparam("account_id"),
                               users.c.name_lower == bindparam("name_lower"))
_GET = Query(_BY_NAME)
_GET_LOCKED = Query(_BY_NAME.with_for_update())
# GetUser reads the user and its tags in one statement: a round trip is most of a read.
# Tag rows come back in the order TagRepo.list gives them; a user without tags is one row.
_GET_WITH_TAGS = Query(
    select(users, tags.c.key.label("tag_key"), tags.c.value.label("tag_value"))
    .select_from(users.outerjoin(tags, and_(tags.c.resource_type == "user",
                                            tags.c.resource_id == users.c.user_id)))
    .where(users.c.account_id == bindparam("account_id"), users.c.name_lower == bindparam("name_lower"))
    .order_by(tags.c.key))
_INSERT = insert_new(users, "user_id account_id name name_lower path created_at permissions_boundary")
_GET_BY_ID = Query(select(users).where(users.c.user_id == bindparam("user_id")))
_LIST = select(users).where(users.c.account_id == bindparam("account_id"))
# PathPrefix as a plain comparison of the path's head (LIKE would need escaping).
_LIST_PREFIX = _LIST.where(func.substr(users.c.path, 1, func.length(bindparam("prefix"))) == bindparam("prefix"))


class UserRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, user_id: str, name: str, path: str, created_at: float,
               boundary: str | None = None) -> bool:
        """Insert; False when the name is taken (case-insensitively)."""
        return _INSERT.run(self.tx, user_id=user_id, account_id=self.account_id, name=name,
                           name_lower=fold(name), path=path, created_at=created_at,
                           permissions_boundary=boundary) == 1

    def get(self, name: str, lock: bool = False):
        q = _GET_LOCKED if lock and self.tx.dialect == "postgresql" else _GET
        return q.one(self.tx, account_id=self.account_id, name_lower=fold(name))

    def get_with_tags(self, name: str):
        """(row, [(key, value), ...]) of the named user, or (None, [])."""
        rows = _GET_WITH_TAGS.all(self.tx, account_id=self.account_id, name_lower=fold(name))
        if not rows:
            return None, []
        return rows[0], [(r.tag_key, r.tag_value) for r in rows if r.tag_key is not None]

    def get_by_id(self, user_id: str):
        return _GET_BY_ID.one(self.tx, user_id=user_id)

    def list(self, path_prefix: str | None, marker: str | None, max_items: int | None):
        with_prefix = bool(path_prefix and path_prefix != "/")
        query = _LIST_PREFIX if with_prefix else _LIST
        params = {"account_id": self.account_id}
        if with_prefix:
            params["prefix"] = path_prefix
        return page_query(self.tx, query, params, ("name_lower",), marker, max_items)

    def count(self) -> int:
        return entity_count(self.tx, self.account_id, users)

    def update(self, user_id: str, **values) -> bool:
        if "name" in values:
            values["name_lower"] = fold(values["name"])
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(update(users).where(users.c.user_id == user_id).values(**values))
        except IntegrityError:
            return False
        return True

    def delete(self, user_id: str) -> None:
        self.tx.execute(delete(users).where(users.c.user_id == user_id))
