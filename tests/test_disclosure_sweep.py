"""A sweep over every public metric function: no released row describing fewer than min_cell
students shows any figure, for every dimension and for an admin, a scoped viewer and the public.

The database is generated (seeded) with many small groups in every dimension and with students
who hold several placements, so a group's placements and its students differ. The truth -- each
group's distinct students, per unit a figure describes (eligible interns, paid records in the
main currency, known durations...) -- is computed straight from the `placements` table with plain
SQL (tests.disclosure_support), never through analytics.metrics.

On 7c8cc45 (run in a throwaway worktree, the principal argument dropped) the sweep found leaks in
every grouped function (cells sized by placements) and in the numerator and small-part rules;
see each test's docstring.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analytics import metrics, schema
from analytics import store as store_module
from analytics.access import Principal
from analytics.filters import Filter
from analytics.store import Store
from tests.disclosure_support import (
    ADMIN,
    MIN_CELL,
    PUBLIC,
    VIEWER_U1,
    cohort,
    count_from,
    make_store,
    recoverable_hidden,
    row,
    visible_figures,
)

DIMENSIONS = tuple(metrics.GROUP_DIMENSIONS)
PRINCIPALS = {"admin": ADMIN, "viewer": VIEWER_U1, "public": PUBLIC}
OWN_SCOPE = {"admin": "TRUE", "viewer": "university = 'U1'", "public": "TRUE"}


# -- the generated database ---------------------------------------------------------------------
def sweep_rows(seed: int = 11) -> list[dict[str, Any]]:
    """About 420 placements of about 330 students: employers of 1 to 60 students, two employers
    whose students hold several placements (Repeat: 4 x 3, Twice: 6 x 2), rare values in every
    dimension (a EUR currency, a Bootcamp programme, a fourth university...)."""
    rng = random.Random(seed)
    # The outcome fields beyond the first wave come from a stream of their own, so the rest of
    # the database is the same with or without them.
    extra = random.Random(seed + 1)
    sizes = {"Emp A": 60, "Emp B": 45, "Emp C": 30, "Emp D": 22, "Emp E": 15, "Emp F": 12,
             "Emp G": 9, "Emp H": 6, "Emp I": 4, "Emp J": 3, "Emp K": 2, "Emp L": 1}
    numbers = itertools.count(1)

    def pick(options: Sequence[Any], weights: Sequence[float]) -> Any:
        return rng.choices(list(options), weights=list(weights))[0]

    def placement(employer: str, student: str, season: str | None = None,
                  **fixed: Any) -> dict[str, Any]:
        offered = pick([True, False, None], [60, 35, 5])
        accepted = None if offered is None else (offered and rng.random() < 0.75)
        status = pick(schema.STATUSES, [80, 10, 10])
        paid = pick([True, False, None], [80, 15, 5])
        return row(
            placement_id=f"P{next(numbers):05d}", student_id=student, employer=employer,
            university=pick(["U1", "U2", "U3", "U4"], [50, 30, 15, 5]),
            term_season=season or pick(["spring", "summer", "fall"], [25, 55, 20]),
            term_year=pick([2023, 2024], [45, 55]), status=status,
            final_year=pick([True, False, None], [70, 25, 5]),
            continuing_education=pick([False, True], [90, 10]),
            offer_extended=offered, offer_accepted=accepted, paid=paid,
            pay_amount=round(rng.uniform(15, 45), 2) if paid else None,
            currency=pick(["USD", "CAD", "EUR"], [90, 8, 2]) if paid else None,
            hours_per_week=pick([40.0, 20.0, None], [75, 20, 5]),
            duration_weeks=pick([float(rng.randint(6, 26)), None], [95, 5]),
            role_family=pick(schema.ROLE_FAMILIES, [40, 20, 15, 10, 8, 7][:len(schema.ROLE_FAMILIES)]
                             + [5] * max(0, len(schema.ROLE_FAMILIES) - 6)),
            degree_level=pick(schema.DEGREE_LEVELS, [10, 60, 20, 5, 5]),
            work_mode=pick(schema.WORK_MODES, [50, 35, 15]),
            academic_credit=pick([True, False, None], [30, 60, 10]),
            structured_training=pick([True, False, None], [40, 50, 10]),
            program=pick(["CS", "EE", "Math", "Bootcamp"], [50, 30, 15, 5]),
            country=pick(["US", "CA"], [85, 15]),
            student_status=pick(schema.STUDENT_STATUSES, [70, 30]),
        ) | outcome_fields(extra) | fixed

    rows = []
    for employer, size in sizes.items():
        for s in range(size):
            rows.append(placement(employer, f"{employer}-{s}"))
    # Repeat and Twice: every placement eligible, paid in USD, with a duration and known hours, so
    # each of their cells holds 12 placements of only 4 or 6 students.
    always = dict(status="completed", final_year=True, continuing_education=False, paid=True,
                  currency="USD", pay_period="hour", duration_weeks=12.0, hours_per_week=40.0,
                  academic_credit=False, term_year=2024)
    for s in range(4):
        for season in ("spring", "summer", "fall"):
            rows.append(placement("Repeat", f"Repeat-{s}", season, pay_amount=30.0 + s, **always))
    for s in range(6):
        for season in ("spring", "fall"):
            rows.append(placement("Twice", f"Twice-{s}", season, pay_amount=25.0 + s, **always))
    # A few students of the big employers also interned elsewhere (same student, other employer).
    for s in range(8):
        rows.append(placement("Emp C", f"Emp A-{s}"))
    return [with_outcomes(r, i) for i, r in enumerate(rows)]


def with_outcomes(record: dict[str, Any], i: int) -> dict[str, Any]:
    """The outcome fields beyond the first wave, made from the row's position (no random draw,
    so every other field keeps the value the seed gave it): a returning flag, a hiring timeline
    for offers, reneges, hires and separations for accepted offers."""
    day = dt.date(2024, 9, 1)
    out = dict(record, returning_intern=(True, False, None)[i % 3])
    if out.get("offer_extended") or out.get("offer_accepted"):
        offered = day + dt.timedelta(days=i % 20)
        out.update(end_date=dt.date(2024, 8, 10), offer_date=offered,
                   offer_deadline=offered + dt.timedelta(days=(7, 10, 14, 21, 28)[i % 5]),
                   decision_date=offered + dt.timedelta(days=i % 9))
    if out.get("offer_accepted"):
        out["reneged"] = i % 17 == 0
        if not out["reneged"] and i % 4:
            hired = dt.date(2023, 1, 1) + dt.timedelta(days=i * 37 % 900)
            out["hire_date"] = hired
            if i % 3 == 0:
                out["separation_date"] = hired + dt.timedelta(days=i * 53 % 800)
    return out


def outcome_fields(rng: random.Random) -> dict[str, Any]:
    """Returning, ratings, outcome source and the equity fields, each with rare values (a
    rating of 1, a nonbinary gender, an ethnicity of a few interns) and some missing."""
    def pick(options: Sequence[Any], weights: Sequence[float]) -> Any:
        return rng.choices(list(options), weights=list(weights))[0]

    return {
        "returning_intern": pick([True, False, None], [20, 70, 10]),
        "intern_rating": pick([1, 2, 3, 4, 5, None], [2, 5, 20, 40, 25, 8]),
        "supervisor_rating": pick([1, 2, 3, 4, 5, None], [1, 4, 25, 35, 20, 15]),
        "outcome_source": pick([*schema.OUTCOME_SOURCES, None], [40, 30, 5, 3, 22]),
        "gender": pick(["female", "male", "nonbinary", None], [45, 45, 3, 7]),
        "ethnicity": pick(["Asian", "Black", "Hispanic", "White", "Pacific Islander", None],
                          [20, 12, 15, 40, 2, 11]),
        "first_generation": pick([True, False, None], [25, 65, 10]),
    }


@pytest.fixture(scope="module")
def sweep_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = make_store(tmp_path_factory.mktemp("sweep") / "sweep.duckdb", sweep_rows())
    yield store
    store.close()
    store_module.close_all()


# -- the truth, from the placements table -------------------------------------------------------
def label(dimension: str, value: Any) -> str:
    """The label a grouped result gives a raw value (written here from the documented rules:
    missing -> 'unknown', booleans -> yes / no, years as whole numbers)."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if dimension == "term_year":
        return str(int(value))
    return str(value)


