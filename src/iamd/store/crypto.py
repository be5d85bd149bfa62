"""Encryption at rest for recoverable secrets (access-key secrets, MFA seeds).

AES-256-GCM under a master key read from `IAMD_MASTER_KEY` (base64, 32 bytes) or from
`<data-dir>/master.key`, created 0600 on first start. Ciphertexts are `v1:` + base64.
`derived(purpose)` gives an AES-GCM key of its own to each other use of the master key
(STS session tokens), so one purpose's ciphertexts never open as another's.
"""

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .files import private_dir

KEY_FORM = "the base64 encoding of 32 random bytes (e.g. `openssl rand -base64 32`)"


class MasterKeyError(ValueError):
    """The master key is malformed; the message names where it came from, never its value."""


def _decode(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{source} must be {KEY_FORM}; it is not valid base64") from None
    if len(key) != 32:
        raise MasterKeyError(f"{source} must be {KEY_FORM}; it decodes to {len(key)} bytes") from None
    return key


class SecretBox:
    def __init__(self, key: bytes):
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(key)
        self._key = key
        self._derived: dict[str, AESGCM] = {}

    @classmethod
    def from_environment(cls) -> "SecretBox | None":
        """The box of `IAMD_MASTER_KEY`, None when it is not set; a malformed one is refused."""
        env = os.environ.get("IAMD_MASTER_KEY")
        return cls(_decode(env, "IAMD_MASTER_KEY")) if env else None

    @classmethod
    def load(cls, data_dir: Path) -> "SecretBox":
        box = cls.from_environment()
        if box is not None:
            return box
        path = Path(data_dir) / "master.key"
        if not path.exists():
            private_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
        return cls(_decode(path.read_text(), str(path)))

    def derived(self, purpose: str) -> AESGCM:
        """An AEAD under HKDF-SHA256(master key, info=purpose), built once per purpose."""
        aead = self._derived.get(purpose)
        if aead is None:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF
            key = HKDF(hashes.SHA256(), 32, salt=None, info=purpose.encode()).derive(self._key)
            aead = self._derived[purpose] = AESGCM(key)
        return aead

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, plaintext.encode(), None)
        return "v1:" + base64.b64encode(nonce + ct).decode()

    def decrypt(self, token: str) -> str:
        raw = base64.b64decode(token[3:])
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()
