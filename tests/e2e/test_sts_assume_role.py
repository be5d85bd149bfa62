"""AssumeRole as AWS allows and refuses it (reference §7.2, §6.9), and what the session then is."""

import secrets
import time

import pyotp
import pytest
from botocore.exceptions import ClientError

from helpers import client_of, code_status, enable_mfa, error
from sts_helpers import allow, make_role, session_client, trust_of, user_with_sts


def test_a_user_named_by_the_trust_policy_assumes_the_role(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"), "iam:GetUser")
    iam.delete_user_policy(UserName=user_arn.rsplit("/", 1)[1], PolicyName="granted")  # trust alone suffices
    role = name("r")
    role_arn = make_role(iam, role, trust_of(user_arn), "iam:ListRoles", "sts:GetAccessKeyInfo")
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="sess@1")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and creds["SessionToken"]
    assert 3500 < (creds["Expiration"].timestamp() - time.time()) <= 3600
    role_id = iam.get_role(RoleName=role)["Role"]["RoleId"]
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role_id}:sess@1",
                                      "Arn": f"arn:aws:sts::{server.account_id}:assumed-role/{role}/sess@1"}
    assert "PackedPolicySize" not in out and "SourceIdentity" not in out
    me = session_client(server, creds, "sts").get_caller_identity()
    assert (me["Arn"], me["UserId"], me["Account"]) == (out["AssumedRoleUser"]["Arn"], f"{role_id}:sess@1",
                                                        server.account_id)
    assert session_client(server, creds, "sts").get_access_key_info(
        AccessKeyId=creds["AccessKeyId"])["Account"] == server.account_id
    # the session acts with the role's policies
    session_client(server, creds).list_roles()
    with pytest.raises(ClientError) as e:
        session_client(server, creds).list_users()
    assert error(e) == ("AccessDenied", f"User: {out['AssumedRoleUser']['Arn']} is not authorized to perform: "
                        "iam:ListUsers on resource: arn:aws:iam::" + server.account_id +
                        ":user/ because no identity-based policy allows the iam:ListUsers action", 403)
    used = iam.get_role(RoleName=role)["Role"]["RoleLastUsed"]
    assert used["Region"] == "us-east-1" and abs(used["LastUsedDate"].timestamp() - time.time()) < 60


def test_a_trust_policy_naming_the_account_needs_the_callers_permission(server, iam, name):
    user = name("u")
    iam.create_user(UserName=user)
    sts = client_of(server, iam, user, "sts", allow=("iam:GetUser",))
    role_arn = make_role(iam, name("r"), trust_of(f"arn:aws:iam::{server.account_id}:root"))
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    user_arn = f"arn:aws:iam::{server.account_id}:user/{user}"
    assert error(e) == ("AccessDenied", f"User: {user_arn} is not authorized to perform: sts:AssumeRole "
                                        f"on resource: {role_arn}", 403)
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=allow("sts:AssumeRole", resource=role_arn))
    assert sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]["AccessKeyId"]


def test_a_missing_role_looks_like_a_refused_one(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    missing = f"arn:aws:iam::{server.account_id}:role/{name('nope')}"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=missing, RoleSessionName="s1")
    assert error(e) == ("AccessDenied", f"User: {user_arn} is not authorized to perform: sts:AssumeRole "
                                        f"on resource: {missing}", 403)
    # the role exists under another path: the ARN names no role
    role = name("r")
    iam.create_role(RoleName=role, Path="/a/", AssumeRolePolicyDocument=trust_of(user_arn))
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=f"arn:aws:iam::{server.account_id}:role/{role}", RoleSessionName="s1")
    assert sts.assume_role(RoleArn=f"arn:aws:iam::{server.account_id}:role/a/{role}",
                           RoleSessionName="s1")["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{role}/s1")


def test_root_may_not_assume_roles(server, iam, sts, name):
    role_arn = make_role(iam, name("r"), trust_of(f"arn:aws:iam::{server.account_id}:root"))
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error(e) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)


def test_duration_limits(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role = name("r")
    role_arn = make_role(iam, role, trust_of(user_arn), "sts:AssumeRole", MaxSessionDuration=7200)
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", DurationSeconds=7200)
    assert 7100 < out["Credentials"]["Expiration"].timestamp() - time.time() <= 7200
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", DurationSeconds=7201)
    assert error(e) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set "
                                           "for this role.", 400)
    raw = client_of(server, iam, user_arn.rsplit("/", 1)[1], "sts", validate=False)
    with pytest.raises(ClientError) as e:
        raw.assume_role(RoleArn=role_arn, RoleSessionName="s0", DurationSeconds=899)
    assert code_status(e) == ("ValidationError", 400)
    # a role session assuming a role (here itself, as its trust allows the role) is held to an hour
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust_of(user_arn, role_arn))
    chained = session_client(server, out["Credentials"], "sts")
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=role_arn, RoleSessionName="s2", DurationSeconds=3601)
    assert error(e) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                                           "for roles assumed by role chaining.", 400)
    again = chained.assume_role(RoleArn=role_arn, RoleSessionName="s2", DurationSeconds=3600)
    assert again["AssumedRoleUser"]["Arn"].endswith(f"/{role}/s2")


