"""SAML providers over HTTP with boto3: create from realistic IdP metadata (generated with a
self-signed signing certificate), get, list (client and resource), update metadata and
encryption keys, delete, tags, and the metadata checks."""

import base64
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from helpers import code, idp_signing_certificate, message, new_ec_key, saml_metadata


@pytest.fixture(scope="module")
def signing_cert() -> str:
    return idp_signing_certificate()


def test_create_get_list_delete(iam, name, server, signing_cert):
    n = name("Okta")
    doc = saml_metadata(signing_cert)
    out = iam.create_saml_provider(Name=n, SAMLMetadataDocument=doc, Tags=[{"Key": "team", "Value": "sso"}])
    provider_arn = f"arn:aws:iam::{server.account_id}:saml-provider/{n}"
    assert out["SAMLProviderArn"] == provider_arn and out["Tags"] == [{"Key": "team", "Value": "sso"}]
    got = iam.get_saml_provider(SAMLProviderArn=provider_arn)
    assert got["SAMLMetadataDocument"] == doc and got["Tags"] == [{"Key": "team", "Value": "sso"}]
    assert 22 <= len(got["SAMLProviderUUID"]) <= 64 and got["SAMLProviderUUID"].isalnum()
    created, valid_until = got["CreateDate"], got["ValidUntil"]
    assert valid_until.replace(year=valid_until.year - 100) == created  # AWS's default: 100 years
    assert "PrivateKeyList" not in got and "AssertionEncryptionMode" not in got
    entry = {"Arn": provider_arn, "ValidUntil": valid_until, "CreateDate": created}
    assert entry in iam.list_saml_providers()["SAMLProviderList"]
    with pytest.raises(ClientError) as e:
        iam.create_saml_provider(Name=n, SAMLMetadataDocument=doc)
    assert code(e) == "EntityAlreadyExists"
    assert message(e) == f"Provider with name {n} already exists."
    iam.delete_saml_provider(SAMLProviderArn=provider_arn)
    assert entry not in iam.list_saml_providers()["SAMLProviderList"]
    for call in (lambda: iam.get_saml_provider(SAMLProviderArn=provider_arn),
                 lambda: iam.delete_saml_provider(SAMLProviderArn=provider_arn),
                 lambda: iam.update_saml_provider(SAMLProviderArn=provider_arn, SAMLMetadataDocument=doc),
                 lambda: iam.list_saml_provider_tags(SAMLProviderArn=provider_arn)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "NoSuchEntity"
        assert message(e) == f"Manifest not found for arn {provider_arn}"
    with pytest.raises(ClientError) as e:
        iam.get_saml_provider(SAMLProviderArn=f"arn:aws:iam::{server.account_id}:role/{n}")
    assert code(e) == "InvalidInput"


def test_valid_until_comes_from_metadata(iam, name, server, signing_cert):
    n = name("dated")
    provider_arn = iam.create_saml_provider(
        Name=n, SAMLMetadataDocument=saml_metadata(signing_cert, "2031-07-01T12:30:00Z"))["SAMLProviderArn"]
    assert iam.get_saml_provider(SAMLProviderArn=provider_arn)["ValidUntil"] == \
        datetime(2031, 7, 1, 12, 30, tzinfo=timezone.utc)
    iam.update_saml_provider(SAMLProviderArn=provider_arn,
                             SAMLMetadataDocument=saml_metadata(signing_cert, "2032-01-02T03:04:05.250+01:00"))
    got = iam.get_saml_provider(SAMLProviderArn=provider_arn)
    assert got["ValidUntil"] == datetime(2032, 1, 2, 2, 4, 5, tzinfo=timezone.utc)
    assert "2032-01-02T03:04:05.250+01:00" in got["SAMLMetadataDocument"]


def test_bad_metadata(iam, name, server, signing_cert):
    n = name("bad")
    bad = {
        "not xml": "x" * 1200,
        "not an EntityDescriptor": saml_metadata(signing_cert, root="md:EntitiesDescriptor"),
        "no IDPSSODescriptor": saml_metadata(signing_cert, idp=False) + "<!--" + "x" * 600 + "-->",
        "not SAML 2.0": saml_metadata(signing_cert, protocol="urn:oasis:names:tc:SAML:1.1:protocol"),
        "no signing certificate": saml_metadata(signing_cert, keys="") + "<!--" + "x" * 400 + "-->",
        "certificate not base64": saml_metadata("%%%" + signing_cert[3:]),
        "certificate not X.509": saml_metadata(base64.b64encode(b"\x30\x03\x02\x01\x01" * 200).decode()),
        "bad validUntil": saml_metadata(signing_cert, "next tuesday"),
        "entity expansion": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "' + "a" * 50 + '">]>'
                            + saml_metadata(signing_cert).split("?>", 1)[1].replace("okta", "&a;"),
    }
    for why, doc in bad.items():
        with pytest.raises(ClientError) as e:
            iam.create_saml_provider(Name=n, SAMLMetadataDocument=doc)
        assert code(e) == "InvalidInput", why
        assert message(e).startswith("Could not parse metadata: "), why
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    unchecked = server.client("iam", validate=False)
    with pytest.raises(ClientError) as e:
        unchecked.create_saml_provider(Name=n, SAMLMetadataDocument="<short/>")
    assert code(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        iam.get_saml_provider(SAMLProviderArn=f"arn:aws:iam::000000000000:saml-provider/{n}")
    assert code(e) == "NoSuchEntity"


def test_encryption_keys(iam, name, signing_cert):
    def private_key() -> str:
        return new_ec_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode()

    doc = saml_metadata(signing_cert)
    with pytest.raises(ClientError) as e:
        iam.create_saml_provider(Name=name("enc"), SAMLMetadataDocument=doc, AssertionEncryptionMode="Required")
    assert code(e) == "InvalidInput"
    provider_arn = iam.create_saml_provider(Name=name("enc"), SAMLMetadataDocument=doc,
                                            AssertionEncryptionMode="Required",
                                            AddPrivateKey=private_key())["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=provider_arn)
    assert got["AssertionEncryptionMode"] == "Required" and len(got["PrivateKeyList"]) == 1
    first = got["PrivateKeyList"][0]["KeyId"]
    assert 22 <= len(first) <= 64 and first.isupper()
    iam.update_saml_provider(SAMLProviderArn=provider_arn, AddPrivateKey=private_key())
    with pytest.raises(ClientError) as e:
        iam.update_saml_provider(SAMLProviderArn=provider_arn, AddPrivateKey=private_key())
    assert code(e) == "LimitExceeded"
    iam.update_saml_provider(SAMLProviderArn=provider_arn, RemovePrivateKey=first)
    keys = iam.get_saml_provider(SAMLProviderArn=provider_arn)["PrivateKeyList"]
    assert len(keys) == 1 and keys[0]["KeyId"] != first
    for kw in ({}, {"AddPrivateKey": private_key(), "RemovePrivateKey": keys[0]["KeyId"]},
               {"RemovePrivateKey": first}, {"RemovePrivateKey": keys[0]["KeyId"]},
               {"AddPrivateKey": "not a key"}):
        with pytest.raises(ClientError) as e:
            iam.update_saml_provider(SAMLProviderArn=provider_arn, **kw)
        assert code(e) == "InvalidInput", kw
    iam.update_saml_provider(SAMLProviderArn=provider_arn, AssertionEncryptionMode="Allowed")
    iam.update_saml_provider(SAMLProviderArn=provider_arn, RemovePrivateKey=keys[0]["KeyId"])
    got = iam.get_saml_provider(SAMLProviderArn=provider_arn)
    assert got["AssertionEncryptionMode"] == "Allowed" and "PrivateKeyList" not in got


def test_tags(iam, name, signing_cert):
    provider_arn = iam.create_saml_provider(Name=name("t"), SAMLMetadataDocument=saml_metadata(signing_cert))[
        "SAMLProviderArn"]
    iam.tag_saml_provider(SAMLProviderArn=provider_arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    iam.tag_saml_provider(SAMLProviderArn=provider_arn, Tags=[{"Key": "A", "Value": "3"}])
    assert iam.list_saml_provider_tags(SAMLProviderArn=provider_arn)["Tags"] == [
        {"Key": "A", "Value": "3"}, {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    iam.untag_saml_provider(SAMLProviderArn=provider_arn, TagKeys=["a"])
    assert [t["Key"] for t in iam.get_saml_provider(SAMLProviderArn=provider_arn)["Tags"]] == ["A", "b"]
    with pytest.raises(ClientError) as e:
        iam.tag_saml_provider(SAMLProviderArn=provider_arn, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(49)])
    assert code(e) == "LimitExceeded"
    iam.delete_saml_provider(SAMLProviderArn=provider_arn)
    with pytest.raises(ClientError) as e:
        iam.tag_saml_provider(SAMLProviderArn=provider_arn, Tags=[{"Key": "k", "Value": "v"}])
    assert code(e) == "NoSuchEntity"


def test_resource_collection_as_the_seed_uses_it(server, name, signing_cert):
    iam = server.client("iam")
    made = [iam.create_saml_provider(Name=name("seed"), SAMLMetadataDocument=saml_metadata(signing_cert))[
        "SAMLProviderArn"] for _ in range(2)]
    listed = [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    assert set(made) <= set(listed)
    providers = list(server.resource().saml_providers.limit(10))
    assert [p.arn for p in providers] == listed[:10]
    assert providers[0].valid_until > providers[0].create_date  # loads through GetSAMLProvider
    for provider_arn in made:
        iam.delete_saml_provider(SAMLProviderArn=provider_arn)
