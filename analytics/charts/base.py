"""Shared parts of every figure: the theme, the palette, formatting and building blocks.

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


def hex_rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


# -- building blocks --------------------------------------------------------------------------
def new_figure(title: str, *, x_title: str = "", y_title: str = "", height: int = 440,
            subtitle: str | None = None) -> go.Figure:
    heading: dict[str, Any] = {"text": title}
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": 13, "color": GREY}}
    layout: dict[str, Any] = {"template": THEME, "title": heading, "height": height,
                              "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}}}
    if subtitle:
        layout["margin"] = {"t": 110}
    # The whole layout at construction: plotly validates it once, where update_layout's
    # "xaxis_title"-style paths cost a figure 3 ms more (every chart of every page run starts here).
    return go.Figure(layout=layout)


def empty_figure(title: str, message: str = "Nothing to show for this selection.") -> go.Figure:
    """A titled figure saying why it is empty, so a page never shows a blank box."""
    fig = new_figure(title, height=300)
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


def add_benchmarks(fig: go.Figure, benchmarks: Sequence[BenchmarkLine], *, horizontal: bool = True
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
        # The shapes add_hline/add_vline would draw on a single-plot figure (no chart here has
        # subplots), given directly: plotly's helpers spend 2 ms a line working out subplots.
        if horizontal:
            fig.add_shape(type="line", x0=0, x1=1, xref="x domain", y0=benchmark.value,
                          y1=benchmark.value, yref="y", line=line)
            # Lowest label nudged down, the others up, one line-height apart.
            shift = 0 if len(ordered) == 1 else (-7 if i == 0 else 7 + 14 * (i - 1))
            fig.add_annotation(x=1.0, xref="paper", xanchor="left", xshift=4, y=benchmark.value,
                               yref="y", yshift=shift, text=benchmark.label, showarrow=False, font=font)
        else:
            fig.add_shape(type="line", x0=benchmark.value, x1=benchmark.value, xref="x", y0=0,
                          y1=1, yref="y domain", line=line)
            # With two lines: the left one labelled to its left, the right one to its right.
            anchor = "right" if i == 0 and len(ordered) > 1 else "left"
            fig.add_annotation(x=benchmark.value, xref="x", xanchor=anchor, y=1.0, yref="paper",
                               yanchor="bottom", text=benchmark.label, showarrow=False, font=font)
    if horizontal:
        width = max(len(b.label) for b in benchmarks)
        fig.update_layout(margin={"r": max(40, int(width * 6.4) + 16)})


def percent_axis(fig: go.Figure, axis: str = "y", upper: float | None = None) -> None:
    rng = [0, upper] if upper is not None else None
    if axis == "y":
        fig.update_yaxes(tickformat=".0%", range=rng)
    else:
        fig.update_xaxes(tickformat=".0%", range=rng)


def category_order(frame: pl.DataFrame) -> list[str]:
    if "sort_key" in frame.columns:
        frame = frame.sort("sort_key")
    return [str(g) for g in frame["group"].to_list()]


def rate_hover(rate: str, group_label: str = "%{x}") -> str:
    label = RATE_LABELS.get(rate, rate)
    denominator = RATE_DENOMINATORS.get(rate, "records")
    return (f"<b>{group_label}</b><br>{label}: %{{customdata[0]}} (%{{customdata[1]}})"
            f"<br>n = %{{customdata[2]}} {denominator}<extra></extra>")


def rate_customdata(frame: pl.DataFrame, rate: str, n_col: str = "n", key: str = "group"
                    ) -> list[list[str]]:
    """Hover values [rate, interval, n], then the group's key (`key` column, when the frame has
    it) as the last element: what a click on the point filters on (analytics.app.clicks)."""
    lows = frame[f"{rate}_low"].to_list()
    highs = frame[f"{rate}_high"].to_list()
    keys = [str(k) for k in frame[key].to_list()] if key in frame.columns else None
    rows = [[pct(v), interval_text(lo, hi), count(n)]
            for v, lo, hi, n in zip(frame[rate].to_list(), lows, highs, frame[n_col].to_list(),
                                    strict=True)]
    return [[*row, keys[i]] for i, row in enumerate(rows)] if keys is not None else rows


def rate_n_column(frame: pl.DataFrame, rate: str) -> str:
    # Acceptance is offers-based: its n is the offer count when the frame carries one.
    if rate == "acceptance_rate" and "offers" in frame.columns:
        return "offers"
    return "n"


def error_bars(values: list[Any], lows: list[Any], highs: list[Any]) -> tuple[list[float], list[float]]:
    """Asymmetric error-bar lengths (up, down) from an interval."""
    up = [h - v if h is not None and v is not None else 0.0 for v, h in zip(values, highs, strict=True)]
    down = [v - lo if lo is not None and v is not None else 0.0 for v, lo in zip(values, lows, strict=True)]
    return up, down



Part = tuple[str, list[float], str, list[Any]]  # name, shares, colour, counts


def stacked_shares(fig: go.Figure, groups: list[str], parts: Sequence[Part], ns: list[Any],
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
    percent_axis(fig, "y", 1.0)
    fig.update_xaxes(type="category")


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

