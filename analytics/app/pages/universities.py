"""Universities: one university's interns' outcomes by employer beside the same employers across
the network, and a comparison of universities."""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import charts, reports
from analytics.app import clicks, common, navigation, queries, report_button, state
from analytics.export import Column

PICK_LABEL: Final = "Pick a university"
PICK_KEY: Final = "university_pick"
PICKED_FROM_FILTER: Final = "_university_pick_filter"
COMPARISON_TITLE: Final = "Conversion rate by university, with 95% intervals"
VIEW_COLUMNS: Final = [
    Column("employer", "Employer"),
    Column("n_university", "Eligible interns (university)", "count"),
    Column("conversion_university", "Conversion (university)", "rate"),
    Column("conversion_university", "95% interval (university)", "interval"),
    Column("n_network", "Eligible interns (network)", "count", flag="network_suppressed"),
    Column("conversion_network", "Conversion (network)", "rate", flag="network_suppressed"),
    Column("conversion_network", "95% interval (network)", "interval", flag="network_suppressed"),
]
SUMMARY_COLUMNS: Final = [Column("university", "University"), *common.SUMMARY_VALUE_COLUMNS]


def render() -> None:
    opened = common.open_page(
        "Universities: outcomes by employer",
        "Where a university's interns go, how they convert at each employer compared with every "
        "intern those employers took, and how universities compare.",
    )
    if opened is None:
        return
    flt, _row = opened

    names = [str(u) for u in queries.options().get("universities", [])]
    if not names:
        st.info("No university is recorded for these placements, so there is nothing to compare.")
        return
    single = flt.universities[0] if len(flt.universities) == 1 else None
    if single in names and single != st.session_state.get(PICKED_FROM_FILTER):
        # The filter has just been narrowed to one university (a click on the comparison, the
        # sidebar, a link): show that one.
        st.session_state[PICK_KEY] = single
    st.session_state[PICKED_FROM_FILTER] = single
    university = common.choose(PICK_LABEL, names, key=PICK_KEY, default=single,
                               help="The network is every intern in the current filters, from any "
                                    "university.")
    university = str(university or names[0])
    report_button.offer(flt, reports.Subject("university", university), key="universities_report")
    # The network is the whole selection from every university; the sidebar's university filter
    # (if any) does not narrow the comparison.
    scope = flt.replace(universities=())
    view = queries.university_view(university, scope)
    common.chart(charts.university_vs_network(view, university), key="university_view")
    st.caption(f"Dots are conversion rates, bars their 95% intervals. Employers with at least "
               f"{state.min_cell()} eligible {university} interns are shown (at most the 25 biggest).")
    common.suppression_note(view, "employers", "eligible interns")
    common.perturbation_note(view, "The network columns")
    with st.expander(f"Table: {university} by employer"):
        common.table(common.present(view, VIEW_COLUMNS), key="university_table")

    st.subheader("All universities compared")
    by_university = queries.conversion_by("university", scope)
    overall = common.number(queries.overview(scope).row(0, named=True), "conversion_rate")
    clicks.chart(charts.rate_by_group(by_university, "conversion_rate", title=COMPARISON_TITLE,
                                      group_title="University", overall=overall),
                 key="university_comparison", dimension="university")
    common.suppression_note(by_university, "universities", "eligible interns")
    common.table(common.present(queries.summary_table(scope, ("university",)), SUMMARY_COLUMNS),
                 key="university_summary")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("universities"):
    st.stop()
render()
