"""The authorization graph: who belongs to what and which policies reach whom.

`build` turns GetAccountAuthorizationDetails output into a networkx DiGraph; `layout`
places it in three columns (principals and instance profiles | groups and roles |
policies), ordered by the barycentre heuristic so that lines cross as little as possible.
A force layout turns a few hundred IAM entities into a hairball; columns stay readable
because IAM edges only ever point "rightwards" (membership, then attachment).
`write` draws it with matplotlib (SVG/PNG) or as a self-contained HTML page.
"""

import logging
from pathlib import Path

import networkx as nx

# kind -> (column, rank inside the column, marker, colour, legend label). Policies share one
# rank so that each sits beside its holders whatever its kind.
KINDS = {
    "user": (0, 0, "o", "#1f77b4", "user"),
    "instance-profile": (0, 1, "s", "#8c564b", "instance profile"),
    "group": (1, 0, "D", "#2ca02c", "group"),
    "role": (1, 1, "h", "#9467bd", "role"),
    "policy": (2, 0, "p", "#ff7f0e", "customer managed policy"),
    "aws-policy": (2, 0, "p", "#d62728", "AWS managed policy"),
    "inline-policy": (2, 0, "v", "#bcbd22", "inline policy"),
}
RELATIONS = {
    "member-of": "#2ca02c",
    "attached": "#ff7f0e",
    "inline": "#bcbd22",
    "boundary": "#e377c2",
    "contains": "#8c564b",
}
EDGE_COLUMNS = ["source_kind", "source", "relation", "target_kind", "target", "source_arn", "target_arn"]
SWEEPS = 4


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _policy_kind(arn: str) -> str:
    return "aws-policy" if arn.split(":")[4:5] == ["aws"] else "policy"


def build(details: dict) -> nx.DiGraph:
    g = nx.DiGraph()

    def node(arn: str, kind: str, label: str) -> str:
        if arn not in g:
            g.add_node(arn, kind=kind, label=label, arn=arn)
        return arn

    def policies(owner: str, entity: dict, inline_key: str) -> None:
        for p in entity.get("AttachedManagedPolicies", []):
            g.add_edge(owner, node(p["PolicyArn"], _policy_kind(p["PolicyArn"]), p["PolicyName"]), relation="attached")
        for p in entity.get(inline_key, []):
            inline = node(f"{owner}#{p['PolicyName']}", "inline-policy", p["PolicyName"])
            g.nodes[inline]["owner"] = owner
            g.add_edge(owner, inline, relation="inline")
        boundary = entity.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        if boundary:
            g.add_edge(owner, node(boundary, _policy_kind(boundary), boundary.rsplit("/", 1)[-1]), relation="boundary")

    for p in details.get("Policies", []):
        node(p["Arn"], _policy_kind(p["Arn"]), p["PolicyName"])
    groups = {}
    for grp in details.get("GroupDetailList", []):
        groups[grp["GroupName"]] = node(grp["Arn"], "group", grp["GroupName"])
        policies(grp["Arn"], grp, "GroupPolicyList")
    for user in details.get("UserDetailList", []):
        u = node(user["Arn"], "user", user["UserName"])
        for gname in user.get("GroupList", []):
            # Without the Group filter the group's path is unknown; "/" is the common case.
            garn = groups.get(gname) or f"arn:aws:iam::{_account_of(user['Arn'])}:group/{gname}"
            g.add_edge(u, node(garn, "group", gname), relation="member-of")
        policies(u, user, "UserPolicyList")
    for role in details.get("RoleDetailList", []):
        r = node(role["Arn"], "role", role["RoleName"])
        for profile in role.get("InstanceProfileList", []):
            g.add_edge(node(profile["Arn"], "instance-profile", profile["InstanceProfileName"]), r, relation="contains")
        policies(r, role, "RolePolicyList")
    return g


def edge_rows(g: nx.DiGraph) -> list[dict]:
    rows = []
    for u, v, data in g.edges(data=True):
        rows.append({"source_kind": g.nodes[u]["kind"], "source": g.nodes[u]["label"], "relation": data["relation"],
                     "target_kind": g.nodes[v]["kind"], "target": g.nodes[v]["label"],
                     "source_arn": g.nodes[u]["arn"], "target_arn": g.nodes[v]["arn"]})
    return sorted(rows, key=lambda r: (r["source_kind"], r["source"], r["relation"], r["target"]))


def columns(g: nx.DiGraph) -> list[list[str]]:
    """Nodes per column, ordered to reduce crossings; unconnected nodes last."""
    cols: list[list[str]] = [[], [], []]
    for n, data in g.nodes(data=True):
        cols[KINDS[data["kind"]][0]].append(n)
    undirected = g.to_undirected(as_view=True)
    y: dict[str, float] = {}

    def place(col: list[str]) -> None:
        for i, n in enumerate(col):
            y[n] = i / max(len(col) - 1, 1)  # columns of any height compare on one scale

    def key(n: str, centre: float) -> tuple:
        return (KINDS[g.nodes[n]["kind"]][1], undirected.degree(n) == 0, centre, y.get(n, 0.0), n)

    for col in cols:
        col.sort(key=lambda n: key(n, 0.0) + (g.nodes[n]["label"].lower(),))
        place(col)
    for _ in range(SWEEPS):
        for c in (1, 2, 1, 0):
            def centre(n: str) -> float:
                near = [y[m] for m in undirected.neighbors(n) if KINDS[g.nodes[m]["kind"]][0] != c]
                return sum(near) / len(near) if near else y[n]
            cols[c].sort(key=lambda n: key(n, centre(n)))
            place(cols[c])
    return cols


def layout(g: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """(x, y) per node: x is the column, y the row counted from the top.

    The first column is stacked one row apart; every later node sits level with the
    average of its already placed neighbours (at least one row below the node above it),
    so a group is drawn beside its members and a policy beside whoever holds it.
    """
    undirected = g.to_undirected(as_view=True)
    pos: dict[str, tuple[float, float]] = {}
    for x, col in enumerate(columns(g)):
        previous = -1.0
        for n in col:
            near = [pos[m][1] for m in undirected.neighbors(n) if m in pos]
            want = sum(near) / len(near) if near else previous + 1
            previous = max(want, previous + 1)
            pos[n] = (float(x), previous)
    return pos


def _plural(noun: str, n: int) -> str:
    if n == 1:
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def caption(g: nx.DiGraph) -> str:
    counts = {}
    for _, data in g.nodes(data=True):
        counts[data["kind"]] = counts.get(data["kind"], 0) + 1
    parts = [f"{counts[k]} {_plural(KINDS[k][4], counts[k])}" for k in KINDS if counts.get(k)]
    return "IAM authorization graph: " + (", ".join(parts) if parts else "no entities")


def write(g: nx.DiGraph, path: str) -> None:
    suffix = Path(path).suffix.lower()
    if suffix == ".html":
        from .graph_html import render_html
        Path(path).write_text(render_html(g, layout(g), caption(g)), encoding="utf-8")
    else:
        # matplotlib's first run announces that it builds its font cache: not the user's business.
        logging.getLogger("matplotlib").setLevel(logging.ERROR)
        from .graph_draw import draw
        draw(g, layout(g), caption(g), path, suffix.lstrip("."))
