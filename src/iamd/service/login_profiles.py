"""Login profiles (console passwords) and ChangePassword.

Passwords are checked against the account password policy, stored only as argon2id
hashes, and remembered in the user's password history for PasswordReusePrevention. An
administrator sets any user's password with Create/UpdateLoginProfile; a user changes
its own with ChangePassword, which the account policy must allow.
"""

from ..protocol.errors import AWSError, already_exists, no_such_entity, validation_error
from ..protocol.validate import validation_message
from ..store.login import LoginProfileRepo
from .dependents import blocks_delete
from .password_policy import current_policy
from .passwords import HISTORY_KEPT, hash_password, reused, verify_password, violations
from .registry import operation
from .users import require_user, target_user

REUSE_MESSAGE = "Policy constraint violation with password reuse prevention during password change."


def _require_profile(ctx, user):
    row = LoginProfileRepo(ctx.tx, ctx.account_id).get(user.user_id)
    if row is None:
        raise no_such_entity(f"Login Profile for User {user.name} cannot be found.")
    return row


def _check_new_password(ctx, user_id: str, password: str, check_reuse: bool) -> None:
    policy = current_policy(ctx)
    failed = violations(policy, password)
    if failed:
        raise AWSError("PasswordPolicyViolation", "; ".join(failed))
    if check_reuse and policy is not None and policy.reuse_prevention:
        recent = LoginProfileRepo(ctx.tx, ctx.account_id).recent_hashes(user_id, policy.reuse_prevention)
        if reused(recent, password):
            raise AWSError("PasswordPolicyViolation", REUSE_MESSAGE)


def _new_hash(ctx, user_id: str, password: str) -> str:
    password_hash = hash_password(password)
    LoginProfileRepo(ctx.tx, ctx.account_id).remember(user_id, ctx.now, password_hash, HISTORY_KEPT)
    return password_hash


def _profile_shape(user, row) -> dict:
    return {"LoginProfile": {"UserName": user.name, "CreateDate": row.created_at,
                             "PasswordResetRequired": bool(row.reset_required)}}


@operation("CreateLoginProfile")
def create_login_profile(ctx, p):
    user = target_user(ctx, p, lock=True)
    if "Password" not in p:
        # Only AssumeRoot sessions may leave it out, and iamd issues none.
        raise validation_error(validation_message(
            ["Value null at 'password' failed to satisfy constraint: Member must not be null"]))
    repo = LoginProfileRepo(ctx.tx, ctx.account_id)
    if repo.exists(user.user_id):
        raise already_exists(f"Login Profile for user {user.name} already exists.")
    _check_new_password(ctx, user.user_id, p["Password"], check_reuse=False)
    reset = bool(p.get("PasswordResetRequired", False))
    if not repo.create(user.user_id, _new_hash(ctx, user.user_id, p["Password"]), ctx.now, reset):
        raise already_exists(f"Login Profile for user {user.name} already exists.")
    return _profile_shape(user, repo.get(user.user_id))


@operation("GetLoginProfile")
def get_login_profile(ctx, p):
    user = target_user(ctx, p)
    return _profile_shape(user, _require_profile(ctx, user))


@operation("UpdateLoginProfile")
def update_login_profile(ctx, p):
    user = target_user(ctx, p, lock=True)
    _require_profile(ctx, user)
    values = {}
    if "Password" in p:
        _check_new_password(ctx, user.user_id, p["Password"], check_reuse=True)
        values.update(password_hash=_new_hash(ctx, user.user_id, p["Password"]),
                      password_changed_at=ctx.now)
    if "PasswordResetRequired" in p:
        values["reset_required"] = p["PasswordResetRequired"]
    if values:
        LoginProfileRepo(ctx.tx, ctx.account_id).update(user.user_id, **values)


@operation("DeleteLoginProfile")
def delete_login_profile(ctx, p):
    user = target_user(ctx, p, lock=True)
    if not LoginProfileRepo(ctx.tx, ctx.account_id).delete(user.user_id):
        raise no_such_entity(f"Login Profile for User {user.name} cannot be found.")


@operation("ChangePassword")
def change_password(ctx, p):
    if ctx.caller.kind != "user":
        raise AWSError("InvalidUserType", "Only IAM Users can change their own password.")
    user = require_user(ctx, ctx.caller.name, lock=True)
    profile = _require_profile(ctx, user)
    if not verify_password(profile.password_hash, p["OldPassword"]):
        raise AWSError("AccessDenied", "The old password was incorrect.")
    if p["NewPassword"] == p["OldPassword"]:
        raise AWSError("PasswordPolicyViolation", REUSE_MESSAGE)
    _check_new_password(ctx, user.user_id, p["NewPassword"], check_reuse=True)
    LoginProfileRepo(ctx.tx, ctx.account_id).update(
        user.user_id, password_hash=_new_hash(ctx, user.user_id, p["NewPassword"]),
        password_changed_at=ctx.now, reset_required=False)


@blocks_delete("user", "delete login profile")
def _user_login_profile(ctx, user_row):
    return LoginProfileRepo(ctx.tx, ctx.account_id).exists(user_row.user_id)
