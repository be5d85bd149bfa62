"""`iamd aws-policies import DIR`: load the full AWS managed policy catalogue.

The server ships and loads a curated set of AWS managed policies at every start; this
command loads a whole catalogue (a MAMIP-style directory: policies-list.json and
policies/<PolicyName>) into the same store `iamd serve` uses, in one transaction. Running
it again changes only the policies whose UpdateDate moved.
"""

from pathlib import Path

import click


@click.group("aws-policies", context_settings={"help_option_names": ["-h", "--help"]})
def aws_policies():
    """Manage the AWS managed policies stored by iamd."""


@aws_policies.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--data-dir", default="./iamd-data", show_default=True, type=click.Path(file_okay=False),
              help="SQLite database, master key, root credentials (as for serve)")
@click.option("--database-url", default=None, envvar="IAMD_DATABASE_URL",
              help="postgresql://user@host:5432/db (default: SQLite in the data dir)")
@click.option("--verbose", "-v", is_flag=True, help="name every skipped document")
def import_(directory: Path, data_dir, database_url, verbose):
    """Load AWS managed policies from DIRECTORY (policies-list.json + policies/)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..store.engine import Store
    from ..store.policy_catalog import load_into, read_directory

    if not (directory / "policies-list.json").is_file():
        raise click.ClickException(f"{directory} has no policies-list.json")
    try:
        entries, skipped = read_directory(directory)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"cannot read the catalogue: {exc}") from None
    store = Store(database_url, Path(data_dir).resolve())
    try:
        store.migrate()
        counts = load_into(store, entries)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot open the store: {exc}") from None
    finally:
        store.dispose()
    click.echo(f"iamd: AWS managed policies: {counts['inserted']} inserted, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged, {len(skipped)} skipped")
    if verbose:
        for why in skipped:
            click.echo(f"iamd:   skipped {why}")
