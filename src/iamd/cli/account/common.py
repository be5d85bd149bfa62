"""What every `iamd account` command shares: connection options, the IAM client, errors.

The client only needs boto3, so it works against iamd and real AWS alike: credentials come
from the standard chain (or `--profile`), the endpoint from `--endpoint-url`,
`AWS_ENDPOINT_URL` or the config file. Failures of any kind end in one line
`error: <Code>: <Message>` on stderr and a non-zero exit, never a traceback (unless
`--debug`, where the traceback is what the user asked for). A mistake in what the user
typed (an endpoint without a scheme, an unknown column, a file type we cannot write) is a
usage error, exit 2, found before anything is sent.
"""

import logging
import os
import re
import sys
from dataclasses import dataclass

import click

SETTINGS_KEY = "iamd.account.settings"
FORMATS = ("table", "json", "yaml", "csv")

# Exit statuses: 1 for an error answered by the service or the client, 2 for a usage
# mistake (click's), 130 for Ctrl-C (the shell's convention).
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error detected on the client side, reported like a service error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Settings:
    output: str | None = None
    no_color: bool = False
    debug: bool = False
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


def settings(ctx: click.Context | None = None) -> Settings:
    ctx = ctx or click.get_current_context()
    return ctx.find_root().meta.setdefault(SETTINGS_KEY, Settings())


def output_format(default: str = "table") -> str:
    return settings().output or default


def _store(field: str):
    # Options may be given on the group or on the command; whichever is given wins, so
    # `iamd account --profile p summary` and `iamd account summary --profile p` agree.
    def callback(ctx, param, value):
        if value not in (None, False):
            setattr(settings(ctx), field, value)
        return value
    return callback


def endpoint_problem(url: str) -> str | None:
    """Why botocore would refuse `url` as an endpoint, in the user's words; None when it is fine."""
    from urllib.parse import urlsplit

    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme not in ("http", "https"):
        return f"'{url}' must start with http:// or https://, e.g. http://127.0.0.1:8777"
    if not (is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)):
        return f"'{url}' is not a valid URL (scheme://host[:port])"
    return None


def _store_endpoint(ctx, param, value):
    if value is not None:
        problem = endpoint_problem(value)
        if problem:
            raise click.BadParameter(problem, ctx=ctx, param=param)
    return _store("endpoint_url")(ctx, param, value)


def connection_options(f):
    """--no-color, --debug, --profile, --region, --endpoint-url."""
    for opt in reversed([
        click.option("--no-color", is_flag=True, expose_value=False, callback=_store("no_color"),
                     help="Plain output without colours (also when NO_COLOR is set)."),
        click.option("--debug", is_flag=True, expose_value=False, callback=_store("debug"),
                     help="Log every botocore request and response on stderr."),
        click.option("--profile", expose_value=False, callback=_store("profile"), metavar="NAME",
                     help="Named profile from the AWS config/credentials files."),
        click.option("--region", expose_value=False, callback=_store("region"), metavar="REGION",
                     help="Region to sign for (IAM is global; default from the config or us-east-1)."),
        click.option("--endpoint-url", expose_value=False, callback=_store_endpoint, metavar="URL",
                     help="IAM endpoint, e.g. http://127.0.0.1:8777 (default: AWS_ENDPOINT_URL or AWS)."),
    ]):
        f = opt(f)
    return f


def output_option(formats=FORMATS):
    def deco(f):
        return click.option("--output", "-o", type=click.Choice(formats), expose_value=False,
                            callback=_store("output"),
                            help=f"Output format (default {formats[0]}).")(f)
    return deco


def common_options(formats=FORMATS):
    """The options every command takes: output format plus the connection options."""
    def deco(f):
        return connection_options(output_option(formats)(f))
    return deco