COMPLETED = "status = 'completed'"
OFFERED = "(offer_extended IS TRUE OR offer_accepted IS TRUE)"
ACCEPTED = "offer_accepted IS TRUE"


@dataclass
class Truth:
    """Distinct students per group of the placements a principal's view reads."""

    store: Store
    scope: str  # SQL over placements: the rows the view reads

    def eligible(self) -> str:
        # The documented rule: completed, not continuing education, and graduating (final year
        # or a recent graduate) -- unless the batch records neither field (then every completed
        # internship). The fixtures are one batch, so the basis is the whole table's.
        known = self.store.scalar("SELECT count(*) FROM placements WHERE final_year IS NOT NULL "
                                  "OR student_status IS NOT NULL")
        final = " AND (final_year IS TRUE OR student_status = 'recent_graduate')" if known else ""
        return f"({COMPLETED} AND continuing_education IS NOT TRUE{final})"

    def main_currency(self) -> str | None:
        rows = self.store.rows(
            f"SELECT currency, count(*) AS c FROM placements WHERE {self.scope} AND hourly_pay IS "
            "NOT NULL AND currency IS NOT NULL GROUP BY currency ORDER BY c DESC, currency LIMIT 1")
        return str(rows[0][0]) if rows else None

    def paid_main(self) -> str:
        currency = self.main_currency()
        return f"(hourly_pay IS NOT NULL AND currency = '{currency}')" if currency else "FALSE"

    def sizes(self, keys: Sequence[tuple[str, str]], unit: str) -> dict[tuple[str, ...], int]:
        """students per group: keys are (dimension for labels, SQL expression) pairs."""
        select = ", ".join(f"{sql} AS k{i}" for i, (_, sql) in enumerate(keys))
        rows = self.store.rows(
            f"SELECT {select}, count(DISTINCT student_id) FROM placements "
            f"WHERE {self.scope} AND {unit} GROUP BY ALL")
        return {tuple(label(d, r[i]) if d else r[i] for i, (d, _) in enumerate(keys)): int(r[-1])
                for r in rows}

    def total(self, unit: str) -> int:
        return int(self.store.scalar(
            f"SELECT count(DISTINCT student_id) FROM placements WHERE {self.scope} AND {unit}") or 0)


def dim_sql(dimension: str) -> str:
    return {"employer": "employer"}.get(dimension, dimension)


# -- the rules, checked row by row --------------------------------------------------------------
@dataclass
class Rule:
    """Figures in `columns` describe the students of `unit`; under min_cell none may show."""

    unit: str
    columns: Sequence[str] | None  # None: every figure of the row


@dataclass
class Part:
    """A part of the row's cell (unpaid, part-time...) whose size is `unit`: under min_cell its
    count is hidden and cannot be rebuilt as n - other or share x n."""

    unit: str
    count: str
    other: str
    share: str | None
    share_is_of_part: bool
    n: str = "n"


class Checker:
    def __init__(self) -> None:
        self.violations: list[str] = []
        self.small_checked = 0

    def rule(self, where: str, record: dict[str, Any], students: int, columns: Sequence[str] | None) -> None:
        if students >= MIN_CELL:
            return
        self.small_checked += 1
        shown = visible_figures(record, columns)
        if shown:
            self.violations.append(f"{where}: {students} students, shows {shown}")

    def part(self, where: str, record: dict[str, Any], students: int, part: Part) -> None:
        if students >= MIN_CELL or students == 0:
            return
        self.small_checked += 1
        shown = visible_figures(record, [part.count])
        n = record.get(part.n)
        if n is not None and record.get(part.other) is not None:
            shown[f"{part.n} - {part.other}"] = n - record[part.other]
        if part.share and n is not None and record.get(part.share) is not None:
            share = record[part.share]
            shown[f"{part.share} x {part.n}"] = (share if part.share_is_of_part else 1 - share) * n
        if shown:
            self.violations.append(f"{where}: part {part.count} of {students} students, shows {shown}")

    def offers(self, where: str, record: dict[str, Any], students: int, n: str) -> None:
        """Fewer than min_cell offered students: no acceptance rate, and neither the offers count
        nor the offer rate beside it (the contract's numerator rule)."""
        if students >= MIN_CELL or record.get(n) is None:
            return
        self.small_checked += 1
        shown = visible_figures(record, ["acceptance_rate", "acceptance_rate_low", "acceptance_rate_high",
                                         "offers", "offer_rate", "offer_rate_low", "offer_rate_high"])
        if shown:
            self.violations.append(f"{where}: {students} offered students, shows {shown}")

    def report(self) -> None:
        assert self.small_checked > 0, "the sweep checked no small cell: the view released nothing?"
        first = "\n".join(self.violations[:15])
        assert self.violations == [], f"{len(self.violations)} leaks, first: {first}"


CONVERSION_FIGURES = ["n", "offers", "accepted", "known_outcome", "employers", "offer_rate",
                      "offer_rate_low", "offer_rate_high", "acceptance_rate", "acceptance_rate_low",
                      "acceptance_rate_high", "conversion_rate", "conversion_rate_low",
                      "conversion_rate_high", "knowledge_rate", "knowledge_rate_low",
                      "knowledge_rate_high", "z_score", "outside_95", "outside_998",
                      "shrunk_conversion", "rank", "eligible"]


OVERVIEW_CONVERSION = ["eligible", "offers", "accepted", "known_outcome", "offer_rate", "offer_rate_low",
                       "offer_rate_high", "acceptance_rate", "acceptance_rate_low", "acceptance_rate_high",
                       "conversion_rate", "conversion_rate_low", "conversion_rate_high", "knowledge_rate",
                       "knowledge_rate_low", "knowledge_rate_high"]


