"""Evaluation logic across policy types, denial messages, positions and compilation,
one AWS rule per case.

Sources: AWS IAM User Guide, "Policy evaluation logic", "Determining whether a request is
allowed or denied within an account", "Cross-account policy evaluation logic", "Permissions
boundaries for IAM entities", "Session policies" (reference §6.7, §6.9, §6.10).
"""

import pytest

from engine_cases import ACCOUNT, allow, deny, doc, request, source
from iamd.policy.compiled import compile_policy
from iamd.policy.denials import access_denied_message
from iamd.policy.evaluate import Caller, PolicySet, evaluate

U = f"arn:aws:iam::{ACCOUNT}:user"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ops"
BOB = Caller(f"{U}/bob", ACCOUNT)
SESSION = Caller(f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1", ACCOUNT, role_arn=ROLE)
FEDERATED = Caller(f"arn:aws:sts::{ACCOUNT}:federated-user/carol", ACCOUNT)
EVE = Caller("arn:aws:iam::999988887777:user/eve", "999988887777")

ADMIN = doc(allow(action="*"))
READ = doc(allow(action=["iam:Get*", "iam:List*"]))
NOTHING = doc(allow(action="sts:GetCallerIdentity"))
DENY_GET = doc(deny(action="iam:GetUser"))


def ps(identity=(), boundary=None, session=None, root=False):
    return PolicySet(tuple(source(t, f"id{i}") for i, t in enumerate(identity)),
                     source(boundary, "boundary", "user-managed") if boundary else None,
                     None if session is None else tuple(source(t, f"s{i}", "none") for i, t in enumerate(session)),
                     root)


def rp(principal, effect="Allow", action="iam:GetUser"):
    return source(doc({"Effect": effect, "Principal": principal, "Action": action, "Resource": "*"}),
                  "resource", "resource")


# (id, PolicySet kwargs, resource policy, caller, same_account, action, expected decision, denied_by)
EVAL = [
    ("Default: no policy at all is an implicit deny", {}, None, BOB, True, "iam:GetUser", "implicitDeny", "identity"),
    ("Identity: one matching Allow allows", {"identity": [READ]}, None, BOB, True, "iam:GetUser", "allowed", None),
    ("Identity: an Allow for another action does not", {"identity": [NOTHING]}, None, BOB, True, "iam:GetUser", "implicitDeny", "identity"),
    ("Identity: Allows of several policies are a union", {"identity": [NOTHING, READ]}, None, BOB, True, "iam:ListUsers", "allowed", None),
    ("Explicit deny: overrides an Allow in another policy", {"identity": [ADMIN, DENY_GET]}, None, BOB, True, "iam:GetUser", "explicitDeny", "identity"),
    ("Explicit deny: overrides an Allow in the same policy", {"identity": [doc(allow(action="*"), deny(action="iam:GetUser"))]}, None, BOB, True, "iam:GetUser", "explicitDeny", "identity"),
    ("Explicit deny: only for the actions it names", {"identity": [ADMIN, DENY_GET]}, None, BOB, True, "iam:GetRole", "allowed", None),
    ("Explicit deny: a Deny alone still denies explicitly", {"identity": [DENY_GET]}, None, BOB, True, "iam:GetUser", "explicitDeny", "identity"),
    ("Explicit deny: with a condition that does not hold it does not apply", {"identity": [ADMIN, doc(deny(condition={"Bool": {"aws:SecureTransport": "false"}}))]}, None, BOB, True, "iam:GetUser", "allowed", None),
    ("Boundary: identity Allow and boundary Allow -> allowed", {"identity": [ADMIN], "boundary": READ}, None, BOB, True, "iam:GetUser", "allowed", None),
    ("Boundary: the boundary limits an admin (intersection)", {"identity": [ADMIN], "boundary": READ}, None, BOB, True, "iam:CreateUser", "implicitDeny", "boundary"),
    ("Boundary: a boundary alone grants nothing", {"identity": [], "boundary": ADMIN}, None, BOB, True, "iam:GetUser", "implicitDeny", "identity"),
    ("Boundary: identity must allow too", {"identity": [NOTHING], "boundary": ADMIN}, None, BOB, True, "iam:GetUser", "implicitDeny", "identity"),
    ("Boundary: a Deny in the boundary is an explicit deny", {"identity": [ADMIN], "boundary": doc(allow(action="*"), deny(action="iam:GetUser"))}, None, BOB, True, "iam:GetUser", "explicitDeny", "boundary"),
    ("Session: identity and session policy both allow", {"identity": [ADMIN], "session": [READ]}, None, SESSION, True, "iam:GetUser", "allowed", None),
    ("Session: the session policy limits the role (intersection)", {"identity": [ADMIN], "session": [READ]}, None, SESSION, True, "iam:CreateUser", "implicitDeny", "session"),
    ("Session: a session policy alone grants nothing", {"identity": [], "session": [ADMIN]}, None, SESSION, True, "iam:GetUser", "implicitDeny", "identity"),
    ("Session: several session policies (inline + managed) are a union", {"identity": [ADMIN], "session": [NOTHING, READ]}, None, SESSION, True, "iam:GetUser", "allowed", None),
    ("Session: a Deny in a session policy is an explicit deny", {"identity": [ADMIN], "session": [doc(allow(action="*"), deny(action="iam:GetUser"))]}, None, SESSION, True, "iam:GetUser", "explicitDeny", "session"),
    ("Session: no session policies means no restriction", {"identity": [ADMIN], "session": None}, None, SESSION, True, "iam:CreateUser", "allowed", None),
    ("Session: a federated user without session policy has no permissions", {"identity": [ADMIN], "session": []}, None, FEDERATED, True, "iam:GetUser", "implicitDeny", "session"),
    ("Session + boundary: all three must allow", {"identity": [ADMIN], "boundary": ADMIN, "session": [READ]}, None, SESSION, True, "iam:GetUser", "allowed", None),
    ("Session + boundary: the boundary still cuts", {"identity": [ADMIN], "boundary": NOTHING, "session": [ADMIN]}, None, SESSION, True, "iam:GetUser", "implicitDeny", "boundary"),
    ("Root: allowed everything without any policy", {"root": True}, None, Caller(f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT), True, "iam:CreateUser", "allowed", None),
    ("Root: a resource-policy explicit deny still applies", {"root": True}, rp({"AWS": ACCOUNT}, "Deny"), Caller(f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT), True, "iam:GetUser", "explicitDeny", "resource"),
    ("Resource policy, same account: naming the user allows without identity policy", {}, rp({"AWS": f"{U}/bob"}), BOB, True, "iam:GetUser", "allowed", None),
    ("Resource policy, same account: naming the user is not cut by a boundary", {"identity": [], "boundary": NOTHING}, rp({"AWS": f"{U}/bob"}), BOB, True, "iam:GetUser", "allowed", None),
    ("Resource policy, same account: naming the session is not cut by session policies", {"session": [NOTHING]}, rp({"AWS": SESSION.arn}), SESSION, True, "iam:GetUser", "allowed", None),
    ("Resource policy, same account: naming the federated user allows it alone", {"session": []}, rp({"AWS": FEDERATED.arn}), FEDERATED, True, "iam:GetUser", "allowed", None),
    ("Resource policy, same account: naming the role allows a session without identity policy", {}, rp({"AWS": ROLE}), SESSION, True, "iam:GetUser", "allowed", None),
    ("Resource policy, same account: naming the role is cut by the role's boundary", {"boundary": NOTHING}, rp({"AWS": ROLE}), SESSION, True, "iam:GetUser", "implicitDeny", "boundary"),
    ("Resource policy, same account: naming the role is cut by session policies", {"session": [NOTHING]}, rp({"AWS": ROLE}), SESSION, True, "iam:GetUser", "implicitDeny", "session"),
    ("Resource policy, same account: naming the account needs an identity Allow", {}, rp({"AWS": ACCOUNT}), BOB, True, "iam:GetUser", "implicitDeny", "identity"),
    ("Resource policy, same account: naming the account plus identity Allow allows", {"identity": [READ]}, rp({"AWS": ACCOUNT}), BOB, True, "iam:GetUser", "allowed", None),
    ("Resource policy, same account: no resource Allow, identity Allow still allows", {"identity": [READ]}, rp({"AWS": f"{U}/alice"}), BOB, True, "iam:GetUser", "allowed", None),
    ("Resource policy: an explicit deny there wins over identity Allows", {"identity": [ADMIN]}, rp({"AWS": f"{U}/bob"}, "Deny"), BOB, True, "iam:GetUser", "explicitDeny", "resource"),
    ("Resource policy: a Deny naming someone else does not apply", {"identity": [ADMIN]}, rp({"AWS": f"{U}/alice"}, "Deny"), BOB, True, "iam:GetUser", "allowed", None),
    ("Resource policy: an explicit deny beats a resource Allow naming the user", {}, source(doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "Action": "iam:GetUser", "Resource": "*"}), "r", "resource"), BOB, True, "iam:GetUser", "explicitDeny", "resource"),
    ("Resource policy: Principal * allows anyone in the account", {}, rp("*"), BOB, True, "iam:GetUser", "allowed", None),
    ("Cross-account: resource Allow and identity Allow -> allowed", {"identity": [READ]}, rp({"AWS": EVE.arn}), EVE, False, "iam:GetUser", "allowed", None),
    ("Cross-account: resource Allow without identity Allow -> denied", {}, rp({"AWS": EVE.arn}), EVE, False, "iam:GetUser", "implicitDeny", "identity"),
    ("Cross-account: identity Allow without resource Allow -> denied", {"identity": [ADMIN]}, rp({"AWS": f"{U}/alice"}), EVE, False, "iam:GetUser", "implicitDeny", "resource"),
    ("Cross-account: trusting the other account delegates to its identity policies", {"identity": [READ]}, rp({"AWS": "999988887777"}), EVE, False, "iam:GetUser", "allowed", None),
    ("Cross-account: no resource policy at all -> denied", {"identity": [ADMIN]}, None, EVE, False, "iam:GetUser", "implicitDeny", "resource"),
    ("Cross-account: the caller's boundary still applies", {"identity": [ADMIN], "boundary": NOTHING}, rp({"AWS": EVE.arn}), EVE, False, "iam:GetUser", "implicitDeny", "boundary"),
]


