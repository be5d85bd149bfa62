"""The account password policy: Update (a full replacement), Get, Delete.

Parameters left out of an Update revert to AWS's defaults (PasswordPolicy's field
defaults); MaxPasswordAge and PasswordReusePrevention cannot be sent as 0, so leaving
them out is how they are switched off.
"""

from ..protocol.errors import no_such_entity
from ..store.password_policy import PasswordPolicyRepo
from .passwords import PasswordPolicy
from .registry import operation

# Request member -> PasswordPolicy field.
_FIELDS = {
    "MinimumPasswordLength": "minimum_length",
    "RequireSymbols": "require_symbols",
    "RequireNumbers": "require_numbers",
    "RequireUppercaseCharacters": "require_uppercase",
    "RequireLowercaseCharacters": "require_lowercase",
    "AllowUsersToChangePassword": "allow_users_to_change",
    "MaxPasswordAge": "max_age",
    "PasswordReusePrevention": "reuse_prevention",
    "HardExpiry": "hard_expiry",
}


def current_policy(ctx) -> PasswordPolicy | None:
    row = PasswordPolicyRepo(ctx.tx, ctx.account_id).get()
    return PasswordPolicy.from_row(row) if row else None


@operation("UpdateAccountPasswordPolicy")
def update_account_password_policy(ctx, p):
    policy = PasswordPolicy(**{field: p[member] for member, field in _FIELDS.items() if member in p})
    PasswordPolicyRepo(ctx.tx, ctx.account_id).put(**vars(policy))


@operation("GetAccountPasswordPolicy")
def get_account_password_policy(ctx, p):
    policy = current_policy(ctx)
    if policy is None:
        raise no_such_entity(f"The Password Policy with domain name {ctx.account_id} cannot be found.")
    out = {
        "MinimumPasswordLength": policy.minimum_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase,
        "RequireLowercaseCharacters": policy.require_lowercase,
        "AllowUsersToChangePassword": policy.allow_users_to_change,
        "ExpirePasswords": bool(policy.max_age),
    }
    # The default policy (an Update that left HardExpiry out) has no HardExpiry at all.
    if policy.hard_expiry is not None:
        out["HardExpiry"] = policy.hard_expiry
    if policy.max_age:
        out["MaxPasswordAge"] = policy.max_age
    if policy.reuse_prevention:
        out["PasswordReusePrevention"] = policy.reuse_prevention
    return {"PasswordPolicy": out}


@operation("DeleteAccountPasswordPolicy")
def delete_account_password_policy(ctx, p):
    if not PasswordPolicyRepo(ctx.tx, ctx.account_id).delete():
        raise no_such_entity("The account policy with name PasswordPolicy cannot be found.")
