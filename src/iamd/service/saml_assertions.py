"""A SAML 2.0 Response for AssumeRoleWithSAML: parsed safely, its signature verified,
its assertion read only from what the signature covers.

* The base64 `SAMLAssertion` is decoded strictly and parsed first with defusedxml (no DTD,
  no entities), then by signxml (lxml without entity resolution or network access).
* The signature (on the Response, or else on its one Assertion) is verified with signxml
  against the signing certificates of the SAML provider's stored metadata; nothing is
  canonicalized by hand. Every later read uses signxml's `signed_xml`, the element the
  signature covers, and a Response must hold exactly one Assertion anywhere: signature
  wrapping (a signed assertion moved aside, an unsigned one put in its place) finds
  nothing to use.
* Then: Issuer = the metadata's entityID, Status Success, audience
  `https://signin.aws.amazon.com/saml` (or `urn:amazon:webservices`, or the provider's own
  ACS URL with its SAMLProviderUUID), the bearer SubjectConfirmationData's Recipient (an
  AWS sign-in ACS URL) and NotOnOrAfter, the Conditions' NotBefore/NotOnOrAfter with
  `SKEW`.

`Assertion.attributes` maps each attribute Name to its values; service/saml_federation.py
reads AWS's (Role, RoleSessionName, SessionDuration, PrincipalTag:*, TransitiveTagKeys,
SourceIdentity) and the saml:* condition keys from them.
"""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from lxml import etree
from signxml import InvalidInput, InvalidSignature, XMLVerifier
from signxml.algorithms import SignatureMethod
from signxml.verifier import SignatureConfiguration

from ..protocol.errors import AWSError

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS, "md": MD}
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
SKEW = 300
AUDIENCES = ("https://signin.aws.amazon.com/saml", "urn:amazon:webservices")
_RECIPIENT = re.compile(r"https://(?:[a-z0-9-]+\.)?signin\.aws\.amazon\.com/saml(?:/acs/([\w-]+))?")
_METHODS = frozenset(m for m in SignatureMethod if not m.name.startswith(("HMAC", "DSA")))
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
INVALID = "Invalid SAML response"  # [unc] AWS's texts for the cases below are not documented


@dataclass(frozen=True)
class Assertion:
    issuer: str
    subject: str | None
    subject_type: str | None  # NameID Format, "urn:…:nameid-format:" prefix removed
    recipient: str
    attributes: dict  # Name -> list of string values


def invalid(detail: str) -> AWSError:
    return AWSError("InvalidIdentityToken", f"{INVALID}: {detail}")


def signing_certificates(metadata: str) -> tuple[list[str], str]:
    """(PEM certificates of the IdP's signing keys, its entityID) from stored metadata."""
    root = SafeET.fromstring(metadata.encode("utf-8"))
    certs = []
    for kd in root.iter(f"{{{MD}}}KeyDescriptor"):
        if kd.get("use") not in (None, "signing"):
            continue
        for node in kd.iter(f"{{{DS}}}X509Certificate"):
            b64 = "".join((node.text or "").split())
            lines = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
            certs.append(f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n")
    return certs, root.get("entityID") or ""


def _decode(text: str) -> bytes:
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise invalid("the SAMLAssertion is not base64.") from None
    try:
        SafeET.fromstring(raw)  # refuses DTDs, entities and external references before lxml sees it
    except (ParseError, DefusedXmlException, ValueError):
        raise invalid("the SAMLAssertion is not well-formed XML without DTD or entities.") from None
    return raw


def _verify(raw: bytes, certs: list[str]):
    """The element the signature covers: the Response, or its Assertion."""
    root = etree.fromstring(raw, parser=_PARSER)
    if root.tag != f"{{{SAMLP}}}Response":
        raise invalid("the document is not a samlp:Response.")
    if root.find(f".//{{{SAML}}}EncryptedAssertion") is not None:
        raise invalid("encrypted assertions are not supported by iamd.")
    if len(root.findall(f".//{{{SAML}}}Assertion")) != 1 or root.find(f"{{{SAML}}}Assertion") is None:
        raise invalid("the Response must hold exactly one Assertion.")
    if root.find(f"{{{DS}}}Signature") is not None:
        target, location = raw, "./"
    else:
        assertion = root.find(f"{{{SAML}}}Assertion")
        if assertion.find(f"{{{DS}}}Signature") is None:
            raise invalid("neither the Response nor the Assertion is signed.")
        target, location = etree.tostring(assertion), "./"
    config = SignatureConfiguration(location=location, signature_methods=_METHODS)
    for cert in certs:
        try:
            return XMLVerifier().verify(target, x509_cert=cert, parser=_PARSER, expect_config=config).signed_xml
        except (InvalidSignature, InvalidInput, ValueError):
            continue
    raise invalid("the signature does not verify against the provider's signing certificates.")


def _instant(value: str | None, what: str) -> float | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"{what} is not an xs:dateTime.") from None
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).timestamp()


