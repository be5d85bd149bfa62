"""SSH public keys over HTTP with boto3: upload in ssh-rsa and PEM form, fingerprint,
read back in both encodings, list, status, delete, quota, duplicates, bad keys, and
DeleteUser blocked while a key exists."""

import base64
import hashlib
import re

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from helpers import client_of, code, message, new_ec_key, new_rsa_key, status


@pytest.fixture(scope="module")
def keys():
    """Seven 2048-bit RSA public keys, made once (generation is the slow part)."""
    return [new_rsa_key().public_key() for _ in range(7)]


def ssh_line(pub) -> str:
    return pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def pem_of(pub) -> str:
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def md5_fingerprint(pub) -> str:
    digest = hashlib.md5(base64.b64decode(ssh_line(pub).split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def test_upload_get_list_update_delete(iam, name, keys):
    user = name("git")
    iam.create_user(UserName=user)
    body = ssh_line(keys[0]) + " me@laptop"
    key = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)["SSHPublicKey"]
    assert re.fullmatch(r"APKA[A-Z2-7]{17}", key["SSHPublicKeyId"])
    assert key["Fingerprint"] == md5_fingerprint(keys[0])
    assert key["SSHPublicKeyBody"] == body and key["Status"] == "Active" and key["UserName"] == user
    kid = key["SSHPublicKeyId"]
    got = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]
    assert got == key
    as_pem = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Encoding="PEM")["SSHPublicKey"]
    assert as_pem["SSHPublicKeyBody"] == pem_of(keys[0])
    assert as_pem["SSHPublicKeyBody"].startswith("-----BEGIN PUBLIC KEY-----\n")
    listed = iam.list_ssh_public_keys(UserName=user)
    assert listed["SSHPublicKeys"] == [{"UserName": user, "SSHPublicKeyId": kid, "Status": "Active",
                                        "UploadDate": key["UploadDate"]}]
    iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Status="Inactive")
    assert iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Encoding="SSH")["SSHPublicKey"]["Status"] \
        == "Inactive"
    with pytest.raises(ClientError) as e:
        iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Status="Expired")
    assert code(e) == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=user)
    assert code(e) == "DeleteConflict"
    assert message(e) == "Cannot delete entity, must remove referenced objects first."
    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=kid)
    for call in (lambda: iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Encoding="SSH"),
                 lambda: iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=kid, Status="Active"),
                 lambda: iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=kid)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "NoSuchEntity" and status(e) == 404
        assert message(e) == f"The SSH Public Key with id {kid} cannot be found"
    iam.delete_user(UserName=user)


def test_pem_upload_reads_back_as_ssh_rsa(iam, name, keys):
    user = name("pem")
    iam.create_user(UserName=user)
    key = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=pem_of(keys[1]))["SSHPublicKey"]
    assert key["Fingerprint"] == md5_fingerprint(keys[1])
    got = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="SSH")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"] == ssh_line(keys[1])
    # The same key in the other encoding is the same key.
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_line(keys[1]))
    assert code(e) == "DuplicateSSHPublicKey" and status(e) == 400
    # ... but another user may hold it.
    other = name("other")
    iam.create_user(UserName=other)
    iam.upload_ssh_public_key(UserName=other, SSHPublicKeyBody=ssh_line(keys[1]))


def test_bad_keys(iam, name):
    user = name("badkey")
    iam.create_user(UserName=user)
    small = new_rsa_key(1024).public_key()
    ec_pub = new_ec_key().public_key()
    for body in (ssh_line(small), ssh_line(ec_pub), pem_of(ec_pub), "ssh-rsa bm90LWEta2V5"):
        with pytest.raises(ClientError) as e:
            iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)
        assert code(e) == "InvalidPublicKey" and status(e) == 400, body
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody="this is not a key")
    assert code(e) == "UnrecognizedPublicKeyEncoding" and status(e) == 400
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName=name("ghost"), SSHPublicKeyBody="ssh-rsa AAAA")
    assert code(e) == "NoSuchEntity"


def test_quota_and_paging(iam, name, keys):
    user = name("five")
    iam.create_user(UserName=user)
    ids = [iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_line(k))["SSHPublicKey"]["SSHPublicKeyId"]
           for k in keys[2:7]]
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_line(keys[0]))
    assert code(e) == "LimitExceeded" and status(e) == 409
    assert message(e) == "Cannot exceed quota for SSHPublicKeysPerUser: 5"
    seen = [k["SSHPublicKeyId"] for pg in iam.get_paginator("list_ssh_public_keys").paginate(
        UserName=user, PaginationConfig={"PageSize": 2}) for k in pg["SSHPublicKeys"]]
    assert seen == ids


def test_list_without_user_name(iam, name, server, keys):
    assert iam.list_ssh_public_keys()["SSHPublicKeys"] == []  # the root user has none
    user = name("self")
    iam.create_user(UserName=user)
    iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_line(keys[0]))
    own = client_of(server, iam, user, allow=("iam:ListSSHPublicKeys",))
    assert [k["UserName"] for k in own.list_ssh_public_keys()["SSHPublicKeys"]] == [user]
