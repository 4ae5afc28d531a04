"""Employers: the comparison (funnel-plot z, shrunken rank), pay against conversion, the university view."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Final

import numpy as np
import polars as pl

from analytics import access, stats
from analytics.access import Principal
from analytics.disclosure import OUTSIDE, PERTURBED, RATE_DECIMALS, Guard, Rate, Release, Table, release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    RATES,
    MetricsError,
)
from analytics.metrics.frames import (
    OFFER_GUARD,
    check_min_cell,
    conversion_rates,
    conversion_table,
    medians_from_counts,
    pay_medians,
    quantiles_from_counts,
    resolve_sizes,
    triple,
)
from analytics.metrics.labels import (
    employer_names,
    with_employer,
)
from analytics.metrics.scope import (
    query,
)
from analytics.metrics.selection import hidden_values, scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store


def _employer_frame(store: Store, principal: Principal,
                    flt: Filter, min_cell: int) -> tuple[pl.DataFrame, float, Release]:
    """Per-employer counts before release, the pooled conversion (target) of the scope, and
    how the scope's results are released."""
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    employer = scope.facts.employer_id
    size_conditions = {**scope.conversion_sizes(), "weeks_students": "duration_weeks IS NOT NULL"}
    bounds = [f"{name}_{side}" for name in size_conditions for side in ("low", "high")]
    if scope.facts.fresh:
        # Two narrow scans instead of one wide one: the counts from the rows grouped by employer
        # and packed flags (a perfect hash on two small integers, no conditional count per row;
        # the conditions applied to the groups in numpy, Scope.flag_counts), the durations'
        # histogram from a plain count per employer and duration.
        conv = scope.flag_counts(store, scope.conversion_conditions(), size_conditions, {"g": employer},
                                 attrs=False)
        median = medians_from_counts(query(store, f"""
            SELECT {employer} AS g, duration_weeks AS v, count(*) AS c FROM {scope.relation}
            {scope.where('duration_weeks IS NOT NULL')} GROUP BY ALL""", scope.params), "median_weeks")
        frame = conv.join(median, on="g", how="left")
    else:
        # The cells' size bounds come from the same scan as the counts: summed over the weeks
        # within an employer, a count of rows per (employer, weeks) is the employer's count.
        weeks = quantiles_from_counts("SELECT g, v, c FROM base WHERE v IS NOT NULL",
                                       [("median_weeks", 0.5)])
        counts = f"""
            SELECT {employer} AS g, duration_weeks AS v, count(*) AS c,
                   {scope.conversion_counts()}, {scope.conversion_keys()},
                   {', '.join(scope.students(name, c) for name, c in size_conditions.items())}
            FROM {scope.relation} {scope.where()} GROUP BY ALL"""
        frame = query(store, f"""
            WITH base AS MATERIALIZED ({counts}),
            conv AS (
                SELECT g, CAST(sum(n) AS BIGINT) AS n, CAST(sum(offers) AS BIGINT) AS offers,
                       CAST(sum(accepted) AS BIGINT) AS accepted,
                       CAST(sum(known_outcome) AS BIGINT) AS known_outcome,
                       sum(n_key) AS n_key, sum(offers_key) AS offers_key,
                       sum(accepted_key) AS accepted_key, sum(known_outcome_key) AS known_outcome_key,
                       {', '.join(f"CAST(sum({b}) AS BIGINT) AS {b}" for b in bounds)}
                FROM base GROUP BY g),
            weeks AS ({weeks})
            SELECT conv.*, weeks.median_weeks FROM conv LEFT JOIN weeks USING (g)""", scope.params)
    frame = resolve_sizes(store, scope, frame, size_conditions, min_cell,
                          groups={"g": employer}).drop(bounds)
    currency = scope.currency_id
    paid = ("hourly_pay IS NOT NULL", f"{currency} IS NOT NULL")
    pay = query(store, scope.currency_names(f"""
        SELECT {employer} AS g, {currency} AS currency_no, count(*) AS pay_n,
               median(hourly_pay) AS median_hourly_pay, {scope.students('pay_students')}
        FROM {scope.relation} {scope.where(*paid)} GROUP BY ALL"""), scope.params)
    # Each employer's pay in its own main currency (most paid records; ties alphabetical).
    pay = (pay.sort(["g", "pay_n", "currency"], descending=[False, True, False])
           .group_by("g", maintain_order=True).first())
    pay = resolve_sizes(store, scope, pay, {"pay_students": "TRUE"}, min_cell, *paid,
                        groups={"g": employer, "currency_no": currency})
    pay = pay.select("g", pl.col("currency").alias("hourly_pay_currency"), "median_hourly_pay",
                     "pay_students")
    frame = frame.join(pay, on="g", how="left", nulls_equal=True)
    frame = with_employer(frame, employer_names(store, scope))
    eligible = int(frame["n"].sum() or 0)
    target = float(frame["accepted"].sum() or 0) / eligible if eligible else math.nan
    release_to = scope.release(min_cell)
    if eligible < min_cell or "outcomes" in release_to.blocked:
        target = math.nan  # the scope's own conversion rate is suppressed
    elif release_to.network:
        target = round(target, RATE_DECIMALS)
    return frame, target, release_to


