"""Retention and the hiring timeline: survival step curves with interval bands, survival at a
horizon per group, the timeline's intervals, and shares (exploding offers, reneges) per group."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from analytics.charts.base import (
    BLUE,
    PALETTE,
    BenchmarkLine,
    add_benchmarks,
    count,
    empty_figure,
    error_bars,
    hex_rgba,
    interval_text,
    new_figure,
    pct,
    percent_axis,
    shown,
)


def survival_curves(curve: pl.DataFrame, *, title: str, subtitle: str | None = None,
                    benchmarks: Sequence[BenchmarkLine] = ()) -> go.Figure:
    """Kaplan-Meier step curves (share still employed against years since hire), one per group,
    each with its 95% interval as a band. Benchmarks are vertical-axis reference lines."""
    if curve.is_empty():
        return empty_figure(title, "No converted hires with a hire date to follow in this selection.")
    fig = new_figure(title, x_title="Years since the full-time hire",
                     y_title="Still with the employer", subtitle=subtitle, height=460)
    groups = curve.sort("sort_key")["group"].unique(maintain_order=True).to_list()
    for i, group in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        data = curve.filter(pl.col("group") == group).sort("month")
        years = data["years"].to_list()
        values = data["survival"].to_list()
        low = [v if v is not None else s for v, s in zip(data["survival_low"], values, strict=True)]
        high = [v if v is not None else s for v, s in zip(data["survival_high"], values, strict=True)]
        fig.add_trace(go.Scatter(x=years + years[::-1], y=high + low[::-1], fill="toself",
                                 fillcolor=hex_rgba(colour, 0.15), line={"width": 0, "shape": "hv"},
                                 hoverinfo="skip", showlegend=False, name=f"{group} 95% interval"))
        at_risk = data["at_risk"].to_list()
        custom = [[pct(s), interval_text(lo, hi), count(n) if n is not None else "not shown"]
                  for s, lo, hi, n in zip(data["survival"], data["survival_low"], data["survival_high"],
                                          at_risk, strict=True)]
        fig.add_trace(go.Scatter(
            x=years, y=data["survival"].to_list(), mode="lines", line={"color": colour, "shape": "hv",
                                                                         "width": 2.5},
            name=str(group), customdata=custom,
            hovertemplate=(f"<b>{group}</b><br>%{{x:.2f}} years: %{{customdata[0]}} still there "
                           "(%{customdata[1]})<br>%{customdata[2]} hires still followed<extra></extra>"),
        ))
    percent_axis(fig, upper=1.02)
    add_benchmarks(fig, benchmarks)
    fig.update_layout(legend={"orientation": "h", "y": -0.18})
    return fig


def survival_at(frame: pl.DataFrame, horizon: str, *, title: str, group_title: str,
                benchmarks: Sequence[BenchmarkLine] = ()) -> go.Figure:
    """Survival at one horizon ("1y" or "5y") per group: dots with 95% interval bars."""
    value = f"survival_{horizon}"
    data = shown(frame, value)
    if data.is_empty():
        return empty_figure(title, "Too few hires followed that long in this selection.")
    data = data.sort("sort_key")
    values = data[value].to_list()
    up, down = error_bars(values, data[f"{value}_low"].to_list(), data[f"{value}_high"].to_list())
    custom = [[pct(v), interval_text(lo, hi), count(n)] for v, lo, hi, n in zip(
        values, data[f"{value}_low"], data[f"{value}_high"], data[f"at_risk_{horizon}"], strict=True)]
    fig = new_figure(title, x_title=group_title, y_title="Still with the employer")
    fig.add_trace(go.Scatter(
        x=[str(g) for g in data["group"].to_list()], y=values, mode="markers",
        marker={"color": BLUE, "size": 11},
        error_y={"type": "data", "array": up, "arrayminus": down, "color": BLUE, "thickness": 1.5},
        customdata=custom,
        hovertemplate=("<b>%{x}</b><br>Still there: %{customdata[0]} (%{customdata[1]})"
                       "<br>%{customdata[2]} hires followed that long<extra></extra>"),
    ))
    percent_axis(fig, upper=1.02)
    add_benchmarks(fig, benchmarks)
    fig.update_layout(showlegend=False)
    return fig


TIMELINE_LABELS = {"to_offer": "Internship end to offer", "to_deadline": "Offer to deadline",
                   "to_decision": "Offer to decision"}


def timeline_ranges(row: dict[str, object], *, title: str,
                    benchmarks: Sequence[BenchmarkLine] = ()) -> go.Figure:
    """The three intervals of one timeline row: median (dot) and middle half (bar), in days."""
    names, medians, lows, highs, ns = [], [], [], [], []
    for key, label in TIMELINE_LABELS.items():
        median = row.get(f"median_{key}")
        if median is None:
            continue
        names.append(label)
        medians.append(float(median))  # type: ignore[arg-type]
        lows.append(float(row[f"p25_{key}"]))  # type: ignore[arg-type]
        highs.append(float(row[f"p75_{key}"]))  # type: ignore[arg-type]
        ns.append(row.get(f"n_{key}"))
    if not names:
        return empty_figure(title, "No offers with the dates these intervals need.")
    names, medians, lows, highs, ns = names[::-1], medians[::-1], lows[::-1], highs[::-1], ns[::-1]
    custom = [[f"{m:g}", f"{lo:g}", f"{hi:g}", count(n)]  # type: ignore[arg-type]
              for m, lo, hi, n in zip(medians, lows, highs, ns, strict=True)]
    fig = new_figure(title, x_title="Days", height=360)
    fig.add_trace(go.Bar(y=names, x=[h - lo for lo, h in zip(lows, highs, strict=True)], base=lows,
                         orientation="h", marker={"color": hex_rgba(BLUE, 0.35)},
                         name="Middle half (25th–75th percentile)", customdata=custom,
                         hovertemplate=("<b>%{y}</b><br>Middle half %{customdata[1]}–%{customdata[2]} "
                                        "days<br>n = %{customdata[3]} offers<extra></extra>")))
    fig.add_trace(go.Scatter(y=names, x=medians, mode="markers", name="Median",
                             marker={"color": BLUE, "size": 12}, customdata=custom,
                             hovertemplate=("<b>%{y}</b><br>Median %{customdata[0]} days<br>n = "
                                            "%{customdata[3]} offers<extra></extra>")))
    add_benchmarks(fig, benchmarks, horizontal=False)
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    return fig


def days_histogram(frame: pl.DataFrame, *, bin_days: int, title: str, x_title: str,
                   benchmarks: Sequence[BenchmarkLine] = ()) -> go.Figure:
    """Offers per band of `bin_days` days (the band's first day in `days`)."""
    data = shown(frame).filter(pl.col("count").is_not_null() & (pl.col("count") > 0))
    if data.is_empty():
        return empty_figure(title)
    lows = data["days"].to_list()
    counts = data["count"].to_list()
    total = sum(counts)
    custom = [[f"{lo}–{lo + bin_days - 1} days", count(c), pct(c / total)]
              for lo, c in zip(lows, counts, strict=True)]
    fig = new_figure(title, x_title=x_title, y_title="Offers (count)")
    fig.add_trace(go.Bar(x=[lo + bin_days / 2 for lo in lows], y=counts, width=bin_days * 0.92,
                         marker={"color": BLUE}, customdata=custom,
                         hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]} offers "
                                        "(%{customdata[2]})<extra></extra>")))
    add_benchmarks(fig, benchmarks, horizontal=False)
    fig.update_layout(showlegend=False, bargap=0)
    return fig


