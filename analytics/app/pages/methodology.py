"""Methodology: each metric's definition, the suppression rule, the interval, funnel-plot and
shrinkage methods, pay normalisation and the benchmark sources, drawn from the code's own
definitions so the page and the numbers cannot drift apart."""

from __future__ import annotations

import inspect
from typing import Final

import polars as pl
import streamlit as st

from analytics import disclosure, export, schema, stats
from analytics.app import common, navigation, queries, state
from analytics.export import Column
from analytics.ingest import ELIGIBILITY_BASES

# The metrics code's DEFINITIONS, grouped for reading; any definition not listed here still
# appears, under "Other".
SECTIONS: Final[dict[str, tuple[str, ...]]] = {
    "Who is counted": ("placements", "students", "eligible", "offers", "accepted"),
    "Rates": ("offer_rate", "acceptance_rate", "conversion_rate", "knowledge_rate", "pooled",
              "employer_mean"),
    "Uncertainty and comparison": ("wilson_interval", "funnel_plot", "shrunk_conversion"),
    "Pay, length and hours": ("paid_share", "hourly_pay", "median_hourly_pay", "duration_weeks",
                              "full_time_share", "academic_credit_share", "structured_training_share"),
    "Privacy": ("suppression",),
}
BENCHMARK_NAMES: Final[dict[str, str]] = {
    "offer_rate": "Offer rate",
    "acceptance_rate": "Acceptance rate",
    "conversion_rate": "Conversion rate",
    "conversion_target": "Conversion rate employers aim for",
    "paid_share": "Share of interns paid",
    "mean_hourly_pay": "Mean hourly wage, bachelor's interns",
    "mean_hourly_pay_computer_science": "Mean hourly wage, computer science interns",
    "mean_hourly_pay_engineering": "Mean hourly wage, engineering interns",
}
BENCHMARK_COLUMNS: Final = [
    Column("metric", "Figure"),
    Column("shown", "Value"),
    Column("year", "Year", "int"),
    Column("source", "Source"),
    Column("note", "Note"),
]


def _doc(function: object) -> str:
    text = inspect.getdoc(function) or ""
    return text.strip()


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _definitions(definitions: dict[str, str]) -> None:
    listed = {name for names in SECTIONS.values() for name in names}
    sections = {title: [n for n in names if n in definitions] for title, names in SECTIONS.items()}
    sections["Other"] = [n for n in definitions if n not in listed]
    for title, names in sections.items():
        if not names:
            continue
        st.markdown(f"**{title}**")
        rows = "\n".join(f"| {_label(n)} | {_cell(definitions[n])} |" for n in names)
        st.markdown(f"| Term | Definition |\n|---|---|\n{rows}")


def _benchmark_table(frame: pl.DataFrame) -> pl.DataFrame:
    if frame.is_empty():
        return frame
    frame = frame.with_columns(
        pl.col("metric").replace(BENCHMARK_NAMES),
        pl.col("note").fill_null("") if "note" in frame.columns else pl.lit(""),
    )
    unit = pl.col("unit").fill_null("") if "unit" in frame.columns else pl.lit("")
    shown = (
        pl.when(unit.str.contains("%|share|rate|fraction"))
        .then((pl.col("value") * 100).round(1).cast(pl.String) + "%")
        .when(unit.str.contains("USD|\\$"))
        .then("$" + pl.col("value").round(2).cast(pl.String))
        .otherwise(pl.col("value").cast(pl.String) + " " + unit)
    )
    return frame.with_columns(shown.str.strip_chars().alias("shown"))


