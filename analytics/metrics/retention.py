"""Retention of converted interns: Kaplan-Meier survival after the full-time hire.

A spell starts at `hire_date` (interns who accepted the offer, did not renege and were hired by
the data date) and ends at `separation_date` (the event) or, with no separation known by then,
at the data date (censored): a recent hire counts as "still there for as long as we know", not
as a stayer. Survival S(t) is the product-limit estimate (Kaplan & Meier 1958), its 95% interval
the log-log transform of Greenwood's variance (Kalbfleisch & Prentice), which stays inside 0..1.

Disclosure: a group's size is its hired students; the survival at a horizon also needs at least
`min_cell` students still at risk there (and the at-risk count is shown only then). Curves are
sampled monthly and end where fewer than `min_cell` hires remain at risk.

Network cells (those that may include hires outside the principal's own scope) follow the
cell-key rule: survival is computed from perturbed counts, never from exact data. Follow-up is
cut into monthly intervals [b_m, b_m+1) (b_m = floor(m x 365.25 / 12) days); per interval the
hires still followed at its start (at risk) and the separations within it (events) are counted
and each count is perturbed with the cell key of its own records (`disclosure.perturb_count`).
S(t) and Greenwood's variance are then the product over the intervals before t of the perturbed
hazards (the actuarial form: a hire censored within an interval counts as at risk through it),
and the result is rounded like every perturbed figure. The same records always give the same
counts and so the same survival; a difference of two network figures carries the noise of
every interval of both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import polars as pl

from analytics import disclosure, stats
from analytics.access import Principal
from analytics.disclosure import PERTURBED, Guard, Table, release
from analytics.filters import Filter
from analytics.metrics.definitions import ALL_PLACEMENTS, RETENTION_DIMENSIONS, MetricsError
from analytics.metrics.frames import cells, check_min_cell
from analytics.metrics.labels import check_dimension, group_column, names_for, with_labels
from analytics.metrics.scope import Scope, query
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

# Horizons: (label, days after hire). Five years is 5 x 365.25 days, rounded down.
HORIZONS: Final = (("1y", 365), ("5y", 1826))
DAYS_PER_MONTH: Final = 365.25 / 12
CURVE_MONTHS: Final = 72  # curves run to six years; network intervals are counted that far
# The fields retention needs (the page names them when the data lacks them).
NEEDED_FIELDS: Final = ("offer_accepted", "hire_date", "separation_date")


@dataclasses.dataclass(frozen=True)
class Survival:
    survival: float
    low: float | None
    high: float | None
    at_risk: int


def product_limit(times: Sequence[int], events: Sequence[int], censored: Sequence[int],
                  horizon: float, confidence: float = 0.95) -> Survival | None:
    """S(horizon) from counts per time: at `times[i]`, `events[i]` spells ended with the event
    and `censored[i]` were censored (a spell censored at t was at risk at t, so events at the
    same time count first). `at_risk` is the number of spells still followed at the horizon
    (time >= horizon). None when there is none: the data cannot say."""
    at_risk = sum(events) + sum(censored)
    survival, greenwood = 1.0, 0.0
    for i in sorted(range(len(times)), key=lambda i: times[i]):
        if times[i] > horizon:
            break
        d = events[i]
        if d:
            survival *= 1.0 - d / at_risk
            greenwood = greenwood + d / (at_risk * (at_risk - d)) if at_risk > d else math.inf
        at_risk -= d + censored[i]
    followed = sum(e + c for t, e, c in zip(times, events, censored, strict=True) if t >= horizon)
    if followed <= 0:
        return None
    low, high = _log_log_interval(survival, greenwood, confidence)
    return Survival(survival, low, high, followed)


def _log_log_interval(survival: float, greenwood: float,
                      confidence: float) -> tuple[float | None, float | None]:
    """exp(-exp(log(-log S) +- z * se)), se = sqrt(Greenwood) / |log S|; undefined at S = 1 or 0."""
    if survival <= 0.0 or survival >= 1.0 or not math.isfinite(greenwood):
        return None, None
    log_s = math.log(survival)
    se = math.sqrt(greenwood) / abs(log_s)
    z = stats.z_value(confidence)
    return survival ** math.exp(z * se), survival ** math.exp(-z * se)


def data_date(store: Store, principal: Principal | None = None) -> dt.date:
    """What the data knows up to: the day of the latest upload still loaded, never after today
    (a hire with no separation recorded is followed until then). The same for every principal
    (`principal` is accepted for the pages' uniform call, and not needed)."""
    del principal
    latest = store.scalar("SELECT max(uploaded_at) FROM batches WHERE undone_at IS NULL")
    today = dt.date.today()
    if latest is None:
        return today
    return min(latest.date() if isinstance(latest, dt.datetime) else latest, today)


def with_spells(scope: Scope, as_of: dt.date) -> Scope:
    """The scope over its rows with each hire's spell: hired (a spell to follow), tenure_days
    and left (the separation happened by the data date)."""
    relation = f"""(SELECT *,
        coalesce(accepted AND reneged IS NOT TRUE AND hire_date <= ?::DATE, false) AS hired,
        coalesce(separation_date <= ?::DATE, false) AS left_by,
        date_diff('day', hire_date, least(coalesce(separation_date, ?::DATE), ?::DATE)) AS tenure_days
        FROM {scope.relation}) AS spells"""
    facts = dataclasses.replace(scope.facts, relation=relation)
    return dataclasses.replace(scope, facts=facts, params=(as_of, as_of, as_of, as_of, *scope.params))


def _column(dimension: str | None, scope: Scope) -> str:
    if dimension is None:
        return "NULL"
    if dimension not in RETENTION_DIMENSIONS:
        raise MetricsError(f"unknown dimension {dimension!r}; "
                           f"choose one of {', '.join(RETENTION_DIMENSIONS)}")
    if dimension == "returning_intern":
        return "returning_intern"
    return group_column(check_dimension(dimension), scope.facts)


def _times(store: Store, scope: Scope, column: str) -> dict[object, tuple[list[int], list[int], list[int]]]:
    frame = query(store, f"""
        SELECT {column} AS g, tenure_days AS t, count_if(left_by) AS d, count_if(NOT left_by) AS c
        FROM {scope.relation} {scope.where('hired')} GROUP BY ALL ORDER BY t""", scope.params)
    out: dict[object, tuple[list[int], list[int], list[int]]] = {}
    for g, t, d, c in frame.iter_rows():
        times, events, censored = out.setdefault(g, ([], [], []))
        times.append(int(t))
        events.append(int(d))
        censored.append(int(c))
    return out


def _followed_students(store: Store, scope: Scope, column: str) -> dict[object, list[tuple[int, int]]]:
    """Per group, (days, students) pairs: how many students are followed for exactly that long at
    most (a student's longest spell; a placement without a student id is a student of its own).
    Students still followed at day d = the sum over days >= d."""
    s = scope.facts.student
    frame = query(store, f"""
        SELECT g, t, count(*) AS n FROM (
            SELECT {column} AS g, max(tenure_days) AS t FROM {scope.relation}
            {scope.where('hired', f'{s} IS NOT NULL')} GROUP BY g, {s}
            UNION ALL
            SELECT {column} AS g, tenure_days AS t FROM {scope.relation}
            {scope.where('hired', f'{s} IS NULL')}
        ) GROUP BY ALL""", [*scope.params, *scope.params])
    out: dict[object, list[tuple[int, int]]] = {}
    for g, t, n in frame.iter_rows():
        out.setdefault(g, []).append((int(t), int(n)))
    return out


def boundary(month: int) -> int:
    """The first day of follow-up month `month` (day 0 is the hire date)."""
    return math.floor(month * DAYS_PER_MONTH)


@dataclasses.dataclass(frozen=True)
class Intervals:
    """Perturbed per-interval counts of one group: at_risk[m] hires followed at day boundary(m),
    events[m] separations on days boundary(m) .. boundary(m + 1) - 1."""

    at_risk: tuple[int, ...]
    events: tuple[int, ...]

    def survival(self, horizon: int, confidence: float = 0.95) -> Survival | None:
        """S at the start of day `horizon` (a month boundary) from the perturbed counts; None
        when nobody is at risk there. at_risk is the perturbed count followed at the horizon."""
        months = [m for m in range(len(self.at_risk)) if boundary(m + 1) <= horizon]
        end = len(months)
        if end >= len(self.at_risk) or self.at_risk[end] <= 0:
            return None
        survival, greenwood = 1.0, 0.0
        for m in months:
            n, d = self.at_risk[m], min(self.events[m], self.at_risk[m])
            if d and n:
                survival *= 1.0 - d / n
                greenwood = greenwood + d / (n * (n - d)) if n > d else math.inf
        low, high = _log_log_interval(survival, greenwood, confidence)
        return Survival(survival, low, high, self.at_risk[end])


def perturbed_intervals(store: Store, scope: Scope, column: str, months: int) -> dict[object, Intervals]:
    """Per group, the monthly at-risk and event counts, each perturbed with the cell key of its
    own records (the sum of their record keys), for months 0..months."""
    frame = query(store, f"""
        SELECT {column} AS g, tenure_days AS t, count(*) AS n, count_if(left_by) AS d,
               coalesce(sum(record_key), 0) AS n_key,
               coalesce(sum(record_key) FILTER (WHERE left_by), 0) AS d_key
        FROM {scope.relation} {scope.where('hired')} GROUP BY ALL""", scope.params)
    if frame.is_empty():
        return {}
    # Each (group, tenure) row's month: the last boundary at or before its tenure, the ones
    # followed beyond the last month in one bucket (at risk in every month, ending in none).
    bounds = np.array([boundary(m) for m in range(months + 2)])
    month = np.searchsorted(bounds, frame["t"].to_numpy(), side="right") - 1
    monthly = (frame.with_columns(pl.Series("m", np.minimum(month, months + 1)))
               .group_by("g", "m").agg(pl.col("n", "d", "n_key", "d_key").sum()))
    groups: list[object] = []
    columns: dict[str, list[int]] = {"n": [], "n_key": [], "d": [], "d_key": []}
    for (g,), part in monthly.group_by("g"):
        sums = {c: np.zeros(months + 2, dtype=np.int64) for c in columns}
        for c, values in sums.items():
            np.add.at(values, part["m"].to_numpy(), part[c].to_numpy())
        # At risk at month m: every spell whose month is m or later (a suffix sum); its key the
        # sum of the same records' keys. Events of month m: the spells ending in it.
        for c in ("n", "n_key"):
            sums[c] = np.cumsum(sums[c][::-1])[::-1]
        groups.extend([g] * (months + 1))
        for c, values in sums.items():
            columns[c].extend(int(v) for v in values[: months + 1])
    released = pl.DataFrame(columns).with_columns(
        disclosure.perturb_count(pl.col("n"), pl.col("n_key")).alias("n"),
        disclosure.perturb_count(pl.col("d"), pl.col("d_key")).alias("d"))
    out: dict[object, tuple[list[int], list[int]]] = {}
    for g, (n, d) in zip(groups, released.select("n", "d").iter_rows(), strict=True):
        at_risk, events = out.setdefault(g, ([], []))
        at_risk.append(int(n))
        events.append(int(d))
    return {g: Intervals(tuple(a), tuple(e)) for g, (a, e) in out.items()}


def retention_by(store: Store, principal: Principal, dimension: str | None = None,
                 flt: Filter = ALL_PLACEMENTS, *, as_of: dt.date | None = None,
                 min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Survival of converted hires at one and five years, per group of `dimension` (None: one
    row for the whole scope). Columns: group, sort_key, hires (spells followed), left
    (separations by the data date), and per horizon h in 1y, 5y: at_risk_<h> (hires still
    followed then), survival_<h>, survival_<h>_low, survival_<h>_high; suppressed, perturbed.
    `as_of`: the data date (default `data_date`)."""
    min_cell = check_min_cell(min_cell)
    as_of = as_of or data_date(store)
    scope = with_spells(scope_for(store, principal, flt, min_cell=min_cell), as_of)
    column = _column(dimension, scope)
    counts = {"hires": "hired", "left": "hired AND left_by",
              **{f"at_risk_{h}": f"hired AND tenure_days >= {days}" for h, days in HORIZONS}}
    sizes = {"students": "hired",
             **{f"at_risk_{h}_students": f"hired AND tenure_days >= {days}" for h, days in HORIZONS}}
    frame = cells(store, scope, {"g": column}, counts, sizes, "hired", min_cell=min_cell)
    estimates: dict[str, list[float | None]] = {}
    if scope.perturbed:  # network cells: survival from perturbed interval counts (module doc)
        intervals = perturbed_intervals(store, scope, column, CURVE_MONTHS)
    else:
        spells = _times(store, scope, column)
    for h, days in HORIZONS:
        if scope.perturbed:
            found = [intervals[g].survival(days) if g in intervals else None for g in frame["g"].to_list()]
        else:
            found = [product_limit(*spells.get(g, ([], [], [])), horizon=days) for g in frame["g"].to_list()]
        estimates[f"survival_{h}"] = [s.survival if s else None for s in found]
        estimates[f"survival_{h}_low"] = [s.low if s else None for s in found]
        estimates[f"survival_{h}_high"] = [s.high if s else None for s in found]
    frame = frame.with_columns(pl.Series(k, v, dtype=pl.Float64) for k, v in estimates.items())
    if dimension is None:
        frame = frame.with_columns(pl.lit("All converted hires").alias("group"), pl.lit(0).alias("sort_key"))
    else:
        frame = with_labels(frame, dimension, names_for(store, scope, dimension))
    frame = frame.sort("sort_key", "group")
    survival = [f"survival_{h}{s}" for h, _ in HORIZONS for s in ("", "_low", "_high")]
    table = Table(
        size="students", values=("hires", "left", *(f"at_risk_{h}" for h, _ in HORIZONS), *survival),
        counts=("hires", "left", *(f"at_risk_{h}" for h, _ in HORIZONS)), statistics=tuple(survival),
        guards=tuple(Guard(f"at_risk_{h}_students", hides=(f"at_risk_{h}", *(c for c in survival if h in c)),
                           additive=False) for h, _ in HORIZONS),
        total=dimension is not None, kind="outcomes")
    frame = release(frame, table, scope.release(min_cell))
    return frame.select("group", "sort_key", "hires", "left",
                        *(c for h, _ in HORIZONS for c in (f"at_risk_{h}", f"survival_{h}",
                                                            f"survival_{h}_low", f"survival_{h}_high")),
                        "suppressed", PERTURBED)


def retention_curve(store: Store, principal: Principal, dimension: str | None = None,
                    flt: Filter = ALL_PLACEMENTS, *, as_of: dt.date | None = None,
                    months: int = CURVE_MONTHS, min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """The survival curve, sampled monthly: group, sort_key, month, years, survival,
    survival_low, survival_high, at_risk (hires still followed). Only groups `retention_by`
    shows, and only months with at least `min_cell` students still followed (the curve stops
    there)."""
    min_cell = check_min_cell(min_cell)
    as_of = as_of or data_date(store)
    shown = retention_by(store, principal, dimension, flt, as_of=as_of, min_cell=min_cell)
    visible = shown.filter(~pl.col("suppressed"))
    scope = with_spells(scope_for(store, principal, flt, min_cell=min_cell), as_of)
    column = _column(dimension, scope)
    spells = _times(store, scope, column)
    followed = _followed_students(store, scope, column)
    labels = shown.select("group", "sort_key")
    raw = list(spells)
    if dimension is None:
        keyed = {"All converted hires": raw[0]} if raw else {}
    else:
        named = with_labels(pl.DataFrame({"g": raw}, schema={"g": _dtype(raw)}), dimension,
                            names_for(store, scope, dimension))
        keyed = dict(zip(named["group"].to_list(), raw, strict=True))
    rows: list[dict[str, object]] = []
    network = scope.perturbed
    # Network curves: from the perturbed interval counts, like the horizons (module doc).
    intervals = perturbed_intervals(store, scope, column, max(months, CURVE_MONTHS)) if network else {}
    for group, sort_key in labels.filter(pl.col("group").is_in(visible["group"].to_list())).iter_rows():
        times, events, censored = spells[keyed[group]]
        students = followed.get(keyed[group], [])
        for month in range(months + 1):
            day = boundary(month)
            if network:
                point = intervals[keyed[group]].survival(day)
            else:
                point = product_limit(times, events, censored, horizon=day)
            still = sum(n for t, n in students if t >= day)
            if point is None or point.at_risk < max(min_cell, 1) or still < max(min_cell, 1):
                break
            value = [point.survival, point.low, point.high]
            if network:  # network cells: survival shown to 0.1 percentage point, like rates
                value = [None if v is None else round(v, disclosure.RATE_DECIMALS) for v in value]
            rows.append({"group": group, "sort_key": sort_key, "month": month,
                         "years": month / 12, "survival": value[0], "survival_low": value[1],
                         "survival_high": value[2], "at_risk": point.at_risk})
    schema = {"group": pl.String, "sort_key": pl.Int64, "month": pl.Int64, "years": pl.Float64,
              "survival": pl.Float64, "survival_low": pl.Float64, "survival_high": pl.Float64,
              "at_risk": pl.Int64}
    # Network curves' at-risk counts are the perturbed ones, each with its own records' key.
    return pl.DataFrame(rows, schema=schema)


def _dtype(values: Sequence[object]) -> type[pl.DataType] | pl.DataType:
    present = [v for v in values if v is not None]
    if not present:
        return pl.String
    if isinstance(present[0], bool):
        return pl.Boolean
    if isinstance(present[0], int):
        return pl.Int64
    return pl.String
