"""Figures of the breakdowns: ratings (distribution, means), group rates against the whole
population (returning, training, equity), pay by group, and knowledge rates against NACE's 65%.

Pure functions from the metrics frames (analytics.metrics.evaluations / breakdowns / equity /
knowledge) to Plotly figures; suppressed rows are never drawn."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from analytics.charts.base import (
    BLUE,
    GREY,
    ORANGE,
    VERMILLION,
    BenchmarkLine,
    add_benchmarks,
    count,
    empty_figure,
    error_bars,
    hex_rgba,
    interval_text,
    money,
    new_figure,
    pct,
    percent_axis,
    shown,
)
from analytics.charts.conversion import rates_by_group

RATING_COLOURS = (BLUE, ORANGE)


def rating_distribution(frame: pl.DataFrame, title: str = "How the internships were rated") -> go.Figure:
    """Share of each score (1-5) per rating, grouped bars (a rating_distribution frame)."""
    data = shown(frame, "share")
    if data.is_empty():
        return empty_figure(title, "No rating has enough students behind every score to show.")
    fig = new_figure(title, x_title="Score (1 = poor, 5 = excellent)", y_title="Share of ratings (%)")
    for i, (label, part) in enumerate(data.group_by("label", maintain_order=True)):
        part = part.sort("score")
        fig.add_trace(go.Bar(
            x=[str(s) for s in part["score"].to_list()], y=part["share"].to_list(), name=str(label[0]),
            marker={"color": hex_rgba(RATING_COLOURS[i % len(RATING_COLOURS)], 0.85)},
            customdata=[[pct(s), count(c)] for s, c in zip(part["share"].to_list(),
                                                            part["count"].to_list(), strict=True)],
            hovertemplate="<b>Score %{x}</b><br>%{customdata[0]} of ratings (n = %{customdata[1]})"
                          "<extra>" + str(label[0]) + "</extra>",
        ))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=["1", "2", "3", "4", "5"])
    percent_axis(fig, "y")
    fig.update_layout(barmode="group")
    return fig


def rating_means(frame: pl.DataFrame, title: str = "Mean rating, with 95% intervals") -> go.Figure:
    """Each rating's mean on the 1-5 scale with its interval (a rating_summary frame)."""
    data = shown(frame, "mean")
    if data.is_empty():
        return empty_figure(title, "Too few students gave a rating to show a mean.")
    fig = new_figure(title, x_title="Mean score (1-5)", height=260)
    labels = [str(v) for v in data["label"].to_list()]
    values = data["mean"].to_list()
    up, down = error_bars(values, data["mean_low"].to_list(), data["mean_high"].to_list())
    fig.add_trace(go.Scatter(
        x=values, y=labels, mode="markers", marker={"size": 12, "color": BLUE},
        error_x={"type": "data", "symmetric": False, "array": up, "arrayminus": down,
                 "color": "#333333", "thickness": 1.5, "width": 6},
        customdata=[[f"{v:.2f}", f"{lo:.2f}–{hi:.2f}" if lo is not None and hi is not None else "n/a",
                     count(n)] for v, lo, hi, n in zip(values, data["mean_low"].to_list(),
                                                        data["mean_high"].to_list(),
                                                        data["n"].to_list(), strict=True)],
        hovertemplate="<b>%{y}</b><br>mean %{customdata[0]} (95% CI %{customdata[1]})"
                      "<br>n = %{customdata[2]} ratings<extra></extra>",
        showlegend=False,
    ))
    fig.update_xaxes(range=[1, 5], dtick=1, showgrid=True, gridcolor="#ECECEC")
    fig.update_yaxes(type="category", categoryarray=labels[::-1], categoryorder="array")
    return fig


