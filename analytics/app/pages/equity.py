"""Equity: offers, conversion and pay by gender, ethnicity and first-generation status, each group
against all eligible interns of the selection, under the strictest disclosure rules of the
product."""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import charts, metrics
from analytics.app import breakdowns, common, navigation, queries, state
from analytics.export import Column

DIMENSIONS: Final = {label: dimension for dimension, label in metrics.EQUITY_DIMENSIONS.items()}
RULES: Final = (
    "Every group is a cell of at least {m} eligible students, with one more group hidden where a "
    "hidden one could be worked out from the total; a rate is shown only when both of its sides "
    "(offered and not, hired and not) have at least {m} students; pay needs {m} paid students, "
    "and in figures reaching beyond your own scope no employer may make up more than half of it. "
    "Gender, ethnicity and first-generation status are never filters."
)


def render() -> None:
    opened = common.open_page(
        "Equity: outcomes by gender, ethnicity and first-generation status",
        "Each group's offer rate, conversion rate and pay against all eligible interns of the "
        "selection, with 95% intervals. These are the most sensitive figures in the dashboard: "
        "small groups are hidden.",
    )
    if opened is None:
        return
    flt, row = opened
    breakdowns.knowledge_warning(row)
    label = st.segmented_control("Break down by", list(DIMENSIONS), default=next(iter(DIMENSIONS)),
                                 key="equity_dimension") or next(iter(DIMENSIONS))
    dimension = DIMENSIONS[label]
    frame = queries.equity_by(dimension, flt)
    if not breakdowns.recorded(frame.filter(~frame["population"]), metrics.equity.NOT_RECORDED):
        breakdowns.needs_fields([dimension], f"The {label.lower()} breakdown")
        return
    st.caption(":material/shield_person: " + RULES.format(m=state.min_cell()))
    left, right = st.columns(2)
    with left:
        common.chart(charts.rates_against_population(
            frame, ("offer_rate",), title=f"Offer rate by {label.lower()}, with 95% intervals",
            group_title=label), key="equity_offer_chart")
    with right:
        common.chart(charts.rates_against_population(
            frame, ("conversion_rate",), title=f"Conversion rate by {label.lower()}, with 95% intervals",
            group_title=label), key="equity_conversion_chart")
    groups = frame.filter(~frame["population"])
    common.suppression_note(groups, "groups", "eligible interns")
    common.chart(charts.pay_by_group(frame, title=f"Median hourly pay by {label.lower()}",
                                     group_title=label), key="equity_pay_chart")
    common.perturbation_note(frame)
    columns = [
        Column("group", label),
        *breakdowns.CONVERSION_COLUMNS[:4],
        Column("share_of_eligible", "Share of eligible", "rate"),
        Column("offer_gap", "Offer rate vs all", "rate"),
        *breakdowns.CONVERSION_COLUMNS[6:],
        Column("conversion_gap", "Conversion vs all", "rate"),
        Column("median_hourly_pay", f"Median hourly pay ({frame['currency'][0] or 'n/a'})", "money",
               flag="pay_suppressed"),
        Column("pay_gap", "Pay vs all", "money", flag="pay_suppressed"),
    ]
    table = common.present(frame, columns)
    common.table(table, key="equity_table")
    st.caption("The first row is every eligible intern of the selection; the gaps are each group's "
               "figure minus that row's.")
    breakdowns.downloads(table, f"equity-by-{dimension.replace('_', '-')}", flt,
                         f"Outcomes by {label.lower()}", "equity")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("equity"):
    st.stop()
render()
