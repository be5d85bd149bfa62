"""who-can / explain / privilege escalation over crafted authorization-details documents
whose answers are known (cli/account/access.py, escalation.py)."""

import json
from urllib.parse import quote

import pytest
import yaml
from authz_docs import allow, arn, deny, details, group, managed, pol, role, trusting, user
from click.testing import CliRunner

from iamd.cli.account import access, escalation
from iamd.cli.main import cli

ADMIN = managed("admin", pol(allow("*")))
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def who(doc, action, resource="*", **kw) -> dict:
    acct = access.Account(doc)
    return {a.principal.label: a for a in access.who_can(acct, action, resource, **kw)}


def findings(doc) -> set:
    return {(f.user, f.check) for f in escalation.find(access.Account(doc))}


# -- who-can ---------------------------------------------------------------------------------

def test_who_can_counts_inline_attached_group_and_role_policies():
    doc = details(
        users=[user("inline", inline=[pol(allow("s3:GetObject"))]),
               user("attached", attached=[ADMIN["Arn"]]),
               user("member", groups=["readers"]),
               user("nobody", inline=[pol(allow("s3:PutObject"))])],
        groups=[group("readers", inline=[pol(allow("s3:Get*"))])],
        roles=[role("app", trusting(Service="ec2.amazonaws.com"), inline=[pol(allow("s3:*"))])],
        policies=[ADMIN])
    acct = access.Account(doc)
    found = {a.principal.label: a for a in access.who_can(acct, "s3:GetObject", "arn:aws:s3:::bucket/key")}
    assert set(found) == {"inline", "attached", "member", "role/app"}
    assert all(a.status == "allowed" for a in found.values())
    refs = [access.statement_ref(acct, *m) for m in found["member"].decision.matched]
    assert [(r["kind"], r["via"], r["policy"]) for r in refs] == [("inline", "group readers", "readers-0")]


def test_who_can_respects_resources_denies_and_boundaries():
    doc = details(
        users=[user("scoped", inline=[pol(allow("s3:GetObject", "arn:aws:s3:::other/*"))]),
               user("denied", attached=[ADMIN["Arn"]], inline=[pol(deny("s3:*"))]),
               user("bounded", attached=[ADMIN["Arn"]], boundary=arn("policy", "ec2only")),
               user("free", attached=[ADMIN["Arn"]])],
        policies=[ADMIN, managed("ec2only", pol(allow("ec2:*")))])
    assert set(who(doc, "s3:GetObject", "arn:aws:s3:::bucket/key")) == {"free"}
    acct = access.Account(doc)
    bounded = access.decide(acct, acct.find("bounded"), "s3:GetObject", "arn:aws:s3:::bucket/key")
    assert bounded.decision.decision == "implicitDeny" and bounded.decision.denied_by == "boundary"
    cut = access.answer_dict(acct, bounded)["allowed_without_boundary"]
    assert [(s["kind"], s["policy_arn"]) for s in cut] == [("managed", ADMIN["Arn"])]
    denied = access.decide(acct, acct.find("denied"), "s3:GetObject", "*")
    assert denied.status == "explicitDeny"


def test_absent_context_makes_a_decision_conditional_with_its_keys():
    doc = details(users=[
        user("mfa", inline=[pol(allow("iam:DeleteUser", Condition=MFA))]),
        user("both", inline=[pol(allow("iam:DeleteUser")), pol(allow("iam:DeleteUser", Condition=MFA))]),
        user("guarded", inline=[pol(allow("iam:DeleteUser"),
                                    deny("iam:DeleteUser", Condition={"BoolIfExists": {
                                        "aws:MultiFactorAuthPresent": "false"}}))]),
        user("tagged", tags=[("team", "ops")], inline=[pol(allow("iam:DeleteUser", Condition={
            "StringEquals": {"aws:PrincipalTag/team": "ops"}}))])])
    found = who(doc, "iam:DeleteUser", arn("user", "x"))
    assert found["mfa"].status == "conditional" and found["mfa"].conditional_keys == ("aws:MultiFactorAuthPresent",)
    acct = access.Account(doc)
    hanging = access.answer_dict(acct, access.decide(acct, acct.find("mfa"), "iam:DeleteUser"))["conditional_statements"]
    assert [(s["policy"], s["effect"], s["absent_keys"]) for s in hanging] == [
        ("mfa-0", "Allow", ["aws:MultiFactorAuthPresent"])]
    with_mfa = access.decide(acct, acct.find("mfa"), "iam:DeleteUser", context={"aws:multifactorauthpresent": "true"})
    assert with_mfa.status == "allowed"
    # another Allow applies whatever the context: not conditional
    assert found["both"].status == "allowed"
    # a Deny that applies only while the key is absent
    assert found["guarded"].status == "conditional" and found["guarded"].decision.decision == "explicitDeny"
    # principal tags come from the document: known, so not conditional
    assert found["tagged"].status == "allowed"
    assert set(who(doc, "iam:DeleteUser", arn("user", "x"), include_conditional=False)) == {"both", "tagged"}


