"""The account password policy: at most one row per account, replaced whole on update."""

from sqlalchemy import delete, insert, select, update

from .schema.credentials import password_policies

class PasswordPolicyRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def get(self):
        return self.tx.execute(select(password_policies).where(
            password_policies.c.account_id == self.account_id)).first()

    def put(self, **values) -> None:
        """Replace the policy with `values` (every policy column)."""
        # Two concurrent first updates would both insert; the account row lock orders them.
        self.tx.lock_account(self.account_id)
        found = self.tx.execute(update(password_policies).where(
            password_policies.c.account_id == self.account_id).values(**values)).rowcount
        if not found:
            self.tx.execute(insert(password_policies).values(account_id=self.account_id, **values))

    def delete(self) -> bool:
        return self.tx.execute(delete(password_policies).where(
            password_policies.c.account_id == self.account_id)).rowcount > 0
