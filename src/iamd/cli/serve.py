"""`iamd serve`: bootstrap the store, say what is running, start the ASGI workers."""

import sys

import click

from .. import __version__


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8777, show_default=True, type=int)
@click.option("--data-dir", default="./iamd-data", show_default=True, type=click.Path(file_okay=False))
@click.option("--database-url", default=None, envvar="IAMD_DATABASE_URL",
              help="postgresql://… (default: SQLite in the data dir)")
@click.option("--account-id", default=None, help="12-digit account id (default: kept in the store, random at first start)")
@click.option("--auth", type=click.Choice(["enforce", "off"]), default="enforce", show_default=True,
              help="'off' checks no signature: a test double, insecure")
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--access-log/--no-access-log", default=True, show_default=True)
def serve(host, port, data_dir, database_url, account_id, auth, workers, access_log):
    """Run the IAM/STS server."""
    import uvicorn

    from ..server.bootstrap import bootstrap
    from ..server.settings import Settings
    from ..store.crypto import SecretBox
    from ..store.engine import Store

    if account_id is not None and not (account_id.isdigit() and len(account_id) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account-id")
    settings = Settings(host, port, data_dir, database_url, account_id, auth, workers, access_log)
    store = Store(database_url, settings.data_path)
    box = SecretBox.load(settings.data_path)
    info = bootstrap(store, box, account_id, settings.data_path)
    store.dispose()
    settings.account_id = info.account_id
    engine = "postgresql" if store.dialect == "postgresql" else f"sqlite ({settings.data_path / 'iamd.db'})"
    say = lambda msg: click.echo(f"iamd: {msg}", err=True)  # noqa: E731
    say(f"version {__version__}")
    say(f"listening on http://{host}:{port} with {workers} worker(s)")
    say(f"storage: {engine}, schema version {info.schema_version}")
    say(f"account: {info.account_id}")
    if settings.enforce:
        say("auth: enforce (SigV4 signatures verified)")
    else:
        say("auth: OFF — signatures are NOT checked; any caller acts as root. Insecure: for tests only.")
    say(f"root credentials: {info.root_key_source}")
    if info.credentials_path:
        say(f"  export AWS_SHARED_CREDENTIALS_FILE={info.credentials_path}")
    sys.stderr.flush()
    settings.export()
    uvicorn.run("iamd.server.app:create_app", factory=True, host=host, port=port, workers=workers,
                loop="uvloop", http="httptools", log_level="warning", access_log=False,
                timeout_graceful_shutdown=10)
