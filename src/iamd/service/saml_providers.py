"""SAML 2.0 identity providers: create from IdP metadata, read, replace metadata and
assertion-encryption keys, delete, list, tags.

The metadata is parsed with defusedxml (no entities, no DTDs) and must be an
md:EntityDescriptor with an IDPSSODescriptor whose signing KeyDescriptors carry X.509
certificates that parse. ValidUntil comes from the descriptor's `validUntil`; without
one AWS sets the creation time plus 100 years (the CLI's get-saml-provider sample shows
2017-03-06T22:29:46 → 2117-03-06T22:29:46, and providers made in 2015 show 2115).
"""

import base64
import binascii
import json
import re
import secrets
from datetime import datetime, timezone
from xml.etree.ElementTree import ParseError

from cryptography.hazmat.primitives.asymmetric import rsa
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from ..protocol.errors import AWSError, already_exists, invalid_input, limit_exceeded, no_such_entity
from ..store.certificates import lock_account
from ..store.providers import SamlProviderRepo
from ..store.tags import TagRepo
from . import pem
from .arns import arn
from .quotas import within_quota
from .registry import operation
from .tags import add_tags, check_new_tags, tag_operations, with_tags

TAG_TYPE = "saml-provider"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
DEFAULT_VALIDITY_YEARS = 100
MAX_PRIVATE_KEYS = 2  # PrivateKeyList holds at most 2 (model)
MIN_SIGNING_KEY_BITS = 1024
_ARN = re.compile(r"arn:aws:iam::(\d{12}):saml-provider/([\w.-]+)")
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
REQUIRED_WITHOUT_KEY = ("Unable to set assertion encryption mode to Required because no private "
                        "key is provided.")


def _bad(reason: str):
    return invalid_input(f"Could not parse metadata: {reason}")


def _xs_datetime(value: str) -> float:
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _bad(f"validUntil '{value}' is not an xs:dateTime.") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.timestamp()


def parse_metadata(document: str) -> float | None:
    """Check SAML 2.0 IdP metadata; return its validUntil (epoch seconds) if it has one."""
    if document.startswith("\ufeff"):
        raise _bad("the document must be UTF-8 without a byte order mark.")
    try:
        root = SafeET.fromstring(document.encode("utf-8"))
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise _bad(f"the document is not well-formed XML ({exc}).") from None
    if root.tag != f"{MD}EntityDescriptor":
        raise _bad("the root element must be an md:EntityDescriptor.")
    if not root.get("entityID"):
        raise _bad("the EntityDescriptor has no entityID.")
    idps = root.findall(f"{MD}IDPSSODescriptor")
    if not idps:
        raise _bad("the EntityDescriptor has no IDPSSODescriptor.")
    if not any(SAML2_PROTOCOL in (i.get("protocolSupportEnumeration") or "").split() for i in idps):
        raise _bad(f"no IDPSSODescriptor lists {SAML2_PROTOCOL} in protocolSupportEnumeration.")
    signing = 0
    for idp in idps:
        for kd in idp.findall(f"{MD}KeyDescriptor"):
            if kd.get("use") not in (None, "signing"):
                continue
            for node in kd.iter(f"{DS}X509Certificate"):
                _check_signing_certificate(node.text or "")
                signing += 1
    if not signing:
        raise _bad("the IDPSSODescriptor has no signing KeyDescriptor with an X509Certificate.")
    valid_until = root.get("validUntil")
    return _xs_datetime(valid_until) if valid_until is not None else None


def _check_signing_certificate(text: str) -> None:
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _bad("an X509Certificate is not base64.") from None
    cert = pem.load_der_certificate(der)
    if cert is None:
        raise _bad("an X509Certificate does not parse as an X.509 certificate.")
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_SIGNING_KEY_BITS:
        raise _bad(f"a signing certificate's key is shorter than {MIN_SIGNING_KEY_BITS} bits.")


def default_valid_until(created: float) -> float:
    """The same day and time, DEFAULT_VALIDITY_YEARS later (29 February becomes the 28th)."""
    at = datetime.fromtimestamp(created, timezone.utc)
    year = at.year + DEFAULT_VALIDITY_YEARS
    try:
        later = at.replace(year=year)
    except ValueError:
        later = at.replace(year=year, day=28)
    return later.timestamp()


def _new_id(n: int = 26) -> str:
    return "".join(secrets.choice(_ID_CHARS) for _ in range(n))


def require_provider(ctx, provider_arn: str, lock: bool = False):
    if _ARN.fullmatch(provider_arn) is None:
        raise invalid_input(f"{provider_arn} is not a valid SAML provider ARN.")
    row = SamlProviderRepo(ctx.tx, ctx.account_id).get(provider_arn, lock=lock)
    if row is None:
        raise no_such_entity(f"Manifest not found for arn {provider_arn}")
    return row


def _private_key(ctx, text: str, now: float) -> dict:
    try:
        pem.load_private_key(text)
    except AWSError:
        raise invalid_input("The private key is not valid. Provide an unencrypted private key "
                            "in PEM format.") from None
    return {"id": _new_id(), "created": now, "key": ctx.app.box.encrypt(text)}


