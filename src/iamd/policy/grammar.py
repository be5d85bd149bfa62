"""IAM policy grammar: parse a policy document and reject what IAM rejects at save time.

`check_document(text, kind)` is the one entry point every writer of a policy goes through
(managed and inline policies, trust policies, later resource policies); `policy_size` is
the size AWS counts against its quotas. Pure functions, no I/O: checks that need the
store (does a principal ARN exist?) belong to the caller.

The checks run in the order AWS reports them, so a document with several faults gets the
same first message: syntax (Version among the known ones), version (managed policies),
legacy parsing (Effect, dates, the shape of resource ARNs that are otherwise well formed),
Sid uniqueness, actions present, resource formats, action prefixes, then what is specific
to the kind (principals, resources present, trust rules). AWS's parser is lenient where
its old one was: `arn:aws:x` is a resource, condition keys need no vendor, and a date is
any prefix of an ISO 8601 timestamp (`01T`); tests/e2e/test_policy_documents.py holds the
answers recorded against AWS.
"""

import json
import re

from ..protocol.errors import AWSError

# kind -> what the document is used for. "managed" is an identity policy stored as a
# managed policy version: stricter about Version than an inline policy.
KINDS = ("identity", "managed", "trust", "resource")

VERSIONS = ("2012-10-17", "2008-10-17")
STATEMENT_KEYS = frozenset(("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                            "Resource", "NotResource", "Condition"))
PRINCIPAL_TYPES = ("AWS", "Federated", "Service", "CanonicalUser")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f",
              "aws-eusc")

# Actions a role trust policy may grant (AWS's message names only the first three).
TRUST_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
                 "sts:tagsession", "sts:setsourceidentity", "sts:setcontext")

IAM_RESOURCE_PREFIXES = ("user/", "federated-user/", "role/", "group/", "instance-profile/",
                         "mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/",
                         "oidc-provider/", "report/", "access-report/")
# What an IAM resource may start with beyond those AWS's message lists (AWS managed
# policies use both, e.g. "NotResource": "arn:aws:iam::*:root").
IAM_RESOURCE_EXTRA = ("root", "assumed-role/")
# Services whose ARNs have no region; the message differs in wording per service (sic).
# S3 buckets and objects carry neither region nor account; S3's regional resources
# (access points, access grants, jobs) carry both, so only the former are refused.
REGIONLESS = {
    "iam": "IAM resource {r} cannot contain region information.",
    "s3": "Resource {r} can not contain region information.",
}

_BASE_OPERATORS = frozenset((
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
    "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
))
_SET_QUALIFIERS = ("ForAllValues:", "ForAnyValue:")

SYNTAX = "Syntax errors in policy."
VERSION = "Policy document must be version 2012-10-17 or greater."
LEGACY = "The policy failed legacy parsing"
SID_UNIQUE = "Statement IDs (SID) in a single policy must be unique."
SID_CHARS = ("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
             "regular expression [0-9A-Za-z]*")
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_PRINCIPAL = "Policy document should not specify a principal."
MISSING_PRINCIPAL = "Missing required field Principal"
TRUST_RESOURCE = "Has prohibited field Resource."
TRUST_ACTION = ("Trust Policy statement actions can only be sts:AssumeRole, "
                "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity")
VENDOR_MISSING = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."

_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR_BAD = re.compile(r"[^a-zA-Z0-9\-.]")
_ALLOWED_CHARS = re.compile(r"[\t\n\r\u0020-\u00ff]*")
_ACCOUNT = re.compile(r"\d{12}")
# Java's \s: what AWS strips before measuring a document.
_WHITESPACE = frozenset(" \t\n\r\x0b\x0c")
_EPOCH = re.compile(r"-?\d+(\.\d+)?")
# A date as the old parser read it (lower-cased): a year with optional month and day, then
# after `t` optional hours, minutes, seconds with a fraction, and a zone. Fields are ranged
# in `_is_date`; a Java long bounds epoch seconds and the years of its calendar.
_ISO_DATE = re.compile(r"(-?[0-9]+)(?:-([0-9]+)(?:-([0-9]+))?)?"
                       r"(?:t(?:([0-9]+)(?::([0-9]+)(?::([0-9]+)(?:\.([0-9]+))?)?)?"
                       r"(?:z|[+-]([0-9]{2})(?::([0-9]{2}))?)?)?)?", re.ASCII)
