"""The CloudTrail record format (protocol/cloudtrail.py): userIdentity for every kind of
principal, secrets removed from every operation's parameters, the record's fields."""

import json

import pytest

from iamd.auth.principal import Principal, root_principal, user_principal
from iamd.protocol import cloudtrail
from iamd.protocol.model import catalog

ACCT = "123456789012"
SECRET = "s3cr3t-value"


def fill(shape, secret_here: bool, depth: int = 0):
    """Data for `shape`: every string SECRET where the member is secret, "ok" elsewhere."""
    t = shape.type_name
    if depth > 6:
        return None
    if t == "structure":
        out = {}
        for name, member in shape.members.items():
            secret = name in cloudtrail.SECRET_MEMBERS or bool(member.metadata.get("sensitive"))
            v = fill(member, secret, depth + 1)
            if v is not None:
                out[name] = v
        return out
    if t == "list":
        v = fill(shape.member, secret_here, depth + 1)
        return [v] if v is not None else None
    if t == "map":
        return {"k": fill(shape.value, secret_here, depth + 1)}
    if t == "string":
        return SECRET if secret_here else "ok"
    if t == "blob":
        return SECRET.encode()
    if t == "timestamp":
        return 1_700_000_000.0
    if t == "boolean":
        return True
    return 1


OPERATIONS = sorted(catalog().by_name.values(), key=lambda op: op.name)


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_no_secret_survives_the_walk(op):
    for shape in (op.input_shape, op.output_shape):
        if shape is None:
            continue
        data = fill(shape, False)
        text = cloudtrail.dumps(cloudtrail.parameters(shape, data))
        assert SECRET not in text
        if data and any(v == "ok" for v in data.values()):
            assert '"ok"' in text  # what is not secret stays


def test_the_members_the_issue_names_are_removed():
    ops = catalog().by_name
    out = cloudtrail.parameters(ops["CreateAccessKey"].output_shape, {"AccessKey": {
        "UserName": "bob", "AccessKeyId": "AKIAEXAMPLE", "Status": "Active", "SecretAccessKey": "x" * 40,
        "CreateDate": 1_700_000_000.0}})
    assert out == {"accessKey": {"userName": "bob", "accessKeyId": "AKIAEXAMPLE", "status": "Active",
                                 "createDate": "Nov 14, 2023 10:13:20 PM"}}
    assert cloudtrail.parameters(ops["CreateLoginProfile"].input_shape,
                                 {"UserName": "bob", "Password": "pw", "PasswordResetRequired": True}) == \
        {"userName": "bob", "passwordResetRequired": True}
    assert cloudtrail.parameters(ops["GetSessionToken"].output_shape, {"Credentials": {
        "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": 0.0}}) == \
        {"credentials": {"accessKeyId": "ASIAEXAMPLE", "expiration": "Jan 1, 1970 12:00:00 AM"}}
    assert cloudtrail.parameters(ops["AssumeRoleWithSAML"].input_shape, {
        "RoleArn": "arn:aws:iam::1:role/r", "PrincipalArn": "arn:aws:iam::1:saml-provider/p",
        "SAMLAssertion": "PHNhbWw+"}) == {"roleArn": "arn:aws:iam::1:role/r",
                                          "principalArn": "arn:aws:iam::1:saml-provider/p"}
    device = cloudtrail.parameters(ops["CreateVirtualMFADevice"].output_shape, {"VirtualMFADevice": {
        "SerialNumber": "arn:aws:iam::1:mfa/d", "Base32StringSeed": b"SEED", "QRCodePNG": b"PNG"}})
    assert device == {"virtualMFADevice": {"serialNumber": "arn:aws:iam::1:mfa/d"}}


def test_java_time_is_twelve_hour_utc():
    assert cloudtrail.java_time(0) == "Jan 1, 1970 12:00:00 AM"
    assert cloudtrail.java_time(13 * 3600 + 5) == "Jan 1, 1970 1:00:05 PM"
    assert cloudtrail.java_time(12 * 3600) == "Jan 1, 1970 12:00:00 PM"


