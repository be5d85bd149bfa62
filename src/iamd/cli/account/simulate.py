"""`iamd account simulate`: SimulatePrincipalPolicy / SimulateCustomPolicy as a table.

With `--principal ARN` the stored policies of that user, group or role are simulated
(`--policy` adds more); without it the `--policy` documents alone are (SimulateCustomPolicy).
Every action is tried on every resource; the table shows the decision, the statements that
decided it (policy, type, start–end position in the document) and the context keys the
policies wanted but were not given. Documents are JSON text, `file://PATH`, `@PATH` or a
path. Context: `--context KEY=VALUE` (repeat a key for several values) and
`--context-type KEY=TYPE` (string, numeric, boolean, date, ip, binary, or their …List).
All pages are read; `--fail-on-deny` exits 3 when anything is denied (for scripts).
"""

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from .common import CliError, common_options, iam_client, output_format
from .output import console, emit_structured

TYPES = ("string", "numeric", "boolean", "date", "ip", "binary")
CONTEXT_TYPES = TYPES + tuple(f"{t}List" for t in TYPES)
DECISION_STYLE = {"allowed": "green", "explicitDeny": "bold red", "implicitDeny": "yellow"}
EXIT_DENIED = 3
CSV_COLUMNS = ["action", "resource", "decision", "matched", "missing", "boundary"]


def document(value: str) -> str:
    """A policy given as JSON text, `file://PATH`, `@PATH` or a path to a file."""
    text = value.strip()
    if text.startswith("{"):
        return value
    path = text[len("file://"):] if text.startswith("file://") else text[1:] if text.startswith("@") else text
    try:
        return Path(path).expanduser().read_text()
    except OSError as err:
        raise CliError("InvalidPolicy", f"cannot read policy {path}: {err.strerror or err}") from None


def context_entries(pairs: tuple[str, ...], types: tuple[str, ...]) -> list[dict]:
    """ContextEntries from KEY=VALUE pairs (a repeated key is multi-valued) and KEY=TYPE."""
    values: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError("InvalidContext", f"--context wants KEY=VALUE, got {pair!r}")
        values.setdefault(key, []).append(value)
    kinds: dict[str, str] = {}
    for pair in types:
        key, sep, kind = pair.partition("=")
        if not sep or kind not in CONTEXT_TYPES:
            raise CliError("InvalidContext", f"--context-type wants KEY=TYPE with TYPE one of "
                                             f"{', '.join(CONTEXT_TYPES)}, got {pair!r}")
        if key not in values:
            raise CliError("InvalidContext", f"--context-type names {key}, which no --context gives")
        kinds[key] = kind
    entries = []
    for key, vals in values.items():
        kind = kinds.get(key) or ("stringList" if len(vals) > 1 else "string")
        if kind.endswith("List") and len(vals) == 1:
            vals = [v for v in vals[0].split(",")]
        entries.append({"ContextKeyName": key, "ContextKeyValues": vals, "ContextKeyType": kind})
    return entries


def request(principal, policies, boundary, actions, resources, resource_policy, caller, owner, context) -> dict:
    params: dict = {"ActionNames": list(actions)}
    if principal:
        params["PolicySourceArn"] = principal
    if policies or not principal:
        if not policies:
            raise CliError("MissingPolicy", "give --principal ARN or at least one --policy")
        params["PolicyInputList"] = [document(p) for p in policies]
    if boundary:
        params["PermissionsBoundaryPolicyInputList"] = [document(boundary)]
    if resources:
        params["ResourceArns"] = list(resources)
    if resource_policy:
        params["ResourcePolicy"] = document(resource_policy)
    if caller:
        params["CallerArn"] = caller
    if owner:
        params["ResourceOwner"] = owner
    if context:
        params["ContextEntries"] = context
    return params


def run_simulation(client, params: dict) -> list[dict]:
    """Every EvaluationResult, following Marker."""
    op = "simulate_principal_policy" if "PolicySourceArn" in params else "simulate_custom_policy"
    results = []
    for page in client.get_paginator(op).paginate(**params):
        results.extend(page["EvaluationResults"])
    return results


def _specific(result: dict) -> dict:
    specific = result.get("ResourceSpecificResults") or []
    return specific[0] if specific else {}


