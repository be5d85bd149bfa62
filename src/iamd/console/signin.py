"""Checking a console sign-in: the account (id or alias, any account the store hosts), the
user (or root), the password, then an MFA code when the principal has a device, then
whether the password must change.

The answers are AWS's: one message for any wrong account, name or password (nothing tells
which), the expired-password and reset-required steps, and MFA codes checked as a device's
TOTP (RFC 6238) with its measured drift, each step's code accepted once.
"""

import functools
import secrets
from dataclasses import dataclass
from hmac import compare_digest

import pyotp
from sqlalchemy import select, update

from ..auth.principal import user_arn
from ..protocol.cloudtrail import signin_identity
from ..service.mfa import STEP
from ..service.passwords import PasswordPolicy, expires_at, hash_password, verify_password
from ..store.casefold import fold
from ..store.console import RootPasswordRepo
from ..store.login import LoginProfileRepo
from ..store.password_policy import PasswordPolicyRepo
from ..store.schema.core import accounts, users
from ..store.schema.credentials import mfa_devices

INCORRECT = "Your authentication information is incorrect. Please try again."
EXPIRED_HARD = "Your password has expired and you cannot change it. Contact your administrator."
BAD_CODE = "Your authentication information is incorrect. Please try again."
CODE_WINDOW = 1  # steps either side of the device's expected step
MFA, CHANGE_PASSWORD, ACTIVE = "mfa", "change-password", "active"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""
    kind: str = ""  # "root" or "user"
    user_id: str | None = None
    stage: str = ""  # the next step: ACTIVE, MFA or CHANGE_PASSWORD


INCORRECT_VERDICT = Verdict(False, INCORRECT)


def account_of(tx, given: str) -> str | None:
    """The hosted account `given` names: its 12-digit id or its alias (any account of the
    store, `iamd accounts create` included), or None."""
    given = given.strip()
    c = accounts.c
    if given.isdigit() and len(given) == 12:
        where = c.account_id == given
    elif given:
        where = c.alias == given.lower()
    else:
        return None
    return tx.execute(select(c.account_id).where(where)).scalar()


def check_password(tx, account_id: str, name: str, password: str, now: float) -> Verdict:
    """The first step. `name` empty or None: the root user."""
    if not name:
        row = RootPasswordRepo(tx, account_id).get()
        if not verify_password(row.password_hash if row else _decoy(), password) or row is None:
            return INCORRECT_VERDICT
        return Verdict(True, kind="root", stage=MFA if _devices(tx, account_id, None) else ACTIVE)
    user = tx.execute(select(users.c.user_id).where(users.c.account_id == account_id,
                                                     users.c.name_lower == fold(name))).first()
    profile = LoginProfileRepo(tx, account_id).get(user.user_id) if user else None
    if profile is None:
        verify_password(_decoy(), password)  # as slow as a wrong password: no telling who exists
        return INCORRECT_VERDICT
    if not verify_password(profile.password_hash, password):
        return INCORRECT_VERDICT
    stage = MFA if _devices(tx, account_id, user.user_id) else after_mfa(tx, account_id, user.user_id, now)
    if stage is None:
        return Verdict(False, EXPIRED_HARD)
    return Verdict(True, kind="user", user_id=user.user_id, stage=stage)


def no_such_account(password: str) -> Verdict:
    """The answer for an account id or alias no account has: as slow as a wrong password."""
    verify_password(_decoy(), password)
    return INCORRECT_VERDICT


@functools.cache
def _decoy() -> str:
    return hash_password(secrets.token_urlsafe(16))


def after_mfa(tx, account_id: str, user_id: str | None, now: float) -> str | None:
    """ACTIVE, or CHANGE_PASSWORD when the password is expired or must be reset; None when
    it expired under HardExpiry (no sign-in at all)."""
    if user_id is None:
        return ACTIVE
    profile = LoginProfileRepo(tx, account_id).get(user_id)
    row = PasswordPolicyRepo(tx, account_id).get()
    policy = PasswordPolicy.from_row(row) if row else None
    until = expires_at(profile.password_changed_at, policy)
    if until is not None and until <= now:
        return None if policy.hard_expiry else CHANGE_PASSWORD
    return CHANGE_PASSWORD if profile.reset_required else ACTIVE


def _devices(tx, account_id: str, user_id: str | None) -> list:
    c = mfa_devices.c
    owner = (c.user_id == user_id) if user_id else c.root_owned.is_(True)
    return tx.execute(select(mfa_devices).where(c.account_id == account_id, owner,
                                                c.enabled_at.is_not(None))).all()


def check_code(tx, box, account_id: str, user_id: str | None, code: str, now: float) -> bool:
    """Whether `code` is the current code of one of the principal's MFA devices (and not one
    already used); the accepted step is recorded."""
    code = code.strip()
    if not (code.isdigit() and len(code) == 6):
        return False
    for dev in _devices(tx, account_id, user_id):
        totp = pyotp.TOTP(box.decrypt(dev.seed))
        center = int(now // STEP) + (dev.drift or 0)
        for step in range(center - CODE_WINDOW, center + CODE_WINDOW + 1):
            if dev.last_counter is not None and step <= dev.last_counter:
                continue
            if compare_digest(totp.generate_otp(step), code):
                tx.execute(update(mfa_devices).where(mfa_devices.c.serial == dev.serial)
                           .values(last_counter=step))
                return True
    return False


def identity(tx, account_id: str, name: str | None = None, user_id: str | None = None) -> dict:
    """The ConsoleLogin record's userIdentity of a sign-in as `name` (or the user `user_id`;
    neither: root). A name that is no user's is not written down (protocol/cloudtrail)."""
    if not name and not user_id:
        return signin_identity(account_id, "root", None, None, f"arn:aws:iam::{account_id}:root")
    c = users.c
    where = (c.user_id == user_id) if user_id else (c.name_lower == fold(name))
    row = tx.execute(select(c.user_id, c.name, c.path).where(c.account_id == account_id, where)).first()
    if row is None:
        return signin_identity(account_id, "user", None, None, None)
    return signin_identity(account_id, "user", row.user_id, row.name, user_arn(account_id, row.path, row.name))


def note_use(tx, account_id: str, user_id: str | None, now: float) -> None:
    """PasswordLastUsed (and the credential report's password_last_used) of a sign-in."""
    if user_id is None:
        RootPasswordRepo(tx, account_id).used(now)
    else:
        tx.execute(update(users).where(users.c.user_id == user_id).values(password_last_used=now))


