"""The account alias: at most one per account, unique across every hosted account.

Creating an alias replaces the current one (AWS's one-alias quota is met by replacement,
not by LimitExceeded); re-creating the alias the account already holds succeeds.
"""

from ..protocol.errors import already_exists, no_such_entity, validation_error
from ..store.account import AccountRepo
from ..store.paging import listing
from .registry import operation


@operation("CreateAccountAlias")
def create_account_alias(ctx, p):
    alias = p["AccountAlias"]
    # The model's pattern admits twelve digits; AWS refuses them as look-alike account ids.
    if len(alias) == 12 and alias.isdigit():
        raise validation_error(f"The specified value for accountAlias is invalid. "
                               f"It must not be a 12-digit number: {alias}")
    repo = AccountRepo(ctx.tx, ctx.account_id)
    repo.get(lock=True)
    if not repo.set_alias(alias):
        raise already_exists(f"The account alias {alias} already exists.")


@operation("DeleteAccountAlias")
def delete_account_alias(ctx, p):
    repo = AccountRepo(ctx.tx, ctx.account_id)
    row = repo.get(lock=True)
    if row.alias != p["AccountAlias"]:
        raise no_such_entity(f"The account alias {p['AccountAlias']} cannot be found.")
    repo.clear_alias()


@operation("ListAccountAliases")
def list_account_aliases(ctx, p):
    rows, marker = AccountRepo(ctx.tx, ctx.account_id).aliases(p.get("Marker"), p.get("MaxItems"))
    # AccountAliases is required in the output: an empty list is still emitted.
    return listing([r.alias for r in rows], marker, "AccountAliases")
