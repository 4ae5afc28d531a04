"""Conversion: rates by group, the funnel, and conversion by duration band."""

from __future__ import annotations

import math

import polars as pl

from analytics import stats
from analytics.access import Principal
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
    null_small_acceptance,
    rate_columns,
    triple,
)
from analytics.metrics.labels import (
    check_dimension,
    group_column,
    names_for,
    with_labels,
)
from analytics.metrics.scope import (
    query,
    scope_for,
)
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
    scope = scope_for(store, principal, flt)
    column = group_column(dimension, scope.facts)
    sql = f"""
        SELECT g, CAST(sum(n) AS BIGINT) AS n, CAST(sum(offers) AS BIGINT) AS offers,
               CAST(sum(accepted) AS BIGINT) AS accepted,
               CAST(sum(known_outcome) AS BIGINT) AS known_outcome,
               count(*) FILTER (WHERE n > 0) AS employers,
               avg(offers / n) FILTER (WHERE n > 0) AS offer_mean,
               stddev_samp(offers / n) FILTER (WHERE n > 0) AS offer_sd,
               avg(accepted / offers) FILTER (WHERE offers > 0) AS acceptance_mean,
               stddev_samp(accepted / offers) FILTER (WHERE offers > 0) AS acceptance_sd,
               count(*) FILTER (WHERE offers > 0) AS acceptance_k,
               avg(accepted / n) FILTER (WHERE n > 0) AS conversion_mean,
               stddev_samp(accepted / n) FILTER (WHERE n > 0) AS conversion_sd
        FROM (
            SELECT {column} AS g, {scope.facts.employer_id} AS e, {scope.conversion_counts()}
            FROM {scope.relation} {scope.where()} GROUP BY ALL
        )
        GROUP BY g"""
    frame = query(store, sql, scope.params)
    frame = with_labels(frame, dimension, names_for(store, scope, dimension))
    frame = rate_columns(frame, [("offer_rate", "offers", "n"), ("acceptance_rate", "accepted", "offers"),
                                  ("conversion_rate", "accepted", "n"),
                                  ("knowledge_rate", "known_outcome", "n")])
    if method == "employer_mean":
        frame = _employer_mean_columns(frame)
    frame = frame.sort("sort_key", "group")
    value_cols = ["n", "offers", "accepted", "known_outcome", "employers",
                  *(c for r in (*RATES, "knowledge_rate") for c in triple(r))]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    frame = null_small_acceptance(frame, min_cell)
    return frame.select("group", "sort_key", *value_cols[:4], *value_cols[5:], "employers",
                        "suppressed")


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
    scope = scope_for(store, principal, flt)
    row = store.rows(
        f"SELECT count_if(completed), {scope.conversion_counts()} FROM {scope.relation} {scope.where()}",
        scope.params,
    )[0]
    counts = [int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)]
    hidden = [c < min_cell for c in counts]
    first = counts[0]
    records = []
    for i, (stage, count) in enumerate(zip(("Completed", "Eligible", "Offered", "Accepted"), counts,
                                           strict=True)):
        previous = counts[i - 1] if i else count
        visible = not hidden[i]
        records.append({
            "stage": stage,
            "count": count if visible else None,
            "share_of_first": count / first if visible and first and not hidden[0] else None,
            "share_of_previous": (count / previous if visible and previous
                                  and not hidden[max(i - 1, 0)] else None),
            "suppressed": hidden[i],
        })
    return pl.DataFrame(records, schema={"stage": pl.String, "count": pl.Int64,
                                         "share_of_first": pl.Float64,
                                         "share_of_previous": pl.Float64, "suppressed": pl.Boolean})


def duration_vs_conversion(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                           min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Conversion by duration band (WEEK_BANDS, [low, high) weeks; missing duration = 'unknown').

    Columns: group, sort_key, n (eligible), offers, accepted, offer_rate and conversion_rate
    triples, suppressed.
    """
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt)
    cases = " ".join(
        f"WHEN duration_weeks < {high!r} THEN {i}" for i, (_, high, _) in enumerate(WEEK_BANDS[:-1])
    )
    band = f"CASE WHEN duration_weeks IS NULL THEN NULL {cases} ELSE {len(WEEK_BANDS) - 1} END"
    frame = query(
        store,
        f"SELECT {band} AS g, {scope.conversion_counts()} FROM {scope.relation} {scope.where()} "
        "GROUP BY ALL",
        scope.params,
    )
    labels = [WEEK_BANDS[g][2] if g is not None else UNKNOWN for g in frame["g"].to_list()]
    keys = [g if g is not None else UNKNOWN_SORT for g in frame["g"].to_list()]
    frame = frame.with_columns(pl.Series("group", labels, dtype=pl.String),
                               pl.Series("sort_key", keys, dtype=pl.Int64)).sort("sort_key")
    frame = rate_columns(frame, [("offer_rate", "offers", "n"), ("conversion_rate", "accepted", "n")])
    value_cols = ["n", "offers", "accepted", *triple("offer_rate"), *triple("conversion_rate")]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")
