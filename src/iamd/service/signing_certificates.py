"""X.509 signing certificates of users (and of the root user when no UserName is given
and root calls): upload, list, activate/deactivate, delete.

A certificate is recognised by the SHA-1 of its DER, so the same certificate cannot be
held twice in one account (DuplicateCertificate). Ids are 32 characters of A-Z2-7, the
shape of AWS's (e.g. `TA7SMP42TDN5Z26OBPJE7…` in the API reference).
"""

import secrets

from cryptography.hazmat.primitives.asymmetric import rsa

from ..protocol.errors import AWSError, invalid_input, no_such_entity
from ..store.certificates import SigningCertificateRepo, lock_account
from ..store.paging import listing
from .dependents import blocks_delete
from .pem import check_validity, load_certificate, sha1_fingerprint
from .quotas import within_quota
from .registry import operation
from .users import target_user

_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
MIN_KEY_BITS = 1024


def certificate_id() -> str:
    return "".join(secrets.choice(_ID_CHARS) for _ in range(32))


def owner(ctx, p, lock: bool = False) -> tuple[str | None, str]:
    """(user_id, name shown as UserName); user_id None is the root user."""
    if p.get("UserName") is None and ctx.caller.kind == "root":
        if lock:
            lock_account(ctx.tx, ctx.account_id)
        return None, ctx.account_id
    row = target_user(ctx, p, lock=lock)
    return row.user_id, row.name


def shape(row, user_name: str) -> dict:
    return {"UserName": user_name, "CertificateId": row.certificate_id, "CertificateBody": row.body,
            "Status": row.status, "UploadDate": row.uploaded_at}


def _require(ctx, p):
    user_id, name = owner(ctx, p)
    row = SigningCertificateRepo(ctx.tx, ctx.account_id).get(user_id, p["CertificateId"])
    if row is None:
        raise no_such_entity(f"The Certificate with id {p['CertificateId']} cannot be found.")
    return row


@operation("UploadSigningCertificate")
def upload_signing_certificate(ctx, p):
    user_id, name = owner(ctx, p, lock=True)
    cert = load_certificate(p["CertificateBody"])
    check_validity(cert, ctx.now)
    key = cert.public_key()
    # Signing certificates authenticate RSA-signed requests (EC2 AMI tools, SOAP).
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_KEY_BITS:
        raise AWSError("InvalidCertificate",
                       f"The certificate's public key must be an RSA key of at least {MIN_KEY_BITS} bits.")
    repo = SigningCertificateRepo(ctx.tx, ctx.account_id)
    fingerprint = sha1_fingerprint(cert)
    if repo.by_fingerprint(fingerprint) is not None:
        raise AWSError("DuplicateCertificate",
                       "The same certificate is already associated with an IAM user in this account.")
    within_quota(ctx, "SigningCertificatesPerUserQuota", "CertificatesPerUser", repo.count_for_user(user_id) + 1)
    cert_id = certificate_id()
    repo.create(cert_id, user_id, p["CertificateBody"], fingerprint, ctx.now)
    return {"Certificate": shape(repo.get(user_id, cert_id), name)}


@operation("ListSigningCertificates")
def list_signing_certificates(ctx, p):
    user_id, name = owner(ctx, p)
    rows, marker = SigningCertificateRepo(ctx.tx, ctx.account_id).list(
        user_id, p.get("Marker"), p.get("MaxItems"))
    return listing([shape(r, name) for r in rows], marker, "Certificates")


@operation("UpdateSigningCertificate")
def update_signing_certificate(ctx, p):
    row = _require(ctx, p)
    if p["Status"] not in ("Active", "Inactive"):
        raise invalid_input("Invalid status. Status must be Active or Inactive.")
    SigningCertificateRepo(ctx.tx, ctx.account_id).set_status(row.certificate_id, p["Status"])


@operation("DeleteSigningCertificate")
def delete_signing_certificate(ctx, p):
    row = _require(ctx, p)
    SigningCertificateRepo(ctx.tx, ctx.account_id).delete(row.certificate_id)


@blocks_delete("user", "delete signing certificates")
def _user_signing_certificates(ctx, user_row):
    return SigningCertificateRepo(ctx.tx, ctx.account_id).count_for_user(user_row.user_id)
