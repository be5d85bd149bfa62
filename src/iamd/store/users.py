"""Users: rows keyed by AIDA id, unique per account by lowercased name."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .paging import page
from .schema.core import users


class UserRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def create(self, user_id: str, name: str, path: str, created_at: float,
               boundary: str | None = None) -> bool:
        """Insert; False when the name is taken (case-insensitively)."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(users).values(
                    user_id=user_id, account_id=self.account_id, name=name,
                    name_lower=name.lower(), path=path, created_at=created_at,
                    permissions_boundary=boundary))
        except IntegrityError:
            return False
        return True

    def get(self, name: str, lock: bool = False):
        stmt = select(users).where(users.c.account_id == self.account_id,
                                   users.c.name_lower == name.lower())
        if lock:
            stmt = self.tx.for_update(stmt)
        return self.tx.execute(stmt).first()

    def get_by_id(self, user_id: str):
        return self.tx.execute(select(users).where(users.c.user_id == user_id)).first()

    def list(self, path_prefix: str | None, marker: str | None, max_items: int | None):
        stmt = select(users).where(users.c.account_id == self.account_id)
        if path_prefix and path_prefix != "/":
            stmt = stmt.where(users.c.path.startswith(path_prefix, autoescape=True))
        return page(self.tx, stmt, [users.c.name_lower], marker, max_items)

    def count(self) -> int:
        return self.tx.execute(select(func.count()).select_from(users)
                               .where(users.c.account_id == self.account_id)).scalar()

    def update(self, user_id: str, **values) -> bool:
        if "name" in values:
            values["name_lower"] = values["name"].lower()
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(update(users).where(users.c.user_id == user_id).values(**values))
        except IntegrityError:
            return False
        return True

    def delete(self, user_id: str) -> None:
        self.tx.execute(delete(users).where(users.c.user_id == user_id))
