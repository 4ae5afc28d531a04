"""Durations, schedules and academic credit."""

from __future__ import annotations

import polars as pl

from analytics.access import Principal
from analytics.disclosure import PERTURBED, Guard, Rate, Table, release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
)
from analytics.metrics.frames import (
    cells,
    check_min_cell,
    quantiles_from_counts,
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
    mean_weeks, p25_weeks, p75_weeks, suppressed, perturbed. Exact quantiles from value counts."""
    min_cell = check_min_cell(min_cell)
    dimension = check_dimension(dimension)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    group = group_column(dimension, scope.facts)
    known = "duration_weeks IS NOT NULL"
    counts = (f"SELECT {group} AS g, duration_weeks AS v, count(*) AS c "
              f"FROM {scope.relation} {scope.where(known)} GROUP BY ALL")
    frame = query(store, quantiles_from_counts(
        counts, [("p25_weeks", 0.25), ("median_weeks", 0.5), ("p75_weeks", 0.75)]), scope.params)
    frame = frame.with_columns(pl.col("mean").alias("mean_weeks")).join(
        cells(store, scope, {"g": group}, {"n": "TRUE"}, {"students": "TRUE"}, known,
              min_cell=min_cell),
        on="g", how="left", nulls_equal=True)
    frame = with_labels(frame, dimension, names_for(store, scope, dimension)).sort("sort_key", "group")
    weeks = ("median_weeks", "mean_weeks", "p25_weeks", "p75_weeks")
    frame = release(frame, Table(size="students", values=("n", *weeks), counts=("n",), statistics=weeks),
                    scope.release(min_cell))
    return frame.select("group", "sort_key", "n", *weeks, "suppressed", PERTURBED)


def duration_distribution(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                          min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Placements per whole number of weeks (rounded half away from zero): weeks, count,
    suppressed, perturbed."""
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = cells(store, scope, {"weeks": "CAST(round(duration_weeks) AS BIGINT)"}, {"count": "TRUE"},
                  {"students": "TRUE"}, "duration_weeks IS NOT NULL", min_cell=min_cell).sort("weeks")
    frame = release(frame, Table(size="students", values=("count",), counts=("count",)),
                    scope.release(min_cell))
    return frame.select("weeks", "count", "suppressed", PERTURBED)


def schedule_mix(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, by: str = "term_season", *,
                 min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Full-time / part-time mix per group: group, sort_key, n (placements with known hours),
    full_time, part_time (each shown only when it covers at least min_cell students),
    full_time_share, suppressed, perturbed."""
    min_cell = check_min_cell(min_cell)
    by = check_dimension(by)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = cells(store, scope, {"g": group_column(by, scope.facts)},
                  {"n": "schedule IS NOT NULL", "full_time": "schedule = 'full_time'",
                   "part_time": "schedule = 'part_time'"},
                  {"students": "schedule IS NOT NULL", "full_time_students": "schedule = 'full_time'",
                   "part_time_students": "schedule = 'part_time'"}, min_cell=min_cell)
    frame = with_labels(frame, by, names_for(store, scope, by)).sort("sort_key", "group")
    value_cols = ("n", "full_time", "part_time", "full_time_share")
    table = Table(size="students", values=value_cols, counts=("n", "full_time", "part_time"),
                  rates=(Rate("full_time_share", "full_time", "n", interval=False),),
                  # either count follows from the other, the share and n: both sides must be large
                  guards=(Guard(("full_time_students", "part_time_students"),
                                ("full_time", "part_time", "full_time_share")),))
    frame = release(frame, table, scope.release(min_cell))
    return frame.select("group", "sort_key", *value_cols, "suppressed", PERTURBED)


def credit_share_by(store: Store, principal: Principal, dimension: str, flt: Filter = ALL_PLACEMENTS, *,
                    min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Academic-credit share per group: group, sort_key, n (placements with known credit
    status), academic_credit (shown when it covers at least min_cell students), credit_share,
    suppressed, perturbed."""
    min_cell = check_min_cell(min_cell)
    dimension = check_dimension(dimension)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = cells(store, scope, {"g": group_column(dimension, scope.facts)},
                  {"n": "academic_credit IS NOT NULL", "academic_credit": "academic_credit"},
                  {"students": "academic_credit IS NOT NULL", "credit_students": "academic_credit",
                   "no_credit_students": "NOT academic_credit"},
                  min_cell=min_cell)
    frame = with_labels(frame, dimension, names_for(store, scope, dimension)).sort("sort_key", "group")
    value_cols = ("n", "academic_credit", "credit_share")
    table = Table(size="students", values=value_cols, counts=("n", "academic_credit"),
                  rates=(Rate("credit_share", "academic_credit", "n", interval=False),),
                  guards=(Guard(("credit_students", "no_credit_students"),
                                ("academic_credit", "credit_share")),))
    frame = release(frame, table, scope.release(min_cell))
    return frame.select("group", "sort_key", *value_cols, "suppressed", PERTURBED)
