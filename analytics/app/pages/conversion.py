"""Conversion: offer, acceptance and conversion rates by term or by any dimension, with 95%
intervals and national benchmarks; pooled or NACE-style employer-mean rates."""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import charts
from analytics.app import breakdowns, clicks, common, navigation, queries
from analytics.export import Column

DIMENSIONS: Final[dict[str, str]] = {
    label: common.DIMENSION_LABELS[label]
    for label in ("Term", "Term year", "Role family", "Degree level", "Work mode", "Paid", "Schedule",
                  "Academic credit", "Structured training", "University")
}
METHODS: Final[dict[str, str]] = {
    "Pooled": "pooled",
    "Employer mean": "employer_mean",
}
METHOD_HELP: Final = (
    "**Pooled** adds up every eligible intern in the selection and divides once (sum over sum): "
    "big employers weigh more. **Employer mean** averages each employer's own rate, as NACE "
    "publishes it: every employer counts once, however many interns it had. The two differ when "
    "big and small employers convert at different rates."
)
RATES: Final[dict[str, str]] = {
    "Conversion rate": "conversion_rate",
    "Offer rate": "offer_rate",
    "Acceptance rate": "acceptance_rate",
}


def title_for(rates: list[str], dimension: str, method: str) -> str:
    names = [label for label, rate in RATES.items() if rate in rates]
    subject = names[0] if len(names) == 1 else ", ".join(n.replace(" rate", "") for n in names) + " rates"
    subject = subject[:1].upper() + subject[1:]
    how = " (mean of employers' rates)" if method == "employer_mean" else ""
    return f"{subject} by {dimension.lower()}{how}, with 95% intervals"


def render() -> None:
    opened = common.open_page(
        "Conversion: offers, acceptances and hires",
        "How many eligible interns get a full-time offer, accept it, and so convert, by term or "
        "by any characteristic of the internship.",
    )
    if opened is None:
        return
    flt, row = opened

    controls = st.columns([2, 3, 3])
    dimension_label = controls[0].selectbox("Break down by", list(DIMENSIONS), key="conversion_dimension")
    method_label = controls[1].radio("Rate method", list(METHODS), horizontal=True, key="conversion_method",
                                     help=METHOD_HELP)
    chosen = controls[2].pills("Rates", list(RATES), selection_mode="multi", default=["Conversion rate"],
                               key="conversion_rates")
    rate_names = list(chosen or ["Conversion rate"])
    dimension = DIMENSIONS[dimension_label or "Term"]
    method = METHODS[method_label or "Pooled"]
    rates = [RATES[name] for name in rate_names]

    st.caption("Pooled: all eligible interns together (sum over sum)." if method == "pooled" else
               "Employer mean: the average of each employer's own rate, as NACE publishes it; "
               "its interval is a t interval over employers.")
    frame = queries.conversion_by(dimension, flt, method=method)
    bench = queries.benchmarks()
    lines: list[charts.BenchmarkLine] = []
    for rate in rates:
        found = common.benchmark_lines(bench, rate, limit=2 if len(rates) == 1 else 1)
        if len(rates) > 1:
            label = next(k for k, v in RATES.items() if v == rate).replace(" rate", "").lower()
            found = [charts.BenchmarkLine(b.value, b.label.replace(":", f" {label}:", 1)) for b in found]
        lines.extend(found)
    title = title_for(rates, dimension_label or "Term", method)
    if dimension == "term":
        fig = charts.rates_over_terms(frame, rates, lines, title=title)
    else:
        overall = common.number(row, rates[0]) if len(rates) == 1 and method == "pooled" else None
        fig = charts.rates_by_group(frame, rates, title=title, group_title=dimension_label or "",
                                    benchmarks=lines, overall=overall)
    clicks.chart(fig, key="conversion_chart", dimension=dimension)
    common.suppression_note(frame, "groups", "eligible interns")
    breakdowns.knowledge_warning(row)
    breakdowns.knowledge_groups_warning(frame)
    if lines:
        st.caption("Dashed lines: national figures from NACE surveys (see Methodology for sources).")

    columns = [
        Column("group", dimension_label or "Group"),
        Column("n", "Eligible interns", "count"),
        Column("offers", "Offers", "count"),
        Column("accepted", "Accepted", "count"),
        Column("offer_rate", "Offer rate", "rate"),
        Column("acceptance_rate", "Acceptance rate", "rate"),
        Column("conversion_rate", "Conversion rate", "rate"),
        Column("conversion_rate", "Conversion 95% interval", "interval"),
        Column("knowledge_rate", "Known outcome", "rate"),
    ]
    if method == "employer_mean":
        columns.insert(1, Column("employers", "Employers", "count"))
    common.table(common.present(frame, columns), key="conversion_table")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("conversion"):
    st.stop()
render()