_MAX_LONG = (1 << 63) - 1
_MIN_YEAR, _MAX_YEAR = -292275054, 292278993


def malformed(message: str) -> AWSError:
    return AWSError("MalformedPolicyDocument", message)


def policy_size(text: str) -> int:
    """Characters of the document, whitespace not counted (as AWS measures quotas)."""
    return sum(1 for c in text if c not in _WHITESPACE)


def check_document(text: str, kind: str) -> dict:
    """Parse `text` and validate it as a policy of `kind`; return the parsed document.

    Raises AWSError("MalformedPolicyDocument", ...) on the first fault found.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind {kind!r}")
    doc = _parse(text)
    statements = _check_syntax(doc)
    _check_version(doc, kind)
    resource_fault = _check_legacy(statements)
    sids = [st["Sid"] for st in statements if st.get("Sid")]
    if len(sids) != len(set(sids)):
        raise malformed(SID_UNIQUE)
    for st in statements:
        if not _present(st, "Action", "NotAction"):
            raise malformed(NO_ACTIONS)
    if resource_fault is not None:
        raise malformed(resource_fault)
    for st in statements:
        for action in _strings(st.get("Action", st.get("NotAction"))):
            _check_action(action)
    if kind == "trust":
        _check_trust(statements)
    else:
        _check_principals(statements, kind)
        if kind != "resource":
            for st in statements:
                if not _present(st, "Resource", "NotResource"):
                    raise malformed(NO_RESOURCES)
    return doc


# --- parsing and structure -------------------------------------------------------------------

def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate key {k}")
        obj[k] = v
    return obj


def _parse(text: str) -> dict:
    if not isinstance(text, str) or _ALLOWED_CHARS.fullmatch(text) is None:
        raise malformed(SYNTAX)
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates,
                         parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise malformed(SYNTAX) from None
    if not isinstance(doc, dict):
        raise malformed(SYNTAX)
    return doc


def _reject_constant(name):
    raise ValueError(name)


def _is_strings(value) -> bool:
    """A string or a list of strings (the shape of Action, Resource, principal values)."""
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _strings(value) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _present(st: dict, key: str, not_key: str) -> bool:
    """The element is there: an empty string counts (its format is judged later), an
    empty list does not."""
    value = st.get(key, st.get(not_key))
    return value is not None and value != []


def _check_syntax(doc: dict) -> list:
    if set(doc) - {"Version", "Id", "Statement"} or "Statement" not in doc:
        raise malformed(SYNTAX)
    if "Version" in doc and doc["Version"] not in VERSIONS:
        raise malformed(SYNTAX)
    if "Id" in doc and not isinstance(doc["Id"], str):
        raise malformed(SYNTAX)
    statements = doc["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise malformed(SYNTAX)
    for st in statements:
        _check_statement_syntax(st)
    return statements


def _check_statement_syntax(st) -> None:
    if not isinstance(st, dict) or set(st) - STATEMENT_KEYS:
        raise malformed(SYNTAX)
    for a, b in (("Action", "NotAction"), ("Resource", "NotResource"),
                 ("Principal", "NotPrincipal")):
        if a in st and b in st:
            raise malformed(SYNTAX)
    effect = st.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise malformed(SYNTAX)
    if "Sid" in st and not isinstance(st["Sid"], str):
        raise malformed(SYNTAX)
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in st and not _is_strings(st[key]):
            raise malformed(SYNTAX)
    for key in ("Principal", "NotPrincipal"):
        if key in st:
            _check_principal_syntax(st[key])
    if "Condition" in st:
        _check_condition_syntax(st["Condition"])


def _check_principal_syntax(principal) -> None:
    if principal == "*":
        return
    if not isinstance(principal, dict) or not principal:
        raise malformed(SYNTAX)
    for ptype, value in principal.items():
        if ptype not in PRINCIPAL_TYPES or not _is_strings(value):
            raise malformed(SYNTAX)


def _scalar(v) -> bool:
    return isinstance(v, (str, bool, int, float))


def _check_condition_syntax(condition) -> None:
    if not isinstance(condition, dict):
        raise malformed(SYNTAX)
    for operator, block in condition.items():
        if not isinstance(block, dict):
            raise malformed(SYNTAX)
        if block and not _known_operator(operator):
            raise malformed(SYNTAX)
        for value in block.values():
            if isinstance(value, list):
                if not all(_scalar(v) for v in value):
                    raise malformed(SYNTAX)
            elif not _scalar(value):
                raise malformed(SYNTAX)


def _split_operator(operator: str) -> tuple[str, bool]:
    """Base operator and whether it carried IfExists, set qualifier stripped."""
    for q in _SET_QUALIFIERS:
        if operator.startswith(q):
            operator = operator[len(q):]
            break
    if operator.endswith("IfExists"):
        return operator[:-len("IfExists")], True
    return operator, False


def _known_operator(operator: str) -> bool:
    base, if_exists = _split_operator(operator)
    if base == "Null":
        return not if_exists
    return base in _BASE_OPERATORS


def _check_version(doc: dict, kind: str) -> None:
    # An unknown Version is a syntax error already; a managed policy needs the current one.
    if kind == "managed" and doc.get("Version") != "2012-10-17":
        raise malformed(VERSION)


# --- legacy parsing: values whose shape the old parser already refused ---------------------

def _check_legacy(statements: list) -> str | None:
    """Raise LEGACY for what the old parser refused; return the first resource format fault,
    which AWS reports later (after Sid uniqueness and missing actions).

    The old parser judged a statement's resources only while no resource had a format
    fault: a malformed ARN elsewhere hides the legacy failure of a well-formed one.
    """
    fault = None
    for st in statements:
        if st["Effect"] not in ("Allow", "Deny"):
            raise malformed(LEGACY)
        if "Sid" in st and _SID.fullmatch(st["Sid"]) is None:
            raise malformed(SID_CHARS)
        for operator, block in (st.get("Condition") or {}).items():
            base, _ = _split_operator(operator)
            if base.startswith("Date"):
                check = _is_date
            elif base.startswith("Numeric"):
                check = _is_number
            else:
                continue
            for value in block.values():
                for v in value if isinstance(value, list) else [value]:
                    if not check(v):
                        raise malformed(LEGACY)
    for st in statements:
        resources = _strings(st.get("Resource", st.get("NotResource")))
        # Within a statement the old parser met the resources in sorted order.
        faults = [f for f in map(_resource_fault, sorted(resources)) if f is not None]
        if fault is None and faults:
            fault = faults[0]
        if fault is None and not all(map(_legacy_resource_ok, resources)):
            raise malformed(LEGACY)
    return fault


def _legacy_resource_ok(resource: str) -> bool:
    """Six fields, or fewer with none of them empty; and a service either way."""
    if resource == "*":
        return True
    if resource.count(":") < 5 and "::" in resource:
        return False
    return resource.split(":")[2] != ""


def _is_number(v) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, (int, float)) or _EPOCH.fullmatch(str(v)) is not None


def _is_date(v) -> bool:
    """Epoch seconds that fit a Java long, or an ISO 8601 timestamp cut anywhere after
    its year: `2019`, `01T`, `2019-07-01T13:20`, `2019-07-01T13:20:15.593194+23`."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return 0 <= v <= _MAX_LONG
    text = v.lower()
    if "t" not in text and "-" not in text:
        return text.isascii() and text.isdigit() and int(text) <= _MAX_LONG
    m = _ISO_DATE.fullmatch(text)
    if m is None:
        return False
    year, month, day, hour, minute, second, fraction, zh, zm = m.groups()
    return (_MIN_YEAR <= int(year) <= _MAX_YEAR
            and _within(month, 1, 12) and _within(day, 1, 31)
            and _within(hour, 0, 23) and _within(minute, 0, 59) and _within(second, 0, 59)
            and _within(fraction, 0, 999_999_999)
            and _within(zh, 0, 23) and _within(zm, 0, 59))


