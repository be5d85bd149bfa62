"""AssumeRoleWithSAML with real signatures: assertions signed by a test IdP key (signxml),
checked against the SAML provider's metadata; altered, re-signed, wrongly signed and
wrapped assertions refused."""

import base64
import copy
import json
import secrets
import time
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import XMLSigner

from helpers import ENTITY_ID, code_status, key_pem, make_certificate, message, new_rsa_key, saml_metadata

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
ACS = "https://signin.aws.amazon.com/saml"


class Idp:
    """A signing key and its self-signed certificate."""

    def __init__(self):
        self.key = new_rsa_key()
        _, self.cert = make_certificate(self.key, "idp.example.com", days=365)

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def cert_b64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def sign(self, element, ref_id: str):
        return XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
            element, key=key_pem(self.key), cert=self.cert_pem, reference_uri=ref_id)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def response(roles: list[str], *, session="alice@example.com", issuer=ENTITY_ID, audience="urn:amazon:webservices",
             recipient=ACS, not_before=None, not_after=None, attributes=None, status="Success"):
    """An unsigned samlp:Response with one Assertion (lxml elements: response, assertion)."""
    now = time.time()
    nb, na = _iso(not_before if not_before is not None else now - 60), _iso(not_after or now + 300)
    attrs = {ATTR + "Role": roles, ATTR + "RoleSessionName": [session], **(attributes or {})}
    values = "".join(f'<saml:Attribute Name="{n}">' + "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>"
                                                                for v in vs) + "</saml:Attribute>"
                     for n, vs in attrs.items())
    rid, aid = "_" + secrets.token_hex(16), "_" + secrets.token_hex(16)
    xml = f"""<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{rid}" Version="2.0"
 IssueInstant="{_iso(now)}" Destination="{recipient}">
 <saml:Issuer>{issuer}</saml:Issuer>
 <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:{status}"/></samlp:Status>
 <saml:Assertion ID="{aid}" Version="2.0" IssueInstant="{_iso(now)}">
  <saml:Issuer>{issuer}</saml:Issuer>
  <saml:Subject>
   <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{session}</saml:NameID>
   <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
    <saml:SubjectConfirmationData NotOnOrAfter="{na}" Recipient="{recipient}"/>
   </saml:SubjectConfirmation>
  </saml:Subject>
  <saml:Conditions NotBefore="{nb}" NotOnOrAfter="{na}">
   <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AttributeStatement>{values}</saml:AttributeStatement>
 </saml:Assertion>
</samlp:Response>"""
    root = etree.fromstring(xml.encode())
    return root, root.find(f"{{{SAML}}}Assertion")


def signed_assertion(idp: Idp, roles, **kw) -> bytes:
    root, assertion = response(roles, **kw)
    signed = idp.sign(assertion, assertion.get("ID"))
    root.replace(assertion, signed)
    return etree.tostring(root)


def signed_response(idp: Idp, roles, **kw) -> bytes:
    root, _ = response(roles, **kw)
    return etree.tostring(idp.sign(root, root.get("ID")))


def b64(xml: bytes) -> str:
    return base64.b64encode(xml).decode()


@pytest.fixture(scope="module")
def idp():
    return Idp()


@pytest.fixture(scope="module")
def setup(server, idp):
    iam = server.client("iam")
    name = "idp-" + secrets.token_hex(4)
    provider = iam.create_saml_provider(Name=name, SAMLMetadataDocument=saml_metadata(idp.cert_b64))["SAMLProviderArn"]
    return provider


def make_role(server, provider, name, conditions=None, actions=("sts:AssumeRoleWithSAML",), max_duration=3600):
    stmt = {"Effect": "Allow", "Action": list(actions), "Principal": {"Federated": provider},
            "Condition": conditions or {"StringEquals": {"SAML:aud": ACS}}}
    return server.client("iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [stmt]}),
        MaxSessionDuration=max_duration)["Role"]["Arn"]


def sts(server):
    return boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def assume(server, role, provider, assertion: str, **kw):
    return sts(server).assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion, **kw)


def refused(server, role, provider, assertion, **kw):
    with pytest.raises(ClientError) as e:
        assume(server, role, provider, assertion, **kw)
    return (*code_status(e), message(e))


