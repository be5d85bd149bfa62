"""Drawing the authorization graph to SVG or PNG with matplotlib (no display, no pyplot).

The figure grows with the tallest column so that every label keeps a readable size; SVG
keeps labels as real <text> elements (searchable, selectable) instead of outlines. Nodes
and labels are placed first and measured, so that edges can be routed round every box
that is not their own (graph.routes).
"""

from dataclasses import dataclass

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .graph import KINDS, RELATIONS, routes

ROW_INCHES = 0.22
WIDTH_INCHES = 17
DPI = 100
MAX_PIXELS = 60000  # Agg refuses images above 2**16 pixels a side
MARKER_AREA = 36  # points²
LABEL_FONT = 7  # points
LABEL_PAD = 0.1  # of the font size, the white box behind a label
CLEARANCE_POINTS = 4  # room between an edge and a box it goes round


@dataclass
class Drawing:
    """The figure and what was drawn on it, for saving and for inspection."""
    figure: Figure
    labels: dict  # node -> its label's Text
    edges: LineCollection  # one path per edge, in g.edges() order
    dpi: float


def draw(g, pos: dict, title: str, path: str, fmt: str) -> None:
    drawing = figure(g, pos, title)
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "iamd"}):
        drawing.figure.savefig(path, format=fmt, dpi=drawing.dpi)


def figure(g, pos: dict, title: str) -> Drawing:
    rows = max((y for _, y in pos.values()), default=0) + 1
    height = max(5.0, rows * ROW_INCHES + 2.0)
    dpi = DPI if height * DPI <= MAX_PIXELS else MAX_PIXELS / height
    fig = Figure(figsize=(WIDTH_INCHES, height), dpi=dpi)
    FigureCanvasAgg(fig)  # a renderer to measure the labels with
    ax = fig.add_axes((0.01, 0.01, 0.98, 1 - 1.4 / height))
    ax.set_axis_off()
    ax.set_xlim(-1.15, 3.15)
    ax.set_ylim(rows, -1)

    labels: dict = {}
    for kind, (column, _, marker, colour, label) in KINDS.items():
        nodes = [n for n, d in g.nodes(data=True) if d["kind"] == kind]
        if not nodes:
            continue
        ax.scatter([pos[n][0] for n in nodes], [pos[n][1] for n in nodes], marker=marker, s=MARKER_AREA,
                   c=colour, edgecolors="white", linewidths=0.5, zorder=3, label=label)
        for n in nodes:
            x, y = pos[n]
            # Left column labels to the left, the others to the right, so that labels of
            # neighbouring columns never meet.
            left = column == 0
            labels[n] = ax.text(x - 0.03 if left else x + 0.03, y, g.nodes[n]["label"], fontsize=LABEL_FONT,
                                ha="right" if left else "left", va="center", zorder=4, parse_math=False,
                                bbox={"boxstyle": f"square,pad={LABEL_PAD}", "fc": "white", "ec": "none",
                                      "alpha": 0.75})

    boxes = node_boxes(fig, ax, pos, labels)
    clearance = CLEARANCE_POINTS * dpi / 72 / _pixels_per_unit(ax)[0]
    drawn = routes(g, pos, boxes, clearance)
    segments, colours = [], []
    for u, v, data in g.edges(data=True):
        segments.append(drawn[(u, v)])
        colours.append(RELATIONS.get(data["relation"], "#999999"))
    edges = LineCollection(segments, colors=colours, linewidths=0.7, alpha=0.45, zorder=1, joinstyle="round")
    ax.add_collection(edges)

    handles = [Line2D([], [], color=c, lw=1.5, label=r) for r, c in RELATIONS.items()]
    node_handles, node_labels = ax.get_legend_handles_labels()
    fig.legend(node_handles + handles, node_labels + list(RELATIONS), loc="upper center",
               bbox_to_anchor=(0.5, 1 - 0.4 / height), ncol=6, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11, y=1 - 0.15 / height, va="top")
    return Drawing(fig, labels, edges, dpi)


def _pixels_per_unit(ax) -> tuple[float, float]:
    (x0, y0), (x1, y1) = ax.transData.transform([(0, 0), (1, 1)])
    return abs(x1 - x0), abs(y1 - y0)


def marker_half_points() -> float:
    """Half the side of a node's marker with its white edge, in points."""
    return MARKER_AREA ** 0.5 / 2 + 0.5


def node_boxes(fig, ax, pos: dict, labels: dict) -> dict:
    """Each node's marker and label as one box in data units (x0, y0, x1, y1)."""
    renderer = fig.canvas.get_renderer()
    to_data = ax.transData.inverted()
    px, py = _pixels_per_unit(ax)
    half = marker_half_points() * fig.dpi / 72
    boxes = {}
    for n, text in labels.items():
        pad = LABEL_PAD * LABEL_FONT * fig.dpi / 72
        extent = Text.get_window_extent(text, renderer).padded(pad)
        (ax0, ay0), (ax1, ay1) = to_data.transform([(extent.x0, extent.y0), (extent.x1, extent.y1)])
        x, y = pos[n]
        boxes[n] = (min(ax0, ax1, x - half / px), min(ay0, ay1, y - half / py),
                    max(ax0, ax1, x + half / px), max(ay0, ay1, y + half / py))
    return boxes
