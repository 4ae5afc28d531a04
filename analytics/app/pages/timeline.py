"""Hiring timeline: how long full-time offers take after the internship, how long interns get
to answer (exploding offers), how long they take, and how many accept and then renege."""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import charts
from analytics.app import common, navigation, outcome_pages, queries
from analytics.export import Column

COMPARE_LABEL: Final = "Compare by"
GROUPS: Final[dict[str, str]] = {
    "Term": "term",
    "Employer": "employer",
    "University": "university",
    "Role family": "role_family",
    "Work mode": "work_mode",
    "Returning or first-time intern": "returning_intern",
}
INTERVAL_LABEL: Final = "Distribution of"
INTERVALS: Final[dict[str, str]] = {
    "Internship end to offer": "to_offer",
    "Offer to deadline": "to_deadline",
    "Offer to decision": "to_decision",
}
NEEDED: Final = ("end_date", "offer_date", "offer_deadline", "decision_date", "reneged")
REQUIRED: Final = ("offer_date",)
COLUMNS: Final = [
    Column("group", "Group"),
    Column("offers", "Offers", "count"),
    Column("median_to_offer", "Median days, end to offer", "number"),
    Column("n_to_offer", "n (end to offer)", "count"),
    Column("median_to_deadline", "Median days, offer to deadline", "number"),
    Column("median_to_decision", "Median days, offer to decision", "number"),
    Column("n_to_decision", "n (offer to decision)", "count"),
    Column("exploding_share", "Exploding offers (< 14 days)", "rate"),
    Column("exploding_share", "95% interval (exploding)", "interval"),
    Column("renege_rate", "Renege rate", "rate"),
    Column("renege_rate", "95% interval (renege)", "interval"),
    Column("accepted_known", "Accepted offers (renege known)", "count"),
]


def render() -> None:
    opened = common.open_page(
        "Hiring timeline: offers, deadlines and reneges",
        "Days from the end of the internship to the full-time offer, from the offer to its "
        "deadline and to the intern's decision; the share of exploding offers (a deadline under "
        "14 days) and of accepted offers later reneged, with 95% intervals.",
        eligibility=False,
    )
    if opened is None:
        return
    flt, _row = opened
    if outcome_pages.lacks_fields("The hiring timeline", NEEDED, REQUIRED, flt):
        return
    overall = queries.timeline_by(None, flt)
    row = overall.row(0, named=True) if overall.height else {}
    if row.get("suppressed"):
        common.too_few(flt)
        return
    bench = queries.benchmarks()
    bench = bench.filter(bench["metric"].is_in(["days_interview_to_offer", "days_offer_to_acceptance"]))
    days = [charts.BenchmarkLine(value=float(r["value"]),
                                 label=common.benchmark_label(r, f"{r['value']:g} days"))
            for r in bench.iter_rows(named=True)]
    left, middle, right = st.columns(3)
    left.metric("Offers", common.amount(row.get("offers")))
    middle.metric("Exploding offers", charts.pct(row.get("exploding_share")),
                  help=charts.interval_text(row.get("exploding_share_low"), row.get("exploding_share_high")))
    right.metric("Renege rate", charts.pct(row.get("renege_rate")),
                 help=charts.interval_text(row.get("renege_rate_low"), row.get("renege_rate_high")))
    common.chart(charts.timeline_ranges(row, title="How long each step takes (days)", benchmarks=days),
                 key="timeline_ranges")
    st.caption("Reference lines: NACE 2023 recruiting benchmarks, about 25 days from interview to "
               "offer and about 11 days from offer to acceptance.")

    interval_label = st.selectbox(INTERVAL_LABEL, list(INTERVALS), key="timeline_interval") or \
        "Internship end to offer"
    interval = INTERVALS[interval_label]
    distribution = queries.timeline_distribution(interval, flt)
    common.chart(charts.days_histogram(distribution, bin_days=7, title=f"{interval_label}: offers by week",
                                       x_title="Days"), key="timeline_distribution")
    common.suppression_note(distribution, "week bands", "students")

    label = st.selectbox(COMPARE_LABEL, list(GROUPS), key="timeline_by") or "Term"
    by = queries.timeline_by(GROUPS[label], flt)
    left, right = st.columns(2)
    with left:
        common.chart(charts.share_dots(by, "renege_rate", "accepted_known",
                                       title=f"Renege rate by {label.lower()}", group_title=label,
                                       share_label="Reneged", n_label="accepted offers"),
                     key="timeline_renege")
    with right:
        common.chart(charts.share_dots(by, "exploding_share", "with_deadline",
                                       title=f"Exploding offers by {label.lower()}", group_title=label,
                                       share_label="Deadline under 14 days",
                                       n_label="offers with a deadline"),
                     key="timeline_exploding")
    common.suppression_note(by, "groups", "students with an offer")
    common.perturbation_note(by)
    shown = common.present(by, COLUMNS)
    common.table(shown, key="timeline_table")
    outcome_pages.downloads(shown, f"hiring-timeline-by-{GROUPS[label].replace('_', '-')}", flt,
                            f"Hiring timeline by {label.lower()}", key="timeline")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("timeline"):
    st.stop()
render()
