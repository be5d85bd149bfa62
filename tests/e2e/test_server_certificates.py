"""Server certificates over HTTP with boto3: upload checks (body, chain, key pair,
validity), get, list with paths and paging, rename/move, delete, tags, quota."""

import pytest
from botocore.exceptions import ClientError
from helpers import code, key_pem, make_certificate, message, new_ec_key, status


def upload(iam, name, **kw):
    key = new_ec_key()
    body, cert = make_certificate(key)
    meta = iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body,
                                         PrivateKey=key_pem(key), **kw)
    return meta, body, cert


def test_upload_get_delete(iam, name, server):
    n = name("cert")
    out, body, cert = upload(iam, n, Path="/cloudfront/test/", Tags=[{"Key": "env", "Value": "prod"}])
    meta = out["ServerCertificateMetadata"]
    assert meta["ServerCertificateId"].startswith("ASCA") and len(meta["ServerCertificateId"]) == 21
    assert meta["Arn"] == f"arn:aws:iam::{server.account_id}:server-certificate/cloudfront/test/{n}"
    assert meta["Path"] == "/cloudfront/test/" and meta["ServerCertificateName"] == n
    assert meta["Expiration"] == cert.not_valid_after_utc
    assert out["Tags"] == [{"Key": "env", "Value": "prod"}]
    got = iam.get_server_certificate(ServerCertificateName=n)["ServerCertificate"]
    assert got["CertificateBody"] == body and "CertificateChain" not in got
    assert got["ServerCertificateMetadata"] == meta
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert "PrivateKey" not in got
    iam.delete_server_certificate(ServerCertificateName=n)
    with pytest.raises(ClientError) as e:
        iam.get_server_certificate(ServerCertificateName=n)
    assert code(e) == "NoSuchEntity" and status(e) == 404
    assert message(e) == f"The Server Certificate with name {n} cannot be found."
    with pytest.raises(ClientError) as e:
        iam.delete_server_certificate(ServerCertificateName=n)
    assert code(e) == "NoSuchEntity"


def test_chain_is_checked_and_returned(iam, name):
    root_key, leaf_key = new_ec_key(), new_ec_key()
    root_pem, root = make_certificate(root_key, "Example Root CA", days=365)
    leaf_pem, _ = make_certificate(leaf_key, "leaf.example.com", issuer=(root, root_key))
    n = name("chained")
    iam.upload_server_certificate(ServerCertificateName=n, CertificateBody=leaf_pem,
                                  PrivateKey=key_pem(leaf_key), CertificateChain=root_pem)
    got = iam.get_server_certificate(ServerCertificateName=n)["ServerCertificate"]
    assert got["CertificateChain"] == root_pem
    stranger_pem, _ = make_certificate(new_ec_key(), "Another CA")
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=name("badchain"), CertificateBody=leaf_pem,
                                      PrivateKey=key_pem(leaf_key), CertificateChain=stranger_pem)
    assert code(e) == "MalformedCertificate" and status(e) == 400
    assert message(e).startswith("Unable to validate certificate chain.")
    assert message(e).endswith("The index within the chain of the invalid certificate is: -1")
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=name("badchain"), CertificateBody=leaf_pem,
                                      PrivateKey=key_pem(leaf_key), CertificateChain="not a chain")
    assert code(e) == "MalformedCertificate"


def test_upload_errors(iam, name):
    key = new_ec_key()
    body, _ = make_certificate(key)
    n = name("bad")
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=n, CertificateBody="garbage",
                                      PrivateKey=key_pem(key))
    assert code(e) == "MalformedCertificate" and status(e) == 400
    assert message(e) == "Unable to parse certificate. Please ensure the certificate is in PEM format."
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=n, CertificateBody=body, PrivateKey="garbage")
    assert code(e) == "MalformedCertificate"
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=n, CertificateBody=body,
                                      PrivateKey=key_pem(new_ec_key()))
    assert code(e) == "KeyPairMismatch" and status(e) == 400
    expired, _ = make_certificate(key, days=-1, start=-30)
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=n, CertificateBody=expired,
                                      PrivateKey=key_pem(key))
    assert code(e) == "MalformedCertificate" and "no longer valid" in message(e)
    with pytest.raises(ClientError) as e:
        iam.get_server_certificate(ServerCertificateName=n)
    assert code(e) == "NoSuchEntity"


def test_duplicate_name_is_case_insensitive(iam, name):
    n = name("Dup")
    upload(iam, n)
    with pytest.raises(ClientError) as e:
        upload(iam, n.lower())
    assert code(e) == "EntityAlreadyExists" and status(e) == 409
    assert message(e) == f"The Server Certificate with name {n.lower()} already exists."