def employer_comparison(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                        min_cell: int = DEFAULT_MIN_CELL,
                        limits: stats.FunnelMethod = "exact") -> pl.DataFrame:
    """One row per employer in scope.

    Columns: employer (display name: its most frequent spelling), employer_key, n (eligible
    interns), offers, accepted, offer_rate / acceptance_rate / conversion_rate triples (Wilson),
    z_score (funnel-plot z of the conversion rate against the scope's pooled conversion; with
    the overdispersed limits, the overdispersed z), outside_95 / outside_998 (beyond the 95% /
    99.8% control limits of `limits`: "exact" binomial by default, or "overdispersed"; see
    `comparison_basis` for which were used and why), shrunk_conversion (empirical-Bayes
    beta-binomial, method of moments: see stats.shrink_rates), rank (1 = best shrunk conversion
    among the rows shown; null for every row when the shrinkage collapsed, see
    `comparison_basis`), median_hourly_pay with hourly_pay_currency (the
    employer's own main currency; null under min_cell paid students), median_weeks (null under
    min_cell students with a known duration), suppressed, perturbed. Ordered by rank, suppressed
    rows last. Everything is computed from the released rows only: the funnel z, the limits and
    the shrinkage prior never see a hidden employer's counts.
    """
    min_cell = check_min_cell(min_cell)
    frame, target, release_to = _employer_frame(store, principal, flt, min_cell)
    return _comparison(frame, target, release_to, limits)[0]


def comparison_basis(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                     min_cell: int = DEFAULT_MIN_CELL,
                     limits: stats.FunnelMethod = "exact") -> pl.DataFrame:
    """One row saying how the employer comparison was made: limits (the method used: the one
    asked for, or "exact" when the overdispersed limits were asked for but the between-employer
    variance cannot be estimated), limits_text (in words), tau2 (the between-employer variance of
    the released employers, null when it cannot be estimated), ranked (whether ranks are
    given) and no_rank_reason (why not)."""
    min_cell = check_min_cell(min_cell)
    frame, target, release_to = _employer_frame(store, principal, flt, min_cell)
    return _comparison(frame, target, release_to, limits)[1]


def _basis_frame(method: str, shrunk: stats.Shrinkage | None, network: bool) -> pl.DataFrame:
    tau2 = shrunk.tau2 if shrunk is not None else None
    reason = shrunk.no_rank_reason if shrunk is not None else None
    return pl.DataFrame({
        "limits": [method], "limits_text": [stats.FUNNEL_METHOD_TEXT[method]],
        "tau2": [round(tau2, 6 if network else 15) if tau2 is not None else None],
        "ranked": [shrunk is not None and shrunk.rankable], "no_rank_reason": [reason],
    }, schema={"limits": pl.String, "limits_text": pl.String, "tau2": pl.Float64,
               "ranked": pl.Boolean, "no_rank_reason": pl.String})


_COMPARISON_VALUES: Final = ("n", "offers", "accepted", *(c for r in RATES for c in triple(r)))
_COMPARISON_TABLE: Final = replace(
    conversion_table(_COMPARISON_VALUES, rates=list(RATES),
                     counts=("n", "offers", "accepted")),
    guards=(OFFER_GUARD, Guard("weeks_students", ("median_weeks",), additive=False),
            Guard("pay_students", ("median_hourly_pay", "hourly_pay_currency"), additive=False)),
    statistics=("median_weeks",), money=("median_hourly_pay",))