def render() -> None:
    common.header("Methodology: how every number is made",
                  "Definitions follow the National Association of Colleges and Employers (NACE). Each one "
                  "below is the text the metrics code itself carries.")

    st.subheader("Metric definitions")
    _definitions(queries.definitions())

    st.subheader("Privacy: disclosure control")
    st.markdown(
        f"Any number describing fewer than **{state.min_cell()}** students is suppressed: no count, "
        f"no rate, no mean, no median, shown as \"fewer than {state.min_cell()}\" (the most common "
        "threshold in US state education reporting; set `INTERNSHIPS_MIN_CELL` to change it). "
        "Student ids are replaced at import by a keyed hash (HMAC-SHA256); the raw id is never stored."
    )
    for paragraph in disclosure.describe():
        st.markdown(f"- {paragraph}")
    st.markdown(
        "Figures marked **perturbed** include placements outside your own scope and carry the "
        f"bounded noise (at most {disclosure.NOISE_BOUND} either way on any count). The gate sits "
        "between the metrics and everything that shows them, so charts, tables, downloads, reports "
        "and the command line obey the same rules."
    )
    with st.expander("The disclosure gate (from the code)"):
        st.text(_doc(disclosure))
    with st.expander("How complementary suppression is applied (from the code)"):
        st.text(_doc(stats.suppress))

    st.subheader("Uncertainty: 95% intervals")
    st.markdown(
        "Every rate carries its count and a 95% **Wilson score interval**. Unlike the textbook "
        "\"rate ± 1.96 standard errors\", it stays between 0% and 100% and keeps its promised coverage "
        "for small cohorts and for rates near 0% or 100%, which is where internship cohorts live. "
        "Employer-mean rates (the NACE style) use a t interval over employers instead."
    )
    with st.expander("Wilson interval (from the code)"):
        st.text(_doc(stats.wilson_interval))
    with st.expander("Interval for a mean of employers' rates (from the code)"):
        st.text(_doc(stats.mean_interval))

    st.subheader("Comparing employers: funnel plots and shrinkage")
    st.markdown(
        "NACE warns that high conversion rates in small cohorts mislead. So employers are compared in a "
        "**funnel plot**: each employer's rate against its number of eligible interns, with control "
        "limits around the overall rate at 95% and 99.8%. Only employers outside the limits differ by "
        "more than chance. Rankings use **empirical-Bayes shrinkage** (beta-binomial): each rate is "
        "pulled towards the overall rate, more so for small cohorts."
    )
    st.markdown(
        "**Which limits.** By default the limits are **exact binomial** (Spiegelhalter 2005, "
        "interpolated between the binomial's whole-number quantiles): an employer with x of n "
        "converted is below the lower 95% limit exactly when the chance of x or fewer, at the "
        "overall rate, is under 2.5% (above: x or more, under 2.5%; 99.8%: 0.1% each side). The "
        "textbook normal approximation misclassifies small cohorts (2 of 10 at an overall 53% is "
        "not unusual: the chance of 2 or fewer is 3.7%), so it is not used. When employers "
        "genuinely differ more than chance allows (overdispersion), the Employers page can widen "
        "the limits by the **between-employer variance** the shrinkage estimates (Spiegelhalter's "
        "additive random effects), and says which limits it shows. If that variance is estimated "
        "at 0, every shrunken rate equals the overall rate, so **no rank** is given and the page "
        "says why."
    )
    with st.expander("Funnel-plot control limits (from the code)"):
        st.text(_doc(stats.funnel_limits))
    with st.expander("Exact limits: the interpolation (from the code)"):
        st.text(_doc(stats.lower_limits))
        st.text(_doc(stats.upper_limits))
    with st.expander("Shrunken rates (from the code)"):
        st.text(_doc(stats.shrink_rates))

    st.subheader("Who is eligible for a full-time offer")
    st.markdown(
        "Eligibility is decided **per upload, at import**, from the fields the file has, and stored "
        "with the upload, so no filter or grouping changes who counts:\n\n"
        f"- {ELIGIBILITY_BASES['final_year'].capitalize()}: a completed internship, not followed by "
        "further study, of an intern in the final year or a recent graduate.\n"
        f"- {ELIGIBILITY_BASES['completed'].capitalize()} (not followed by further study).\n"
        f"- {ELIGIBILITY_BASES['unknown'].capitalize()}.\n\n"
        "Pages show how much of the selection has a known eligibility (\"eligibility known for 62% of "
        "placements\") when it is not all of it: a gap in the data, not a privacy rule."
    )

    st.subheader("Pay and hours")
    hourly = schema.FIELD_BY_NAME["hourly_pay"].description
    st.markdown(
        f"{hourly}: hour → the amount; week → amount ÷ hours per week; month → amount × 12 ÷ 52 ÷ hours "
        f"per week; year → amount ÷ {schema.HOURS_PER_YEAR:,.0f}; total (lump sum) → amount ÷ (weeks × "
        f"hours per week). Hours per week default to {schema.DEFAULT_HOURS_PER_WEEK:.0f} when unknown. "
        "Pay is only summarised within one currency; no exchange rate is invented. An internship is "
        f"**full-time** at {schema.FULL_TIME_HOURS:.0f} or more hours a week."
    )
    st.markdown(
        "**Pay with no period** is not taken as hourly. A period is assumed only where the amount "
        f"allows one: {schema.HOURLY_AMOUNTS[0]:g} to {schema.HOURLY_AMOUNTS[1]:g} reads only as an "
        f"hourly rate, {schema.ANNUAL_AMOUNTS[0]:,.0f} to {schema.ANNUAL_AMOUNTS[1]:,.0f} only as a "
        f"year's salary (in {', '.join(schema.DOLLAR_LIKE_CURRENCIES)}, or with no currency); the "
        "record's pay note says so. Anything else gets no hourly figure, and the note says why; the "
        "Upload page's \"pay period when the file does not say\" sets it. An hourly equivalent over "
        f"{schema.MAX_HOURLY_PAY:g} or under {schema.MIN_HOURLY_PAY:g} in its currency is rejected at "
        f"import. A pay range's hourly figure uses its {schema.PAY_RANGE_END} end."
    )

    st.subheader("National benchmarks")
    bench = queries.benchmarks()
    if bench.is_empty():
        st.info("No benchmark table is available.")
    else:
        # Not a metrics table: a missing year is just unknown, not a suppressed cell.
        shown = export.present(_benchmark_table(bench), BENCHMARK_COLUMNS, state.min_cell())
        common.table(shown, height=38 + 35 * shown.height, key="methodology_benchmarks")
        st.caption("Benchmark lines on the charts are drawn from this table, labelled with their source "
                   "and year. Typical durations: summer internships 10 to 12 weeks full time, semester "
                   "internships about 16 weeks at up to 20 hours a week, co-ops about six months.")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("methodology"):
    st.stop()
render()
