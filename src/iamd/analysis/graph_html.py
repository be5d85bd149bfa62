"""The authorization graph as one self-contained HTML page (inline SVG and JavaScript).

No CDN, no external file: the page must open on an air-gapped machine and be mailable.
The layout is computed in Python (graph.layout) and embedded as JSON; the script only
draws, pans, zooms, searches, and on click highlights everything that reaches or is
reached from the chosen entity (e.g. every user a policy applies to).
"""

import html
import json

from .graph import KINDS, RELATIONS, routes

COLUMN_PX = 430  # at least; wider when the middle column's labels need it
ROW_PX = 22
# The page's geometry in pixels, as its style sheet draws it: a node's circle (with the
# search highlight's stroke), its label beside it, and an estimate of a label's width
# (11 px system-ui averages under 7 px a character) to route edges round the boxes.
MARKER_PX = 7
LABEL_GAP_PX = 9
LABEL_HALF_HEIGHT_PX = 8
CHAR_PX = 7
CLEARANCE_PX = 10


def _label_px(label: str) -> float:
    return LABEL_GAP_PX + CHAR_PX * len(label)


def column_px(g) -> float:
    middle = [_label_px(d["label"]) for _, d in g.nodes(data=True) if KINDS[d["kind"]][0] == 1]
    return max([COLUMN_PX] + [w + 6 * CLEARANCE_PX for w in middle])


def node_boxes(g, pos: dict, col_px: float) -> dict:
    """Each node's circle and label as a box in layout units; column 0's labels are on the left."""
    boxes = {}
    for n, d in g.nodes(data=True):
        x, y = pos[n]
        width = _label_px(d["label"])
        left, right = (width, MARKER_PX) if KINDS[d["kind"]][0] == 0 else (MARKER_PX, width)
        half = max(MARKER_PX, LABEL_HALF_HEIGHT_PX) / ROW_PX
        boxes[n] = (x - left / col_px, y - half, x + right / col_px, y + half)
    return boxes


def graph_data(g, pos: dict) -> dict:
    col_px = column_px(g)
    index = {n: i for i, n in enumerate(g.nodes)}
    nodes = [{"id": i, "label": d["label"], "kind": d["kind"], "arn": d["arn"],
              "x": pos[n][0] * col_px, "y": pos[n][1] * ROW_PX}
             for n, i in index.items() for d in (g.nodes[n],)]
    drawn = routes(g, pos, node_boxes(g, pos, col_px), CLEARANCE_PX / col_px)
    edges = [{"s": index[u], "t": index[v], "r": d["relation"],
              "p": [[round(x * col_px, 1), round(y * ROW_PX, 1)] for x, y in drawn[(u, v)]]}
             for u, v, d in g.edges(data=True)]
    kinds = {k: {"column": v[0], "colour": v[3], "label": v[4]} for k, v in KINDS.items()}
    return {"nodes": nodes, "edges": edges, "kinds": kinds, "relations": RELATIONS}