def grouped(check: Checker, name: str, frame: pl.DataFrame, key: str, sizes: dict[tuple[str, ...], int],
            columns: Sequence[str] | None) -> None:
    for record in frame.iter_rows(named=True):
        # A group missing from the truth has no students of that unit (a zero is a small cell too).
        check.rule(f"{name} [{record[key]}]", record, sizes.get((str(record[key]),), 0), columns)


def parts(check: Checker, name: str, frame: pl.DataFrame, key: str, truth: Truth, dim: str,
          spec: Sequence[Part]) -> None:
    for part in spec:
        sizes = truth.sizes([(dim, dim_sql(dim))], part.unit)
        for record in frame.iter_rows(named=True):
            check.part(f"{name} [{record[key]}]", record, sizes.get((str(record[key]),), 0), part)


def no_min_max(frame: pl.DataFrame, name: str) -> None:
    bad = [c for c in frame.columns if c.startswith(("min_", "max_")) or c.endswith(("_min", "_max"))
           or "minimum" in c or "maximum" in c]
    assert bad == [], f"{name} releases a minimum or maximum: {bad}"


# -- grouped functions, every dimension ----------------------------------------------------------
GROUPED = ["conversion_by", "pay_by", "duration_by", "credit_share_by", "schedule_mix", "summary_table",
           "pay_distribution"]


@pytest.mark.parametrize("who", list(PRINCIPALS))
@pytest.mark.parametrize("function", GROUPED)
def test_sweep_grouped_functions_every_dimension(sweep_store: Store, function: str, who: str) -> None:
    """Every dimension of one grouped function, for one principal.

    On 7c8cc45 (admin): every function leaked Repeat / Twice (10 to 12 placements of 4 to 6
    students) in its employer rows, and conversion_by and summary_table showed offers beside
    hidden acceptance rates; credit_share_by, schedule_mix and summary_table showed small parts
    (paid / unpaid, part time, credit)."""
    principal = PRINCIPALS[who]
    truth = Truth(sweep_store, OWN_SCOPE[who])
    eligible, paid_main = truth.eligible(), truth.paid_main()
    check = Checker()
    for dim in DIMENSIONS:
        keys = [(dim, dim_sql(dim))]
        name = f"{function}({dim})"
        if function == "conversion_by":
            for method in ("pooled", "employer_mean"):
                frame = metrics.conversion_by(sweep_store, principal, dim, method=method, min_cell=MIN_CELL)
                no_min_max(frame, name)
                grouped(check, f"{name} {method}", frame, "group", truth.sizes(keys, eligible), None)
                offered = truth.sizes(keys, f"{eligible} AND {OFFERED}")
                for record in frame.iter_rows(named=True):
                    check.offers(f"{name} {method} [{record['group']}]", record,
                                 offered.get((record["group"],), 0), "n")
        elif function == "pay_by":
            frame = metrics.pay_by(sweep_store, principal, dim, min_cell=MIN_CELL)
            no_min_max(frame, name)
            grouped(check, name, frame, "group", truth.sizes(keys, paid_main), None)
        elif function == "duration_by":
            frame = metrics.duration_by(sweep_store, principal, dim, min_cell=MIN_CELL)
            no_min_max(frame, name)
            grouped(check, name, frame, "group", truth.sizes(keys, "duration_weeks IS NOT NULL"), None)
        elif function == "credit_share_by":
            frame = metrics.credit_share_by(sweep_store, principal, dim, min_cell=MIN_CELL)
            grouped(check, name, frame, "group", truth.sizes(keys, "academic_credit IS NOT NULL"), None)
            parts(check, name, frame, "group", truth, dim, [
                Part("academic_credit IS TRUE", "academic_credit", "", "credit_share", True),
                Part("academic_credit IS FALSE", "", "academic_credit", "credit_share", False)])
        elif function == "schedule_mix":
            frame = metrics.schedule_mix(sweep_store, principal, by=dim, min_cell=MIN_CELL)
            grouped(check, name, frame, "group", truth.sizes(keys, "schedule IS NOT NULL"), None)
            parts(check, name, frame, "group", truth, dim, [
                Part("schedule = 'part_time'", "part_time", "full_time", "full_time_share", False),
                Part("schedule = 'full_time'", "full_time", "part_time", "full_time_share", True)])
        elif function == "summary_table":
            frame = metrics.summary_table(sweep_store, principal, by=(dim,), min_cell=MIN_CELL)
            summary_rules(check, name, frame, truth, [dim])
        elif function == "pay_distribution":
            frame = metrics.pay_distribution(sweep_store, principal, by=dim, min_cell=MIN_CELL)
            no_min_max(frame, name)
            sizes = truth.sizes([(dim, dim_sql(dim)), ("", "floor(hourly_pay / 2) * 2")], paid_main)
            for record in frame.iter_rows(named=True):
                cell = (str(record["group"]), float(record["bin_low"]))
                check.rule(f"{name} [{cell}]", record, sizes.get(cell, 0), None)
    check.report()


def summary_rules(check: Checker, name: str, frame: pl.DataFrame, truth: Truth, dims: Sequence[str]) -> None:
    keys = [(d, dim_sql(d)) for d in dims]
    eligible = truth.eligible()
    units = {
        None: "TRUE",
        ("eligible", "offers", "accepted", "conversion_rate"): eligible,
        ("median_hourly_pay",): truth.paid_main(),
        ("paid_share",): "paid IS NOT NULL",
        ("median_weeks",): "duration_weeks IS NOT NULL",
    }
    sizes = {cols: truth.sizes(keys, unit) for cols, unit in units.items()}
    offered = truth.sizes(keys, f"{eligible} AND {OFFERED}")
    unpaid = truth.sizes(keys, "paid IS FALSE")
    paid = truth.sizes(keys, "paid IS TRUE")
    no_min_max(frame, name)
    for record in frame.iter_rows(named=True):
        cell = tuple(str(record[d]) for d in dims)
        where = f"{name} [{', '.join(cell)}]"
        for cols, table in sizes.items():
            check.rule(where, record, table.get(cell, 0), cols)
        check.offers(where, record, offered.get(cell, 0), "eligible")
        # paid_share beside n: a small paid or unpaid part is share x placements-with-status.
        for part_sizes, of_part in ((unpaid, False), (paid, True)):
            students = part_sizes.get(cell, 0)
            if 0 < students < MIN_CELL and record.get("paid_share") is not None:
                check.small_checked += 1
                check.violations.append(f"{where}: paid_share {record['paid_share']} beside a part of "
                                        f"{students} students ({'paid' if of_part else 'unpaid'})")


