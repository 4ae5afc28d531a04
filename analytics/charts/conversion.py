"""Conversion figures: the funnel, rates over terms and by group, the funnel plot, a university
against the network."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from analytics.charts.base import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    LONG_LABEL,
    ORANGE,
    PALETTE,
    RATE_COLOURS,
    RATE_LABELS,
    SKY,
    VERMILLION,
    BenchmarkLine,
    add_benchmarks,
    category_order,
    count,
    empty_figure,
    error_bars,
    hex_rgba,
    interval_text,
    new_figure,
    pct,
    percent_axis,
    rate_customdata,
    rate_hover,
    rate_n_column,
    shown,
)


# -- overview and conversion ------------------------------------------------------------------
def funnel(frame: pl.DataFrame, title: str = "Conversion funnel: completed internships to accepted offers",
           subtitle: str | None = None) -> go.Figure:
    """Stage counts (columns stage, count, share_of_first, share_of_previous) as a funnel."""
    data = frame.filter(pl.col("count").is_not_null())
    if data.is_empty() or not data["count"].sum():
        return empty_figure(title)
    fig = new_figure(title, height=440, subtitle=subtitle)
    previous = data["share_of_previous"].to_list() if "share_of_previous" in data.columns else []
    first = data["share_of_first"].to_list() if "share_of_first" in data.columns else []
    custom = [[pct(f), pct(p)] for f, p in zip(first, previous, strict=True)] if first else None
    fig.add_trace(go.Funnel(
        y=data["stage"].to_list(), x=data["count"].to_list(),
        texttemplate="%{value:,}", textposition="inside",
        marker={"color": [BLUE, SKY, ORANGE, GREEN][: data.height]},
        connector={"line": {"color": "#D0D0D0"}},
        customdata=custom,
        hovertemplate=("<b>%{y}</b><br>%{x:,} interns<br>%{customdata[0]} of the first stage"
                       "<br>%{customdata[1]} of the previous stage<extra></extra>") if custom else None,
    ))
    fig.update_layout(margin={"l": 100, "r": 20})
    fig.update_yaxes(title_text="")
    return fig


def rates_over_terms(
    frame: pl.DataFrame,
    rates: Sequence[str] = ("conversion_rate",),
    benchmarks: Sequence[BenchmarkLine] = (),
    title: str = "Conversion rate by term, with 95% intervals",
    x_title: str = "Term",
) -> go.Figure:
    """Rates per term (conversion_by('term') frame) as lines with shaded 95% interval bands."""
    order = category_order(frame) if not frame.is_empty() else []
    y_title = f"{RATE_LABELS.get(rates[0], rates[0])} (%)" if len(rates) == 1 else "Rate (%)"
    fig = new_figure(title, x_title=x_title, y_title=y_title)
    drawn = 0
    for rate in rates:
        data = shown(frame, rate)
        if "sort_key" in data.columns:
            data = data.sort("sort_key")
        if data.is_empty():
            continue
        drawn += 1
        colour = RATE_COLOURS.get(rate, PALETTE[drawn % len(PALETTE)])
        groups = [str(g) for g in data["group"].to_list()]
        lows = data[f"{rate}_low"].to_list()
        highs = data[f"{rate}_high"].to_list()
        fig.add_trace(go.Scatter(
            x=groups + groups[::-1], y=highs + lows[::-1], fill="toself",
            fillcolor=hex_rgba(colour, 0.18), line={"width": 0}, hoverinfo="skip",
            name=f"{RATE_LABELS.get(rate, rate)}: 95% interval", showlegend=False,
        ))
        fig.add_trace(go.Scatter(
            x=groups, y=data[rate].to_list(), mode="lines+markers", name=RATE_LABELS.get(rate, rate),
            line={"color": colour, "width": 2.5}, marker={"size": 7},
            customdata=rate_customdata(data, rate, rate_n_column(data, rate)),
            hovertemplate=rate_hover(rate),
        ))
    if not drawn:
        return empty_figure(title, "No term has enough eligible interns to show a rate.")
    add_benchmarks(fig, benchmarks)
    percent_axis(fig, "y", 1.0)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order, tickangle=-45)
    return fig


def rate_by_group(
    frame: pl.DataFrame,
    rate: str = "conversion_rate",
    title: str = "Conversion rate by group, with 95% intervals",
    group_title: str = "Group",
    benchmarks: Sequence[BenchmarkLine] = (),
    overall: float | None = None,
) -> go.Figure:
    """One bar per group with its 95% interval as error bars (any conversion_by frame)."""
    return rates_by_group(frame, (rate,), title=title, group_title=group_title, benchmarks=benchmarks,
                          overall=overall)


def rates_by_group(
    frame: pl.DataFrame,
    rates: Sequence[str] = ("conversion_rate",),
    *,
    title: str = "Rates by group, with 95% intervals",
    group_title: str = "Group",
    benchmarks: Sequence[BenchmarkLine] = (),
    overall: float | None = None,
) -> go.Figure:
    """Bars per group (grouped when several rates), each with its 95% interval as error bars;
    on their side when the group names are long."""
    order = category_order(frame) if not frame.is_empty() else []
    single = len(rates) == 1
    rate_title = f"{RATE_LABELS.get(rates[0], rates[0])} (%)" if single else "Rate (%)"
    sideways = any(len(g) > LONG_LABEL for g in order)
    fig = new_figure(title, x_title=rate_title if sideways else group_title,
                  y_title="" if sideways else rate_title,
                  height=max(440, 120 + 34 * len(order) * (1 if single else 2)) if sideways else 440)
    drawn = 0
    for rate in rates:
        data = shown(frame, rate)
        if data.is_empty():
            continue
        drawn += 1
        if "sort_key" in data.columns:
            data = data.sort("sort_key")
        values = data[rate].to_list()
        up, down = error_bars(values, data[f"{rate}_low"].to_list(), data[f"{rate}_high"].to_list())
        colour = RATE_COLOURS.get(rate, PALETTE[drawn % len(PALETTE)])
        groups = [str(g) for g in data["group"].to_list()]
        error = {"type": "data", "symmetric": False, "array": up, "arrayminus": down,
                 "color": "#333333", "thickness": 1.5, "width": 6 if single else 3}
        fig.add_trace(go.Bar(
            x=values if sideways else groups, y=groups if sideways else values,
            orientation="h" if sideways else "v", name=RATE_LABELS.get(rate, rate),
            marker={"color": hex_rgba(colour, 0.8)},
            error_x=error if sideways else None, error_y=None if sideways else error,
            customdata=rate_customdata(data, rate, rate_n_column(data, rate)),
            hovertemplate=rate_hover(rate, "%{y}" if sideways else "%{x}"),
        ))
    if not drawn:
        return empty_figure(title, "No group has enough eligible interns to show a rate.")
    lines = list(benchmarks)
    if overall is not None and not math.isnan(overall):
        lines.append(BenchmarkLine(overall, f"All groups: {pct(overall)}", dash="dot"))
    add_benchmarks(fig, lines, horizontal=not sideways)
    if sideways:
        percent_axis(fig, "x", 1.0)
        # First group on top: a horizontal category axis draws bottom-up.
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=order[::-1])
        fig.update_xaxes(showgrid=True, gridcolor="#ECECEC")
    else:
        percent_axis(fig, "y", 1.0)
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    fig.update_layout(showlegend=not single, barmode="group")
    return fig


def compare_over_terms(
    first: pl.DataFrame,
    second: pl.DataFrame,
    names: tuple[str, str],
    rate: str = "conversion_rate",
    title: str = "Conversion rate by term",
) -> go.Figure:
    """Two conversion_by('term') frames (e.g. an employer and the whole network) on one chart:
    the first with its interval band, the second as a dashed reference line."""
    fig = new_figure(title, x_title="Term", y_title=f"{RATE_LABELS.get(rate, rate)} (%)")
    keys = pl.concat([f.select("group", "sort_key") for f in (first, second) if not f.is_empty()],
                     how="vertical_relaxed") if not (first.is_empty() and second.is_empty()) else None
    order = ([str(g) for g in keys.unique("group").sort("sort_key")["group"].to_list()]
             if keys is not None else [])
    drawn = 0
    for frame, name, colour, dash, band in ((first, names[0], VERMILLION, "solid", True),
                                             (second, names[1], BLUE, "dash", False)):
        data = shown(frame, rate)
        if data.is_empty():
            continue
        drawn += 1
        if "sort_key" in data.columns:
            data = data.sort("sort_key")
        groups = [str(g) for g in data["group"].to_list()]
        if band:
            lows = data[f"{rate}_low"].to_list()
            highs = data[f"{rate}_high"].to_list()
            fig.add_trace(go.Scatter(
                x=groups + groups[::-1], y=highs + lows[::-1], fill="toself",
                fillcolor=hex_rgba(colour, 0.15), line={"width": 0}, hoverinfo="skip", showlegend=False,
            ))
        fig.add_trace(go.Scatter(
            x=groups, y=data[rate].to_list(), mode="lines+markers", name=name,
            line={"color": colour, "width": 2.5 if band else 2, "dash": dash},
            marker={"size": 7 if band else 5},
            customdata=rate_customdata(data, rate, rate_n_column(data, rate)),
            hovertemplate=f"{name}<br>" + rate_hover(rate),
        ))
    if not drawn:
        return empty_figure(title, "No term has enough eligible interns to show a rate.")
    percent_axis(fig, "y", 1.0)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order, tickangle=-45)
    return fig


# -- employers and universities ---------------------------------------------------------------
def funnel_plot(
    points: pl.DataFrame,
    limits: pl.DataFrame,
    target: float | None,
    title: str = "Employers' conversion rate against cohort size, with control limits",
    highlight: str | None = None,
) -> go.Figure:
    """Funnel plot: each employer's conversion against its eligible cohort, inside the 95% and
    99.8% control limits around the overall rate. Points outside the limits differ by more than
    chance alone explains; points inside should not be ranked against each other."""
    data = shown(points, "conversion_rate")
    if data.is_empty() or target is None or math.isnan(target):
        return empty_figure(title, "No employer has enough eligible interns to plot.")
    fig = new_figure(title, x_title="Eligible interns per employer (cohort size, n)",
                  y_title="Conversion rate (%)", height=540)
    if not limits.is_empty():
        lim = limits.sort("n")
        n = lim["n"].to_list()
        for low, high, name, dash in (("low_998", "high_998", "99.8% control limits", "dot"),
                                      ("low_95", "high_95", "95% control limits", "dash")):
            for column, show in ((low, True), (high, False)):
                fig.add_trace(go.Scatter(
                    x=n, y=lim[column].to_list(), mode="lines", name=name, legendgroup=name,
                    showlegend=show, line={"color": GREY, "dash": dash, "width": 1.3}, hoverinfo="skip",
                ))
    above = pl.col("conversion_rate") > target
    has_flags = "outside_95" in data.columns
    outside = pl.col("outside_95").fill_null(False) if has_flags else pl.lit(False)
    groups = (
        ("Within the 95% limits", ~outside, BLUE, "circle"),
        ("Above the 95% limit", outside & above, GREEN, "triangle-up"),
        ("Below the 95% limit", outside & ~above, VERMILLION, "triangle-down"),
    )
    for name, condition, colour, symbol in groups:
        part = data.filter(condition)
        if part.is_empty():
            continue
        # The employer's name first (the hover's title) and last (what a click filters on).
        custom = [[str(e), *row] for e, row in zip(part["employer"].to_list(),
                                                   rate_customdata(part, "conversion_rate", key="employer"),
                                                   strict=True)]
        fig.add_trace(go.Scatter(
            x=part["n"].to_list(), y=part["conversion_rate"].to_list(), mode="markers", name=name,
            marker={"color": colour, "symbol": symbol, "size": 10, "opacity": 0.85,
                    "line": {"color": "white", "width": 0.8}},
            customdata=custom,
            hovertemplate=("<b>%{customdata[0]}</b><br>n = %{customdata[3]} eligible interns"
                           "<br>Conversion: %{customdata[1]} (%{customdata[2]})<extra></extra>"),
        ))
    if highlight:
        chosen = data.filter(pl.col("employer") == highlight)
        if not chosen.is_empty():
            fig.add_trace(go.Scatter(
                x=chosen["n"].to_list(), y=chosen["conversion_rate"].to_list(), mode="markers+text",
                name=highlight, text=[highlight], textposition="top left", showlegend=False,
                marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"color": BLACK, "width": 2}},
                hoverinfo="skip",
            ))
    add_benchmarks(fig, [BenchmarkLine(target, f"Overall: {pct(target)}", dash="solid")])
    percent_axis(fig, "y", 1.0)
    fig.update_xaxes(rangemode="tozero", showgrid=True, gridcolor="#F0F0F0")
    # Six legend entries: a column on the right keeps them off the title.
    fig.update_layout(legend={"orientation": "v", "yanchor": "top", "y": 1.0, "xanchor": "left", "x": 1.1})
    return fig


def university_vs_network(frame: pl.DataFrame, university: str, title: str | None = None,
                          limit: int = 25) -> go.Figure:
    """A university's interns' conversion at each employer beside the same employers network-wide
    (university_view frame); the `limit` employers with the most of its interns."""
    title = title or f"Conversion at each employer: {university} interns against the whole network"
    data = shown(frame, "conversion_university")
    if data.is_empty():
        return empty_figure(title, "No employer has enough of this university's eligible interns.")
    data = data.sort("n_university", descending=False).tail(limit)
    employers = [str(e) for e in data["employer"].to_list()]
    fig = new_figure(title, x_title="Conversion rate (%)", y_title="",
                  height=max(380, 130 + 30 * data.height))
    for column, n_col, name, colour, symbol in (
        ("conversion_network", "n_network", "Whole network", GREY, "diamond"),
        ("conversion_university", "n_university", university, VERMILLION, "circle"),
    ):
        values = data[column].to_list()
        up, down = error_bars(values, data[f"{column}_low"].to_list(), data[f"{column}_high"].to_list())
        custom = [[pct(v), interval_text(lo, hi), count(n)] for v, lo, hi, n in
                  zip(values, data[f"{column}_low"].to_list(), data[f"{column}_high"].to_list(),
                      data[n_col].to_list(), strict=True)]
        fig.add_trace(go.Scatter(
            x=values, y=employers, mode="markers", name=name,
            marker={"color": colour, "symbol": symbol, "size": 11},
            error_x={"type": "data", "symmetric": False, "array": up, "arrayminus": down,
                     "color": hex_rgba(colour, 0.6), "thickness": 1.2, "width": 3},
            customdata=custom,
            hovertemplate=(f"<b>%{{y}}</b><br>{name}<br>Conversion: %{{customdata[0]}} "
                           "(%{customdata[1]})<br>n = %{customdata[2]} eligible interns<extra></extra>"),
        ))
    percent_axis(fig, "x", 1.0)
    fig.update_yaxes(type="category", showgrid=True, gridcolor="#F0F0F0")
    return fig