def test_identity_of_root_and_user():
    assert cloudtrail.user_identity(root_principal(ACCT, "AKIAROOT")) == {
        "type": "Root", "principalId": ACCT, "arn": f"arn:aws:iam::{ACCT}:root", "accountId": ACCT,
        "accessKeyId": "AKIAROOT"}
    assert cloudtrail.user_identity(user_principal(ACCT, "AIDAEXAMPLE", "/dev/", "bob", "AKIABOB")) == {
        "type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{ACCT}:user/dev/bob",
        "accountId": ACCT, "accessKeyId": "AKIABOB", "userName": "bob"}


def test_identity_of_an_assumed_role_session():
    p = Principal(ACCT, "assumed-role", f"arn:aws:sts::{ACCT}:assumed-role/Deploy/ci", "AROAEXAMPLE:ci",
                  entity_id="AROAEXAMPLE", access_key_id="ASIAEXAMPLE")
    ident = cloudtrail.user_identity(p)
    assert ident == {
        "type": "AssumedRole", "principalId": "AROAEXAMPLE:ci", "arn": p.arn, "accountId": ACCT,
        "accessKeyId": "ASIAEXAMPLE", "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": f"arn:aws:iam::{ACCT}:role/Deploy",
                              "accountId": ACCT, "userName": "Deploy"},
            "webIdFederationData": {}, "attributes": {"mfaAuthenticated": "false"}}}


class _Session(Principal):  # a principal carrying its session's claims, as STS's will
    __slots__ = ("claims",)

    def __init__(self, *args, claims=None, **kw):
        super().__init__(*args, **kw)
        object.__setattr__(self, "claims", claims)


def test_identity_uses_the_session_claims():
    p = _Session(ACCT, "assumed-role", f"arn:aws:sts::{ACCT}:assumed-role/Deploy/ci", "AROAEXAMPLE:ci",
                 entity_id="AROAEXAMPLE", access_key_id="ASIAEXAMPLE",
                 claims={"role_arn": f"arn:aws:iam::{ACCT}:role/team/Deploy", "iat": 0, "mfa_at": 1.0,
                         "source_identity": "alice"})
    ctx = cloudtrail.user_identity(p)["sessionContext"]
    assert ctx["sessionIssuer"]["arn"] == f"arn:aws:iam::{ACCT}:role/team/Deploy"
    assert ctx["attributes"] == {"creationDate": "1970-01-01T00:00:00Z", "mfaAuthenticated": "true"}
    assert ctx["sourceIdentity"] == "alice"


def test_identity_of_a_federated_user():
    p = _Session(ACCT, "federated-user", f"arn:aws:sts::{ACCT}:federated-user/carol", f"{ACCT}:carol",
                 access_key_id="ASIAFED", claims={"user_arn": f"arn:aws:iam::{ACCT}:user/bob",
                                                  "user_id": "AIDABOB", "iat": 0})
    ident = cloudtrail.user_identity(p)
    assert (ident["type"], ident["principalId"]) == ("FederatedUser", f"{ACCT}:carol")
    assert ident["sessionContext"]["sessionIssuer"] == {
        "type": "IAMUser", "principalId": "AIDABOB", "arn": f"arn:aws:iam::{ACCT}:user/bob", "accountId": ACCT,
        "userName": "bob"}


def test_identity_without_a_principal():
    assert cloudtrail.user_identity(None, "AKIAUNKNOWN") == {"type": "Unknown", "accessKeyId": "AKIAUNKNOWN"}
    assert cloudtrail.user_identity(None) == {"type": "Unknown"}
    assert cloudtrail.user_identity(None, None, "AssumeRoleWithSAML", {"PrincipalArn": "arn:p"}) == {
        "type": "SAMLUser", "identityProvider": "arn:p"}
    assert cloudtrail.user_identity(None, None, "AssumeRoleWithWebIdentity", {"ProviderId": "accounts.google.com"}) \
        == {"type": "WebIdentityUser", "identityProvider": "accounts.google.com"}


