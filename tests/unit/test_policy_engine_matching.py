"""Action/NotAction, Resource/NotResource, Principal/NotPrincipal and the structure of the
Condition element, one AWS rule per case.

Sources: AWS IAM User Guide, "IAM JSON policy elements" (Action, NotAction, Resource,
NotResource, Principal, NotPrincipal, Condition) (reference §6.2, §6.3).
"""

import pytest

from engine_cases import ACCOUNT, allow, decide, doc, request, source
from iamd.policy.evaluate import Caller

U = f"arn:aws:iam::{ACCOUNT}:user"

ACTIONS = [
    ("Action: exact name matches", "iam:GetUser", "iam:GetUser", True),
    ("Action: service prefix is case-insensitive", "IAM:GetUser", "iam:GetUser", True),
    ("Action: action name is case-insensitive", "iam:getuser", "iam:GetUser", True),
    ("Action: different action does not match", "iam:GetUser", "iam:GetRole", False),
    ("Action: * alone matches every action", "*", "sts:AssumeRole", True),
    ("Action: service:* matches every action of the service", "iam:*", "iam:CreateUser", True),
    ("Action: service:* does not match another service", "iam:*", "sts:AssumeRole", False),
    ("Action: prefix wildcard", "iam:Get*", "iam:GetAccountSummary", True),
    ("Action: prefix wildcard does not match other verbs", "iam:Get*", "iam:ListUsers", False),
    ("Action: wildcard in the middle", "iam:*AccessKey*", "iam:UpdateAccessKey", True),
    ("Action: wildcard in the middle, case-insensitive", "iam:*accesskey*", "iam:ListAccessKeys", True),
    ("Action: ? matches one character", "iam:GetUse?", "iam:GetUser", True),
    ("Action: ? needs exactly one character", "iam:GetUse?", "iam:GetUse", False),
    ("Action: pattern must cover the whole name", "iam:Get", "iam:GetUser", False),
    ("Action: * spans the colon", "*:GetUser", "iam:GetUser", True),
    ("Action: list of actions is OR", ["iam:ListUsers", "iam:GetUser"], "iam:GetUser", True),
    ("Action: list with no match", ["iam:ListUsers", "iam:ListRoles"], "iam:GetUser", False),
    ("Action: regex characters are literal", "iam:Get.ser", "iam:GetUser", False),
]


@pytest.mark.parametrize("pattern,action,expected", [pytest.param(*c[1:], id=c[0]) for c in ACTIONS])
def test_action(pattern, action, expected):
    d = decide([doc(allow(action=pattern))], request(action=action))
    assert (d.decision == "allowed") is expected


NOT_ACTIONS = [
    ("NotAction with Allow: grants every action not listed", "iam:*", "sts:GetCallerIdentity", "allowed"),
    ("NotAction with Allow: a listed action is not granted", "iam:*", "iam:GetUser", "implicitDeny"),
    ("NotAction with Allow: listed names compare case-insensitively", "IAM:GETUSER", "iam:GetUser", "implicitDeny"),
    ("NotAction with Allow: wildcard list", ["iam:Delete*", "iam:Put*"], "iam:GetUser", "allowed"),
    ("NotAction with Allow: wildcard list excludes matching actions", ["iam:Delete*", "iam:Put*"], "iam:DeleteUser", "implicitDeny"),
]


@pytest.mark.parametrize("pattern,action,expected", [pytest.param(*c[1:], id=c[0]) for c in NOT_ACTIONS])
def test_not_action_allow(pattern, action, expected):
    st = {"Effect": "Allow", "NotAction": pattern, "Resource": "*"}
    assert decide([doc(st)], request(action=action)).decision == expected


NOT_ACTION_DENY = [
    ("NotAction with Deny: denies everything except the list", "iam:CreateUser", "explicitDeny"),
    ("NotAction with Deny: the listed action escapes the deny", "iam:GetUser", "allowed"),
    ("NotAction with Deny: listed wildcard escapes the deny", "iam:ListUsers", "allowed"),
]


@pytest.mark.parametrize("action,expected", [pytest.param(*c[1:], id=c[0]) for c in NOT_ACTION_DENY])
def test_not_action_deny(action, expected):
    admin = allow(action="*")
    guard = {"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"], "Resource": "*"}
    assert decide([doc(admin, guard)], request(action=action)).decision == expected


