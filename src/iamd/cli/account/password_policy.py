"""`iamd account password-policy [show|set …|delete]`.

UpdateAccountPasswordPolicy replaces the whole policy (omitted settings revert to their
defaults), which is rarely what someone changing one setting means. `set` therefore starts
from the current policy and changes only what is given; `--reset` starts from the
defaults instead. Values are checked against botocore's model before sending, with the
same ValidationError text IAM answers, so the user sees one kind of message whether the
client or the server catches it.
"""

import click
from botocore.exceptions import ClientError

from .common import CliError, common_options, iam_client, output_format
from .output import console, emit_structured, key_value_table

# (API member, option label) in the order the policy is usually read.
FIELDS = [
    ("MinimumPasswordLength", "Minimum length"),
    ("RequireSymbols", "Require symbols"),
    ("RequireNumbers", "Require numbers"),
    ("RequireUppercaseCharacters", "Require uppercase letters"),
    ("RequireLowercaseCharacters", "Require lowercase letters"),
    ("AllowUsersToChangePassword", "Users may change their password"),
    ("ExpirePasswords", "Passwords expire"),
    ("MaxPasswordAge", "Maximum password age (days)"),
    ("PasswordReusePrevention", "Remembered passwords (no reuse)"),
    ("HardExpiry", "Expired passwords need an administrator"),
]
SETTABLE = [f for f, _ in FIELDS if f != "ExpirePasswords"]


def get_policy(iam) -> dict | None:
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return None
        raise


def policy_rows(policy: dict) -> list[tuple[str, str]]:
    rows = []
    for key, label in FIELDS:
        # AWS leaves HardExpiry out until it is set: absent means no.
        value = policy.get(key, False if key == "HardExpiry" else None)
        if key in ("MaxPasswordAge", "PasswordReusePrevention") and not value:
            value = "never" if key == "MaxPasswordAge" else "off"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif value is None:
            value = "-"
        rows.append((label, str(value)))
    return rows


def render_policy(policy: dict | None, fmt: str) -> None:
    csv_rows = [{"setting": k, "value": (policy or {}).get(k)} for k, _ in FIELDS if policy and k in policy]
    if emit_structured(fmt, {"PasswordPolicy": policy}, ["setting", "value"], csv_rows):
        return
    if policy is None:
        console().print("This account has no password policy.")
    else:
        console().print(key_value_table("Account password policy", policy_rows(policy)))


def merged_request(current: dict | None, changes: dict, reset: bool) -> dict:
    """The full UpdateAccountPasswordPolicy input: the current (or default) policy plus changes.

    A value of 0 for MaxPasswordAge or PasswordReusePrevention means "off", which the API
    expresses by omitting the member (its minimum is 1).
    """
    base = {} if reset or current is None else {k: current[k] for k in SETTABLE if current.get(k) is not None}
    if current and not reset and not current.get("ExpirePasswords", bool(current.get("MaxPasswordAge"))):
        base.pop("MaxPasswordAge", None)
    request = {**base, **{k: v for k, v in changes.items() if v is not None}}
    for key in ("MaxPasswordAge", "PasswordReusePrevention"):
        if request.get(key) == 0:
            request.pop(key)
    return request


def validate(request: dict) -> None:
    """Raise the API's own ValidationError for values outside the model's ranges."""
    import botocore.session

    from ...protocol.errors import AWSError
    from ...protocol.validate import validate_input

    shape = botocore.session.get_session().get_service_model("iam") \
        .operation_model("UpdateAccountPasswordPolicy").input_shape
    try:
        validate_input(shape, request)
    except AWSError as exc:
        raise CliError(exc.code, exc.message) from None


@click.group("password-policy", invoke_without_command=True)
@common_options()
@click.pass_context
def password_policy(ctx):
    """Show, set or delete the account password policy (default: show)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(show)


@password_policy.command("show")
@common_options()
def show():
    """Show the account password policy."""
    render_policy(get_policy(iam_client()), output_format())


@password_policy.command("set")
@click.option("--min-length", "MinimumPasswordLength", type=int, metavar="N", help="Minimum length (6-128).")
@click.option("--require-symbols/--no-require-symbols", "RequireSymbols", default=None)
@click.option("--require-numbers/--no-require-numbers", "RequireNumbers", default=None)
@click.option("--require-uppercase/--no-require-uppercase", "RequireUppercaseCharacters", default=None)
@click.option("--require-lowercase/--no-require-lowercase", "RequireLowercaseCharacters", default=None)
@click.option("--allow-users-to-change-password/--no-allow-users-to-change-password",
              "AllowUsersToChangePassword", default=None)
@click.option("--max-age", "MaxPasswordAge", type=int, metavar="DAYS",
              help="Days before a password expires (1-1095; 0 = never).")
@click.option("--reuse-prevention", "PasswordReusePrevention", type=int, metavar="N",
              help="Previous passwords that cannot be reused (1-24; 0 = off).")
@click.option("--hard-expiry/--no-hard-expiry", "HardExpiry", default=None)
@click.option("--reset", is_flag=True, help="Start from the AWS defaults instead of the current policy.")
@common_options()
def set_policy(reset, **changes):
    """Change the password policy (only the settings given; --reset for the rest)."""
    iam = iam_client()
    current = None if reset else get_policy(iam)
    request = merged_request(current, changes, reset)
    validate(request)
    iam.update_account_password_policy(**request)
    fmt = output_format()
    policy = get_policy(iam)
    if fmt == "table":
        console().print("Password policy updated.")
    render_policy(policy, fmt)


@password_policy.command("delete")
@common_options()
def delete():
    """Delete the account password policy."""
    iam_client().delete_account_password_policy()
    if not emit_structured(output_format(), {"PasswordPolicy": None}, ["deleted"], [{"deleted": "true"}]):
        console().print("Password policy deleted.")