def test_policy_variables_use_the_principal_name():
    doc = details(users=[user(n, inline=[pol(allow("iam:CreateAccessKey", arn("user", "${aws:username}")))])
                         for n in ("alice", "bob")])
    assert set(who(doc, "iam:CreateAccessKey", arn("user", "alice"))) == {"alice"}


def test_assume_role_is_judged_with_the_trust_policy():
    doc = details(
        users=[user("named"), user("identity", inline=[pol(allow("sts:AssumeRole"))]),
               user("outsider", inline=[pol(allow("sts:AssumeRole"))])],
        roles=[role("target", pol({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": [
            arn("user", "named"), f"arn:aws:iam::{arn('user', 'x').split(':')[4]}:root"]}}),
                    attached=[]),
               role("closed", trusting(Service="ec2.amazonaws.com"))])
    found = who(doc, "sts:AssumeRole", arn("role", "target"))
    # named directly: the trust policy allows alone; the account: identity must allow too
    assert set(found) == {"named", "identity", "outsider"}
    assert set(who(doc, "sts:AssumeRole", arn("role", "closed"))) == set()
    acct = access.Account(doc)
    plain = access.decide(acct, acct.find("named"), "sts:AssumeRole", arn("role", "target"))
    assert plain.allowed and plain.via_trust


def test_a_trust_naming_the_user_makes_identity_conditions_irrelevant():
    doc = details(users=[user("named", inline=[pol(allow("sts:AssumeRole", Condition=MFA))]),
                         user("account", inline=[pol(allow("sts:AssumeRole", Condition=MFA))])],
                  roles=[role("target", pol({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": [
                      arn("user", "named"), f"arn:aws:iam::{arn('user', 'x').split(':')[4]}:root"]}}))])
    found = who(doc, "sts:AssumeRole", arn("role", "target"))
    assert found["named"].status == "allowed"          # the trust alone lets it in
    assert found["account"].status == "conditional"    # the account: its identity Allow needs MFA


def test_explain_lists_deciding_statements_with_their_text():
    doc = details(users=[user("carol", groups=["g"], inline=[pol(deny("iam:DeleteRole", Sid="NoDelete"))])],
                  groups=[group("g", attached=[ADMIN["Arn"]])], policies=[ADMIN])
    acct = access.Account(doc)
    a = access.decide(acct, acct.find("carol"), "iam:DeleteRole", arn("role", "r"), explain=True)
    data = access.answer_dict(acct, a, with_text=True)
    assert data["decision"] == "explicitDeny" and data["denied_by"] == "identity"
    assert [(s["effect"], s["sid"], s["kind"]) for s in data["statements"]] == [("Deny", "NoDelete", "inline")]
    assert data["statements"][0]["text"]["Action"] == "iam:DeleteRole"
    ok = access.answer_dict(acct, access.decide(acct, acct.find("carol"), "iam:GetRole", arn("role", "r")))
    assert ok["decision"] == "allowed"
    assert ok["statements"][0]["via"] == "group g" and ok["statements"][0]["policy_arn"] == ADMIN["Arn"]


def test_a_missing_managed_policy_is_a_warning_not_a_crash():
    acct = access.Account(details(users=[user("u", attached=[arn("policy", "gone")])]))
    assert acct.warnings and "gone" in acct.warnings[0]
    assert not access.decide(acct, acct.find("u"), "s3:GetObject").possible


# -- privilege escalation ---------------------------------------------------------------------

@pytest.mark.parametrize("check, grant", [
    ("privesc-self-policy", allow("iam:PutUserPolicy", arn("user", "${aws:username}"))),
    ("privesc-self-policy", allow("iam:AttachUserPolicy", arn("user", "eve"))),
    ("privesc-group-policy", allow("iam:PutGroupPolicy", arn("group", "staff"))),
    ("privesc-policy-version", allow("iam:CreatePolicyVersion", arn("policy", "base"))),
    ("privesc-add-to-group", allow("iam:AddUserToGroup", arn("group", "admins"))),
])
def test_self_escalations(check, grant):
    base = managed("base", pol(allow("s3:ListBucket")))
    doc = details(users=[user("eve", groups=["staff"], attached=[base["Arn"]], inline=[pol(grant)])],
                  groups=[group("staff"), group("admins", attached=[ADMIN["Arn"]])], policies=[ADMIN, base])
    assert (("eve", check) in findings(doc))
    f = next(f for f in escalation.find(access.Account(doc)) if f.check == check)
    assert f.path and f.path[0]["principal"] == arn("user", "eve") and f.severity == "high"


