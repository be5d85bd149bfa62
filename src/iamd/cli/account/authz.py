"""`iamd account authorization-details`: every user, group, role and policy, and how they connect.

GetAccountAuthorizationDetails pages share one budget across its four lists, so the pages
are merged list by list; documents are decoded (analysis/documents.py) so that
`--output json` always shows them as JSON. The graph is analysis/graph.py.
"""

from pathlib import Path

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.tree import Tree

from ...analysis.documents import LISTS, decode_document, decode_documents
from .common import common_options, iam_client, output_format
from .output import console, emit_csv, emit_json, emit_yaml, status_console

FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
GRAPH_SUFFIXES = (".svg", ".png", ".html")


def fetch_details(iam, filters: list[str], on_page=None) -> dict:
    kwargs = {"Filter": list(filters)} if filters else {}
    merged = {name: [] for name in LISTS}
    for number, page in enumerate(iam.get_paginator("get_account_authorization_details").paginate(**kwargs), 1):
        for name in LISTS:
            merged[name] += page.get(name, [])
        if on_page:
            on_page(number, merged)
    return merged


def fetch_with_progress(iam, filters: list[str]) -> dict:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[counts]}"),
               TimeElapsedColumn())
    err = status_console()
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("Authorization details", total=None, counts="")

        def on_page(number, merged):
            counts = ", ".join(f"{len(merged[k])} {label}" for k, label in
                               zip(LISTS, ("users", "groups", "roles", "policies")))
            progress.update(task, description=f"Authorization details: page {number}", counts=counts)
        return fetch_details(iam, filters, on_page)


def _policies_branch(node: Tree, entity: dict, inline_key: str) -> None:
    for p in entity.get("AttachedManagedPolicies", []):
        node.add(f"[green]managed[/green] {escape(p['PolicyName'])} [dim]{escape(p['PolicyArn'])}[/dim]")
    for p in entity.get(inline_key, []):
        node.add(f"[yellow]inline[/yellow] {escape(p['PolicyName'])}")
    boundary = entity.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    if boundary:
        node.add(f"[magenta]boundary[/magenta] {escape(boundary)}")


def user_tree(user: dict, groups_by_name: dict) -> Tree:
    tree = Tree(f"[bold]user {escape(user['UserName'])}[/bold] [dim]{escape(user['Arn'])}[/dim]")
    for gname in user.get("GroupList", []):
        branch = tree.add(f"[blue]group[/blue] {escape(gname)}")
        group = groups_by_name.get(gname)
        if group is not None:
            _policies_branch(branch, group, "GroupPolicyList")
    _policies_branch(tree, user, "UserPolicyList")
    if len(tree.children) == 0:
        tree.add("[dim]no groups, no policies[/dim]")
    return tree


def trusted_principals(role: dict) -> list[str]:
    doc = decode_document(role.get("AssumeRolePolicyDocument"))
    found = []
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal", {}) if isinstance(st, dict) else {}
        if isinstance(principal, str):
            found.append(principal)
            continue
        for values in principal.values():
            found += [values] if isinstance(values, str) else list(values)
    return found


def role_tree(role: dict) -> Tree:
    tree = Tree(f"[bold]role {escape(role['RoleName'])}[/bold] [dim]{escape(role['Arn'])}[/dim]")
    for principal in trusted_principals(role):
        tree.add(f"[cyan]trusts[/cyan] {escape(principal)}")
    for profile in role.get("InstanceProfileList", []):
        tree.add(f"[blue]instance profile[/blue] {escape(profile['InstanceProfileName'])}")
    _policies_branch(tree, role, "RolePolicyList")
    return tree


def render_trees(details: dict, out) -> None:
    groups = {g["GroupName"]: g for g in details["GroupDetailList"]}
    counts = [(len(details[k]), noun) for k, noun in zip(LISTS, ("user", "group", "role", "managed policy"))]
    out.print(", ".join(f"{n} {noun if n == 1 else noun.replace('policy', 'policie') + 's'}" for n, noun in counts))
    for user in details["UserDetailList"]:
        out.print(user_tree(user, groups))
    members = {g for u in details["UserDetailList"] for g in u.get("GroupList", [])}
    for group in details["GroupDetailList"]:
        if group["GroupName"] not in members:
            tree = Tree(f"[bold]group {escape(group['GroupName'])}[/bold] [dim](no members)[/dim]")
            _policies_branch(tree, group, "GroupPolicyList")
            out.print(tree)
    for role in details["RoleDetailList"]:
        out.print(role_tree(role))
    if details["Policies"]:
        tree = Tree("[bold]managed policies[/bold]")
        for p in details["Policies"]:
            tree.add(f"{escape(p['PolicyName'])} [dim]{escape(p['Arn'])}[/dim] "
                     f"attached {p.get('AttachmentCount', 0)}×, default {p.get('DefaultVersionId', '?')}")
        out.print(tree)


def check_graph_path(ctx, param, path: str | None) -> str | None:
    if path and Path(path).suffix.lower() not in GRAPH_SUFFIXES:
        raise click.BadParameter(f"the file must end in .svg, .png or .html, not '{path}'.", ctx=ctx, param=param)
    return path


@click.command("authorization-details")
@click.option("--filter", "filters", multiple=True, type=click.Choice(FILTERS),
              help="Entity type to include (repeatable; default all).")
@click.option("--graph", "graph_path", metavar="FILE", callback=check_graph_path, help="Draw the entities and their links to FILE (.svg, .png or .html).")
@common_options(("table", "json", "yaml", "csv"))
def authorization_details(filters, graph_path):
    """Fetch every entity with its policies: trees, JSON, an edge list or a graph."""
    details = decode_documents(fetch_with_progress(iam_client(), list(dict.fromkeys(filters))))
    fmt = output_format()
    if graph_path:
        from ...analysis import graph
        g = graph.build(details)
        graph.write(g, graph_path)
        click.echo(f"wrote {graph_path}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges", err=True)
        if fmt == "table":
            return
    if fmt == "json":
        emit_json(details)
    elif fmt == "yaml":
        emit_yaml(details)
    elif fmt == "csv":
        from ...analysis import graph
        emit_csv(graph.EDGE_COLUMNS, graph.edge_rows(graph.build(details)))
    else:
        render_trees(details, console())
