"""Employers: a funnel plot of conversion against cohort size, the shrunken ranking, and one
employer's profile against the whole network."""

from __future__ import annotations

from typing import Final

import polars as pl
import streamlit as st

from analytics import charts
from analytics.app import clicks, common, kpis, navigation, queries, report_button, state
from analytics.export import Column
from analytics.filters import Filter

FUNNEL_TITLE: Final = "Employers' conversion rate against cohort size, with 95% and 99.8% control limits"
RANKING_COLUMNS: Final = [
    Column("rank", "Rank", "int"),
    Column("employer", "Employer"),
    Column("n", "Eligible interns", "count"),
    Column("conversion_rate", "Conversion rate", "rate"),
    Column("conversion_rate", "95% interval", "interval"),
    Column("shrunk_conversion", "Shrunken rate", "rate"),
    Column("verdict", "Vs overall rate"),
    Column("median_hourly_pay", "Median hourly pay", "money"),
    Column("hourly_pay_currency", "Currency"),
    Column("median_weeks", "Median weeks", "weeks"),
]
PROFILE_LABEL: Final = "Employer profile"
LIMITS_LABEL: Final = "Control limits"
LIMIT_CHOICES: Final = {"exact": "Exact binomial", "overdispersed": "Allowing for overdispersion"}


def _verdicts(frame: pl.DataFrame, target: float | None) -> pl.DataFrame:
    """Plain words for where each employer sits in the funnel plot (a label, not a metric)."""
    if frame.is_empty() or "outside_95" not in frame.columns or target is None:
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias("verdict"))
    above = pl.col("conversion_rate") > target
    return frame.with_columns(
        pl.when(pl.col("suppressed").fill_null(False)).then(pl.lit(None))
        .when(pl.col("outside_998").fill_null(False) & above).then(pl.lit("above (99.8% limit)"))
        .when(pl.col("outside_998").fill_null(False)).then(pl.lit("below (99.8% limit)"))
        .when(pl.col("outside_95").fill_null(False) & above).then(pl.lit("above (95% limit)"))
        .when(pl.col("outside_95").fill_null(False)).then(pl.lit("below (95% limit)"))
        .otherwise(pl.lit("within the limits"))
        .alias("verdict")
    )


def render() -> None:
    opened = common.open_page(
        "Employers: who converts their interns",
        "Each employer's conversion rate against its number of eligible interns. Small cohorts "
        "swing widely by chance, so employers are compared with control limits and a shrunken "
        "ranking rather than a raw league table.",
    )
    if opened is None:
        return
    flt, _row = opened
    report_button.offer(flt, key="employers_report")

    chosen_limits = st.radio(
        LIMITS_LABEL, list(LIMIT_CHOICES), index=0, format_func=LIMIT_CHOICES.__getitem__,
        key="employers_limits", horizontal=True,
        help="Exact binomial limits test each employer against the overall rate with chance alone. "
             "If employers genuinely differ (overdispersion), far more fall outside them than "
             "chance predicts; the widened limits add the between-employer variance the "
             "shrinkage estimates, flagging only employers unusual even among employers.",
    ) or "exact"
    # One computation for the ranking and the funnel plot (they share the per-employer counts).
    comparison, points, limits, target, basis_frame = queries.employer_funnel(flt, chosen_limits)
    basis = basis_frame.row(0, named=True)
    # Only employers the comparison shows can have a profile: a hidden one (or its complement)
    # would be given away by its profile's numbers.
    shown = comparison.filter(~comparison["suppressed"]) if not comparison.is_empty() else comparison
    names = sorted({str(e) for e in shown["employer"].to_list()}, key=str.lower) \
        if not shown.is_empty() else []
    chosen = _pick_employer(names, flt, comparison)

    clicks.chart(charts.funnel_plot(points, limits, target, title=FUNNEL_TITLE, highlight=chosen),
                 key="employers_funnel", dimension="employer")
    st.caption("Each dot is an employer. The dashed lines are the 95% control limits and the dotted lines "
               "the 99.8% limits around the overall rate: an employer outside them converts differently "
               "from the rest by more than chance explains; inside them, differences are noise.")
    shown_limits = f"Limits shown: {basis['limits_text']}."
    if chosen_limits == "overdispersed" and basis["limits"] != "overdispersed":
        shown_limits += (" (The widened limits need the between-employer variance, which cannot be "
                         "estimated from these employers: the exact limits are shown instead.)")
    elif basis["limits"] == "overdispersed" and basis["tau2"] is not None:
        shown_limits += f" Between-employer variance: {basis['tau2']:.4f}."
    st.caption(shown_limits)
    common.suppression_note(comparison, "employers", "eligible interns")

    st.subheader("Ranking, shrunken towards the overall rate")
    st.caption("The shrunken rate pulls each employer's rate towards the overall rate, more so the fewer "
               "interns it had (empirical-Bayes beta-binomial), so a 3-of-3 employer does not top the "
               "list. Rank 1 has the highest shrunken conversion.")
    ranked = _verdicts(comparison, target)
    columns = RANKING_COLUMNS
    if not basis["ranked"] and not comparison.is_empty():
        # A collapsed shrinkage would rank cohort sizes under "rank 1 = highest": no rank then.
        st.info(f"{str(basis['no_rank_reason']).capitalize()}.", icon=":material/info:")
        columns = [c for c in RANKING_COLUMNS if c.source != "rank"]
    elif "rank" in ranked.columns:
        ranked = ranked.sort("rank", nulls_last=True)
    common.table(common.present(ranked, columns), height=420, key="employers_ranking")

    if chosen:
        _profile(chosen, flt)


