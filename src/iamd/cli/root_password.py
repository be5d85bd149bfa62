"""`iamd root-password set`: the root user's console password, prompted and stored hashed.

Each account the store hosts has its own (`--account ID-or-alias`; by default the server's
own account, the store's first); its root user signs in to the console with the account's
id or alias and that password.

The password is read from the terminal (or stdin when piped), twice, hashed with argon2id
as login profiles are (service/passwords.py) and never printed or logged.
"""

from pathlib import Path

import click

from .backup import CommandError

MIN_LENGTH, MAX_LENGTH = 8, 128  # AWS's bounds for a root user's password


@click.group("root-password")
def root_password():
    """The root user's password for the web console."""


@root_password.command("set")
@click.option("--data-dir", default="./iamd-data", show_default=True, type=click.Path(file_okay=False),
              help="the data dir (as for serve)")
@click.option("--database-url", default=None, envvar="IAMD_DATABASE_URL", help="as for serve")
@click.option("--account", "--account-id", "account", default=None,
              help="the account's id or alias (default: the server's own, the store's first account)")
def set_root_password(data_dir, database_url, account):
    """Set (or replace) the root user's console password."""
    import time

    from sqlalchemy import or_, select
    from sqlalchemy.exc import SQLAlchemyError

    from ..service.passwords import hash_password
    from ..store.console import RootPasswordRepo
    from ..store.engine import Store
    from ..store.schema.core import accounts

    password = click.prompt("Root password", hide_input=True, confirmation_prompt="Repeat it", err=True)
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise CommandError(f"the root password must be {MIN_LENGTH} to {MAX_LENGTH} characters long")
    data = Path(data_dir).resolve()
    if database_url is None and not (data / "iamd.db").is_file():
        raise CommandError(f"no iamd store in {data}: run `iamd serve --data-dir {data_dir}` once first")
    store = Store(database_url, data)
    try:
        store.migrate()

        def run(tx):
            query = select(accounts.c.account_id)
            if account:
                query = query.where(or_(accounts.c.account_id == account, accounts.c.alias == account.lower()))
            found = list(tx.execute(query.order_by(accounts.c.created_at)).scalars())
            if not found:
                raise CommandError("no such account in the store" if account else
                                   "the store has no account yet: run `iamd serve` once first")
            RootPasswordRepo(tx, found[0]).set(hash_password(password), time.time())
            return found[0]
        acct = store.run(run)
    except SQLAlchemyError as exc:
        raise CommandError(f"cannot open the store: {exc}".splitlines()[0]) from None
    finally:
        store.dispose()
    click.echo(f"iamd: root password set for account {acct}", err=True)
