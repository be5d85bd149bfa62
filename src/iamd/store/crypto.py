"""Encryption at rest for recoverable secrets (access-key secrets, MFA seeds).

AES-256-GCM under a master key read from `IAMD_MASTER_KEY` (base64, 32 bytes) or from
`<data-dir>/master.key`, created 0600 on first start. Ciphertexts are `v1:` + base64.
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

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, plaintext.encode(), None)
        return "v1:" + base64.b64encode(nonce + ct).decode()

    def decrypt(self, token: str) -> str:
        raw = base64.b64decode(token[3:])
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()