def share_dots(frame: pl.DataFrame, share: str, n: str, *, title: str, group_title: str,
               share_label: str, n_label: str) -> go.Figure:
    """A share with its 95% interval per group (dots and bars), e.g. the renege rate."""
    data = shown(frame, share).sort("sort_key")
    if data.is_empty():
        return empty_figure(title)
    values = data[share].to_list()
    up, down = error_bars(values, data[f"{share}_low"].to_list(), data[f"{share}_high"].to_list())
    custom = [[pct(v), interval_text(lo, hi), count(k)] for v, lo, hi, k in zip(
        values, data[f"{share}_low"], data[f"{share}_high"], data[n], strict=True)]
    fig = new_figure(title, x_title=group_title, y_title=share_label)
    fig.add_trace(go.Scatter(
        x=[str(g) for g in data["group"].to_list()], y=values, mode="markers",
        marker={"color": BLUE, "size": 11},
        error_y={"type": "data", "array": up, "arrayminus": down, "color": BLUE, "thickness": 1.5},
        customdata=custom,
        hovertemplate=(f"<b>%{{x}}</b><br>{share_label}: %{{customdata[0]}} (%{{customdata[1]}})"
                       f"<br>n = %{{customdata[2]}} {n_label}<extra></extra>"),
    ))
    percent_axis(fig)
    fig.update_layout(showlegend=False)
    return fig
