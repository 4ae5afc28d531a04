"""The flows Sankey: eligible interns from university to employer (or role family) to outcome, and
converted interns on to how it went a year after the hire."""

from __future__ import annotations

from typing import Final

import plotly.graph_objects as go
import polars as pl

from analytics.charts.base import BLUE, GREEN, ORANGE, SKY, VERMILLION, empty_figure, hex_rgba, new_figure

# Outcome nodes keep their meaning's colour; the fold nodes are grey, so they read as "the rest".
OUTCOME_COLOURS: Final[dict[str, str]] = {
    "Converted": GREEN,
    "Offered, not accepted": ORANGE,
    "No offer": VERMILLION,
    "Outcome unknown": "#999999",
}
# A year on: stayers green like conversions, leavers and reneges warm, the unknown grey.
RETAINED_COLOURS: Final[dict[str, str]] = {
    "Stayed a year": GREEN,
    "Left within a year": ORANGE,
    "Reneged": VERMILLION,
    "Not yet known": "#999999",
}
FOLD_COLOUR: Final = "#BBBBBB"


def sankey(links: pl.DataFrame, title: str) -> go.Figure:
    """A Sankey of a metrics.flows frame: nodes in the frame's order (universities, then the
    middle layer, then outcomes, then a year on), one link per row; suppressed links are not
    drawn. The nodes
    that gather folded links (targets of `folded` links, sources marked `other_source`) are
    grey."""
    data = links.filter(
        ~pl.col("suppressed").fill_null(False) & pl.col("n").is_not_null() & (pl.col("n") > 0)
    )
    if data.is_empty():
        return empty_figure(title, "No flow has enough eligible interns to show.")
    nodes: list[str] = []
    index: dict[tuple[int, str], int] = {}

    def node(column: int, name: str) -> int:
        # The same name in two columns (an employer called "Other", say) stays two nodes.
        if (column, name) not in index:
            index[(column, name)] = len(nodes)
            nodes.append(name)
        return index[(column, name)]

    rows = list(data.select("layer", "source", "target", "n", "links", "folded").iter_rows())
    folds = {(layer, t) for layer, _s, t, *_r, folded in rows if folded} | {
        (layer - 1, s) for layer, s, *_r in data.filter(pl.col("other_source")).iter_rows()
    }
    for layer, source, _target, *_rest in rows:
        if layer < 3:  # layer 3 starts at an outcome node, made with its column below
            node(layer - 1, source)
    for column in (1, 2, 3):
        for layer, _source, target, *_rest in rows:
            if layer == column:
                node(column, target)
    column_of = {i: column for (column, _name), i in index.items()}

    def colour(i: int, name: str) -> str:
        if (column_of[i], name) in folds:
            return FOLD_COLOUR
        if column_of[i] == 2:
            return OUTCOME_COLOURS.get(name, FOLD_COLOUR)
        if column_of[i] == 3:
            return RETAINED_COLOURS.get(name, FOLD_COLOUR)
        return BLUE if column_of[i] == 0 else SKY

    colours = [colour(i, name) for i, name in enumerate(nodes)]
    sources = [node(layer - 1, s) for layer, s, *_ in rows]
    targets = [node(layer, t) for layer, _s, t, *_ in rows]
    link_colours = [
        hex_rgba(colours[t] if layer >= 2 else colours[s], 0.35)
        for (layer, *_), s, t in zip(rows, sources, targets, strict=True)
    ]
    notes = [
        f"<br>{links_count} small links folded together" if folded and links_count > 1 else ""
        for *_, links_count, folded in rows
    ]
    values = [int(n) for *_x, n, _k, _f in rows]
    fig = new_figure(title, height=max(520, 26 * max(len([c for c in column_of.values() if c == 1]), 8)))
    fig.add_trace(
        go.Sankey(
            arrangement="snap",
            node={
                **_positions(column_of, nodes, sources, targets, values),
                "label": nodes,
                "color": colours,
                "pad": 14,
                "thickness": 16,
                "line": {"color": "white", "width": 0.5},
                "hovertemplate": "<b>%{label}</b><br>%{value:,} eligible interns<extra></extra>",
            },
            link={
                "source": sources,
                "target": targets,
                "value": values,
                "color": link_colours,
                "customdata": notes,
                "hovertemplate": (
                    "%{source.label} → %{target.label}<br>%{value:,} eligible interns"
                    "%{customdata}<extra></extra>"
                ),
            },
        )
    )
    fig.update_layout(margin={"l": 20, "r": 20, "t": 70, "b": 20})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _positions(
    column_of: dict[int, int], names: list[str], sources: list[int], targets: list[int], values: list[int]
) -> dict[str, list[float]]:
    """Node positions where Plotly's own layout would misplace a node. Plotly puts every node
    without outgoing links in the last column: with a fourth column (a year on) that pulls "No
    offer" beside "Stayed a year", and with three an employer whose outcome links are all hidden
    lands among the outcomes. Then each node gets its column's x, and a y that stacks the
    column's nodes in order, each as tall as its larger side (in or out), with a small gap.
    Otherwise Plotly's layout (no positions), which crosses fewer links. The outcome columns
    stack in their colours' order, folds last."""
    last = max(column_of.values(), default=0)
    inflow, outflow = [0.0] * len(column_of), [0.0] * len(column_of)
    for s, t, v in zip(sources, targets, values, strict=True):
        outflow[s] += v
        inflow[t] += v
    stranded = any(outflow[i] == 0 and column_of[i] < last for i in range(len(column_of)))
    if last < 2 or (last < 3 and not stranded):
        return {}
    size = [max(a, b) for a, b in zip(inflow, outflow, strict=True)]
    x = [0.001 + 0.998 * column_of[i] / last for i in range(len(column_of))]
    y = [0.5] * len(column_of)
    for column in range(last + 1):
        members = [i for i in range(len(column_of)) if column_of[i] == column]
        if column >= 2:
            order = list(OUTCOME_COLOURS if column == 2 else RETAINED_COLOURS)
            members.sort(key=lambda i: order.index(names[i]) if names[i] in order else len(order))
        total = sum(size[i] for i in members) or 1.0
        gap = 0.03 * total
        span = total + gap * max(len(members) - 1, 0)
        start = 0.0
        for i in members:
            y[i] = min(max((start + size[i] / 2) / span, 0.001), 0.999)
            start += size[i] + gap
    return {"x": x, "y": y}
