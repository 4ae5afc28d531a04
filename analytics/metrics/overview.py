"""The overview: one row summarising a scope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import polars as pl

from analytics.access import Principal
from analytics.disclosure import DOMINANCE_SHARE, PERTURBED, Guard, Rate, Table, release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    RATES,
)
from analytics.metrics.frames import (
    OFFER_GUARD,
    check_min_cell,
    median_from_counts,
    resolve_sizes,
    triple,
)
from analytics.metrics.scope import Scope, query
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

STUDENTS_KEY_FACTOR: Final = 101
STUDENTS_KEY_SHIFT: Final = 57

_OVERVIEW_SCHEMA: Final[dict[str, Any]] = {
    "placements": pl.Int64, "students": pl.Int64, "employers": pl.Int64,
    "universities": pl.Int64, "completed": pl.Int64, "eligible": pl.Int64, "offers": pl.Int64,
    "accepted": pl.Int64, "known_outcome": pl.Int64,
    **{c: pl.Float64 for r in RATES for c in triple(r)},
    **{c: pl.Float64 for c in triple("knowledge_rate")},
    "eligibility_basis": pl.String, "eligibility_known": pl.Int64, "eligibility_coverage": pl.Float64,
    "paid_share": pl.Float64, "paid_known": pl.Int64,
    "hourly_pay_currency": pl.String, "median_hourly_pay": pl.Float64,
    "mean_hourly_pay": pl.Float64, "hourly_pay_n": pl.Int64, "hourly_pay_currencies": pl.Int64,
    "median_duration_weeks": pl.Float64, "duration_n": pl.Int64, "full_time_share": pl.Float64,
    "academic_credit_share": pl.Float64, "structured_training_share": pl.Float64,
    "suppressed": pl.Boolean, "conversion_suppressed": pl.Boolean, "blocked": pl.Boolean,
}


def overview(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
             min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """One row summarising the scope. Columns (see `_OVERVIEW_SCHEMA` for types):

    placements, students, employers, universities, completed; eligible, offers, accepted,
    known_outcome; offer_rate / acceptance_rate / conversion_rate / knowledge_rate triples;
    eligibility_basis (the batches' bases in scope: 'final_year', 'completed', 'mixed' or
    'unknown'), eligibility_known (placements whose eligibility can be told) and
    eligibility_coverage (that share of placements); paid_share, paid_known;
    hourly_pay_currency (main currency), median_hourly_pay, mean_hourly_pay, hourly_pay_n
    (paid records in that currency), hourly_pay_currencies (how many currencies are present);
    median_duration_weeks, duration_n; full_time_share, academic_credit_share,
    structured_training_share; suppressed (the whole scope describes fewer than min_cell
    placements or students: every figure is null) and conversion_suppressed (fewer than min_cell
    eligible interns: the conversion block is null).
    """
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    e = scope.eligible
    counts = {
        "placements": "TRUE", "completed": "completed", "eligible": e, "offers": f"{e} AND offered",
        "accepted": f"{e} AND accepted", "known_outcome": f"{e} AND known", "paid_n": "paid",
        "paid_known": "paid IS NOT NULL", "full_time": "schedule = 'full_time'",
        "schedule_n": "schedule IS NOT NULL", "credit": "academic_credit",
        "credit_n": "academic_credit IS NOT NULL", "training": "structured_training",
        "training_n": "structured_training IS NOT NULL", "eligibility_known": "eligibility_known",
        "duration_n": "duration_weeks IS NOT NULL",
    }
    sizes = {
        "student_cell": "TRUE", "completed_students": "completed", "eligible_students": e,
        "offer_students": f"{e} AND offered",
        "paid_known_students": "paid IS NOT NULL", "schedule_students": "schedule IS NOT NULL",
        "credit_students": "academic_credit IS NOT NULL",
        "training_students": "structured_training IS NOT NULL",
        "duration_students": "duration_weeks IS NOT NULL",
        # Both sides of every share: either count follows from the share and the other side.
        "paid_students": "paid", "unpaid_students": "NOT paid",
        "full_time_students": "schedule = 'full_time'", "part_time_students": "schedule = 'part_time'",
        "credit_students_yes": "academic_credit", "credit_students_no": "NOT academic_credit",
        "training_students_yes": "structured_training",
        "training_students_no": "NOT structured_training",
    }
    main = (scope.flag_counts(store, counts, sizes) if scope.facts.fresh
            else query(store, _counts_sql(scope, counts, sizes), scope.params))
    row: dict[str, Any] = {k: int(v or 0) for k, v in
                           resolve_sizes(store, scope, main, sizes, min_cell).row(0, named=True).items()}
    # The students figure is shown, so it is counted exactly (a bitmap, in a query of its own:
    # mixed with plain aggregates DuckDB would plan the whole scan as a distinct aggregation).
    # The gate sizes the cell on the exact count (`student_cell`); the figure shown is a count
    # like any other (`students`), perturbed in network cells with a key of its own, so a public
    # visitor cannot difference exact student counts. Over the whole of fresh facts, the first
    # placements are exactly one per student (facts: every student keeps one marked row), so
    # their count is the exact count and the bitmap is not needed.
    if scope.facts.fresh and not scope.conditions:
        row["student_cell"] = row["student_cell_low"]
    else:
        row["student_cell"] = store.scalar(
            f"SELECT {scope.exact_students('students', bitmap=True)} FROM {scope.relation} "
            f"{scope.where()}", scope.params) or 0
    row["students"] = row["student_cell"]
    # Its key: an odd multiple of the placements' key, shifted (a bijection mod 256), so it is a
    # function of the cell's records alone -- the same in every build of the same data -- yet
    # gives the two figures different noise.
    row["students_key"] = row["placements_key"] * STUDENTS_KEY_FACTOR + STUDENTS_KEY_SHIFT
    bases = _bases(store, scope)
    basis = ("unknown" if not bases - {"unknown"} else "mixed" if {"final_year", "completed"} <= bases
             else "final_year" if "final_year" in bases else "completed")
    row |= one_row(store, f"SELECT count(DISTINCT e) AS employers, count(DISTINCT u) AS universities "
                          f"FROM (SELECT {scope.facts.employer_id} AS e, {scope.facts.university_id} AS u "
                          f"FROM {scope.relation} {scope.where()} GROUP BY ALL)", scope.params)
    weeks = store.rows(f"SELECT duration_weeks, count(*) FROM {scope.relation} "
                       f"{scope.where('duration_weeks IS NOT NULL')} GROUP BY ALL", scope.params)
    row["median_duration_weeks"] = median_from_counts(weeks)
    row["duration_n"] = sum(int(c) for _, c in weeks)
    row |= _pay(store, scope, min_cell)
    frame = pl.DataFrame([row])
    dominated = frame["pay_top_share"].fill_null(0.0) > DOMINANCE_SHARE
    if scope.release(min_cell).network and bool(dominated[0]):
        frame = frame.with_columns(pl.lit(0, dtype=pl.Int64).alias("pay_students"))
    # A selection whose outcomes (or pay) would reveal a cell hidden elsewhere shows none.
    if "outcomes" in scope.blocked:
        frame = frame.with_columns(pl.lit(0, dtype=pl.Int64).alias("eligible_students"))
    if "pay" in scope.blocked:
        frame = frame.with_columns(pl.lit(0, dtype=pl.Int64).alias("pay_students"))
    conversion = ["eligible", "offers", "accepted", "known_outcome",
                  *(c for r in (*RATES, "knowledge_rate") for c in triple(r))]
    pay = ["median_hourly_pay", "mean_hourly_pay", "hourly_pay_n"]
    table = Table(
        size="student_cell",
        values=tuple(c for c in _OVERVIEW_SCHEMA if c not in _LABELS),
        counts=("placements", "students", "completed", *counts.keys() - {"placements", "completed"},
                "hourly_pay_n"),
        rates=(Rate("offer_rate", "offers", "eligible"), Rate("acceptance_rate", "accepted", "offers"),
               Rate("conversion_rate", "accepted", "eligible"),
               Rate("knowledge_rate", "known_outcome", "eligible"),
               Rate("eligibility_coverage", "eligibility_known", "placements", interval=False),
               Rate("paid_share", "paid_n", "paid_known", interval=False),
               Rate("full_time_share", "full_time", "schedule_n", interval=False),
               Rate("academic_credit_share", "credit", "credit_n", interval=False),
               Rate("structured_training_share", "training", "training_n", interval=False)),
        guards=(Guard("eligible_students", tuple(conversion)), OFFER_GUARD,
                Guard("completed_students", ("completed",)),
                Guard("paid_known_students", ("paid_share", "paid_known")),
                Guard(("paid_students", "unpaid_students"), ("paid_share",)),
                Guard(("full_time_students", "part_time_students"), ("full_time_share",)),
                Guard(("credit_students_yes", "credit_students_no"), ("academic_credit_share",)),
                Guard(("training_students_yes", "training_students_no"),
                      ("structured_training_share",)),
                Guard("pay_students", tuple(pay), additive=False),
                Guard("duration_students", ("median_duration_weeks", "duration_n"))),
        money=("median_hourly_pay", "mean_hourly_pay"),
        statistics=("median_duration_weeks",),
        total=False,
    )
    frame = release(frame, table, scope.release(min_cell))
    frame = frame.with_columns(
        pl.lit(basis).alias("eligibility_basis"),
        pl.lit(bool(scope.blocked)).alias("blocked"),
        (pl.col("suppressed") | (pl.col("eligible_students") < min_cell)).alias("conversion_suppressed"),
    )
    return frame.select([pl.col(c).cast(t) for c, t in _OVERVIEW_SCHEMA.items()] + [pl.col(PERTURBED)])


# Columns of the overview that describe the release itself: never hidden.
_LABELS: Final = frozenset({"eligibility_basis", "suppressed", "conversion_suppressed", "blocked"})


def _bases(store: Store, scope: Scope) -> set[str]:
    """The eligibility bases of the scope's batches. One probe per basis, each stopping at its
    first row: a basis no batch has is ruled out by the row groups' statistics without reading
    them, and the common one is found in the first rows (a DISTINCT read the whole column)."""
    probes = " UNION ALL ".join(
        f"(SELECT '{basis}' FROM {scope.relation} "
        f"{scope.where(f'eligibility_basis = {basis!r}')} LIMIT 1)" for basis in _BASES)
    return {str(b) for (b,) in store.rows(probes, [*scope.params] * len(_BASES))}


_BASES: Final = ("final_year", "completed", "unknown")


def _counts_sql(scope: Scope, counts: dict[str, str], sizes: dict[str, str]) -> str:
    """One row, counted row by row (the plain projection; fresh facts use Scope.flag_counts):
    each count with its cell key, and each size's bounds (Scope.students)."""
    plain = [*(f"count_if({c}) AS {name}, {scope.key(name, c)}" for name, c in counts.items()),
             *(scope.students(name, c) for name, c in sizes.items())]
    return f"SELECT {', '.join(plain)} FROM {scope.relation} {scope.where()}"