def matched(result: dict) -> list[str]:
    """`PolicyId (type) line:col-line:col` for each statement that decided."""
    out = []
    for st in result.get("MatchedStatements") or _specific(result).get("MatchedStatements") or []:
        where = ""
        if st.get("StartPosition") and st.get("EndPosition"):
            s, e = st["StartPosition"], st["EndPosition"]
            where = f" {s['Line']}:{s['Column']}-{e['Line']}:{e['Column']}"
        kind = f" ({st['SourcePolicyType']})" if st.get("SourcePolicyType") else ""
        out.append(f"{st.get('SourcePolicyId', '?')}{kind}{where}")
    return out


def missing(result: dict) -> list[str]:
    return list(result.get("MissingContextValues") or _specific(result).get("MissingContextValues") or [])


def boundary_cell(result: dict) -> str:
    detail = result.get("PermissionsBoundaryDecisionDetail")
    if detail is None:
        return ""
    return "allows" if detail.get("AllowedByPermissionsBoundary") else "denies"


def rows(results: list[dict]) -> list[dict]:
    return [{"action": r["EvalActionName"], "resource": r.get("EvalResourceName", "*"),
             "decision": r["EvalDecision"], "matched": matched(r), "missing": missing(r),
             "boundary": boundary_cell(r)} for r in results]


def table(data: list[dict]) -> Table:
    t = Table(title="Simulation", title_justify="left")
    t.add_column("action", no_wrap=True)
    t.add_column("resource", overflow="fold")
    t.add_column("decision", no_wrap=True)
    t.add_column("matched statements", overflow="fold")
    t.add_column("missing context keys", overflow="fold")
    with_boundary = any(r["boundary"] for r in data)
    if with_boundary:
        t.add_column("boundary", no_wrap=True)
    for r in data:
        cells = [r["action"], r["resource"], Text(r["decision"], style=DECISION_STYLE.get(r["decision"], "")),
                 "\n".join(r["matched"]) or "-", ", ".join(r["missing"]) or "-"]
        if with_boundary:
            cells.append(r["boundary"] or "-")
        t.add_row(*cells)
    return t


@click.command("simulate")
@click.option("--action", "-a", "actions", multiple=True, required=True, metavar="SERVICE:ACTION",
              help="Action to simulate (repeat for several), e.g. iam:CreateUser.")
@click.option("--resource", "-r", "resources", multiple=True, metavar="ARN",
              help="Resource ARN to try each action on (repeat; default *).")
@click.option("--principal", "-p", metavar="ARN", help="User, group or role whose stored policies to simulate.")
@click.option("--policy", "policies", multiple=True, metavar="DOC",
              help="Identity policy (JSON, file://PATH, @PATH or PATH); repeat for several.")
@click.option("--boundary", metavar="DOC", help="Permissions boundary to simulate (replaces the stored one).")
@click.option("--resource-policy", metavar="DOC", help="Resource-based policy applied to every resource.")
@click.option("--caller-arn", metavar="ARN", help="IAM user simulated as the caller (for --resource-policy).")
@click.option("--resource-owner", metavar="ARN", help="Account owning the resources, arn:aws:iam::ACCOUNT:root.")
@click.option("--context", "context", multiple=True, metavar="KEY=VALUE",
              help="Context key value; repeat a key for a multi-valued key.")
@click.option("--context-type", "context_types", multiple=True, metavar="KEY=TYPE",
              help=f"Type of a --context key: {', '.join(CONTEXT_TYPES)} (default string).")
@click.option("--fail-on-deny", is_flag=True, help=f"Exit {EXIT_DENIED} when any result is denied.")
@common_options()
def simulate(actions, resources, principal, policies, boundary, resource_policy, caller_arn, resource_owner,
             context, context_types, fail_on_deny):
    """Simulate actions × resources against a principal's policies or given documents."""
    params = request(principal, policies, boundary, actions, resources, resource_policy, caller_arn,
                     resource_owner, context_entries(context, context_types))
    results = run_simulation(iam_client(), params)
    data = rows(results)
    csv_rows = [{**r, "matched": "; ".join(r["matched"]), "missing": ", ".join(r["missing"])} for r in data]
    if not emit_structured(output_format(), {"EvaluationResults": results}, CSV_COLUMNS, csv_rows):
        console().print(table(data))
    if fail_on_deny and any(r["decision"] != "allowed" for r in data):
        raise click.exceptions.Exit(EXIT_DENIED)
