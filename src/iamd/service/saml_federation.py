"""AssumeRoleWithSAML: a verified SAML assertion (service/saml_assertions.py) turned into
a role session.

The assertion's `https://aws.amazon.com/SAML/Attributes/Role` values are
`role-ARN,provider-ARN` pairs (either order); one must name the requested RoleArn and
PrincipalArn. `RoleSessionName` (2–64 of `[\\w+=,.@-]`) is required; `SessionDuration`
(900–43200) caps the session; `PrincipalTag:<key>`, `TransitiveTagKeys` and
`SourceIdentity` become session tags and source identity. The trust policy sees the saml:*
keys (`saml_context`), including the eduPerson attributes by their OID names.

NameQualifier is BASE64(SHA1(Issuer + account id + provider name)), as the API reference gives it.
"""

import base64
import hashlib
import json
import re

from ..protocol.errors import AWSError
from ..store.providers import SamlProviderRepo
from .federation import SESSION_NAME, Federated, assume, denied, role_of
from .registry import operation
from .saml_assertions import invalid, parse

ACTION = "sts:AssumeRoleWithSAML"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
_PROVIDER_ARN = re.compile(r"arn:aws:iam::(\d{12}):saml-provider/([\w.-]+)")
# attribute Name (OID) -> saml: condition key, as AWS names them
OID_KEYS = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "edupersonaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.2": "edupersonnickname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": "edupersonorgdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.4": "edupersonorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.5": "edupersonprimaryaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "edupersonprincipalname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": "edupersonentitlement",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.8": "edupersonprimaryorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "edupersonscopedaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "edupersontargetedid",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "edupersonassurance",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.2": "eduorghomepageuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.3": "eduorgidentityauthnpolicyuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.4": "eduorglegalname",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.5": "eduorgsuperioruri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.6": "eduorgwhitepagesuri",
    "urn:oid:2.5.4.3": "cn",
    "urn:oid:0.9.2342.19200300.100.1.3": "mail",
    "urn:oid:2.5.4.42": "givenname",
    "urn:oid:2.5.4.4": "sn",
    "urn:oid:0.9.2342.19200300.100.1.1": "uid",
    "urn:oid:2.16.840.1.113730.3.1.241": "displayname",
}


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    return base64.b64encode(hashlib.sha1((issuer + account_id + provider_name).encode()).digest()).decode()


def saml_context(a, account_id: str, provider_arn: str, qualifier: str) -> dict:
    context = {"saml:iss": a.issuer, "saml:aud": a.recipient, "saml:namequalifier": qualifier,
               "saml:doc": f"{account_id}/{provider_arn.rsplit('/', 1)[1]}",
               "aws:federatedprovider": provider_arn}
    if a.subject is not None:
        context["saml:sub"] = a.subject
    if a.subject_type:
        context["saml:sub_type"] = a.subject_type
    for oid, key in OID_KEYS.items():
        values = a.attributes.get(oid)
        if values:
            context[f"saml:{key}"] = values[0] if len(values) == 1 else tuple(values)
    return context


def _single(a, name: str) -> str | None:
    values = a.attributes.get(ATTR + name)
    if not values:
        return None
    if len(values) != 1:
        raise invalid(f"the {name} attribute must have one value.")
    return values[0]


def _tags(a) -> tuple[tuple, tuple]:
    tags = []
    for name, values in a.attributes.items():
        if name.startswith(ATTR + "PrincipalTag:"):
            if len(values) != 1:
                raise invalid(f"the session tag {name} must have one value.")
            tags.append((name[len(ATTR + "PrincipalTag:"):], values[0]))
    return tuple(tags), tuple(a.attributes.get(ATTR + "TransitiveTagKeys") or ())


def _pairs_name(a, role_arn: str, provider_arn: str) -> bool:
    for value in a.attributes.get(ATTR + "Role") or ():
        parts = {part.strip() for part in value.split(",")}
        if parts == {role_arn, provider_arn}:
            return True
    return False


@operation("AssumeRoleWithSAML")
def assume_role_with_saml(ctx, p):
    row = role_of(ctx, p["RoleArn"], ACTION)
    m = _PROVIDER_ARN.fullmatch(p["PrincipalArn"])
    provider = SamlProviderRepo(ctx.tx, m.group(1)).get(p["PrincipalArn"]) if m else None
    if provider is None or m.group(1) != row.account_id:
        raise AWSError("InvalidIdentityToken", "Specified provider doesn't exist.")  # [unc]
    settings = json.loads(provider.settings or "{}")
    a = parse(p["SAMLAssertion"], provider.metadata_document, settings.get("uuid"), ctx.now,
              settings.get("mode") == "Required")
    if not _pairs_name(a, p["RoleArn"], p["PrincipalArn"]):
        raise denied(ACTION)
    session_name = _single(a, "RoleSessionName")
    if session_name is None or not SESSION_NAME.fullmatch(session_name):
        raise invalid("RoleSessionName is required in the assertion, 2 to 64 of [\\w+=,.@-].")
    duration = _single(a, "SessionDuration")
    if duration is not None and not (duration.isdigit() and 900 <= int(duration) <= 43200):
        raise invalid("SessionDuration must be a number of seconds from 900 to 43200.")
    tags, transitive = _tags(a)
    qualifier = name_qualifier(a.issuer, row.account_id, provider.name)
    who = Federated(provider.arn, saml_context(a, row.account_id, provider.arn, qualifier), session_name, tags,
                    transitive, _single(a, "SourceIdentity"), int(duration) if duration else None)
    out = assume(ctx, p, row, who, ACTION)
    out.update({"Subject": a.subject, "SubjectType": a.subject_type, "Issuer": a.issuer, "Audience": a.recipient,
                "NameQualifier": qualifier})
    return out