def _within(digits: str | None, lo: int, hi: int) -> bool:
    return digits is None or lo <= int(digits) <= hi


# --- principals and trust policies ---------------------------------------------------------

def _check_principals(statements: list, kind: str) -> None:
    for st in statements:
        has = "Principal" in st or "NotPrincipal" in st
        if kind in ("identity", "managed") and has:
            raise malformed(NO_PRINCIPAL)
        if kind == "resource":
            if not has:
                raise malformed(MISSING_PRINCIPAL)
            _check_principal_values(st)


def _check_trust(statements: list) -> None:
    for st in statements:
        if "Resource" in st or "NotResource" in st:
            raise malformed(TRUST_RESOURCE)
        if "Principal" not in st and "NotPrincipal" not in st:
            raise malformed(MISSING_PRINCIPAL)
        _check_principal_values(st)
        for action in _strings(st.get("Action")):
            if not any(_glob(action.lower(), a) for a in TRUST_ACTIONS):
                raise malformed(TRUST_ACTION)


def _check_principal_values(st: dict) -> None:
    principal = st.get("Principal", st.get("NotPrincipal"))
    if principal == "*":
        return
    for ptype, value in principal.items():
        for v in _strings(value):
            if not _principal_ok(ptype, v):
                raise malformed(f'Invalid principal in policy: "{ptype}":"{v}"')


