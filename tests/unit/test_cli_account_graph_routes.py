"""Edges of the PNG/SVG graph go round every node that is not their own.

The figure is drawn as for a file, then measured as drawn: each node's box is its marker
(at its offset, the marker's size) and its label's extent (with its white pad), in display
pixels; each edge is the path in the drawn LineCollection. matplotlib's own geometry
(Path.intersects_bbox) decides whether a path meets a box.
"""

import random

import pytest
from matplotlib.path import Path
from matplotlib.transforms import Bbox

from iamd.analysis.graph import KINDS, build, caption, crosses, layout, routes
from iamd.analysis.graph_draw import LABEL_FONT, LABEL_PAD, figure, marker_half_points
from test_cli_account_graph import arn, details, managed


def drawn(g):
    pos = layout(g)
    drawing = figure(g, pos, caption(g))
    fig = drawing.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = drawing.edges.axes
    half = marker_half_points() * fig.dpi / 72
    pad = LABEL_PAD * LABEL_FONT * fig.dpi / 72
    boxes = {}
    for n, text in drawing.labels.items():
        x, y = ax.transData.transform(pos[n])
        marker = Bbox.from_extents(x - half, y - half, x + half, y + half)
        boxes[n] = Bbox.union([marker, text.get_window_extent(renderer).padded(pad)])
    paths = {(u, v): ax.transData.transform_path(path)
             for (u, v), path in zip(g.edges(), drawing.edges.get_paths())}
    return pos, boxes, paths, ax


def meets(path: Path, box: Bbox) -> bool:
    return path.intersects_bbox(box.padded(-0.5), filled=False)  # half a pixel: touching is not crossing


def in_the_way(g, boxes, paths):
    return [(g.nodes[u]["label"], g.nodes[v]["label"], g.nodes[n]["label"])
            for (u, v), path in paths.items() for n, box in boxes.items() if n not in (u, v) and meets(path, box)]


def skipping(g):
    column = {n: KINDS[d["kind"]][0] for n, d in g.nodes(data=True)}
    return [(u, v) for u, v in g.edges() if column[v] - column[u] == 2]


def test_a_users_own_policies_go_round_the_groups_between():
    g = build(details())
    pos, boxes, paths, ax = drawn(g)
    alice = arn("user", "alice")
    skip = skipping(g)
    assert {(g.nodes[u]["label"], g.nodes[v]["label"]) for u, v in skip} == {
        ("alice", "self-manage"), ("alice", "fence"), ("bob", "ReadOnlyAccess")}
    # The straight line alice -> her inline policy would run through a group's node: the
    # case is a real one ...
    inline = next(v for u, v in skip if u == alice and g.nodes[v]["kind"] == "inline-policy")
    straight = Path(ax.transData.transform([pos[alice], pos[inline]]))
    assert any(meets(straight, boxes[n]) for n in boxes if g.nodes[n]["kind"] == "group")
    # ... and the drawn edge goes round it, as every other edge goes round what is not its own.
    assert len(paths[(alice, inline)].vertices) > 2
    assert in_the_way(g, boxes, paths) == []
    # the ends are where the nodes are
    for (u, v), path in paths.items():
        assert tuple(path.vertices[0]) == pytest.approx(tuple(ax.transData.transform(pos[u])))
        assert tuple(path.vertices[-1]) == pytest.approx(tuple(ax.transData.transform(pos[v])))


def test_no_edge_crosses_another_node_on_a_busy_account():
    random.seed(11)
    pols = [f"policy-{i}" for i in range(15)]
    groups = [{"GroupName": f"group-{i}", "Arn": arn("group", f"group-{i}"), "GroupPolicyList": [],
               "AttachedManagedPolicies": [managed(random.choice(pols))]} for i in range(10)]
    users = [{"UserName": f"user-{i}", "Arn": arn("user", f"user-{i}"),
              "GroupList": random.sample([grp["GroupName"] for grp in groups], random.randint(0, 3)),
              "UserPolicyList": [{"PolicyName": f"inline-{i}"}] if random.random() < 0.4 else [],
              "AttachedManagedPolicies": [managed(p) for p in random.sample(pols, random.randint(0, 2))]}
             for i in range(40)]
    roles = [{"RoleName": f"role-{i}", "Arn": arn("role", f"role-{i}"), "RolePolicyList": [],
              "AttachedManagedPolicies": [managed(random.choice(pols))],
              "InstanceProfileList": [{"InstanceProfileName": f"profile-{i}", "Arn": arn("instance-profile", f"p{i}")}]}
             for i in range(6)]
    g = build({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": []})
    pos, boxes, paths, ax = drawn(g)
    skip = skipping(g)
    assert len(skip) > 20
    straight_hits = [e for e in skip if any(meets(Path(ax.transData.transform([pos[e[0]], pos[e[1]]])), boxes[n])
                                            for n in boxes if n not in e)]
    assert len(straight_hits) > 5  # drawn straight, many would run through a group or a role
    assert in_the_way(g, boxes, paths) == []


def test_crosses_is_segment_against_box():
    box = (1.0, 1.0, 2.0, 2.0)
    assert crosses((0, 1.5), (3, 1.5), box) and crosses((1.5, 0), (1.5, 3), box)
    assert crosses((1.2, 1.2), (1.4, 1.4), box)  # wholly inside
    assert not crosses((0, 0), (3, 0.9), box) and not crosses((0, 2.5), (0.9, 0), box)
    assert crosses((0, 0), (3, 3), box) and not crosses((0, 3), (0.9, 2.2), box)


def test_routes_keep_a_clear_line_straight_and_detour_through_free_gaps():
    g = build(details())
    pos = layout(g)
    boxes = {n: (x - 0.05, y - 0.3, x + 0.4 if x > 0 else x + 0.05, y + 0.3) for n, (x, y) in pos.items()}
    drawn_routes = routes(g, pos, boxes, 0.02)
    for (u, v), points in drawn_routes.items():
        assert points[0] == pos[u] and points[-1] == pos[v]
        for p, q in zip(points, points[1:]):
            assert not any(crosses(p, q, box) for n, box in boxes.items() if n not in (u, v)), (u, v)
    straight = [e for e, points in drawn_routes.items() if len(points) == 2]
    assert (arn("instance-profile", "web-ip"), arn("role", "web")) in straight
