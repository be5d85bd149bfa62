"""MFA devices: virtual devices keyed by serial (their ARN), the seed encrypted at rest.

A device is assigned when `user_id` is set (or `root_owned`); `enabled_at` is then its
EnableDate. `last_counter` is the last TOTP step accepted (a code is never accepted twice)
and `drift` the device's clock offset in steps, measured by Enable and Resync.
"""

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .paging import page
from .schema.core import users
from .schema.credentials import mfa_devices

c = mfa_devices.c
_ASSIGNED = or_(c.user_id.is_not(None), c.root_owned.is_(True))


class MfaRepo:
    def __init__(self, tx, account_id: str):
        self.tx, self.account_id = tx, account_id

    def lock_account(self) -> None:
        """Serialize quota checks on the account's device count."""
        self.tx.lock_account(self.account_id)

    def count(self) -> int:
        return self.tx.execute(select(func.count()).select_from(mfa_devices)
                               .where(c.account_id == self.account_id)).scalar()

    def create(self, serial: str, name: str, path: str, seed_enc: str, now: float) -> bool:
        """Insert; False when a device with this path and name exists."""
        try:
            with self.tx.conn.begin_nested():
                self.tx.execute(insert(mfa_devices).values(
                    serial=serial, account_id=self.account_id, name=name, path=path,
                    seed=seed_enc, root_owned=False, created_at=now))
        except IntegrityError:
            return False
        return True

    def get(self, serial: str, lock: bool = False):
        stmt = select(mfa_devices).where(c.account_id == self.account_id, c.serial == serial)
        if lock:
            stmt = self.tx.for_update(stmt)
        return self.tx.execute(stmt).first()

    def _owned_by(self, user_id: str | None):
        return (c.user_id == user_id) if user_id else c.root_owned.is_(True)

    def count_enabled(self, user_id: str | None) -> int:
        return self.tx.execute(select(func.count()).select_from(mfa_devices).where(
            c.account_id == self.account_id, self._owned_by(user_id))).scalar()

    def enable(self, serial: str, user_id: str, now: float, counter: int, drift: int) -> None:
        self.tx.execute(update(mfa_devices).where(c.serial == serial).values(
            user_id=user_id, enabled_at=now, last_counter=counter, drift=drift))

    def resync(self, serial: str, counter: int, drift: int) -> None:
        self.tx.execute(update(mfa_devices).where(c.serial == serial).values(
            last_counter=counter, drift=drift))

    def deactivate(self, serial: str) -> None:
        self.tx.execute(update(mfa_devices).where(c.serial == serial).values(
            user_id=None, root_owned=False, enabled_at=None, last_counter=None, drift=None))

    def delete(self, serial: str) -> None:
        self.tx.execute(delete(mfa_devices).where(c.serial == serial))

    def list_enabled(self, user_id: str | None, marker: str | None, max_items: int | None):
        stmt = select(mfa_devices).where(c.account_id == self.account_id, self._owned_by(user_id))
        return page(self.tx, stmt, [c.serial], marker, max_items)

    def list_virtual(self, status: str, marker: str | None, max_items: int | None):
        stmt = select(mfa_devices).where(c.account_id == self.account_id)
        if status == "Assigned":
            stmt = stmt.where(_ASSIGNED)
        elif status == "Unassigned":
            stmt = stmt.where(~_ASSIGNED)
        return page(self.tx, stmt, [c.serial], marker, max_items)

    def users_by_id(self, user_ids: list[str]) -> dict:
        if not user_ids:
            return {}
        rows = self.tx.execute(select(users).where(users.c.user_id.in_(user_ids))).all()
        return {r.user_id: r for r in rows}

    # -- for reports ----------------------------------------------------------------------

    def active_user_ids(self) -> set[str]:
        """Users of the account with at least one enabled MFA device (mfa_active)."""
        return set(self.tx.execute(select(c.user_id).distinct().where(
            c.account_id == self.account_id, c.user_id.is_not(None))).scalars())
