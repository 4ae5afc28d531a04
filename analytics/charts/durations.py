"""Duration and schedule figures."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from analytics.charts.base import (
    BLUE,
    GREEN,
    LONG_LABEL,
    SKY,
    count,
    empty_figure,
    new_figure,
    pct,
    percent_axis,
    shown,
    stacked_shares,
)


# -- durations --------------------------------------------------------------------------------
def schedule_mix(frame: pl.DataFrame, title: str = "Full-time and part-time by season",
                 subtitle: str | None = "Share of placements with known hours") -> go.Figure:
    """Stacked full-time / part-time shares per group (schedule_mix frame)."""
    data = shown(frame, "full_time_share")
    if data.is_empty():
        return empty_figure(title)
    if "sort_key" in data.columns:
        data = data.sort("sort_key")
    groups = [str(g) for g in data["group"].to_list()]
    groups = [g[:1].upper() + g[1:] for g in groups]
    shares = data["full_time_share"].to_list()
    fig = new_figure(title, x_title="Season", y_title="Share of placements (%)", subtitle=subtitle)
    stacked_shares(fig, groups, (
        ("Full-time (35+ hours a week)", shares, BLUE, data["full_time"].to_list()),
        ("Part-time", [1 - s for s in shares], SKY, data["part_time"].to_list()),
    ), data["n"].to_list())
    fig.update_layout(legend={"yanchor": "top", "y": -0.22}, margin={"b": 100})
    return fig


def share_by_group(
    frame: pl.DataFrame,
    *,
    share: str,
    part: str,
    title: str,
    group_title: str,
    share_label: str,
    colour: str = GREEN,
    subtitle: str | None = None,
) -> go.Figure:
    """A share (e.g. academic credit) per group as bars, with its count and n in the hover."""
    data = shown(frame, share)
    if data.is_empty():
        return empty_figure(title)
    if "sort_key" in data.columns:
        data = data.sort("sort_key")
    groups = [str(g) for g in data["group"].to_list()]
    values = data[share].to_list()
    custom = [[pct(v), count(c), count(n)] for v, c, n in
              zip(values, data[part].to_list(), data["n"].to_list(), strict=True)]
    sideways = any(len(g) > LONG_LABEL for g in groups)
    fig = new_figure(title, x_title=f"{share_label} (%)" if sideways else group_title,
                  y_title="" if sideways else f"{share_label} (%)", subtitle=subtitle,
                  height=max(440, 130 + 34 * len(groups)) if sideways else 440)
    fig.add_trace(go.Bar(
        x=values if sideways else groups, y=groups if sideways else values,
        orientation="h" if sideways else "v", marker={"color": colour}, customdata=custom,
        hovertemplate=(f"<b>%{{{'y' if sideways else 'x'}}}</b><br>{share_label}: %{{customdata[0]}}"
                       "<br>%{customdata[1]} of n = %{customdata[2]} placements<extra></extra>"),
    ))
    if sideways:
        percent_axis(fig, "x")
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=groups[::-1])
    else:
        percent_axis(fig, "y")
        fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return fig
