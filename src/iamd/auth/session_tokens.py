"""STS session tokens: the session itself, sealed, so that no database read authenticates it.

A token holds its session's claims (the temporary key id and secret, who the session is,
its expiry, session policies and tags, MFA state; see service/sessions.py) as compressed
JSON under AES-256-GCM with a key derived from the master key (store/crypto.py
`SecretBox.derived`). Every worker and every process sharing the master key opens it, and
it survives a restart; a client can neither read nor alter it: a changed byte, a token of
another server or a made-up one fails authentication and answers InvalidClientTokenId.
The text is url-safe base64 (header- and query-safe, reference §7.1).
"""

import base64
import json
import os
import threading
import zlib

from cryptography.exceptions import InvalidTag

from ..protocol.errors import AWSError
from .principal import Principal, session_principal

PURPOSE = "iamd sts session token v1"
_VERSION = b"\x01"
_INVALID = "The security token included in the request is invalid"
_EXPIRED = "The security token included in the request is expired"
MAX_TOKEN = 16_384  # characters: anything longer was not made here
MAX_OPEN = 10_000  # opened tokens a worker keeps


def seal(claims: dict, box) -> str:
    """The token for `claims` (a JSON-serialisable dict)."""
    plain = zlib.compress(json.dumps(claims, separators=(",", ":")).encode(), 1)  # claims are small: level 1 packs them as well
    nonce = os.urandom(12)
    sealed = box.derived(PURPOSE).encrypt(nonce, plain, _VERSION)
    return base64.urlsafe_b64encode(_VERSION + nonce + sealed).decode().rstrip("=")


def unseal(token: str, box) -> dict:
    """The claims `token` was sealed with; AWSError InvalidClientTokenId when the token was
    not sealed by this server's key or was altered."""
    try:
        if len(token) > MAX_TOKEN:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if raw[:1] != _VERSION or len(raw) < 1 + 12 + 16:
            raise ValueError("not a token")
        plain = box.derived(PURPOSE).decrypt(raw[1:13], raw[13:], _VERSION)
        claims = json.loads(zlib.decompress(plain))
        if not isinstance(claims, dict):
            raise ValueError("not claims")
        return claims
    except (ValueError, InvalidTag, zlib.error, UnicodeError, TypeError):
        raise AWSError("InvalidClientTokenId", _INVALID) from None


class OpenSessions:
    """Each worker's memory of the tokens it has opened: a request signed with session
    credentials costs a dict lookup, no decryption and no database read."""

    def __init__(self, box):
        self.box = box
        self._open: dict[str, tuple[Principal, str, float]] = {}
        self._lock = threading.Lock()

    def open(self, token: str, key_id: str, now: float) -> tuple[Principal, str]:
        """(principal, secret) of the session `token` seals for `key_id`; InvalidClientTokenId
        when the token is not ours or belongs to another key, ExpiredToken once expired."""
        hit = self._open.get(token)
        if hit is None:
            claims = unseal(token, self.box)
            try:
                hit = (session_principal(claims), str(claims["s"]), float(claims["exp"]))
            except (KeyError, IndexError, TypeError, ValueError, AttributeError):
                raise AWSError("InvalidClientTokenId", _INVALID) from None
            with self._lock:
                if len(self._open) >= MAX_OPEN:
                    self._open.clear()
                self._open[token] = hit
        principal, secret, expires = hit
        if principal.access_key_id != key_id:
            raise AWSError("InvalidClientTokenId", _INVALID)
        if now >= expires:
            raise AWSError("ExpiredToken", _EXPIRED)
        return principal, secret
