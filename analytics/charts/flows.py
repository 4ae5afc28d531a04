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
INVISIBLE: Final = "rgba(0,0,0,0)"


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
    stranded = _stranded(column_of, sources, targets, values)
    if stranded:
        # Plotly moves a node with no link out to the last column, so an employer whose outcome
        # links are all hidden (or "No offer", with a year-on column) would be drawn among the
        # wrong nodes. An invisible link from each to an invisible node in the last column keeps
        # it in its own column. Its value is the node's own total, already shown.
        blank = len(nodes)
        nodes.append("")
        colours.append(INVISIBLE)
        for i, value in stranded:
            sources.append(i)
            targets.append(blank)
            values.append(value)
            link_colours.append(INVISIBLE)
            notes.append("")
    inflow, outflow = [0] * len(nodes), [0] * len(nodes)
    for s, t, v in zip(sources, targets, values, strict=True):
        outflow[s] += v
        inflow[t] += v
    hovers = [f"<b>{name}</b><br>{max(inflow[i], outflow[i]):,} eligible interns" if name else ""
              for i, name in enumerate(nodes)]
    fig = new_figure(title, height=max(520, 26 * max(len([c for c in column_of.values() if c == 1]), 8)))
    fig.add_trace(
        go.Sankey(
            arrangement="snap",
            node={
                "label": nodes,
                "color": colours,
                "pad": 14,
                "thickness": 16,
                "line": {"color": "white", "width": 0.5},
                "customdata": hovers,
                "hovertemplate": "%{customdata}<extra></extra>",
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


def _stranded(
    column_of: dict[int, int], sources: list[int], targets: list[int], values: list[int]
) -> list[tuple[int, int]]:
    """The nodes before the last column with no link out, each with its total (its inflow)."""
    last = max(column_of.values(), default=0)
    inflow, outflow = [0] * len(column_of), [0] * len(column_of)
    for s, t, v in zip(sources, targets, values, strict=True):
        outflow[s] += v
        inflow[t] += v
    return [(i, inflow[i]) for i in range(len(column_of)) if column_of[i] < last and outflow[i] == 0
            and inflow[i] > 0]