def test_attach_limited_by_policy_arn_condition_is_not_escalation():
    grant = allow("iam:AttachUserPolicy", arn("user", "eve"),
                  Condition={"ArnEquals": {"iam:PolicyARN": arn("policy", "readonly")}})
    assert findings(details(users=[user("eve", inline=[pol(grant)])])) == set()


def test_default_version_only_when_another_version_grants_more():
    wide = managed("p", pol(allow("s3:ListBucket")), pol(allow("*")))
    narrow = managed("p", pol(allow("s3:ListBucket")), pol(allow("s3:ListBucket")))
    grant = pol(allow("iam:SetDefaultPolicyVersion", arn("policy", "p")))
    for policy, expected in ((wide, {("eve", "privesc-default-version")}), (narrow, set())):
        doc = details(users=[user("eve", attached=[policy["Arn"]], inline=[grant])], policies=[policy])
        assert findings(doc) == expected


def test_boundary_removal():
    doc = details(users=[user("eve", attached=[ADMIN["Arn"]], boundary=arn("policy", "fence"),
                              inline=[pol(allow("iam:DeleteUserPermissionsBoundary", arn("user", "eve")))])],
                  policies=[ADMIN, managed("fence", pol(allow(["s3:*", "iam:DeleteUserPermissionsBoundary"])))])
    assert findings(doc) == {("eve", "privesc-boundary")}


def test_takeovers_only_of_more_powerful_principals():
    doc = details(users=[user("boss", attached=[ADMIN["Arn"]]),
                         user("peer", inline=[pol(allow("s3:GetObject"))]),
                         user("keys", inline=[pol(allow("iam:CreateAccessKey", arn("user", "*")),
                                                  allow("s3:GetObject"))]),
                         user("console", inline=[pol(allow("iam:CreateLoginProfile", arn("user", "boss")))])],
                  policies=[ADMIN])
    got = findings(doc)
    assert ("keys", "privesc-access-key") in got and ("console", "privesc-login-profile") in got
    (keys,) = [f for f in escalation.find(access.Account(doc)) if f.user == "keys"]
    assert "user/boss" in keys.detail and keys.also == (arn("user", "console"),)   # peer: nothing to gain
    assert not any(u == "boss" for u, _ in got)   # administrators have nothing to gain


def test_pass_role_needs_a_role_trusting_the_service_and_the_launch_action():
    ec2 = role("ec2admin", trusting(Service="ec2.amazonaws.com"), attached=[ADMIN["Arn"]])
    lam = role("lambdaadmin", trusting(Service="lambda.amazonaws.com"), attached=[ADMIN["Arn"]])
    doc = details(users=[user("runner", inline=[pol(allow(["iam:PassRole", "ec2:RunInstances"]))]),
                         user("passer", inline=[pol(allow("iam:PassRole"))]),
                         user("scoped", inline=[pol(allow("iam:PassRole", "*", Condition={"StringEquals": {
                             "iam:PassedToService": "lambda.amazonaws.com"}}), allow("ec2:RunInstances"))])],
                  roles=[ec2, lam], policies=[ADMIN])
    assert findings(doc) == {("runner", "privesc-pass-role")}
    f = next(iter(escalation.find(access.Account(doc))))
    assert "ec2admin" in f.detail and "ec2.amazonaws.com" in f.detail


def test_code_already_running_as_a_role():
    doc = details(users=[user("coder", inline=[pol(allow(["lambda:UpdateFunctionCode", "lambda:InvokeFunction"]))]),
                         user("updater", inline=[pol(allow("lambda:UpdateFunctionCode"))])],
                  roles=[role("fnadmin", trusting(Service="lambda.amazonaws.com"), attached=[ADMIN["Arn"]]),
                         role("fnweak", trusting(Service="lambda.amazonaws.com"))],
                  policies=[ADMIN])
    (f,) = escalation.find(access.Account(doc))
    assert (f.user, f.check, f.severity) == ("coder", "privesc-existing-code", "medium")
    assert f.path[-1]["becomes"] == arn("role", "fnadmin") and not f.also


