"""The authorization graph: who belongs to what and which policies reach whom.

`build` turns GetAccountAuthorizationDetails output into a networkx DiGraph; `layout`
places it in three columns (principals and instance profiles | groups and roles |
policies), ordered by the barycentre heuristic so that lines cross as little as possible.
A force layout turns a few hundred IAM entities into a hairball; columns stay readable
because IAM edges only ever point "rightwards" (membership, then attachment).
`routes` bends an edge that would run through another entity's node or label (a user's
own policy passes the middle column) round it, given the boxes a renderer measured.
`write` draws it with matplotlib (SVG/PNG) or as a self-contained HTML page.
"""

import bisect
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


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in layout units (y grows downwards)


def crosses(p: tuple[float, float], q: tuple[float, float], box: Box) -> bool:
    """Whether the segment p-q passes through the box (Liang-Barsky clipping)."""
    (x0, y0), (dx, dy) = p, (q[0] - p[0], q[1] - p[1])
    low, high = 0.0, 1.0
    for step, room in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if step == 0:
            if room < 0:
                return False
            continue
        t = room / step
        if step < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The free vertical intervals of a column whose boxes cover `spans` (plus one above, one below)."""
    spans = sorted(spans)
    if not spans:
        return []
    merged = [list(spans[0])]
    for top, bottom in spans[1:]:
        if top <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], bottom)
        else:
            merged.append([top, bottom])
    free = [(merged[0][0] - 1.0, merged[0][0])]
    free += [(a[1], b[0]) for a, b in zip(merged, merged[1:])]
    return free + [(merged[-1][1], merged[-1][1] + 1.0)]


def routes(g: nx.DiGraph, pos: dict, boxes: dict[str, Box], clearance: float) -> dict:
    """The points each edge is drawn through, in layout units: (u, v) -> [(x, y), ...].

    An edge whose straight line meets no box but its own ends' stays straight. Any other
    one leaves its source level with it, crosses each column it skips through a free gap
    between that column's boxes (each edge in a gap on a lane of its own), and comes into
    its target level with it; the slanted stretches lie between the columns, where no box
    is. `boxes` are the drawn extents of node and label; `clearance` is the room kept
    between a line and the boxes' sides.
    """
    column = {n: KINDS[d["kind"]][0] for n, d in g.nodes(data=True)}
    left: dict[int, float] = {}
    right: dict[int, float] = {}
    spans: dict[int, list] = {}
    for n, (x0, y0, x1, y1) in boxes.items():
        c = column[n]
        left[c], right[c] = min(left.get(c, x0), x0), max(right.get(c, x1), x1)
        spans.setdefault(c, []).append((y0, y1))
    gaps = {c: _gaps(s) for c, s in spans.items()}
    out: dict = {}
    detours: dict = {}  # (u, v) -> [(column skipped, gap index or None)]
    lanes: dict[tuple[int, int], list] = {}
    by_top = {c: sorted((box[1], n) for n, box in boxes.items() if column[n] == c) for c in spans}
    tallest = max((box[3] - box[1] for box in boxes.values()), default=0.0)

    def y_at(u: str, v: str, x: float) -> float:
        (x0, y0), (x1, y1) = pos[u], pos[v]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def in_the_way(u: str, v: str) -> bool:
        # Per column, only the boxes level with the stretch of the line inside the
        # column's band can be in the way: a long, steep edge is not checked against
        # every row it spans.
        xs = sorted((pos[u][0], pos[v][0]))
        for c in range(column[u], column[v] + 1):
            start, end = max(left.get(c, xs[0]), xs[0]), min(right.get(c, xs[1]), xs[1])
            if start > end:
                continue
            low, high = sorted((y_at(u, v, start), y_at(u, v, end)))
            tops = by_top.get(c, [])
            for _, n in tops[bisect.bisect_left(tops, (low - tallest,)):bisect.bisect_right(tops, (high, "\uffff"))]:
                if n not in (u, v) and crosses(pos[u], pos[v], boxes[n]):
                    return True
        return False

    for u, v in g.edges():
        if not in_the_way(u, v):
            out[(u, v)] = [pos[u], pos[v]]
            continue
        detours[(u, v)] = []
        for c in range(column[u] + 1, column[v]):
            mid = pos[u][1] + (pos[v][1] - pos[u][1]) * (c - column[u]) / (column[v] - column[u])
            free = gaps.get(c, [])
            best = min(range(len(free)), key=lambda i: abs(sum(free[i]) / 2 - mid)) if free else None
            detours[(u, v)].append((c, best))
            if best is not None:
                lanes.setdefault((c, best), []).append((u, v))
    lane_y = {}
    for (c, i), edges in lanes.items():
        top, bottom = gaps[c][i]
        edges.sort(key=lambda e: (pos[e[0]][1], pos[e[1]][1]))
        for k, e in enumerate(edges):
            lane_y[(e, c)] = top + (bottom - top) * (k + 1) / (len(edges) + 1)
    for (u, v), skipped in detours.items():
        points = [pos[u], (right.get(column[u], pos[u][0]) + clearance, pos[u][1])]
        for c, best in skipped:
            if best is not None:  # an empty column has nothing to go round
                y = lane_y[((u, v), c)]
                points += [(left[c] - clearance, y), (right[c] + clearance, y)]
        points += [(left.get(column[v], pos[v][0]) - clearance, pos[v][1]), pos[v]]
        out[(u, v)] = points
    return out


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