@operation("CreateSAMLProvider")
def create_saml_provider(ctx, p):
    tags = p.get("Tags", [])
    check_new_tags(tags)
    valid_until = parse_metadata(p["SAMLMetadataDocument"])
    mode = p.get("AssertionEncryptionMode")
    if mode == "Required" and "AddPrivateKey" not in p:
        raise invalid_input(REQUIRED_WITHOUT_KEY)
    settings = {"uuid": _new_id(), "keys": []}
    if mode:
        settings["mode"] = mode
    if "AddPrivateKey" in p:
        settings["keys"].append(_private_key(ctx, p["AddPrivateKey"], ctx.now))
    repo = SamlProviderRepo(ctx.tx, ctx.account_id)
    lock_account(ctx.tx, ctx.account_id)
    within_quota(ctx, "ProvidersQuota", "SAMLProvidersPerAccount", repo.count() + 1)
    name = p["Name"]
    provider_arn = arn(ctx.account_id, "saml-provider", "/", name)
    if not repo.create(provider_arn, name, p["SAMLMetadataDocument"], ctx.now,
                       valid_until if valid_until is not None else default_valid_until(ctx.now), settings):
        raise already_exists(f"Provider with name {name} already exists.")
    add_tags(ctx, TAG_TYPE, provider_arn, tags)
    return with_tags(ctx, TAG_TYPE, provider_arn, {"SAMLProviderArn": provider_arn})


@operation("GetSAMLProvider")
def get_saml_provider(ctx, p):
    row = require_provider(ctx, p["SAMLProviderArn"])
    settings = json.loads(row.settings or "{}")
    out = {"SAMLProviderUUID": settings.get("uuid"), "SAMLMetadataDocument": row.metadata_document,
           "CreateDate": row.created_at, "ValidUntil": row.valid_until,
           "AssertionEncryptionMode": settings.get("mode")}
    keys = settings.get("keys") or []
    if keys:
        out["PrivateKeyList"] = [{"KeyId": k["id"], "Timestamp": k["created"]} for k in keys]
    return with_tags(ctx, TAG_TYPE, row.arn, out, always=True)


@operation("UpdateSAMLProvider")
def update_saml_provider(ctx, p):
    if not any(k in p for k in ("SAMLMetadataDocument", "AssertionEncryptionMode", "AddPrivateKey",
                                "RemovePrivateKey")):
        raise invalid_input("Unable to update identity provider. No updates are defined for metadata "
                            "or encryption assertion.")
    if "AddPrivateKey" in p and "RemovePrivateKey" in p:
        raise invalid_input("Unable to add and remove private keys in the same request. Set a value "
                            "for only one of the two parameters.")
    row = require_provider(ctx, p["SAMLProviderArn"], lock=True)
    values = {}
    if "SAMLMetadataDocument" in p:
        valid_until = parse_metadata(p["SAMLMetadataDocument"])
        values["metadata_document"] = p["SAMLMetadataDocument"]
        values["valid_until"] = (valid_until if valid_until is not None
                                 else default_valid_until(row.created_at))
    settings = json.loads(row.settings or "{}")
    keys = settings.setdefault("keys", [])
    if "AssertionEncryptionMode" in p:
        settings["mode"] = p["AssertionEncryptionMode"]
    if "AddPrivateKey" in p:
        if len(keys) >= MAX_PRIVATE_KEYS:
            raise limit_exceeded(f"Private key limit of {MAX_PRIVATE_KEYS} is reached.")
        keys.append(_private_key(ctx, p["AddPrivateKey"], ctx.now))
    if "RemovePrivateKey" in p:
        kept = [k for k in keys if k["id"] != p["RemovePrivateKey"]]
        if len(kept) == len(keys):
            raise invalid_input("Failed to remove private key because the Key ID does not match a "
                                "private key.")
        settings["keys"] = keys = kept
    if settings.get("mode") == "Required" and not keys:
        raise invalid_input(REQUIRED_WITHOUT_KEY)
    values["settings"] = json.dumps(settings)
    SamlProviderRepo(ctx.tx, ctx.account_id).update(row.arn, **values)
    return {"SAMLProviderArn": row.arn}


@operation("DeleteSAMLProvider")
def delete_saml_provider(ctx, p):
    row = require_provider(ctx, p["SAMLProviderArn"])
    TagRepo(ctx.tx, ctx.account_id).remove_all(TAG_TYPE, row.arn)
    SamlProviderRepo(ctx.tx, ctx.account_id).delete(row.arn)


@operation("ListSAMLProviders")
def list_saml_providers(ctx, p):
    rows = SamlProviderRepo(ctx.tx, ctx.account_id).list()
    return {"SAMLProviderList": [{"Arn": r.arn, "ValidUntil": r.valid_until, "CreateDate": r.created_at}
                                 for r in rows]}


tag_operations("SAMLProvider", TAG_TYPE, lambda ctx, p: require_provider(ctx, p["SAMLProviderArn"]).arn)