def rates_against_population(frame: pl.DataFrame, rates: Sequence[str] = ("conversion_rate",), *,
                             title: str, group_title: str = "Group",
                             overall: float | None = None) -> go.Figure:
    """Group rates with their intervals and, dotted, the whole population's rate: an equity_by
    frame's `population` row (drawn as the line, not a bar), else `overall` when given."""
    groups = frame
    if "population" in frame.columns:
        whole = frame.filter(pl.col("population"))
        groups = frame.filter(~pl.col("population"))
        if whole.height and len(rates) == 1 and whole[rates[0]][0] is not None:
            overall = float(whole[rates[0]][0])
    lines = [BenchmarkLine(overall, f"All eligible interns: {pct(overall)}", dash="dot")] \
        if overall is not None else []
    return rates_by_group(groups, rates, title=title, group_title=group_title, benchmarks=lines)


def pay_by_group(frame: pl.DataFrame, *, title: str, group_title: str = "Group") -> go.Figure:
    """Median hourly pay per group with the population's median dotted (an equity_by frame)."""
    currency = next((c for c in frame["currency"].to_list() if c), None) if "currency" in frame.columns \
        else None
    groups = frame.filter(~pl.col("population")) if "population" in frame.columns else frame
    data = groups.filter(~pl.col("pay_suppressed").fill_null(False)) if "pay_suppressed" in groups.columns \
        else groups
    data = data.filter(pl.col("median_hourly_pay").is_not_null())
    if data.is_empty():
        return empty_figure(title, "No group has enough paid students to show pay.")
    data = data.sort("sort_key", "group")
    labels = [str(g) for g in data["group"].to_list()]
    fig = new_figure(title, x_title=group_title, y_title=f"Median hourly pay ({currency or 'n/a'})")
    fig.add_trace(go.Bar(
        x=labels, y=data["median_hourly_pay"].to_list(), marker={"color": hex_rgba(BLUE, 0.8)},
        customdata=[[money(v, currency)] for v in data["median_hourly_pay"].to_list()],
        hovertemplate="<b>%{x}</b><br>median %{customdata[0]} an hour<extra></extra>", showlegend=False))
    if "population" in frame.columns:
        whole = frame.filter(pl.col("population") & pl.col("median_hourly_pay").is_not_null())
        if whole.height:
            value = float(whole["median_hourly_pay"][0])
            add_benchmarks(fig, [BenchmarkLine(value, f"All interns: {money(value, currency)}", dash="dot")])
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    return fig


def knowledge_rates(frame: pl.DataFrame, target: float, *, title: str,
                    group_title: str = "Group") -> go.Figure:
    """Knowledge rate per group with its interval and NACE's target as a dashed line; groups
    under the target in vermillion (a knowledge_by frame)."""
    data = shown(frame, "knowledge_rate")
    if data.is_empty():
        return empty_figure(title, "No group has enough eligible interns to show a knowledge rate.")
    data = data.sort("sort_key", "group")
    labels = [str(g) for g in data["group"].to_list()]
    values = data["knowledge_rate"].to_list()
    up, down = error_bars(values, data["knowledge_rate_low"].to_list(), data["knowledge_rate_high"].to_list())
    colours = [hex_rgba(VERMILLION if v < target else GREY, 0.8) for v in values]
    fig = new_figure(title, x_title=group_title, y_title="Known outcome (% of eligible interns)")
    fig.add_trace(go.Bar(
        x=labels, y=values, marker={"color": colours}, showlegend=False,
        error_y={"type": "data", "symmetric": False, "array": up, "arrayminus": down,
                 "color": "#333333", "thickness": 1.5, "width": 6},
        customdata=[[pct(v), interval_text(lo, hi), count(n)] for v, lo, hi, n in zip(
            values, data["knowledge_rate_low"].to_list(), data["knowledge_rate_high"].to_list(),
            data["n"].to_list(), strict=True)],
        hovertemplate="<b>%{x}</b><br>known outcome: %{customdata[0]} (%{customdata[1]})"
                      "<br>n = %{customdata[2]} eligible interns<extra></extra>",
    ))
    add_benchmarks(fig, [BenchmarkLine(target, f"NACE minimum: {pct(target, 0)}")])
    percent_axis(fig, "y", 1.0)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    return fig
