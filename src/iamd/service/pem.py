"""Certificate and key parsing shared by server certificates, signing certificates, SSH
keys and SAML metadata: PEM in, `cryptography` objects out, AWS's errors on failure.

Everything here is pure (no storage), so the rules can be unit-tested without a server.
"""

import base64
import binascii
import hashlib
import re
import warnings
from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..protocol.errors import AWSError

_CERT_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.DOTALL)
_ANY_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
# One line of OpenSSH's authorized_keys form: "<algorithm> <base64 blob> [comment]", with
# the algorithm names OpenSSH uses (ssh-*, ecdsa-sha2-*, sk-*@openssh.com).
_SSH_LINE = re.compile(r"(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)[ \t]+(\S+)([ \t].*)?")

MIN_SSH_KEY_BITS = 2048  # "The minimum bit-length of the public key is 2048 bits" (API reference)


def malformed(message: str) -> AWSError:
    return AWSError("MalformedCertificate", message)


# -- X.509 certificates ------------------------------------------------------------------

def _der_blocks(text: str) -> list[bytes] | None:
    """The DER of every CERTIFICATE block; None when the text holds anything else."""
    blocks = []
    rest = text
    for m in _CERT_BLOCK.finditer(text):
        try:
            blocks.append(base64.b64decode("".join(m.group(1).split()), validate=True))
        except (binascii.Error, ValueError):
            return None
        rest = rest.replace(m.group(0), "", 1)
    if rest.strip():
        return None
    return blocks


def load_der_certificate(der: bytes) -> x509.Certificate | None:
    try:
        with warnings.catch_warnings():
            # Non-positive serial numbers load with a deprecation warning; not our log's business.
            warnings.simplefilter("ignore")
            cert = x509.load_der_x509_certificate(der)
            cert.extensions  # noqa: B018 - parsed lazily; duplicate or broken extensions raise here
            cert.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension):
        return None
    return cert


def load_certificate(body: str) -> x509.Certificate:
    """Exactly one PEM certificate, or MalformedCertificate."""
    blocks = _der_blocks(body)
    cert = load_der_certificate(blocks[0]) if blocks and len(blocks) == 1 else None
    if cert is None:
        raise malformed("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    return cert


def load_chain(text: str) -> list[x509.Certificate]:
    """One or more PEM certificates (the chain of a server certificate)."""
    blocks = _der_blocks(text)
    certs = [load_der_certificate(b) for b in blocks or ()]
    if not certs or any(c is None for c in certs):
        raise malformed("Unable to parse certificate chain. Please ensure the certificate chain is "
                        "in PEM format.")
    return certs


def check_validity(cert: x509.Certificate, now: float) -> None:
    """AWS refuses a certificate outside its validity period."""
    at = datetime.fromtimestamp(now, timezone.utc)
    if cert.not_valid_after_utc < at:
        raise malformed("Certificate is no longer valid. The 'Not After' date restriction on the "
                        "certificate has passed.")
    if cert.not_valid_before_utc > at:
        raise malformed("Certificate is not yet valid. The 'Not Before' date restriction on the "
                        "certificate has not been met.")


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def check_chain(body: x509.Certificate, chain: list[x509.Certificate]) -> None:
    """The chain starts with the body's issuer and each next certificate signs the one before.

    The index AWS reports is that of the certificate whose issuer is not the next one in
    line: -1 for the body itself, 0 for the first chain certificate, and so on.
    """
    line = [body, *chain]
    for i in range(len(line) - 1):
        if not issued_by(line[i], line[i + 1]):
            raise malformed(
                "Unable to validate certificate chain. The certificate chain must start with the "
                "immediate signing certificate, followed by any intermediaries in order. The index "
                f"within the chain of the invalid certificate is: {i - 1}")


def spki(public_key) -> bytes:
    """A public key's SubjectPublicKeyInfo DER: equal exactly when the keys are equal."""
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(text: str):
    """An unencrypted PEM private key (PKCS#1, PKCS#8 or SEC1), or MalformedCertificate."""
    try:
        return serialization.load_pem_private_key(text.strip().encode("latin-1"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise malformed("Unable to parse private key. Please ensure the private key is in PEM "
                        "format and not encrypted.") from None


def check_key_pair(cert: x509.Certificate, key) -> None:
    if spki(cert.public_key()) != spki(key.public_key()):
        raise AWSError("KeyPairMismatch", "The public key certificate and the private key do not match.")


def sha1_fingerprint(cert: x509.Certificate) -> str:
    """Hex SHA-1 of the DER: how a certificate is recognised when uploaded twice."""
    return cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303 - an identifier, not a MAC


# -- SSH public keys ---------------------------------------------------------------------

def invalid_key(message: str) -> AWSError:
    return AWSError("InvalidPublicKey", message)


def _rsa_or_invalid(key) -> rsa.RSAPublicKey:
    if not isinstance(key, rsa.RSAPublicKey):
        raise invalid_key("The public key must be an RSA key in ssh-rsa or PEM format.")
    if key.key_size < MIN_SSH_KEY_BITS:
        raise invalid_key(f"The public key must be at least {MIN_SSH_KEY_BITS} bits long.")
    return key


def load_ssh_public_key(body: str) -> rsa.RSAPublicKey:
    """An RSA public key in ssh-rsa (authorized_keys line) or PEM form.

    UnrecognizedPublicKeyEncoding when the text is neither; InvalidPublicKey when it is one
    of them but not a well-formed RSA key of at least 2048 bits.
    """
    text = body.strip()
    pem = _ANY_BLOCK.match(text)
    if pem:
        kind = pem.group(1)
        if kind not in ("PUBLIC KEY", "RSA PUBLIC KEY"):
            raise invalid_key("The PEM block must hold a public key.")
        try:
            key = serialization.load_pem_public_key(text.encode("latin-1"))
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise invalid_key("The public key is malformed.") from None
        return _rsa_or_invalid(key)
    line = _SSH_LINE.fullmatch(text)
    if line is None:
        raise AWSError("UnrecognizedPublicKeyEncoding",
                       "The public key encoding format is unsupported or unrecognized. "
                       "Use ssh-rsa or PEM format.")
    if line.group(1) != "ssh-rsa":
        raise invalid_key("The public key must be an RSA key in ssh-rsa or PEM format.")
    try:
        key = serialization.load_ssh_public_key(f"ssh-rsa {line.group(2)}".encode("latin-1"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise invalid_key("The public key is malformed.") from None
    return _rsa_or_invalid(key)


def ssh_blob(key) -> bytes:
    """The key in SSH wire format (what an ssh-rsa line base64-encodes)."""
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


def ssh_fingerprint(key) -> str:
    """MD5 of the SSH wire blob as colon-separated lowercase hex (`ssh-keygen -l -E md5`)."""
    digest = hashlib.md5(ssh_blob(key)).hexdigest()  # noqa: S324 - a fingerprint, as AWS's
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def ssh_encoding(key) -> str:
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def pem_encoding(key) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def is_ssh_line(body: str) -> bool:
    return _ANY_BLOCK.match(body.strip()) is None
