"""Small helpers on aggregated frames: rates, shares, currencies, quantiles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import polars as pl

from analytics import stats
from analytics.disclosure import Guard, Rate, Table
from analytics.metrics.definitions import (
    MetricsError,
)
from analytics.metrics.scope import (
    Scope,
    query,
)
from analytics.store import Store


def check_min_cell(min_cell: int) -> int:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise MetricsError(f"min_cell must be a whole number >= 0, got {min_cell!r}")
    return min_cell


def rate_columns(frame: pl.DataFrame, pairs: Iterable[tuple[str, str, str]]) -> pl.DataFrame:
    exprs: list[pl.Expr] = []
    for name, successes, n in pairs:
        exprs.extend(stats.wilson_exprs(pl.col(successes), pl.col(n), name))
    return frame.with_columns(exprs)


def triple(name: str) -> list[str]:
    return [name, f"{name}_low", f"{name}_high"]








def main_currency(counts: Mapping[str, int]) -> str | None:
    """The currency with the most paid records (ties: alphabetical)."""
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]




def pay_medians(store: Store, scope: Scope, group: str | None,
                 currency: str | None) -> tuple[pl.DataFrame, str | None]:
    """Median hourly pay per group (`group` is a facts column or None) in one currency (None:
    the scope's main currency, found from the same query). Columns g, pay_n, median_hourly_pay."""
    conditions = ["hourly_pay IS NOT NULL", "currency IS NOT NULL"]
    params: list[Any] = list(scope.params)
    if currency is not None:
        conditions.append("currency = ?")
        params.append(currency)
    pay = query(store, f"""
        SELECT {group or "NULL"} AS g, currency, count(*) AS pay_n, median(hourly_pay) AS median_hourly_pay,
               {scope.students('pay_students')}
        FROM {scope.relation} {scope.where(*conditions)} GROUP BY ALL""", params)
    if currency is None:
        totals = pay.group_by("currency").agg(pl.col("pay_n").sum())
        currency = main_currency(dict(zip(totals["currency"].to_list(), totals["pay_n"].to_list(),
                                           strict=True)))
    return pay.filter(pl.col("currency").eq_missing(currency)), currency


def quantiles_from_counts(counts_sql: str, quantiles: Sequence[tuple[str, float]],
                           keys: Sequence[str] = ("g",)) -> str:
    """SQL computing exact quantile_cont values per group from value counts.

    `counts_sql` yields (*keys, v, c): c rows have value v in the group `keys` (identifiers
    chosen by this module). The q-quantile sits at the
    0-based position h = (total - 1) * q; with v_lo / v_hi the values at floor(h) / ceil(h),
    it is v_lo + (h - floor(h)) * (v_hi - v_lo) -- the same as DuckDB's quantile_cont and
    pandas' default, without materialising the values. Also returns total and mean.
    """
    picks = []
    for name, q in quantiles:
        h = f"((total - 1) * {float(q)!r})"
        lo = f"min(v) FILTER (WHERE upto > floor({h}))"
        hi = f"min(v) FILTER (WHERE upto > ceil({h}))"
        picks.append(f"{lo} + ({h} - floor({h})) * ({hi} - {lo}) AS {name}")
    k = ", ".join(keys)
    return f"""
        SELECT {k}, CAST(total AS BIGINT) AS total, sum(v * c) / total AS mean, {', '.join(picks)}
        FROM (
            SELECT {k}, v, c,
                   sum(c) OVER (PARTITION BY {k} ORDER BY v ROWS UNBOUNDED PRECEDING) AS upto,
                   sum(c) OVER (PARTITION BY {k}) AS total
            FROM ({counts_sql})
        )
        GROUP BY {k}, total"""


# ------------------------------------------------------------------------------------------------
# Conversion cells as the disclosure gate sees them
# ------------------------------------------------------------------------------------------------
CONVERSION_COUNTS: Final = ("n", "offers", "accepted", "known_outcome")
_RATE_SOURCES: Final = {
    "offer_rate": ("offers", "n"), "acceptance_rate": ("accepted", "offers"),
    "conversion_rate": ("accepted", "n"), "knowledge_rate": ("known_outcome", "n"),
}
# The offered interns behind an acceptance rate are a cell of their own: too few of them, and the
# rate goes -- with the offers and the offer rate, which beside the visible accepted count and
# conversion rate would rebuild it.
OFFER_GUARD: Final = Guard("offer_students", hides=(
    *triple("acceptance_rate"), "offers", *triple("offer_rate")))


def conversion_rates(*names: str) -> tuple[Rate, ...]:
    """The gate's rate definitions for conversion rates (default: all four)."""
    return tuple(Rate(name, *_RATE_SOURCES[name]) for name in (names or tuple(_RATE_SOURCES)))


def conversion_table(values: Sequence[str], *, rates: Sequence[str] | None = None,
                     counts: Sequence[str] = CONVERSION_COUNTS, total: bool = True,
                     dims: Sequence[str] = ()) -> Table:
    """How a table of conversion cells is released: sized by eligible students, its counts
    perturbed in network cells, its rates computed from the released counts."""
    return Table(size="students", values=tuple(values), counts=tuple(counts),
                 rates=conversion_rates(*rates) if rates is not None else conversion_rates(),
                 guards=(OFFER_GUARD,), total=total, dims=tuple(dims), outcomes=True)


def conversion_sizes(store: Store, scope: Scope, group: str, *extra: str,
                     keys: Sequence[str] = ("g",)) -> pl.DataFrame:
    """Per group (`group` is SQL for the key column(s), aliased by the caller's `keys`):
    students and offer_students, the distinct students the gate sizes conversion cells by."""
    return query(store, f"SELECT {group}, {scope.conversion_students()} FROM {scope.relation} "
                        f"{scope.where(*extra)} GROUP BY ALL", scope.params).select(
        *keys, "students", "offer_students")


def cells(store: Store, scope: Scope, group: str, counts: Mapping[str, str],
          sizes: Mapping[str, str], *extra: str, group_params: Sequence[Any] = (),
          where_params: Sequence[Any] = (), keys: Sequence[str] = ("g",)) -> pl.DataFrame:
    """Grouped counts as the disclosure gate needs them: per group (`group` is SQL for the key
    columns `keys`, which may bind `group_params`; `extra` conditions may bind `where_params`),
    each count with its cell key, and each size
    (distinct students) in a second query -- DuckDB plans a scan mixing DISTINCT and plain
    aggregates as one distinct aggregation, at several times the memory."""
    params = [*group_params, *scope.params, *where_params]
    where = scope.where(*extra)
    selects = ", ".join(f"count_if({c}) AS {name}, {scope.key(name, c)}" for name, c in counts.items())
    frame = query(store, f"SELECT {group}, {selects} FROM {scope.relation} {where} GROUP BY ALL",
                  params)
    if sizes:
        students = ", ".join(scope.students(name, c) for name, c in sizes.items())
        frame = frame.join(
            query(store, f"SELECT {group}, {students} FROM {scope.relation} {where} GROUP BY ALL",
                  params), on=list(keys), how="left", nulls_equal=True)
    return frame