@pytest.mark.parametrize("sets,resource_policy,caller,same_account,action,expected,denied_by",
                         [pytest.param(*c[1:], id=c[0]) for c in EVAL])
def test_evaluation_order(sets, resource_policy, caller, same_account, action, expected, denied_by):
    for decision_only in (False, True):  # the enforcer's shortcut decides alike
        d = evaluate(request(action=action, resource=f"{U}/bob"), ps(**sets), resource_policy=resource_policy,
                     caller=caller, same_account=same_account, decision_only=decision_only)
        assert (d.decision, d.denied_by) == (expected, denied_by)


TRUST = [
    ("Trust policy: trusting the account needs an identity Allow for sts:AssumeRole", {"identity": [doc(allow(action="sts:AssumeRole"))]}, {"AWS": ACCOUNT}, "allowed", None),
    ("Trust policy: trusting the account, no identity Allow -> denied", {}, {"AWS": ACCOUNT}, "implicitDeny", "identity"),
    ("Trust policy: trusting the user allows it alone", {}, {"AWS": f"{U}/bob"}, "allowed", None),
    ("Trust policy: identity Allow is never enough without the trust policy", {"identity": [ADMIN]}, {"AWS": f"{U}/alice"}, "implicitDeny", "resource"),
]


@pytest.mark.parametrize("sets,principal,expected,denied_by", [pytest.param(*c[1:], id=c[0]) for c in TRUST])
def test_trust_policy_must_allow(sets, principal, expected, denied_by):
    trust = rp(principal, action="sts:AssumeRole")
    d = evaluate(request(action="sts:AssumeRole", resource=ROLE), ps(**sets), resource_policy=trust,
                 caller=BOB, resource_must_allow=True)
    assert (d.decision, d.denied_by) == (expected, denied_by)