RESOURCES = [
    ("Resource: * matches any ARN", "*", f"{U}/bob", True),
    ("Resource: * matches the literal * of actions without resource types", "*", "*", True),
    ("Resource: exact ARN", f"{U}/bob", f"{U}/bob", True),
    ("Resource: is case-sensitive", f"{U}/Bob", f"{U}/bob", False),
    ("Resource: * in the resource segment crosses /", f"{U}/division_abc*", f"{U}/division_abc/subdivision_xyz/JaneDoe", True),
    ("Resource: user/* covers paths", f"{U}/*", f"{U}/eng/bob", True),
    ("Resource: ? matches one character", f"{U}/bo?", f"{U}/bob", True),
    ("Resource: ? does not match two characters", f"{U}/b?", f"{U}/bob", False),
    ("Resource: * in the account segment", "arn:aws:iam::*:user/bob", f"{U}/bob", True),
    ("Resource: * in the partition segment", f"arn:*:iam::{ACCOUNT}:user/bob", f"{U}/bob", True),
    ("Resource: wildcard does not cross into another segment", "arn:aws:iam::*", f"{U}/bob", False),
    ("Resource: every segment wildcarded", "arn:*:*:*:*:*", f"{U}/bob", True),
    ("Resource: wrong service does not match", f"arn:aws:sts::{ACCOUNT}:user/bob", f"{U}/bob", False),
    ("Resource: wrong account does not match", "arn:aws:iam::111111111111:user/bob", f"{U}/bob", False),
    ("Resource: region segment must be empty when the ARN has none", f"arn:aws:iam:*:{ACCOUNT}:user/bob", f"{U}/bob", True),
    ("Resource: a value region does not match an empty pattern region", f"arn:aws:sqs::{ACCOUNT}:q", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", False),
    ("Resource: resource segment may hold colons", "arn:aws:logs:us-east-1:1:log-group:*", "arn:aws:logs:us-east-1:1:log-group:a:log-stream:b", True),
    ("Resource: an ARN pattern does not match the literal *", "arn:aws:iam::*:*", "*", False),
    ("Resource: list is OR", [f"{U}/alice", f"{U}/bob"], f"{U}/bob", True),
    ("Resource: regex characters are literal", f"{U}/b.b", f"{U}/bob", False),
    ("Resource: trailing * after the type", f"arn:aws:iam::{ACCOUNT}:role/*", f"arn:aws:iam::{ACCOUNT}:role/service-role/x", True),
    ("Resource: pattern must cover the whole ARN", f"{U}/bo", f"{U}/bob", False),
]


@pytest.mark.parametrize("pattern,resource,expected", [pytest.param(*c[1:], id=c[0]) for c in RESOURCES])
def test_resource(pattern, resource, expected):
    d = decide([doc(allow(resource=pattern))], request(resource=resource))
    assert (d.decision == "allowed") is expected


NOT_RESOURCES = [
    ("NotResource with Allow: grants every resource not listed", "Allow", f"{U}/alice", "allowed"),
    ("NotResource with Allow: a listed resource is not granted", "Allow", f"{U}/admin", "implicitDeny"),
    ("NotResource with Deny: denies every resource except the list", "Deny", f"{U}/alice", "explicitDeny"),
    ("NotResource with Deny: the listed resource escapes the deny", "Deny", f"{U}/admin", "allowed"),
]


@pytest.mark.parametrize("effect,resource,expected", [pytest.param(*c[1:], id=c[0]) for c in NOT_RESOURCES])
def test_not_resource(effect, resource, expected):
    st = {"Effect": effect, "Action": "iam:GetUser", "NotResource": [f"{U}/admin", f"{U}/root*"]}
    policies = [doc(st)] if effect == "Allow" else [doc(allow(), st)]
    assert decide(policies, request(resource=resource)).decision == expected


# -- Principal / NotPrincipal (resource-based and trust policies) -----------------------------

BOB = Caller(f"{U}/bob", ACCOUNT, unique_id="AIDABOB")
SESSION = Caller(f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1", ACCOUNT,
                 role_arn=f"arn:aws:iam::{ACCOUNT}:role/ops", unique_id="AROAOPS")
OTHER = Caller("arn:aws:iam::999988887777:user/eve", "999988887777")
EC2 = Caller("ec2.amazonaws.com", "", service="ec2.amazonaws.com")
GOOGLE = Caller(f"arn:aws:sts::{ACCOUNT}:assumed-role/web/x", ACCOUNT, federated="accounts.google.com")
SAML = Caller(f"arn:aws:sts::{ACCOUNT}:assumed-role/saml/x", ACCOUNT,
              federated=f"arn:aws:iam::{ACCOUNT}:saml-provider/corp")
FED = Caller(f"arn:aws:sts::{ACCOUNT}:federated-user/carol", ACCOUNT)

PRINCIPALS = [
    ("Principal: * matches everyone", "*", BOB, "direct"),
    ("Principal: {AWS: *} matches everyone", {"AWS": "*"}, OTHER, "direct"),
    ("Principal: user ARN matches that user", {"AWS": f"{U}/bob"}, BOB, "direct"),
    ("Principal: user ARN does not match another user", {"AWS": f"{U}/alice"}, BOB, None),
    ("Principal: account id delegates to the whole account", {"AWS": ACCOUNT}, BOB, "account"),
    ("Principal: account root ARN delegates to the whole account", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, BOB, "account"),
    ("Principal: account root ARN covers role sessions of the account", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, SESSION, "account"),
    ("Principal: another account does not match", {"AWS": "999988887777"}, BOB, None),
    ("Principal: role ARN matches sessions of that role", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops"}, SESSION, "role"),
    ("Principal: another role ARN does not match the session", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/dev"}, SESSION, None),
    ("Principal: assumed-role session ARN matches that session", {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1"}, SESSION, "direct"),
    ("Principal: another session name does not match", {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s2"}, SESSION, None),
    ("Principal: federated-user ARN matches that federated user", {"AWS": f"arn:aws:sts::{ACCOUNT}:federated-user/carol"}, FED, "direct"),
    ("Principal: unique id (deleted-and-recreated safe) matches the user", {"AWS": "AIDABOB"}, BOB, "direct"),
    ("Principal: role unique id matches sessions of the role", {"AWS": "AROAOPS"}, SESSION, "role"),
    ("Principal: Service matches the service principal", {"Service": "ec2.amazonaws.com"}, EC2, "direct"),
    ("Principal: Service list is OR", {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}, EC2, "direct"),
    ("Principal: Service does not match an IAM user", {"Service": "ec2.amazonaws.com"}, BOB, None),
    ("Principal: Federated well-known provider", {"Federated": "accounts.google.com"}, GOOGLE, "direct"),
    ("Principal: Federated SAML provider ARN", {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"}, SAML, "direct"),
    ("Principal: Federated provider does not match a plain user", {"Federated": "accounts.google.com"}, BOB, None),
    ("Principal: CanonicalUser never matches an IAM principal", {"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}, BOB, None),
    ("Principal: several types are OR", {"AWS": f"{U}/alice", "Service": "ec2.amazonaws.com"}, EC2, "direct"),
    ("Principal: the strongest naming wins (user over account)", {"AWS": [ACCOUNT, f"{U}/bob"]}, BOB, "direct"),
]


@pytest.mark.parametrize("principal,caller,kind", [pytest.param(*c[1:], id=c[0]) for c in PRINCIPALS])
def test_principal(principal, caller, kind):
    st = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    statement = source(doc(st)).policy.statements[0]
    assert statement.principal_kind(caller) == kind
    assert statement.principal_matches(caller) is (kind is not None)


def test_statement_without_principal_reports_none():
    statement = source(doc(allow())).policy.statements[0]
    assert statement.principal_matches(BOB) is None


NOT_PRINCIPALS = [
    ("NotPrincipal with Deny: an unlisted user is denied", {"AWS": [f"{U}/alice", ACCOUNT]}, BOB, False, True),
    ("NotPrincipal with Deny: the listed user with its account escapes", {"AWS": [f"{U}/bob", ACCOUNT]}, BOB, False, False),
    ("NotPrincipal with Deny: listing the user without its account still denies", {"AWS": f"{U}/bob"}, BOB, False, True),
    ("NotPrincipal with Deny: a session escapes only with role and account listed",
     {"AWS": [f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1", f"arn:aws:iam::{ACCOUNT}:role/ops", ACCOUNT]}, SESSION, False, False),
    ("NotPrincipal with Deny: a session without its role listed is denied",
     {"AWS": [f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1", ACCOUNT]}, SESSION, False, True),
    ("NotPrincipal with Deny: a principal with a permissions boundary is always denied",
     {"AWS": [f"{U}/bob", ACCOUNT]}, BOB, True, True),
    ("NotPrincipal with Deny: another account's principal is denied", {"AWS": [f"{U}/bob", ACCOUNT]}, OTHER, False, True),
    ("NotPrincipal with Deny: a listed service escapes", {"Service": "ec2.amazonaws.com"}, EC2, False, False),
]


@pytest.mark.parametrize("not_principal,caller,has_boundary,denied",
                         [pytest.param(*c[1:], id=c[0]) for c in NOT_PRINCIPALS])
def test_not_principal(not_principal, caller, has_boundary, denied):
    st = {"Effect": "Deny", "NotPrincipal": not_principal, "Action": "*", "Resource": "*"}
    statement = source(doc(st)).policy.statements[0]
    assert statement.principal_matches(caller, has_boundary) is denied


# -- Structure of the Condition element ---------------------------------------------------------

CT = "aws:currenttime"
BLOCKS = [
    ("Condition: several keys under one operator are AND (both hold)",
     {"StringEquals": {"aws:username": "bob", "aws:PrincipalType": "User"}}, {"aws:username": "bob", "aws:PrincipalType": "User"}, True),
    ("Condition: several keys under one operator are AND (one fails)",
     {"StringEquals": {"aws:username": "bob", "aws:PrincipalType": "User"}}, {"aws:username": "bob", "aws:PrincipalType": "AssumedRole"}, False),
    ("Condition: several operators are AND (both hold)",
     {"StringEquals": {"aws:username": "bob"}, "Bool": {"aws:SecureTransport": "true"}}, {"aws:username": "bob", "aws:SecureTransport": "true"}, True),
    ("Condition: several operators are AND (one fails)",
     {"StringEquals": {"aws:username": "bob"}, "Bool": {"aws:SecureTransport": "true"}}, {"aws:username": "bob", "aws:SecureTransport": "false"}, False),
    ("Condition: a time window needs both bounds",
     {"DateGreaterThan": {CT: "2020-01-01T00:00:00Z"}, "DateLessThan": {CT: "2020-12-31T23:59:59Z"}}, {CT: "2020-06-01T00:00:00Z"}, True),
    ("Condition: a time window rejects a time after it",
     {"DateGreaterThan": {CT: "2020-01-01T00:00:00Z"}, "DateLessThan": {CT: "2020-12-31T23:59:59Z"}}, {CT: "2021-06-01T00:00:00Z"}, False),
    ("Condition: an empty Condition block is no restriction", {}, {}, True),
    ("Condition: one unknown operator makes the whole block fail",
     {"StringEquals": {"aws:username": "bob"}, "Bogus": {"aws:username": "bob"}}, {"aws:username": "bob"}, False),
    ("Condition: a key under an operator that is not an object fails", {"StringEquals": "bob"}, {"aws:username": "bob"}, False),
]


@pytest.mark.parametrize("block,ctx,expected", [pytest.param(*c[1:], id=c[0]) for c in BLOCKS])
def test_condition_block(block, ctx, expected):
    d = decide([doc(allow(condition=block))], request(ctx=ctx))
    assert (d.decision == "allowed") is expected


STATEMENTS = [
    ("Effect: exactly Allow or Deny; another value never applies", {"Effect": "allow", "Action": "*", "Resource": "*"}, "implicitDeny"),
    ("Statement: without Action or NotAction never applies", {"Effect": "Allow", "Resource": "*"}, "implicitDeny"),
    ("Statement: a single statement object (not a list) is read", {"Effect": "Allow", "Action": "*", "Resource": "*"}, "allowed"),
    ("NotAction of a malformed shape cannot be evaluated: it grants nothing", {"Effect": "Allow", "NotAction": {"x": 1}, "Resource": "*"}, "implicitDeny"),
    ("NotAction: an empty list cannot be evaluated", {"Effect": "Allow", "NotAction": [], "Resource": "*"}, "implicitDeny"),
    ("NotResource of a malformed shape cannot be evaluated: it grants nothing", {"Effect": "Allow", "Action": "*", "NotResource": [1]}, "implicitDeny"),
    ("Action list holding a non-string cannot be evaluated", {"Effect": "Allow", "Action": ["iam:GetUser", 7], "Resource": "*"}, "implicitDeny"),
]


@pytest.mark.parametrize("statement,expected", [pytest.param(*c[1:], id=c[0]) for c in STATEMENTS])
def test_statement_shapes(statement, expected):
    text = '{"Version": "2012-10-17", "Statement": %s}' % __import__("json").dumps(statement)
    assert decide([text]).decision == expected
