"""Encryption at rest for recoverable secrets (access-key secrets, MFA seeds).

AES-256-GCM under a master key read from `IAMD_MASTER_KEY` (base64, 32 bytes) or from
`<data-dir>/master.key`, created 0600 on first start. Ciphertexts are `v1:` + base64.
`derived(purpose)` gives an AES-GCM key of its own to each other use of the master key
(STS session tokens), so one purpose's ciphertexts never open as another's.
"""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SecretBox:
    def __init__(self, key: bytes):
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(key)
        self._key = key
        self._derived: dict[str, AESGCM] = {}

    @classmethod
    def load(cls, data_dir: Path) -> "SecretBox":
        env = os.environ.get("IAMD_MASTER_KEY")
        if env:
            return cls(base64.b64decode(env))
        path = Path(data_dir) / "master.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
        return cls(base64.b64decode(path.read_text().strip()))

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
