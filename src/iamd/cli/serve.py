"""`iamd serve`: bootstrap the store, say what is running, start the ASGI workers."""

import signal
import sys
from pathlib import Path

import click

from .. import __version__


def _storage(store, data_path) -> str:
    if store.dialect == "sqlite":
        return f"sqlite ({data_path / 'iamd.db'})"
    from sqlalchemy.engine import make_url
    url = make_url(store.url)
    return f"postgresql ({url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}/{url.database})"


def _exit_quietly_after_shutdown() -> None:
    """uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal with the
    handlers that were there before it: these make that an orderly exit (0 for SIGTERM,
    as service managers expect; 130 for Ctrl-C), not a death by signal or a traceback."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="listen address")
@click.option("--port", default=8777, show_default=True, type=click.IntRange(0, 65535))
@click.option("--data-dir", default="./iamd-data", show_default=True, type=click.Path(file_okay=False),
              help="SQLite database, master key, root credentials")
@click.option("--database-url", default=None, envvar="IAMD_DATABASE_URL",
              help="postgresql://user@host:5432/db (default: SQLite in the data dir)")
@click.option("--account-id", default=None, help="12-digit account id (default: kept in the store, random at first start)")
@click.option("--auth", type=click.Choice(["enforce", "off"]), default="enforce", show_default=True,
              help="'off' checks no signature: a test double, insecure")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help="worker processes")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="one JSON line per request on stderr")
@click.option("--audit/--no-audit", default=True, show_default=True,
              help="record every API call as a CloudTrail record in the store")
@click.option("--audit-dir", default=None, type=click.Path(file_okay=False),
              help="deliver the records as CloudTrail log files (AWSLogs/...json.gz) under this directory")
@click.option("--audit-retention-days", default=90, show_default=True, type=click.IntRange(min=0),
              help="delete records older than this many days (0: keep them forever)")
@click.option("--quota", "quotas", multiple=True, default=(), metavar="NAME=N",
              help="override one of AWS's default quotas for the account, e.g. UsersQuota=20000 "
                   "(names as in GetAccountSummary); kept in the store")
def serve(host, port, data_dir, database_url, account_id, auth, workers, access_log, audit, audit_dir,
          audit_retention_days, quotas):
    """Run the IAM/STS server."""
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from ..server.bootstrap import BootError, bootstrap
    from ..server.settings import Settings
    from ..store.crypto import SecretBox
    from ..store.engine import Store

    if account_id is not None and not (account_id.isdigit() and len(account_id) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account-id")
    if database_url is not None and not database_url.startswith(("postgresql://", "postgresql+psycopg://",
                                                                 "sqlite:///")):
        raise click.BadParameter("expected postgresql://user@host:port/db", param_hint="--database-url")
    overrides = _parse_quotas(quotas)
    settings = Settings(host, port, data_dir, database_url, account_id, auth, workers, access_log, audit,
                        str(Path(audit_dir).resolve()) if audit_dir else None, audit_retention_days)
    if audit_dir:
        _writable_dir(audit_dir)
    box = SecretBox.load(settings.data_path)
    store = None
    try:
        store = Store(database_url, settings.data_path)
        info = bootstrap(store, box, account_id, settings.data_path, overrides)
    except (BootError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:  # the database cannot be reached or read: say so, no traceback
        raise click.ClickException(f"cannot open the store: {exc}") from None
    finally:
        if store is not None:
            store.dispose()
    settings.account_id = info.account_id
    say = lambda msg: click.echo(f"iamd: {msg}", err=True)  # noqa: E731
    say(f"version {__version__}")
    say(f"listening on http://{f'[{host}]' if ':' in host else host}:{port} with {workers} worker(s)")
    say(f"storage: {_storage(store, settings.data_path)}, schema version {info.schema_version}")
    say(f"account: {info.account_id}")
    if settings.enforce:
        say("auth: enforce (SigV4 signatures verified, IAM policies enforced on every call)")
    else:
        say("auth: OFF, INSECURE: no signature is checked and no policy enforced; a known access key "
            "acts as its owner, any other as the account root; POST /moto-api/reset wipes all state, "
            "POST /moto-api/reset-auth N turns checks on after N calls. For tests only.")
    say(f"root credentials: {info.root_key_source}")
    if info.credentials_path:
        say(f"  export AWS_SHARED_CREDENTIALS_FILE={info.credentials_path}")
    if audit:
        say(f"audit trail: on (every call recorded), kept {audit_retention_days or 'forever'}"
            f"{' days' if audit_retention_days else ''}"
            f"{f', delivered to {settings.audit_dir}' if audit_dir else ''}")
    sys.stderr.flush()
    settings.export()
    _exit_quietly_after_shutdown()
    uvicorn.run("iamd.server.app:create_app", factory=True, host=host, port=port, workers=workers,
                loop="uvloop", http="httptools", log_level="warning", access_log=False,
                timeout_graceful_shutdown=10)


def _writable_dir(path: str) -> None:
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        probe = Path(path) / ".iamd-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise click.BadParameter(f"cannot write there: {exc.strerror}", param_hint="--audit-dir") from None


def _parse_quotas(values) -> dict[str, int]:
    out = {}
    for item in values:
        name, eq, number = item.partition("=")
        if not eq or not number.isdigit():
            raise click.BadParameter(f"expected NAME=N, got {item!r}", param_hint="--quota")
        out[name] = int(number)
    return out
