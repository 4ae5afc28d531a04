"""Retention: do converted interns stay? Kaplan-Meier survival after the full-time hire, so
recent hires count as followed-so-far rather than as stayers, with 95% intervals, by group."""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import charts
from analytics.app import breakdowns, common, navigation, outcome_pages, queries

COMPARE_LABEL: Final = "Compare by"
GROUPS: Final[dict[str, str | None]] = {
    "All converted hires": None,
    "Employer": "employer",
    "University": "university",
    "Role family": "role_family",
    "Returning or first-time intern": "returning_intern",
    "Structured training": "structured_training",
}
NEEDED: Final = ("offer_accepted", "hire_date", "separation_date")
CURVE_TITLE: Final = "Converted hires still with the employer, by years since the hire"
COLUMNS: Final = breakdowns.retention_columns("Group", left=True)


def _group_label(dimension: str | None, frame_label: str) -> str:
    if dimension == "returning_intern":
        return {"yes": "Returning intern", "no": "First-time intern"}.get(frame_label, frame_label)
    return frame_label


def render() -> None:
    opened = common.open_page(
        "Retention: do converted interns stay?",
        "Share of interns hired full time by their internship employer who are still there 1 and 5 "
        "years after the hire (Kaplan-Meier: hires too recent to have been followed that long count "
        "for as long as they were followed, not as stayers), with 95% intervals.",
        eligibility=False,
    )
    if opened is None:
        return
    flt, _row = opened
    if outcome_pages.lacks_fields("Retention", NEEDED, ("hire_date",), flt):
        return
    st.caption(f":material/event: Followed up to {queries.data_date():%d %B %Y} (the latest upload): "
               "a hire with no separation recorded is counted as still there until then.")
    label = st.selectbox(COMPARE_LABEL, list(GROUPS), key="retention_by") or "All converted hires"
    dimension = GROUPS[label]
    table = queries.retention_by(dimension, flt)
    if dimension == "returning_intern":
        table = table.with_columns(table["group"].map_elements(
            lambda g: _group_label(dimension, g), return_dtype=table["group"].dtype))
    bench = common.benchmark_lines(queries.benchmarks(), "retention_1y_own_interns", limit=1)

    curve = queries.retention_curve(dimension, flt)
    if dimension == "returning_intern":
        curve = curve.with_columns(curve["group"].map_elements(
            lambda g: _group_label(dimension, g), return_dtype=curve["group"].dtype))
    if dimension == "employer":
        # One curve per employer is unreadable: the ten with the most hires.
        biggest = table.filter(~table["suppressed"]).sort("hires", descending=True, nulls_last=True)
        curve = curve.filter(curve["group"].is_in(biggest["group"].head(10).to_list()))
    common.chart(charts.survival_curves(curve, title=CURVE_TITLE,
                                        subtitle="Shaded: 95% interval. A curve ends where fewer "
                                                 "hires than the privacy threshold remain followed.",
                                        benchmarks=bench), key="retention_curve")
    if dimension == "employer":
        st.caption("Curves for the ten employers with the most hires; every employer is in the table.")
    common.suppression_note(table, "groups", "hired students")
    common.perturbation_note(table)

    if dimension is not None:
        left, right = st.columns(2)
        with left:
            common.chart(charts.survival_at(table, "1y", title="Still there one year after the hire",
                                            group_title=label, benchmarks=bench), key="retention_1y")
        with right:
            common.chart(charts.survival_at(table, "5y", title="Still there five years after the hire",
                                            group_title=label), key="retention_5y")
    else:
        overall = table.row(0, named=True) if table.height else {}
        left, middle, right = st.columns(3)
        left.metric("Hires followed", common.amount(overall.get("hires")))
        for column, horizon, years in ((middle, "1y", "1 year"), (right, "5y", "5 years")):
            column.metric(f"Still there at {years}", charts.pct(overall.get(f"survival_{horizon}")),
                          help=charts.interval_text(overall.get(f"survival_{horizon}_low"),
                                                    overall.get(f"survival_{horizon}_high")))
    st.caption("NACE (2021 report): hires who interned with the employer are retained at one year "
               "about 16 points more often than hires who interned elsewhere; their one-year "
               "retention peaked at 71.4% in 2019.")

    shown = common.present(table, COLUMNS)
    common.table(shown, key="retention_table")
    outcome_pages.downloads(shown, "retention" + (f"-by-{dimension.replace('_', '-')}" if dimension else ""),
                            flt, f"Retention of converted hires ({label.lower()})", key="retention")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("retention"):
    st.stop()
render()
