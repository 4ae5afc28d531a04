"""The Data page: summary tables, row-level records, filter options, reference figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl

from analytics import access, schema, stats
from analytics.access import Principal
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    BENCHMARKS_CSV,
    MAX_RECORDS,
    MetricsError,
)
from analytics.metrics.frames import (
    check_min_cell,
    main_currency,
    null_where,
    quantiles_from_counts,
    share_expr,
)
from analytics.metrics.labels import (
    check_dimension,
    employer_names,
    group_column,
    labels_for,
    names_for,
    term_sort_key,
    with_labels,
)
from analytics.metrics.scope import (
    query,
)
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store


def summary_table(store: Store, principal: Principal,
                  flt: Filter = ALL_PLACEMENTS, by: Sequence[str] = ("term",), *,
                  min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """An aggregated table by one to three dimensions, for the Data page and exports.

    Columns: the `by` columns (labels), n (placements), eligible, offers, accepted,
    conversion_rate, paid_share, median_hourly_pay, hourly_pay_currency (the scope's main
    currency), median_weeks, suppressed (n under min_cell, or complementary -- within the whole
    table and within every margin of the cross-table), conversion_suppressed (the same for the
    eligible count, which nulls eligible, offers, accepted and conversion_rate). paid_share,
    median pay and median weeks are null when fewer than min_cell records stand behind them.
    """
    min_cell = check_min_cell(min_cell)
    dims = tuple(check_dimension(d) for d in (by if not isinstance(by, str) else (by,)))
    if not 1 <= len(dims) <= 3 or len(set(dims)) != len(dims):
        raise MetricsError("summary_table needs one to three different dimensions")
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    keys = [f"g{i}" for i in range(len(dims))]
    selects = ", ".join(f"{group_column(d, scope.facts)} AS g{i}" for i, d in enumerate(dims))
    # Three plain grouped queries (counts; pay by currency; weeks by value) rather than one with
    # median(...) FILTER (...), which DuckDB runs several times slower.
    frame = query(store, f"""
        SELECT {selects}, count(*) AS n, {scope.conversion_counts('c_')},
               count_if(paid) AS paid_n, count(paid) AS paid_known
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    frame = frame.rename({"c_n": "eligible", "c_offers": "offers", "c_accepted": "accepted"})
    pay = query(store, f"""
        SELECT {selects}, currency, count(*) AS pay_n, median(hourly_pay) AS median_hourly_pay
        FROM {scope.relation} {scope.where("hourly_pay IS NOT NULL", "currency IS NOT NULL")}
        GROUP BY ALL""", scope.params)
    totals = pay.group_by("currency").agg(pl.col("pay_n").sum())
    currency = main_currency(dict(zip(totals["currency"].to_list(), totals["pay_n"].to_list(),
                                       strict=True)))
    pay = pay.filter(pl.col("currency").eq_missing(currency)).drop("currency")
    weeks = query(store, quantiles_from_counts(
        f"SELECT {selects}, duration_weeks AS v, count(*) AS c FROM {scope.relation} "
        f"{scope.where('duration_weeks IS NOT NULL')} GROUP BY ALL",
        [("median_weeks", 0.5)], keys), scope.params).select(*keys, pl.col("total").alias("weeks_n"),
                                                             "median_weeks")
    frame = (frame.join(pay, on=keys, how="left", nulls_equal=True)
             .join(weeks, on=keys, how="left", nulls_equal=True))
    sort_cols = []
    for i, d in enumerate(dims):
        frame = with_labels(frame, d, names_for(store, scope, d), column=f"g{i}", label=d,
                             sort_key=f"_sort{i}")
        sort_cols.append(f"_sort{i}")
    frame = frame.sort(sort_cols)
    frame = frame.with_columns(
        share_expr(pl.col("accepted"), pl.col("eligible")).alias("conversion_rate"),
        share_expr(pl.col("paid_n"), pl.col("paid_known")).alias("paid_share"),
        pl.lit(currency, dtype=pl.String).alias("hourly_pay_currency"),
    )
    frame = null_where(frame, pl.col("paid_known") < min_cell, ["paid_share"])
    frame = null_where(frame, pl.col("pay_n").fill_null(0) < min_cell, ["median_hourly_pay"])
    frame = null_where(frame, pl.col("weeks_n").fill_null(0) < min_cell, ["median_weeks"])
    conversion_cols = ["eligible", "offers", "accepted", "conversion_rate"]
    frame = stats.suppress(frame, "eligible", min_cell, total=True, value_cols=conversion_cols,
                           dims=dims, flag="conversion_suppressed")
    value_cols = ["n", *conversion_cols, "paid_share", "median_hourly_pay", "median_weeks"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols, dims=dims)
    frame = frame.with_columns(pl.col("conversion_suppressed") | pl.col("suppressed"))
    return frame.select(*dims, "n", *conversion_cols, "paid_share", "median_hourly_pay",
                        "hourly_pay_currency", "median_weeks", "suppressed", "conversion_suppressed")


