"""The hiring timeline: how long offers take, how long interns get to answer, and reneges.

Three intervals, in whole days, each over the placements that have both of its dates:
- days to offer: internship end -> offer date (negative when the offer came before the end);
- days to deadline: offer date -> offer deadline; an **exploding offer** has under 14 days;
- days to decision: offer date -> decision date.
The **renege rate** is reneged / accepted offers whose renege status is known, with its Wilson
interval. Medians and quartiles are exact (quantile_cont from value counts). Disclosure: a cell
is sized by the students with an offer; each interval's figures need at least `min_cell`
students with that interval, the exploding share both sides of 14 days, the renege rate
`min_cell` accepted students.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from analytics.access import Principal
from analytics.disclosure import PERTURBED, Guard, Rate, Table, release
from analytics.filters import Filter
from analytics.metrics.definitions import ALL_PLACEMENTS, TIMELINE_DIMENSIONS, MetricsError
from analytics.metrics.frames import cells, check_min_cell, quantiles_from_counts
from analytics.metrics.labels import check_dimension, group_column, names_for, with_labels
from analytics.metrics.scope import query
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

EXPLODING_DAYS: Final = 14
# interval name -> (label, SQL days, the field pair it needs)
INTERVALS: Final[dict[str, tuple[str, str]]] = {
    "to_offer": ("Internship end to offer", "date_diff('day', end_date, offer_date)"),
    "to_deadline": ("Offer to deadline", "date_diff('day', offer_date, offer_deadline)"),
    "to_decision": ("Offer to decision", "date_diff('day', offer_date, decision_date)"),
}
NEEDED_FIELDS: Final = ("offer_date", "offer_deadline", "decision_date", "reneged")
_EXPLODING: Final = f"{INTERVALS['to_deadline'][1]} < {EXPLODING_DAYS}"
_ACCEPTED_KNOWN: Final = "accepted AND reneged IS NOT NULL"


def _column(dimension: str | None, facts: object) -> str:
    if dimension is None:
        return "NULL"
    if dimension not in TIMELINE_DIMENSIONS:
        raise MetricsError(f"unknown dimension {dimension!r}; choose one of {', '.join(TIMELINE_DIMENSIONS)}")
    if dimension == "returning_intern":
        return "returning_intern"
    return group_column(check_dimension(dimension), facts)  # type: ignore[arg-type]


def timeline_by(store: Store, principal: Principal, dimension: str | None = None,
                flt: Filter = ALL_PLACEMENTS, *, min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Per group (None: one row): offers; for each interval i in to_offer, to_deadline,
    to_decision: n_<i>, median_<i>, p25_<i>, p75_<i> (days); with_deadline, exploding,
    exploding_share (+ Wilson); accepted_known, reneged, renege_rate (+ Wilson); suppressed,
    perturbed."""
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    column = _column(dimension, scope.facts)
    counts = {"offers": "offered", "with_deadline": f"{INTERVALS['to_deadline'][1]} IS NOT NULL",
              "exploding": _EXPLODING, "accepted_known": _ACCEPTED_KNOWN,
              "reneged": f"{_ACCEPTED_KNOWN} AND reneged",
              **{f"n_{i}": f"{sql} IS NOT NULL" for i, (_label, sql) in INTERVALS.items()}}
    sizes = {"students": "offered",
             "exploding_students": _EXPLODING,
             "lasting_students": f"{INTERVALS['to_deadline'][1]} >= {EXPLODING_DAYS}",
             "accepted_students": _ACCEPTED_KNOWN,
             **{f"{i}_students": f"{sql} IS NOT NULL" for i, (_label, sql) in INTERVALS.items()}}
    frame = cells(store, scope, {"g": column}, counts, sizes, "offered", min_cell=min_cell)
    for interval, (_label, sql) in INTERVALS.items():
        value_counts = (f"SELECT {column} AS g, {sql} AS v, count(*) AS c FROM {scope.relation} "
                        f"{scope.where('offered', f'{sql} IS NOT NULL')} GROUP BY ALL")
        quantiles = query(store, quantiles_from_counts(
            value_counts, [(f"p25_{interval}", 0.25), (f"median_{interval}", 0.5),
                           (f"p75_{interval}", 0.75)]), scope.params).drop("total", "mean")
        frame = frame.join(quantiles, on="g", how="left", nulls_equal=True)
    if dimension is None:
        frame = frame.with_columns(pl.lit("All offers").alias("group"),
                                   pl.lit(0, dtype=pl.Int64).alias("sort_key"))
    else:
        frame = with_labels(frame, dimension, names_for(store, scope, dimension))
    frame = frame.sort("sort_key", "group")
    days = [f"{q}_{i}" for i in INTERVALS for q in ("median", "p25", "p75")]
    rates = (Rate("exploding_share", "exploding", "with_deadline"),
             Rate("renege_rate", "reneged", "accepted_known"))
    guards = (
        *(Guard(f"{i}_students", hides=(f"n_{i}", *(d for d in days if d.endswith(i))), additive=False)
          for i in INTERVALS),
        Guard(("exploding_students", "lasting_students"),
              hides=("exploding", *rates[0].columns)),
        Guard("accepted_students", hides=("accepted_known", "reneged", *rates[1].columns)),
    )
    count_cols = tuple(counts)
    table = Table(size="students", values=(*count_cols, *days, *rates[0].columns, *rates[1].columns),
                  counts=count_cols, rates=rates, guards=guards, statistics=tuple(days),
                  total=dimension is not None, kind="outcomes")
    frame = release(frame, table, scope.release(min_cell))
    ordered = ["offers", *(c for i in INTERVALS for c in (f"n_{i}", f"median_{i}", f"p25_{i}", f"p75_{i}")),
               "with_deadline", "exploding", *rates[0].columns, "accepted_known", "reneged",
               *rates[1].columns]
    return frame.select("group", "sort_key", *ordered, "suppressed", PERTURBED)


def timeline_distribution(store: Store, principal: Principal, interval: str,
                          flt: Filter = ALL_PLACEMENTS, *, bin_days: int = 7,
                          min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Offers per band of `bin_days` days of one interval: days (the band's first day), count,
    suppressed, perturbed. Bands under min_cell students are hidden (with a complement)."""
    min_cell = check_min_cell(min_cell)
    if interval not in INTERVALS:
        raise MetricsError(f"unknown interval {interval!r}; choose one of {', '.join(INTERVALS)}")
    if isinstance(bin_days, bool) or not isinstance(bin_days, int) or bin_days < 1:
        raise MetricsError(f"bin_days must be a whole number >= 1, got {bin_days!r}")
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    sql = INTERVALS[interval][1]
    frame = cells(store, scope, {"days": f"CAST(floor(({sql}) / {bin_days}) * {bin_days} AS BIGINT)"},
                  {"count": "TRUE"}, {"students": "TRUE"}, "offered", f"{sql} IS NOT NULL",
                  min_cell=min_cell).sort("days")
    frame = release(frame, Table(size="students", values=("count",), counts=("count",), kind="outcomes"),
                    scope.release(min_cell))
    return frame.select("days", "count", "suppressed", PERTURBED)