# -- per-employer functions ----------------------------------------------------------------------
@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_sweep_employer_functions(sweep_store: Store, who: str) -> None:
    """employer_comparison, funnel_plot and pay_vs_conversion, per employer.

    On 7c8cc45 (admin): Repeat (4 students, 12 eligible placements) and Twice (6 students) shown
    with their counts, rates, shrunk rank and pay median."""
    principal = PRINCIPALS[who]
    truth = Truth(sweep_store, OWN_SCOPE[who])
    keys = [("employer", "employer")]
    eligible = truth.eligible()
    conv = truth.sizes(keys, eligible)
    pay = truth.sizes(keys, "(hourly_pay IS NOT NULL AND currency = 'USD')")
    weeks = truth.sizes(keys, "duration_weeks IS NOT NULL")
    offered = truth.sizes(keys, f"{eligible} AND {OFFERED}")
    check = Checker()
    table = metrics.employer_comparison(sweep_store, principal, min_cell=MIN_CELL)
    no_min_max(table, "employer_comparison")
    grouped(check, "employer_comparison", table, "employer", conv, CONVERSION_FIGURES)
    grouped(check, "employer_comparison pay", table, "employer", pay, ["median_hourly_pay"])
    grouped(check, "employer_comparison weeks", table, "employer", weeks, ["median_weeks"])
    for record in table.iter_rows(named=True):
        check.offers(f"employer_comparison [{record['employer']}]", record,
                     offered.get((record["employer"],), 0), "n")
    points, _, _ = metrics.funnel_plot(sweep_store, principal, min_cell=MIN_CELL)
    grouped(check, "funnel_plot", points, "employer", conv, CONVERSION_FIGURES)
    together, together_points, *_ = metrics.employer_funnel(sweep_store, principal, min_cell=MIN_CELL)
    grouped(check, "employer_funnel comparison", together, "employer", conv, CONVERSION_FIGURES)
    grouped(check, "employer_funnel pay", together, "employer", pay, ["median_hourly_pay"])
    grouped(check, "employer_funnel points", together_points, "employer", conv, CONVERSION_FIGURES)
    versus = metrics.pay_vs_conversion(sweep_store, principal, min_cell=MIN_CELL)
    no_min_max(versus, "pay_vs_conversion")
    grouped(check, "pay_vs_conversion", versus, "employer", conv,
            ["n", "conversion_rate", "conversion_rate_low", "conversion_rate_high"])
    grouped(check, "pay_vs_conversion pay", versus, "employer", pay, ["median_hourly_pay"])
    check.report()


@pytest.mark.parametrize("who", ["admin", "viewer"])
def test_sweep_university_view(sweep_store: Store, who: str) -> None:
    """university_view for every university the principal may see: the university column sized
    by that university's eligible students at the employer, the network column by the employer's
    eligible students network-wide; for exact principals, the other universities' part (network
    minus university) may not be small while both columns show.

    On 7c8cc45 (admin): Repeat's and Twice's rows visible in both columns."""
    principal = PRINCIPALS[who]
    network = Truth(sweep_store, "TRUE")
    eligible = network.eligible()
    check = Checker()
    universities = ["U1", "U2", "U3", "U4"] if who == "admin" else ["U1"]
    for university in universities:
        view = metrics.university_view(sweep_store, principal, university, min_cell=MIN_CELL)
        keys = [("employer", "employer")]
        own = network.sizes(keys, f"{eligible} AND university = '{university}'")
        whole = network.sizes(keys, eligible)
        others = network.sizes(keys, f"{eligible} AND university IS DISTINCT FROM '{university}'")
        for record in view.iter_rows(named=True):
            cell = (record["employer"],)
            where = f"university_view({university}) [{record['employer']}]"
            check.rule(where, record, own.get(cell, 0), ["n_university", "conversion_university",
                                                          "conversion_university_low",
                                                          "conversion_university_high"])
            check.rule(where + " network", record, whole.get(cell, 0),
                       ["n_network", "conversion_network", "conversion_network_low",
                        "conversion_network_high"])
            rest = others.get(cell, 0)
            if who == "admin" and 0 < rest < MIN_CELL:
                check.small_checked += 1
                if record["n_university"] is not None and record["n_network"] is not None:
                    check.violations.append(f"{where}: other universities' part of {rest} students "
                                            "is network - university")
    check.report()


# -- flows: every released link, a union of cells, sized by its distinct students --------------
OUTCOME_SQL = {
    "Converted": ACCEPTED,
    "Offered, not accepted": f"{OFFERED} AND NOT ({ACCEPTED})",
    "No offer": f"offer_extended IS NOT NULL AND NOT {OFFERED}",
    "Outcome unknown": "offer_extended IS NULL AND offer_accepted IS NOT TRUE",
}


@pytest.mark.parametrize("middle", ["employer", "role_family"])
@pytest.mark.parametrize("who", ["admin", "viewer", "public"])
def test_sweep_flows(sweep_store: Store, who: str, middle: str) -> None:
    """flows: the students behind each link are worked out from the placements table -- a
    visible link is one university x middle cell, a fold every cell of its source that no
    visible link shows, a middle's outcome link the interns of its visible cells with that
    outcome -- and no link of fewer than min_cell students shows a count."""
    principal = PRINCIPALS[who]
    truth = Truth(sweep_store, OWN_SCOPE[who])
    eligible = truth.eligible()
    column = dim_sql(middle)
    frame = metrics.flows(sweep_store, principal, middle=middle, min_cell=MIN_CELL)
    first = frame.filter(pl.col("layer") == 1)
    cells = {(label("university", u), label(middle, m)) for u, m in sweep_store.rows(
        f"SELECT DISTINCT university, {column} FROM placements WHERE {truth.scope} AND {eligible}")}
    links = list(first.select("source", "target", "folded").iter_rows())
    visible = {(source, target) for source, target, folded in links if not folded}
    shown_universities = {source for source, _t, _f in links}
    members: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for source, target, folded in links:
        # A fold holds the cells of its source that no visible link shows; the "other
        # universities" fold holds every cell of the universities not shown as nodes.
        members[(source, target)] = {(source, target)} if not folded else {
            (u, m) for u, m in cells if (u, m) not in visible
            and (u == source or u not in shown_universities)}
    assert set().union(*members.values()) == cells, "every intern is in exactly one link"

    def students(pairs: set[tuple[str, str]], extra: str = "TRUE") -> int:
        chosen = " OR ".join(f"(coalesce(university, 'unknown') = '{u}' AND "
                             f"coalesce(CAST({column} AS VARCHAR), 'unknown') = '{m}')" for u, m in pairs)
        return truth.total(f"{eligible} AND ({extra}) AND ({chosen or 'FALSE'})")

    check = Checker()
    for cell in cells:  # the small cells themselves: never a link of their own
        if students({cell}) < MIN_CELL:
            check.small_checked += 1
            if cell in visible:
                check.violations.append(f"flows[{middle}] {cell}: a link of {students({cell})} students")
    for record in first.iter_rows(named=True):
        check.rule(f"flows[{middle}] {record['source']} -> {record['target']}", record,
                   students(members[(record["source"], record["target"])]), ["n"])
    by_middle: dict[str, set[tuple[str, str]]] = {}
    for (_source, target), pairs in members.items():
        by_middle.setdefault(target, set()).update(pairs)
    for record in frame.filter(pl.col("layer") == 2).iter_rows(named=True):
        pairs = by_middle[record["source"]]
        if record["folded"]:
            shown = {t for s, t in frame.filter((pl.col("layer") == 2) & ~pl.col("folded"))
                     .select("source", "target").iter_rows() if s == record["source"]}
            outcome = " OR ".join(f"({sql})" for name, sql in OUTCOME_SQL.items() if name not in shown)
        else:
            outcome = OUTCOME_SQL[record["target"]]
        check.rule(f"flows[{middle}] {record['source']} -> {record['target']}", record,
                   students(pairs, outcome or "FALSE"), ["n"])
    check.report()


