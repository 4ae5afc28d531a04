"""Durations: how long internships last, full-time against part-time by season, how often they
are taken for academic credit, and whether length goes with conversion."""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import charts
from analytics.app import common, navigation, queries

WEEKS_TITLE: Final = "Internship length in weeks (number of placements)"
SCHEDULE_TITLE: Final = "Full-time and part-time by season"
CONVERSION_TITLE: Final = "Conversion rate by internship length, with 95% intervals"
CREDIT_LABEL: Final = "Credit share by"
CREDIT_DIMENSIONS: Final[dict[str, str]] = {
    "Season": "term_season",
    "Degree level": "degree_level",
    "Role family": "role_family",
    "University": "university",
    "Term": "term",
}


def render() -> None:
    opened = common.open_page(
        "Durations: how long internships last",
        "Length in weeks, hours (full-time means 35 or more hours a week), academic credit, and "
        "conversion by length. Summers typically run 10 to 12 weeks full time; semester "
        "internships about 16 weeks part time.",
        eligibility=False,
    )
    if opened is None:
        return
    flt, row = opened

    left, right = st.columns(2)
    with left:
        common.chart(charts.histogram(queries.duration_distribution(flt), title=WEEKS_TITLE,
                                      x_title="Length (weeks, rounded)", point="weeks", unit="weeks"),
                     key="durations_weeks")
    with right:
        by_season = queries.duration_by("term_season", flt)
        by_season = by_season.with_columns(by_season["group"].str.to_titlecase())
        common.chart(charts.ranges(by_season, median="median_weeks", low="p25_weeks", high="p75_weeks",
                                   title="Length by season (weeks)", subtitle="Median and middle half",
                                   value_title="Length (weeks)", unit="weeks", colour=charts.GREEN),
                     key="durations_by_season")
        common.suppression_note(by_season, "seasons", "placements")

    left, right = st.columns(2)
    with left:
        mix = queries.schedule_mix(flt, by="term_season")
        common.chart(charts.schedule_mix(mix, title=SCHEDULE_TITLE), key="durations_schedule")
        common.suppression_note(mix, "seasons", "placements")
    with right:
        label = st.selectbox(CREDIT_LABEL, list(CREDIT_DIMENSIONS), key="durations_credit_by")
        label = label or "Season"
        credit = queries.credit_share_by(CREDIT_DIMENSIONS[label], flt)
        if CREDIT_DIMENSIONS[label] == "term_season":
            credit = credit.with_columns(credit["group"].str.to_titlecase())
        common.chart(charts.share_by_group(credit, share="credit_share", part="academic_credit",
                                           title=f"Academic credit by {label.lower()}",
                                           subtitle="Share of placements taken for credit",
                                           group_title=label, share_label="Taken for credit"),
                     key="durations_credit")
        common.suppression_note(credit, "groups", "placements")

    by_length = queries.duration_vs_conversion(flt)
    common.chart(charts.rate_by_group(by_length, "conversion_rate", title=CONVERSION_TITLE,
                                      group_title="Length (weeks)",
                                      overall=common.number(row, "conversion_rate")),
                 key="durations_conversion")
    common.suppression_note(by_length, "length bands", "eligible interns")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("durations"):
    st.stop()
render()
