"""`iamd backup FILE` and `iamd restore FILE --data-dir DIR`: SQLite snapshots, taken online.

PostgreSQL stores are backed up with PostgreSQL's own tools (pg_dump); see the README.
"""

from pathlib import Path

import click

DATA_DIR = click.option("--data-dir", default="./iamd-data", show_default=True, type=click.Path(file_okay=False),
                        help="the data dir of the SQLite store (as for serve)")


class CommandError(click.ClickException):
    """One line on stderr, exit 2."""
    exit_code = 2


def _say(msg: str) -> None:
    click.echo(f"iamd: {msg}", err=True)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@DATA_DIR
@click.option("--database-url", default=None, envvar="IAMD_DATABASE_URL", hidden=True)
def backup(file: Path, data_dir, database_url):
    """Write a consistent snapshot of the SQLite store to FILE, while iamd runs."""
    from ..store.snapshot import SnapshotError, take
    if database_url and not database_url.startswith("sqlite"):
        raise CommandError("iamd backup copies a SQLite store; back up PostgreSQL with pg_dump "
                           "(pg_dump -Fc -f iamd.dump DBNAME)")
    try:
        snap = take(Path(data_dir), file)
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None
    _say(f"backup: {snap.path} ({snap.size} bytes, schema version {snap.schema_version}, "
         f"account {', '.join(snap.accounts)})")
    _say(f"keep {Path(data_dir).resolve() / 'master.key'} (or IAMD_MASTER_KEY) with it: "
         f"the secrets in the snapshot open only with that key")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data-dir", required=True, type=click.Path(file_okay=False),
              help="where to restore: a data dir without a database")
def restore(file: Path, data_dir):
    """Restore a snapshot FILE (from `iamd backup`) into --data-dir."""
    from cryptography.exceptions import InvalidTag

    from ..store.crypto import SecretBox
    from ..store.snapshot import SnapshotError, inspect
    from ..store.snapshot import restore as restore_snapshot
    target = Path(data_dir).resolve()
    try:
        snap = inspect(file)
        box = SecretBox.from_environment()
        if box is None and not (target / "master.key").is_file():
            raise CommandError(f"copy the master.key the backup was taken with into {target} "
                               f"(or set IAMD_MASTER_KEY) first: the secrets in the snapshot are sealed with it")
        box = box or SecretBox.load(target)
        if snap.sample_secret is not None:
            try:
                box.decrypt(snap.sample_secret)
            except (InvalidTag, ValueError):
                raise CommandError("the master key (IAMD_MASTER_KEY or master.key in the data dir) does "
                                   f"not open the secrets in {file}: use the key it was taken with") from None
        restore_snapshot(file, target)
    except (SnapshotError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    _say(f"restored {file} into {target / 'iamd.db'} (schema version {snap.schema_version}, "
         f"account {', '.join(snap.accounts)}); start it with: iamd serve --data-dir {target}")
