"""Signing certificates over HTTP with boto3: upload for a user, for the calling user and
for root; quota, duplicates, malformed and invalid certificates; list, update, delete;
DeleteUser blocked while one exists."""

import re

import pytest
from botocore.exceptions import ClientError
from helpers import certificate_pem, client_of, code, message, new_ec_key, status


def test_upload_list_update_delete(iam, name):
    user = name("signer")
    iam.create_user(UserName=user)
    body = certificate_pem(cn="signer")
    cert = iam.upload_signing_certificate(UserName=user, CertificateBody=body)["Certificate"]
    assert cert["UserName"] == user and cert["Status"] == "Active" and cert["CertificateBody"] == body
    assert re.fullmatch(r"[A-Z2-7]{32}", cert["CertificateId"])
    listed = iam.list_signing_certificates(UserName=user)
    assert listed["Certificates"] == [cert] and listed["IsTruncated"] is False
    iam.update_signing_certificate(UserName=user, CertificateId=cert["CertificateId"], Status="Inactive")
    assert iam.list_signing_certificates(UserName=user)["Certificates"][0]["Status"] == "Inactive"
    with pytest.raises(ClientError) as e:
        iam.update_signing_certificate(UserName=user, CertificateId=cert["CertificateId"], Status="Expired")
    assert code(e) == "InvalidInput" and status(e) == 400
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=user)
    assert code(e) == "DeleteConflict" and status(e) == 409
    assert message(e) == "Cannot delete entity, must delete signing certificates first."
    iam.delete_signing_certificate(UserName=user, CertificateId=cert["CertificateId"])
    assert iam.list_signing_certificates(UserName=user)["Certificates"] == []
    missing = cert["CertificateId"]
    for call in (lambda: iam.delete_signing_certificate(UserName=user, CertificateId=missing),
                 lambda: iam.update_signing_certificate(UserName=user, CertificateId=missing, Status="Active")):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "NoSuchEntity" and status(e) == 404
        assert message(e) == f"The Certificate with id {missing} cannot be found."
    iam.delete_user(UserName=user)


def test_quota_duplicates_and_paging(iam, name):
    a, b = name("sa"), name("sb")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    first = certificate_pem(cn="signer")
    ids = [iam.upload_signing_certificate(UserName=a, CertificateBody=body)["Certificate"]["CertificateId"]
           for body in (first, certificate_pem(cn="signer"))]
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=a, CertificateBody=certificate_pem(cn="signer"))
    assert code(e) == "LimitExceeded" and status(e) == 409
    assert message(e) == "Cannot exceed quota for CertificatesPerUser: 2"
    for owner in (a, b):
        with pytest.raises(ClientError) as e:
            iam.upload_signing_certificate(UserName=owner, CertificateBody=first)
        assert code(e) == "DuplicateCertificate" and status(e) == 409
    page = iam.list_signing_certificates(UserName=a, MaxItems=1)
    assert page["IsTruncated"] and len(page["Certificates"]) == 1
    rest = iam.list_signing_certificates(UserName=a, Marker=page["Marker"])
    assert [c["CertificateId"] for c in page["Certificates"] + rest["Certificates"]] == ids
    # Certificates belong to their user: another user cannot see or touch them.
    with pytest.raises(ClientError) as e:
        iam.delete_signing_certificate(UserName=b, CertificateId=ids[0])
    assert code(e) == "NoSuchEntity"


def test_malformed_invalid_and_unknown_user(iam, name):
    user = name("bad")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=user, CertificateBody="not a certificate")
    assert code(e) == "MalformedCertificate" and status(e) == 400
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=user, CertificateBody=certificate_pem(cn="signer", days=-1, start=-9))
    assert code(e) == "MalformedCertificate"
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName=user, CertificateBody=certificate_pem(new_ec_key(), "signer"))
    assert code(e) == "InvalidCertificate" and status(e) == 400
    ghost = name("ghost")
    for call in (lambda: iam.upload_signing_certificate(UserName=ghost, CertificateBody=certificate_pem(cn="signer")),
                 lambda: iam.list_signing_certificates(UserName=ghost)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "NoSuchEntity"
        assert message(e) == f"The user with name {ghost} cannot be found."


def test_without_user_name_root_and_calling_user(iam, name, server):
    # Root: the certificate is the root user's, shown under the account id.
    cert = iam.upload_signing_certificate(CertificateBody=certificate_pem(cn="signer"))["Certificate"]
    try:
        assert cert["UserName"] == server.account_id
        assert cert["CertificateId"] in [c["CertificateId"] for c in iam.list_signing_certificates()["Certificates"]]
        iam.update_signing_certificate(CertificateId=cert["CertificateId"], Status="Inactive")
    finally:
        iam.delete_signing_certificate(CertificateId=cert["CertificateId"])
    # An IAM user: its own certificates.
    user = name("self")
    iam.create_user(UserName=user)
    own = client_of(server, iam, user, allow=("iam:UploadSigningCertificate", "iam:ListSigningCertificates"))
    mine = own.upload_signing_certificate(CertificateBody=certificate_pem(cn="signer"))["Certificate"]
    assert mine["UserName"] == user
    assert [c["CertificateId"] for c in iam.list_signing_certificates(UserName=user)["Certificates"]] \
        == [mine["CertificateId"]]
    assert own.list_signing_certificates()["Certificates"][0]["UserName"] == user
