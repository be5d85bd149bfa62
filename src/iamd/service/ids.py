"""AWS-shaped identifiers: unique ids (prefix + 17 base32 chars) and access key ids.

Access key ids carry the account id in their first bytes the way AWS's do (community
research: base32-decode after the prefix, 48 bits, account = (z & 0x7fffffffff80) >> 7),
so GetAccessKeyInfo can answer without a lookup.
"""

import base64
import os
import secrets

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def unique_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_B32) for _ in range(17))


def access_key_id(account_id: str, prefix: str = "AKIA") -> str:
    """The base32 text of 48 bits (account, 7 random bits) and 32 random bits: 16 characters,
    spelt from one integer (base64.b32encode is pure Python, and costly per call)."""
    z = (((int(account_id) << 7) | secrets.randbits(7)) << 32) | secrets.randbits(32)
    return prefix + "".join([_B32[(z >> shift) & 31] for shift in _SHIFTS])


_SHIFTS = tuple(range(75, -1, -5))


def account_of_key(key_id: str) -> str | None:
    try:
        raw = base64.b32decode(key_id[4:] + "=" * (-len(key_id[4:]) % 8))
    except ValueError:
        return None
    z = int.from_bytes(raw[:6], "big")
    return f"{(z & 0x7FFFFFFFFF80) >> 7:012d}"


def secret_access_key() -> str:
    """40 characters of [A-Za-z0-9+/], uniformly: the base64 of 30 random bytes."""
    return base64.b64encode(os.urandom(30)).decode()


def account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)