def test_record_fields():
    kw = dict(time_text="1970-01-01T00:00:00Z", service="sts", event_name="GetCallerIdentity", read_only=True, identity='{"type":"Root"}',
              region="eu-west-1", source_ip="10.0.0.1", user_agent='ua "quoted"', request="null",
              response="null", request_id="rid", recipient=ACCT, eid=cloudtrail.event_id())
    ok = json.loads(cloudtrail.record(error=None, **kw))
    assert list(ok) == ["eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
                        "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "requestID",
                        "eventID", "readOnly", "eventType", "managementEvent", "recipientAccountId",
                        "eventCategory"]
    assert (ok["eventSource"], ok["awsRegion"], ok["userAgent"], ok["eventTime"]) == (
        "sts.amazonaws.com", "eu-west-1", 'ua "quoted"', "1970-01-01T00:00:00Z")
    failed = json.loads(cloudtrail.record(error=("AccessDenied", "no"), **{**kw, "service": "iam",
                                                                         "response": '{"a":1}'}))
    assert (failed["errorCode"], failed["errorMessage"], failed["responseElements"], failed["awsRegion"]) == (
        "AccessDenied", "no", None, "us-east-1")
    from_console = json.loads(cloudtrail.record(error=None, from_console=True, **kw))
    assert list(from_console)[-1] == "sessionCredentialFromConsole"
    assert from_console["sessionCredentialFromConsole"] == "true" and from_console["eventType"] == "AwsApiCall"


def test_console_calls_carry_the_consoles_user_agent():
    assert cloudtrail.console_agent(root_principal(ACCT)) == "console.amazonaws.com"
    assert cloudtrail.console_agent(user_principal(ACCT, "AIDAEXAMPLE", "/", "anaya")) == "signin.amazonaws.com"


def test_console_calls_carry_the_console_sessions_context():
    ident = cloudtrail.console_identity(cloudtrail.user_identity(root_principal(ACCT)), 0.0, True)
    assert ident["type"] == "Root" and ident["sessionContext"] == {
        "sessionIssuer": {}, "webIdFederationData": {},
        "attributes": {"creationDate": "1970-01-01T00:00:00Z", "mfaAuthenticated": "true"}}


def test_console_login_records():
    user = cloudtrail.signin_identity(ACCT, "user", "AIDAEXAMPLE", "anaya", f"arn:aws:iam::{ACCT}:user/anaya")
    kw = dict(time_text="2018-07-24T18:34:07Z", identity=user, source_ip="192.0.2.0", user_agent="Mozilla/5.0",
              login_to="https://iamd.example/console/", recipient=ACCT, eid=cloudtrail.event_id())
    ok = json.loads(cloudtrail.console_login(success=True, mfa_used=True, **kw))
    assert (ok["eventSource"], ok["eventName"], ok["eventType"], ok["awsRegion"]) == (
        "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn", "us-east-1")
    assert ok["userIdentity"] == {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{ACCT}:user/anaya",
                                  "accountId": ACCT, "accessKeyId": "", "userName": "anaya"}
    assert ok["requestParameters"] is None and ok["responseElements"] == {"ConsoleLogin": "Success"}
    assert ok["additionalEventData"] == {"LoginTo": "https://iamd.example/console/", "MobileVersion": "No",
                                         "MFAUsed": "Yes"}
    assert "errorMessage" not in ok and "errorCode" not in ok
    failed = json.loads(cloudtrail.console_login(success=False, mfa_used=False, **kw))
    assert failed["responseElements"] == {"ConsoleLogin": "Failure"}
    assert failed["errorMessage"] == "Failed authentication" and "errorCode" not in failed
    assert failed["additionalEventData"]["MFAUsed"] == "No"


def test_console_login_identities_of_root_and_of_no_such_user():
    root = cloudtrail.signin_identity(ACCT, "root", None, None, f"arn:aws:iam::{ACCT}:root")
    assert root == {"type": "Root", "principalId": ACCT, "arn": f"arn:aws:iam::{ACCT}:root", "accountId": ACCT,
                    "accessKeyId": ""}
    nobody = cloudtrail.signin_identity(ACCT, "user", None, None, None)
    assert nobody == {"type": "IAMUser", "accountId": ACCT, "accessKeyId": "",
                      "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}
