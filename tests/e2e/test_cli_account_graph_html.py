"""The HTML authorization graph as a person sees it: rendered by headless Chromium.

`iamd account authorization-details --graph FILE.html` runs against an iamd of the
module's own (so the graph holds only the entities made here), then Chromium opens the
page and the test reads the element geometry: the header may wrap onto several lines and
the canvas still starts below it, the legend and the hint are on screen and uncovered,
the legend carries every edge colour (as the PNG's does) and every drawn kind's colour,
and no edge runs through the node (circle and label) of an entity that is not one of its ends.

Chromium is Debian's (/usr/bin/chromium, which `make install` installs), driven by
Playwright for Python; Playwright's own browser download is not used.
"""

import json
import re
from pathlib import Path

import pytest
from helpers import TRUST, ok, policy_doc
from helpers import chromium_browser
from helpers import run_account_cli as run_cli

RELATIONS = {"member-of": "#2ca02c", "attached": "#ff7f0e", "inline": "#bcbd22", "boundary": "#e377c2",
             "contains": "#8c564b"}  # as the PNG's legend draws them


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as b:
        yield b


@pytest.fixture(scope="module")
def page_file(own_server, tmp_path_factory):
    """Users with groups, their own inline and attached policies and a boundary; roles in
    instance profiles: every kind of edge, and edges that skip the middle column."""
    iam = own_server.client("iam")
    doc = policy_doc()
    arns = {p: iam.create_policy(PolicyName=p, PolicyDocument=doc)["Policy"]["Arn"]
            for p in ("shared-read", "deploy-tools", "fence", "audit")}
    for grp, policy in (("admins", "audit"), ("developers", "shared-read"), ("operators", "deploy-tools")):
        iam.create_group(GroupName=grp)
        iam.attach_group_policy(GroupName=grp, PolicyArn=arns[policy])
    for i, (groups, inline, attached) in enumerate([
            (["admins", "developers"], True, "deploy-tools"), (["developers"], True, None),
            (["operators"], False, "shared-read"), (["admins", "operators"], True, "audit"),
            ([], True, "fence"), (["developers", "operators"], False, None)]):
        user = f"person-{i}"
        iam.create_user(UserName=user, PermissionsBoundary=arns["fence"]) if i == 1 else iam.create_user(UserName=user)
        for grp in groups:
            iam.add_user_to_group(GroupName=grp, UserName=user)
        if inline:
            iam.put_user_policy(UserName=user, PolicyName=f"{user}-own", PolicyDocument=doc)
        if attached:
            iam.attach_user_policy(UserName=user, PolicyArn=arns[attached])
    for i in range(2):
        iam.create_role(RoleName=f"service-{i}", AssumeRolePolicyDocument=TRUST)
        iam.attach_role_policy(RoleName=f"service-{i}", PolicyArn=arns["shared-read"])
        iam.create_instance_profile(InstanceProfileName=f"profile-{i}")
        iam.add_role_to_instance_profile(InstanceProfileName=f"profile-{i}", RoleName=f"service-{i}")
    path = tmp_path_factory.mktemp("graph") / "graph.html"
    result = run_cli(own_server, "authorization-details", "--graph", str(path))
    assert ok(result) == "" and f"wrote {path}" in result.stderr
    return path


def graph_data(path: Path) -> dict:
    return json.loads(re.search(r'type="application/json">(.*?)</script>', path.read_text(), re.S).group(1))


LAYOUT = """() => {
  const rect = el => { const r = el.getBoundingClientRect();
                       return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; };
  const uncovered = el => { const r = el.getBoundingClientRect();
                            const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
                            return hit !== null && (hit === el || el.contains(hit)); };
  const items = [...document.querySelectorAll("#legend > span")];
  return {
    viewport: {width: innerWidth, height: innerHeight},
    header: rect(document.querySelector("header")), title: rect(document.querySelector("h1")),
    canvas: rect(document.getElementById("canvas")), hint: rect(document.getElementById("hint")),
    hintUncovered: uncovered(document.getElementById("hint")),
    legend: items.map(s => ({kind: s.className, text: s.textContent, box: rect(s), uncovered: uncovered(s),
                             colour: getComputedStyle(s.querySelector("i")).backgroundColor,
                             swatch: rect(s.querySelector("i"))})),
  };
}"""

