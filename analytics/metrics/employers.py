"""Employers: the comparison (funnel-plot z, shrunken rank), pay against conversion, the university view."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from analytics import access, stats
from analytics.access import Principal
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    RATES,
)
from analytics.metrics.frames import (
    check_min_cell,
    null_small_acceptance,
    null_where,
    pay_medians,
    quantiles_from_counts,
    rate_columns,
    triple,
)
from analytics.metrics.labels import (
    employer_names,
    with_employer,
)
from analytics.metrics.scope import (
    query,
    scope_for,
)
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store


def _employer_frame(store: Store, principal: Principal,
                    flt: Filter, min_cell: int) -> tuple[pl.DataFrame, float]:
    """Per-employer comparison before ranking, and the pooled conversion (target) of the scope."""
    scope = scope_for(store, principal, flt)
    counts = f"""
        SELECT {scope.facts.employer_id} AS g, duration_weeks AS v, count(*) AS c,
               {scope.conversion_counts()}
        FROM {scope.relation} {scope.where()} GROUP BY ALL"""
    weeks = quantiles_from_counts("SELECT g, v, c FROM base WHERE v IS NOT NULL",
                                   [("median_weeks", 0.5)])
    frame = query(store, f"""
        WITH base AS MATERIALIZED ({counts}),
        conv AS (
            SELECT g, CAST(sum(n) AS BIGINT) AS n, CAST(sum(offers) AS BIGINT) AS offers,
                   CAST(sum(accepted) AS BIGINT) AS accepted,
                   CAST(sum(known_outcome) AS BIGINT) AS known_outcome
            FROM base GROUP BY g),
        weeks AS ({weeks})
        SELECT conv.*, weeks.median_weeks, CAST(weeks.total AS BIGINT) AS weeks_n
        FROM conv LEFT JOIN weeks USING (g)""", scope.params)
    pay = query(store, f"""
        SELECT {scope.facts.employer_id} AS g, currency, count(*) AS pay_n,
               median(hourly_pay) AS median_hourly_pay
        FROM {scope.relation} {scope.where('hourly_pay IS NOT NULL', 'currency IS NOT NULL')}
        GROUP BY ALL""", scope.params)
    # Each employer's pay in its own main currency (most paid records; ties alphabetical).
    pay = (pay.sort(["g", "pay_n", "currency"], descending=[False, True, False])
           .group_by("g", maintain_order=True).first()
           .rename({"currency": "hourly_pay_currency"}))
    frame = frame.join(pay, on="g", how="left", nulls_equal=True)
    frame = with_employer(frame, employer_names(store, scope.facts))
    eligible = int(frame["n"].sum() or 0)
    target = float(frame["accepted"].sum() or 0) / eligible if eligible else math.nan
    if eligible < min_cell:
        target = math.nan  # the scope's own conversion rate is suppressed
    return frame, target


def employer_comparison(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                        min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """One row per employer in scope.

    Columns: employer (display name: its most frequent spelling), employer_key, n (eligible
    interns), offers, accepted, offer_rate / acceptance_rate / conversion_rate triples (Wilson),
    z_score (funnel-plot z of the conversion rate against the scope's pooled conversion),
    outside_95 / outside_998 (beyond the 95% / 99.8% control limits), shrunk_conversion
    (empirical-Bayes beta-binomial, method of moments: see stats.shrink_rates), rank (1 = best
    shrunk conversion among the rows shown), median_hourly_pay with hourly_pay_currency (the
    employer's own main currency; null under min_cell paid records), median_weeks (null under
    min_cell known durations), suppressed. Ordered by rank, suppressed rows last.
    """
    min_cell = check_min_cell(min_cell)
    frame, target = _employer_frame(store, principal, flt, min_cell)
    return _comparison(frame, target, min_cell)


def _comparison(frame: pl.DataFrame, target: float, min_cell: int) -> pl.DataFrame:
    frame = rate_columns(frame, [("offer_rate", "offers", "n"), ("acceptance_rate", "accepted", "offers"),
                                  ("conversion_rate", "accepted", "n")])
    n = frame["n"].to_numpy().astype(float)
    accepted = frame["accepted"].to_numpy().astype(float)
    real_target = target if not math.isnan(target) else (accepted.sum() / n.sum() if n.sum() else math.nan)
    z = stats.funnel_z(accepted, n, real_target) if not math.isnan(real_target) else np.full(len(n), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, accepted / n, np.nan)
    limits = stats.funnel_limits(real_target if not math.isnan(real_target) else 0.0, n.astype(np.int64))
    outside = {}
    for label in ("95", "998"):
        low = limits[f"low_{label}"].to_numpy().astype(float)
        high = limits[f"high_{label}"].to_numpy().astype(float)
        outside[label] = np.where(np.isnan(rate) | np.isnan(low) | math.isnan(real_target), False,
                                  (rate < low) | (rate > high))
    shrunk, _, _ = stats.shrink_rates(accepted, n)
    frame = frame.with_columns(
        pl.Series("z_score", z, dtype=pl.Float64).fill_nan(None),
        pl.Series("outside_95", outside["95"], dtype=pl.Boolean),
        pl.Series("outside_998", outside["998"], dtype=pl.Boolean),
        pl.Series("shrunk_conversion", np.where(n > 0, shrunk, np.nan), dtype=pl.Float64).fill_nan(None),
    )
    frame = null_where(frame, pl.col("weeks_n").fill_null(0) < min_cell, ["median_weeks"])
    frame = null_where(frame, pl.col("pay_n").fill_null(0) < min_cell,
                        ["median_hourly_pay", "hourly_pay_currency"])
    frame = frame.sort("employer")
    value_cols = ["n", "offers", "accepted", *(c for r in RATES for c in triple(r)), "z_score",
                  "outside_95", "outside_998", "shrunk_conversion"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    frame = null_small_acceptance(frame, min_cell)
    # Rank the visible rows by shrunk conversion (ties: larger cohort, then name); 1 = best.
    order = frame.with_row_index("_row").filter(
        ~pl.col("suppressed") & pl.col("shrunk_conversion").is_not_null()
    ).sort(["shrunk_conversion", "n", "employer"], descending=[True, True, False])
    ranks = dict(zip(order["_row"].to_list(), range(1, order.height + 1), strict=True))
    ranked = frame.with_columns(
        pl.Series("rank", [ranks.get(i) for i in range(frame.height)], dtype=pl.Int64)
    )
    return ranked.sort(["rank", "employer"], nulls_last=True).select(
        "employer", "employer_key", *value_cols, "rank", "median_hourly_pay",
        "hourly_pay_currency", "median_weeks", "suppressed",
    )


def funnel_plot(store: Store, principal: Principal,
                flt: Filter = ALL_PLACEMENTS, *, min_cell: int = DEFAULT_MIN_CELL,
                points: int = 200) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """(employer points, control limits, target) for a funnel plot of conversion.

    points: the employer_comparison rows that are not suppressed. limits: stats.funnel_limits
    around the target over cohort sizes from 1 to the largest employer (about `points` sizes,
    log-spaced, plus every employer's own size). target: the pooled conversion rate of the scope
    (the same as overview()'s), nan when suppressed.
    """
    min_cell = check_min_cell(min_cell)
    frame, target = _employer_frame(store, principal, flt, min_cell)
    comparison = _comparison(frame, target, min_cell)
    shown = comparison.filter(~pl.col("suppressed"))
    largest = int(shown["n"].max() or 0) if shown.height else 0  # type: ignore[arg-type]
    if math.isnan(target) or largest == 0:
        return shown, stats.funnel_limits(0.0, np.array([], dtype=np.int64)), target
    grid = np.unique(np.concatenate([
        np.round(np.geomspace(1, max(largest, 2), points)).astype(np.int64),
        shown["n"].to_numpy().astype(np.int64),
    ]))
    return shown, stats.funnel_limits(target, grid), target


def pay_vs_conversion(store: Store, principal: Principal,
                      flt: Filter = ALL_PLACEMENTS, currency: str | None = None, *,
                      min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Per employer: conversion against median hourly pay in one currency (default: main).

    Columns: employer, employer_key, n (eligible), conversion_rate triple, median_hourly_pay,
    hourly_pay_currency, suppressed (n under min_cell); the median is null under min_cell paid
    records in that currency.
    """
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt)
    # Conversion and pay in two plain grouped queries: an aggregate with a FILTER clause (median
    # ... FILTER (WHERE currency = ?)) is several times slower in DuckDB.
    frame = query(store, f"""
        SELECT {scope.facts.employer_id} AS g, {scope.conversion_counts()}
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    pay, currency = pay_medians(store, scope, scope.facts.employer_id, currency)
    frame = frame.join(pay.select("g", "pay_n", "median_hourly_pay"), on="g", how="left",
                       nulls_equal=True)
    frame = with_employer(frame, employer_names(store, scope.facts)).with_columns(
        pl.lit(currency, dtype=pl.String).alias("hourly_pay_currency"),
    ).sort("employer")
    frame = rate_columns(frame, [("conversion_rate", "accepted", "n")])
    frame = null_where(frame, pl.col("pay_n").fill_null(0) < min_cell, ["median_hourly_pay"])
    value_cols = ["n", *triple("conversion_rate")]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("employer", "employer_key", *value_cols, "median_hourly_pay",
                        "hourly_pay_currency", "suppressed")


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
    scope = scope_for(store, principal, network, network=True)
    e = scope.eligible
    frame = query(store, f"""
        SELECT {scope.facts.employer_id} AS g,
               count_if({e} AND university = ?) AS n_university,
               count_if({e} AND accepted AND university = ?) AS accepted_university,
               count_if({e}) AS n_network, count_if({e} AND accepted) AS accepted_network
        FROM {scope.relation} {scope.where()}
        GROUP BY ALL HAVING count_if(university = ?) > 0""",
        [university, university, *scope.params, university])
    frame = with_employer(frame, employer_names(store, scope.facts)).sort("employer")
    frame = rate_columns(frame, [("conversion_university", "accepted_university", "n_university"),
                                  ("conversion_network", "accepted_network", "n_network")])
    others = pl.col("n_network") - pl.col("n_university")
    frame = frame.with_columns(((others > 0) & (others < min_cell)).alias("network_suppressed"))
    network_cols = ["n_network", *triple("conversion_network")]
    # The network column lists only this university's employers, so it adds up to no total
    # shown anywhere: small cells (and the differencing ones above) are hidden, no complement.
    frame = stats.suppress(frame, "n_network", min_cell, total=False, value_cols=network_cols,
                           flag="network_suppressed")
    university_cols = ["n_university", *triple("conversion_university")]
    frame = stats.suppress(frame, "n_university", min_cell, total=True, value_cols=university_cols)
    return frame.sort(["n_university", "employer"], descending=[True, False], nulls_last=True).select(
        "employer", "employer_key", *university_cols, *network_cols, "suppressed",
        "network_suppressed",
    )
