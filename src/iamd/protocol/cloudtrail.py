"""One API call as CloudTrail records it: the record's fields, built from the call.

CloudTrail's record (eventVersion 1.08) names the caller (`userIdentity`), the call
(`eventSource`, `eventName`, `requestParameters`), its outcome (`responseElements` for a
successful write, `errorCode`/`errorMessage` for a failure) and where it came from. Member
names are the model's with the first letter lowered (`UserName` → `userName`,
`SSHPublicKeyId` → `sSHPublicKeyId`, as AWS's Java-built records spell them); timestamps in
`responseElements` are written as IAM's records write them ("Mar 24, 2014 9:22:04 PM").

Secrets never enter a record: every member the model marks sensitive, every blob, and the
members in `SECRET_MEMBERS` (what AWS leaves out of its IAM and STS records: secret access
keys, passwords, session tokens, private keys, SAML assertions, web identity tokens, MFA
seeds and codes, service-specific passwords) are dropped by the walk. Reads record no
`responseElements`, as AWS's do.
"""

import json
import os
import random
import time

from botocore.model import Shape

EVENT_VERSION = "1.08"
SOURCES = {"iam": "iam.amazonaws.com", "sts": "sts.amazonaws.com"}
# IAM is global: CloudTrail records its events in us-east-1 whatever the endpoint.
IAM_REGION = "us-east-1"

# Members left out of requestParameters and responseElements (beside model-sensitive ones).
SECRET_MEMBERS = frozenset({
    "SecretAccessKey", "SessionToken", "Password", "OldPassword", "NewPassword", "PrivateKey",
    "ServicePassword", "Base32StringSeed", "QRCodePNG", "SAMLAssertion", "WebIdentityToken",
    "AuthenticationCode1", "AuthenticationCode2", "TokenCode", "ClientSecret", "AddPrivateKey",
    "ServiceCredentialSecret", "TradeInToken",
})

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


_last_second: tuple = (None, "")  # replaced whole, so that threads never see half of it


def event_time(t: float) -> str:
    global _last_second
    second = int(t)
    cached = _last_second
    if cached[0] == second:  # most records share their second with the previous one
        return cached[1]
    text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
    _last_second = (second, text)
    return text


