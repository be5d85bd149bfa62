"""The account row itself: its alias (unique across every account the server hosts)."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .paging import page
from .schema.core import accounts


class AccountRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def get(self, lock: bool = False):
        stmt = select(accounts).where(accounts.c.account_id == self.account_id)
        if lock:
            stmt = self.tx.for_update(stmt)
        return self.tx.execute(stmt).first()

    def set_alias(self, alias: str) -> bool:
        """Replace the account's alias; False when another account holds it.

        The unique index on accounts.alias settles races between accounts; the savepoint
        keeps the outer transaction usable after the violation.
        """
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(update(accounts).where(accounts.c.account_id == self.account_id)
                                .values(alias=alias))
        except IntegrityError:
            return False
        return True

    def clear_alias(self) -> None:
        self.tx.execute(update(accounts).where(accounts.c.account_id == self.account_id)
                        .values(alias=None))

    def aliases(self, marker: str | None, max_items: int | None):
        """The account's aliases (zero or one) as a keyset page, like every List*."""
        stmt = select(accounts.c.alias).where(accounts.c.account_id == self.account_id,
                                              accounts.c.alias.is_not(None))
        return page(self.tx, stmt, [accounts.c.alias], marker, max_items)