# -- whole-scope functions over single-value filters (the profiles) ------------------------------
def single_filters() -> list[tuple[str, Filter, str]]:
    """(description, filter, the same selection in SQL over placements)."""
    out: list[tuple[str, Filter, str]] = []
    for employer in ["Emp A", "Emp C", "Emp F", "Emp G", "Emp I", "Repeat", "Twice"]:
        out.append((f"employer {employer}", Filter(employers=(employer,)), f"employer = '{employer}'"))
    for university in ["U1", "U2", "U3", "U4"]:
        out.append((f"university {university}", Filter(universities=(university,)),
                    f"university = '{university}'"))
    for year in (2023, 2024):
        out.append((f"year {year}", Filter(term_years=(year,)), f"term_year = {year}"))
    for season in ("spring", "summer", "fall"):
        out.append((f"season {season}", Filter(term_seasons=(season,)), f"term_season = '{season}'"))
    for level in schema.DEGREE_LEVELS:
        out.append((f"degree {level}", Filter(degree_levels=(level,)), f"degree_level = '{level}'"))
    for mode in schema.WORK_MODES:
        out.append((f"work mode {mode}", Filter(work_modes=(mode,)), f"work_mode = '{mode}'"))
    for value in (True, False):
        out.append((f"paid {value}", Filter(paid=value), f"paid IS {value}"))
        out.append((f"credit {value}", Filter(academic_credit=value), f"academic_credit IS {value}"))
    out.append(("part time", Filter(schedule="part_time"), "schedule = 'part_time'"))
    return out


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_sweep_overview_and_funnel_profiles(sweep_store: Store, who: str) -> None:
    """overview and funnel for single-value filters (the profile an employer, university, year...
    gets): the whole card under min_cell students; the conversion block under min_cell eligible
    students; offers beside a hidden acceptance rate; pay under min_cell paid students; weeks;
    every funnel stage by its own students.

    On 7c8cc45 (admin): the overview was sized by students but showed offers and offer rates
    beside acceptance rates of fewer than 10 offered students; the funnel showed Repeat's and
    Twice's stages (12 placements of 4 and 6 students)."""
    principal = PRINCIPALS[who]
    check = Checker()
    for description, flt, sql in single_filters():
        truth = Truth(sweep_store, f"{OWN_SCOPE[who]} AND {sql}")
        eligible = truth.eligible()
        frame = metrics.overview(sweep_store, principal, flt, min_cell=MIN_CELL)
        no_min_max(frame, "overview")
        card = frame.row(0, named=True)
        where = f"overview({description})"
        check.rule(where, card, truth.total("TRUE"), None)
        check.rule(where + " conversion", card, truth.total(eligible), OVERVIEW_CONVERSION)
        check.offers(where, card, truth.total(f"{eligible} AND {OFFERED}"), "eligible")
        check.rule(where + " pay", card, truth.total(truth.paid_main()),
                   ["median_hourly_pay", "mean_hourly_pay", "hourly_pay_n"])
        check.rule(where + " weeks", card, truth.total("duration_weeks IS NOT NULL"),
                   ["median_duration_weeks", "duration_n"])
        check.rule(where + " paid share", card, truth.total("paid IS NOT NULL"), ["paid_share", "paid_known"])
        stages = {"Completed": COMPLETED, "Eligible": eligible, "Offered": f"{eligible} AND {OFFERED}",
                  "Accepted": f"{eligible} AND {ACCEPTED}"}
        for record in metrics.funnel(sweep_store, principal, flt, min_cell=MIN_CELL).iter_rows(named=True):
            check.rule(f"funnel({description}) [{record['stage']}]", record,
                       truth.total(stages[record["stage"]]), None)
    check.report()


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_sweep_overview_small_parts(sweep_store: Store, who: str) -> None:
    """The overview's cards must not rebuild a small part of a visible card: a share (paid,
    full time, credit, training) whose part on either side has fewer than min_cell students --
    the same cell paid_share_by_term / schedule_mix / credit_share_by hide -- and the completed
    count when fewer than min_cell students completed (placements - completed is the rest).

    On 7c8cc45 (admin): shares such as Emp A's full-time share 0.875 (7 part-time students) and
    Emp F's completed count were shown."""
    principal = PRINCIPALS[who]
    check = Checker()
    for description, flt, sql in single_filters():
        truth = Truth(sweep_store, f"{OWN_SCOPE[who]} AND {sql}")
        card = metrics.overview(sweep_store, principal, flt, min_cell=MIN_CELL).row(0, named=True)
        where = f"overview({description})"
        check.rule(where + " completed", card, truth.total(COMPLETED), ["completed"])
        for share, column in (("paid_share", "paid"), ("full_time_share", "schedule"),
                              ("academic_credit_share", "academic_credit"),
                              ("structured_training_share", "structured_training")):
            yes = "schedule = 'full_time'" if column == "schedule" else f"{column} IS TRUE"
            no = "schedule = 'part_time'" if column == "schedule" else f"{column} IS FALSE"
            for part in (yes, no):
                students = truth.total(part)
                if 0 < students < MIN_CELL:
                    check.rule(f"{where} {share} (part {part})", card, students, [share])
    check.report()


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_sweep_distributions_and_bands(sweep_store: Store, who: str) -> None:
    """pay_distribution (no grouping), duration_distribution, duration_vs_conversion,
    pay_currencies, paid_share_by_term (with its paid / unpaid parts).

    On 7c8cc45 (admin): paid_share_by_term showed unpaid counts under 10; the distributions and
    bands were sized by placements."""
    principal = PRINCIPALS[who]
    truth = Truth(sweep_store, OWN_SCOPE[who])
    eligible = truth.eligible()
    check = Checker()
    bins = truth.sizes([("", "floor(hourly_pay / 2) * 2")], truth.paid_main())
    for record in metrics.pay_distribution(sweep_store, principal, min_cell=MIN_CELL).iter_rows(named=True):
        check.rule(f"pay_distribution [{record['bin_low']}]", record,
                   bins.get((float(record["bin_low"]),), 0), None)
    weeks = truth.sizes([("", "CAST(round(duration_weeks) AS BIGINT)")], "duration_weeks IS NOT NULL")
    distribution = metrics.duration_distribution(sweep_store, principal, min_cell=MIN_CELL)
    for record in distribution.iter_rows(named=True):
        check.rule(f"duration_distribution [{record['weeks']}]", record,
                   weeks.get((record["weeks"],), 0), None)
    band_sql = ("CASE WHEN duration_weeks IS NULL THEN 'unknown' WHEN duration_weeks < 8 THEN "
                "'under 8 weeks' WHEN duration_weeks < 12 THEN '8 to 12 weeks' WHEN duration_weeks < 16 "
                "THEN '12 to 16 weeks' WHEN duration_weeks < 24 THEN '16 to 24 weeks' ELSE "
                "'24 weeks or more' END")
    bands = truth.sizes([("band", band_sql)], eligible)
    frame = metrics.duration_vs_conversion(sweep_store, principal, min_cell=MIN_CELL)
    grouped(check, "duration_vs_conversion", frame, "group", bands, None)
    currencies = truth.sizes([("currency", "currency")], "hourly_pay IS NOT NULL AND currency IS NOT NULL")
    grouped(check, "pay_currencies", metrics.pay_currencies(sweep_store, principal, min_cell=MIN_CELL),
            "currency", currencies, None)
    paid = metrics.paid_share_by_term(sweep_store, principal, min_cell=MIN_CELL)
    grouped(check, "paid_share_by_term", paid, "group",
            truth.sizes([("term", "term")], "paid IS NOT NULL"), None)
    parts(check, "paid_share_by_term", paid, "group", truth, "term", [
        Part("paid IS FALSE", "unpaid", "paid", "paid_share", False),
        Part("paid IS TRUE", "paid", "unpaid", "paid_share", True)])
    check.report()


