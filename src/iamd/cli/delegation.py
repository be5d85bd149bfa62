"""`iamd delegation`: the operator's side of temporary delegation.

AWS registers a partner's policy templates during partner onboarding and publishes a
request's notifications (the trade-in token among them) to the partner's SNS topic; iamd
has neither, so `template` registers a template for a partner account (printing the ARN
CreateDelegationRequest names) and `outbox` prints the notifications kept for a channel,
one JSON object a line.
"""

import json
import re
import time
from pathlib import Path

import click

_NAME = re.compile(r"[\w+=,.@-]{1,128}")
DATA_DIR = click.option("--data-dir", default="./iamd-data", show_default=True, type=click.Path(file_okay=False),
                        help="the store's data dir (as for serve)")
DATABASE_URL = click.option("--database-url", default=None, envvar="IAMD_DATABASE_URL",
                            help="postgresql://user@host:5432/db (default: SQLite in the data dir)")


class CommandError(click.ClickException):
    """One line on stderr, exit 2."""
    exit_code = 2


@click.group("delegation", context_settings={"help_option_names": ["-h", "--help"]})
def delegation():
    """Partners' policy templates and delegation notifications."""


def _run(data_dir, database_url, fn):
    from sqlalchemy.exc import SQLAlchemyError

    from ..store.engine import Store
    store = Store(database_url, Path(data_dir).resolve())
    try:
        store.migrate()
        return store.run(fn)
    except SQLAlchemyError as exc:
        raise CommandError(f"cannot open the store: {exc.__class__.__name__}") from None
    finally:
        store.dispose()


@delegation.command("template")
@click.argument("file", type=click.File("r"))
@click.option("--account", "account_id", required=True, help="the partner account that may use it")
@click.option("--name", required=True, help="the template's name (letters, digits, +=,.@_-)")
@DATA_DIR
@DATABASE_URL
def template(file, account_id, name, data_dir, database_url):
    """Register (or replace) the policy template in FILE for a partner account; print its ARN."""
    from ..store.account import AccountRepo
    from ..store.delegation import DelegationRepo
    text = file.read()
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise CommandError(f"the template is not JSON: {exc}") from None
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise CommandError("the template must be a policy document (an object with a Statement)")
    if not _NAME.fullmatch(name):
        raise CommandError("--name must be 1 to 128 letters, digits or +=,.@_-")
    arn = f"arn:aws:iam::{account_id}:policy-template/{name}"

    def put(tx):
        if AccountRepo(tx, account_id).get() is None:
            raise CommandError(f"no account {account_id} in this store")
        DelegationRepo(tx).put_template(arn, account_id, text, time.time())
    _run(data_dir, database_url, put)
    click.echo(arn)


@delegation.command("outbox")
@click.option("--channel", default=None, help="only this notification channel (an SNS topic ARN)")
@DATA_DIR
@DATABASE_URL
def outbox(channel, data_dir, database_url):
    """Print the delegation notifications kept for partners, oldest first."""
    from ..store.delegation import DelegationRepo
    rows = _run(data_dir, database_url, lambda tx: DelegationRepo(tx).notifications(channel))
    for r in rows:
        click.echo(json.dumps({"Channel": r.channel, "Time": r.created_at, "Message": json.loads(r.message)}))