def java_time(t: float) -> str:
    """IAM's records' timestamps inside responseElements: "Mar 24, 2014 9:22:04 PM" (UTC)."""
    g = time.gmtime(t)
    hour = g.tm_hour % 12 or 12
    return (f"{_MONTHS[g.tm_mon - 1]} {g.tm_mday}, {g.tm_year} {hour}:{g.tm_min:02d}:{g.tm_sec:02d} "
            f"{'AM' if g.tm_hour < 12 else 'PM'}")


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _clean(shape: Shape, value):
    """`value` shaped by `shape` as a record holds it, secrets and blobs removed (None: drop)."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            return None
        out = {}
        for name, member in shape.members.items():
            v = value.get(name)
            if v is None or name in SECRET_MEMBERS or member.metadata.get("sensitive"):
                continue
            v = _clean(member, v)
            if v is not None:
                out[_camel(name)] = v
        return out
    if t == "list":
        if not isinstance(value, (list, tuple)):
            return None
        items = [_clean(shape.member, v) for v in value]
        return [v for v in items if v is not None]
    if t == "map":
        if not isinstance(value, dict):
            return None
        return {str(k): _clean(shape.value, v) for k, v in value.items()}
    if t == "blob":
        return None
    if t == "timestamp":
        return java_time(value.timestamp() if hasattr(value, "timestamp") else float(value))
    if t in ("integer", "long"):
        return int(value) if isinstance(value, (int, float)) else value
    if t == "boolean":
        return bool(value)
    return value


def parameters(shape: Shape | None, data: dict | None) -> dict | None:
    """requestParameters (or responseElements): None when the call has none."""
    if shape is None or not data:
        return None
    return _clean(shape, data) or None


# -- who called -------------------------------------------------------------------------------

def _session(caller) -> dict:
    """What the principal knows of its session (from STS's claims), as a dict; empty for
    long-term credentials. Accepts a SessionGrant-like object or a claims dict."""
    s = getattr(caller, "session", None) or getattr(caller, "claims", None)
    if s is None:
        return {}
    return s if isinstance(s, dict) else {k: getattr(s, k) for k in dir(s) if not k.startswith("_")}


def _attributes(s: dict) -> dict:
    issued = s.get("issued_at", s.get("iat"))
    mfa = s.get("mfa_at", s.get("mfa"))
    out = {"mfaAuthenticated": "false" if mfa is None else "true"}
    if issued is not None:
        out = {"creationDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(issued)), **out}
    return out


def user_identity(caller, key_hint: str | None = None, op_name: str = "", data: dict | None = None) -> dict:
    """userIdentity for a Principal (auth/principal.py), by its kind; for an unsigned call
    (SAML, web identity) the identity provider; for a call that failed authentication
    `Unknown` with the access key it was signed with."""
    if caller is None:
        data = data or {}
        if op_name == "AssumeRoleWithSAML":
            return {"type": "SAMLUser", "identityProvider": data.get("PrincipalArn")}
        if op_name == "AssumeRoleWithWebIdentity":
            return {"type": "WebIdentityUser", "identityProvider": data.get("ProviderId") or "Unknown"}
        return {"type": "Unknown", "accessKeyId": key_hint} if key_hint else {"type": "Unknown"}
    acct, kind = caller.account_id, caller.kind
    ident: dict = {"type": "Root", "principalId": caller.user_id, "arn": caller.arn, "accountId": acct}
    if kind == "user":
        ident["type"] = "IAMUser"
        ident["userName"] = caller.name
    elif kind == "assumed-role":
        ident["type"] = "AssumedRole"
    elif kind == "federated-user":
        ident["type"] = "FederatedUser"
    if caller.access_key_id:
        ident["accessKeyId"] = caller.access_key_id
    s = _session(caller)
    if kind == "assumed-role":
        # arn:aws:sts::ACCT:assumed-role/ROLE/SESSION; the role's own ARN (with its path) from the claims
        role_name = caller.arn.split(":", 5)[5].split("/")[1]
        ident["sessionContext"] = {
            "sessionIssuer": {"type": "Role", "principalId": caller.entity_id,
                              "arn": s.get("role_arn") or f"arn:aws:iam::{acct}:role/{role_name}",
                              "accountId": acct, "userName": role_name},
            "webIdFederationData": {}, "attributes": _attributes(s)}
    elif kind == "federated-user":
        issuer_arn = s.get("user_arn")
        issuer = {"type": "IAMUser", "principalId": caller.entity_id or s.get("user_id"),
                  "arn": issuer_arn, "accountId": acct,
                  "userName": issuer_arn.rsplit("/", 1)[1] if issuer_arn else None}
        if issuer_arn and issuer_arn.endswith(":root"):
            issuer.update(type="Root", userName=None)
        ident["sessionContext"] = {"sessionIssuer": {k: v for k, v in issuer.items() if v is not None},
                                   "webIdFederationData": {}, "attributes": _attributes(s)}
    elif s:  # GetSessionToken credentials of a user or root
        ident["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {}, "attributes": _attributes(s)}
    if s.get("source_identity"):
        ident["sessionContext"]["sourceIdentity"] = s["source_identity"]
    return ident


# -- the record -------------------------------------------------------------------------------

def event_id() -> str:
    """A random (version 4) UUID, as CloudTrail's eventIDs and AWS's request ids are: unique,
    not secret, so drawn from the process's seeded generator rather than a system call per
    record (os.urandom lets go of the GIL: on the event loop, a switch of threads per request)."""
    h = f"{_bits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def event_id_seed() -> int:
    """128 random bits from which `event_id_from` draws the ids of a run of records."""
    return _bits(128)


def event_id_from(seed: int, i: int) -> str:
    """The `i`th event id of a run whose records share a random `seed` (store/audit.py
    keeps a run of like reads in one row): a version 4 UUID, the seed's bits counted on."""
    h = f"{(seed + i) & _MASK128:032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_MASK128 = (1 << 128) - 1
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_str = json.encoder.encode_basestring  # a JSON string literal, as json.dumps(ensure_ascii=False) writes it
_rng = random.Random(os.urandom(32))
_bits = _rng.getrandbits
os.register_at_fork(after_in_child=lambda: _rng.seed(os.urandom(32)))  # a forked child draws its own
_repeated: dict[str, str] = {}


def _str_cached(value: str) -> str:
    """_str for values most records repeat (user agents, addresses)."""
    text = _repeated.get(value)
    if text is None:
        if len(_repeated) > 10_000:
            _repeated.clear()
        text = _repeated[value] = _str(value)
    return text


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def record(*, time_text: str, service: str, event_name: str, read_only: bool, identity: str, region: str,
           source_ip: str | None, user_agent: str | None, request: str, response: str,
           error: tuple[str, str] | None, request_id: str, recipient: str, eid: str,
           from_console: bool = False) -> str:
    """The CloudTrail record of one call as JSON text, keys in the order CloudTrail writes
    them. `identity`, `request` and `response` arrive as JSON text ("null" for none): the
    audit trail caches a caller's identity and small parameter sets, and every record is
    written once, so the text is put together here instead of walking a dict. `time_text`
    (from `event_time`), `request_id` and `eid` are iamd's own, written as they are. A call
    the web console made for its signed-in principal carries `sessionCredentialFromConsole`."""
    err = f'"errorCode":{_str(error[0])},"errorMessage":{_str(error[1])},' if error is not None else ""
    return (f'{{"eventVersion":"{EVENT_VERSION}","userIdentity":{identity},"eventTime":"{time_text}",'
            f'"eventSource":"{SOURCES.get(service, SOURCES["iam"])}","eventName":{_str(event_name)},'
            f'"awsRegion":{_str(IAM_REGION if service == "iam" else region)},'
            f'"sourceIPAddress":{_str_cached(source_ip or "AWS Internal")},'
            f'"userAgent":{_str_cached(user_agent or "")},'
            f'"requestParameters":{request},"responseElements":{"null" if error else response},{err}'
            f'"requestID":"{request_id}","eventID":"{eid}","readOnly":{"true" if read_only else "false"},'
            f'"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":{_str(recipient)},'
            f'"eventCategory":"Management"{CONSOLE_MARK if from_console else ""}}}')


# -- the web console ---------------------------------------------------------------------------

CONSOLE_MARK = ',"sessionCredentialFromConsole":"true"'
# The userAgent of a console call, as CloudTrail's record contents document it.
CONSOLE_AGENTS = {"root": "console.amazonaws.com"}
IAM_USER_CONSOLE_AGENT = "signin.amazonaws.com"
SIGNIN_SOURCE = "signin.amazonaws.com"
FAILED_SIGNIN = "Failed authentication"
# A sign-in's user name that names no user is not recorded (it may be a password typed in
# the wrong box): AWS writes this in its place.
HIDDEN_NAME = "HIDDEN_DUE_TO_SECURITY_REASONS"


def console_identity(ident: dict, created_at: float, mfa_used: bool) -> dict:
    """userIdentity of a console call: the principal's, with the console session's
    sessionContext (its creation time, and whether its sign-in used MFA)."""
    attributes = {"creationDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created_at)),
                  "mfaAuthenticated": "true" if mfa_used else "false"}
    return {**ident, "sessionContext": {"sessionIssuer": {}, "webIdFederationData": {}, "attributes": attributes}}


def console_agent(caller) -> str:
    return CONSOLE_AGENTS.get(caller.kind, IAM_USER_CONSOLE_AGENT)


def signin_identity(account_id: str, kind: str, user_id: str | None, user_name: str | None,
                    arn: str | None) -> dict:
    """userIdentity of a ConsoleLogin record: the root user, a known IAM user, or an IAM
    user name that is not recorded (no such user)."""
    if kind == "root":
        return {"type": "Root", "principalId": account_id, "arn": arn, "accountId": account_id, "accessKeyId": ""}
    ident = {"type": "IAMUser", "principalId": user_id, "arn": arn, "accountId": account_id, "accessKeyId": "",
             "userName": user_name if user_id else HIDDEN_NAME}
    return {k: v for k, v in ident.items() if v is not None}


def console_login(*, time_text: str, identity: dict, source_ip: str | None, user_agent: str | None,
                  success: bool, mfa_used: bool, login_to: str, recipient: str, eid: str) -> str:
    """The record of a console sign-in (eventType AwsConsoleSignIn), as CloudTrail writes
    ConsoleLogin: no requestParameters (never the password), the outcome in
    responseElements, MFAUsed and LoginTo in additionalEventData, and on failure the
    errorMessage "Failed authentication" (no errorCode)."""
    rec = {"eventVersion": EVENT_VERSION, "userIdentity": identity, "eventTime": time_text,
           "eventSource": SIGNIN_SOURCE, "eventName": "ConsoleLogin", "awsRegion": IAM_REGION,
           "sourceIPAddress": source_ip or "AWS Internal", "userAgent": user_agent or ""}
    if not success:
        rec["errorMessage"] = FAILED_SIGNIN
    rec.update({"requestParameters": None, "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
                "additionalEventData": {"LoginTo": login_to, "MobileVersion": "No",
                                        "MFAUsed": "Yes" if mfa_used else "No"},
                "eventID": eid, "readOnly": False, "eventType": "AwsConsoleSignIn", "managementEvent": True,
                "recipientAccountId": recipient, "eventCategory": "Management"})
    return dumps(rec)


def template(**fields) -> tuple[str, str, str, str]:
    """`record` split around its eventTime, requestID and eventID: the four constant parts
    of the records of repeated calls (the same caller reading the same thing), to be joined
    with each call's three values."""
    mark = "\x00"  # _str escapes NUL everywhere else, so it is only where it is put
    return tuple(record(time_text=mark, request_id=mark, eid=mark, **fields).split(mark))


def filled(parts: tuple, at: float, request_id: str, eid: str) -> str:
    """The record a `template` makes for a call at time `at` with these ids."""
    p0, p1, p2, p3 = parts
    return f"{p0}{event_time(at)}{p1}{request_id}{p2}{eid}{p3}"
