"""Server-side console sessions and their CSRF tokens.

The cookie holds a random 256-bit token; the database keeps only its SHA-256 (a copy of
the database signs no one in). A session lasts at most 12 hours (AWS's console default)
and ends after an hour idle; a sign-in that still owes a step (an MFA code, a new
password) has 5 minutes. Each step up issues a new token (no session fixation), and each
session has its own CSRF token, which every form and state-changing fetch sends back.
"""

import hashlib
import secrets
from dataclasses import dataclass
from hmac import compare_digest

from ..store.console import ConsoleSessionRepo

ABSOLUTE = 12 * 3600
IDLE = 3600
PENDING = 300
TOUCH_EVERY = 60  # seconds between writes of last_seen
ACTIVE = "active"
MFA = "mfa"  # the step that asks for a code


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_ok(expected: str | None, given) -> bool:
    """Whether a submitted CSRF token is the session's (constant-time)."""
    return bool(expected) and isinstance(given, str) and compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True)
class Session:
    token_hash: str
    account_id: str
    kind: str  # "root" or "user"
    user_id: str | None
    stage: str
    csrf: str
    created_at: float
    expires_at: float
    mfa_at: float | None = None  # when the sign-in's MFA code was accepted

    @property
    def audit_context(self) -> tuple[float, bool]:
        """(created, MFA used): what the audit trail records of the session's calls."""
        return self.created_at, self.mfa_at is not None

    @property
    def active(self) -> bool:
        return self.stage == ACTIVE


def start(tx, account_id: str, kind: str, user_id: str | None, stage: str, ip: str | None,
          now: float, mfa_at: float | None = None) -> tuple[str, Session]:
    """A new session (its token for the cookie, and the row's view)."""
    token = new_token()
    expires = now + (ABSOLUTE if stage == ACTIVE else PENDING)
    values = dict(account_id=account_id, kind=kind, user_id=user_id, stage=stage, csrf=new_token(),
                  source_ip=ip, created_at=now, last_seen=now, expires_at=expires, mfa_at=mfa_at)
    ConsoleSessionRepo(tx).create(token_hash(token), **values)
    return token, Session(token_hash(token), account_id, kind, user_id, stage, values["csrf"], now, expires,
                          mfa_at)


def load(tx, token: str | None, now: float) -> Session | None:
    """The live session of a cookie's token, or None (unknown, expired, or idle too long)."""
    if not token or len(token) > 128:
        return None
    repo = ConsoleSessionRepo(tx)
    row = repo.get(token_hash(token))
    if row is None:
        return None
    if row.expires_at <= now or (row.stage == ACTIVE and now - row.last_seen > IDLE):
        repo.delete(row.token_hash)
        return None
    if now - row.last_seen > TOUCH_EVERY:
        repo.update(row.token_hash, last_seen=now)
    return Session(row.token_hash, row.account_id, row.kind, row.user_id, row.stage, row.csrf,
                   row.created_at, row.expires_at, row.mfa_at)


def advance(tx, session: Session, stage: str, ip: str | None, now: float) -> tuple[str, Session]:
    """Move a sign-in to its next step under a new token; the old one stops working. Leaving
    the MFA step means its code was accepted now."""
    end(tx, session)
    mfa_at = now if session.stage == MFA else session.mfa_at
    return start(tx, session.account_id, session.kind, session.user_id, stage, ip, now, mfa_at)


def end(tx, session: Session) -> None:
    ConsoleSessionRepo(tx).delete(session.token_hash)


def sweep(tx, now: float) -> int:
    """Forget expired sessions (run now and then, at sign-in)."""
    return ConsoleSessionRepo(tx).delete_expired(now)