# -- the breakdowns: returning, training, ratings, equity, knowledge ----------------------------
def case(column: str, yes: str, no: str, missing: str = "not recorded") -> str:
    """The label a yes/no trait's group gets, in SQL (written from the documented labels)."""
    return f"CASE WHEN {column} THEN '{yes}' WHEN NOT {column} THEN '{no}' ELSE '{missing}' END"


EQUITY_SQL = {
    "gender": "coalesce(gender, 'not recorded')",
    "ethnicity": "coalesce(ethnicity, 'not recorded')",
    "first_generation": case("first_generation", "first generation", "not first generation"),
}
RATE_SIDES = {  # a rate's figures, and the two sides of students behind it (equity's rule)
    "offer_rate": (["offers", "offer_rate", "offer_rate_low", "offer_rate_high"], OFFERED),
    "conversion_rate": (["accepted", "conversion_rate", "conversion_rate_low", "conversion_rate_high"],
                        ACCEPTED),
}


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_sweep_breakdowns(sweep_store: Store, who: str) -> None:
    """returning_outcomes, training_outcomes, conversion_by_rating (both ratings), rating_summary,
    rating_distribution, equity_by (every dimension, with both sides of each rate and the pay of
    paid students), knowledge_by (source and every grouping dimension)."""
    principal = PRINCIPALS[who]
    truth = Truth(sweep_store, OWN_SCOPE[who])
    eligible = truth.eligible()
    check = Checker()
    traits = {"returning_outcomes": case("returning_intern", "returning", "first-time"),
              "training_outcomes": case("structured_training", "with structured training",
                                        "without structured training")}
    for rating in ("intern_rating", "supervisor_rating"):
        traits[f"conversion_by_rating:{rating}"] = \
            f"coalesce(CAST({rating} AS VARCHAR), 'not rated')"
    for name, sql in traits.items():
        function, _, rating = name.partition(":")
        frame = (metrics.conversion_by_rating(sweep_store, principal, rating, min_cell=MIN_CELL)
                 if rating else getattr(metrics, function)(sweep_store, principal, min_cell=MIN_CELL))
        sizes = truth.sizes([("", sql)], eligible)
        offered = truth.sizes([("", sql)], f"{eligible} AND {OFFERED}")
        for record in frame.iter_rows(named=True):
            cell = (record["group"],)
            check.rule(f"{name} [{cell[0]}]", record, sizes.get(cell, 0), CONVERSION_FIGURES)
            check.offers(f"{name} [{cell[0]}]", record, offered.get(cell, 0), "n")
    summary = metrics.rating_summary(sweep_store, principal, min_cell=MIN_CELL)
    bars = metrics.rating_distribution(sweep_store, principal, min_cell=MIN_CELL)
    for rating in ("intern_rating", "supervisor_rating"):
        raters = truth.total(f"{rating} IS NOT NULL")
        for record in summary.filter(pl.col("rating") == rating).iter_rows(named=True):
            check.rule(f"rating_summary [{rating}]", record, raters, ["n", "mean", "mean_low", "mean_high"])
        by_score = truth.sizes([("", rating)], f"{rating} IS NOT NULL")
        smallest = min(by_score.values(), default=0)
        for record in bars.filter(pl.col("rating") == rating).iter_rows(named=True):
            # Every bar needs its own min_cell students, and the whole distribution its smallest's.
            check.rule(f"rating_distribution [{rating} {record['score']}]", record,
                       by_score.get((record["score"],), 0), ["count", "share"])
            check.rule(f"rating_distribution [{rating} {record['score']}] whole", record, smallest,
                       ["count", "share"])
    paid_main = truth.paid_main()
    for dimension, sql in EQUITY_SQL.items():
        frame = metrics.equity_by(sweep_store, principal, dimension, min_cell=MIN_CELL)
        no_min_max(frame, f"equity_by({dimension})")
        keys = [("", sql)]
        sizes = truth.sizes(keys, eligible)
        pay = truth.sizes(keys, paid_main)
        for record in frame.iter_rows(named=True):
            where = f"equity_by({dimension}) [{record['group']}]"
            if record["population"]:
                check.rule(where, record, truth.total(eligible), CONVERSION_FIGURES)
                check.rule(where + " pay", record, truth.total(paid_main), ["median_hourly_pay"])
                continue
            cell = (record["group"],)
            check.rule(where, record, sizes.get(cell, 0),
                       [*CONVERSION_FIGURES, "share_of_eligible", "offer_gap", "conversion_gap"])
            check.rule(where + " pay", record, pay.get(cell, 0), ["median_hourly_pay", "pay_gap"])
            for rate, (columns, side) in RATE_SIDES.items():
                for part in (side, f"NOT {side}"):
                    students = truth.sizes(keys, f"{eligible} AND {part}").get(cell, 0)
                    check.rule(f"{where} {rate} ({part})", record, students, columns)
            check.offers(where, record, truth.sizes(keys, f"{eligible} AND {OFFERED}").get(cell, 0), "n")
    for dimension in ("outcome_source", *DIMENSIONS):
        frame = metrics.knowledge_by(sweep_store, principal, dimension, min_cell=MIN_CELL)
        if dimension == "outcome_source":
            keys = [("", "coalesce(replace(outcome_source, '_', ' '), 'not recorded')")]
        else:
            keys = [(dimension, dim_sql(dimension))]
        sizes = truth.sizes(keys, eligible)
        for record in frame.iter_rows(named=True):
            check.rule(f"knowledge_by({dimension}) [{record['group']}]", record,
                       sizes.get((str(record["group"]),), 0),
                       ["n", "known_outcome", "knowledge_rate", "knowledge_rate_low",
                        "knowledge_rate_high", "below_target"])
    check.report()