_RECORD_COLUMNS: Final = tuple(f.name for f in schema.FIELDS)


def records(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, limit: int = 1000,
            offset: int = 0) -> pl.DataFrame:
    """Row-level placements for analysts, their own scope only (student ids are the stored
    pseudonyms), canonical columns, ordered by placement_id; at most MAX_RECORDS rows per call."""
    access.require(principal, access.VIEW_RECORDS, "see row-level records")
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise MetricsError(f"{name} must be a whole number >= 0, got {value!r}")
    where, params = _placements_where(principal, flt)
    return store.query(
        f"SELECT {', '.join(_RECORD_COLUMNS)} FROM placements {where} "
        "ORDER BY placement_id LIMIT ? OFFSET ?",
        [*params, min(limit, MAX_RECORDS), offset],
    )


def record_count(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS) -> int:
    """How many placements of the principal's scope the filter selects. The pages use it only to
    choose between their empty, no-match and suppressed states; it is never shown as a figure."""
    access.require(principal, access.VIEW, "see these figures")
    where, params = _placements_where(principal, flt)
    return int(store.scalar(f"SELECT count(*) FROM placements {where}", params) or 0)


def _placements_where(principal: Principal, flt: Filter) -> tuple[str, list[Any]]:
    if not isinstance(flt, Filter):
        raise MetricsError(f"expected a Filter, got {type(flt).__name__}")
    allowed, allowed_params = access.row_conditions(principal)
    conditions, params = flt.conditions()
    parts = [*allowed, *conditions]
    return ("WHERE " + " AND ".join(parts)) if parts else "", [*allowed_params, *params]


def options(store: Store, principal: Principal) -> dict[str, list[Any]]:
    """Distinct values for the sidebar filters: term_years, term_seasons (calendar order),
    universities, employers (display names), role_families / degree_levels / work_modes (enum
    order first), schedules, terms (chronological)."""
    scope = scope_for(store, principal, ALL_PLACEMENTS)
    rel = scope.relation

    def distinct(column: str) -> list[Any]:
        return [r[0] for r in store.rows(
            f"SELECT DISTINCT {column} FROM {rel} {scope.where(f'{column} IS NOT NULL')}",
            scope.params)]

    def ordered(column: str) -> list[str]:
        values = distinct(column)
        labels, keys = labels_for(column, values)
        return [label for _, label in sorted(zip(keys, labels, strict=True))]

    ids = set(distinct(scope.facts.employer_id))
    names = [name for ident, (_, name) in employer_names(store, scope.facts).items() if ident in ids]
    terms = distinct("term")
    return {
        "term_years": sorted(int(y) for y in distinct("term_year")),
        "term_seasons": ordered("term_season"),
        "universities": sorted(distinct("university"), key=lambda s: (s.casefold(), s)),
        "employers": sorted(set(names), key=lambda s: (s.casefold(), s)),
        "role_families": ordered("role_family"),
        "degree_levels": ordered("degree_level"),
        "work_modes": ordered("work_mode"),
        "schedules": ordered("schedule"),
        "terms": sorted(terms, key=term_sort_key),
    }


# ================================================================================================
# Reference figures
# ================================================================================================
def benchmarks(path: Path | None = None) -> pl.DataFrame:
    """National reference figures (NACE): metric, value, unit, year, source, note."""
    return pl.read_csv(
        path or BENCHMARKS_CSV,
        schema={"metric": pl.String, "value": pl.Float64, "unit": pl.String, "year": pl.Int64,
                "source": pl.String, "note": pl.String},
    )