def _script_json(data: dict) -> str:
    # "<" escaped so that no name can close the <script> element early.
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def render_html(g, pos: dict, title: str) -> str:
    return PAGE.replace("%TITLE%", html.escape(title)).replace("%DATA%", _script_json(graph_data(g, pos)))


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%TITLE%</title>
<style>
  html, body { margin: 0; height: 100%; font: 13px system-ui, sans-serif; color: #222; }
  body { display: flex; flex-direction: column; }
  header { flex: none; padding: 6px 10px; border-bottom: 1px solid #ddd; display: flex; gap: 6px 14px;
           align-items: center; flex-wrap: wrap; background: #fff; }
  header h1 { font-size: 14px; margin: 0; font-weight: 600; }
  #legend { display: flex; flex-wrap: wrap; gap: 2px 10px; }
  #legend span { white-space: nowrap; }
  #legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; vertical-align: -1px; }
  #legend .relation i { width: 18px; height: 3px; border-radius: 0; vertical-align: 3px; }
  #hint { color: #777; }
  #canvas { flex: 1 1 auto; min-height: 0; position: relative; cursor: grab; }
  svg { display: block; width: 100%; height: 100%; background: #fff; }
  .edge { stroke-width: 1; opacity: .35; stroke-linejoin: round; }
  .node text { font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
  .dim { opacity: .08 !important; }
  .hit circle { stroke: #000; stroke-width: 2.5; }
  #tip { position: fixed; pointer-events: none; background: #222; color: #fff; padding: 4px 7px; border-radius: 3px;
         font-size: 12px; display: none; max-width: 60ch; word-break: break-all; }
</style>
</head>
<body>
<header>
  <h1>%TITLE%</h1>
  <input id="search" type="search" placeholder="search names or ARNs" size="28">
  <span id="legend"></span>
  <span id="hint">drag to pan, wheel to zoom, click an entity to trace it, Esc to reset</span>
</header>
<div id="canvas"><svg id="svg" xmlns="http://www.w3.org/2000/svg"><g id="view"></g></svg></div>
<div id="tip"></div>
<script id="graph-data" type="application/json">%DATA%</script>
<script>
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const view = document.getElementById("view"), svg = document.getElementById("svg");
  const tip = document.getElementById("tip");
  const out = data.nodes.map(() => []), inn = data.nodes.map(() => []);
  data.edges.forEach((e, i) => { out[e.s].push(i); inn[e.t].push(i); });

  const legend = document.getElementById("legend");
  const shown = new Set(data.nodes.map(n => n.kind));
  function legendItem(cls, colour, label) {
    const s = document.createElement("span"), i = document.createElement("i");
    s.className = cls;
    i.style.background = colour;
    s.appendChild(i);
    s.appendChild(document.createTextNode(label));
    legend.appendChild(s);
  }
  // As in the PNG: the kinds of entity drawn, then every kind of edge.
  Object.entries(data.kinds).forEach(([k, v]) => { if (shown.has(k)) legendItem("kind", v.colour, v.label); });
  Object.entries(data.relations).forEach(([r, colour]) => legendItem("relation", colour, r));

  const edgeEls = data.edges.map(e => {
    // The route was computed with the layout: round every box that is not its own.
    const p = document.createElementNS(NS, "path");
    p.setAttribute("d", "M" + e.p.map(q => q[0] + "," + q[1]).join(" L"));
    p.setAttribute("class", "edge");
    p.setAttribute("fill", "none");
    p.setAttribute("stroke", data.relations[e.r] || "#999");
    view.appendChild(p);
    return p;
  });
  const nodeEls = data.nodes.map(n => {
    const g = document.createElementNS(NS, "g");
    g.setAttribute("class", "node");
    g.setAttribute("transform", "translate(" + n.x + "," + n.y + ")");
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("r", 5);
    c.setAttribute("fill", data.kinds[n.kind].colour);
    const t = document.createElementNS(NS, "text");
    const left = data.kinds[n.kind].column === 0;
    t.setAttribute("x", left ? -9 : 9);
    t.setAttribute("y", 4);
    t.setAttribute("text-anchor", left ? "end" : "start");
    t.textContent = n.label;
    g.appendChild(c); g.appendChild(t);
    g.addEventListener("mousemove", ev => {
      tip.style.display = "block";
      tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px";
      tip.textContent = data.kinds[n.kind].label + ": " + n.label + "  " + n.arn +
        "  (" + out[n.id].length + " out, " + inn[n.id].length + " in)";
    });
    g.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    g.addEventListener("click", ev => { ev.stopPropagation(); trace(n.id); });
    view.appendChild(g);
    return g;
  });

  function reach(start, next, pick, seenNodes, seenEdges) {
    const stack = [start];
    while (stack.length) {
      const v = stack.pop();
      next[v].forEach(i => {
        seenEdges.add(i);
        const w = pick(data.edges[i]);
        if (!seenNodes.has(w)) { seenNodes.add(w); stack.push(w); }
      });
    }
  }
  function show(nodes, edges) {
    nodeEls.forEach((el, i) => el.classList.toggle("dim", nodes !== null && !nodes.has(i)));
    edgeEls.forEach((el, i) => el.classList.toggle("dim", edges !== null && !edges.has(i)));
  }
  function trace(id) {
    const nodes = new Set([id]), edges = new Set();
    reach(id, out, e => e.t, nodes, edges);
    reach(id, inn, e => e.s, nodes, edges);
    show(nodes, edges);
  }
  function reset() { show(null, null); nodeEls.forEach(el => el.classList.remove("hit")); }
  document.getElementById("search").addEventListener("input", ev => {
    const q = ev.target.value.trim().toLowerCase();
    nodeEls.forEach((el, i) => {
      const n = data.nodes[i];
      el.classList.toggle("hit", q !== "" && (n.label.toLowerCase().includes(q) || n.arn.toLowerCase().includes(q)));
    });
  });
  document.addEventListener("keydown", ev => { if (ev.key === "Escape") reset(); });

  // Pan and zoom by rewriting the viewBox.
  const xs = data.nodes.map(n => n.x), ys = data.nodes.map(n => n.y);
  const pad = 260;
  let vb = xs.length ? [Math.min(...xs) - pad, Math.min(...ys) - 40, Math.max(...xs) - Math.min(...xs) + 2 * pad,
                        Math.max(...ys) - Math.min(...ys) + 80] : [0, 0, 800, 600];
  const apply = () => svg.setAttribute("viewBox", vb.join(" "));
  apply();
  svg.addEventListener("wheel", ev => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect(), f = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
    const scale = Math.max(vb[2] / r.width, vb[3] / r.height);
    const px = vb[0] + (ev.clientX - r.left) * scale, py = vb[1] + (ev.clientY - r.top) * scale;
    vb = [px - (px - vb[0]) * f, py - (py - vb[1]) * f, vb[2] * f, vb[3] * f];
    apply();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("mousedown", ev => { drag = [ev.clientX, ev.clientY, vb[0], vb[1]]; });
  window.addEventListener("mouseup", () => { drag = null; });
  window.addEventListener("mousemove", ev => {
    if (!drag) return;
    const r = svg.getBoundingClientRect(), scale = Math.max(vb[2] / r.width, vb[3] / r.height);
    vb[0] = drag[2] - (ev.clientX - drag[0]) * scale; vb[1] = drag[3] - (ev.clientY - drag[1]) * scale;
    apply();
  });
  svg.addEventListener("click", reset);
})();
</script>
</body>
</html>
"""