def test_boundary_decision_detail():
    """PermissionsBoundaryDecisionDetail: reported only when there is a boundary."""
    req = request(action="iam:CreateUser")
    assert evaluate(req, ps([ADMIN])).boundary_allowed is None
    assert evaluate(req, ps([ADMIN], boundary=READ)).boundary_allowed is False
    assert evaluate(request(), ps([ADMIN], boundary=READ)).boundary_allowed is True


def test_decision_only_stops_at_the_first_allow_but_tests_every_deny():
    many = [doc(allow(action="iam:GetUser", condition={"Bool": {"aws:SecureTransport": "true"}})) for _ in range(3)]
    late_deny = doc(deny(action="iam:GetUser", condition={"StringEquals": {"aws:username": "bob"}}))
    req = request(action="iam:GetUser", resource=f"{U}/bob", ctx={"aws:securetransport": "true", "aws:username": "bob"})
    quick = evaluate(req, ps(identity=[*many, late_deny]), decision_only=True)
    assert quick.decision == "explicitDeny" and len(quick.matched) == 1
    allowed = evaluate(request(action="iam:GetUser", resource=f"{U}/bob", ctx={"aws:securetransport": "true"}),
                       ps(identity=many), decision_only=True)
    assert allowed.decision == "allowed" and len(allowed.matched) == 1