def _pick_employer(names: list[str], flt: Filter, comparison: pl.DataFrame) -> str | None:
    if not names:
        return None
    default = names[0]
    if len(flt.employers) == 1 and flt.employers[0] in names:
        default = flt.employers[0]
    elif not comparison.is_empty() and "n" in comparison.columns:
        default = str(comparison.sort("n", descending=True, nulls_last=True)["employer"][0])
    choice = common.choose(PROFILE_LABEL, names, key="employer_profile", default=default,
                           help="Pick an employer to see its trend, pay, durations and roles against the "
                                "whole network (all employers in the current filters).")
    return str(choice) if choice is not None else None


def _profile(employer: str, flt: Filter) -> None:
    st.subheader(f"{employer} against the whole network")
    network = flt.replace(employers=())
    own = flt.replace(employers=(employer,))
    network_row = queries.overview(network).row(0, named=True)
    row = queries.overview(own).row(0, named=True)
    if row.get("suppressed"):
        common.too_few(own)
        return
    cols = st.columns(4)
    eligible = row.get("eligible")
    cols[0].metric("Eligible interns", f"{eligible:,}" if eligible is not None else "n/a", border=True,
                   help="Completed internships of graduating interns not continuing education.")
    rate = common.number(row, "conversion_rate")
    cols[1].metric("Conversion rate (employer)",
                   charts.pct(rate) if rate is not None else f"fewer than {state.min_cell()} eligible",
                   kpis.points(rate, network_row.get("conversion_rate")), delta_description="vs network",
                   border=True)
    currency = row.get("hourly_pay_currency")
    same_currency = currency == network_row.get("hourly_pay_currency")
    pay = common.number(row, "median_hourly_pay")
    cols[2].metric("Median hourly pay (employer)", charts.money(pay, currency),
                   kpis.difference(pay, network_row.get("median_hourly_pay"), digits=2, unit=currency or "")
                   if same_currency else None, delta_description="vs network", border=True)
    weeks = common.number(row, "median_duration_weeks")
    cols[3].metric("Median weeks (employer)", f"{weeks:.1f}" if weeks is not None else "n/a",
                   kpis.difference(weeks, network_row.get("median_duration_weeks"), digits=1, unit="weeks"),
                   delta_description="vs network", delta_color="off", border=True)

    fig = charts.compare_over_terms(
        queries.conversion_by("term", own), queries.conversion_by("term", network),
        (employer, "Whole network"),
        title=f"Conversion rate by term: {employer} against the whole network",
    )
    common.chart(fig, key="employer_trend")
    st.caption("The shaded band is the employer's 95% interval; where it covers the dashed network "
               "line, the employer's difference from the network could be chance.")
    roles = queries.summary_table(own, ("role_family",))
    st.markdown(f"**Roles at {employer}**")
    common.table(common.present(roles, [
        Column("role_family", "Role family"),
        Column("n", "Placements", "count"),
        Column("eligible", "Eligible", "count", flag="conversion_suppressed"),
        Column("conversion_rate", "Conversion rate", "rate", flag="conversion_suppressed"),
        Column("median_hourly_pay", "Median hourly pay", "money"),
        Column("median_weeks", "Median weeks", "weeks"),
    ]), key="employer_roles")
    network_pay = charts.money(common.number(network_row, "median_hourly_pay"),
                               network_row.get("hourly_pay_currency"))
    network_weeks = common.number(network_row, "median_duration_weeks")
    st.caption(f"Network medians: pay {network_pay} per hour, "
               f"{network_weeks or 0:.1f} weeks.")


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("employers"):
    st.stop()
render()
