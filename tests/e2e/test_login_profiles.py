"""Login profiles and ChangePassword over HTTP: the lifecycle, AWS's errors, the password
policy's rules and reuse prevention, hashing at rest, and the DeleteUser conflict.

Every rule here depends on the account password policy, which is account-wide: the
module runs on a server of its own and sets the policy each test needs.
"""

import pytest
from botocore.exceptions import ClientError
from helpers import client_of, db, error
from sqlalchemy import text

STRONG = "Str0ng|Passw0rd-"


@pytest.fixture
def iam(own_server):
    return own_server.client("iam")


@pytest.fixture
def policy(iam):
    """Set the account password policy for one test (no argument: delete it)."""
    def set_policy(**kw):
        if kw:
            iam.update_account_password_policy(**kw)
        else:
            try:
                iam.delete_account_password_policy()
            except ClientError:
                pass
    yield set_policy
    set_policy()


def test_lifecycle(iam, user, policy):
    policy()
    n = user()
    made = iam.create_login_profile(UserName=n, Password=STRONG)["LoginProfile"]
    assert made["UserName"] == n and made["PasswordResetRequired"] is False
    got = iam.get_login_profile(UserName=n)["LoginProfile"]
    assert got == made
    iam.update_login_profile(UserName=n, PasswordResetRequired=True)
    assert iam.get_login_profile(UserName=n)["LoginProfile"]["PasswordResetRequired"] is True
    iam.update_login_profile(UserName=n, Password=STRONG + "x")
    assert iam.get_login_profile(UserName=n)["LoginProfile"]["CreateDate"] == made["CreateDate"]
    iam.delete_login_profile(UserName=n)
    for call in (iam.get_login_profile, iam.delete_login_profile):
        with pytest.raises(ClientError) as e:
            call(UserName=n)
        assert error(e) == ("NoSuchEntity", f"Login Profile for User {n} cannot be found.", 404)
    with pytest.raises(ClientError) as e:
        iam.update_login_profile(UserName=n, Password=STRONG)
    assert error(e) == ("NoSuchEntity", f"Login Profile for User {n} cannot be found.", 404)


def test_create_with_reset_required(iam, user, policy):
    policy()
    n = user()
    made = iam.create_login_profile(UserName=n, Password=STRONG, PasswordResetRequired=True)
    assert made["LoginProfile"]["PasswordResetRequired"] is True


def test_second_profile_already_exists(iam, user, policy):
    policy()
    n = user()
    iam.create_login_profile(UserName=n, Password=STRONG)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=n, Password=STRONG)
    assert error(e) == ("EntityAlreadyExists", f"Login Profile for user {n} already exists.", 409)


def test_unknown_user(iam, name):
    n = name("ghost")
    for call, kw in ((iam.create_login_profile, {"Password": STRONG}), (iam.get_login_profile, {}),
                     (iam.update_login_profile, {"PasswordResetRequired": True}),
                     (iam.delete_login_profile, {})):
        with pytest.raises(ClientError) as e:
            call(UserName=n, **kw)
        assert error(e) == ("NoSuchEntity", f"The user with name {n} cannot be found.", 404)


def test_create_without_password_is_refused(iam, user):
    n = user()
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=n)
    assert error(e)[0] == "ValidationError"
    with pytest.raises(ClientError):
        iam.get_login_profile(UserName=n)


def test_root_must_name_the_user(iam):
    with pytest.raises(ClientError) as e:
        iam.get_login_profile()
    assert error(e)[0] == "ValidationError"


def test_caller_is_the_default_user(own_server, iam, user, policy):
    policy()
    n = user()
    me = client_of(own_server, iam, n, allow=("iam:GetLoginProfile",))
    iam.create_login_profile(UserName=n, Password=STRONG)
    assert me.get_login_profile()["LoginProfile"]["UserName"] == n


@pytest.mark.parametrize("rule,password,message", [
    ({"MinimumPasswordLength": 20}, "Sh0rt|Pass", "Password should have a minimum length of 20"),
    ({"RequireSymbols": True}, "NoSymbols123", "Password should have at least one symbol"),
    ({"RequireNumbers": True}, "No|Numbers", "Password should have at least one number"),
    ({"RequireUppercaseCharacters": True}, "no|upper1", "Password should have at least one uppercase letter"),
    ({"RequireLowercaseCharacters": True}, "NO|LOWER1", "Password should have at least one lowercase letter"),
])
def test_policy_rules_on_create_and_update(iam, user, policy, rule, password, message):
    policy(**rule)
    n = user()
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=n, Password=password)
    assert error(e) == ("PasswordPolicyViolation", message, 400)
    iam.create_login_profile(UserName=n, Password="Aa1|" + "x" * 20)
    with pytest.raises(ClientError) as e:
        iam.update_login_profile(UserName=n, Password=password)
    assert error(e) == ("PasswordPolicyViolation", message, 400)


def test_every_failed_rule_is_named(iam, user, policy):
    policy(MinimumPasswordLength=10, RequireSymbols=True, RequireNumbers=True)
    n = user()
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=n, Password="abc")
    assert error(e)[1] == ("Password should have a minimum length of 10; Password should have at least "
                           "one number; Password should have at least one symbol")


