"""`iamd accounts create|list`: the accounts one store hosts (issue 9, several accounts).

Each account has its own root access key, written to `<data-dir>/credentials` as a profile
named after the account (`--profile 123456789012` for the AWS CLI); a request belongs to
the account of the key that signed it. Works on the store directly, with or without a
running server (which sees new accounts at once).
"""

import time

import click

from .serve import StartupError

_STORE_OPTIONS = (
    click.option("--data-dir", default="./iamd-data", show_default=True, type=click.Path(file_okay=False),
                 help="the server's data dir (SQLite database, master key, credentials)"),
    click.option("--database-url", default=None, envvar="IAMD_DATABASE_URL",
                 help="postgresql://user@host:5432/db (default: SQLite in the data dir)"),
)


def _store_options(fn):
    for option in reversed(_STORE_OPTIONS):
        fn = option(fn)
    return fn


def _open(data_dir: str, database_url: str | None):
    from pathlib import Path

    from ..store.crypto import SecretBox
    from ..store.engine import Store
    path = Path(data_dir)
    if database_url is None and not (path / "iamd.db").exists():
        raise StartupError(f"no iamd store in {path}: start `iamd serve --data-dir {path}` once first")
    box = SecretBox.from_environment() or SecretBox.load(path)
    return Store(database_url, path), box, path


@click.group("accounts")
def accounts():
    """Add and list the accounts this store hosts."""


@accounts.command("create")
@_store_options
@click.option("--account-id", default=None, help="12 digits (default: random)")
@click.option("--alias", default=None, help="the account alias")
def create(data_dir, database_url, account_id, alias):
    """Add an account with its own root credentials (profile named after the account)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..server.bootstrap import BootError, add_account
    if account_id is not None and not (account_id.isdigit() and len(account_id) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account-id")
    if alias is not None and not (3 <= len(alias) <= 63 and all(c.islower() or c.isdigit() or c == "-"
                                                                 for c in alias)
                                  and alias[0] != "-" and alias[-1] != "-"):
        raise click.BadParameter("3 to 63 lower-case letters, digits and hyphens", param_hint="--alias")
    store, box, path = _open(data_dir, database_url)
    try:
        acct = add_account(store, box, account_id, alias, path / "credentials")
    except BootError as exc:
        raise StartupError(str(exc)) from None
    except SQLAlchemyError as exc:
        raise StartupError(f"cannot open the store: {exc}".splitlines()[0]) from None
    finally:
        store.dispose()
    click.echo(f"{acct}\tprofile {acct} in {path / 'credentials'}")


@accounts.command("list")
@_store_options
def list_(data_dir, database_url):
    """The accounts, oldest (the server's own) first: id, alias, created."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..server.bootstrap import list_accounts
    store, _, _ = _open(data_dir, database_url)
    try:
        rows = list_accounts(store)
    except SQLAlchemyError as exc:
        raise StartupError(f"cannot open the store: {exc}".splitlines()[0]) from None
    finally:
        store.dispose()
    for acct, alias, created in rows:
        click.echo(f"{acct}\t{alias or '-'}\t{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(created))}")