def _comparison(frame: pl.DataFrame, target: float, release_to: Release,
                method: stats.FunnelMethod = "exact") -> tuple[pl.DataFrame, pl.DataFrame]:
    if method not in ("exact", "overdispersed"):
        raise MetricsError(f"limits must be 'exact' or 'overdispersed', not {method!r}")
    frame = release(frame.sort("employer"), _COMPARISON_TABLE, release_to)
    shown = ~pl.col("suppressed")
    n = frame["n"].fill_null(0).to_numpy().astype(float)
    # Perturbed counts can put accepted above n by the noise: the statistics take it as n.
    accepted = np.minimum(frame["accepted"].fill_null(0).to_numpy().astype(float), n)
    visible = ~frame["suppressed"].to_numpy().astype(bool)
    # The shrinkage (and its between-employer variance, which the overdispersed limits add)
    # comes from the released employers only, so a hidden employer's counts cannot be solved
    # for from the shrunken rates of the visible ones.
    shrunk_fit = stats.shrinkage(accepted[visible], n[visible]) if visible.any() else None
    tau2 = shrunk_fit.tau2 if shrunk_fit is not None else None
    if method == "overdispersed" and tau2 is None:
        method = "exact"  # nothing to add: the variance between employers cannot be estimated
    extra = float(tau2 or 0.0) if method == "overdispersed" else 0.0
    z = (stats.funnel_z(accepted, n, target, tau2=extra) if not math.isnan(target)
         else np.full(len(n), np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, accepted / n, np.nan)
    limits = stats.funnel_limits(target if not math.isnan(target) else 0.0, n.astype(np.int64),
                                 method=method, tau2=extra if method == "overdispersed" else None)
    outside = {}
    for label in ("95", "998"):
        low = limits[f"low_{label}"].to_numpy().astype(float)
        high = limits[f"high_{label}"].to_numpy().astype(float)
        outside[label] = np.where(np.isnan(rate) | np.isnan(low) | math.isnan(target), False,
                                  (rate < low) | (rate > high))
    shrunk = np.full(len(n), np.nan)
    if shrunk_fit is not None:
        shrunk[visible] = shrunk_fit.rates
    # Released rounded, like every derived statistic: full precision would let anyone solve the
    # shrinkage's equations for counts that are not shown.
    z_digits, rate_digits = 2, RATE_DECIMALS
    frame = frame.with_columns(
        pl.when(shown).then(pl.Series("z_score", z, dtype=pl.Float64).fill_nan(None).round(z_digits))
        .alias("z_score"),
        pl.when(shown).then(pl.Series("outside_95", outside["95"], dtype=pl.Boolean)).alias("outside_95"),
        pl.when(shown).then(pl.Series("outside_998", outside["998"], dtype=pl.Boolean))
        .alias("outside_998"),
        pl.when(shown & (pl.col("n") > 0)).then(
            pl.Series("shrunk_conversion", shrunk, dtype=pl.Float64).fill_nan(None).round(rate_digits))
        .alias("shrunk_conversion"),
    )
    # Rank the visible rows by shrunk conversion (ties: larger cohort, then name); 1 = best.
    # A collapsed shrinkage (every rate the pooled one) gives no rank: it would rank sizes.
    rankable = shrunk_fit is not None and shrunk_fit.rankable
    order = frame.with_row_index("_row").filter(
        shown & pl.col("shrunk_conversion").is_not_null() & pl.lit(rankable)
    ).sort(["shrunk_conversion", "n", "employer"], descending=[True, True, False])
    ranks = dict(zip(order["_row"].to_list(), range(1, order.height + 1), strict=True))
    ranked = frame.with_columns(
        pl.Series("rank", [ranks.get(i) for i in range(frame.height)], dtype=pl.Int64)
    )
    value_cols = [*_COMPARISON_VALUES, "z_score", "outside_95", "outside_998", "shrunk_conversion"]
    result = ranked.sort(["rank", "suppressed", "employer"], nulls_last=True).select(
        "employer", "employer_key", *value_cols, "rank", "median_hourly_pay",
        "hourly_pay_currency", "median_weeks", "suppressed", PERTURBED,
    )
    return result, _basis_frame(method, shrunk_fit, release_to.network)


def funnel_plot(store: Store, principal: Principal,
                flt: Filter = ALL_PLACEMENTS, *, min_cell: int = DEFAULT_MIN_CELL,
                points: int = 200, limits: stats.FunnelMethod = "exact",
                ) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """(employer points, control limits, target) for a funnel plot of conversion.

    points: the employer_comparison rows that are not suppressed. limits: stats.funnel_limits
    around the target over cohort sizes from 1 to the largest employer (about `points` sizes,
    log-spaced, plus every employer's own size), by the method comparison_basis reports for
    `limits`. target: the pooled conversion rate of the scope (the same as overview()'s), nan
    when suppressed.
    """
    _, shown, control, target, _ = employer_funnel(store, principal, flt, min_cell=min_cell, points=points,
                                                limits=limits)
    return shown, control, target


def employer_funnel(store: Store, principal: Principal,
                    flt: Filter = ALL_PLACEMENTS, *, min_cell: int = DEFAULT_MIN_CELL,
                    points: int = 200, limits: stats.FunnelMethod = "exact",
                    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, float, pl.DataFrame]:
    """(employer_comparison, funnel points, control limits, target, comparison_basis) of one
    filter, from one pass
    over the facts: the Employers page shows both the ranking and the funnel plot, and each
    costs the same per-employer aggregation (the page's largest cost at 10M placements)."""
    min_cell = check_min_cell(min_cell)
    frame, target, release_to = _employer_frame(store, principal, flt, min_cell)
    comparison, basis = _comparison(frame, target, release_to, limits)
    method: stats.FunnelMethod = "overdispersed" if basis["limits"][0] == "overdispersed" else "exact"
    tau2 = float(basis["tau2"][0]) if method == "overdispersed" else None
    shown = comparison.filter(~pl.col("suppressed"))
    largest = int(shown["n"].max() or 0) if shown.height else 0  # type: ignore[arg-type]
    if math.isnan(target) or largest == 0:
        return comparison, shown, stats.funnel_limits(0.0, np.array([], dtype=np.int64)), target, basis
    grid = np.unique(np.concatenate([
        np.round(np.geomspace(1, max(largest, 2), points)).astype(np.int64),
        shown["n"].to_numpy().astype(np.int64),
    ]))
    return comparison, shown, stats.funnel_limits(target, grid, method=method, tau2=tau2), target, basis


def pay_vs_conversion(store: Store, principal: Principal,
                      flt: Filter = ALL_PLACEMENTS, currency: str | None = None, *,
                      min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Per employer: conversion against median hourly pay in one currency (default: main).

    Columns: employer, employer_key, n (eligible), conversion_rate triple, median_hourly_pay,
    hourly_pay_currency, suppressed (n under min_cell); the median is null under min_cell paid
    records in that currency.
    """
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    # Conversion and pay in two plain grouped queries: an aggregate with a FILTER clause (median
    # ... FILTER (WHERE currency = ?)) is several times slower in DuckDB.
    frame = resolve_sizes(store, scope, query(store, f"""
        SELECT {scope.facts.employer_id} AS g, {scope.conversion_counts()}, {scope.conversion_keys()},
               {scope.conversion_students()}
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params), scope.conversion_sizes(),
                          min_cell, groups={"g": scope.facts.employer_id})
    pay, currency = pay_medians(store, scope, scope.facts.employer_id, currency, min_cell)
    frame = frame.join(pay.select("g", "pay_students", "median_hourly_pay"), on="g", how="left",
                       nulls_equal=True)
    frame = with_employer(frame, employer_names(store, scope)).with_columns(
        pl.lit(currency, dtype=pl.String).alias("hourly_pay_currency"),
    ).sort("employer")
    value_cols = ["n", *triple("conversion_rate")]
    table = Table(size="students", values=(*value_cols, "median_hourly_pay"), counts=("n", "accepted"),
                  rates=conversion_rates("conversion_rate"),
                  guards=(Guard("pay_students", ("median_hourly_pay",), additive=False),),
                  money=("median_hourly_pay",),
                  kind="outcomes")
    frame = release(frame, table, scope.release(min_cell))
    return frame.select("employer", "employer_key", *value_cols, "median_hourly_pay",
                        "hourly_pay_currency", "suppressed", PERTURBED)