# -- retention and the hiring timeline -----------------------------------------------------------
AS_OF = dt.date(2026, 1, 1)
HIRED = ("offer_accepted IS TRUE AND reneged IS NOT TRUE AND hire_date <= DATE '2026-01-01'")
TENURE = "date_diff('day', hire_date, least(coalesce(separation_date, DATE '2026-01-01'), DATE '2026-01-01'))"
TIMELINE_DAYS = {"to_offer": "date_diff('day', end_date, offer_date)",
                 "to_deadline": "date_diff('day', offer_date, offer_deadline)",
                 "to_decision": "date_diff('day', offer_date, decision_date)"}


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_sweep_retention_and_timeline(sweep_store: Store, who: str) -> None:
    """retention_by and retention_curve (sized by hired students; survival at a horizon needs
    min_cell students followed that long), timeline_by (sized by offered students; each interval,
    the exploding share's both sides and the renege rate's accepted students are parts of their
    own) and timeline_distribution, for every grouping each offers."""
    principal = PRINCIPALS[who]
    truth = Truth(sweep_store, OWN_SCOPE[who])
    check = Checker()
    for dim in (None, *metrics.RETENTION_DIMENSIONS):
        keys = [(dim, dim_sql(dim))] if dim else [("", "'All converted hires'")]
        frame = metrics.retention_by(sweep_store, principal, dim, as_of=AS_OF, min_cell=MIN_CELL)
        grouped(check, f"retention_by({dim})", frame, "group", truth.sizes(keys, HIRED), None)
        for horizon, days in (("1y", 365), ("5y", 1826)):
            followed = truth.sizes(keys, f"{HIRED} AND {TENURE} >= {days}")
            grouped(check, f"retention_by({dim}) {horizon}", frame, "group", followed,
                    [f"at_risk_{horizon}", f"survival_{horizon}", f"survival_{horizon}_low",
                     f"survival_{horizon}_high"])
        curve = metrics.retention_curve(sweep_store, principal, dim, as_of=AS_OF, min_cell=MIN_CELL)
        for record in curve.iter_rows(named=True):
            day = int(record["month"] * 365.25 / 12)
            students = truth.sizes(keys, f"{HIRED} AND {TENURE} >= {day}").get((record["group"],), 0)
            check.rule(f"retention_curve({dim}) [{record['group']} month {record['month']}]", record,
                       students, ["survival", "survival_low", "survival_high", "at_risk"])
    offered = OFFERED
    for dim in (None, *metrics.TIMELINE_DIMENSIONS):
        keys = [(dim, dim_sql(dim))] if dim else [("", "'All offers'")]
        frame = metrics.timeline_by(sweep_store, principal, dim, min_cell=MIN_CELL)
        grouped(check, f"timeline_by({dim})", frame, "group", truth.sizes(keys, offered), None)
        for interval, sql in TIMELINE_DAYS.items():
            grouped(check, f"timeline_by({dim}) {interval}", frame, "group",
                    truth.sizes(keys, f"{offered} AND {sql} IS NOT NULL"),
                    [f"n_{interval}", f"median_{interval}", f"p25_{interval}", f"p75_{interval}"])
        exploding = ["exploding", "exploding_share", "exploding_share_low", "exploding_share_high"]
        deadline = TIMELINE_DAYS["to_deadline"]
        for side in (f"{deadline} < 14", f"{deadline} >= 14"):
            grouped(check, f"timeline_by({dim}) exploding", frame, "group",
                    truth.sizes(keys, f"{offered} AND {side}"), exploding)
        grouped(check, f"timeline_by({dim}) renege", frame, "group",
                truth.sizes(keys, f"{offered} AND offer_accepted IS TRUE AND reneged IS NOT NULL"),
                ["accepted_known", "reneged", "renege_rate", "renege_rate_low", "renege_rate_high"])
    for interval, sql in TIMELINE_DAYS.items():
        bands = truth.sizes([("", f"CAST(floor(({sql}) / 7) * 7 AS BIGINT)")],
                            f"{offered} AND {sql} IS NOT NULL")
        for record in metrics.timeline_distribution(sweep_store, principal, interval,
                                                    min_cell=MIN_CELL).iter_rows(named=True):
            check.rule(f"timeline_distribution({interval}) [{record['days']}]", record,
                       bands.get((record["days"],), 0), ["count"])
    check.report()


# -- coverage: the sweep reaches every public metric function -----------------------------------
SWEPT = {"returning_outcomes", "training_outcomes", "conversion_by_rating", "rating_summary",
         "rating_distribution", "equity_by", "knowledge_by",
         "conversion_by", "pay_by", "duration_by", "credit_share_by", "schedule_mix", "summary_table",
         "pay_distribution", "employer_comparison", "funnel_plot", "pay_vs_conversion",
         "university_view", "overview", "funnel", "duration_distribution", "duration_vs_conversion",
         "pay_currencies", "paid_share_by_term", "employer_funnel", "retention_by", "retention_curve",
         "timeline_by", "timeline_distribution", "flows"}
NOT_FIGURES = {
    "options": "filter choices (names only, no figure); case 1 checks the profiles behind them",
    "records": "row-level records for analysts of their own scope, not a released aggregate",
    "record_count": "chooses a page's empty / suppressed state; never shown as a figure",
    "comparison_basis": "one row on how the comparison was made (its tau2 is in case 4's twins test)",
    "unknown_outcomes": "row-level follow-up list for analysts of their own scope, like records",
    "unknown_outcome_count": "the length of that row-level list (records permission), not an aggregate",
    "fields_present": "whether any placement in scope has each field (yes / no, never a count)",
    "data_date": "the day of the latest upload, the same for everyone; no placement figure",
}


def test_the_sweep_covers_every_public_metric_function() -> None:
    """Every function of analytics.metrics.__all__ that takes a principal is swept above (or
    listed, with the reason, as releasing no aggregate figure) -- a new metric must join."""
    takes_principal = {
        name for name in metrics.__all__
        if callable(getattr(metrics, name)) and not isinstance(getattr(metrics, name), type)
        and "principal" in inspect.signature(getattr(metrics, name)).parameters
    }
    assert takes_principal, "no metric takes a principal"
    assert takes_principal - SWEPT - set(NOT_FIGURES) == set()


# ================================================================================================
# Complementary suppression inside cross-tables, checked by solving the released margins
# ================================================================================================
Cell = tuple[str, ...]