def pair(role, provider):
    return [f"{role},{provider}"]


def test_signed_assertion_assumes_the_role(server, setup, idp, name):
    role = make_role(server, setup, name("saml"))
    out = assume(server, role, setup, b64(signed_assertion(idp, pair(role, setup))), DurationSeconds=1800)
    role_name = role.rsplit("/", 1)[1]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/{role_name}/alice@example.com"
    assert out["Subject"] == "alice@example.com" and out["SubjectType"] == "persistent"
    assert out["Issuer"] == ENTITY_ID and out["Audience"] == ACS
    expected = base64.b64encode(__import__("hashlib").sha1(
        (ENTITY_ID + server.account_id + setup.rsplit("/", 1)[1]).encode()).digest()).decode()
    assert out["NameQualifier"] == expected
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert 1790 <= creds["Expiration"].timestamp() - time.time() <= 1800
    me = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                      aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"]).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]


def test_signed_response_and_reversed_role_pair(server, setup, idp, name):
    role = make_role(server, setup, name("saml"))
    out = assume(server, role, setup, b64(signed_response(idp, [f"{setup},{role}"])))
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_session_duration_attribute_caps_the_session(server, setup, idp, name):
    role = make_role(server, setup, name("saml"), max_duration=7200)
    xml = signed_assertion(idp, pair(role, setup), attributes={ATTR + "SessionDuration": ["1000"]})
    creds = assume(server, role, setup, b64(xml), DurationSeconds=7200)["Credentials"]
    assert 990 <= creds["Expiration"].timestamp() - time.time() <= 1000


def test_trust_policy_saml_keys(server, setup, idp, name):
    role = make_role(server, setup, name("saml"), {"StringEquals": {"saml:sub": "bob@example.com",
                                                                     "saml:iss": ENTITY_ID}})
    assert refused(server, role, setup, b64(signed_assertion(idp, pair(role, setup)))) == \
        ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
    ok = signed_assertion(idp, pair(role, setup), session="bob@example.com")
    assert assume(server, role, setup, b64(ok))["Subject"] == "bob@example.com"


def test_session_tags_need_tag_session(server, setup, idp, name):
    tags = {ATTR + "PrincipalTag:team": ["blue"]}
    role = make_role(server, setup, name("saml"))
    xml = b64(signed_assertion(idp, pair(role, setup), attributes=tags))
    assert refused(server, role, setup, xml)[:2] == ("AccessDenied", 403)
    role2 = make_role(server, setup, name("saml"), {"StringEquals": {"aws:RequestTag/team": "blue"}},
                      actions=("sts:AssumeRoleWithSAML", "sts:TagSession"))
    out = assume(server, role2, setup, b64(signed_assertion(idp, pair(role2, setup), attributes=tags)))
    assert out["PackedPolicySize"] >= 1


def test_role_not_in_the_assertion(server, setup, idp, name):
    role, other = make_role(server, setup, name("saml")), make_role(server, setup, name("saml"))
    assert refused(server, role, setup, b64(signed_assertion(idp, pair(other, setup))))[:2] == ("AccessDenied", 403)


def test_altered_assertion_is_refused(server, setup, idp, name):
    role, other = make_role(server, setup, name("saml")), make_role(server, setup, name("saml"))
    xml = signed_assertion(idp, pair(other, setup)).replace(other.encode(), role.encode())
    assert refused(server, role, setup, b64(xml))[:2] == ("InvalidIdentityToken", 400)


def test_assertion_signed_by_another_key_is_refused(server, setup, name):
    role = make_role(server, setup, name("saml"))
    assert refused(server, role, setup, b64(signed_assertion(Idp(), pair(role, setup))))[:2] == \
        ("InvalidIdentityToken", 400)


def test_resigned_with_the_original_certificate_but_another_key(server, setup, idp, name):
    """An attacker keeps the IdP's certificate in KeyInfo but signs with their own key."""
    role = make_role(server, setup, name("saml"))
    root, assertion = response(pair(role, setup))
    forger = Idp()
    signed = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
        assertion, key=key_pem(forger.key), cert=idp.cert_pem, reference_uri=assertion.get("ID"))
    root.replace(assertion, signed)
    assert refused(server, role, setup, b64(etree.tostring(root)))[:2] == ("InvalidIdentityToken", 400)