def test_matched_statements_for_allowed_are_every_allow():
    """MatchedStatements: for allowed, every Allow statement that matched."""
    d = evaluate(request(), ps([ADMIN, READ, NOTHING]))
    assert [(s.id, st.index) for s, st in d.matched] == [("id0", 0), ("id1", 0)]


def test_matched_statements_for_explicit_deny_are_only_denies():
    d = evaluate(request(), ps([ADMIN, DENY_GET]))
    assert [(s.id, st.effect) for s, st in d.matched] == [("id1", "Deny")]


def test_matched_statements_for_implicit_deny_are_empty():
    assert evaluate(request(), ps([NOTHING])).matched == ()


def test_missing_keys_as_written():
    """MissingContextValues: keys referenced by evaluated conditions, spelled as in the policy."""
    text = doc(allow(condition={"StringEquals": {"aws:PrincipalTag/Team": "a"}}))
    assert evaluate(request(), ps([text])).missing == ("aws:PrincipalTag/Team",)


def test_missing_keys_complete_with_explain():
    text = doc(allow(condition={"StringEquals": {"aws:PrincipalTag/Team": "a", "aws:ResourceTag/Env": "b"}}))
    assert evaluate(request(), ps([text]), explain=True).missing == ("aws:PrincipalTag/Team", "aws:ResourceTag/Env")


def test_missing_keys_deduplicated_case_insensitively():
    text = doc(allow(condition={"StringEquals": {"aws:username": "a"}}),
               allow(condition={"StringLike": {"AWS:UserName": "b*"}}))
    assert evaluate(request(), ps([text]), explain=True).missing == ("aws:username",)


def test_present_keys_are_not_missing():
    text = doc(allow(condition={"StringEquals": {"aws:username": "bob"}}))
    assert evaluate(request(ctx={"aws:username": "bob"}), ps([text])).missing == ()


# -- AccessDenied messages (reference §6.9) ---------------------------------------------------------

GET = "iam:GetUser"
RES = f"{U}/alice"
MESSAGES = [
    ("Message: no identity-based policy allows", {"identity": [NOTHING]}, False,
     f"User: {U}/bob is not authorized to perform: {GET} on resource: {RES} because no identity-based policy allows the {GET} action"),
    ("Message: no permissions boundary allows", {"identity": [ADMIN], "boundary": NOTHING}, False,
     f"User: {U}/bob is not authorized to perform: {GET} on resource: {RES} because no permissions boundary allows the {GET} action"),
    ("Message: no session policy allows", {"identity": [ADMIN], "session": [NOTHING]}, False,
     f"User: {U}/bob is not authorized to perform: {GET} on resource: {RES} because no session policy allows the {GET} action"),
    ("Message: explicit deny in an identity-based policy", {"identity": [ADMIN, DENY_GET]}, False,
     f"User: {U}/bob is not authorized to perform: {GET} on resource: {RES} with an explicit deny in an identity-based policy"),
    ("Message: explicit deny in a permissions boundary", {"identity": [ADMIN], "boundary": DENY_GET}, False,
     f"User: {U}/bob is not authorized to perform: {GET} on resource: {RES} with an explicit deny in a permissions boundary"),
    ("Message: explicit deny in a session policy (AWS's 'sessions policy')", {"identity": [ADMIN], "session": [DENY_GET]}, False,
     f"User: {U}/bob is not authorized to perform: {GET} on resource: {RES} with an explicit deny in a sessions policy"),
]


