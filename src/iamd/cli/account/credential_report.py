"""`iamd account credential-report`: generate (if needed), fetch, show, and judge.

GenerateCredentialReport answers COMPLETE while a report younger than four hours exists,
so calling it first is how "generate if needed" is done; the spinner shows the state IAM
reports until the report can be fetched.
"""

import time
from datetime import datetime, timezone

import click
from botocore.exceptions import ClientError
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ...analysis import findings as fnd
from .common import CliError, common_options, iam_client, output_format, warn
from .output import console, emit_csv, emit_json, emit_yaml, status_console

DEFAULT_COLUMNS = [
    "user", "password_enabled", "password_last_used", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
]
FINDING_COLUMNS = ["severity", "user", "check", "detail", "arn"]
# AWS's report columns, in its order (the IAM User Guide's "Credential report format").
REPORT_COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
]


def fetch_report(iam, timeout: float = 300, sleep=time.sleep, clock=time.monotonic, show=None) -> dict:
    """Generate-then-get until the report is there; `show(state)` is told every state seen."""
    deadline = clock() + timeout
    delay = 0.2
    while True:
        state = iam.generate_credential_report().get("State", "")
        if show:
            show(state)
        if state == "COMPLETE":
            try:
                return iam.get_credential_report()
            except ClientError as exc:
                # Another client may have started a fresh generation between the two calls.
                if exc.response.get("Error", {}).get("Code") not in ("ReportInProgress", "ReportNotPresent"):
                    raise
        if clock() >= deadline:
            raise CliError("ReportInProgress", f"The credential report was not ready after {timeout:g} seconds.")
        sleep(delay)
        delay = min(delay * 2, 2.0)


def fetch_with_spinner(iam, timeout: float) -> dict:
    err = status_console()
    if not err.is_terminal:  # a log or a pipe gets no animation, only the result
        return fetch_report(iam, timeout)
    with err.status("Credential report: requesting…", spinner="dots") as status:
        return fetch_report(iam, timeout, show=lambda s: status.update(f"Credential report: {s or 'waiting'}…"))


def escalation_findings(iam) -> list:
    """Privilege-escalation findings from the authorization details (escalation.py); a
    warning and none when the caller may not read them."""
    from . import access, escalation
    from .authz import fetch_details
    try:
        details = fetch_details(iam, [])
    except ClientError as exc:
        warn(f"cannot read the authorization details ({exc.response.get('Error', {}).get('Code')}); "
             "no privilege-escalation findings")
        return []
    account = access.Account(details)
    for w in account.warnings:
        warn(w)
    return escalation.find(account)


def max_password_age(iam) -> int | None:
    """The policy's MaxPasswordAge, or None without a policy (or without leave to read it)."""
    try:
        policy = iam.get_account_password_policy()["PasswordPolicy"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code != "NoSuchEntity":
            warn(f"cannot read the password policy ({code}); password age is judged by "
                 "the report's password_next_rotation only")
        return None
    return policy.get("MaxPasswordAge") if policy.get("ExpirePasswords", True) else None


# Short headings for the table (the CSV/JSON keep AWS's column names).
HEADINGS = {
    "user": "user", "password_enabled": "password", "password_last_used": "pw used",
    "mfa_active": "mfa", "access_key_1_active": "key 1", "access_key_1_last_rotated": "key 1 rotated",
    "access_key_1_last_used_date": "key 1 used", "access_key_2_active": "key 2",
    "access_key_2_last_rotated": "key 2 rotated", "access_key_2_last_used_date": "key 2 used",
}
# Report tokens in words: the table is for reading; --output csv/json keep the tokens.
WORDS = {"true": "yes", "false": "no", "N/A": "-", "no_information": "never", "not_supported": "n/a"}


def _cell(column: str, value: str) -> str:
    t = fnd.parse_time(value)
    if t is not None:
        return t.strftime("%Y-%m-%d")  # the day is what a reader judges; CSV/JSON keep the time
    if column == "mfa_active" and value == "false":
        return "[red]no[/red]"
    return escape(WORDS.get(value, value))


def report_table(rows: list[dict], columns: list[str], generated=None) -> Table:
    title = "Credential report"
    if generated is not None:
        title += f" generated {generated.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
    # Ten columns: a frame without inner rules keeps the table inside 100 columns.
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False)
    cells = [[_cell(c, row.get(c, "")) for c in columns] for row in rows]
    for i, c in enumerate(columns):
        # Values never fold (a date or name split over two lines is hard to read);
        # headings wrap instead when the terminal is narrow.
        widest = max((Text.from_markup(r[i]).cell_len for r in cells), default=1)
        table.add_column(HEADINGS.get(c, c.replace("_", " ")), min_width=widest, overflow="fold")
    for r in cells:
        table.add_row(*r)
    return table


SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def findings_table(found: list[fnd.Finding]) -> Table:
    table = Table(title=f"{len(found)} finding(s)", title_justify="left")
    for c in ("severity", "user", "check", "detail"):
        table.add_column(c, no_wrap=(c != "detail"), overflow="fold")
    for f in found:
        style = SEVERITY_STYLE.get(f.severity, "")
        table.add_row(f"[{style}]{f.severity}[/]" if style else f.severity, escape(f.user), f.check, escape(f.detail))
    return table


def parse_columns(ctx, param, spec: str | None) -> list[str] | None:
    """--columns as a list (None: the default set), checked against AWS's columns before any call."""
    if not spec or spec.strip() == "all":
        return None if not spec else list(REPORT_COLUMNS)
    wanted = [c.strip() for c in spec.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in REPORT_COLUMNS]
    if unknown or not wanted:
        raise click.BadParameter(f"unknown report column(s): {', '.join(unknown) or repr(spec)}. "
                                 f"Columns: all, {', '.join(REPORT_COLUMNS)}", ctx=ctx, param=param)
    return wanted


def pick_columns(wanted: list[str] | None, header: list[str]) -> list[str]:
    if wanted is None:
        return [c for c in DEFAULT_COLUMNS if c in header] or header
    return wanted


def parse_as_of(ctx, param, value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    t = fnd.parse_time(value)
    if t is None:
        raise click.BadParameter(f"must be an ISO 8601 date or time, not '{value}'.", ctx=ctx, param=param)
    return t


@click.command("credential-report")
@click.option("--findings", "show_findings", is_flag=True,
              help="List security findings instead of the report.")
@click.option("--max-key-age", type=click.IntRange(min=0), default=90, show_default=True,
              help="Days after which an active access key is too old.")
@click.option("--max-unused", type=click.IntRange(min=0), default=90, show_default=True,
              help="Days after which an unused password or key is a finding.")
@click.option("--as-of", "now", metavar="DATE", callback=parse_as_of, help="Judge ages as of this ISO 8601 date (default: now).")
@click.option("--columns", metavar="LIST", callback=parse_columns, help="Comma-separated report columns for the table, or 'all'.")
@click.option("--escalation/--no-escalation", default=True, show_default=True,
              help="With --findings: also analyse the authorization details for privilege escalation.")
@click.option("--timeout", type=click.FloatRange(min=0), default=300, show_default=True,
              help="Seconds to wait for the report to be generated.")
@common_options(("table", "csv", "json", "yaml"))
def credential_report(show_findings, max_key_age, max_unused, now, columns, escalation, timeout):
    """Generate the credential report if needed and show it (or its findings)."""
    iam = iam_client()
    response = fetch_with_spinner(iam, timeout)
    content = response["Content"]
    rows = fnd.parse_report(content)
    fmt = output_format()
    if show_findings:
        found = fnd.find(rows, now, max_key_age, max_unused, max_password_age(iam))
        if escalation:
            found += escalation_findings(iam)
        dicts = [f.as_dict() for f in found]
        if fmt == "json":
            emit_json(dicts)
        elif fmt == "yaml":
            emit_yaml(dicts)
        elif fmt == "csv":
            emit_csv(FINDING_COLUMNS, dicts)
        elif found:
            console().print(findings_table(found))
        else:
            console().print("No findings.")
        return
    if fmt == "csv":
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        click.echo(text if text.endswith("\n") else text + "\n", nl=False)
    elif fmt == "json":
        emit_json(rows)
    elif fmt == "yaml":
        emit_yaml(rows)
    else:
        header = list(rows[0].keys()) if rows else list(DEFAULT_COLUMNS)
        console().print(report_table(rows, pick_columns(columns, header), response.get("GeneratedTime")))
