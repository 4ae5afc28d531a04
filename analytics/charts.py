"""Plotly figures: pure functions from the metrics layer's Polars frames to figures.

One theme for every chart (`THEME`), a colour-blind-safe palette (Okabe & Ito, 2008), titles
that say what is shown, axis labels with units, and hover text that always carries the count a
number rests on and, for rates, its 95% interval. Suppressed rows (fewer than min_cell
students) are never drawn: the metrics layer has already nulled their numbers, and a chart
must not hint at them either. No Streamlit here, so the figures can be tested and reused by a
report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import plotly.graph_objects as go
import polars as pl

# Okabe-Ito: distinguishable under the common colour-vision deficiencies.
BLUE: Final = "#0072B2"
ORANGE: Final = "#E69F00"
GREEN: Final = "#009E73"
VERMILLION: Final = "#D55E00"
PURPLE: Final = "#CC79A7"
SKY: Final = "#56B4E9"
YELLOW: Final = "#F0E442"
BLACK: Final = "#000000"
GREY: Final = "#6B6B6B"
PALETTE: Final = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK)
BENCHMARK_COLOUR: Final = "#333333"

# Each rate keeps its colour on every page, so a reader learns it once.
RATE_LABELS: Final[dict[str, str]] = {
    "conversion_rate": "Conversion rate",
    "offer_rate": "Offer rate",
    "acceptance_rate": "Acceptance rate",
}
RATE_COLOURS: Final[dict[str, str]] = {
    "conversion_rate": BLUE,
    "offer_rate": ORANGE,
    "acceptance_rate": GREEN,
}
# What the n of each rate counts (the denominator), for hover text.
RATE_DENOMINATORS: Final[dict[str, str]] = {
    "conversion_rate": "eligible interns",
    "offer_rate": "eligible interns",
    "acceptance_rate": "offers",
}
# Category labels longer than this turn a bar chart on its side, so they stay readable.
LONG_LABEL: Final = 14

FONT: Final = '"Source Sans Pro", "Source Sans 3", -apple-system, "Segoe UI", Roboto, sans-serif'

THEME: Final = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT, "size": 13, "color": "#262730"},
        colorway=list(PALETTE),
        paper_bgcolor="white",
        plot_bgcolor="white",
        title={"x": 0.0, "xanchor": "left", "font": {"size": 17}},
        margin={"l": 70, "r": 30, "t": 70, "b": 60},
        xaxis={"showgrid": False, "linecolor": "#B0B0B0", "ticks": "outside", "tickcolor": "#B0B0B0",
               "zeroline": False, "automargin": True, "title": {"standoff": 10}},
        yaxis={"gridcolor": "#E8E8E8", "linecolor": "#B0B0B0", "zeroline": False,
               "automargin": True, "title": {"standoff": 10}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0.0,
                "bgcolor": "rgba(255,255,255,0)", "traceorder": "normal"},
        hoverlabel={"bgcolor": "white", "font": {"family": FONT, "size": 13}},
        hovermode="closest",
    )
)


@dataclass(frozen=True)
class BenchmarkLine:
    """A reference figure drawn as a line: a national benchmark, labelled with its source and
    year, or (dotted) the selection's own overall rate."""

    value: float
    label: str  # e.g. "NACE 2024: 53%"
    dash: str = "dash"


# -- formatting (hover and labels) ------------------------------------------------------------
def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "interval n/a"
    return f"95% CI {low * 100:.1f}–{high * 100:.1f}%"


def count(value: int | float | None) -> str:
    return "n/a" if value is None else f"{int(value):,}"


def money(value: float | None, currency: str | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:,.2f} {currency}" if currency else f"{value:,.2f}"


def _hex_rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


# -- building blocks --------------------------------------------------------------------------
def _figure(title: str, *, x_title: str = "", y_title: str = "", height: int = 440,
            subtitle: str | None = None) -> go.Figure:
    fig = go.Figure()
    heading: dict[str, Any] = {"text": title}
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": 13, "color": GREY}}
    fig.update_layout(template=THEME, title=heading, height=height, xaxis_title=x_title,
                      yaxis_title=y_title)
    if subtitle:
        fig.update_layout(margin={"t": 110})
    return fig


