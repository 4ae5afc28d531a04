"""Overview: the headline numbers of the selection, against the previous comparable term and the
national benchmark; the conversion funnel; conversion by term; and what the numbers rest on."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from analytics import charts
from analytics.app import breakdowns, clicks, common, kpis, navigation, queries, report_button, state

FUNNEL_TITLE = "Conversion funnel"
FUNNEL_SUBTITLE = "Completed internships to accepted full-time offers"
TERMS_TITLE = "Conversion rate by term, with 95% intervals"
COMPARE_LABEL = "Compare term"


def _card(label: str, value: str, *, delta: str | None = None, description: str | None = None,
          notes: tuple[str, ...] = (), help_text: str | None = None, trend: list[float] | None = None,
          delta_color: Any = "normal") -> None:
    with st.container(border=True):
        st.metric(label, value, delta, delta_color=delta_color, help=help_text,
                  delta_description=description if delta else None,
                  chart_data=trend if trend and len(trend) > 1 else None, chart_type="line")
        for note in notes:
            if note:
                st.caption(note)


def _rate_value(row: dict[str, Any], rate: str, n_key: str) -> str:
    value = common.number(row, rate)
    if value is not None:
        return charts.pct(value)
    n = row.get(n_key)
    return f"fewer than {state.min_cell()}" if n is None or n < state.min_cell() else "n/a"


def _counted(value: Any, noun: str) -> str:
    """'1 university', '8 universities'."""
    number = int(value or 0)
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{number:,} {noun if number == 1 else plural}"


def _versus_benchmark(value: float | None, lines: list[charts.BenchmarkLine], *, money: bool = False,
                      what: str = "") -> str:
    """'+0.8 pts vs NACE 2024 (53%)': the gap to the newest national figure."""
    if value is None or not lines:
        return ""
    line = lines[0]
    change = kpis.difference(value, line.value, digits=2) if money else kpis.points(value, line.value)
    source, _, shown = line.label.partition(": ")
    return f"{what}{change} vs {source} ({shown})"


def render() -> None:
    opened = common.open_page(
        "Internship outcomes overview",
        "Offer, acceptance and conversion rates (NACE definitions) with their 95% intervals, "
        "pay and duration for the placements selected in the sidebar.",
    )
    if opened is None:
        return
    flt, row = opened
    report_button.offer(flt, key="overview_report")
    breakdowns.knowledge_warning(row)

    terms = queries.conversion_by("term", flt)
    years = queries.conversion_by("term_year", flt)
    yearly = queries.summary_table(flt, ("term_year",))
    hours = queries.schedule_mix(flt, by="term_year")
    choices = kpis.candidates(terms)
    chosen = None
    if choices:
        chosen = common.choose(COMPARE_LABEL, choices, key="overview_compare",
                               default=kpis.default_term(terms), width=260,
                               help="The arrows on the cards compare this term with the same season a "
                                    "year earlier (the previous comparable term).")
    comparison = kpis.comparable_terms(terms, flt, chosen)
    latest: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    description = None
    if comparison:
        latest = queries.overview(comparison.latest_filter).row(0, named=True)
        previous = queries.overview(comparison.previous_filter).row(0, named=True)
        # Short enough for a card; the term compared is in the selectbox above.
        description = f"vs {comparison.previous}"
    bench = queries.benchmarks()
    currency = row.get("hourly_pay_currency")
    n_eligible = row.get("eligible")
    eligible_text = f"n = {n_eligible:,} eligible interns" if n_eligible is not None else ""
    offers = row.get("offers")

    def interval(rate: str) -> str:
        return charts.interval_text(common.number(row, f"{rate}_low"), common.number(row, f"{rate}_high"))

    def trend(column: str, frame: pl.DataFrame = years) -> list[float]:
        # By year, not by term: a line through alternating big summers and small winters is noise.
        return charts.sparkline_values(frame, column) if column in frame.columns else []

    placements = row.get("placements")
    first = st.columns(4)
    with first[0]:
        _card("Placements", f"{placements:,}" if placements is not None else "n/a",
              delta=kpis.difference(latest.get("placements"), previous.get("placements")),
              description=description, delta_color="off",
              notes=(" · ".join(_counted(row.get(column), noun) for column, noun in (
                  ("students", "student"), ("employers", "employer"), ("universities", "university"))),),
              help_text="Internship placements in the selection (one row per placement).",
              trend=trend("n", yearly))
    for column, (label, rate, n_note, metric) in zip(first[1:], (
        ("Conversion rate", "conversion_rate", eligible_text, "conversion_rate"),
        ("Offer rate", "offer_rate", eligible_text, "offer_rate"),
        ("Acceptance rate", "acceptance_rate",
         f"n = {offers:,} offers" if offers is not None else "", "acceptance_rate"),
    ), strict=True):
        with column:
            lines = common.benchmark_lines(bench, metric, limit=1)
            _card(label, _rate_value(row, rate, "offers" if rate == "acceptance_rate" else "eligible"),
                  delta=kpis.points(latest.get(rate), previous.get(rate)), description=description,
                  notes=(f"{interval(rate)} · {n_note}", _versus_benchmark(common.number(row, rate), lines)),
                  help_text=queries.definitions().get(rate), trend=trend(rate))

    second = st.columns(4)
    paid_known = row.get("paid_known")
    with second[0]:
        lines = common.benchmark_lines(bench, "paid_share", limit=1)
        share = common.number(row, "paid_share")
        _card("Paid share", charts.pct(share) if share is not None else "n/a",
              delta=kpis.points(latest.get("paid_share"), previous.get("paid_share")),
              description=description,
              notes=(f"n = {common.amount(paid_known)} placements with known pay status",
                     _versus_benchmark(share, lines)),
              help_text=queries.definitions().get("paid_share"), trend=trend("paid_share", yearly))
    with second[1]:
        median = common.number(row, "median_hourly_pay")
        mean = common.number(row, "mean_hourly_pay")
        lines = common.benchmark_lines(bench, "mean_hourly_pay", percent=False, limit=1) \
            if currency == "USD" else []
        comparable = latest.get("hourly_pay_currency") == previous.get("hourly_pay_currency") == currency
        pay_n = common.amount(row.get("hourly_pay_n"))
        _card("Median hourly pay", charts.money(median, currency) if median is not None else "n/a",
              delta=kpis.difference(latest.get("median_hourly_pay"), previous.get("median_hourly_pay"),
                                    digits=2, unit=currency or "") if comparable else None,
              description=description,
              notes=(f"mean {charts.money(mean, currency)} · n = {pay_n} paid records",
                     _versus_benchmark(mean, lines, money=True, what="mean ")),
              help_text="Hourly-equivalent pay of paid internships (weekly, monthly, yearly and lump-sum "
                        "pay converted to an hour), in the currency most paid records use.",
              trend=trend("median_hourly_pay", yearly))
    with second[2]:
        weeks = common.number(row, "median_duration_weeks")
        _card("Median length", f"{weeks:.1f} weeks" if weeks is not None else "n/a",
              delta=kpis.difference(latest.get("median_duration_weeks"),
                                    previous.get("median_duration_weeks"), digits=1, unit="weeks"),
              description=description, delta_color="off",
              notes=(f"n = {common.amount(row.get('duration_n'))} placements with a known length",
                     "Summers typically run 10 to 12 weeks full time"),
              help_text="Median internship length in weeks.", trend=trend("median_weeks", yearly))
    with second[3]:
        full_time = common.number(row, "full_time_share")
        credit = common.number(row, "academic_credit_share")
        _card("Full-time share", charts.pct(full_time) if full_time is not None else "n/a",
              delta=kpis.points(latest.get("full_time_share"), previous.get("full_time_share")),
              description=description, delta_color="off",
              notes=(f"For academic credit: {charts.pct(credit)}" if credit is not None else "",
                     "Full-time means 35 or more hours a week"),
              help_text="Share of placements with known hours that were full-time.",
              trend=trend("full_time_share", hours))
    if comparison:
        st.caption(f"Values cover the whole selection. Arrows: {comparison.latest} against "
                   f"{comparison.previous}, the same season a year earlier. Small lines: each figure by "
                   "year.")

    left, right = st.columns([5, 8])
    with left:
        common.chart(charts.funnel(queries.funnel(flt), title=FUNNEL_TITLE, subtitle=FUNNEL_SUBTITLE),
                     key="overview_funnel")
    with right:
        lines = common.benchmark_lines(bench, "conversion_rate", limit=1) + \
            common.benchmark_lines(bench, "conversion_target", limit=1)
        clicks.chart(charts.rates_over_terms(terms, ("conversion_rate",), lines, title=TERMS_TITLE),
                     key="overview_terms", dimension="term")
        common.suppression_note(terms, "terms", "eligible interns")
    _coverage(row)


def _coverage(row: dict[str, Any]) -> None:
    knowledge = common.number(row, "knowledge_rate")
    eligible = row.get("eligible")
    known = row.get("known_outcome")
    parts = []
    if eligible is not None:
        parts.append(f"the rates rest on {eligible:,} eligible interns, {common.amount(known)} of whom have "
                     f"a known offer outcome (knowledge rate {charts.pct(knowledge)})")
    elif (coverage := common.eligibility_coverage_text(row)) is not None:
        # A data gap, not a privacy rule: say how much of the data says who was eligible.
        parts.append(f"{coverage}, too few eligible interns known for rates")
    else:
        parts.append(f"fewer than {state.min_cell()} eligible interns, so no rates are shown")
    currency = row.get("hourly_pay_currency")
    parts.append(f"pay on {common.amount(row.get('hourly_pay_n'))} paid placements in {currency}" if currency
                 else "no pay recorded")
    parts.append(f"lengths on {common.amount(row.get('duration_n'))} placements")
    st.markdown("**Coverage:** " + "; ".join(parts) + ".")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("overview"):
    st.stop()
render()
