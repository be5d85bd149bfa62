"""service/pem.py without a server: certificate, chain, key-pair and SSH-key rules."""

import base64
import hashlib
import time
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from iamd.protocol.errors import AWSError
from iamd.service import pem

NOW = time.time()


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(key, cn="leaf.example.com", issuer=None, issuer_key=None, days=30, start=-1):
    """A certificate for `key`, self-signed unless an issuer (cert, key) is given."""
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(cn))
               .issuer_name(issuer.subject if issuer else _name(cn))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + timedelta(days=start)).not_valid_after(now + timedelta(days=days)))
    return builder.sign(issuer_key or key, hashes.SHA256())


def to_pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def code_of(exc: pytest.ExceptionInfo) -> str:
    return exc.value.code


def test_load_certificate_round_trips_and_rejects_garbage():
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_cert(key)
    assert pem.load_certificate(to_pem(cert)) == cert
    for bad in ("hello", to_pem(cert) + to_pem(cert), to_pem(cert).replace("M", "!", 1),
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", to_pem(cert) + "junk"):
        with pytest.raises(AWSError) as e:
            pem.load_certificate(bad)
        assert code_of(e) == "MalformedCertificate"


def test_validity_period():
    key = ec.generate_private_key(ec.SECP256R1())
    pem.check_validity(make_cert(key), NOW)
    with pytest.raises(AWSError, match="no longer valid"):
        pem.check_validity(make_cert(key, days=-1, start=-10), NOW)
    with pytest.raises(AWSError, match="not yet valid"):
        pem.check_validity(make_cert(key, days=20, start=10), NOW)


def test_key_pair_match_and_mismatch():
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    cert = make_cert(key)
    pem.check_key_pair(cert, pem.load_private_key(key_pem(key)))
    with pytest.raises(AWSError) as e:
        pem.check_key_pair(cert, pem.load_private_key(key_pem(other)))
    assert code_of(e) == "KeyPairMismatch"
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"pw")).decode()
    for bad in ("nope", encrypted):
        with pytest.raises(AWSError) as e:
            pem.load_private_key(bad)
        assert code_of(e) == "MalformedCertificate"


def test_chain_order_and_index():
    root_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = make_cert(root_key, "root")
    mid = make_cert(mid_key, "mid", root, root_key)
    leaf = make_cert(leaf_key, "leaf", mid, mid_key)
    pem.check_chain(leaf, pem.load_chain(to_pem(mid) + to_pem(root)))
    pem.check_chain(leaf, [mid])
    with pytest.raises(AWSError, match="invalid certificate is: -1$"):
        pem.check_chain(leaf, [root, mid])
    with pytest.raises(AWSError, match="invalid certificate is: 0$"):
        pem.check_chain(leaf, [mid, leaf])
    with pytest.raises(AWSError) as e:
        pem.load_chain("garbage")
    assert code_of(e) == "MalformedCertificate"


def test_ssh_key_encodings_share_one_fingerprint(rsa_key):
    pub = rsa_key.public_key()
    line = pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    blob = base64.b64decode(line.split()[1])
    want = ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
    assert len(want) == 47
    from_line = pem.load_ssh_public_key(line + " me@host\n")
    from_pem = pem.load_ssh_public_key(pem.pem_encoding(pub))
    pkcs1 = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    assert {pem.ssh_fingerprint(k) for k in (from_line, from_pem, pem.load_ssh_public_key(pkcs1))} == {want}
    assert pem.ssh_encoding(from_pem) == line
    assert pem.is_ssh_line(line) and not pem.is_ssh_line(pkcs1)


def test_ssh_key_rejections():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    small_line = small.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    ec_pub = ec.generate_private_key(ec.SECP256R1()).public_key()
    ec_line = ec_pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    invalid = [small_line, ec_line, pem.pem_encoding(ec_pub), "ssh-rsa not-base64!",
               "ssh-rsa " + ec_line.split()[1],
               "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"]
    for body in invalid:
        with pytest.raises(AWSError) as e:
            pem.load_ssh_public_key(body)
        assert code_of(e) == "InvalidPublicKey", body
    for body in ("just some text", "AAAAB3NzaC1yc2E", "ssh-rsa\nAAAA"):
        with pytest.raises(AWSError) as e:
            pem.load_ssh_public_key(body)
        assert code_of(e) == "UnrecognizedPublicKeyEncoding", body
