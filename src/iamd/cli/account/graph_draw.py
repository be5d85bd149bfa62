"""Drawing the authorization graph to SVG or PNG with matplotlib (no display, no pyplot).

The figure grows with the tallest column so that every label keeps a readable size; SVG
keeps labels as real <text> elements (searchable, selectable) instead of outlines.
"""

from matplotlib import rc_context
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .graph import KINDS, RELATIONS

ROW_INCHES = 0.22
WIDTH_INCHES = 17
DPI = 100
MAX_PIXELS = 60000  # Agg refuses images above 2**16 pixels a side


def draw(g, pos: dict, title: str, path: str, fmt: str) -> None:
    rows = max((y for _, y in pos.values()), default=0) + 1
    height = max(5.0, rows * ROW_INCHES + 2.0)
    fig = Figure(figsize=(WIDTH_INCHES, height))
    ax = fig.add_axes((0.01, 0.01, 0.98, 1 - 1.4 / height))
    ax.set_axis_off()
    ax.set_xlim(-1.15, 3.15)
    ax.set_ylim(rows, -1)

    segments, colours = [], []
    for u, v, data in g.edges(data=True):
        segments.append((pos[u], pos[v]))
        colours.append(RELATIONS.get(data["relation"], "#999999"))
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=0.7, alpha=0.45, zorder=1))

    for kind, (column, _, marker, colour, label) in KINDS.items():
        nodes = [n for n, d in g.nodes(data=True) if d["kind"] == kind]
        if not nodes:
            continue
        ax.scatter([pos[n][0] for n in nodes], [pos[n][1] for n in nodes], marker=marker, s=36,
                   c=colour, edgecolors="white", linewidths=0.5, zorder=3, label=label)
        for n in nodes:
            x, y = pos[n]
            # Left column labels to the left, the others to the right, so that labels of
            # neighbouring columns never meet.
            left = column == 0
            ax.text(x - 0.03 if left else x + 0.03, y, g.nodes[n]["label"], fontsize=7,
                    ha="right" if left else "left", va="center", zorder=4, parse_math=False,
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75})

    handles = [Line2D([], [], color=c, lw=1.5, label=r) for r, c in RELATIONS.items()]
    node_handles, node_labels = ax.get_legend_handles_labels()
    fig.legend(node_handles + handles, node_labels + list(RELATIONS), loc="upper center",
               bbox_to_anchor=(0.5, 1 - 0.4 / height), ncol=6, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11, y=1 - 0.15 / height, va="top")

    dpi = DPI if height * DPI <= MAX_PIXELS else MAX_PIXELS / height
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "iamd"}):
        fig.savefig(path, format=fmt, dpi=dpi)