def test_role_session_name_rules(server, iam, name):
    user_arn, _ = user_with_sts(server, iam, name("u"))
    raw = client_of(server, iam, user_arn.rsplit("/", 1)[1], "sts", validate=False)
    role_arn = make_role(iam, name("r"), trust_of(user_arn))
    for bad in ("a", "x" * 65, "has space", "semi;colon"):
        with pytest.raises(ClientError) as e:
            raw.assume_role(RoleArn=role_arn, RoleSessionName=bad)
        assert code_status(e) == ("ValidationError", 400), bad
    assert raw.assume_role(RoleArn=role_arn, RoleSessionName="a_b=c,d.e@f-g+h")["Credentials"]


def test_external_id_is_matched_by_the_trust_policy(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role_arn = make_role(iam, name("r"), trust_of(user_arn, condition={"StringEquals": {"sts:ExternalId": "ext-42"}}))
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0")
    assert code_status(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", ExternalId="ext-43")
    assert sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", ExternalId="ext-42")["Credentials"]


def test_session_policies_cut_the_roles_rights(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role_arn = make_role(iam, name("r"), trust_of(user_arn), "iam:ListRoles", "iam:ListUsers")
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", Policy=allow("iam:ListRoles", "iam:ListGroups"))
    assert 0 < out["PackedPolicySize"] <= 100
    client = session_client(server, out["Credentials"])
    client.list_roles()
    with pytest.raises(ClientError) as e:  # the role may, the session policy does not
        client.list_users()
    assert error(e)[1].endswith("because no session policy allows the iam:ListUsers action")
    with pytest.raises(ClientError) as e:  # the session policy may, the role does not
        client.list_groups()
    assert error(e)[1].endswith("because no identity-based policy allows the iam:ListGroups action")
    managed = iam.create_policy(PolicyName=name("p"), PolicyDocument=allow("iam:ListUsers"))["Policy"]["Arn"]
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", PolicyArns=[{"arn": managed}])
    client = session_client(server, out["Credentials"])
    client.list_users()
    with pytest.raises(ClientError):
        client.list_roles()


def test_bad_session_policies(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role_arn = make_role(iam, name("r"), trust_of(user_arn, extra=("sts:TagSession",)))
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", Policy='{"Version": "2012-10-17"')
    assert code_status(e) == ("MalformedPolicyDocument", 400)
    too_many = [{"Key": secrets.token_hex(64), "Value": secrets.token_hex(128)} for _ in range(50)]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", Tags=too_many)
    assert code_status(e) == ("PackedPolicyTooLarge", 400)
    assert "% of allotted space" in error(e)[1]


def test_session_tags_need_tag_session_and_become_principal_tags(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role = name("r")
    role_arn = make_role(iam, role, trust_of(user_arn), Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_role_policy(RoleName=role, PolicyName="tagged", PolicyDocument=allow(
        "iam:ListRoles", condition={"StringEquals": {"aws:PrincipalTag/team": "red"}}))
    tags = [{"Key": "team", "Value": "red"}]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", Tags=tags)
    assert error(e) == ("AccessDenied", f"User: {user_arn} is not authorized to perform: sts:TagSession "
                                        f"on resource: {role_arn}", 403)
    plain = session_client(server, sts.assume_role(RoleArn=role_arn, RoleSessionName="s0")["Credentials"])
    with pytest.raises(ClientError):
        plain.list_roles()  # the role's own tag says blue
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust_of(user_arn, extra=("sts:TagSession",)))
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", Tags=tags)
    assert out["PackedPolicySize"] > 0
    session_client(server, out["Credentials"]).list_roles()  # the session tag wins over the role's


def test_transitive_tags_follow_a_chain_and_cannot_be_overridden(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    second = name("r2")
    second_arn = f"arn:aws:iam::{server.account_id}:role/{second}"
    first_arn = make_role(iam, name("r1"), trust_of(user_arn, extra=("sts:TagSession",)), "sts:AssumeRole")
    make_role(iam, second, trust_of(first_arn, extra=("sts:TagSession",)))
    iam.put_role_policy(RoleName=second, PolicyName="tagged", PolicyDocument=allow(
        "iam:ListRoles", condition={"StringEquals": {"aws:PrincipalTag/project": "apollo"}}))
    out = sts.assume_role(RoleArn=first_arn, RoleSessionName="s0",
                          Tags=[{"Key": "project", "Value": "apollo"}, {"Key": "other", "Value": "x"}],
                          TransitiveTagKeys=["project"])
    first = session_client(server, out["Credentials"], "sts")
    chained = first.assume_role(RoleArn=second_arn, RoleSessionName="s2")
    session_client(server, chained["Credentials"]).list_roles()
    with pytest.raises(ClientError) as e:
        first.assume_role(RoleArn=second_arn, RoleSessionName="s2", Tags=[{"Key": "Project", "Value": "zeus"}])
    assert code_status(e) == ("InvalidParameterValue", 400)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=first_arn, RoleSessionName="s0", Tags=[{"Key": "a", "Value": "1"}],
                        TransitiveTagKeys=["b"])
    assert code_status(e) == ("InvalidParameterValue", 400)


def test_source_identity_is_set_once_and_kept_along_the_chain(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    second = name("r2")
    second_arn = f"arn:aws:iam::{server.account_id}:role/{second}"
    first_arn = make_role(iam, name("r1"), trust_of(user_arn), "sts:AssumeRole")
    make_role(iam, second, trust_of(first_arn, extra=("sts:SetSourceIdentity",)))
    iam.put_role_policy(RoleName=second, PolicyName="si", PolicyDocument=allow(
        "iam:ListRoles", condition={"StringEquals": {"aws:SourceIdentity": "alice"}}))
    with pytest.raises(ClientError) as e:  # the first role's trust lacks sts:SetSourceIdentity
        sts.assume_role(RoleArn=first_arn, RoleSessionName="s0", SourceIdentity="alice")
    assert "sts:SetSourceIdentity" in error(e)[1]
    iam.update_assume_role_policy(RoleName=first_arn.rsplit("/", 1)[1],
                                  PolicyDocument=trust_of(user_arn, extra=("sts:SetSourceIdentity",)))
    out = sts.assume_role(RoleArn=first_arn, RoleSessionName="s0", SourceIdentity="alice")
    assert out["SourceIdentity"] == "alice"
    first = session_client(server, out["Credentials"], "sts")
    chained = first.assume_role(RoleArn=second_arn, RoleSessionName="s2")
    assert chained["SourceIdentity"] == "alice"
    session_client(server, chained["Credentials"]).list_roles()
    with pytest.raises(ClientError) as e:
        first.assume_role(RoleArn=second_arn, RoleSessionName="s2", SourceIdentity="mallory")
    assert code_status(e)[1] == 400


def test_mfa_codes_are_checked_against_the_device(server, iam, name):
    user = name("u")
    user_arn, sts = user_with_sts(server, iam, user)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("d"))["VirtualMFADevice"]
    enable_mfa(iam, user, device, offset=-30)
    role = name("r")
    role_arn = make_role(iam, role, trust_of(user_arn, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    iam.put_role_policy(RoleName=role, PolicyName="mfa", PolicyDocument=allow(
        "iam:ListRoles", condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}))
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0")
    assert code_status(e) == ("AccessDenied", 403)
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    wrong = f"{(int(totp.now()) + 1) % 1000000:06d}"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", SerialNumber=device["SerialNumber"], TokenCode=wrong)
    assert code_status(e) == ("AccessDenied", 403)
    code = totp.now()
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", SerialNumber=device["SerialNumber"], TokenCode=code)
    session_client(server, out["Credentials"]).list_roles()
    with pytest.raises(ClientError) as e:  # a code is accepted once
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s0", SerialNumber=device["SerialNumber"], TokenCode=code)
    assert code_status(e) == ("AccessDenied", 403)


def test_a_role_session_of_a_deleted_role_can_do_nothing(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role = name("r")
    role_arn = make_role(iam, role, trust_of(user_arn), "iam:ListRoles")
    client = session_client(server, sts.assume_role(RoleArn=role_arn, RoleSessionName="s0")["Credentials"])
    client.list_roles()
    iam.delete_role_policy(RoleName=role, PolicyName="can")
    iam.delete_role(RoleName=role)
    with pytest.raises(ClientError) as e:
        client.list_roles()
    assert code_status(e) == ("AccessDenied", 403)


def test_role_sessions_cannot_get_session_or_federation_tokens(server, iam, name):
    user_arn, sts = user_with_sts(server, iam, name("u"))
    role_arn = make_role(iam, name("r"), trust_of(user_arn), "sts:*")
    session = session_client(server, sts.assume_role(RoleArn=role_arn, RoleSessionName="s0")["Credentials"], "sts")
    for call in (lambda: session.get_session_token(), lambda: session.get_federation_token(Name="fed")):
        with pytest.raises(ClientError) as e:
            call()
        assert code_status(e) == ("AccessDenied", 403)
    assert ":assumed-role/" in session.get_caller_identity()["Arn"]


def test_assume_root_outside_an_organization_is_refused(server, sts):
    target = "210987654321"
    with pytest.raises(ClientError) as e:
        sts.assume_root(TargetPrincipal=target,
                        TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"})
    assert code_status(e) == ("AccessDenied", 403)
    assert f"sts:AssumeRoot on resource: arn:aws:iam::{target}:root" in error(e)[1]