def university_view(store: Store, principal: Principal, university: str, flt: Filter = ALL_PLACEMENTS, *,
                    min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """For one university's interns, per employer: their outcomes beside the network's.

    The network is every university in scope (the filter's own university selection is ignored).
    Columns: employer, employer_key, n_university (eligible interns from this university),
    conversion_university triple, n_network (eligible interns from all universities),
    conversion_network triple, suppressed (university cell under min_cell, or its complement),
    network_suppressed (network cell under min_cell, or the other universities' part of it --
    n_network - n_university -- under min_cell, which subtraction would otherwise reveal).
    Employers with any placement from the university are listed; ordered by n_university.
    """
    min_cell = check_min_cell(min_cell)
    network = flt.replace(universities=())
    if not (principal.whole_network or university in principal.universities):
        raise access.AccessDenied(f"{principal.label} may not see {university}'s interns.")
    scope = scope_for(store, principal, network, network=True, min_cell=min_cell)
    e = scope.eligible
    mine = "university = ?"  # every ? in the select list binds the university
    columns = f"""
        {scope.facts.employer_id} AS g,
        count_if({e} AND {mine}) AS n_university,
        count_if({e} AND accepted AND {mine}) AS accepted_university,
        {scope.students('students_university', f'{e} AND {mine}')},
        count_if({e}) AS n_network, {scope.key('n_network', e)},
        count_if({e} AND accepted) AS accepted_network,
        {scope.key('accepted_network', f'{e} AND accepted')},
        {scope.students('students_network', e)},
        {scope.students('students_others', f'{e} AND NOT ({mine})')}"""
    frame = query(store, f"SELECT {columns} FROM {scope.relation} {scope.where()} "
                         f"GROUP BY ALL HAVING count_if({mine}) > 0",
                  [*[university] * columns.count("?"), *scope.params, university])
    frame = resolve_sizes(
        store, scope, frame,
        {"students_university": f"{e} AND {mine}", "students_network": e,
         "students_others": f"{e} AND NOT ({mine})"}, min_cell, groups={"g": scope.facts.employer_id},
        size_params={"students_university": [university], "students_others": [university]})
    frame = with_employer(frame, employer_names(store, scope)).sort("employer")
    # The university's own cells: exact for its staff, complementary suppression over the column.
    university_cols = ["n_university", *triple("conversion_university")]
    own = Release.of(principal, min_cell, blocked=scope.blocked)
    frame = release(frame, Table(size="students_university", values=tuple(university_cols),
                                 rates=(Rate("conversion_university", "accepted_university",
                                             "n_university"),), kind="outcomes"), own).drop(PERTURBED)
    # The network cells include other universities' interns: perturbed for everyone but admins.
    # Hidden too: an employer its network comparison hides (the same cell must not appear here),
    # and a network cell whose other universities' part is under min_cell students (network minus
    # this university would reveal it).
    hidden = hidden_values(store, principal, network, "employer_key", True, min_cell)
    frame = frame.with_columns(
        (pl.col("employer_key").is_in(list(hidden)) | (pl.col("students_others") > 0)
         & (pl.col("students_others") < min_cell)).alias("network_suppressed"),
        (pl.col("n_network") - pl.col("n_university")).alias(OUTSIDE),
    )
    network_cols = ["n_network", *triple("conversion_network")]
    # The network column lists only this university's employers, so it adds up to no total
    # shown anywhere: no complementary cells are needed.
    frame = release(frame, Table(size="students_network", values=tuple(network_cols),
                                 counts=("n_network", "accepted_network"),
                                 rates=(Rate("conversion_network", "accepted_network", "n_network"),),
                                 total=False, flag="network_suppressed", kind="outcomes"),
                    scope.release(min_cell))
    return frame.sort(["n_university", "employer"], descending=[True, False], nulls_last=True).select(
        "employer", "employer_key", *university_cols, *network_cols, "suppressed",
        "network_suppressed", PERTURBED,
    )