def test_policy_change_does_not_invalidate_existing_passwords(iam, user, policy):
    policy()
    n = user()
    iam.create_login_profile(UserName=n, Password="simple")
    policy(MinimumPasswordLength=30)
    iam.update_login_profile(UserName=n, PasswordResetRequired=True)
    assert iam.get_login_profile(UserName=n)["LoginProfile"]["PasswordResetRequired"] is True


def test_reuse_prevention_on_update(iam, user, policy):
    policy(PasswordReusePrevention=2)
    n = user()
    iam.create_login_profile(UserName=n, Password="first-pass")
    iam.update_login_profile(UserName=n, Password="second-pass")
    for reused in ("first-pass", "second-pass"):
        with pytest.raises(ClientError) as e:
            iam.update_login_profile(UserName=n, Password=reused)
        assert error(e) == ("PasswordPolicyViolation", "Policy constraint violation with password reuse "
                            "prevention during password change.", 400)
    iam.update_login_profile(UserName=n, Password="third-pass")
    iam.update_login_profile(UserName=n, Password="first-pass")  # now three passwords ago


def test_no_reuse_prevention_allows_the_same_password(iam, user, policy):
    policy()
    n = user()
    iam.create_login_profile(UserName=n, Password=STRONG)
    iam.update_login_profile(UserName=n, Password=STRONG)


def test_passwords_are_stored_as_argon2id_hashes(own_server, iam, user, policy):
    policy()
    n = user()
    iam.create_login_profile(UserName=n, Password=STRONG)
    engine = db(own_server)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text(
                "SELECT lp.password_hash FROM login_profiles lp JOIN users u ON u.user_id = lp.user_id "
                "WHERE u.name = :n"), {"n": n}).scalar()
            history = conn.execute(text(
                "SELECT ph.password_hash FROM password_history ph JOIN users u ON u.user_id = ph.user_id "
                "WHERE u.name = :n"), {"n": n}).scalars().all()
    finally:
        engine.dispose()
    assert stored.startswith("$argon2id$") and STRONG not in stored
    assert history == [stored]


def test_delete_user_conflicts_while_a_login_profile_exists(iam, user, policy):
    policy()
    n = user()
    iam.create_login_profile(UserName=n, Password=STRONG)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=n)
    assert error(e) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)
    iam.delete_login_profile(UserName=n)
    iam.delete_user(UserName=n)


# -- ChangePassword ----------------------------------------------------------------------

def test_change_password(own_server, iam, user, policy):
    policy(AllowUsersToChangePassword=True)
    n = user()
    iam.create_login_profile(UserName=n, Password="old-Passw0rd", PasswordResetRequired=True)
    me = client_of(own_server, iam, n)
    me.change_password(OldPassword="old-Passw0rd", NewPassword="new-Passw0rd")
    assert iam.get_login_profile(UserName=n)["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="old-Passw0rd", NewPassword="other-Passw0rd")
    assert error(e) == ("AccessDenied", "The old password was incorrect.", 403)
    me.change_password(OldPassword="new-Passw0rd", NewPassword="third-Passw0rd")


def test_change_password_needs_the_policy_to_allow_it(own_server, iam, user, policy):
    policy()
    n = user()
    iam.create_login_profile(UserName=n, Password=STRONG)
    me = client_of(own_server, iam, n)
    for set_up in ({}, {"AllowUsersToChangePassword": False, "MinimumPasswordLength": 8}):
        policy(**set_up)
        with pytest.raises(ClientError) as e:
            me.change_password(OldPassword=STRONG, NewPassword=STRONG + "2")
        assert error(e) == ("AccessDenied", f"User: arn:aws:iam::{own_server.account_id}:user/{n} is not authorized "
                            f"to perform: iam:ChangePassword on resource: user {n} because no identity-based "
                            "policy allows the iam:ChangePassword action", 403)


def test_change_password_by_root_is_invalid_user_type(iam, policy):
    policy(AllowUsersToChangePassword=True)
    with pytest.raises(ClientError) as e:
        iam.change_password(OldPassword=STRONG, NewPassword=STRONG + "2")
    assert error(e) == ("InvalidUserType", "Only IAM Users can change their own password.", 400)


def test_change_password_without_login_profile(own_server, iam, user, policy):
    policy(AllowUsersToChangePassword=True)
    n = user()
    me = client_of(own_server, iam, n)
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword=STRONG, NewPassword=STRONG + "2")
    assert error(e) == ("NoSuchEntity", f"Login Profile for User {n} cannot be found.", 404)


def test_change_password_checks_policy_and_reuse(own_server, iam, user, policy):
    policy(AllowUsersToChangePassword=True, MinimumPasswordLength=10, RequireNumbers=True,
           PasswordReusePrevention=3)
    n = user()
    iam.create_login_profile(UserName=n, Password="passw0rd-one")
    me = client_of(own_server, iam, n)
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="passw0rd-one", NewPassword="short1")
    assert error(e) == ("PasswordPolicyViolation", "Password should have a minimum length of 10", 400)
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="passw0rd-one", NewPassword="passw0rd-one")
    assert error(e)[0] == "PasswordPolicyViolation"
    me.change_password(OldPassword="passw0rd-one", NewPassword="passw0rd-two")
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="passw0rd-two", NewPassword="passw0rd-one")
    assert error(e) == ("PasswordPolicyViolation", "Policy constraint violation with password reuse "
                        "prevention during password change.", 400)
