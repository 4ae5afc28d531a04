"""Pay: currencies, hourly pay by group, its distribution, the paid share by term."""

from __future__ import annotations

import math
from typing import Any, Final

import polars as pl

from analytics.access import Principal
from analytics.disclosure import PERTURBED, Guard, Rate, Table, dominated, release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    MetricsError,
)
from analytics.metrics.frames import (
    cells,
    check_min_cell,
    main_currency,
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
    Scope,
    query,
)
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

_PAID: Final = ("hourly_pay IS NOT NULL", "currency IS NOT NULL")


def pay_currencies(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                   min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Currencies of paid records with an hourly equivalent: currency, n, suppressed, perturbed;
    n desc. (A currency with fewer than min_cell paid students is listed with n null.)"""
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = cells(store, scope, {"g": "currency"}, {"n": "TRUE"}, {"students": "TRUE"}, *_PAID,
                  min_cell=min_cell)
    frame = frame.sort(["n", "g"], descending=[True, False]).rename({"g": "currency"})
    frame = release(frame, Table(size="students", values=("n",), counts=("n",), total=False, kind="pay"),
                    scope.release(min_cell))
    return frame.select("currency", "n", "suppressed", PERTURBED)


def pay_by(store: Store, principal: Principal,
           dimension: str, flt: Filter = ALL_PLACEMENTS, currency: str | None = None, *,
           min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Hourly-equivalent pay per group, in one currency (default: the scope's main currency).

    Columns: group, sort_key, currency, n (paid records), median_hourly_pay, mean_hourly_pay,
    p25_hourly_pay, p75_hourly_pay, suppressed (fewer than min_cell paid students, or in network
    figures one employer over half of the group's paid records), perturbed.
    """
    min_cell = check_min_cell(min_cell)
    dimension = check_dimension(dimension)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    group = group_column(dimension, scope.facts)
    frame, currency = _in_currency(store, scope, group, currency, f"""
        count(*) AS n, {scope.key('n')}, avg(hourly_pay) AS mean_hourly_pay,
        quantile_cont(hourly_pay, [0.25, 0.5, 0.75]) AS q""", min_cell)
    frame = frame.with_columns(
        pl.col("q").list.get(0).alias("p25_hourly_pay"),
        pl.col("q").list.get(1).alias("median_hourly_pay"),
        pl.col("q").list.get(2).alias("p75_hourly_pay"),
    )
    frame = with_labels(frame, dimension, names_for(store, scope, dimension)).sort("sort_key", "group")
    money = ("median_hourly_pay", "mean_hourly_pay", "p25_hourly_pay", "p75_hourly_pay")
    frame = release(frame, Table(size="students", values=("n", *money), counts=("n",), money=money,
                                 kind="pay"),
                    scope.release(min_cell))
    return frame.with_columns(pl.lit(currency, dtype=pl.String).alias("currency")).select(
        "group", "sort_key", "currency", "n", *money, "suppressed", PERTURBED)


def _in_currency(store: Store, scope: Scope, group: str, currency: str | None,
                 aggregates: str, min_cell: int) -> tuple[pl.DataFrame, str | None]:
    """Pay aggregates per group (column g) in one currency (None: the main one), with the
    distinct paid students (`students`, the disclosure size; 0 where one employer makes up more
    than half of a network figure, the dominance rule)."""
    conditions = list(_PAID)
    params: list[Any] = list(scope.params)
    currency_given = currency is not None
    if currency is not None:
        conditions.append("currency = ?")
        params.append(currency)
    where = scope.where(*conditions)
    frame = query(store, f"SELECT {group} AS g, currency, {aggregates} FROM {scope.relation} {where} "
                         "GROUP BY ALL", params)
    if currency is None:
        totals = frame.group_by("currency").agg(pl.col("n").sum())
        currency = main_currency(dict(zip(totals["currency"].to_list(), totals["n"].to_list(),
                                          strict=True)))
        frame = frame.filter(pl.col("currency").eq_missing(currency))
        where, params = scope.where(*_PAID, "currency = ?"), [*scope.params, currency]
    sizes = query(store, f"SELECT {group} AS g, {scope.students('students')} FROM {scope.relation} "
                         f"{where} GROUP BY ALL", params)
    sizes = resolve_sizes(store, scope, sizes, {"students": "TRUE"}, min_cell,
                          *(conditions if currency_given else [*_PAID, "currency = ?"]),
                          groups={"g": group}, where_params=params[len(scope.params):])
    frame = frame.join(sizes.select("g", "students"), on="g", how="left", nulls_equal=True)
    if scope.release(0).network:
        top = query(store, f"""
            SELECT g, max(c) / sum(c) AS top_share FROM (
                SELECT {group} AS g, {scope.facts.employer_id} AS e, count(*) AS c
                FROM {scope.relation} {where} GROUP BY ALL) GROUP BY g""", params)
        frame = frame.join(top, on="g", how="left", nulls_equal=True).with_columns(
            pl.when(dominated(pl.col("top_share"))).then(0).otherwise(pl.col("students"))
            .alias("students"))
    return frame, currency


def pay_distribution(store: Store, principal: Principal,
                     flt: Filter = ALL_PLACEMENTS, currency: str | None = None,
                     bin_width: float = 2.0, *, by: str | None = None,
                     min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Histogram of hourly-equivalent pay in one currency, binned inside DuckDB.

    Columns: bin_low, bin_high ([low, high) in currency units), count, currency, and with
    by="role_family" (or any dimension) a group column; suppressed, perturbed. Bins with fewer
    than min_cell paid students are hidden, with complementary suppression across each group and
    each bin.
    """
    min_cell = check_min_cell(min_cell)
    if not isinstance(bin_width, int | float) or not bin_width > 0 or math.isinf(bin_width):
        raise MetricsError(f"bin_width must be a positive number, got {bin_width!r}")
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    groups = {"g": group_column(check_dimension(by), scope.facts)} if by else {}
    groups |= {"currency": "currency", "bin": "CAST(floor(hourly_pay / ?) AS BIGINT)"}
    conditions = [*_PAID, *(["currency = ?"] if currency is not None else [])]
    frame = cells(store, scope, groups, {"count": "TRUE"}, {"students": "TRUE"}, *conditions,
                  min_cell=min_cell, group_params=[float(bin_width)],
                  where_params=[currency] if currency else [])
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
    frame = release(frame.sort(sort), Table(size="students", values=("count",), counts=("count",),
                                            dims=dims, kind="pay"), scope.release(min_cell))
    columns = ["bin_low", "bin_high", "count", "currency", *(["group"] if by else []), "suppressed",
               PERTURBED]
    return frame.with_columns(pl.lit(currency, dtype=pl.String).alias("currency")).select(columns)


def paid_share_by_term(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                       min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Paid share per term: group, sort_key, n (placements with known paid status), paid,
    unpaid (each shown only when it covers at least min_cell students), paid_share triple
    (Wilson), suppressed, perturbed."""
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    frame = cells(store, scope, {"g": group_column("term", scope.facts)},
                  {"n": "paid IS NOT NULL", "paid": "paid", "unpaid": "NOT paid"},
                  {"students": "paid IS NOT NULL", "paid_students": "paid",
                   "unpaid_students": "NOT paid"}, min_cell=min_cell)
    frame = with_labels(frame, "term", names_for(store, scope, "term")).sort("sort_key")
    value_cols = ["n", "paid", "unpaid", *triple("paid_share")]
    table = Table(size="students", values=tuple(value_cols), counts=("n", "paid", "unpaid"),
                  rates=(Rate("paid_share", "paid", "n"),),
                  # either count follows from the other, the share and n: both sides must be large
                  guards=(Guard(("paid_students", "unpaid_students"),
                                ("paid", "unpaid", *triple("paid_share"))),))
    frame = release(frame, table, scope.release(min_cell))
    return frame.select("group", "sort_key", *value_cols, "suppressed", PERTURBED)