def _pay(store: Store, scope: Scope, min_cell: int) -> dict[str, Any]:
    """The main currency's pay figures: currency, median and mean hourly pay, its paid records
    (with their cell key) and distinct paid students, the largest employer's share of it (for
    the dominance rule), and how many currencies there are."""
    currency = scope.currency_id
    pay = query(store, scope.currency_names(f"""
        SELECT {currency} AS currency_no, count(*) AS hourly_pay_n, {scope.key('hourly_pay_n')},
               median(hourly_pay) AS median_hourly_pay, avg(hourly_pay) AS mean_hourly_pay,
               {scope.students('pay_students')}
        FROM {scope.relation} {scope.where('hourly_pay IS NOT NULL', f'{currency} IS NOT NULL')}
        GROUP BY ALL""", order="hourly_pay_n DESC, currency"), scope.params)
    if pay.is_empty():
        return {"hourly_pay_currency": None, "hourly_pay_n": 0, "hourly_pay_n_key": 0,
                "median_hourly_pay": None, "mean_hourly_pay": None, "pay_students": 0,
                "hourly_pay_currencies": 0, "pay_top_share": None}
    number = pay["currency_no"][0]
    main = resolve_sizes(store, scope, pay.head(1), {"pay_students": "TRUE"}, min_cell,
                         "hourly_pay IS NOT NULL", f"{currency} = ?",
                         where_params=[number]).row(0, named=True)
    top = None if not scope.perturbed else store.scalar(f"""
        SELECT max(c) / sum(c) FROM (
            SELECT {scope.facts.employer_id}, count(*) AS c FROM {scope.relation}
            {scope.where('hourly_pay IS NOT NULL', f'{currency} = ?')} GROUP BY ALL)""",
        [*scope.params, number])
    return {"hourly_pay_currency": main["currency"], "hourly_pay_n": main["hourly_pay_n"],
            "hourly_pay_n_key": main["hourly_pay_n_key"],
            "median_hourly_pay": main["median_hourly_pay"], "mean_hourly_pay": main["mean_hourly_pay"],
            "pay_students": main["pay_students"], "hourly_pay_currencies": pay.height,
            "pay_top_share": float(top) if top is not None else None}


def one_row(store: Store, sql: str, params: Sequence[Any]) -> dict[str, int]:
    """The one row of a query of counts (DuckDB's count_if over no rows is NULL: 0 here)."""
    frame = query(store, sql, params)
    return {k: int(v or 0) for k, v in frame.row(0, named=True).items()} if frame.height else {}
