"""Equity: offers, conversion and pay by gender, ethnicity and first-generation status, each
group against the whole eligible population of the selection.

These are the most sensitive cells in the product, so on top of the conversion tables' rules:

- every group is a cell of eligible students (threshold, complementary suppression: the groups,
  'not recorded' included, add up to the population row shown beside them);
- a rate is shown only when both of its sides are large: the offered and the not offered
  students behind an offer rate, the hired and the not hired behind a conversion rate (a rate of
  96% of 50 would otherwise say that two interns of the group got no offer), and the offered
  students behind an acceptance rate;
- pay needs min_cell paid students in the group, and in network cells no employer may make up
  more than half of a group's paid records (dominance);
- network cells are perturbed (cell key), like every count that reaches beyond one's own scope.

Gender, ethnicity and first-generation status are never filters (a filter could single out a
group): the only way to see a group is this table.
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

from analytics.access import Principal
from analytics.disclosure import PERTURBED, RATE_DECIMALS, Guard, Rate, Table, dominated, release
from analytics.filters import Filter
from analytics.metrics.definitions import ALL_PLACEMENTS, UNKNOWN_SORT, MetricsError
from analytics.metrics.frames import OFFER_GUARD, cells, check_min_cell, pay_medians, triple
from analytics.metrics.scope import Scope, query
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

EQUITY_DIMENSIONS: Final[dict[str, str]] = {
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "first_generation": "First-generation student",
}
NOT_RECORDED: Final = "not recorded"
POPULATION: Final = "all eligible interns"
RATES: Final = ("offer_rate", "acceptance_rate", "conversion_rate")
_RATE_COLUMNS: Final = tuple(c for r in RATES for c in triple(r))
COLUMNS: Final = ("group", "sort_key", "population", "n", "offers", "accepted", *_RATE_COLUMNS,
                  "share_of_eligible", "offer_gap", "conversion_gap", "currency",
                  "median_hourly_pay", "pay_gap", "suppressed", "pay_suppressed", PERTURBED)
# Both sides of every rate: either count follows from the rate and the cell's size.
_GUARDS: Final = (
    OFFER_GUARD,
    Guard(("offer_students", "not_offered_students"),
          ("offers", *triple("offer_rate"), *triple("acceptance_rate"))),
    Guard(("accepted_students", "not_accepted_students"),
          ("accepted", *triple("conversion_rate"), *triple("acceptance_rate"))),
)


def _conversion_table(total: bool) -> Table:
    return Table(size="students", values=("n", "offers", "accepted", *_RATE_COLUMNS),
                 counts=("n", "offers", "accepted"),
                 rates=(Rate("offer_rate", "offers", "n"), Rate("acceptance_rate", "accepted", "offers"),
                        Rate("conversion_rate", "accepted", "n")),
                 guards=_GUARDS, total=total, kind="outcomes")


_PAY_TABLE: Final = Table(size="pay_students", values=("median_hourly_pay",), money=("median_hourly_pay",),
                          total=False, flag="pay_suppressed", kind="pay")


def _label(dimension: str, value: Any) -> tuple[str, int]:
    if value is None:
        return NOT_RECORDED, UNKNOWN_SORT
    if dimension == "first_generation":
        return ("first generation", 0) if value else ("not first generation", 1)
    return str(value), 0


def _counts(store: Store, scope: Scope, group: str | None, min_cell: int) -> pl.DataFrame:
    e = scope.eligible
    return cells(store, scope, {"g": group or "NULL"},
                 {"n": e, "offers": f"{e} AND offered", "accepted": f"{e} AND accepted"},
                 {"students": e, "offer_students": f"{e} AND offered",
                  "not_offered_students": f"{e} AND NOT offered",
                  "accepted_students": f"{e} AND accepted",
                  "not_accepted_students": f"{e} AND NOT accepted"}, min_cell=min_cell)


def _pay(store: Store, scope: Scope, group: str | None, currency: str | None,
         min_cell: int) -> tuple[pl.DataFrame, str | None]:
    """Median hourly pay per group (column g) with its disclosure size (0 where dominated or
    where the selection's pay comparison hides it)."""
    pay, currency = pay_medians(store, scope, group, currency, min_cell)
    if currency is not None and scope.perturbed:
        top = query(store, f"""
            SELECT g, max(c) / sum(c) AS top_share FROM (
                SELECT {group or "NULL"} AS g, {scope.facts.employer_id} AS e, count(*) AS c
                FROM {scope.relation} {scope.where("hourly_pay IS NOT NULL", "currency = ?")}
                GROUP BY ALL) GROUP BY g""", [*scope.params, currency])
        pay = pay.join(top, on="g", how="left", nulls_equal=True).with_columns(
            pl.when(dominated(pl.col("top_share"))).then(0).otherwise(pl.col("pay_students"))
            .alias("pay_students"))
    if "pay" in scope.blocked:
        pay = pay.with_columns(pl.lit(0, dtype=pl.Int64).alias("pay_students"))
    return pay.select("g", "median_hourly_pay", "pay_students"), currency


def _with_pay(frame: pl.DataFrame, pay: pl.DataFrame) -> pl.DataFrame:
    frame = frame.join(pay, on="g", how="left", nulls_equal=True)
    return frame.with_columns(pl.col("pay_students").fill_null(0))


def equity_by(store: Store, principal: Principal, dimension: str, flt: Filter = ALL_PLACEMENTS,
              currency: str | None = None, *, min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Outcomes per group of `dimension` (gender, ethnicity, first_generation), with the
    population first (`population` true, group 'all eligible interns').

    Columns: group ('not recorded' where the field is missing), sort_key, population, n
    (eligible interns), offers, accepted, offer_rate / acceptance_rate / conversion_rate triples
    (95% Wilson), share_of_eligible (the group's share of the eligible interns; 1 for the
    population), offer_gap and conversion_gap (the group's rate minus the population's, as
    fractions; 0 for the population), currency (the
    selection's main currency), median_hourly_pay (paid placements of the group, all interns)
    and pay_gap (minus the population's median), suppressed (the outcome figures), pay_suppressed,
    perturbed."""
    if dimension not in EQUITY_DIMENSIONS:
        raise MetricsError(f"unknown equity dimension {dimension!r}; choose one of "
                           f"{', '.join(EQUITY_DIMENSIONS)}")
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    released = scope.release(min_cell)
    groups = _counts(store, scope, dimension, min_cell)
    pay, currency = _pay(store, scope, dimension, currency, min_cell)
    groups = _with_pay(groups, pay)
    labels = [_label(dimension, v) for v in groups["g"].to_list()]
    groups = groups.with_columns(
        pl.Series("group", [label for label, _ in labels], dtype=pl.String),
        pl.Series("sort_key", [key for _, key in labels], dtype=pl.Int64),
        pl.lit(False).alias("population"),
    ).sort("sort_key", "group")
    groups = release(release(groups, _conversion_table(True), released), _PAY_TABLE, released)

    whole = _counts(store, scope, None, min_cell)
    whole_pay, _ = _pay(store, scope, None, currency, min_cell)
    whole = _with_pay(whole, whole_pay).with_columns(
        pl.lit(POPULATION).alias("group"), pl.lit(-1, dtype=pl.Int64).alias("sort_key"),
        pl.lit(True).alias("population"))
    whole = release(release(whole, _conversion_table(False), released), _PAY_TABLE, released)

    base = whole.row(0, named=True) if whole.height else {}

    def gap(column: str) -> pl.Expr:
        reference = base.get(column)
        return (pl.col(column) - reference) if reference is not None else pl.lit(None, dtype=pl.Float64)

    frame = pl.concat([whole, groups], how="diagonal_relaxed")
    population_n = base.get("n")
    share = (pl.col("n") / population_n) if population_n else pl.lit(None, dtype=pl.Float64)
    # A share of perturbed counts is rounded like every perturbed rate.
    share = pl.when(pl.col(PERTURBED)).then(share.round(RATE_DECIMALS)).otherwise(share)
    # The population row against itself: all of the eligible interns, no gap (where shown).
    frame = frame.with_columns(
        share.alias("share_of_eligible"), gap("offer_rate").alias("offer_gap"),
        gap("conversion_rate").alias("conversion_gap"), gap("median_hourly_pay").alias("pay_gap"),
        pl.lit(currency, dtype=pl.String).alias("currency"),
    )
    return frame.select([pl.col(c).cast(pl.Float64) if c in ("share_of_eligible", "offer_gap",
                                                                "conversion_gap", "pay_gap")
                         else pl.col(c) for c in COLUMNS])