def solve_attack(cells: dict[Cell, float | None], margins: list[tuple[list[Cell], float]]) -> list[Cell]:
    """The hidden cells that released margins pin down exactly (linear algebra over the hidden
    cells; visible cells are known). A margin is (the cells it adds up, its released value)."""
    order = list(cells)
    index = {cell: i for i, cell in enumerate(order)}
    hidden = [cells[c] is None for c in order]
    sums = [[index[c] for c in members if c in index] for members, _ in margins]
    return [order[i] for i in recoverable_hidden(order, hidden, sums)]


def cross_rows() -> list[dict[str, Any]]:
    """Placements (one per student) by term x employer; only (Summer 2023, B) is small (3):

                  A    B    C    D
    Summer 2023  30    3   20   25
    Summer 2024  25   15   30   20
    Fall 2024    20   20   12   30
    """
    grid = {("summer", 2023): (30, 3, 20, 25), ("summer", 2024): (25, 15, 30, 20),
            ("fall", 2024): (20, 20, 12, 30)}
    rows: list[dict[str, Any]] = []
    for (season, year), counts in grid.items():
        for employer, count in zip("ABCD", counts, strict=True):
            rows += cohort(count, count // 2, count // 3, employer=f"Co {employer}",
                           term_season=season, term_year=year)
    return rows


def margins_of(store: Store, principal: Principal, dims: Sequence[str], column: str,
               total: float | None) -> tuple[dict[tuple[str, ...], float | None],
                                             list[tuple[list[tuple[str, ...]], float]]]:
    """The cross-table's cells and every released margin an attacker can read: each one-way
    table of the same function, and the overview's total."""
    table = metrics.summary_table(store, principal, by=tuple(dims), min_cell=MIN_CELL)
    cells = {tuple(str(r[d]) for d in dims): r[column] for r in table.iter_rows(named=True)}
    margins: list[tuple[list[tuple[str, ...]], float]] = []
    for i, dim in enumerate(dims):
        for r in metrics.summary_table(store, principal, by=(dim,), min_cell=MIN_CELL).iter_rows(named=True):
            if r[column] is not None:
                members = [c for c in cells if c[i] == str(r[dim])]
                margins.append((members, float(r[column])))
    if total is not None:
        margins.append((list(cells), float(total)))
    return cells, margins


def test_cross_table_hidden_cell_cannot_be_solved_from_its_margins(tmp_path: Path) -> None:
    """summary_table by term x employer: the small cell (Summer 2023, Co B: 3 students) must not
    be pinned down by the row and column totals (the one-way tables) and the overview total, for
    the placement counts nor for the eligible counts.

    On 7c8cc45: held (stats.suppress protects every margin) -- kept as a regression test."""
    store = make_store(tmp_path / "cross.duckdb", cross_rows())
    try:
        card = metrics.overview(store, ADMIN, min_cell=MIN_CELL).row(0, named=True)
        for column, total in (("n", card["placements"]), ("eligible", card["eligible"])):
            cells, margins = margins_of(store, ADMIN, ("term", "employer"), column, total)
            assert cells[("Summer 2023", "Co B")] is None
            assert solve_attack(cells, margins) == [], column
            assert sum(v is None for v in cells.values()) >= 4  # a closed pattern, not one cell
    finally:
        store.close()
        store_module.close_all()


def test_sweep_cross_tables_every_pair_of_dimensions(sweep_store: Store) -> None:
    """Every pair of dimensions of summary_table (admin, exact cells): no cell describing fewer
    than min_cell students is pinned down by the one-way tables and the overview total, and no
    such cell shows a figure.

    On 7c8cc45: cells sized by placements showed Repeat's and Twice's rows."""
    truth = Truth(sweep_store, "TRUE")
    card = metrics.overview(sweep_store, ADMIN, min_cell=MIN_CELL).row(0, named=True)
    check = Checker()
    solved: list[str] = []
    for a, b in itertools.combinations(DIMENSIONS, 2):
        frame = metrics.summary_table(sweep_store, ADMIN, by=(a, b), min_cell=MIN_CELL)
        summary_rules(check, f"summary_table({a}, {b})", frame, truth, [a, b])
        cells, margins = margins_of(sweep_store, ADMIN, (a, b), "n", card["placements"])
        small = truth.sizes([(a, dim_sql(a)), (b, dim_sql(b))], "TRUE")
        for cell in solve_attack(cells, margins):
            if small.get(cell, 0) < MIN_CELL:
                solved.append(f"({a}, {b}) {cell}: {small.get(cell, 0)} students")
    check.report()
    assert solved == []


@pytest.mark.parametrize("function", ["conversion_by", "pay_by", "duration_by"])
def test_sweep_one_way_tables_hidden_cells_cannot_be_solved_from_the_total(sweep_store: Store,
                                                                           function: str) -> None:
    """One-way tables (admin) against the overview's total of the same unit: no small hidden
    cell is total minus the visible ones; for conversion_by also the offers column (a guarded
    offers count must not be the overview's offers minus the others).

    On 7c8cc45: held for n (complements); offers were shown directly (see the grouped sweep)."""
    truth = Truth(sweep_store, "TRUE")
    card = metrics.overview(sweep_store, ADMIN, min_cell=MIN_CELL).row(0, named=True)
    eligible = truth.eligible()
    unit, total_col = {"conversion_by": (eligible, "eligible"),
                       "pay_by": (truth.paid_main(), "hourly_pay_n"),
                       "duration_by": ("duration_weeks IS NOT NULL", "duration_n")}[function]
    columns = [("n", unit, card[total_col])]
    if function == "conversion_by":
        columns.append(("offers", f"{eligible} AND {OFFERED}", card["offers"]))
    solved = []
    for dim in DIMENSIONS:
        frame = getattr(metrics, function)(sweep_store, ADMIN, dim, min_cell=MIN_CELL)
        for column, part, total in columns:
            values = {}
            for r in frame.iter_rows(named=True):
                got = count_from(r, column, "offer_rate" if column == "offers" else None, "n")
                values[(str(r["group"]),)] = got
            if total is None:
                continue
            sizes = truth.sizes([(dim, dim_sql(dim))], part)
            for cell in solve_attack(values, [(list(values), float(total))]):
                if sizes.get(cell, 0) < MIN_CELL:
                    solved.append(f"{function}({dim}) {column} {cell}: {sizes.get(cell, 0)} students")
    assert solved == []


def test_solver_finds_a_lone_hidden_cell() -> None:
    """The solver itself: one hidden cell in a slice with a known total is found; two are not."""
    cells: dict[tuple[str, ...], float | None] = {("a",): 5.0, ("b",): None, ("c",): 7.0}
    assert solve_attack(cells, [(list(cells), 15.0)]) == [("b",)]
    cells[("c",)] = None
    assert solve_attack(cells, [(list(cells), 15.0)]) == []
    grid: dict[tuple[str, ...], float | None] = {(r, c): 1.0 for r in "xy" for c in "pq"}
    grid[("x", "p")] = grid[("x", "q")] = grid[("y", "p")] = None
    rows = [([c for c in grid if c[0] == r], 2.0) for r in "xy"]
    assert solve_attack(grid, rows) == [("y", "p")]
