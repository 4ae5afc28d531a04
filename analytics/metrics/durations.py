"""Durations, schedules and academic credit."""

from __future__ import annotations

import polars as pl

from analytics import stats
from analytics.access import Principal
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
)
from analytics.metrics.frames import (
    check_min_cell,
    quantiles_from_counts,
    share_expr,
)
from analytics.metrics.labels import (
    check_dimension,
    group_column,
    names_for,
    with_labels,
)
from analytics.metrics.scope import (
    query,
)
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store


def duration_by(store: Store, principal: Principal, dimension: str, flt: Filter = ALL_PLACEMENTS, *,
                min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Weeks per group: group, sort_key, n (placements with a known duration), median_weeks,
    mean_weeks, p25_weeks, p75_weeks, suppressed. Exact quantiles from value counts."""
    min_cell = check_min_cell(min_cell)
    dimension = check_dimension(dimension)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    counts = (f"SELECT {group_column(dimension, scope.facts)} AS g, duration_weeks AS v, count(*) AS c "
              f"FROM {scope.relation} {scope.where('duration_weeks IS NOT NULL')} GROUP BY ALL")
    frame = query(store, quantiles_from_counts(
        counts, [("p25_weeks", 0.25), ("median_weeks", 0.5), ("p75_weeks", 0.75)]), scope.params)
    frame = frame.with_columns(pl.col("total").cast(pl.Int64).alias("n"),
                               pl.col("mean").alias("mean_weeks"))
    frame = with_labels(frame, dimension, names_for(store, scope, dimension)).sort("sort_key", "group")
    value_cols = ["n", "median_weeks", "mean_weeks", "p25_weeks", "p75_weeks"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")


def duration_distribution(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                          min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Placements per whole number of weeks (rounded half away from zero): weeks, count,
    suppressed."""
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = query(store, f"""
        SELECT CAST(round(duration_weeks) AS BIGINT) AS weeks, count(*) AS count
        FROM {scope.relation} {scope.where('duration_weeks IS NOT NULL')}
        GROUP BY ALL ORDER BY weeks""", scope.params)
    return stats.suppress(frame, "count", min_cell, total=True, value_cols=["count"])


def schedule_mix(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, by: str = "term_season", *,
                 min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Full-time / part-time mix per group: group, sort_key, n (placements with known hours),
    full_time, part_time, full_time_share, suppressed."""
    min_cell = check_min_cell(min_cell)
    by = check_dimension(by)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = query(store, f"""
        SELECT {group_column(by, scope.facts)} AS g, count(schedule) AS n,
               count_if(schedule = 'full_time') AS full_time,
               count_if(schedule = 'part_time') AS part_time
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    frame = with_labels(frame, by, names_for(store, scope, by)).sort("sort_key", "group")
    frame = frame.with_columns(share_expr(pl.col("full_time"), pl.col("n")).alias("full_time_share"))
    value_cols = ["n", "full_time", "part_time", "full_time_share"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")


def credit_share_by(store: Store, principal: Principal, dimension: str, flt: Filter = ALL_PLACEMENTS, *,
                    min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Academic-credit share per group: group, sort_key, n (placements with known credit
    status), academic_credit, credit_share, suppressed."""
    min_cell = check_min_cell(min_cell)
    dimension = check_dimension(dimension)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = query(store, f"""
        SELECT {group_column(dimension, scope.facts)} AS g, count(academic_credit) AS n,
               count_if(academic_credit) AS academic_credit
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    frame = with_labels(frame, dimension, names_for(store, scope, dimension)).sort("sort_key", "group")
    frame = frame.with_columns(share_expr(pl.col("academic_credit"), pl.col("n")).alias("credit_share"))
    value_cols = ["n", "academic_credit", "credit_share"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")