def test_trust_policy_rewrite_and_paths_through_assumed_roles():
    doc = details(users=[user("dev", inline=[pol(allow("sts:AssumeRole", arn("role", "deploy")))])],
                  roles=[role("deploy", trusting(AWS=arn("user", "dev")),
                              inline=[pol(allow("iam:UpdateAssumeRolePolicy", arn("role", "root-ish")))]),
                         role("root-ish", trusting(Service="ec2.amazonaws.com"), attached=[ADMIN["Arn"]])],
                  policies=[ADMIN])
    found = escalation.find(access.Account(doc))
    by_user = {(f.user, f.check): f for f in found}
    assert set(by_user) == {("dev", "privesc-trust-policy"), ("role/deploy", "privesc-trust-policy")}
    path = by_user[("dev", "privesc-trust-policy")].path
    assert [s["step"] for s in path] == ["assume-role", "privesc-trust-policy"]


def test_conditional_escalation_is_reported_as_such():
    doc = details(users=[user("eve", inline=[pol(allow("iam:PutUserPolicy", arn("user", "eve"), Condition=MFA))])])
    (f,) = escalation.find(access.Account(doc))
    assert f.check == "privesc-self-policy" and f.severity == "medium"
    assert f.conditional_on == ("aws:MultiFactorAuthPresent",)
    assert f.as_dict()["conditional_on"] == ["aws:MultiFactorAuthPresent"]


def test_no_findings_for_a_least_privilege_account():
    doc = details(users=[user("reader", inline=[pol(allow(["iam:Get*", "iam:List*"]))])],
                  roles=[role("app", trusting(Service="ec2.amazonaws.com"), inline=[pol(allow("s3:GetObject"))])])
    assert findings(doc) == set()


def test_documents_as_text_url_encoded_or_unreadable():
    text = json.dumps(pol(allow("s3:GetObject")), indent=2)
    doc = details(users=[user("raw", inline=[text]), user("encoded", inline=[quote(text)]),
                         user("broken", inline=["{not json"])])
    acct = access.Account(doc)
    assert {a.principal.name for a in access.who_can(acct, "s3:GetObject")} == {"raw", "encoded"}
    assert any("broken" in w for w in acct.warnings)
    # text kept as written: positions in explain are the author's
    (src, st), = access.decide(acct, acct.find("raw"), "s3:GetObject").decision.matched
    assert st.start[0] == 4


# -- the commands, offline (--details) --------------------------------------------------------

def run_cli(*args):
    return CliRunner().invoke(cli, ["account", *args])


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "details.json"
    path.write_text(json.dumps(details(
        users=[user("mfa", inline=[pol(allow("iam:GetUser", Condition=MFA))]), user("boss", attached=[ADMIN["Arn"]])],
        policies=[ADMIN])))
    return str(path)


def test_who_can_formats(saved):
    result = run_cli("who-can", "iam:GetUser", "--details", saved, "-o", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "principal,type,decision,conditional_on,statements,conditional_statements"
    assert lines[1].startswith(f"{arn('user', 'mfa')},user,conditional,aws:MultiFactorAuthPresent,,inline mfa-0")
    assert lines[2] == f"{arn('user', 'boss')},user,allowed,,managed admin (user boss) #0,"
    rows = yaml.safe_load(run_cli("who-can", "iam:GetUser", "--details", saved, "-o", "yaml").stdout)
    assert [r["decision"] for r in rows] == ["conditional", "allowed"]
    nobody = run_cli("who-can", "sqs:SendMessage", "--resource", "arn:aws:sqs:us-east-1:1:q", "--details", saved,
                     "--definite")
    assert "Nobody may perform sqs:SendMessage" not in nobody.stdout   # boss may
    assert "boss" in nobody.stdout and "mfa" not in nobody.stdout


def test_command_errors_are_one_line(saved, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    for args, code in ((("who-can", "GetUser", "--details", saved), "InvalidParameterValue"),
                       (("who-can", "iam:GetUser", "--details", str(bad)), "InvalidParameterValue"),
                       (("explain", "ghost", "iam:GetUser", "--details", saved), "NoSuchEntity"),
                       (("explain", "mfa", "iam:GetUser", "--context", "novalue", "--details", saved),
                        "InvalidParameterValue")):
        result = run_cli(*args)
        assert result.exit_code == 1 and result.stderr.startswith(f"error: {code}: "), result.output
        assert len(result.stderr.splitlines()) == 1