def test_list_path_prefix_and_paging(iam, name):
    prefix = f"/{name('p')}/"
    made = sorted(name("lc") for _ in range(5))
    for n in made:
        upload(iam, n, Path=prefix)
    upload(iam, name("elsewhere"), Path=f"/{name('q')}/")
    page = iam.list_server_certificates(PathPrefix=prefix, MaxItems=2)
    assert page["IsTruncated"] and len(page["ServerCertificateMetadataList"]) == 2
    seen = [m["ServerCertificateName"]
            for pg in iam.get_paginator("list_server_certificates").paginate(
                PathPrefix=prefix, PaginationConfig={"PageSize": 2})
            for m in pg["ServerCertificateMetadataList"]]
    assert seen == made
    everything = [m["ServerCertificateName"] for pg in iam.get_paginator("list_server_certificates").paginate()
                  for m in pg["ServerCertificateMetadataList"]]
    assert set(made) <= set(everything)


def test_update_renames_and_moves(iam, name):
    old, new, other = name("old"), name("new"), name("other")
    cert_id = upload(iam, old, Tags=[{"Key": "k", "Value": "v"}])[0]["ServerCertificateMetadata"]["ServerCertificateId"]
    upload(iam, other)
    iam.update_server_certificate(ServerCertificateName=old, NewServerCertificateName=new, NewPath="/moved/")
    meta = iam.get_server_certificate(ServerCertificateName=new)["ServerCertificate"]["ServerCertificateMetadata"]
    assert meta["ServerCertificateId"] == cert_id and meta["Path"] == "/moved/"
    assert meta["Arn"].endswith(f":server-certificate/moved/{new}")
    assert iam.list_server_certificate_tags(ServerCertificateName=new)["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as e:
        iam.get_server_certificate(ServerCertificateName=old)
    assert code(e) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.update_server_certificate(ServerCertificateName=new, NewServerCertificateName=other.upper())
    assert code(e) == "EntityAlreadyExists"
    with pytest.raises(ClientError) as e:
        iam.update_server_certificate(ServerCertificateName=name("missing"), NewPath="/x/")
    assert code(e) == "NoSuchEntity"


def test_tags(iam, name):
    n = name("tagged")
    upload(iam, n)
    iam.tag_server_certificate(ServerCertificateName=n, Tags=[{"Key": "Costcenter", "Value": "1"},
                                                              {"Key": "a", "Value": ""}])
    iam.tag_server_certificate(ServerCertificateName=n, Tags=[{"Key": "costcenter", "Value": "2"}])
    tags = iam.list_server_certificate_tags(ServerCertificateName=n)["Tags"]
    assert sorted(t["Key"] for t in tags) == ["Costcenter", "a", "costcenter"]  # case-sensitive keys
    page = iam.list_server_certificate_tags(ServerCertificateName=n, MaxItems=2)
    assert page["IsTruncated"] and len(page["Tags"]) == 2
    rest = iam.list_server_certificate_tags(ServerCertificateName=n, Marker=page["Marker"])
    assert not rest["IsTruncated"] and len(rest["Tags"]) == 1
    iam.untag_server_certificate(ServerCertificateName=n, TagKeys=["Costcenter", "absent"])
    assert sorted(t["Key"] for t in iam.list_server_certificate_tags(ServerCertificateName=n)["Tags"]) \
        == ["a", "costcenter"]
    with pytest.raises(ClientError) as e:
        iam.tag_server_certificate(ServerCertificateName=n, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code(e) == "InvalidInput"
    for call in (lambda: iam.tag_server_certificate(ServerCertificateName=name("none"),
                                                    Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: iam.untag_server_certificate(ServerCertificateName=name("none"), TagKeys=["k"]),
                 lambda: iam.list_server_certificate_tags(ServerCertificateName=name("none"))):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "NoSuchEntity"


def test_quota_of_twenty(iam, name):
    existing = [m["ServerCertificateName"] for pg in iam.get_paginator("list_server_certificates").paginate()
                for m in pg["ServerCertificateMetadataList"]]
    made = []
    try:
        for _ in range(20 - len(existing)):
            n = name("q")
            upload(iam, n)
            made.append(n)
        with pytest.raises(ClientError) as e:
            upload(iam, name("over"))
        assert code(e) == "LimitExceeded" and status(e) == 409
        assert message(e) == "Cannot exceed quota for ServerCertificates: 20"
    finally:
        for n in made + existing:
            iam.delete_server_certificate(ServerCertificateName=n)
