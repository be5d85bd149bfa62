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


class StartupError(click.ClickException):
    """A start-up mistake: one line on stderr, exit 2."""
    exit_code = 2


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="listen address")
@click.option("--port", default=8777, show_default=True, type=click.IntRange(0, 65535), help="listen port")
@click.option("--data-dir", default="./iamd-data", show_default=True, type=click.Path(file_okay=False),
              help="SQLite database, master key, root credentials (created 0700)")
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
@click.option("--tls-cert", default=None, type=click.Path(dir_okay=False), metavar="FILE",
              help="PEM certificate (chain): serve HTTPS; with --tls-key")
@click.option("--tls-key", default=None, type=click.Path(dir_okay=False), metavar="FILE",
              help="PEM private key of --tls-cert")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="close a connection that has not sent a request's headers in time")
@click.option("--body-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="close a connection that has not sent a request's body in time")
@click.option("--keep-alive-timeout", default=5.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="close a connection idle this long between requests")
@click.option("--allow-http-issuer", "http_issuers", multiple=True, default=(), metavar="URL",
              help="an OpenID Connect issuer reached over plain HTTP (a local Keycloak or Dex) that "
                   "web-identity tokens may come from; repeatable")
@click.option("--public-url", default=None, metavar="URL",
              help="the URL clients reach iamd at (default http://HOST:PORT): the base of its own "
                   "OIDC issuer URLs")
@click.option("--console/--no-console", default=True, show_default=True,
              help="serve the web console under /console/ (sign in with `iamd root-password set` or a user's password)")
def serve(host, port, data_dir, database_url, account_id, auth, workers, access_log, quotas,
          tls_cert, tls_key, header_timeout, body_timeout, keep_alive_timeout, http_issuers, public_url,
          console, audit, audit_dir, audit_retention_days):
    """Run the IAM/STS server."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..server.bootstrap import BootError, bootstrap, check_data_dir
    from ..server.listener import bind, check_tls
    from ..server.settings import Settings
    from ..store.crypto import SecretBox
    from ..store.engine import Store
    from ..store.files import too_open

    if account_id is not None and not (account_id.isdigit() and len(account_id) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account-id")
    if database_url is not None and not database_url.startswith(("postgresql://", "postgresql+psycopg://",
                                                                 "sqlite:///")):
        raise click.BadParameter("expected postgresql://user@host:port/db", param_hint="--database-url")
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    overrides = _parse_quotas(quotas)
    for url in http_issuers:
        if not url.startswith("http://") or len(url) <= len("http://"):
            raise click.BadParameter(f"expected http://host[:port]/path, got {url!r}", param_hint="--allow-http-issuer")
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise click.BadParameter("expected http(s)://host[:port]", param_hint="--public-url")
    settings = Settings(host, port, data_dir, database_url, account_id, auth, workers, access_log,
                        tls=tls_cert is not None, header_timeout=header_timeout, body_timeout=body_timeout,
                        keep_alive_timeout=keep_alive_timeout, allow_http_issuers=list(http_issuers),
                        public_url=public_url, console=console, audit=audit,
                        audit_dir=str(Path(audit_dir).resolve()) if audit_dir else None,
                        audit_retention_days=audit_retention_days)
    store = sock = None
    try:
        # nothing is created before the port is ours and the configuration is known good
        if tls_cert:
            check_tls(tls_cert, tls_key)
        env_box = SecretBox.from_environment()
        sock = bind(host, port)
        if audit_dir:
            _writable_dir(audit_dir)
        if database_url is None:
            check_data_dir(settings.data_path)
        loose = too_open(settings.data_path)
        box = env_box or SecretBox.load(settings.data_path)
        store = Store(database_url, settings.data_path)
        info = bootstrap(store, box, account_id, settings.data_path, overrides)
        root_can_sign_in = console and _root_password_set(store, info.account_id)
    except (BootError, ValueError) as exc:
        _close(sock)
        raise StartupError(str(exc)) from None
    except SQLAlchemyError as exc:  # the database cannot be reached or read: say so, no traceback
        _close(sock)
        raise StartupError(f"cannot open the store: {exc}".splitlines()[0]) from None
    except OSError as exc:  # the data dir cannot be made or written
        _close(sock)
        raise StartupError(f"cannot use the data dir {settings.data_path}: {exc.strerror or exc}") from None
    finally:
        if store is not None:
            store.dispose()
    settings.account_id = info.account_id
    settings.port = sock.getsockname()[1]
    _exit_quietly_after_shutdown()  # from here on, SIGTERM is an orderly exit
    scheme = "https" if settings.tls else "http"
    say = lambda msg: click.echo(f"iamd: {msg}", err=True)  # noqa: E731
    say(f"version {__version__}")
    say(f"listening on {scheme}://{f'[{host}]' if ':' in host else host}:{settings.port} with {workers} worker(s)")
    say(f"storage: {_storage(store, settings.data_path)}, schema version {info.schema_version}")
    say(f"account: {info.account_id}")
    if settings.enforce:
        say("auth: enforce (SigV4 signatures verified, IAM policies enforced on every call)")
    else:
        say("auth: OFF, INSECURE: no signature is checked and no policy enforced; a known access key "
            "acts as its owner, any other as the account root; POST /moto-api/reset wipes all state, "
            "POST /moto-api/reset-auth N turns checks on after N calls. For tests only.")
    if settings.tls:
        say(f"transport: HTTPS (certificate {Path(tls_cert).resolve()})")
    else:
        say("transport: plain HTTP, unencrypted; beyond loopback serve HTTPS with --tls-cert and --tls-key")
    say(f"root credentials: {info.root_key_source}")
    if info.credentials_path:
        say(f"  export AWS_SHARED_CREDENTIALS_FILE={info.credentials_path}")
    if loose:
        say(f"warning: others can read or write {', '.join(loose)}: chmod 700 the directory and 600 its files")
    for url in http_issuers:
        say(f"web identity: tokens from {url} accepted over plain HTTP")
    say(f"outbound OIDC issuers: {settings.base_url}/issuer/<id> (GetOutboundWebIdentityFederationInfo)")
    if audit:
        say(f"audit trail: on (every call recorded), kept {audit_retention_days or 'forever'}"
            f"{' days' if audit_retention_days else ''}"
            f"{f', delivered to {settings.audit_dir}' if audit_dir else ''}")
    if console:
        say(f"console: {scheme}://{f'[{host}]' if ':' in host else host}:{settings.port}/console/"
            + ("" if root_can_sign_in else f" (the root user signs in after `iamd root-password set "
                                           f"{_store_option(data_dir, database_url)}`)"))
    sys.stderr.flush()
    settings.export()
    _run(sock, settings, tls_cert, tls_key)


def _root_password_set(store, account_id: str) -> bool:
    from ..store.console import RootPasswordRepo
    return store.run(lambda tx: RootPasswordRepo(tx, account_id).get() is not None, write=False)


def _store_option(data_dir: str, database_url: str | None) -> str:
    """The option that names the same store to another iamd command (no password shown)."""
    if database_url:
        from sqlalchemy.engine import make_url
        return f"--database-url {make_url(database_url).render_as_string(hide_password=True)}"
    return f"--data-dir {data_dir}"


def _close(sock) -> None:
    if sock is not None:
        sock.close()


def _run(sock, settings, tls_cert, tls_key) -> None:
    """uvicorn on the socket bound above: one process, or a supervisor and its workers."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess
    config = uvicorn.Config("iamd.server.app:create_app", factory=True, host=settings.host, port=settings.port,
                            workers=settings.workers, loop="uvloop",
                            http="iamd.server.http_protocol:BoundedHttpProtocol",
                            log_level="warning", access_log=False, timeout_graceful_shutdown=10,
                            # aws:SourceIp is the connection's peer: uvicorn's default would take
                            # X-Forwarded-For from any local process, which could then claim any address
                            proxy_headers=False,
                            timeout_keep_alive=settings.keep_alive_timeout,
                            ssl_certfile=tls_cert, ssl_keyfile=tls_key)
    if settings.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
        return
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(3)


def _writable_dir(path: str) -> None:
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        probe = Path(path) / ".iamd-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StartupError(f"--audit-dir {path}: cannot write there: {exc.strerror}") from None


def _parse_quotas(values) -> dict[str, int]:
    out = {}
    for item in values:
        name, eq, number = item.partition("=")
        if not eq or not number.isdigit():
            raise click.BadParameter(f"expected NAME=N, got {item!r}", param_hint="--quota")
        out[name] = int(number)
    return out
