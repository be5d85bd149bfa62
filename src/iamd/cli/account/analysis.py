"""`iamd account who-can` and `iamd account explain`: access analysis on the client.

Both read the account's authorization details (GetAccountAuthorizationDetails, from iamd
or AWS; or a file saved with `authorization-details -o json`) and answer with iamd's own
policy engine (`access.py`), so they say what the server would decide.
"""

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from . import access
from .authz import fetch_with_progress
from .common import CliError, common_options, iam_client, output_format, warn
from .output import console, emit_structured

WHO_CAN_COLUMNS = ["principal", "type", "decision", "conditional_on", "statements", "conditional_statements"]
STATUS_STYLE = {"allowed": "green", "conditional": "yellow", "explicitDeny": "bold red", "implicitDeny": "red"}


def load_details(path: str | None) -> dict:
    """The authorization details: from a file (`-` for stdin) or fetched now."""
    if path is None:
        return fetch_with_progress(iam_client(), [])
    try:
        text = click.get_text_stream("stdin").read() if path == "-" else Path(path).read_text()
        details = json.loads(text)
    except ValueError as err:
        raise CliError("InvalidParameterValue", f"--details {path} is not JSON: {err}") from None
    if not isinstance(details, dict) or not any(k in details for k in ("UserDetailList", "RoleDetailList")):
        raise CliError("InvalidParameterValue",
                       f"--details {path} is not GetAccountAuthorizationDetails output.")
    return details


def load_account(path: str | None) -> access.Account:
    account = access.Account(load_details(path))
    for w in account.warnings:
        warn(w)
    return account


def details_option(f):
    return click.option("--details", "details_path", metavar="FILE",
                        help="Read the authorization details from FILE (authorization-details -o json; "
                             "'-' for stdin) instead of fetching them.")(f)


def _style(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


@click.command("who-can")
@click.argument("action")
@click.option("--resource", "-r", default="*", show_default=True, metavar="ARN", help="The resource acted on.")
@click.option("--definite", is_flag=True, help="Leave out principals allowed only under some context.")
@details_option
@common_options(("table", "json", "yaml", "csv"))
def who_can(action, resource, definite, details_path):
    """Every user and role that may perform ACTION (on --resource), and through which statements."""
    if ":" not in action:
        raise CliError("InvalidParameterValue", f"ACTION must be service:Action, not '{action}'.")
    account = load_account(details_path)
    answers = access.who_can(account, action, resource, include_conditional=not definite)
    rows = [access.answer_dict(account, a) for a in answers]
    fmt = output_format()
    csv_rows = [{**r, "statements": "; ".join(access.statement_label(s) for s in r["statements"]),
                 "conditional_statements": "; ".join(access.statement_label(s) for s in r["conditional_statements"]),
                 "conditional_on": " ".join(r["conditional_on"])} for r in rows]
    if emit_structured(fmt, rows, WHO_CAN_COLUMNS, csv_rows):
        return
    out = console()
    if not rows:
        out.print(f"Nobody may perform {escape(action)} on {escape(resource)}.")
        return
    table = Table(title=f"{len(rows)} principal(s) may perform {escape(action)} on {escape(resource)}",
                  title_justify="left")
    for c in ("principal", "decision", "through", "depends on"):
        table.add_column(c, overflow="fold")
    for r in rows:
        through = "\n".join(escape(access.statement_label(s)) for s in r["statements"])
        if r["decision"] == "conditional":
            through = "\n".join(filter(None, [through, *(f"[yellow]if[/] {escape(access.statement_label(s))}"
                                                     for s in r["conditional_statements"])]))
        table.add_row(escape(f"{r['type']} {r['name']}"), _style(r["decision"]), through or "-",
                      escape(", ".join(r["conditional_on"])) or "-")
    out.print(table)


@click.command("explain")
@click.argument("principal")
@click.argument("action")
@click.argument("resource", required=False, default="*")
@click.option("--context", "contexts", multiple=True, metavar="KEY=VALUE",
              help="A context value the request would carry (repeatable; a key repeated makes a list).")
@details_option
@common_options(("table", "json", "yaml"))
def explain(principal, action, resource, contexts, details_path):
    """The decision for PRINCIPAL (user or role: name or ARN) doing ACTION on RESOURCE, and why."""
    context = parse_context(contexts)
    account = load_account(details_path)
    who = account.find(principal)
    if who is None:
        raise CliError("NoSuchEntity", f"No user or role named {principal} in the authorization details.")
    answer = access.decide(account, who, action, resource, context, explain=True)
    data = access.answer_dict(account, answer, with_text=True)
    data["missing_context_keys"] = list(answer.decision.missing)
    if who.policies.boundary is not None:
        data["permissions_boundary"] = who.boundary_arn
    if emit_structured(output_format(), data):
        return
    render_explanation(data)


def parse_context(pairs) -> dict:
    out: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError("InvalidParameterValue", f"--context must be KEY=VALUE, not '{pair}'.")
        k = key.strip().lower()
        if k in out:
            prev = out[k]
            out[k] = (*prev, value) if isinstance(prev, tuple) else (prev, value)
        else:
            out[k] = value
    return out


def render_explanation(data: dict) -> None:
    out = console()
    out.print(f"{escape(data['type'])} {escape(data['name'])} [dim]{escape(data['principal'])}[/dim]")
    out.print(f"{escape(data['action'])} on {escape(data['resource'])}: {_style(data['decision'])}"
              + (f" (as evaluated without those keys: {data['engine_decision']})"
                 if data["decision"] == "conditional" else ""))
    if data["conditional_on"]:
        out.print(f"depends on: {escape(', '.join(data['conditional_on']))}")
    if data.get("denied_by"):
        out.print(f"decided by: {escape(data['denied_by'])} policies")
    if data.get("permissions_boundary"):
        verdict = "allows" if data["boundary_allowed"] else "does not allow"
        out.print(f"permissions boundary {escape(data['permissions_boundary'])} {verdict} it")
    if data.get("trust_policy"):
        out.print("judged with the role's trust policy as its resource policy")
    shown = False
    for title, key in (("deciding statements", "statements"),
                       ("statements that depend on absent context keys", "conditional_statements"),
                       ("identity statements that allow it, cut by the boundary", "allowed_without_boundary")):
        if data.get(key):
            out.print(statements_table(title, data[key]))
            shown = True
    if not shown:
        out.print("No statement allows or denies it.")


def statements_table(title: str, statements: list) -> Table:
    table = Table(title=title, title_justify="left")
    for c in ("effect", "policy", "statement"):
        table.add_column(c, overflow="fold")
    for s in statements:
        table.add_row(s["effect"], escape(access.statement_label(s)),
                      escape(json.dumps(s.get("text"), separators=(",", ":"))))
    return table
