"""The Data page: summary tables, row-level records, filter options, reference figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl

from analytics import access, schema
from analytics.access import Principal
from analytics.disclosure import PERTURBED, Guard, Rate, Table, release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    BENCHMARKS_CSV,
    MAX_RECORDS,
    MetricsError,
)
from analytics.metrics.frames import (
    cells,
    check_min_cell,
    main_currency,
    quantiles_from_counts,
    resolve_sizes,
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
    base_scope,
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
    e = scope.eligible
    # Plain grouped queries (counts; pay by currency; weeks by value) rather than one with
    # median(...) FILTER (...), which DuckDB runs several times slower.
    groups = {f"g{i}": group_column(d, scope.facts) for i, d in enumerate(dims)}
    frame = cells(store, scope, groups,
                  {"n": "TRUE", "eligible": e, "offers": f"{e} AND offered",
                   "accepted": f"{e} AND accepted", "paid_n": "paid", "paid_known": "paid IS NOT NULL"},
                  {"students": "TRUE", "eligible_students": e, "offer_students": f"{e} AND offered",
                   "paid_known_students": "paid IS NOT NULL", "paid_students": "paid",
                   "unpaid_students": "NOT paid",
                   "weeks_students": "duration_weeks IS NOT NULL"}, min_cell=min_cell)
    paid = ("hourly_pay IS NOT NULL", "currency IS NOT NULL")
    totals = dict(store.rows(f"SELECT currency, count(*) FROM {scope.relation} {scope.where(*paid)} "
                             "GROUP BY ALL", scope.params))
    currency = main_currency({str(k): int(v) for k, v in totals.items()})
    pay = query(store, f"""
        SELECT {selects}, median(hourly_pay) AS median_hourly_pay, {scope.students('pay_students')}
        FROM {scope.relation} {scope.where(*paid, 'currency = ?')} GROUP BY ALL""",
                [*scope.params, currency])
    pay = resolve_sizes(store, scope, pay, {"pay_students": "TRUE"}, min_cell, *paid, "currency = ?",
                        groups=groups, where_params=[currency]).select(*keys, "median_hourly_pay",
                                                                         "pay_students")
    if scope.release(min_cell).network or "pay" in scope.blocked:
        # No dominance check per cell here, so no network pay at all; nor pay of a selection
        # whose pay comparison hides it.
        pay = pay.with_columns(pl.lit(0, dtype=pl.Int64).alias("pay_students"))
    weeks = query(store, quantiles_from_counts(
        f"SELECT {selects}, duration_weeks AS v, count(*) AS c FROM {scope.relation} "
        f"{scope.where('duration_weeks IS NOT NULL')} GROUP BY ALL",
        [("median_weeks", 0.5)], keys), scope.params).select(*keys, "median_weeks")
    frame = (frame.join(pay, on=keys, how="left", nulls_equal=True)
             .join(weeks, on=keys, how="left", nulls_equal=True))
    sort_cols = []
    for i, d in enumerate(dims):
        frame = with_labels(frame, d, names_for(store, scope, d), column=f"g{i}", label=d,
                            sort_key=f"_sort{i}")
        sort_cols.append(f"_sort{i}")
    frame = frame.sort(sort_cols).with_columns(
        pl.lit(currency, dtype=pl.String).alias("hourly_pay_currency"))
    released = scope.release(min_cell)
    conversion_cols = ("eligible", "offers", "accepted", "conversion_rate")
    frame = release(frame, Table(
        size="eligible_students", values=conversion_cols, counts=("eligible", "offers", "accepted"),
        rates=(Rate("conversion_rate", "accepted", "eligible", interval=False),),
        # accepted / offers is an acceptance rate: too few offered students, no offers shown
        guards=(Guard("offer_students", ("offers",)),), dims=dims, flag="conversion_suppressed",
        kind="outcomes"), released)
    value_cols = ("n", *conversion_cols, "paid_share", "median_hourly_pay", "median_weeks")
    frame = release(frame, Table(
        size="students", values=value_cols, counts=("n", "paid_n", "paid_known"),
        rates=(Rate("paid_share", "paid_n", "paid_known", interval=False),),
        guards=(Guard("paid_known_students", ("paid_share",)),
                # either side of the share follows from it and the cell: both must be large
                Guard(("paid_students", "unpaid_students"), ("paid_share",)),
                Guard("pay_students", ("median_hourly_pay",), additive=False),
                Guard("weeks_students", ("median_weeks",), additive=False)),
        money=("median_hourly_pay",), statistics=("median_weeks",), dims=dims), released)
    frame = frame.with_columns(pl.col("conversion_suppressed") | pl.col("suppressed"))
    return frame.select(*dims, "n", *conversion_cols, "paid_share", "median_hourly_pay",
                        "hourly_pay_currency", "median_weeks", "suppressed", "conversion_suppressed",
                        PERTURBED)


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
    # Counted on the facts (one row per placement, the filter columns as stored): in the lake,
    # `placements` is Parquet behind the catalog, the facts a local table.
    scope = base_scope(store, principal, flt)  # checks the filter and the principal's access
    return int(store.scalar(f"SELECT count(*) FROM {scope.relation} {scope.where()}", scope.params) or 0)


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
    names = [name for ident, (_, name) in employer_names(store, scope).items() if ident in ids]
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
