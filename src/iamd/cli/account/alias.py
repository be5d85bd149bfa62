"""`iamd account alias [show|set NAME|delete [NAME]]`: the account's sign-in alias.

An account has at most one alias; setting a new one replaces the old (AWS behaviour), so
`set` reports what it replaced.
"""

import click

from .common import CliError, common_options, iam_client, output_format
from .output import console, emit_structured


def current_aliases(iam) -> list[str]:
    aliases = []
    for page in iam.get_paginator("list_account_aliases").paginate():
        aliases += page.get("AccountAliases", [])
    return aliases


def sign_in_url(alias: str) -> str:
    return f"https://{alias}.signin.aws.amazon.com/console"


def render_aliases(aliases: list[str], fmt: str) -> None:
    rows = [{"alias": a, "sign_in_url": sign_in_url(a)} for a in aliases]
    if emit_structured(fmt, {"AccountAliases": aliases}, ["alias", "sign_in_url"], rows):
        return
    out = console()
    if not aliases:
        out.print("This account has no alias.")
    for a in aliases:
        out.print(f"Account alias: [bold]{a}[/bold]")
        out.print(f"Sign-in URL:   {sign_in_url(a)}")


@click.group("alias", invoke_without_command=True)
@common_options()
@click.pass_context
def alias(ctx):
    """Show, set or delete the account alias (default: show)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(show)


@alias.command("show")
@common_options()
def show():
    """Show the account alias and its sign-in URL."""
    render_aliases(current_aliases(iam_client()), output_format())


@alias.command("set")
@click.argument("name")
@common_options()
def set_alias(name):
    """Set the account alias to NAME (replaces the current one)."""
    iam = iam_client()
    before = current_aliases(iam)
    iam.create_account_alias(AccountAlias=name)
    fmt = output_format()
    result = {"AccountAlias": name, "Replaced": before[0] if before and before[0] != name else None}
    if not emit_structured(fmt, result, ["AccountAlias", "Replaced"], [result]):
        msg = f"Account alias set to [bold]{name}[/bold]"
        if result["Replaced"]:
            msg += f" (replaced {result['Replaced']})"
        console().print(msg + ".")


@alias.command("delete")
@click.argument("name", required=False)
@common_options()
def delete(name):
    """Delete the account alias (NAME defaults to the current alias)."""
    iam = iam_client()
    if name is None:
        aliases = current_aliases(iam)
        if not aliases:
            raise CliError("NoSuchEntity", "The account has no alias to delete.")
        name = aliases[0]
    iam.delete_account_alias(AccountAlias=name)
    fmt = output_format()
    result = {"DeletedAccountAlias": name}
    if not emit_structured(fmt, result, ["DeletedAccountAlias"], [result]):
        console().print(f"Account alias [bold]{name}[/bold] deleted.")