def iam_client():
    """An IAM client built from the standard chain and the command-line options."""
    import boto3
    import botocore.session
    from botocore.config import Config

    s = settings()
    if s.debug:
        boto3.set_stream_logger("botocore", logging.DEBUG)
    core = botocore.session.Session(profile=s.profile)
    scoped = core.get_scoped_config()  # raises ProfileNotFound now rather than at the first call
    session = boto3.Session(botocore_session=core)
    # IAM is a global service signed for us-east-1; a region is only needed to sign.
    region = s.region or session.region_name or "us-east-1"
    extra = {}
    user_set_retries = any(os.environ.get(v) for v in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS")) or \
        any(k in scoped for k in ("retry_mode", "max_attempts"))
    if not user_set_retries:
        # botocore's legacy default backs off for ~15 s on a refused connection; an
        # interactive tool should say "unreachable" quickly unless the user asked for more.
        extra["retries"] = {"mode": "standard", "total_max_attempts": 2}
    config = Config(connect_timeout=10, read_timeout=60, **extra)
    try:
        client = session.client("iam", region_name=region, endpoint_url=s.endpoint_url, config=config)
    except ValueError as exc:  # an endpoint from AWS_ENDPOINT_URL or the config file: still the user's input
        if "endpoint" not in str(exc).lower():
            raise
        raise click.UsageError(f"{one_line(exc)} (from AWS_ENDPOINT_URL or the config file); "
                               "it must look like http://host:port.") from None
    client.meta.events.register("before-parse.iam", _answers_as_aws(client.meta.endpoint_url))
    return client


# An IAM answer, success or error, is an XML document whose root is <...Response>.
_AWS_ANSWER = re.compile(rb"\s*(<\?xml[^>]*\?>\s*)?<([A-Za-z_][\w.-]*:)?[A-Za-z]*Response[\s>/]")


def _answers_as_aws(endpoint: str):
    """A before-parse hook that stops at an answer no AWS endpoint gives (an HTML page, a
    404 from another server) with one line, instead of botocore's parse error quoting the body."""
    def check(response_dict, **_):
        body = response_dict.get("body") or b""
        if isinstance(body, bytes) and _AWS_ANSWER.match(body[:1024]):
            return
        status = response_dict.get("status_code")
        kind = ((response_dict.get("headers") or {}).get("content-type") or "").split(";")[0].strip()
        raise CliError("NotAnAWSEndpoint", f"{endpoint} did not answer as an AWS IAM endpoint does "
                                           f"(HTTP {status}, {kind or 'no content type'}); check --endpoint-url.")
    return check


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(code, message) for anything a command may raise."""
    from botocore import exceptions as bex

    if isinstance(exc, CliError):
        return exc.code, exc.message
    if isinstance(exc, bex.ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = err.get("Code") or (f"HTTP{status}" if status else "Unknown")
        return code, err.get("Message") or str(exc)
    if isinstance(exc, bex.NoCredentialsError):
        return "NoCredentials", ("Unable to locate credentials. Set AWS_ACCESS_KEY_ID and "
                                 "AWS_SECRET_ACCESS_KEY, AWS_SHARED_CREDENTIALS_FILE or --profile.")
    if isinstance(exc, bex.PartialCredentialsError):
        return "PartialCredentials", str(exc)
    if isinstance(exc, bex.ProfileNotFound):
        return "ProfileNotFound", str(exc)
    if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectionClosedError)):
        return "EndpointConnectionError", str(exc)
    if isinstance(exc, (bex.ConnectTimeoutError, bex.ReadTimeoutError)):
        return "Timeout", str(exc)
    if isinstance(exc, bex.ParamValidationError):
        return "ParamValidation", str(exc)
    if isinstance(exc, bex.BotoCoreError):
        return type(exc).__name__, str(exc)
    if isinstance(exc, OSError):
        return type(exc).__name__, f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return "InternalError", f"{type(exc).__name__}: {exc}"


def report_error(exc: BaseException) -> None:
    code, message = describe_error(exc)
    click.echo(f"error: {one_line(code)}: {one_line(message)}", err=True)


def warn(message: str) -> None:
    click.echo(f"warning: {one_line(message)}", err=True)


def report_usage_error(exc: click.UsageError) -> None:
    """A usage mistake as one line, like every other failure, and click's exit status 2."""
    hint = f" (see '{exc.ctx.command_path} -h')" if exc.ctx is not None else ""
    click.echo(f"error: UsageError: {one_line(exc.format_message())}{hint}", err=True)
    raise click.exceptions.Exit(EXIT_USAGE)


class AccountGroup(click.Group):
    """The `account` group: turns every failure below it into one `error:` line."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:  # the group's own options (`iamd account --endpoint-url x summary`)
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            report_usage_error(exc)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            report_usage_error(exc)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("error: Interrupted: stopped by the user", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # noqa: BLE001 - the one place that turns anything into a line
            if settings(ctx).debug and not isinstance(exc, CliError) and _is_bug(exc):
                raise
            report_error(exc)
            ctx.exit(EXIT_ERROR)


def _is_bug(exc: BaseException) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError
    return not isinstance(exc, (BotoCoreError, ClientError, OSError))


def no_color_requested() -> bool:
    return settings().no_color or bool(os.environ.get("NO_COLOR"))
