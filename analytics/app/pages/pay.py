"""Pay: hourly-equivalent pay by role family and its distribution, paid against unpaid over
terms, and pay against conversion per employer, with national benchmarks."""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import charts
from analytics.app import common, navigation, queries, state
from analytics.export import Column

CURRENCY_LABEL: Final = "Currency"
PAID_TITLE: Final = "Paid and unpaid internships by term (share of placements)"


def render() -> None:
    opened = common.open_page(
        "Pay: what interns earn",
        "Pay converted to an hourly equivalent (weekly, monthly, yearly and lump-sum pay divided "
        "by the hours worked), compared only within one currency: no exchange rate is invented.",
        eligibility=False,
    )
    if opened is None:
        return
    flt, _row = opened
    bench = queries.benchmarks()

    currencies = queries.pay_currencies(flt)
    codes = [str(c) for c in currencies["currency"].to_list()] if not currencies.is_empty() else []
    counts = dict(zip(codes, currencies["n"].to_list(), strict=True)) if codes else {}
    small = f"fewer than {state.min_cell()}"

    def describe(code: str) -> str:
        n = counts.get(code)
        return f"{code} ({n:,} paid placements)" if n is not None else f"{code} ({small} paid placements)"

    currency: str | None = None
    if len(codes) > 1:
        currency = common.choose(CURRENCY_LABEL, codes, key="pay_currency", format_func=describe,
                                 help="Pay is only summarised within one currency: no exchange rate is "
                                      "invented.")
    elif codes:
        currency = codes[0]
        st.caption(f"All paid placements with known pay are in {currency}.")

    if currency is None:
        st.info("No paid placement in this selection records its pay, so there is no pay to show. "
                "The paid and unpaid shares are below.")
    else:
        unit = f"{currency} per hour"
        usd = currency == "USD"
        lines = [line for metric in ("mean_hourly_pay", "mean_hourly_pay_computer_science")
                 for line in common.benchmark_lines(bench, metric, percent=False, limit=1)] if usd else []
        # NACE reports means: say so on the line, with who the mean is of.
        who = ("bachelor's", "computer science")
        lines = [charts.BenchmarkLine(b.value, b.label.replace(": ", f" mean, {w}: $", 1))
                 for b, w in zip(lines, who, strict=False)]
        by_role = queries.pay_by("role_family", flt, currency=currency)
        common.chart(charts.ranges(
            by_role, median="median_hourly_pay", low="p25_hourly_pay", high="p75_hourly_pay",
            title=f"Hourly-equivalent pay by role family ({unit}): median and middle half",
            value_title=f"Hourly-equivalent pay ({unit})", unit=currency, benchmarks=lines,
        ), key="pay_by_role")
        if lines:
            st.caption("Dashed lines: NACE mean hourly wage of bachelor's-level interns and of computer "
                       "science interns, 2023 (2024 Guide to Compensation). NACE reports means; the dots "
                       "here are medians.")
        common.suppression_note(by_role, "role families", "paid placements")

        left, right = st.columns(2)
        with left:
            common.chart(charts.histogram(
                queries.pay_distribution(flt, currency=currency),
                title=f"Distribution of hourly-equivalent pay ({unit})",
                x_title=f"Hourly-equivalent pay ({unit})", unit=currency,
            ), key="pay_histogram")
        with right:
            versus = queries.pay_vs_conversion(flt, currency=currency)
            common.chart(charts.pay_vs_conversion(versus, currency,
                                                  title="Pay against conversion, one dot per employer"),
                         key="pay_vs_conversion")
            common.suppression_note(versus, "employers", "eligible interns")

    paid = queries.paid_share_by_term(flt)
    paid_lines = common.benchmark_lines(bench, "paid_share", limit=1)
    common.chart(charts.paid_share_over_terms(paid, paid_lines, title=PAID_TITLE), key="pay_paid_share")
    common.suppression_note(paid, "terms", "placements")

    if currency is not None:
        st.subheader(f"Pay by role family ({currency} per hour)")
        common.table(common.present(by_role, [
            Column("group", "Role family"),
            Column("n", "Paid placements", "count"),
            Column("p25_hourly_pay", "25th percentile", "money"),
            Column("median_hourly_pay", "Median", "money"),
            Column("p75_hourly_pay", "75th percentile", "money"),
            Column("mean_hourly_pay", "Mean", "money"),
        ]), key="pay_table")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("pay"):
    st.stop()
render()
