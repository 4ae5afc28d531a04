"""Conversion: rates by group, the funnel, and conversion by duration band."""

from __future__ import annotations

import math
from dataclasses import replace

import polars as pl

from analytics import stats
from analytics.access import Principal
from analytics.disclosure import PERTURBED, RATE_DECIMALS, Table, release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    METHODS,
    RATES,
    UNKNOWN,
    UNKNOWN_SORT,
    WEEK_BANDS,
    Method,
    MetricsError,
)
from analytics.metrics.frames import (
    check_min_cell,
    conversion_table,
    rate_columns,
    resolve_sizes,
    triple,
)
from analytics.metrics.labels import (
    check_dimension,
    group_column,
    names_for,
    with_labels,
)
from analytics.metrics.scope import (
    bigint,
    query,
)
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store


def conversion_by(store: Store, principal: Principal,
                  dimension: str, flt: Filter = ALL_PLACEMENTS, method: Method = "pooled",
                  *, min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Offer, acceptance and conversion rates per group of `dimension`.

    Columns: group (label; 'yes'/'no'/'unknown' for booleans, 'unknown' for missing values),
    sort_key (chronological for terms), n (eligible interns), offers, accepted, known_outcome,
    offer_rate / acceptance_rate / conversion_rate / knowledge_rate triples, employers (employers
    with eligible interns in the group), suppressed. Ordered by sort_key.

    method="pooled": sum over sum with Wilson intervals. method="employer_mean": each rate is
    the unweighted mean of the group's employers' own rates (employers with a zero denominator
    are left out), with a Student-t interval across employers; a group with a single employer
    reports that employer's rate with its Wilson interval (the two coincide). The knowledge rate
    is pooled in both methods (it measures the data, not the employers).
    """
    min_cell = check_min_cell(min_cell)
    dimension = check_dimension(dimension)
    if method not in METHODS:
        raise MetricsError(f"unknown method {method!r}; choose 'pooled' or 'employer_mean'")
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    column = group_column(dimension, scope.facts)
    sql = f"""
        SELECT g, CAST(sum(n) AS BIGINT) AS n, CAST(sum(offers) AS BIGINT) AS offers,
               CAST(sum(accepted) AS BIGINT) AS accepted,
               CAST(sum(known_outcome) AS BIGINT) AS known_outcome,
               {', '.join(f"{bigint(f'sum({c})')} AS {c}" for c in (
                   "n_key", "offers_key", "accepted_key", "known_outcome_key", "students_low",
                   "students_high", "offer_students_low", "offer_students_high"))},
               count(*) FILTER (WHERE n > 0) AS employers,
               avg(offers / n) FILTER (WHERE n > 0) AS offer_mean,
               stddev_samp(offers / n) FILTER (WHERE n > 0) AS offer_sd,
               avg(accepted / offers) FILTER (WHERE offers > 0) AS acceptance_mean,
               stddev_samp(accepted / offers) FILTER (WHERE offers > 0) AS acceptance_sd,
               count(*) FILTER (WHERE offers > 0) AS acceptance_k,
               avg(accepted / n) FILTER (WHERE n > 0) AS conversion_mean,
               stddev_samp(accepted / n) FILTER (WHERE n > 0) AS conversion_sd
        FROM (
            SELECT {column} AS g, {scope.facts.employer_id} AS e, {scope.conversion_selects()}
            FROM {scope.relation} {scope.where()} GROUP BY ALL
        )
        GROUP BY g"""
    frame = resolve_sizes(store, scope, query(store, sql, scope.params), scope.conversion_sizes(),
                          min_cell, groups={"g": column})
    frame = with_labels(frame, dimension, names_for(store, scope, dimension))
    rates: list[str] | None = None
    if method == "employer_mean":
        # Means of employers' own rates replace the pooled triples; only the knowledge rate
        # (a property of the data, not of employers) is still pooled by the gate.
        frame = _employer_mean_columns(rate_columns(frame, [
            ("offer_rate", "offers", "n"), ("acceptance_rate", "accepted", "offers"),
            ("conversion_rate", "accepted", "n")]))
        rates = ["knowledge_rate"]
    frame = frame.sort("sort_key", "group")
    value_cols = ["n", "offers", "accepted", "known_outcome", "employers",
                  *(c for r in (*RATES, "knowledge_rate") for c in triple(r))]
    table = conversion_table(value_cols, rates=rates)
    if rates is not None:  # the employer means are rounded like any other perturbed statistic
        table = replace(table, statistics=tuple(c for r in RATES for c in triple(r)))
    frame = release(frame, table, scope.release(min_cell))
    return frame.select("group", "sort_key", *value_cols[:4], *value_cols[5:], "employers",
                        "suppressed", PERTURBED)


def _employer_mean_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Replace pooled rate triples by the mean of employers' rates with a t interval."""
    updates: dict[str, list[float | None]] = {}
    for rate, k_col in (("offer", "employers"), ("acceptance", "acceptance_k"),
                        ("conversion", "employers")):
        means: list[float | None] = []
        lows: list[float | None] = []
        highs: list[float | None] = []
        for row in frame.iter_rows(named=True):
            k = int(row[k_col] or 0)
            mean, sd = row[f"{rate}_mean"], row[f"{rate}_sd"]
            if k == 0 or mean is None:
                means.append(None)
                lows.append(None)
                highs.append(None)
            elif k == 1:  # one employer: its own rate, whose honest interval is Wilson's
                means.append(row[f"{rate}_rate"])
                lows.append(row[f"{rate}_rate_low"])
                highs.append(row[f"{rate}_rate_high"])
            else:
                half = stats.t_value(k - 1) * float(sd or 0.0) / math.sqrt(k)
                means.append(float(mean))
                lows.append(max(0.0, mean - half))
                highs.append(min(1.0, mean + half))
        updates[f"{rate}_rate"] = means
        updates[f"{rate}_rate_low"] = lows
        updates[f"{rate}_rate_high"] = highs
    return frame.with_columns([pl.Series(name, values, dtype=pl.Float64)
                               for name, values in updates.items()])


def funnel(store: Store, principal: Principal,
           flt: Filter = ALL_PLACEMENTS, *, min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Completed -> Eligible -> Offered -> Accepted.

    Columns: stage, count, share_of_first, share_of_previous, suppressed (a stage with fewer
    than min_cell placements shows no count and no shares).
    """
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    e = scope.eligible
    stages = (("Completed", "completed"), ("Eligible", e), ("Offered", f"{e} AND offered"),
              ("Accepted", f"{e} AND accepted"))
    # One row per stage: its placements, their cell key and their distinct students.
    selects = ", ".join(
        f"count_if({condition}) AS c{i}, {scope.key(f'c{i}', condition)}, "
        f"{scope.students(f's{i}', condition)}" for i, (_, condition) in enumerate(stages))
    wide = resolve_sizes(store, scope,
                         query(store, f"SELECT {selects} FROM {scope.relation} {scope.where()}",
                               scope.params),
                         {f"s{i}": condition for i, (_, condition) in enumerate(stages)}, min_cell)
    frame = pl.DataFrame({
        "stage": [stage for stage, _ in stages],
        "count": [int(wide[f"c{i}"][0] or 0) for i in range(len(stages))],
        "count_key": [int(wide[f"c{i}_key"][0] or 0) for i in range(len(stages))],
        "students": [int(wide[f"s{i}"][0] or 0) for i in range(len(stages))],
    })
    frame = release(frame, Table(size="students", values=("count",), counts=("count",), total=False),
                    scope.release(min_cell))
    # Shares from the released counts; a share needs both of its stages visible.
    counts = pl.col("count").cast(pl.Float64)
    frame = frame.with_columns(
        (counts / counts.first()).alias("share_of_first"),
        (counts / counts.shift(1, fill_value=counts.first())).alias("share_of_previous"),
    ).with_columns(
        pl.when(pl.col(c).is_infinite() | pl.col(c).is_nan()).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("share_of_first", "share_of_previous"))
    if frame[PERTURBED].any():
        frame = frame.with_columns(pl.col("share_of_first", "share_of_previous").round(RATE_DECIMALS))
    return frame.select("stage", "count", "share_of_first", "share_of_previous", "suppressed",
                        PERTURBED)


def duration_vs_conversion(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                           min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Conversion by duration band (WEEK_BANDS, [low, high) weeks; missing duration = 'unknown').

    Columns: group, sort_key, n (eligible), offers, accepted, offer_rate and conversion_rate
    triples, suppressed.
    """
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    cases = " ".join(
        f"WHEN duration_weeks < {high!r} THEN {i}" for i, (_, high, _) in enumerate(WEEK_BANDS[:-1])
    )
    band = f"CASE WHEN duration_weeks IS NULL THEN NULL {cases} ELSE {len(WEEK_BANDS) - 1} END"
    frame = resolve_sizes(store, scope, query(
        store,
        f"SELECT {band} AS g, {scope.conversion_counts()}, {scope.conversion_keys()}, "
        f"{scope.conversion_students()} FROM {scope.relation} {scope.where()} GROUP BY ALL",
        scope.params,
    ), scope.conversion_sizes(), min_cell, groups={"g": band})
    labels = [WEEK_BANDS[g][2] if g is not None else UNKNOWN for g in frame["g"].to_list()]
    keys = [g if g is not None else UNKNOWN_SORT for g in frame["g"].to_list()]
    frame = frame.with_columns(pl.Series("group", labels, dtype=pl.String),
                               pl.Series("sort_key", keys, dtype=pl.Int64)).sort("sort_key")
    value_cols = ["n", "offers", "accepted", *triple("offer_rate"), *triple("conversion_rate")]
    table = conversion_table(value_cols, rates=["offer_rate", "acceptance_rate", "conversion_rate"])
    frame = release(frame, table, scope.release(min_cell))
    return frame.select("group", "sort_key", *value_cols, "suppressed", PERTURBED)