def test_signature_wrapping_is_refused(server, setup, idp, name):
    role, victim = make_role(server, setup, name("saml")), make_role(server, setup, name("saml"))
    # a genuine assertion for `victim`, moved into an Extensions element; a forged unsigned one
    # for `role` with the same ID takes its place
    genuine = etree.fromstring(signed_assertion(idp, pair(victim, setup)))
    signed = genuine.find(f"{{{SAML}}}Assertion")
    forged, _ = response(pair(role, setup))
    evil = forged.find(f"{{{SAML}}}Assertion")
    evil.set("ID", signed.get("ID"))
    ext = etree.SubElement(genuine, f"{{{SAMLP}}}Extensions")
    genuine.replace(signed, evil)
    ext.append(copy.deepcopy(signed))
    assert refused(server, role, setup, b64(etree.tostring(genuine)))[:2] == ("InvalidIdentityToken", 400)
    # the signature of the genuine assertion placed inside the forged one
    forged2, _ = response(pair(role, setup))
    evil2 = forged2.find(f"{{{SAML}}}Assertion")
    evil2.set("ID", signed.get("ID"))
    evil2.append(copy.deepcopy(signed.find("{http://www.w3.org/2000/09/xmldsig#}Signature")))
    assert refused(server, role, setup, b64(etree.tostring(forged2)))[:2] == ("InvalidIdentityToken", 400)


def test_expired_and_not_yet_valid(server, setup, idp, name):
    role = make_role(server, setup, name("saml"))
    now = time.time()
    old = signed_assertion(idp, pair(role, setup), not_before=now - 7200, not_after=now - 3600)
    assert refused(server, role, setup, b64(old))[:2] == ("ExpiredTokenException", 400)
    future = signed_assertion(idp, pair(role, setup), not_before=now + 3600, not_after=now + 7200)
    assert refused(server, role, setup, b64(future))[:2] == ("ExpiredTokenException", 400)


def test_wrong_audience_recipient_issuer(server, setup, idp, name):
    role = make_role(server, setup, name("saml"))
    for kw in ({"audience": "https://evil.example.com/sp"}, {"recipient": "https://evil.example.com/acs"},
               {"issuer": "http://other-idp.example.com"}):
        xml = b64(signed_assertion(idp, pair(role, setup), **kw))
        assert refused(server, role, setup, xml)[:2] == ("InvalidIdentityToken", 400), kw


def test_malformed_inputs(server, setup, idp, name):
    role = make_role(server, setup, name("saml"))
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>'
    for assertion in ("not base64 at all!!", b64(b"<not-closed>"), b64(bomb),
                      b64(etree.tostring(response(pair(role, setup))[0]))):  # unsigned
        assert refused(server, role, setup, assertion)[:2] == ("InvalidIdentityToken", 400)
    missing = setup.rsplit("/", 1)[0] + "/no-such-provider"
    assert refused(server, role, missing, b64(signed_assertion(idp, pair(role, missing))))[:2] == \
        ("InvalidIdentityToken", 400)


def test_session_name_required(server, setup, idp, name):
    role = make_role(server, setup, name("saml"))
    xml = signed_assertion(idp, pair(role, setup), session="x")  # too short
    assert refused(server, role, setup, b64(xml))[:2] == ("InvalidIdentityToken", 400)
    assert refused(server, role, setup, b64(signed_assertion(idp, pair(role, setup))),
                   Policy="{not json")[:2] == ("MalformedPolicyDocument", 400)


def test_expired_at_boundary_uses_timedelta(server, setup, idp, name):
    """NotOnOrAfter a little in the past but within the clock skew still passes."""
    role = make_role(server, setup, name("saml"))
    now = datetime.now(timezone.utc)
    xml = signed_assertion(idp, pair(role, setup), not_after=(now - timedelta(seconds=60)).timestamp())
    assert assume(server, role, setup, b64(xml))["Credentials"]["AccessKeyId"].startswith("ASIA")
