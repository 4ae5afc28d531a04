"""Pay: currencies, hourly pay by group, its distribution, the paid share by term."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from analytics import stats
from analytics.access import Principal
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    MetricsError,
)
from analytics.metrics.frames import (
    check_min_cell,
    main_currency,
    pay_counts,
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
)
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store


def pay_currencies(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                   min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Currencies of paid records with an hourly equivalent: currency, n, suppressed; n desc.
    (A currency with fewer than min_cell records is listed with n null.)"""
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    counts = pay_counts(store, scope)
    frame = pl.DataFrame(
        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
        schema={"currency": pl.String, "n": pl.Int64}, orient="row",
    )
    return stats.suppress(frame, "n", min_cell, total=False, value_cols=["n"])


def pay_by(store: Store, principal: Principal,
           dimension: str, flt: Filter = ALL_PLACEMENTS, currency: str | None = None, *,
           min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Hourly-equivalent pay per group, in one currency (default: the scope's main currency).

    Columns: group, sort_key, currency, n (paid records), median_hourly_pay, mean_hourly_pay,
    p25_hourly_pay, p75_hourly_pay, suppressed.
    """
    min_cell = check_min_cell(min_cell)
    dimension = check_dimension(dimension)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    conditions = ["hourly_pay IS NOT NULL", "currency IS NOT NULL"]
    params: list[Any] = list(scope.params)
    if currency is not None:
        conditions.append("currency = ?")
        params.append(currency)
    frame = query(store, f"""
        SELECT {group_column(dimension, scope.facts)} AS g, currency, count(*) AS n,
               avg(hourly_pay) AS mean_hourly_pay,
               quantile_cont(hourly_pay, [0.25, 0.5, 0.75]) AS q
        FROM {scope.relation} {scope.where(*conditions)} GROUP BY ALL""", params)
    if currency is None:
        totals = frame.group_by("currency").agg(pl.col("n").sum())
        currency = main_currency(dict(zip(totals["currency"].to_list(), totals["n"].to_list(),
                                           strict=True)))
        frame = frame.filter(pl.col("currency").eq_missing(currency))
    frame = frame.with_columns(
        pl.col("q").list.get(0).alias("p25_hourly_pay"),
        pl.col("q").list.get(1).alias("median_hourly_pay"),
        pl.col("q").list.get(2).alias("p75_hourly_pay"),
    )
    frame = with_labels(frame, dimension, names_for(store, scope, dimension)).sort("sort_key", "group")
    value_cols = ["n", "median_hourly_pay", "mean_hourly_pay", "p25_hourly_pay", "p75_hourly_pay"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.with_columns(pl.lit(currency, dtype=pl.String).alias("currency")).select(
        "group", "sort_key", "currency", *value_cols, "suppressed")


def pay_distribution(store: Store, principal: Principal,
                     flt: Filter = ALL_PLACEMENTS, currency: str | None = None,
                     bin_width: float = 2.0, *, by: str | None = None,
                     min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Histogram of hourly-equivalent pay in one currency, binned inside DuckDB.

    Columns: bin_low, bin_high ([low, high) in currency units), count, currency, and with
    by="role_family" (or any dimension) a group column; suppressed. Bins with fewer than
    min_cell records are hidden, with complementary suppression across each group and each bin.
    """
    min_cell = check_min_cell(min_cell)
    if not isinstance(bin_width, int | float) or not bin_width > 0 or math.isinf(bin_width):
        raise MetricsError(f"bin_width must be a positive number, got {bin_width!r}")
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    group = f"{group_column(check_dimension(by), scope.facts)} AS g, " if by else ""
    conditions = ["hourly_pay IS NOT NULL", "currency IS NOT NULL"]
    params: list[Any] = [float(bin_width), *scope.params]
    if currency is not None:
        conditions.append("currency = ?")
        params.append(currency)
    frame = query(store, f"""
        SELECT {group}currency, CAST(floor(hourly_pay / ?) AS BIGINT) AS bin, count(*) AS count
        FROM {scope.relation} {scope.where(*conditions)} GROUP BY ALL""", params)
    if currency is None:
        totals = frame.group_by("currency").agg(pl.col("count").sum())
        currency = main_currency(dict(zip(totals["currency"].to_list(), totals["count"].to_list(),
                                           strict=True)))
        frame = frame.filter(pl.col("currency").eq_missing(currency))
    frame = frame.with_columns(
        (pl.col("bin") * float(bin_width)).alias("bin_low"),
        ((pl.col("bin") + 1) * float(bin_width)).alias("bin_high"),
    )
    dims: tuple[str, ...] = ()
    sort: list[str] = ["bin_low"]
    if by:
        frame = with_labels(frame, by, names_for(store, scope, by))
        dims = ("group", "bin_low")
        sort = ["sort_key", "bin_low"]
    frame = frame.sort(sort)
    frame = stats.suppress(frame, "count", min_cell, total=True, value_cols=["count"], dims=dims)
    columns = ["bin_low", "bin_high", "count", "currency", *(["group"] if by else []), "suppressed"]
    return frame.with_columns(pl.lit(currency, dtype=pl.String).alias("currency")).select(columns)


def paid_share_by_term(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                       min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Paid share per term: group, sort_key, n (placements with known paid status), paid,
    unpaid, paid_share triple (Wilson), suppressed."""
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = query(store, f"""
        SELECT {group_column("term", scope.facts)} AS g, count(paid) AS n, count_if(paid) AS paid,
               count_if(NOT paid) AS unpaid
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    frame = with_labels(frame, "term", names_for(store, scope, "term")).sort("sort_key")
    frame = rate_columns(frame, [("paid_share", "paid", "n")])
    value_cols = ["n", "paid", "unpaid", *triple("paid_share")]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")