def empty_figure(title: str, message: str = "Nothing to show for this selection.") -> go.Figure:
    """A titled figure saying why it is empty, so a page never shows a blank box."""
    fig = _figure(title, height=300)
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 15, "color": GREY})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def shown(frame: pl.DataFrame, *required: str) -> pl.DataFrame:
    """The rows a chart may draw: not suppressed, and with the required values present."""
    if "suppressed" in frame.columns:
        frame = frame.filter(~pl.col("suppressed").fill_null(False))
    for column in required:
        frame = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).cast(pl.Float64).is_nan())
    return frame


def hidden_groups(frame: pl.DataFrame) -> int:
    """How many rows a chart leaves out because they are suppressed."""
    if "suppressed" not in frame.columns:
        return 0
    return int(frame["suppressed"].fill_null(False).sum())


def _add_benchmarks(fig: go.Figure, benchmarks: Sequence[BenchmarkLine], *, horizontal: bool = True
                    ) -> None:
    """Reference lines. Their labels sit outside the plotting area (right of it for horizontal
    lines, above it for vertical ones) so they never cover the data, and are pushed apart when
    two lines are close."""
    if not benchmarks:
        return
    font = {"size": 12, "color": BENCHMARK_COLOUR}
    ordered = sorted(benchmarks, key=lambda b: b.value)
    for i, benchmark in enumerate(ordered):
        line = {"color": BENCHMARK_COLOUR, "dash": benchmark.dash, "width": 1.3}
        if horizontal:
            fig.add_hline(y=benchmark.value, line=line)
            # Lowest label nudged down, the others up, one line-height apart.
            shift = 0 if len(ordered) == 1 else (-7 if i == 0 else 7 + 14 * (i - 1))
            fig.add_annotation(x=1.0, xref="paper", xanchor="left", xshift=4, y=benchmark.value,
                               yref="y", yshift=shift, text=benchmark.label, showarrow=False, font=font)
        else:
            fig.add_vline(x=benchmark.value, line=line)
            # With two lines: the left one labelled to its left, the right one to its right.
            anchor = "right" if i == 0 and len(ordered) > 1 else "left"
            fig.add_annotation(x=benchmark.value, xref="x", xanchor=anchor, y=1.0, yref="paper",
                               yanchor="bottom", text=benchmark.label, showarrow=False, font=font)
    if horizontal:
        width = max(len(b.label) for b in benchmarks)
        fig.update_layout(margin={"r": max(40, int(width * 6.4) + 16)})


def _percent_axis(fig: go.Figure, axis: str = "y", upper: float | None = None) -> None:
    rng = [0, upper] if upper is not None else None
    if axis == "y":
        fig.update_yaxes(tickformat=".0%", range=rng)
    else:
        fig.update_xaxes(tickformat=".0%", range=rng)


def _category_order(frame: pl.DataFrame) -> list[str]:
    if "sort_key" in frame.columns:
        frame = frame.sort("sort_key")
    return [str(g) for g in frame["group"].to_list()]


def _rate_hover(rate: str, group_label: str = "%{x}") -> str:
    label = RATE_LABELS.get(rate, rate)
    denominator = RATE_DENOMINATORS.get(rate, "records")
    return (f"<b>{group_label}</b><br>{label}: %{{customdata[0]}} (%{{customdata[1]}})"
            f"<br>n = %{{customdata[2]}} {denominator}<extra></extra>")


def _rate_customdata(frame: pl.DataFrame, rate: str, n_col: str = "n") -> list[list[str]]:
    lows = frame[f"{rate}_low"].to_list()
    highs = frame[f"{rate}_high"].to_list()
    return [[pct(v), interval_text(lo, hi), count(n)]
            for v, lo, hi, n in zip(frame[rate].to_list(), lows, highs, frame[n_col].to_list(),
                                    strict=True)]