def _expired() -> AWSError:
    return AWSError("ExpiredTokenException", "The SAML assertion has expired or is not yet valid.")  # [unc]


def _check_window(not_before, not_on_or_after, now: float, what: str) -> None:
    start, end = _instant(not_before, f"{what} NotBefore"), _instant(not_on_or_after, f"{what} NotOnOrAfter")
    if start is not None and now + SKEW < start or end is not None and now - SKEW >= end:
        raise _expired()


def parse(saml_assertion: str, metadata: str, provider_uuid: str | None, now: float,
          encryption_required: bool = False) -> Assertion:
    if encryption_required:  # the provider accepts encrypted assertions only, which iamd cannot decrypt
        raise invalid("the provider requires encrypted assertions.")
    certs, entity_id = signing_certificates(metadata)
    signed = _verify(_decode(saml_assertion), certs)
    if signed.tag == f"{{{SAMLP}}}Response":
        status = signed.find("samlp:Status/samlp:StatusCode", NS)
        if status is None or status.get("Value") != SUCCESS:
            raise AWSError("IDPRejectedClaim", "The identity provider did not report success.")  # [unc]
        assertion = signed.find("saml:Assertion", NS)
    else:
        assertion = signed
    issuer = (assertion.findtext("saml:Issuer", None, NS) or "").strip()
    if issuer != entity_id:
        raise invalid("the Issuer is not the provider's entityID.")
    conditions = assertion.find("saml:Conditions", NS)
    if conditions is not None:
        _check_window(conditions.get("NotBefore"), conditions.get("NotOnOrAfter"), now, "Conditions")
        audiences = [(a.text or "").strip() for a in conditions.iterfind("saml:AudienceRestriction/saml:Audience", NS)]
        own = {*AUDIENCES, *((f"https://signin.aws.amazon.com/saml/acs/{provider_uuid}",) if provider_uuid else ())}
        if audiences and not own.intersection(audiences):
            raise invalid("the audience is not AWS's.")
    recipient = None
    for sc in assertion.iterfind("saml:Subject/saml:SubjectConfirmation", NS):
        data = sc.find("saml:SubjectConfirmationData", NS)
        if sc.get("Method") != BEARER or data is None:
            continue
        m = _RECIPIENT.fullmatch(data.get("Recipient") or "")
        if m is None or m.group(1) is not None and m.group(1) != provider_uuid:
            raise invalid("the Recipient is not an AWS sign-in endpoint for this provider.")
        _check_window(data.get("NotBefore"), data.get("NotOnOrAfter"), now, "SubjectConfirmationData")
        recipient = data.get("Recipient")
        break
    if recipient is None:
        raise invalid("the Subject has no bearer SubjectConfirmationData.")
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    fmt = name_id.get("Format") if name_id is not None else None
    if fmt and fmt.startswith("urn:oasis:names:tc:SAML:2.0:nameid-format:"):
        fmt = fmt.rsplit(":", 1)[1]
    attributes: dict[str, list[str]] = {}
    for attr in assertion.iterfind("saml:AttributeStatement/saml:Attribute", NS):
        values = [(v.text or "").strip() for v in attr.iterfind("saml:AttributeValue", NS)]
        attributes.setdefault(attr.get("Name") or "", []).extend(values)
    return Assertion(issuer, (name_id.text or "").strip() if name_id is not None else None, fmt, recipient,
                     attributes)
