"""Pay figures: ranges, distributions, paid share over terms, pay against conversion."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from analytics.charts.base import (
    BLUE,
    ORANGE,
    BenchmarkLine,
    add_benchmarks,
    count,
    empty_figure,
    hex_rgba,
    interval_text,
    money,
    new_figure,
    pct,
    percent_axis,
    shown,
    stacked_shares,
)


# -- pay --------------------------------------------------------------------------------------
def ranges(
    frame: pl.DataFrame,
    *,
    median: str,
    low: str,
    high: str,
    title: str,
    value_title: str,
    group_title: str = "",
    unit: str = "",
    benchmarks: Sequence[BenchmarkLine] = (),
    colour: str = BLUE,
    subtitle: str | None = None,
) -> go.Figure:
    """Middle half (25th to 75th percentile) as a bar and the median as a dot, one row per group."""
    data = shown(frame, median)
    if data.is_empty():
        return empty_figure(title)
    # Horizontal bars draw bottom-up: reverse the natural order so the first group is on top.
    data = data.sort("sort_key", descending=True) if "sort_key" in data.columns else data.sort(median)
    groups = [str(g) for g in data["group"].to_list()]
    lows = data[low].to_list()
    highs = data[high].to_list()
    medians = data[median].to_list()
    custom = [[f"{m:,.2f}", f"{lo:,.2f}", f"{hi:,.2f}", count(n)] for m, lo, hi, n in
              zip(medians, lows, highs, data["n"].to_list(), strict=True)]
    height = max(380, 170 + 40 * data.height)
    fig = new_figure(title, x_title=value_title, y_title=group_title, subtitle=subtitle, height=height)
    fig.add_trace(go.Bar(
        y=groups, x=[h - lo for lo, h in zip(lows, highs, strict=True)], base=lows, orientation="h",
        marker={"color": hex_rgba(colour, 0.35)}, name="Middle half (25th–75th percentile)",
        customdata=custom,
        hovertemplate=(f"<b>%{{y}}</b><br>Median %{{customdata[0]}} {unit}<br>Middle half "
                       f"%{{customdata[1]}}–%{{customdata[2]}} {unit}<br>n = %{{customdata[3]}}"
                       "<extra></extra>"),
    ))
    fig.add_trace(go.Scatter(
        y=groups, x=medians, mode="markers", name="Median", marker={"color": colour, "size": 11},
        customdata=custom,
        hovertemplate=(f"<b>%{{y}}</b><br>Median %{{customdata[0]}} {unit}<br>n = %{{customdata[3]}}"
                       "<extra></extra>"),
    ))
    add_benchmarks(fig, benchmarks, horizontal=False)
    fig.update_xaxes(showgrid=True, gridcolor="#ECECEC", rangemode="tozero")
    fig.update_yaxes(type="category", showgrid=False)
    # The legend goes under the axis title (above the plot sit the benchmark labels): about 60 px
    # below the plotting area, whose height is the figure's less its top and bottom margins.
    top, bottom = (110 if subtitle else 70), 115
    fig.update_layout(bargap=0.45, legend={"yanchor": "top", "y": -60 / (height - top - bottom)},
                      margin={"b": bottom})
    return fig


def histogram(
    frame: pl.DataFrame,
    *,
    title: str,
    x_title: str,
    low: str = "bin_low",
    high: str = "bin_high",
    point: str | None = None,
    benchmarks: Sequence[BenchmarkLine] = (),
    unit: str = "",
) -> go.Figure:
    """Bars of pre-binned counts (the binning happened in DuckDB): bins [low, high), or, with
    `point`, one bar per whole value (e.g. weeks rounded to the nearest whole week)."""
    data = shown(frame).filter(pl.col("count").is_not_null() & (pl.col("count") > 0))
    if data.is_empty():
        return empty_figure(title)
    counts = data["count"].to_list()
    total = sum(counts)
    if point is not None:
        values = data[point].to_list()
        lows = [v - 0.5 for v in values]
        highs = [v + 0.5 for v in values]
        names = [f"{v:g} {unit}".strip() for v in values]
    else:
        lows = data[low].to_list()
        highs = data[high].to_list()
        names = [f"{lo:,.0f}–{hi:,.0f} {unit}".strip() for lo, hi in zip(lows, highs, strict=True)]
    custom = [[name, count(c), pct(c / total)] for name, c in zip(names, counts, strict=True)]
    fig = new_figure(title, x_title=x_title, y_title="Placements (count)")
    fig.add_trace(go.Bar(
        x=[(lo + hi) / 2 for lo, hi in zip(lows, highs, strict=True)], y=counts,
        width=[(hi - lo) * 0.92 for lo, hi in zip(lows, highs, strict=True)],
        marker={"color": BLUE}, customdata=custom,
        hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]} placements (%{customdata[2]})"
                       "<extra></extra>"),
    ))
    add_benchmarks(fig, benchmarks, horizontal=False)
    fig.update_layout(showlegend=False, bargap=0)
    return fig



def paid_share_over_terms(frame: pl.DataFrame, benchmarks: Sequence[BenchmarkLine] = (),
                          title: str = "Paid and unpaid internships by term (share of placements)"
                          ) -> go.Figure:
    """Stacked shares of paid and unpaid placements per term (paid_share_by_term frame)."""
    data = shown(frame, "paid_share")
    if data.is_empty():
        return empty_figure(title)
    if "sort_key" in data.columns:
        data = data.sort("sort_key")
    groups = [str(g) for g in data["group"].to_list()]
    shares = data["paid_share"].to_list()
    fig = new_figure(title, x_title="Term", y_title="Share of placements (%)",
                  subtitle="Placements whose pay status is known")
    intervals: list[list[str]] = []
    if "paid_share_low" in data.columns:
        lows, highs = data["paid_share_low"].to_list(), data["paid_share_high"].to_list()
        intervals = [[interval_text(lo, hi) for lo, hi in zip(lows, highs, strict=True)],
                     [interval_text(None if hi is None else 1 - hi, None if lo is None else 1 - lo)
                      for lo, hi in zip(lows, highs, strict=True)]]
    stacked_shares(fig, groups, (
        ("Paid", shares, BLUE, data["paid"].to_list()),
        ("Unpaid", [1 - s for s in shares], ORANGE, data["unpaid"].to_list()),
    ), data["n"].to_list(), intervals)
    add_benchmarks(fig, benchmarks)
    fig.update_xaxes(tickangle=-45)
    return fig


def pay_vs_conversion(frame: pl.DataFrame, currency: str | None,
                      title: str = "Pay against conversion, one dot per employer") -> go.Figure:
    """Median hourly pay against conversion rate per employer; dot area follows cohort size."""
    data = shown(frame, "conversion_rate", "median_hourly_pay")
    if data.is_empty():
        return empty_figure(title, "No employer has enough eligible interns with known pay.")
    unit = f"{currency} per hour" if currency else "per hour"
    ns = data["n"].to_list()
    biggest = max(ns) or 1
    custom = [[str(e), pct(r), count(n), money(p, currency)] for e, r, n, p in
              zip(data["employer"].to_list(), data["conversion_rate"].to_list(), ns,
                  data["median_hourly_pay"].to_list(), strict=True)]
    if "conversion_rate_low" in data.columns:
        for row, lo, hi in zip(custom, data["conversion_rate_low"].to_list(),
                               data["conversion_rate_high"].to_list(), strict=True):
            row.append(interval_text(lo, hi))
    else:
        for row in custom:
            row.append("interval n/a")
    fig = new_figure(title, x_title=f"Median hourly-equivalent pay ({unit})", y_title="Conversion rate (%)",
                  height=480, subtitle="Dot size: eligible interns")
    fig.add_trace(go.Scatter(
        x=data["median_hourly_pay"].to_list(), y=data["conversion_rate"].to_list(), mode="markers",
        marker={"color": BLUE, "opacity": 0.75, "line": {"color": "white", "width": 0.8},
                "size": [8 + 22 * math.sqrt(n / biggest) for n in ns]},
        customdata=custom,
        hovertemplate=("<b>%{customdata[0]}</b><br>Median pay %{customdata[3]} per hour"
                       "<br>Conversion %{customdata[1]} (%{customdata[4]})"
                       "<br>n = %{customdata[2]} eligible interns<extra></extra>"),
    ))
    percent_axis(fig, "y", 1.0)
    fig.update_xaxes(showgrid=True, gridcolor="#F0F0F0")
    fig.update_layout(showlegend=False)
    return fig
