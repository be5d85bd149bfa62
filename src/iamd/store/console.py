"""Console sessions (by the SHA-256 of their cookie token), the root password, and failed
sign-ins (the throttle's counts)."""

from sqlalchemy import delete, insert, select, update

from .casefold import fold
from .schema.console import console_sessions, console_signin_failures, root_passwords
from .schema.core import users

s = console_sessions.c


class ConsoleSessionRepo:
    def __init__(self, tx):
        self.tx = tx

    def create(self, token_hash: str, **values) -> None:
        self.tx.execute(insert(console_sessions).values(token_hash=token_hash, **values))

    def get(self, token_hash: str):
        return self.tx.execute(select(console_sessions).where(s.token_hash == token_hash)).first()

    def update(self, token_hash: str, **values) -> None:
        self.tx.execute(update(console_sessions).where(s.token_hash == token_hash).values(**values))

    def delete(self, token_hash: str) -> None:
        self.tx.execute(delete(console_sessions).where(s.token_hash == token_hash))

    def delete_expired(self, now: float) -> int:
        return self.tx.execute(delete(console_sessions).where(s.expires_at <= now)).rowcount


class RootPasswordRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def get(self):
        return self.tx.execute(select(root_passwords).where(
            root_passwords.c.account_id == self.account_id)).first()

    def set(self, password_hash: str, now: float) -> None:
        if self.get() is None:
            self.tx.execute(insert(root_passwords).values(account_id=self.account_id,
                                                          password_hash=password_hash, changed_at=now))
        else:
            self.tx.execute(update(root_passwords).where(root_passwords.c.account_id == self.account_id)
                            .values(password_hash=password_hash, changed_at=now))

    def used(self, now: float) -> None:
        self.tx.execute(update(root_passwords).where(root_passwords.c.account_id == self.account_id)
                        .values(last_used=now))


class SigninFailureRepo:
    """Failures per counted key (a hash), newest first, within a window."""

    def __init__(self, tx):
        self.tx = tx

    def recent(self, key: str, since: float, limit: int) -> list[float]:
        """The times of the newest `limit` failures of `key` after `since`, newest first."""
        c = console_signin_failures.c
        return list(self.tx.execute(select(c.at).where(c.key == key, c.at > since)
                                    .order_by(c.at.desc()).limit(limit)).scalars())

    def add(self, keys: list[str], at: float) -> None:
        self.tx.execute(insert(console_signin_failures), [{"key": k, "at": at} for k in keys])

    def clear(self, key: str) -> None:
        self.tx.execute(delete(console_signin_failures).where(console_signin_failures.c.key == key))

    def purge(self, before: float) -> int:
        return self.tx.execute(delete(console_signin_failures)
                               .where(console_signin_failures.c.at <= before)).rowcount


def search_users(tx, account_id: str, text: str, after: str | None, limit: int) -> list:
    """Users whose name contains `text` (case-insensitively), by name, `limit` from after
    the name_lower `after`: a page, never the whole account."""
    c = users.c
    needle = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = select(c.user_id, c.name, c.path, c.created_at, c.password_last_used, c.name_lower).where(
        c.account_id == account_id, c.name_lower.like(f"%{needle}%", escape="\\"))
    if after:
        stmt = stmt.where(c.name_lower > after)
    return tx.execute(stmt.order_by(c.name_lower).limit(limit)).all()