# Every edge sampled along its drawn path (every 2 px) against every node's box (circle
# and label, from getBBox, moved to where the node is); a sample strictly inside the box
# of a node that is neither end of the edge is a crossing.
CROSSINGS = """() => {
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const paths = [...document.querySelectorAll("path.edge")];
  const boxes = [...document.querySelectorAll("g.node")].map((g, i) => {
    const b = g.getBBox(), n = data.nodes[i];
    return {x0: n.x + b.x + 1, y0: n.y + b.y + 1, x1: n.x + b.x + b.width - 1, y1: n.y + b.y + b.height - 1};
  });
  const through = (e, q, found) => boxes.forEach((b, i) => {
    if (i !== e.s && i !== e.t && q.x > b.x0 && q.x < b.x1 && q.y > b.y0 && q.y < b.y1)
      found.push(data.nodes[e.s].label + " -> " + data.nodes[e.t].label + " through " + data.nodes[i].label);
  });
  const found = [], straight = [];
  paths.forEach((p, k) => {
    const e = data.edges[k], length = p.getTotalLength();
    for (let d = 0; d <= length; d += 2) through(e, p.getPointAtLength(d), found);
    // the same edge drawn as a straight line, to show the case is a real one
    const a = data.nodes[e.s], b = data.nodes[e.t], steps = Math.hypot(b.x - a.x, b.y - a.y) / 2;
    for (let j = 0; j <= steps; j++)
      through(e, {x: a.x + (b.x - a.x) * j / steps, y: a.y + (b.y - a.y) * j / steps}, straight);
  });
  return {edges: paths.length, nodes: boxes.length, crossings: [...new Set(found)],
          straightCrossings: [...new Set(straight)]};
}"""


@pytest.mark.parametrize("width", [520, 1400])
def test_header_legend_and_hint_stay_visible(browser, page_file, width):
    page = browser.new_page(viewport={"width": width, "height": 700})
    try:
        page.goto(page_file.as_uri())
        got = page.evaluate(LAYOUT)
    finally:
        page.close()
    header, canvas = got["header"], got["canvas"]
    if width == 520:  # narrow: the header wraps onto several lines
        assert header["height"] > 3 * got["title"]["height"] / 2 + 40, header
    assert canvas["top"] >= header["bottom"] - 0.5 and canvas["bottom"] <= got["viewport"]["height"] + 0.5
    assert canvas["height"] > 300
    for item in got["legend"] + [{"text": "hint", "box": got["hint"], "uncovered": got["hintUncovered"]}]:
        box = item["box"]
        assert 0 <= box["top"] and box["bottom"] <= header["bottom"] and 0 <= box["left"], item
        assert box["right"] <= got["viewport"]["width"], item
        assert item["uncovered"], f"{item['text']} is covered"
    relations = {item["text"]: item["colour"] for item in got["legend"] if item["kind"] == "relation"}
    assert relations == {r: rgb(c) for r, c in RELATIONS.items()}
    assert all(item["swatch"]["height"] > 0 and item["swatch"]["right"] > item["swatch"]["left"]
               for item in got["legend"])
    data = graph_data(page_file)
    kinds = {item["text"]: item["colour"] for item in got["legend"] if item["kind"] == "kind"}
    drawn = {n["kind"] for n in data["nodes"]}
    assert kinds == {data["kinds"][k]["label"]: rgb(data["kinds"][k]["colour"]) for k in drawn}
    assert {"user", "group", "role", "instance profile", "customer managed policy", "inline policy"} <= set(kinds)


def test_edges_go_round_other_nodes(browser, page_file):
    data = graph_data(page_file)
    column = {k: v["column"] for k, v in data["kinds"].items()}
    skipping = [e for e in data["edges"]
                if column[data["nodes"][e["t"]]["kind"]] - column[data["nodes"][e["s"]]["kind"]] == 2]
    assert {e["r"] for e in skipping} == {"inline", "attached", "boundary"}
    assert any(len(e["p"]) > 2 for e in skipping)  # some had a node in the way and were routed round it
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(page_file.as_uri())
        got = page.evaluate(CROSSINGS)
    finally:
        page.close()
    assert got["edges"] == len(data["edges"]) and got["nodes"] == len(data["nodes"])
    assert any(" through " in c for c in got["straightCrossings"])  # straight, they would cross
    assert got["crossings"] == []