def _principal_ok(ptype: str, v: str) -> bool:
    if not v or any(c.isspace() for c in v):
        return False
    if v == "*":
        return ptype == "AWS"
    if "*" in v or "?" in v:
        return False  # no partial wildcards in principals
    if ptype == "AWS":
        if _ACCOUNT.fullmatch(v):
            return True
        parts = v.split(":", 5)
        # Unique ids (AIDA…/AROA…) appear once the named entity is gone; accept them too.
        if len(parts) != 6:
            return re.fullmatch(r"A[A-Z0-9]{3}[A-Z0-9]{12,}", v) is not None
        return (parts[0] == "arn" and parts[1] in PARTITIONS and parts[2] in ("iam", "sts")
                and parts[3] == "" and _ACCOUNT.fullmatch(parts[4]) is not None
                and parts[5] != "")
    return True


def _glob(pattern: str, value: str) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.DOTALL) is not None


# --- actions, resources, condition keys ----------------------------------------------------

def _check_action(action: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise malformed(VENDOR_MISSING)
    if len(parts) > 2:
        raise malformed(ONE_COLON)
    vendor = parts[0]
    if vendor != "*" and (not vendor or _VENDOR_BAD.search(vendor)):
        raise malformed(f"Vendor {vendor} is not valid")


def _resource_fault(resource: str) -> str | None:
    """The message for a resource that is not a well-formed ARN pattern, else None.

    Fields are split one colon at a time, as AWS's parser does: an unknown partition is
    reported with the ARN rebuilt from the fields that follow it, a missing one shown as
    `*` (`a:b:c` -> `arn:b:c:*:*:*`).
    """
    if resource == "*":
        return None
    if ":" not in resource:
        return f'Resource {resource} must be in ARN format or "*".'
    partition, colon, rest = resource.partition(":")[2].partition(":")
    if partition not in PARTITIONS and partition != "*":
        fields = rest.split(":")
        shown = [fields[0] if fields[0] or len(fields) > 1 else "*",
                 fields[1] if len(fields) > 1 else "*",
                 fields[2] if len(fields) > 2 else "*",
                 ":".join(fields[3:]) if len(fields) > 3 else "*"]
        return f'Partition "{partition}" is not valid for resource "arn:{partition}:{":".join(shown)}".'
    if not colon or "*" in rest.partition(":")[0] or "?" in rest.partition(":")[0]:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    service, _, rest = rest.partition(":")
    region, _, rest = rest.partition(":")
    account, _, path = rest.partition(":")
    if service in REGIONLESS and region and (service == "iam" or not account):
        return REGIONLESS[service].format(r=resource)
    if service == "iam" and path != "*" and not path.startswith(IAM_RESOURCE_PREFIXES + IAM_RESOURCE_EXTRA):
        return ('IAM resource path must either be "*" or start with '
                + ", ".join(IAM_RESOURCE_PREFIXES) + ".")
    return None
