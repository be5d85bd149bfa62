"""Console passwords: argon2id hashing and the account password policy's rules.

Pure functions (no store, no request) so the rules are unit-tested on their own and
shared by CreateLoginProfile, UpdateLoginProfile, ChangePassword and the credential report.
"""

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): a few tens of milliseconds, so a
# reuse check against the longest history AWS allows (24) stays well under a second.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

# The characters AWS counts as symbols for RequireSymbols (IAM User Guide).
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")

# PasswordReusePrevention is at most 24, so older hashes can never be consulted again.
HISTORY_KEPT = 24

DAY = 86400.0


@dataclass(frozen=True)
class PasswordPolicy:
    """An account's password policy; the defaults are what an Update with no argument sets."""

    minimum_length: int = 6
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    allow_users_to_change: bool = False
    max_age: int | None = None
    reuse_prevention: int | None = None
    hard_expiry: bool | None = None

    @classmethod
    def from_row(cls, row) -> "PasswordPolicy":
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def violations(policy: PasswordPolicy | None, password: str) -> list[str]:
    """The requirements of `policy` that `password` fails, in AWS's wording."""
    if policy is None:
        return []
    found = []
    if len(password) < policy.minimum_length:
        found.append(f"Password should have a minimum length of {policy.minimum_length}")
    if policy.require_lowercase and not any("a" <= c <= "z" for c in password):
        found.append("Password should have at least one lowercase letter")
    if policy.require_uppercase and not any("A" <= c <= "Z" for c in password):
        found.append("Password should have at least one uppercase letter")
    if policy.require_numbers and not any("0" <= c <= "9" for c in password):
        found.append("Password should have at least one number")
    if policy.require_symbols and not any(c in SYMBOLS for c in password):
        found.append("Password should have at least one symbol")
    return found


def reused(previous_hashes: list[str], password: str) -> bool:
    """Whether `password` is one of the passwords behind `previous_hashes`."""
    return any(verify_password(h, password) for h in previous_hashes)


def expires_at(changed_at: float, policy: PasswordPolicy | None) -> float | None:
    """When a password set at `changed_at` expires under `policy` (None: never).

    Expiry applies to existing passwords as soon as MaxPasswordAge is set (AWS counts
    the age from the last change), so it is computed, never stored.
    """
    if policy is None or not policy.max_age:
        return None
    return changed_at + policy.max_age * DAY