@pytest.mark.parametrize("sets,trust,expected", [pytest.param(*c[1:], id=c[0]) for c in MESSAGES])
def test_access_denied_message(sets, trust, expected):
    d = evaluate(request(resource=RES), ps(**sets))
    assert access_denied_message(f"{U}/bob", GET, RES, d, trust=trust) == expected


def test_message_resource_based():
    d = evaluate(request(resource=RES), ps([ADMIN]), resource_policy=rp({"AWS": f"{U}/bob"}, "Deny"), caller=BOB)
    assert access_denied_message(BOB.arn, GET, RES, d).endswith("with an explicit deny in a resource-based policy")


def test_message_trust_policy():
    d = evaluate(request(action="sts:AssumeRole", resource=ROLE), ps([ADMIN]),
                 resource_policy=rp({"AWS": f"{U}/alice"}, action="sts:AssumeRole"), caller=BOB,
                 resource_must_allow=True)
    assert access_denied_message(BOB.arn, "sts:AssumeRole", ROLE, d, trust=True) == (
        f"User: {BOB.arn} is not authorized to perform: sts:AssumeRole on resource: {ROLE} "
        "because no role trust policy allows the sts:AssumeRole action")


def test_message_names_the_path_prefix_resource():
    """Recorded denials show ListUsers on the path prefix `user/`."""
    d = evaluate(request(action="iam:ListUsers", resource=f"{U}/"), ps([NOTHING]))
    assert access_denied_message(BOB.arn, "iam:ListUsers", f"{U}/", d) == (
        f"User: {BOB.arn} is not authorized to perform: iam:ListUsers on resource: {U}/ "
        "because no identity-based policy allows the iam:ListUsers action")


def test_message_without_resource():
    d = evaluate(request(action="iam:ListRoles", resource="*"), ps([NOTHING]))
    assert access_denied_message(SESSION.arn, "iam:ListRoles", "*", d) == (
        f"User: {SESSION.arn} is not authorized to perform: iam:ListRoles because no identity-based "
        "policy allows the iam:ListRoles action")


# -- Compilation and positions (reference §6.10) -------------------------------------------------

ONE_LINE = ('{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:CreateAccessKey",'
            '"Resource":"arn:aws:iam::123456789012:user/*"}}')


def test_positions_one_line_are_one_column_after_each_brace():
    st = compile_policy(ONE_LINE).statements[0]
    assert st.start == (1, ONE_LINE.index("{", 1) + 2)
    assert st.end == (1, len(ONE_LINE) - 1 + 1)


def test_positions_multi_line_array():
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "*", "Resource": "*"},\n    {"Sid": "b}", "Effect": "Deny", "Action": "iam:x", "Resource": "*"}\n  ]\n}'
    a, b = compile_policy(text).statements
    assert (a.start, a.end) == ((4, 6), (4, 56))
    assert b.start == (5, 6) and b.sid == "b}" and b.index == 1


def test_compile_is_cached_by_text():
    assert compile_policy(ONE_LINE) is compile_policy(ONE_LINE)


def test_compile_rejects_non_json():
    with pytest.raises(ValueError):
        compile_policy("{not json")


def test_compile_rejects_non_object():
    with pytest.raises(ValueError):
        compile_policy("[]")


def test_statement_applies_ignores_principal():
    st = compile_policy(doc({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})).statements[0]
    assert st.applies(request(action="sts:AssumeRole", resource=ROLE))
    assert not st.applies(request(action="sts:TagSession", resource=ROLE))


def test_matched_statements_in_document_order_when_explaining():
    """MatchedStatements follow the policies' order and each document's statement order."""
    text = doc(allow(condition={"Bool": {"aws:SecureTransport": "true"}}), allow(), allow(action="iam:Get*"))
    d = evaluate(request(ctx={"aws:SecureTransport": "true"}), ps([READ, text]), explain=True)
    assert [(s.id, st.index) for s, st in d.matched] == [("id0", 0), ("id1", 0), ("id1", 1), ("id1", 2)]


def test_null_condition_reports_its_absent_key():
    text = doc(allow(condition={"Null": {"aws:TokenIssueTime": "false"}}))
    assert evaluate(request(), ps([text])).missing == ("aws:TokenIssueTime",)
