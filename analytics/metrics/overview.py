"""The overview: one row summarising a scope."""

from __future__ import annotations

import math
from typing import Any, Final

import polars as pl

from analytics import stats
from analytics.access import Principal
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    RATES,
)
from analytics.metrics.frames import (
    check_min_cell,
    quantiles_from_counts,
    triple,
)
from analytics.metrics.scope import (
    scope_for,
)
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

_OVERVIEW_SCHEMA: Final[dict[str, Any]] = {
    "placements": pl.Int64, "students": pl.Int64, "employers": pl.Int64,
    "universities": pl.Int64, "completed": pl.Int64, "eligible": pl.Int64, "offers": pl.Int64,
    "accepted": pl.Int64, "known_outcome": pl.Int64,
    **{c: pl.Float64 for r in RATES for c in triple(r)},
    **{c: pl.Float64 for c in triple("knowledge_rate")},
    "eligibility_basis": pl.String, "paid_share": pl.Float64, "paid_known": pl.Int64,
    "hourly_pay_currency": pl.String, "median_hourly_pay": pl.Float64,
    "mean_hourly_pay": pl.Float64, "hourly_pay_n": pl.Int64, "hourly_pay_currencies": pl.Int64,
    "median_duration_weeks": pl.Float64, "duration_n": pl.Int64, "full_time_share": pl.Float64,
    "academic_credit_share": pl.Float64, "structured_training_share": pl.Float64,
    "suppressed": pl.Boolean, "conversion_suppressed": pl.Boolean,
}


def overview(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
             min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """One row summarising the scope. Columns (see `_OVERVIEW_SCHEMA` for types):

    placements, students, employers, universities, completed; eligible, offers, accepted,
    known_outcome; offer_rate / acceptance_rate / conversion_rate / knowledge_rate triples;
    eligibility_basis ('final_year' or 'completed'); paid_share, paid_known;
    hourly_pay_currency (main currency), median_hourly_pay, mean_hourly_pay, hourly_pay_n
    (paid records in that currency), hourly_pay_currencies (how many currencies are present);
    median_duration_weeks, duration_n; full_time_share, academic_credit_share,
    structured_training_share; suppressed (the whole scope describes fewer than min_cell
    placements or students: every figure is null) and conversion_suppressed (fewer than min_cell
    eligible interns: the conversion block is null).
    """
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt)
    f = scope.facts
    # Plain aggregates in one scan; DISTINCT aggregates go in their own queries, because mixing
    # them in makes DuckDB plan the whole scan as a distinct aggregation (4x the memory).
    student_id = "student_no" if f.fresh else "student_id"
    main = store.rows(
        f"""SELECT count(*), count_if(completed), {scope.conversion_counts()},
                   count_if(paid), count(paid), count_if(schedule = 'full_time'), count(schedule),
                   count_if(academic_credit), count(academic_credit),
                   count_if(structured_training), count(structured_training),
                   count_if({student_id} IS NULL), {f.students_sql or "NULL"}
            FROM {scope.relation} {scope.where()}""",
        scope.params,
    )[0]
    (placements, completed, eligible, offers, accepted, known, paid, paid_known, full_time,
     schedule_n, credit, credit_n, training, training_n, no_student) = (int(v or 0) for v in main[:-1])
    if f.students_sql is not None:
        students = int(main[-1] or 0)
    else:
        students = int(store.scalar(f"SELECT count(DISTINCT student_id) FROM {scope.relation} "
                                    f"{scope.where()}", scope.params) or 0)
    employers, universities = (int(v or 0) for v in store.rows(
        f"SELECT count(DISTINCT e), count(DISTINCT u) FROM (SELECT {f.employer_id} AS e, "
        f"{f.university_id} AS u FROM {scope.relation} {scope.where()} GROUP BY ALL)",
        scope.params)[0])
    weeks = store.rows(
        quantiles_from_counts(
            f"SELECT 1 AS g, duration_weeks AS v, count(*) AS c FROM {scope.relation} "
            f"{scope.where('duration_weeks IS NOT NULL')} GROUP BY ALL",
            [("median", 0.5)],
        ),
        scope.params,
    )
    pay = store.rows(
        f"""SELECT currency, count(*) AS n, median(hourly_pay), avg(hourly_pay)
            FROM {scope.relation} {scope.where('hourly_pay IS NOT NULL', 'currency IS NOT NULL')}
            GROUP BY currency ORDER BY n DESC, currency""",
        scope.params,
    )

    def share(numerator: int, denominator: int) -> float | None:
        return numerator / denominator if denominator >= max(min_cell, 1) else None

    row: dict[str, Any] = {
        "placements": placements, "students": students, "employers": employers,
        "universities": universities, "completed": completed, "eligible": eligible,
        "offers": offers, "accepted": accepted, "known_outcome": known,
        "eligibility_basis": scope.basis,
        "paid_share": share(paid, paid_known), "paid_known": paid_known,
        "hourly_pay_currency": pay[0][0] if pay else None,
        "median_hourly_pay": float(pay[0][2]) if pay else None,
        "mean_hourly_pay": float(pay[0][3]) if pay else None,
        "hourly_pay_n": int(pay[0][1]) if pay else 0,
        "hourly_pay_currencies": len(pay),
        "median_duration_weeks": float(weeks[0][3]) if weeks else None,
        "duration_n": int(weeks[0][1]) if weeks else 0,
        "full_time_share": share(full_time, schedule_n),
        "academic_credit_share": share(credit, credit_n),
        "structured_training_share": share(training, training_n),
    }
    for name, successes, n in (("offer_rate", offers, eligible), ("acceptance_rate", accepted, offers),
                               ("conversion_rate", accepted, eligible),
                               ("knowledge_rate", known, eligible)):
        low, high = stats.wilson_interval(successes, n)
        row[name] = successes / n if n else None
        row[f"{name}_low"] = None if math.isnan(low) else low
        row[f"{name}_high"] = None if math.isnan(high) else high
    # Privacy: placements are the cell; distinct students too when ids are present.
    people = min(placements, students + no_student) if students else placements
    row["suppressed"] = people < min_cell
    row["conversion_suppressed"] = eligible < min_cell
    if offers < min_cell:
        row.update(dict.fromkeys(triple("acceptance_rate")))
    if row["conversion_suppressed"]:
        row.update(dict.fromkeys(["eligible", "offers", "accepted", "known_outcome",
                                  *(c for r in (*RATES, "knowledge_rate") for c in triple(r))]))
    if paid_known < min_cell:
        row["paid_known"] = None
    if row["hourly_pay_n"] < min_cell:
        row.update(dict.fromkeys(["median_hourly_pay", "mean_hourly_pay", "hourly_pay_n"]))
    if row["duration_n"] < min_cell:
        row.update(dict.fromkeys(["median_duration_weeks", "duration_n"]))
    if row["suppressed"]:
        keep = {"eligibility_basis", "suppressed", "conversion_suppressed"}
        row.update({k: None for k in _OVERVIEW_SCHEMA if k not in keep})
        row["conversion_suppressed"] = True
    return pl.DataFrame([row], schema=_OVERVIEW_SCHEMA)


# ================================================================================================
