"""Small helpers on aggregated frames: rates, shares, currencies, quantiles."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import polars as pl

from analytics import stats
from analytics.disclosure import Guard, Rate, Table
from analytics.metrics.definitions import (
    MetricsError,
)
from analytics.metrics.scope import (
    Scope,
    bigint,
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
                 currency: str | None, min_cell: int) -> tuple[pl.DataFrame, str | None]:
    """Median hourly pay per group (`group` is a facts column or None) in one currency (None:
    the scope's main currency, found from the same query). Columns g, pay_n, median_hourly_pay,
    pay_students (distinct paid students: the disclosure size)."""
    number = scope.currency_id
    conditions = ["hourly_pay IS NOT NULL", f"{number} IS NOT NULL"]
    params: list[Any] = list(scope.params)
    if currency is not None:
        conditions.append("currency = ?")
        params.append(currency)
    pay = query(store, scope.currency_names(f"""
        SELECT {group or "NULL"} AS g, {number} AS currency_no, count(*) AS pay_n,
               median(hourly_pay) AS median_hourly_pay, {scope.students('pay_students')}
        FROM {scope.relation} {scope.where(*conditions)} GROUP BY ALL"""), params)
    if currency is None:
        totals = pay.group_by("currency").agg(pl.col("pay_n").sum())
        currency = main_currency(dict(zip(totals["currency"].to_list(), totals["pay_n"].to_list(),
                                           strict=True)))
    pay = pay.filter(pl.col("currency").eq_missing(currency))
    if currency is None:
        return pay.with_columns(pl.lit(0, dtype=pl.Int64).alias("pay_students")), currency
    # The currency's number, where it has rows (else no cell is unsettled and none is counted).
    where = (f"{number} = ?", [pay["currency_no"][0]]) if pay.height else ("currency = ?", [currency])
    return resolve_sizes(store, scope, pay, {"pay_students": "TRUE"}, min_cell, "hourly_pay IS NOT NULL",
                         where[0], groups={"g": group} if group else None,
                         where_params=where[1]), currency


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


def median_from_counts(counts: Sequence[tuple[float, int]]) -> float | None:
    """The median of the values `counts` lists as (value, rows with it), for one small histogram
    fetched whole: the same operations as `quantiles_from_counts` at 0.5 in SQL, so the same
    double (also DuckDB's `median` of the values: tests/test_metrics_frames.py) -- that SQL, with
    two window functions, cost DuckDB 2.0.1 more to plan than the histogram itself. None when
    there are no values. (Only the median: at other quantiles the last bit can differ.)"""
    ordered = sorted((float(v), int(c)) for v, c in counts if c)
    total = sum(c for _, c in ordered)
    if not total:
        return None
    h = (total - 1) * 0.5
    lo = hi = None
    upto = 0
    for value, c in ordered:
        upto += c
        if lo is None and upto > math.floor(h):
            lo = value
        if upto > math.ceil(h):
            hi = value
            break
    assert lo is not None and hi is not None
    return lo + (h - math.floor(h)) * (hi - lo)


def medians_from_counts(histogram: pl.DataFrame, name: str) -> pl.DataFrame:
    """Per group `g`, the median of the values `v` that the histogram (g, v, c rows with it)
    lists, as column `name`: `median_from_counts` per group, so the same double as
    `quantiles_from_counts` at 0.5 in SQL. A histogram of employers and weeks is about a
    thousand rows at any size; its two window functions in SQL cost more than the histogram."""
    groups: dict[Any, list[tuple[float, int]]] = {}
    for g, v, c in histogram.select("g", "v", "c").iter_rows():
        if v is not None:
            groups.setdefault(g, []).append((v, c))
    keys = list(groups)
    return pl.DataFrame({"g": pl.Series(keys, dtype=histogram.schema["g"]),
                         name: pl.Series([median_from_counts(groups[g]) for g in keys], dtype=pl.Float64)})


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
                 guards=(OFFER_GUARD,), total=total, dims=tuple(dims), kind="outcomes")


def resolve_sizes(store: Store, scope: Scope, frame: pl.DataFrame, sizes: Mapping[str, str],
                  min_cell: int, *extra: str, groups: Mapping[str, str] | None = None,
                  group_params: Sequence[Any] = (), where_params: Sequence[Any] = (),
                  size_params: Mapping[str, Sequence[Any]] | None = None) -> pl.DataFrame:
    """Each size's bounds (`{name}_low`, `{name}_high`: Scope.students) become `{name}`, the
    disclosure size of the cell.

    Where the bounds settle the threshold -- the lower bound reaches min_cell (visible), or the
    upper bound stays under it (hidden; the lower bound then keeps complementary sums on the safe
    side) -- the lower bound is used. Only cells in between get an exact distinct count, from one
    more query restricted to their groups (the first key of `groups`, alias -> SQL, which may
    bind `group_params`; `extra` conditions may bind `where_params`; a size's condition may bind
    its `size_params`), so the distinct aggregate runs over a few small cells instead of the
    whole scope."""
    groups = dict(groups or {})
    keys = list(groups)
    if not sizes:
        return frame
    # Eager Series and numpy on these small frames: a Polars expression pass per call cost more
    # than the queries.
    lows = {name: stats.zero_filled(frame[f"{name}_low"]) for name in sizes}
    columns = [pl.Series(name, low.astype(np.int64)) for name, low in lows.items()]
    # hstack: eager, where with_columns plans a query.
    frame = (frame.hstack(columns) if not set(lows) & set(frame.columns)
             else frame.with_columns(columns))
    unsettled = {name: (lows[name] < min_cell) & (stats.zero_filled(frame[f"{name}_high"]) >= min_cell)
                 for name in sizes}
    needed = [name for name in sizes if unsettled[name].any()]
    if not needed:
        return frame
    restrict: list[str] = []
    restrict_params: list[Any] = []
    if keys and "?" not in groups[keys[0]]:
        # Only the groups with an unsettled cell: a cheap predicate on the group key.
        expression = groups[keys[0]]
        chosen = pl.Series(np.logical_or.reduce([unsettled[n] for n in needed]))
        values = frame[keys[0]].filter(chosen).to_list()
        present = [v for v in values if v is not None]
        parts = [f"list_contains(?, {expression})"] if present else []
        restrict_params = [present] if present else []
        if len(present) < len(values):
            parts.append(f"{expression} IS NULL")
        restrict = ["(" + " OR ".join(parts) + ")"]
    selects = ", ".join(scope.exact_students(f"{name}_exact", sizes[name]) for name in needed)
    # exact_students writes each condition twice (the distinct count, and the id-less rows).
    select_params = [v for name in needed for v in 2 * list((size_params or {}).get(name, ()))]
    grouping = ", ".join(f"{expression} AS {alias}" for alias, expression in groups.items())
    exact = query(store, f"SELECT {grouping + ', ' if grouping else ''}{selects} FROM {scope.relation} "
                         f"{scope.where(*extra, *restrict)}{' GROUP BY ALL' if keys else ''}",
                  [*group_params, *select_params, *scope.params, *where_params, *restrict_params])
    frame = (frame.join(exact, on=keys, how="left", nulls_equal=True) if keys
             else pl.concat([frame, exact], how="horizontal"))
    return frame.with_columns(
        pl.when(pl.Series(unsettled[name])).then(pl.col(f"{name}_exact").cast(pl.Int64))
        .otherwise(pl.col(name)).alias(name) for name in needed).drop(f"{name}_exact" for name in needed)


def cells(store: Store, scope: Scope, groups: Mapping[str, str], counts: Mapping[str, str],
          sizes: Mapping[str, str], *extra: str, min_cell: int, group_params: Sequence[Any] = (),
          where_params: Sequence[Any] = ()) -> pl.DataFrame:
    """Grouped counts as the disclosure gate needs them, in one scan: per group (`groups`: alias
    -> SQL, which may bind `group_params`; `extra` conditions may bind `where_params`), each
    count with its cell key, and each size (distinct students, resolve_sizes)."""
    params = [*group_params, *scope.params, *where_params]
    grouping = ", ".join(f"{expression} AS {alias}" for alias, expression in groups.items())
    selects = ", ".join([*(f"{bigint(f'count_if({c})')} AS {name}, {scope.key(name, c)}"
                           for name, c in counts.items()),
                         *(scope.students(name, c) for name, c in sizes.items())])
    frame = query(store, f"SELECT {grouping}, {selects} FROM {scope.relation} {scope.where(*extra)} "
                         "GROUP BY ALL", params)
    return resolve_sizes(store, scope, frame, sizes, min_cell, *extra, groups=groups,
                         group_params=group_params, where_params=where_params)
