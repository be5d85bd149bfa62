"""The authorization graph (iamd.analysis.graph): structure, layout and the three files."""

import json
import random
import re
from xml.etree import ElementTree

from iamd.analysis.graph import build, caption, columns, edge_rows, layout, write
from iamd.analysis.graph_html import render_html

A = "123456789012"


def arn(kind, name):
    return f"arn:aws:iam::{A}:{kind}/{name}"


def managed(name, owner="policy"):
    return {"PolicyName": name, "PolicyArn": arn(owner, name) if owner == "policy" else f"arn:aws:iam::aws:policy/{name}"}


def details():
    return {
        "UserDetailList": [
            {"UserName": "alice", "Arn": arn("user", "alice"), "GroupList": ["admins", "devs"],
             "UserPolicyList": [{"PolicyName": "self-manage", "PolicyDocument": {}}], "AttachedManagedPolicies": [],
             "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn("policy", "fence")}},
            {"UserName": "bob", "Arn": arn("user", "bob"), "GroupList": ["devs"], "UserPolicyList": [],
             "AttachedManagedPolicies": [managed("ReadOnlyAccess", "aws")]},
            {"UserName": "loner", "Arn": arn("user", "loner"), "GroupList": [], "UserPolicyList": [],
             "AttachedManagedPolicies": []},
        ],
        "GroupDetailList": [
            {"GroupName": "admins", "Arn": arn("group", "ops/admins"), "GroupPolicyList": [],
             "AttachedManagedPolicies": [managed("AdministratorAccess", "aws")]},
            {"GroupName": "devs", "Arn": arn("group", "devs"), "GroupPolicyList": [{"PolicyName": "dev-extra"}],
             "AttachedManagedPolicies": [managed("s3-read")]},
        ],
        "RoleDetailList": [
            {"RoleName": "web", "Arn": arn("role", "web"), "RolePolicyList": [], "AttachedManagedPolicies": [managed("s3-read")],
             "InstanceProfileList": [{"InstanceProfileName": "web-ip", "Arn": arn("instance-profile", "web-ip")}]},
        ],
        "Policies": [
            {"PolicyName": "s3-read", "Arn": arn("policy", "s3-read")},
            {"PolicyName": "fence", "Arn": arn("policy", "fence")},
            {"PolicyName": "unused", "Arn": arn("policy", "unused")},
        ],
    }


def test_build_nodes_and_edges():
    g = build(details())
    kinds = {d["label"]: d["kind"] for _, d in g.nodes(data=True)}
    assert kinds == {"alice": "user", "bob": "user", "loner": "user", "admins": "group", "devs": "group",
                     "web": "role", "web-ip": "instance-profile", "s3-read": "policy", "fence": "policy",
                     "unused": "policy", "ReadOnlyAccess": "aws-policy", "AdministratorAccess": "aws-policy",
                     "self-manage": "inline-policy", "dev-extra": "inline-policy"}
    rel = {(g.nodes[u]["label"], d["relation"], g.nodes[v]["label"]) for u, v, d in g.edges(data=True)}
    assert rel == {("alice", "member-of", "admins"), ("alice", "member-of", "devs"), ("bob", "member-of", "devs"),
                   ("alice", "inline", "self-manage"), ("alice", "boundary", "fence"),
                   ("bob", "attached", "ReadOnlyAccess"), ("admins", "attached", "AdministratorAccess"),
                   ("devs", "inline", "dev-extra"), ("devs", "attached", "s3-read"), ("web", "attached", "s3-read"),
                   ("web-ip", "contains", "web")}
    # a group with a path is found by name from the user's GroupList
    assert arn("group", "ops/admins") in g


def test_group_without_group_filter_gets_a_node_from_the_user():
    d = details()
    d["GroupDetailList"] = []
    g = build(d)
    assert g.nodes[arn("group", "devs")]["kind"] == "group"


def test_edge_rows_sorted_and_complete():
    rows = edge_rows(build(details()))
    assert len(rows) == 11
    assert rows == sorted(rows, key=lambda r: (r["source_kind"], r["source"], r["relation"], r["target"]))
    assert {"source_kind": "instance-profile", "source": "web-ip", "relation": "contains", "target_kind": "role",
            "target": "web", "source_arn": arn("instance-profile", "web-ip"), "target_arn": arn("role", "web")} in rows


def test_layout_columns_rows_and_unconnected_last():
    g = build(details())
    pos = layout(g)
    cols = columns(g)
    assert [g.nodes[n]["kind"] for n in cols[0]][-1] == "instance-profile"
    users = [g.nodes[n]["label"] for n in cols[0] if g.nodes[n]["kind"] == "user"]
    assert users[-1] == "loner"  # no edges: out of the way at the bottom of its block
    for n, (x, _) in pos.items():
        expected = {"user": 0, "instance-profile": 0, "group": 1, "role": 1}.get(g.nodes[n]["kind"], 2)
        assert x == expected
    for c in range(3):  # at least one row between nodes of a column
        ys = sorted(y for x, y in pos.values() if x == c)
        assert all(b - a >= 1 for a, b in zip(ys, ys[1:]))


def test_layout_reduces_crossings_on_a_large_account():
    random.seed(7)
    pols = [{"PolicyName": f"p{i}", "Arn": arn("policy", f"p{i}")} for i in range(40)]
    groups = [{"GroupName": f"g{i}", "Arn": arn("group", f"g{i}"), "GroupPolicyList": [],
               "AttachedManagedPolicies": [{"PolicyName": p["PolicyName"], "PolicyArn": p["Arn"]}
                                           for p in random.sample(pols, 2)]} for i in range(20)]
    users = [{"UserName": f"u{i}", "Arn": arn("user", f"u{i}"), "GroupList": [f"g{i % 20}"], "UserPolicyList": [],
              "AttachedManagedPolicies": []} for i in range(300)]
    g = build({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": [], "Policies": pols})
    pos = layout(g)

    def crossings(p):
        edges = [(p[u][1], p[v][1]) for u, v, d in g.edges(data=True) if d["relation"] == "member-of"]
        return sum(1 for i, (a, b) in enumerate(edges) for c, d in edges[i + 1:] if (a - c) * (b - d) < 0)
    # each group's members end up together: member-of edges do not cross at all
    assert crossings(pos) == 0
    assert len(pos) == 360


def test_svg_names_every_entity(tmp_path):
    g = build(details())
    path = tmp_path / "g.svg"
    write(g, str(path))
    root = ElementTree.parse(path).getroot()
    texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {d["label"] for _, d in g.nodes(data=True)} <= texts
    assert caption(g) in texts


def test_png_signature(tmp_path):
    path = tmp_path / "g.png"
    write(build(details()), str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000


def test_html_is_self_contained_and_carries_the_graph(tmp_path):
    g = build(details())
    path = tmp_path / "g.html"
    write(g, str(path))
    page = path.read_text()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)  # no CDN, no remote asset
    data = json.loads(re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert {n["label"] for n in data["nodes"]} == {d["label"] for _, d in g.nodes(data=True)}
    assert len(data["edges"]) == g.number_of_edges()


def test_html_escapes_names_that_could_close_the_script():
    d = {"UserDetailList": [{"UserName": "x</script><b>", "Arn": arn("user", "x"), "GroupList": []}]}
    g = build(d)
    page = render_html(g, layout(g), caption(g))
    assert "x</script><b>" not in page and "x\\u003c/script>\\u003cb>" in page