def _rate_n_column(frame: pl.DataFrame, rate: str) -> str:
    # Acceptance is offers-based: its n is the offer count when the frame carries one.
    if rate == "acceptance_rate" and "offers" in frame.columns:
        return "offers"
    return "n"


def _errors(values: list[Any], lows: list[Any], highs: list[Any]) -> tuple[list[float], list[float]]:
    """Asymmetric error-bar lengths (up, down) from an interval."""
    up = [h - v if h is not None and v is not None else 0.0 for v, h in zip(values, highs, strict=True)]
    down = [v - lo if lo is not None and v is not None else 0.0 for v, lo in zip(values, lows, strict=True)]
    return up, down


# -- overview and conversion ------------------------------------------------------------------
def funnel(frame: pl.DataFrame, title: str = "Conversion funnel: completed internships to accepted offers",
           subtitle: str | None = None) -> go.Figure:
    """Stage counts (columns stage, count, share_of_first, share_of_previous) as a funnel."""
    data = frame.filter(pl.col("count").is_not_null())
    if data.is_empty() or not data["count"].sum():
        return empty_figure(title)
    fig = _figure(title, height=440, subtitle=subtitle)
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
    order = _category_order(frame) if not frame.is_empty() else []
    y_title = f"{RATE_LABELS.get(rates[0], rates[0])} (%)" if len(rates) == 1 else "Rate (%)"
    fig = _figure(title, x_title=x_title, y_title=y_title)
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
            fillcolor=_hex_rgba(colour, 0.18), line={"width": 0}, hoverinfo="skip",
            name=f"{RATE_LABELS.get(rate, rate)}: 95% interval", showlegend=False,
        ))
        fig.add_trace(go.Scatter(
            x=groups, y=data[rate].to_list(), mode="lines+markers", name=RATE_LABELS.get(rate, rate),
            line={"color": colour, "width": 2.5}, marker={"size": 7},
            customdata=_rate_customdata(data, rate, _rate_n_column(data, rate)),
            hovertemplate=_rate_hover(rate),
        ))
    if not drawn:
        return empty_figure(title, "No term has enough eligible interns to show a rate.")
    _add_benchmarks(fig, benchmarks)
    _percent_axis(fig, "y", 1.0)
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
    order = _category_order(frame) if not frame.is_empty() else []
    single = len(rates) == 1
    rate_title = f"{RATE_LABELS.get(rates[0], rates[0])} (%)" if single else "Rate (%)"
    sideways = any(len(g) > LONG_LABEL for g in order)
    fig = _figure(title, x_title=rate_title if sideways else group_title,
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
        up, down = _errors(values, data[f"{rate}_low"].to_list(), data[f"{rate}_high"].to_list())
        colour = RATE_COLOURS.get(rate, PALETTE[drawn % len(PALETTE)])
        groups = [str(g) for g in data["group"].to_list()]
        error = {"type": "data", "symmetric": False, "array": up, "arrayminus": down,
                 "color": "#333333", "thickness": 1.5, "width": 6 if single else 3}
        fig.add_trace(go.Bar(
            x=values if sideways else groups, y=groups if sideways else values,
            orientation="h" if sideways else "v", name=RATE_LABELS.get(rate, rate),
            marker={"color": _hex_rgba(colour, 0.8)},
            error_x=error if sideways else None, error_y=None if sideways else error,
            customdata=_rate_customdata(data, rate, _rate_n_column(data, rate)),
            hovertemplate=_rate_hover(rate, "%{y}" if sideways else "%{x}"),
        ))
    if not drawn:
        return empty_figure(title, "No group has enough eligible interns to show a rate.")
    lines = list(benchmarks)
    if overall is not None and not math.isnan(overall):
        lines.append(BenchmarkLine(overall, f"All groups: {pct(overall)}", dash="dot"))
    _add_benchmarks(fig, lines, horizontal=not sideways)
    if sideways:
        _percent_axis(fig, "x", 1.0)
        # First group on top: a horizontal category axis draws bottom-up.
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=order[::-1])
        fig.update_xaxes(showgrid=True, gridcolor="#ECECEC")
    else:
        _percent_axis(fig, "y", 1.0)
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
    fig = _figure(title, x_title="Term", y_title=f"{RATE_LABELS.get(rate, rate)} (%)")
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
                fillcolor=_hex_rgba(colour, 0.15), line={"width": 0}, hoverinfo="skip", showlegend=False,
            ))
        fig.add_trace(go.Scatter(
            x=groups, y=data[rate].to_list(), mode="lines+markers", name=name,
            line={"color": colour, "width": 2.5 if band else 2, "dash": dash},
            marker={"size": 7 if band else 5},
            customdata=_rate_customdata(data, rate, _rate_n_column(data, rate)),
            hovertemplate=f"{name}<br>" + _rate_hover(rate),
        ))
    if not drawn:
        return empty_figure(title, "No term has enough eligible interns to show a rate.")
    _percent_axis(fig, "y", 1.0)
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
    fig = _figure(title, x_title="Eligible interns per employer (cohort size, n)",
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
        custom = [[str(e), *row] for e, row in zip(part["employer"].to_list(),
                                                   _rate_customdata(part, "conversion_rate"),
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
    _add_benchmarks(fig, [BenchmarkLine(target, f"Overall: {pct(target)}", dash="solid")])
    _percent_axis(fig, "y", 1.0)
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
    fig = _figure(title, x_title="Conversion rate (%)", y_title="",
                  height=max(380, 130 + 30 * data.height))
    for column, n_col, name, colour, symbol in (
        ("conversion_network", "n_network", "Whole network", GREY, "diamond"),
        ("conversion_university", "n_university", university, VERMILLION, "circle"),
    ):
        values = data[column].to_list()
        up, down = _errors(values, data[f"{column}_low"].to_list(), data[f"{column}_high"].to_list())
        custom = [[pct(v), interval_text(lo, hi), count(n)] for v, lo, hi, n in
                  zip(values, data[f"{column}_low"].to_list(), data[f"{column}_high"].to_list(),
                      data[n_col].to_list(), strict=True)]
        fig.add_trace(go.Scatter(
            x=values, y=employers, mode="markers", name=name,
            marker={"color": colour, "symbol": symbol, "size": 11},
            error_x={"type": "data", "symmetric": False, "array": up, "arrayminus": down,
                     "color": _hex_rgba(colour, 0.6), "thickness": 1.2, "width": 3},
            customdata=custom,
            hovertemplate=(f"<b>%{{y}}</b><br>{name}<br>Conversion: %{{customdata[0]}} "
                           "(%{customdata[1]})<br>n = %{customdata[2]} eligible interns<extra></extra>"),
        ))
    _percent_axis(fig, "x", 1.0)
    fig.update_yaxes(type="category", showgrid=True, gridcolor="#F0F0F0")
    return fig


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
    fig = _figure(title, x_title=value_title, y_title=group_title, subtitle=subtitle, height=height)
    fig.add_trace(go.Bar(
        y=groups, x=[h - lo for lo, h in zip(lows, highs, strict=True)], base=lows, orientation="h",
        marker={"color": _hex_rgba(colour, 0.35)}, name="Middle half (25th–75th percentile)",
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
    _add_benchmarks(fig, benchmarks, horizontal=False)
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
    fig = _figure(title, x_title=x_title, y_title="Placements (count)")
    fig.add_trace(go.Bar(
        x=[(lo + hi) / 2 for lo, hi in zip(lows, highs, strict=True)], y=counts,
        width=[(hi - lo) * 0.92 for lo, hi in zip(lows, highs, strict=True)],
        marker={"color": BLUE}, customdata=custom,
        hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]} placements (%{customdata[2]})"
                       "<extra></extra>"),
    ))
    _add_benchmarks(fig, benchmarks, horizontal=False)
    fig.update_layout(showlegend=False, bargap=0)
    return fig


Part = tuple[str, list[float], str, list[Any]]  # name, shares, colour, counts


def _stacked_shares(fig: go.Figure, groups: list[str], parts: Sequence[Part], ns: list[Any],
                    intervals: Sequence[list[str]] = ()) -> None:
    """Stacked share bars; `intervals` (per part, per group) adds a 95% interval to the hover."""
    for i, (name, values, colour, counts) in enumerate(parts):
        notes = intervals[i] if i < len(intervals) else [""] * len(values)
        fig.add_trace(go.Bar(
            x=groups, y=values, name=name, marker={"color": colour},
            customdata=[[pct(v), count(c), count(n), f"<br>{note}" if note else ""]
                        for v, c, n, note in zip(values, counts, ns, notes, strict=True)],
            hovertemplate=(f"<b>%{{x}}</b><br>{name}: %{{customdata[0]}} "
                           "(%{customdata[1]} of n = %{customdata[2]})%{customdata[3]}<extra></extra>"),
        ))
    fig.update_layout(barmode="stack")
    _percent_axis(fig, "y", 1.0)
    fig.update_xaxes(type="category")


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
    fig = _figure(title, x_title="Term", y_title="Share of placements (%)",
                  subtitle="Placements whose pay status is known")
    intervals: list[list[str]] = []
    if "paid_share_low" in data.columns:
        lows, highs = data["paid_share_low"].to_list(), data["paid_share_high"].to_list()
        intervals = [[interval_text(lo, hi) for lo, hi in zip(lows, highs, strict=True)],
                     [interval_text(None if hi is None else 1 - hi, None if lo is None else 1 - lo)
                      for lo, hi in zip(lows, highs, strict=True)]]
    _stacked_shares(fig, groups, (
        ("Paid", shares, BLUE, data["paid"].to_list()),
        ("Unpaid", [1 - s for s in shares], ORANGE, data["unpaid"].to_list()),
    ), data["n"].to_list(), intervals)
    _add_benchmarks(fig, benchmarks)
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
    fig = _figure(title, x_title=f"Median hourly-equivalent pay ({unit})", y_title="Conversion rate (%)",
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
    _percent_axis(fig, "y", 1.0)
    fig.update_xaxes(showgrid=True, gridcolor="#F0F0F0")
    fig.update_layout(showlegend=False)
    return fig


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
    fig = _figure(title, x_title="Season", y_title="Share of placements (%)", subtitle=subtitle)
    _stacked_shares(fig, groups, (
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
    fig = _figure(title, x_title=f"{share_label} (%)" if sideways else group_title,
                  y_title="" if sideways else f"{share_label} (%)", subtitle=subtitle,
                  height=max(440, 130 + 34 * len(groups)) if sideways else 440)
    fig.add_trace(go.Bar(
        x=values if sideways else groups, y=groups if sideways else values,
        orientation="h" if sideways else "v", marker={"color": colour}, customdata=custom,
        hovertemplate=(f"<b>%{{{'y' if sideways else 'x'}}}</b><br>{share_label}: %{{customdata[0]}}"
                       "<br>%{customdata[1]} of n = %{customdata[2]} placements<extra></extra>"),
    ))
    if sideways:
        _percent_axis(fig, "x")
        fig.update_yaxes(type="category", categoryorder="array", categoryarray=groups[::-1])
    else:
        _percent_axis(fig, "y")
        fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return fig


def sparkline_values(frame: pl.DataFrame, column: str) -> list[float]:
    """A column's non-suppressed values in group order, for a KPI card's small trend line."""
    data = shown(frame, column)
    if "sort_key" in data.columns:
        data = data.sort("sort_key")
    return [float(v) for v in data[column].to_list()]


def figure_title(fig: go.Figure) -> str:
    """The title text of a figure (used by tests and the screenshot script)."""
    title: Any = fig.layout.title.text
    return str(title or "")
