"""Server certificates: upload (certificate, chain and private key checked with
`cryptography`), read, list, rename/move, delete, tags.

The private key is encrypted at rest and never returned. Names are unique per account
case-insensitively, like the other named IAM entities; tags hang off the ASCA id so a
rename keeps them.
"""

from ..protocol.errors import already_exists, no_such_entity
from ..store.certificates import ServerCertificateRepo, lock_account
from ..store.paging import listing
from ..store.tags import TagRepo
from . import ids, pem
from .arns import arn
from .quotas import within_quota
from .registry import operation
from .tags import add_tags, check_new_tags, tag_operations, with_tags

TAG_TYPE = "server-certificate"


def metadata(ctx, row) -> dict:
    return {"Path": row.path, "ServerCertificateName": row.name,
            "ServerCertificateId": row.certificate_id,
            "Arn": arn(ctx.account_id, "server-certificate", row.path, row.name),
            "UploadDate": row.uploaded_at, "Expiration": row.expires_at}


def require_certificate(ctx, name: str):
    row = ServerCertificateRepo(ctx.tx, ctx.account_id).get(name)
    if row is None:
        raise no_such_entity(f"The Server Certificate with name {name} cannot be found.")
    return row


@operation("UploadServerCertificate")
def upload_server_certificate(ctx, p):
    tags = p.get("Tags", [])
    check_new_tags(tags)
    cert = pem.load_certificate(p["CertificateBody"])
    key = pem.load_private_key(p["PrivateKey"])
    chain = pem.load_chain(p["CertificateChain"]) if "CertificateChain" in p else []
    pem.check_validity(cert, ctx.now)
    pem.check_key_pair(cert, key)
    if chain:
        pem.check_chain(cert, chain)
    repo = ServerCertificateRepo(ctx.tx, ctx.account_id)
    lock_account(ctx.tx, ctx.account_id)
    within_quota(ctx, "ServerCertificatesQuota", "ServerCertificates", repo.count() + 1)
    cert_id = ids.unique_id("ASCA")
    name, path = p["ServerCertificateName"], p.get("Path", "/")
    if not repo.create(certificate_id=cert_id, name=name, path=path, body=p["CertificateBody"],
                       chain=p.get("CertificateChain"),
                       private_key=ctx.app.box.encrypt(p["PrivateKey"]),
                       uploaded_at=ctx.now, expires_at=cert.not_valid_after_utc.timestamp()):
        raise already_exists(f"The Server Certificate with name {name} already exists.")
    add_tags(ctx, TAG_TYPE, cert_id, tags)
    return with_tags(ctx, TAG_TYPE, cert_id, {"ServerCertificateMetadata": metadata(ctx, repo.get(name))})


@operation("GetServerCertificate")
def get_server_certificate(ctx, p):
    row = require_certificate(ctx, p["ServerCertificateName"])
    out = {"ServerCertificateMetadata": metadata(ctx, row), "CertificateBody": row.body}
    if row.chain:
        out["CertificateChain"] = row.chain
    return {"ServerCertificate": with_tags(ctx, TAG_TYPE, row.certificate_id, out, always=True)}


@operation("ListServerCertificates")
def list_server_certificates(ctx, p):
    rows, marker = ServerCertificateRepo(ctx.tx, ctx.account_id).list(
        p.get("PathPrefix"), p.get("Marker"), p.get("MaxItems"))
    return listing([metadata(ctx, r) for r in rows], marker, "ServerCertificateMetadataList")


@operation("UpdateServerCertificate")
def update_server_certificate(ctx, p):
    row = require_certificate(ctx, p["ServerCertificateName"])
    values = {}
    if "NewServerCertificateName" in p:
        values["name"] = p["NewServerCertificateName"]
    if "NewPath" in p:
        values["path"] = p["NewPath"]
    if values and not ServerCertificateRepo(ctx.tx, ctx.account_id).update(row.certificate_id, **values):
        raise already_exists(
            f"The Server Certificate with name {values['name']} already exists.")


@operation("DeleteServerCertificate")
def delete_server_certificate(ctx, p):
    row = require_certificate(ctx, p["ServerCertificateName"])
    TagRepo(ctx.tx, ctx.account_id).remove_all(TAG_TYPE, row.certificate_id)
    ServerCertificateRepo(ctx.tx, ctx.account_id).delete(row.certificate_id)


tag_operations("ServerCertificate", TAG_TYPE,
               lambda ctx, p: require_certificate(ctx, p["ServerCertificateName"]).certificate_id)
