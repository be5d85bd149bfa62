"""SSH public keys of users (CodeCommit): upload, read in SSH or PEM encoding, list,
activate/deactivate, delete.

Keys are RSA of at least 2048 bits, uploaded as an ssh-rsa line or a PEM public key. The
fingerprint is the MD5 of the key's SSH wire blob, so both encodings of one key share it
and a second upload of the same key to the same user is a DuplicateSSHPublicKey.
"""

from ..protocol.errors import AWSError, invalid_input, no_such_entity
from ..store.paging import listing
from ..store.ssh_keys import SSHKeyRepo
from . import ids, pem
from .dependents import blocks_delete
from .quotas import within_quota
from .registry import operation
from .users import require_user, target_user


def shape(row, user_name: str, body: str) -> dict:
    return {"UserName": user_name, "SSHPublicKeyId": row.key_id, "Fingerprint": row.fingerprint,
            "SSHPublicKeyBody": body, "Status": row.status, "UploadDate": row.uploaded_at}


def _require(ctx, p):
    user = require_user(ctx, p["UserName"])
    row = SSHKeyRepo(ctx.tx, ctx.account_id).get(user.user_id, p["SSHPublicKeyId"])
    if row is None:
        raise no_such_entity(f"The SSH Public Key with id {p['SSHPublicKeyId']} cannot be found")
    return user, row


@operation("UploadSSHPublicKey")
def upload_ssh_public_key(ctx, p):
    user = require_user(ctx, p["UserName"], lock=True)
    body = p["SSHPublicKeyBody"]
    fingerprint = pem.ssh_fingerprint(pem.load_ssh_public_key(body))
    repo = SSHKeyRepo(ctx.tx, ctx.account_id)
    if repo.has_fingerprint(user.user_id, fingerprint):
        raise AWSError("DuplicateSSHPublicKey",
                       "The SSH public key is already associated with the specified IAM user.")
    within_quota(ctx, "SSHPublicKeysPerUserQuota", "SSHPublicKeysPerUser", repo.count_for_user(user.user_id) + 1)
    key_id = ids.unique_id("APKA")
    repo.create(key_id, user.user_id, body, fingerprint, ctx.now)
    return {"SSHPublicKey": shape(repo.get(user.user_id, key_id), user.name, body)}


@operation("GetSSHPublicKey")
def get_ssh_public_key(ctx, p):
    user, row = _require(ctx, p)
    key = pem.load_ssh_public_key(row.body)
    if p["Encoding"] == "PEM":
        body = pem.pem_encoding(key)
    else:
        body = row.body if pem.is_ssh_line(row.body) else pem.ssh_encoding(key)
    return {"SSHPublicKey": shape(row, user.name, body)}


@operation("ListSSHPublicKeys")
def list_ssh_public_keys(ctx, p):
    if p.get("UserName") is None and ctx.caller.kind == "root":
        return listing([], None, "SSHPublicKeys")  # the root user holds no SSH keys
    user = target_user(ctx, p)
    rows, marker = SSHKeyRepo(ctx.tx, ctx.account_id).list(user.user_id, p.get("Marker"), p.get("MaxItems"))
    return listing([{"UserName": user.name, "SSHPublicKeyId": r.key_id, "Status": r.status,
                     "UploadDate": r.uploaded_at} for r in rows], marker, "SSHPublicKeys")


@operation("UpdateSSHPublicKey")
def update_ssh_public_key(ctx, p):
    _, row = _require(ctx, p)
    if p["Status"] not in ("Active", "Inactive"):
        raise invalid_input("Invalid status. Status must be Active or Inactive.")
    SSHKeyRepo(ctx.tx, ctx.account_id).set_status(row.key_id, p["Status"])


@operation("DeleteSSHPublicKey")
def delete_ssh_public_key(ctx, p):
    _, row = _require(ctx, p)
    SSHKeyRepo(ctx.tx, ctx.account_id).delete(row.key_id)


@blocks_delete("user", "remove referenced objects")
def _user_ssh_keys(ctx, user_row):
    return SSHKeyRepo(ctx.tx, ctx.account_id).count_for_user(user_row.user_id)
