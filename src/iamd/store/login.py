"""Login profiles (console passwords, argon2id hashes only) and each user's password history.

The history holds every password set, newest first, including the current one, so
PasswordReusePrevention=N compares a new password with the last N hashes.
"""

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .schema.credentials import login_profiles, password_history


class LoginProfileRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def get(self, user_id: str):
        return self.tx.execute(select(login_profiles).where(login_profiles.c.user_id == user_id)).first()

    def create(self, user_id: str, password_hash: str, now: float, reset_required: bool) -> bool:
        """Insert; False when the user already has one."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(login_profiles).values(
                    user_id=user_id, account_id=self.account_id, password_hash=password_hash,
                    created_at=now, password_changed_at=now, reset_required=reset_required))
        except IntegrityError:
            return False
        return True

    def update(self, user_id: str, **values) -> None:
        self.tx.execute(update(login_profiles).where(login_profiles.c.user_id == user_id).values(**values))

    def delete(self, user_id: str) -> bool:
        return self.tx.execute(delete(login_profiles).where(login_profiles.c.user_id == user_id)).rowcount > 0

    def exists(self, user_id: str) -> bool:
        return self.tx.execute(select(login_profiles.c.user_id).where(
            login_profiles.c.user_id == user_id)).first() is not None

    # -- history --------------------------------------------------------------------------

    def recent_hashes(self, user_id: str, n: int) -> list[str]:
        c = password_history.c
        return list(self.tx.execute(select(c.password_hash).where(c.user_id == user_id)
                                    .order_by(c.set_at.desc()).limit(n)).scalars())

    def remember(self, user_id: str, at: float, password_hash: str, keep: int) -> None:
        """Record a newly set password and forget all but the newest `keep`."""
        c = password_history.c
        self.tx.execute(insert(password_history).values(user_id=user_id, set_at=at, password_hash=password_hash))
        cutoff = self.tx.execute(select(c.set_at).where(c.user_id == user_id)
                                 .order_by(c.set_at.desc()).offset(keep).limit(1)).scalar()
        if cutoff is not None:
            self.tx.execute(delete(password_history).where(c.user_id == user_id, c.set_at <= cutoff))

    # -- for reports ----------------------------------------------------------------------

    def password_summary(self) -> dict[str, tuple[float, float]]:
        """user_id -> (created_at, password_changed_at) for every user of the account with
        a login profile (one query; users without one are absent: password_enabled false)."""
        c = login_profiles.c
        rows = self.tx.execute(select(c.user_id, c.created_at, c.password_changed_at)
                               .where(c.account_id == self.account_id)).all()
        return {r.user_id: (r.created_at, r.password_changed_at) for r in rows}
