"""Every metric, defined once: SQL in DuckDB, small aggregated Polars frames out.

The pages, the CLI, exports and reports all call these functions, so they cannot disagree.

Definitions (NACE; see DESIGN.md and `DEFINITIONS` below):
- eligible interns: completed internships of final-year interns not continuing their education.
  If `final_year` is unknown for every placement in scope, completed internships (of interns not
  continuing education) count as eligible; `overview()` says which basis it used.
- offers: eligible interns with a full-time offer (an accepted offer implies an offer);
  accepted: eligible interns who accepted one; known outcome: eligible interns whose offer
  outcome is recorded. NULL offer fields are unknown outcomes, not "no".
- offer rate = offers / eligible; acceptance rate = accepted / offers;
  conversion rate = accepted / eligible; knowledge rate = known outcome / eligible.
- Rates are pooled (sum over sum) unless `method="employer_mean"` asks for the unweighted mean of
  employers' rates (NACE publishes that one). Every rate comes as a triple `<rate>`,
  `<rate>_low`, `<rate>_high`: fractions in 0..1 with a 95% Wilson interval (Student-t across
  employers for the employer mean), null when undefined or suppressed.
- Pay is the hourly equivalent (schema.HOURLY_PAY_SQL), only ever aggregated within one
  currency; pay without a currency is not aggregated at all. "Main currency" = the currency with
  the most paid records in scope.
- Medians and quartiles are `quantile_cont` (linear interpolation between order statistics),
  the same definition as pandas' default.

Privacy (DESIGN.md): every row describing fewer than `min_cell` placements is suppressed (counts
and rates null, `suppressed` = True) and complementary suppression keeps hidden cells from being
recovered by subtraction from a total (`stats.suppress`). A table's suppression unit is its `n`
column (eligible interns for conversion tables, placements or paid records elsewhere); medians
shown beside a count obey their own count (e.g. `median_hourly_pay` is null when fewer than
`min_cell` paid records stand behind it); an acceptance rate is null when fewer than `min_cell`
offers stand behind it. The overview also counts distinct students (a scope of 12 placements by
3 students is suppressed); `university_view` hides a network figure whose other-universities
part (network minus this university) is under `min_cell`. Not prevented: differencing across
two different filters (e.g. all placements minus paid minus unpaid = paid status unknown).

Speed: the metrics read `metrics_facts`, a narrow, typed copy of `placements` that this module
rebuilds on the first call after each data change (keyed on the store's data version and
FACTS_FORMAT; the build does not bump the version). Outcome flags are precomputed booleans, so a
query reads bits instead of re-evaluating three-valued logic per row; employers, terms and
universities carry small integer numbers, so grouping by them is a perfect-hash aggregation
instead of hashing strings; students carry dense numbers, so the distinct-student count is a
bitmap (`bitstring_agg`) instead of a hash table of 64-character pseudonyms. Every number stays
exact, with one stated exception: student numbers are assigned through a 64-bit hash of the
pseudonym, so two students would be counted as one if their pseudonyms shared that hash (for S
students the chance is about S^2 / 2^65: 2 in a million at 7.8M students). Medians of hourly pay
are DuckDB's own `median`; medians of weeks come from exact value counts. A read-only store, or
a failed rebuild, falls back to the same projection computed on the fly from `placements`
(same numbers, slower).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
import numpy as np
import polars as pl

from analytics import schema, stats
from analytics.filters import Filter
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

__all__ = [
    "CONVERSION_DIMENSIONS",
    "DEFAULT_MIN_CELL",
    "DEFINITIONS",
    "GROUP_DIMENSIONS",
    "RATES",
    "benchmarks",
    "conversion_by",
    "credit_share_by",
    "duration_by",
    "duration_distribution",
    "duration_vs_conversion",
    "employer_comparison",
    "funnel",
    "funnel_plot",
    "options",
    "overview",
    "paid_share_by_term",
    "pay_by",
    "pay_currencies",
    "pay_distribution",
    "pay_vs_conversion",
    "record_count",
    "records",
    "refresh_facts",
    "schedule_mix",
    "summary_table",
    "university_view",
]

CONVERSION_DIMENSIONS: Final = (
    "term", "term_year", "employer", "university", "role_family", "degree_level", "work_mode",
    "paid", "schedule", "academic_credit", "structured_training",
)
# Every function that groups accepts any of the schema's allow-listed dimensions.
GROUP_DIMENSIONS: Final = schema.DIMENSIONS
RATES: Final = ("offer_rate", "acceptance_rate", "conversion_rate")
ALL_PLACEMENTS: Final = Filter()  # the default scope (a Filter is immutable, so sharing is safe)
Method = Literal["pooled", "employer_mean"]
METHODS: Final = ("pooled", "employer_mean")
MAX_RECORDS: Final = 10_000
UNKNOWN: Final = "unknown"
UNKNOWN_SORT: Final = 1_000_000_000
BENCHMARKS_CSV: Final = Path(__file__).resolve().parent.parent / "data" / "benchmarks.csv"

FACTS_TABLE: Final = "metrics_facts"
EMPLOYERS_TABLE: Final = "metrics_employers"
TERMS_TABLE: Final = "metrics_terms"
META_TABLE: Final = "metrics_meta"
# Bump when the facts tables change shape: facts built by older code are then rebuilt.
FACTS_FORMAT: Final = 2

# Duration bands for duration_vs_conversion: [low, high) weeks.
WEEK_BANDS: Final[tuple[tuple[float, float, str], ...]] = (
    (0.0, 8.0, "under 8 weeks"),
    (8.0, 12.0, "8 to 12 weeks"),
    (12.0, 16.0, "12 to 16 weeks"),
    (16.0, 24.0, "16 to 24 weeks"),
    (24.0, math.inf, "24 weeks or more"),
)

DEFINITIONS: Final[dict[str, str]] = {
    "placements": "Internship placements in scope (one row of the data = one placement).",
    "students": "Distinct (pseudonymised) students among the placements in scope.",
    "eligible": (
        "Eligible interns (NACE): completed internships of interns in their final year who are "
        "not continuing their education. Interns still in school are not eligible. When the "
        "final-year field is unknown for every placement in scope, completed internships count "
        "as eligible and the page says so."
    ),
    "offers": "Eligible interns who received a full-time (return) offer.",
    "accepted": "Eligible interns who accepted a full-time offer.",
    "offer_rate": "Offer rate = full-time offers / eligible interns.",
    "acceptance_rate": "Acceptance rate = accepted offers / offers.",
    "conversion_rate": "Conversion rate = accepted offers / eligible interns.",
    "knowledge_rate": (
        "Knowledge rate = eligible interns whose offer outcome is known / eligible interns. "
        "Unknown outcomes count as eligible but neither offered nor accepted, so a low "
        "knowledge rate pulls the other rates down."
    ),
    "pooled": (
        "Pooled rate: all eligible interns in the group added up, then divided (sum over sum); "
        "large employers weigh more."
    ),
    "employer_mean": (
        "Mean of employers' rates (how NACE publishes its survey): each employer's own rate, "
        "averaged with equal weight. Its interval is a Student-t interval across employers."
    ),
    "wilson_interval": (
        "95% Wilson score interval: the range of true rates compatible with the observed count; "
        "wide for small cohorts. Stays within 0-100%."
    ),
    "funnel_plot": (
        "Funnel plot: each employer's conversion rate against its number of eligible interns, with "
        "95% and 99.8% control limits around the overall rate (target +- z*sqrt(p(1-p)/n)). Points "
        "outside the 99.8% limits differ by more than chance would explain."
    ),
    "shrunk_conversion": (
        "Shrunken conversion: an empirical-Bayes (beta-binomial, method of moments) estimate that "
        "pulls each employer's rate towards the overall rate, more strongly the fewer eligible "
        "interns it has, so small cohorts do not top the ranking by luck."
    ),
    "paid_share": "Paid share = paid placements / placements whose paid status is known.",
    "hourly_pay": (
        "Hourly-equivalent pay: hourly pay as is; weekly / hours per week; monthly x 12 / 52 / "
        "hours per week; yearly / 2080; lump sum / (weeks x hours per week); 40 hours a week when "
        "unknown. Only aggregated within one currency; no exchange rate is invented."
    ),
    "median_hourly_pay": "Median hourly-equivalent pay of paid placements in the main currency.",
    "duration_weeks": "Internship length in weeks (from the dates or the stated duration).",
    "full_time_share": "Share of placements with 35 or more hours per week.",
    "academic_credit_share": "Share of placements taken for academic credit.",
    "structured_training_share": "Share of placements that included structured training or mentoring.",
    "suppression": (
        "Privacy: any figure describing fewer than min_cell placements (default 10) is hidden and "
        "shown as 'fewer than 10'; where a table shows a total, one more cell is hidden so the "
        "hidden one cannot be recovered by subtraction."
    ),
}


class MetricsError(ValueError):
    """A bad argument to a metric (unknown dimension, method, currency bin width...)."""


# ================================================================================================
# The facts table
# ================================================================================================
# Columns the filters and groupings use keep their names and values; outcome flags are computed
# once here so each query reads booleans instead of re-evaluating three-valued logic per row.
_FACT_COLUMNS: Final = """
    term_year, term_season, term, university, employer_key, role_family, degree_level,
    work_mode, paid, schedule, academic_credit, structured_training, program, country,
    currency, student_status, hourly_pay, duration_weeks,
    coalesce(status = 'completed', false) AS completed,
    coalesce(status = 'completed' AND continuing_education IS NOT TRUE, false)
        AS eligible_completed,
    coalesce(status = 'completed' AND continuing_education IS NOT TRUE AND final_year IS TRUE, false)
        AS eligible_final_year,
    final_year IS NOT NULL AS final_year_known,
    coalesce(offer_extended IS TRUE OR offer_accepted IS TRUE, false) AS offered,
    coalesce(offer_accepted, false) AS accepted,
    (offer_extended IS NOT NULL OR offer_accepted IS TRUE) AS known
"""
_FALLBACK_RELATION: Final = f"(SELECT {_FACT_COLUMNS}, student_id FROM placements) AS facts"

_build_locks: dict[int, threading.Lock] = {}
_build_locks_guard = threading.Lock()


@dataclass(frozen=True)
class _Facts:
    relation: str
    students_sql: str | None  # an exact bitmap count when fresh; else a separate DISTINCT query
    employer_id: str  # the column employers are grouped by: a small integer when fresh
    university_id: str
    fresh: bool


def _fallback() -> _Facts:
    return _Facts(
        relation=_FALLBACK_RELATION,
        students_sql=None,
        employer_id="employer_key",
        university_id="university",
        fresh=False,
    )


def _from_meta(students: int, employers: int, universities: int) -> _Facts:
    del employers, universities  # kept in the meta table for inspection
    # Exact distinct count of students: one bit per dense student number, no hash table.
    bitmap = f"coalesce(bit_count(bitstring_agg(student_no, 1, {int(students)})), 0)"
    return _Facts(
        relation=FACTS_TABLE,
        students_sql=bitmap if students > 0 else "0",
        employer_id="employer_no",
        university_id="university_no",
        fresh=True,
    )


def _meta(store: Store) -> tuple[int, int, int, int] | None:
    try:
        rows = store.rows(
            f"SELECT m.built_for_version, m.students, m.employers, m.universities, m.format, "
            f"(SELECT max(version) FROM data_version) FROM {META_TABLE} m"
        )
    except (duckdb.CatalogException, duckdb.BinderException):
        return None  # never built, or built by code from before the format column
    if not rows:
        return None
    built, students, employers, universities, facts_format, current = rows[0]
    if built != current or facts_format != FACTS_FORMAT:
        return None
    return int(students), int(employers), int(universities), int(built)


def _facts(store: Store) -> _Facts:
    """The relation to query: the facts table, rebuilt first if the data changed since."""
    meta = _meta(store)
    if meta is not None:
        return _from_meta(*meta[:3])
    if store.read_only:
        return _fallback()
    try:
        refresh_facts(store)
    except duckdb.Error:
        return _fallback()
    meta = _meta(store)
    return _from_meta(*meta[:3]) if meta is not None else _fallback()


def _build_lock(store: Store) -> threading.Lock:
    with _build_locks_guard:
        return _build_locks.setdefault(id(store), threading.Lock())


def refresh_facts(store: Store, *, force: bool = False) -> float:
    """(Re)build the facts tables if the data changed since they were built; return seconds spent.

    Runs in its own transaction on this thread's cursor, reading one snapshot: the facts record
    the data version of that snapshot, so an upload committing meanwhile just makes them stale
    again (the next call rebuilds). The data version is not bumped: the facts never change what
    the metrics say, only how fast they say it. One build at a time per store.
    """
    with _build_lock(store):
        if not force and _meta(store) is not None:
            return 0.0
        started = time.perf_counter()
        cur = store.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            version = int(cur.execute("SELECT max(version) FROM data_version").fetchall()[0][0] or 0)
            _build(cur)
            seconds = time.perf_counter() - started
            cur.execute(f"""
                CREATE OR REPLACE TABLE {META_TABLE} (
                    built_for_version BIGINT, format INTEGER, students BIGINT, employers BIGINT,
                    universities BIGINT, build_seconds DOUBLE, built_at TIMESTAMP)""")
            cur.execute(
                f"INSERT INTO {META_TABLE} SELECT ?, ?, "
                "(SELECT count(*) FROM metrics_student_numbers), "
                f"(SELECT count(*) FROM {EMPLOYERS_TABLE}), "
                "(SELECT count(*) FROM metrics_university_numbers), ?, current_timestamp",
                [version, FACTS_FORMAT, seconds],
            )
            cur.execute("DROP TABLE metrics_student_numbers")
            cur.execute("DROP TABLE metrics_university_numbers")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return time.perf_counter() - started


def _build(cur: duckdb.DuckDBPyConnection) -> None:
    # Dense student numbers for bitmap distinct counts, keyed by a 64-bit hash of the pseudonym:
    # joining on the 64-character pseudonym itself needs about twice the memory at 10M rows.
    # Two different students only merge if their pseudonyms share a 64-bit hash, which for S
    # students happens with probability about S^2 / 2^65 (2 in a million at 7.8M students).
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE metrics_student_numbers AS
        SELECT student_hash, CAST(row_number() OVER () AS INTEGER) AS student_no
        FROM (SELECT DISTINCT hash(student_id) AS student_hash FROM placements
              WHERE student_id IS NOT NULL)""")
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE metrics_university_numbers AS
        SELECT university, CAST(row_number() OVER (ORDER BY university) AS INTEGER) AS university_no
        FROM (SELECT DISTINCT university FROM placements WHERE university IS NOT NULL)""")
    # Display name of an employer = its most frequent spelling (ties: alphabetical).
    cur.execute(f"""
        CREATE OR REPLACE TABLE {EMPLOYERS_TABLE} AS
        SELECT employer_key,
               CAST(row_number() OVER (ORDER BY employer_key) AS INTEGER) AS employer_no,
               employer, n
        FROM (
            SELECT employer_key, first(employer ORDER BY c DESC, employer) AS employer,
                   CAST(sum(c) AS BIGINT) AS n
            FROM (SELECT employer_key, employer, count(*) AS c FROM placements
                  WHERE employer_key IS NOT NULL GROUP BY ALL)
            GROUP BY employer_key)""")
    # Terms numbered in calendar order, so grouping by term is a small-integer aggregation.
    seasons = " ".join(f"WHEN '{season}' THEN {i}" for i, season in enumerate(schema.TERM_SEASONS, 1))
    cur.execute(f"""
        CREATE OR REPLACE TABLE {TERMS_TABLE} AS
        SELECT CAST(row_number() OVER (ORDER BY term_year, season_order, term) AS INTEGER) AS term_no, term
        FROM (SELECT DISTINCT term, term_year,
                     CASE term_season {seasons} ELSE {len(schema.TERM_SEASONS) + 1} END AS season_order
              FROM placements WHERE term IS NOT NULL)""")
    cur.execute(f"""
        CREATE OR REPLACE TABLE {FACTS_TABLE} AS
        SELECT {_FACT_COLUMNS}, s.student_no, e.employer_no, u.university_no, t.term_no
        FROM (SELECT *, CASE WHEN student_id IS NOT NULL THEN hash(student_id) END AS student_hash
              FROM placements) AS p
        LEFT JOIN metrics_student_numbers s USING (student_hash)
        LEFT JOIN (SELECT employer_key, employer_no FROM {EMPLOYERS_TABLE}) e USING (employer_key)
        LEFT JOIN metrics_university_numbers u USING (university)
        LEFT JOIN {TERMS_TABLE} t USING (term)""")


# ================================================================================================
# Scope: filter + eligibility basis
# ================================================================================================
@dataclass(frozen=True)
class _Scope:
    facts: _Facts
    conditions: tuple[str, ...]
    params: tuple[Any, ...]
    basis: str  # 'final_year' | 'completed'

    @property
    def relation(self) -> str:
        return self.facts.relation

    @property
    def eligible(self) -> str:
        return "eligible_final_year" if self.basis == "final_year" else "eligible_completed"

    def where(self, *extra: str) -> str:
        parts = [*self.conditions, *extra]
        return ("WHERE " + " AND ".join(parts)) if parts else ""

    def conversion_counts(self, prefix: str = "") -> str:
        e = self.eligible
        return (f"count_if({e}) AS {prefix}n, count_if({e} AND offered) AS {prefix}offers, "
                f"count_if({e} AND accepted) AS {prefix}accepted, "
                f"count_if({e} AND known) AS {prefix}known_outcome")


def _scope(store: Store, flt: Filter, facts: _Facts | None = None) -> _Scope:
    if not isinstance(flt, Filter):
        raise MetricsError(f"expected a Filter, got {type(flt).__name__}")
    facts = facts or _facts(store)
    conditions, params = flt.conditions()
    extra = " AND ".join([*conditions, "final_year_known"])
    # LIMIT 1: stops at the first placement with a known final-year flag.
    known = store.rows(
        f"SELECT count(*) FROM (SELECT 1 FROM {facts.relation} WHERE {extra} LIMIT 1)", params
    )[0][0]
    return _Scope(facts, tuple(conditions), tuple(params), "final_year" if known else "completed")


def _query(store: Store, sql: str, params: Sequence[Any]) -> pl.DataFrame:
    frame = store.query(sql, list(params))
    # count_if and sum return HUGEINT, which arrives as Decimal(38, 0): counts are Int64 here.
    return frame.with_columns(
        [pl.col(c).cast(pl.Int64) for c, t in frame.schema.items()
         if isinstance(t, pl.Decimal) and t.scale == 0]
    )


# ================================================================================================
# Dimensions, labels and sort keys
# ================================================================================================
_SEASON_ORDER: Final = {s: i + 1 for i, s in enumerate(schema.TERM_SEASONS)}
_ENUMS: Final[dict[str, tuple[str, ...]]] = {
    "term_season": schema.TERM_SEASONS,
    "role_family": schema.ROLE_FAMILIES,
    "degree_level": schema.DEGREE_LEVELS,
    "work_mode": schema.WORK_MODES,
    "schedule": schema.SCHEDULES,
    "student_status": schema.STUDENT_STATUSES,
}
_BOOLEAN_DIMS: Final = frozenset({"paid", "academic_credit", "structured_training"})


def _dimension(dimension: str, allowed: Sequence[str] = GROUP_DIMENSIONS) -> str:
    if dimension not in allowed:
        raise MetricsError(f"unknown dimension {dimension!r}; choose one of {', '.join(allowed)}")
    return dimension


def _column(dimension: str, facts: _Facts) -> str:
    """The facts column a dimension groups by (identifiers only ever come from the allow-list).
    Employers group by their small-integer number when the facts table is fresh: DuckDB then
    aggregates with a perfect hash instead of hashing names."""
    if dimension == "employer":
        return facts.employer_id
    if dimension == "term" and facts.fresh:
        return "term_no"
    return _dimension(dimension)


def _labels(dimension: str, values: Sequence[Any],
            names: Mapping[Any, str] | None = None) -> tuple[list[str], list[int]]:
    """Display labels and sort keys for raw group values (NULL -> 'unknown', sorted last)."""
    labels: list[str] = []
    keys: list[int] = []
    free_text: list[int] = []
    for value in values:
        if value is None:
            labels.append(UNKNOWN)
            keys.append(UNKNOWN_SORT)
        elif dimension in _BOOLEAN_DIMS:
            labels.append("yes" if value else "no")
            keys.append(0 if value else 1)
        elif dimension == "term":
            label = names.get(value, str(value)) if names else str(value)
            labels.append(label)
            keys.append(_term_sort_key(label))
        elif dimension == "term_year":
            labels.append(str(int(value)))
            keys.append(int(value))
        elif dimension in _ENUMS:
            labels.append(str(value))
            enum = _ENUMS[dimension]
            keys.append(enum.index(value) if value in enum else len(enum))
        else:
            labels.append(names.get(value, str(value)) if names else str(value))
            keys.append(0)
            free_text.append(len(labels) - 1)
    # Free-text groups (employers, universities...) sort alphabetically by their label.
    for rank, index in enumerate(sorted(free_text, key=lambda i: (labels[i].casefold(), labels[i]))):
        keys[index] = rank
    return labels, keys


def _term_sort_key(label: str) -> int:
    parts = label.split()
    try:
        return int(parts[-1]) * 10 + _SEASON_ORDER.get(parts[0].lower(), 0)
    except (ValueError, IndexError):
        return UNKNOWN_SORT - 1


def _with_labels(frame: pl.DataFrame, dimension: str, names: Mapping[Any, str] | None = None,
                 column: str = "g", label: str = "group", sort_key: str = "sort_key") -> pl.DataFrame:
    labels, keys = _labels(dimension, frame[column].to_list(), names)
    return frame.with_columns(
        pl.Series(label, labels, dtype=pl.String), pl.Series(sort_key, keys, dtype=pl.Int64)
    )


def _employers(store: Store, facts: _Facts) -> dict[Any, tuple[str, str]]:
    """employer id (facts.employer_id) -> (employer_key, display name: most frequent spelling)."""
    if facts.fresh:
        rows = store.rows(f"SELECT employer_no, employer_key, employer FROM {EMPLOYERS_TABLE}")
    else:
        rows = store.rows(
            "SELECT employer_key, employer_key, first(employer ORDER BY c DESC, employer) FROM "
            "(SELECT employer_key, employer, count(*) AS c FROM placements "
            "WHERE employer_key IS NOT NULL GROUP BY ALL) GROUP BY employer_key"
        )
    return {ident: (key, name) for ident, key, name in rows}


def _names_for(store: Store, scope: _Scope, dimension: str) -> dict[Any, str] | None:
    """Labels for dimensions grouped by a number (employers, and terms in the facts table)."""
    if dimension == "employer":
        return {ident: name for ident, (_, name) in _employers(store, scope.facts).items()}
    if dimension == "term" and scope.facts.fresh:
        return {number: term for number, term in store.rows(f"SELECT term_no, term FROM {TERMS_TABLE}")}
    return None


def _with_employer(frame: pl.DataFrame, employers: Mapping[Any, tuple[str, str]]) -> pl.DataFrame:
    """Add employer_key and employer (display name) for the employer ids in column g."""
    ids = frame["g"].to_list()
    return frame.with_columns(
        pl.Series("employer_key", [employers[i][0] if i in employers else None for i in ids],
                  dtype=pl.String),
        pl.Series("employer", [employers[i][1] if i in employers else UNKNOWN for i in ids],
                  dtype=pl.String),
    )


# ================================================================================================
# Small helpers on aggregated frames
# ================================================================================================
def _check_min_cell(min_cell: int) -> int:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise MetricsError(f"min_cell must be a whole number >= 0, got {min_cell!r}")
    return min_cell


def _rate_columns(frame: pl.DataFrame, pairs: Iterable[tuple[str, str, str]]) -> pl.DataFrame:
    exprs: list[pl.Expr] = []
    for name, successes, n in pairs:
        exprs.extend(stats.wilson_exprs(pl.col(successes), pl.col(n), name))
    return frame.with_columns(exprs)


def _triple(name: str) -> list[str]:
    return [name, f"{name}_low", f"{name}_high"]


def _null_where(frame: pl.DataFrame, condition: pl.Expr, columns: Sequence[str]) -> pl.DataFrame:
    return frame.with_columns(
        [pl.when(condition).then(None).otherwise(pl.col(c)).alias(c) for c in columns]
    )


def _null_small_acceptance(frame: pl.DataFrame, min_cell: int, offers: str = "offers",
                           prefix: str = "") -> pl.DataFrame:
    # The acceptance rate describes the offered interns: too few of them, no rate.
    return _null_where(frame, pl.col(offers).fill_null(0) < min_cell,
                       _triple(f"{prefix}acceptance_rate"))


def _share(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator.cast(pl.Float64) / denominator).otherwise(None)


def _main_currency(counts: Mapping[str, int]) -> str | None:
    """The currency with the most paid records (ties: alphabetical)."""
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _pay_counts(store: Store, scope: _Scope) -> dict[str, int]:
    rows = store.rows(
        f"SELECT currency, count(*) FROM {scope.relation} "
        f"{scope.where('hourly_pay IS NOT NULL', 'currency IS NOT NULL')} GROUP BY currency",
        scope.params,
    )
    return {currency: int(n) for currency, n in rows}


def _pay_medians(store: Store, scope: _Scope, group: str | None,
                 currency: str | None) -> tuple[pl.DataFrame, str | None]:
    """Median hourly pay per group (`group` is a facts column or None) in one currency (None:
    the scope's main currency, found from the same query). Columns g, pay_n, median_hourly_pay."""
    conditions = ["hourly_pay IS NOT NULL", "currency IS NOT NULL"]
    params: list[Any] = list(scope.params)
    if currency is not None:
        conditions.append("currency = ?")
        params.append(currency)
    pay = _query(store, f"""
        SELECT {group or "NULL"} AS g, currency, count(*) AS pay_n, median(hourly_pay) AS median_hourly_pay
        FROM {scope.relation} {scope.where(*conditions)} GROUP BY ALL""", params)
    if currency is None:
        totals = pay.group_by("currency").agg(pl.col("pay_n").sum())
        currency = _main_currency(dict(zip(totals["currency"].to_list(), totals["pay_n"].to_list(),
                                           strict=True)))
    return pay.filter(pl.col("currency").eq_missing(currency)), currency


def _quantiles_from_counts(counts_sql: str, quantiles: Sequence[tuple[str, float]],
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


# ================================================================================================
# Overview
# ================================================================================================
_OVERVIEW_SCHEMA: Final[dict[str, Any]] = {
    "placements": pl.Int64, "students": pl.Int64, "employers": pl.Int64,
    "universities": pl.Int64, "completed": pl.Int64, "eligible": pl.Int64, "offers": pl.Int64,
    "accepted": pl.Int64, "known_outcome": pl.Int64,
    **{c: pl.Float64 for r in RATES for c in _triple(r)},
    **{c: pl.Float64 for c in _triple("knowledge_rate")},
    "eligibility_basis": pl.String, "paid_share": pl.Float64, "paid_known": pl.Int64,
    "hourly_pay_currency": pl.String, "median_hourly_pay": pl.Float64,
    "mean_hourly_pay": pl.Float64, "hourly_pay_n": pl.Int64, "hourly_pay_currencies": pl.Int64,
    "median_duration_weeks": pl.Float64, "duration_n": pl.Int64, "full_time_share": pl.Float64,
    "academic_credit_share": pl.Float64, "structured_training_share": pl.Float64,
    "suppressed": pl.Boolean, "conversion_suppressed": pl.Boolean,
}


def overview(store: Store, flt: Filter = ALL_PLACEMENTS, *,
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
    min_cell = _check_min_cell(min_cell)
    scope = _scope(store, flt)
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
        _quantiles_from_counts(
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
        row.update(dict.fromkeys(_triple("acceptance_rate")))
    if row["conversion_suppressed"]:
        row.update(dict.fromkeys(["eligible", "offers", "accepted", "known_outcome",
                                  *(c for r in (*RATES, "knowledge_rate") for c in _triple(r))]))
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
# Conversion
# ================================================================================================
def conversion_by(store: Store, dimension: str, flt: Filter = ALL_PLACEMENTS, method: Method = "pooled",
                  *, min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Offer, acceptance and conversion rates per group of `dimension`.

    Columns: group (label; 'yes'/'no'/'unknown' for booleans, 'unknown' for missing values),
    sort_key (chronological for terms), n (eligible interns), offers, accepted, known_outcome,
    offer_rate / acceptance_rate / conversion_rate / knowledge_rate triples, employers (employers
    with eligible interns in the group), suppressed. Ordered by sort_key.

    method="pooled": sum over sum with Wilson intervals. method="employer_mean": each rate is
    the unweighted mean of the group's employers' own rates (employers with a zero denominator
    are left out), with a Student-t interval across employers; a group with a single employer
    reports that employer's rate with its Wilson interval (the two coincide). The knowledge rate
    is pooled in both methods (it measures the data, not the employers).
    """
    min_cell = _check_min_cell(min_cell)
    dimension = _dimension(dimension)
    if method not in METHODS:
        raise MetricsError(f"unknown method {method!r}; choose 'pooled' or 'employer_mean'")
    scope = _scope(store, flt)
    column = _column(dimension, scope.facts)
    sql = f"""
        SELECT g, CAST(sum(n) AS BIGINT) AS n, CAST(sum(offers) AS BIGINT) AS offers,
               CAST(sum(accepted) AS BIGINT) AS accepted,
               CAST(sum(known_outcome) AS BIGINT) AS known_outcome,
               count(*) FILTER (WHERE n > 0) AS employers,
               avg(offers / n) FILTER (WHERE n > 0) AS offer_mean,
               stddev_samp(offers / n) FILTER (WHERE n > 0) AS offer_sd,
               avg(accepted / offers) FILTER (WHERE offers > 0) AS acceptance_mean,
               stddev_samp(accepted / offers) FILTER (WHERE offers > 0) AS acceptance_sd,
               count(*) FILTER (WHERE offers > 0) AS acceptance_k,
               avg(accepted / n) FILTER (WHERE n > 0) AS conversion_mean,
               stddev_samp(accepted / n) FILTER (WHERE n > 0) AS conversion_sd
        FROM (
            SELECT {column} AS g, {scope.facts.employer_id} AS e, {scope.conversion_counts()}
            FROM {scope.relation} {scope.where()} GROUP BY ALL
        )
        GROUP BY g"""
    frame = _query(store, sql, scope.params)
    frame = _with_labels(frame, dimension, _names_for(store, scope, dimension))
    frame = _rate_columns(frame, [("offer_rate", "offers", "n"), ("acceptance_rate", "accepted", "offers"),
                                  ("conversion_rate", "accepted", "n"),
                                  ("knowledge_rate", "known_outcome", "n")])
    if method == "employer_mean":
        frame = _employer_mean_columns(frame)
    frame = frame.sort("sort_key", "group")
    value_cols = ["n", "offers", "accepted", "known_outcome", "employers",
                  *(c for r in (*RATES, "knowledge_rate") for c in _triple(r))]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    frame = _null_small_acceptance(frame, min_cell)
    return frame.select("group", "sort_key", *value_cols[:4], *value_cols[5:], "employers",
                        "suppressed")


def _employer_mean_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Replace pooled rate triples by the mean of employers' rates with a t interval."""
    updates: dict[str, list[float | None]] = {}
    for rate, k_col in (("offer", "employers"), ("acceptance", "acceptance_k"),
                        ("conversion", "employers")):
        means: list[float | None] = []
        lows: list[float | None] = []
        highs: list[float | None] = []
        for row in frame.iter_rows(named=True):
            k = int(row[k_col] or 0)
            mean, sd = row[f"{rate}_mean"], row[f"{rate}_sd"]
            if k == 0 or mean is None:
                means.append(None)
                lows.append(None)
                highs.append(None)
            elif k == 1:  # one employer: its own rate, whose honest interval is Wilson's
                means.append(row[f"{rate}_rate"])
                lows.append(row[f"{rate}_rate_low"])
                highs.append(row[f"{rate}_rate_high"])
            else:
                half = stats.t_value(k - 1) * float(sd or 0.0) / math.sqrt(k)
                means.append(float(mean))
                lows.append(max(0.0, mean - half))
                highs.append(min(1.0, mean + half))
        updates[f"{rate}_rate"] = means
        updates[f"{rate}_rate_low"] = lows
        updates[f"{rate}_rate_high"] = highs
    return frame.with_columns([pl.Series(name, values, dtype=pl.Float64)
                               for name, values in updates.items()])


def funnel(store: Store, flt: Filter = ALL_PLACEMENTS, *, min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Completed -> Eligible -> Offered -> Accepted.

    Columns: stage, count, share_of_first, share_of_previous, suppressed (a stage with fewer
    than min_cell placements shows no count and no shares).
    """
    min_cell = _check_min_cell(min_cell)
    scope = _scope(store, flt)
    row = store.rows(
        f"SELECT count_if(completed), {scope.conversion_counts()} FROM {scope.relation} {scope.where()}",
        scope.params,
    )[0]
    counts = [int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)]
    hidden = [c < min_cell for c in counts]
    first = counts[0]
    records = []
    for i, (stage, count) in enumerate(zip(("Completed", "Eligible", "Offered", "Accepted"), counts,
                                           strict=True)):
        previous = counts[i - 1] if i else count
        visible = not hidden[i]
        records.append({
            "stage": stage,
            "count": count if visible else None,
            "share_of_first": count / first if visible and first and not hidden[0] else None,
            "share_of_previous": (count / previous if visible and previous
                                  and not hidden[max(i - 1, 0)] else None),
            "suppressed": hidden[i],
        })
    return pl.DataFrame(records, schema={"stage": pl.String, "count": pl.Int64,
                                         "share_of_first": pl.Float64,
                                         "share_of_previous": pl.Float64, "suppressed": pl.Boolean})


def duration_vs_conversion(store: Store, flt: Filter = ALL_PLACEMENTS, *,
                           min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Conversion by duration band (WEEK_BANDS, [low, high) weeks; missing duration = 'unknown').

    Columns: group, sort_key, n (eligible), offers, accepted, offer_rate and conversion_rate
    triples, suppressed.
    """
    min_cell = _check_min_cell(min_cell)
    scope = _scope(store, flt)
    cases = " ".join(
        f"WHEN duration_weeks < {high!r} THEN {i}" for i, (_, high, _) in enumerate(WEEK_BANDS[:-1])
    )
    band = f"CASE WHEN duration_weeks IS NULL THEN NULL {cases} ELSE {len(WEEK_BANDS) - 1} END"
    frame = _query(
        store,
        f"SELECT {band} AS g, {scope.conversion_counts()} FROM {scope.relation} {scope.where()} "
        "GROUP BY ALL",
        scope.params,
    )
    labels = [WEEK_BANDS[g][2] if g is not None else UNKNOWN for g in frame["g"].to_list()]
    keys = [g if g is not None else UNKNOWN_SORT for g in frame["g"].to_list()]
    frame = frame.with_columns(pl.Series("group", labels, dtype=pl.String),
                               pl.Series("sort_key", keys, dtype=pl.Int64)).sort("sort_key")
    frame = _rate_columns(frame, [("offer_rate", "offers", "n"), ("conversion_rate", "accepted", "n")])
    value_cols = ["n", "offers", "accepted", *_triple("offer_rate"), *_triple("conversion_rate")]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")


# ================================================================================================
# Employers
# ================================================================================================
def _employer_frame(store: Store, flt: Filter, min_cell: int) -> tuple[pl.DataFrame, float]:
    """Per-employer comparison before ranking, and the pooled conversion (target) of the scope."""
    scope = _scope(store, flt)
    counts = f"""
        SELECT {scope.facts.employer_id} AS g, duration_weeks AS v, count(*) AS c,
               {scope.conversion_counts()}
        FROM {scope.relation} {scope.where()} GROUP BY ALL"""
    weeks = _quantiles_from_counts("SELECT g, v, c FROM base WHERE v IS NOT NULL",
                                   [("median_weeks", 0.5)])
    frame = _query(store, f"""
        WITH base AS MATERIALIZED ({counts}),
        conv AS (
            SELECT g, CAST(sum(n) AS BIGINT) AS n, CAST(sum(offers) AS BIGINT) AS offers,
                   CAST(sum(accepted) AS BIGINT) AS accepted,
                   CAST(sum(known_outcome) AS BIGINT) AS known_outcome
            FROM base GROUP BY g),
        weeks AS ({weeks})
        SELECT conv.*, weeks.median_weeks, CAST(weeks.total AS BIGINT) AS weeks_n
        FROM conv LEFT JOIN weeks USING (g)""", scope.params)
    pay = _query(store, f"""
        SELECT {scope.facts.employer_id} AS g, currency, count(*) AS pay_n,
               median(hourly_pay) AS median_hourly_pay
        FROM {scope.relation} {scope.where('hourly_pay IS NOT NULL', 'currency IS NOT NULL')}
        GROUP BY ALL""", scope.params)
    # Each employer's pay in its own main currency (most paid records; ties alphabetical).
    pay = (pay.sort(["g", "pay_n", "currency"], descending=[False, True, False])
           .group_by("g", maintain_order=True).first()
           .rename({"currency": "hourly_pay_currency"}))
    frame = frame.join(pay, on="g", how="left", nulls_equal=True)
    frame = _with_employer(frame, _employers(store, scope.facts))
    eligible = int(frame["n"].sum() or 0)
    target = float(frame["accepted"].sum() or 0) / eligible if eligible else math.nan
    if eligible < min_cell:
        target = math.nan  # the scope's own conversion rate is suppressed
    return frame, target


def employer_comparison(store: Store, flt: Filter = ALL_PLACEMENTS, *,
                        min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """One row per employer in scope.

    Columns: employer (display name: its most frequent spelling), employer_key, n (eligible
    interns), offers, accepted, offer_rate / acceptance_rate / conversion_rate triples (Wilson),
    z_score (funnel-plot z of the conversion rate against the scope's pooled conversion),
    outside_95 / outside_998 (beyond the 95% / 99.8% control limits), shrunk_conversion
    (empirical-Bayes beta-binomial, method of moments: see stats.shrink_rates), rank (1 = best
    shrunk conversion among the rows shown), median_hourly_pay with hourly_pay_currency (the
    employer's own main currency; null under min_cell paid records), median_weeks (null under
    min_cell known durations), suppressed. Ordered by rank, suppressed rows last.
    """
    min_cell = _check_min_cell(min_cell)
    frame, target = _employer_frame(store, flt, min_cell)
    return _comparison(frame, target, min_cell)


def _comparison(frame: pl.DataFrame, target: float, min_cell: int) -> pl.DataFrame:
    frame = _rate_columns(frame, [("offer_rate", "offers", "n"), ("acceptance_rate", "accepted", "offers"),
                                  ("conversion_rate", "accepted", "n")])
    n = frame["n"].to_numpy().astype(float)
    accepted = frame["accepted"].to_numpy().astype(float)
    real_target = target if not math.isnan(target) else (accepted.sum() / n.sum() if n.sum() else math.nan)
    z = stats.funnel_z(accepted, n, real_target) if not math.isnan(real_target) else np.full(len(n), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, accepted / n, np.nan)
    limits = stats.funnel_limits(real_target if not math.isnan(real_target) else 0.0, n.astype(np.int64))
    outside = {}
    for label in ("95", "998"):
        low = limits[f"low_{label}"].to_numpy().astype(float)
        high = limits[f"high_{label}"].to_numpy().astype(float)
        outside[label] = np.where(np.isnan(rate) | np.isnan(low) | math.isnan(real_target), False,
                                  (rate < low) | (rate > high))
    shrunk, _, _ = stats.shrink_rates(accepted, n)
    frame = frame.with_columns(
        pl.Series("z_score", z, dtype=pl.Float64).fill_nan(None),
        pl.Series("outside_95", outside["95"], dtype=pl.Boolean),
        pl.Series("outside_998", outside["998"], dtype=pl.Boolean),
        pl.Series("shrunk_conversion", np.where(n > 0, shrunk, np.nan), dtype=pl.Float64).fill_nan(None),
    )
    frame = _null_where(frame, pl.col("weeks_n").fill_null(0) < min_cell, ["median_weeks"])
    frame = _null_where(frame, pl.col("pay_n").fill_null(0) < min_cell,
                        ["median_hourly_pay", "hourly_pay_currency"])
    frame = frame.sort("employer")
    value_cols = ["n", "offers", "accepted", *(c for r in RATES for c in _triple(r)), "z_score",
                  "outside_95", "outside_998", "shrunk_conversion"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    frame = _null_small_acceptance(frame, min_cell)
    # Rank the visible rows by shrunk conversion (ties: larger cohort, then name); 1 = best.
    order = frame.with_row_index("_row").filter(
        ~pl.col("suppressed") & pl.col("shrunk_conversion").is_not_null()
    ).sort(["shrunk_conversion", "n", "employer"], descending=[True, True, False])
    ranks = dict(zip(order["_row"].to_list(), range(1, order.height + 1), strict=True))
    ranked = frame.with_columns(
        pl.Series("rank", [ranks.get(i) for i in range(frame.height)], dtype=pl.Int64)
    )
    return ranked.sort(["rank", "employer"], nulls_last=True).select(
        "employer", "employer_key", *value_cols, "rank", "median_hourly_pay",
        "hourly_pay_currency", "median_weeks", "suppressed",
    )


def funnel_plot(store: Store, flt: Filter = ALL_PLACEMENTS, *, min_cell: int = DEFAULT_MIN_CELL,
                points: int = 200) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """(employer points, control limits, target) for a funnel plot of conversion.

    points: the employer_comparison rows that are not suppressed. limits: stats.funnel_limits
    around the target over cohort sizes from 1 to the largest employer (about `points` sizes,
    log-spaced, plus every employer's own size). target: the pooled conversion rate of the scope
    (the same as overview()'s), nan when suppressed.
    """
    min_cell = _check_min_cell(min_cell)
    frame, target = _employer_frame(store, flt, min_cell)
    comparison = _comparison(frame, target, min_cell)
    shown = comparison.filter(~pl.col("suppressed"))
    largest = int(shown["n"].max() or 0) if shown.height else 0  # type: ignore[arg-type]
    if math.isnan(target) or largest == 0:
        return shown, stats.funnel_limits(0.0, np.array([], dtype=np.int64)), target
    grid = np.unique(np.concatenate([
        np.round(np.geomspace(1, max(largest, 2), points)).astype(np.int64),
        shown["n"].to_numpy().astype(np.int64),
    ]))
    return shown, stats.funnel_limits(target, grid), target


def pay_vs_conversion(store: Store, flt: Filter = ALL_PLACEMENTS, currency: str | None = None, *,
                      min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Per employer: conversion against median hourly pay in one currency (default: main).

    Columns: employer, employer_key, n (eligible), conversion_rate triple, median_hourly_pay,
    hourly_pay_currency, suppressed (n under min_cell); the median is null under min_cell paid
    records in that currency.
    """
    min_cell = _check_min_cell(min_cell)
    scope = _scope(store, flt)
    # Conversion and pay in two plain grouped queries: an aggregate with a FILTER clause (median
    # ... FILTER (WHERE currency = ?)) is several times slower in DuckDB.
    frame = _query(store, f"""
        SELECT {scope.facts.employer_id} AS g, {scope.conversion_counts()}
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    pay, currency = _pay_medians(store, scope, scope.facts.employer_id, currency)
    frame = frame.join(pay.select("g", "pay_n", "median_hourly_pay"), on="g", how="left",
                       nulls_equal=True)
    frame = _with_employer(frame, _employers(store, scope.facts)).with_columns(
        pl.lit(currency, dtype=pl.String).alias("hourly_pay_currency"),
    ).sort("employer")
    frame = _rate_columns(frame, [("conversion_rate", "accepted", "n")])
    frame = _null_where(frame, pl.col("pay_n").fill_null(0) < min_cell, ["median_hourly_pay"])
    value_cols = ["n", *_triple("conversion_rate")]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("employer", "employer_key", *value_cols, "median_hourly_pay",
                        "hourly_pay_currency", "suppressed")


def university_view(store: Store, university: str, flt: Filter = ALL_PLACEMENTS, *,
                    min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """For one university's interns, per employer: their outcomes beside the network's.

    The network is every university in scope (the filter's own university selection is ignored).
    Columns: employer, employer_key, n_university (eligible interns from this university),
    conversion_university triple, n_network (eligible interns from all universities),
    conversion_network triple, suppressed (university cell under min_cell, or its complement),
    network_suppressed (network cell under min_cell, or the other universities' part of it --
    n_network - n_university -- under min_cell, which subtraction would otherwise reveal).
    Employers with any placement from the university are listed; ordered by n_university.
    """
    min_cell = _check_min_cell(min_cell)
    network = flt.replace(universities=())
    scope = _scope(store, network)
    e = scope.eligible
    frame = _query(store, f"""
        SELECT {scope.facts.employer_id} AS g,
               count_if({e} AND university = ?) AS n_university,
               count_if({e} AND accepted AND university = ?) AS accepted_university,
               count_if({e}) AS n_network, count_if({e} AND accepted) AS accepted_network
        FROM {scope.relation} {scope.where()}
        GROUP BY ALL HAVING count_if(university = ?) > 0""",
        [university, university, *scope.params, university])
    frame = _with_employer(frame, _employers(store, scope.facts)).sort("employer")
    frame = _rate_columns(frame, [("conversion_university", "accepted_university", "n_university"),
                                  ("conversion_network", "accepted_network", "n_network")])
    others = pl.col("n_network") - pl.col("n_university")
    frame = frame.with_columns(((others > 0) & (others < min_cell)).alias("network_suppressed"))
    network_cols = ["n_network", *_triple("conversion_network")]
    # The network column lists only this university's employers, so it adds up to no total
    # shown anywhere: small cells (and the differencing ones above) are hidden, no complement.
    frame = stats.suppress(frame, "n_network", min_cell, total=False, value_cols=network_cols,
                           flag="network_suppressed")
    university_cols = ["n_university", *_triple("conversion_university")]
    frame = stats.suppress(frame, "n_university", min_cell, total=True, value_cols=university_cols)
    return frame.sort(["n_university", "employer"], descending=[True, False], nulls_last=True).select(
        "employer", "employer_key", *university_cols, *network_cols, "suppressed",
        "network_suppressed",
    )


# ================================================================================================
# Pay
# ================================================================================================
def pay_currencies(store: Store, flt: Filter = ALL_PLACEMENTS, *,
                   min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Currencies of paid records with an hourly equivalent: currency, n, suppressed; n desc.
    (A currency with fewer than min_cell records is listed with n null.)"""
    min_cell = _check_min_cell(min_cell)
    scope = _scope(store, flt)
    counts = _pay_counts(store, scope)
    frame = pl.DataFrame(
        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
        schema={"currency": pl.String, "n": pl.Int64}, orient="row",
    )
    return stats.suppress(frame, "n", min_cell, total=False, value_cols=["n"])


def pay_by(store: Store, dimension: str, flt: Filter = ALL_PLACEMENTS, currency: str | None = None, *,
           min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Hourly-equivalent pay per group, in one currency (default: the scope's main currency).

    Columns: group, sort_key, currency, n (paid records), median_hourly_pay, mean_hourly_pay,
    p25_hourly_pay, p75_hourly_pay, suppressed.
    """
    min_cell = _check_min_cell(min_cell)
    dimension = _dimension(dimension)
    scope = _scope(store, flt)
    conditions = ["hourly_pay IS NOT NULL", "currency IS NOT NULL"]
    params: list[Any] = list(scope.params)
    if currency is not None:
        conditions.append("currency = ?")
        params.append(currency)
    frame = _query(store, f"""
        SELECT {_column(dimension, scope.facts)} AS g, currency, count(*) AS n,
               avg(hourly_pay) AS mean_hourly_pay,
               quantile_cont(hourly_pay, [0.25, 0.5, 0.75]) AS q
        FROM {scope.relation} {scope.where(*conditions)} GROUP BY ALL""", params)
    if currency is None:
        totals = frame.group_by("currency").agg(pl.col("n").sum())
        currency = _main_currency(dict(zip(totals["currency"].to_list(), totals["n"].to_list(),
                                           strict=True)))
        frame = frame.filter(pl.col("currency").eq_missing(currency))
    frame = frame.with_columns(
        pl.col("q").list.get(0).alias("p25_hourly_pay"),
        pl.col("q").list.get(1).alias("median_hourly_pay"),
        pl.col("q").list.get(2).alias("p75_hourly_pay"),
    )
    frame = _with_labels(frame, dimension, _names_for(store, scope, dimension)).sort("sort_key", "group")
    value_cols = ["n", "median_hourly_pay", "mean_hourly_pay", "p25_hourly_pay", "p75_hourly_pay"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.with_columns(pl.lit(currency, dtype=pl.String).alias("currency")).select(
        "group", "sort_key", "currency", *value_cols, "suppressed")


def pay_distribution(store: Store, flt: Filter = ALL_PLACEMENTS, currency: str | None = None,
                     bin_width: float = 2.0, *, by: str | None = None,
                     min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Histogram of hourly-equivalent pay in one currency, binned inside DuckDB.

    Columns: bin_low, bin_high ([low, high) in currency units), count, currency, and with
    by="role_family" (or any dimension) a group column; suppressed. Bins with fewer than
    min_cell records are hidden, with complementary suppression across each group and each bin.
    """
    min_cell = _check_min_cell(min_cell)
    if not isinstance(bin_width, int | float) or not bin_width > 0 or math.isinf(bin_width):
        raise MetricsError(f"bin_width must be a positive number, got {bin_width!r}")
    scope = _scope(store, flt)
    group = f"{_column(_dimension(by), scope.facts)} AS g, " if by else ""
    conditions = ["hourly_pay IS NOT NULL", "currency IS NOT NULL"]
    params: list[Any] = [float(bin_width), *scope.params]
    if currency is not None:
        conditions.append("currency = ?")
        params.append(currency)
    frame = _query(store, f"""
        SELECT {group}currency, CAST(floor(hourly_pay / ?) AS BIGINT) AS bin, count(*) AS count
        FROM {scope.relation} {scope.where(*conditions)} GROUP BY ALL""", params)
    if currency is None:
        totals = frame.group_by("currency").agg(pl.col("count").sum())
        currency = _main_currency(dict(zip(totals["currency"].to_list(), totals["count"].to_list(),
                                           strict=True)))
        frame = frame.filter(pl.col("currency").eq_missing(currency))
    frame = frame.with_columns(
        (pl.col("bin") * float(bin_width)).alias("bin_low"),
        ((pl.col("bin") + 1) * float(bin_width)).alias("bin_high"),
    )
    dims: tuple[str, ...] = ()
    sort: list[str] = ["bin_low"]
    if by:
        frame = _with_labels(frame, by, _names_for(store, scope, by))
        dims = ("group", "bin_low")
        sort = ["sort_key", "bin_low"]
    frame = frame.sort(sort)
    frame = stats.suppress(frame, "count", min_cell, total=True, value_cols=["count"], dims=dims)
    columns = ["bin_low", "bin_high", "count", "currency", *(["group"] if by else []), "suppressed"]
    return frame.with_columns(pl.lit(currency, dtype=pl.String).alias("currency")).select(columns)


def paid_share_by_term(store: Store, flt: Filter = ALL_PLACEMENTS, *,
                       min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Paid share per term: group, sort_key, n (placements with known paid status), paid,
    unpaid, paid_share triple (Wilson), suppressed."""
    min_cell = _check_min_cell(min_cell)
    scope = _scope(store, flt)
    frame = _query(store, f"""
        SELECT {_column("term", scope.facts)} AS g, count(paid) AS n, count_if(paid) AS paid,
               count_if(NOT paid) AS unpaid
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    frame = _with_labels(frame, "term", _names_for(store, scope, "term")).sort("sort_key")
    frame = _rate_columns(frame, [("paid_share", "paid", "n")])
    value_cols = ["n", "paid", "unpaid", *_triple("paid_share")]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")


# ================================================================================================
# Duration, schedule, credit
# ================================================================================================
def duration_by(store: Store, dimension: str, flt: Filter = ALL_PLACEMENTS, *,
                min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Weeks per group: group, sort_key, n (placements with a known duration), median_weeks,
    mean_weeks, p25_weeks, p75_weeks, suppressed. Exact quantiles from value counts."""
    min_cell = _check_min_cell(min_cell)
    dimension = _dimension(dimension)
    scope = _scope(store, flt)
    counts = (f"SELECT {_column(dimension, scope.facts)} AS g, duration_weeks AS v, count(*) AS c "
              f"FROM {scope.relation} {scope.where('duration_weeks IS NOT NULL')} GROUP BY ALL")
    frame = _query(store, _quantiles_from_counts(
        counts, [("p25_weeks", 0.25), ("median_weeks", 0.5), ("p75_weeks", 0.75)]), scope.params)
    frame = frame.with_columns(pl.col("total").cast(pl.Int64).alias("n"),
                               pl.col("mean").alias("mean_weeks"))
    frame = _with_labels(frame, dimension, _names_for(store, scope, dimension)).sort("sort_key", "group")
    value_cols = ["n", "median_weeks", "mean_weeks", "p25_weeks", "p75_weeks"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")


def duration_distribution(store: Store, flt: Filter = ALL_PLACEMENTS, *,
                          min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Placements per whole number of weeks (rounded half away from zero): weeks, count,
    suppressed."""
    min_cell = _check_min_cell(min_cell)
    scope = _scope(store, flt)
    frame = _query(store, f"""
        SELECT CAST(round(duration_weeks) AS BIGINT) AS weeks, count(*) AS count
        FROM {scope.relation} {scope.where('duration_weeks IS NOT NULL')}
        GROUP BY ALL ORDER BY weeks""", scope.params)
    return stats.suppress(frame, "count", min_cell, total=True, value_cols=["count"])


def schedule_mix(store: Store, flt: Filter = ALL_PLACEMENTS, by: str = "term_season", *,
                 min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Full-time / part-time mix per group: group, sort_key, n (placements with known hours),
    full_time, part_time, full_time_share, suppressed."""
    min_cell = _check_min_cell(min_cell)
    by = _dimension(by)
    scope = _scope(store, flt)
    frame = _query(store, f"""
        SELECT {_column(by, scope.facts)} AS g, count(schedule) AS n,
               count_if(schedule = 'full_time') AS full_time,
               count_if(schedule = 'part_time') AS part_time
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    frame = _with_labels(frame, by, _names_for(store, scope, by)).sort("sort_key", "group")
    frame = frame.with_columns(_share(pl.col("full_time"), pl.col("n")).alias("full_time_share"))
    value_cols = ["n", "full_time", "part_time", "full_time_share"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")


def credit_share_by(store: Store, dimension: str, flt: Filter = ALL_PLACEMENTS, *,
                    min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Academic-credit share per group: group, sort_key, n (placements with known credit
    status), academic_credit, credit_share, suppressed."""
    min_cell = _check_min_cell(min_cell)
    dimension = _dimension(dimension)
    scope = _scope(store, flt)
    frame = _query(store, f"""
        SELECT {_column(dimension, scope.facts)} AS g, count(academic_credit) AS n,
               count_if(academic_credit) AS academic_credit
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    frame = _with_labels(frame, dimension, _names_for(store, scope, dimension)).sort("sort_key", "group")
    frame = frame.with_columns(_share(pl.col("academic_credit"), pl.col("n")).alias("credit_share"))
    value_cols = ["n", "academic_credit", "credit_share"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols)
    return frame.select("group", "sort_key", *value_cols, "suppressed")


# ================================================================================================
# Data page: summary table, records, options
# ================================================================================================
def summary_table(store: Store, flt: Filter = ALL_PLACEMENTS, by: Sequence[str] = ("term",), *,
                  min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """An aggregated table by one to three dimensions, for the Data page and exports.

    Columns: the `by` columns (labels), n (placements), eligible, offers, accepted,
    conversion_rate, paid_share, median_hourly_pay, hourly_pay_currency (the scope's main
    currency), median_weeks, suppressed (n under min_cell, or complementary -- within the whole
    table and within every margin of the cross-table), conversion_suppressed (the same for the
    eligible count, which nulls eligible, offers, accepted and conversion_rate). paid_share,
    median pay and median weeks are null when fewer than min_cell records stand behind them.
    """
    min_cell = _check_min_cell(min_cell)
    dims = tuple(_dimension(d) for d in (by if not isinstance(by, str) else (by,)))
    if not 1 <= len(dims) <= 3 or len(set(dims)) != len(dims):
        raise MetricsError("summary_table needs one to three different dimensions")
    scope = _scope(store, flt)
    keys = [f"g{i}" for i in range(len(dims))]
    selects = ", ".join(f"{_column(d, scope.facts)} AS g{i}" for i, d in enumerate(dims))
    # Three plain grouped queries (counts; pay by currency; weeks by value) rather than one with
    # median(...) FILTER (...), which DuckDB runs several times slower.
    frame = _query(store, f"""
        SELECT {selects}, count(*) AS n, {scope.conversion_counts('c_')},
               count_if(paid) AS paid_n, count(paid) AS paid_known
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    frame = frame.rename({"c_n": "eligible", "c_offers": "offers", "c_accepted": "accepted"})
    pay = _query(store, f"""
        SELECT {selects}, currency, count(*) AS pay_n, median(hourly_pay) AS median_hourly_pay
        FROM {scope.relation} {scope.where("hourly_pay IS NOT NULL", "currency IS NOT NULL")}
        GROUP BY ALL""", scope.params)
    totals = pay.group_by("currency").agg(pl.col("pay_n").sum())
    currency = _main_currency(dict(zip(totals["currency"].to_list(), totals["pay_n"].to_list(),
                                       strict=True)))
    pay = pay.filter(pl.col("currency").eq_missing(currency)).drop("currency")
    weeks = _query(store, _quantiles_from_counts(
        f"SELECT {selects}, duration_weeks AS v, count(*) AS c FROM {scope.relation} "
        f"{scope.where('duration_weeks IS NOT NULL')} GROUP BY ALL",
        [("median_weeks", 0.5)], keys), scope.params).select(*keys, pl.col("total").alias("weeks_n"),
                                                             "median_weeks")
    frame = (frame.join(pay, on=keys, how="left", nulls_equal=True)
             .join(weeks, on=keys, how="left", nulls_equal=True))
    sort_cols = []
    for i, d in enumerate(dims):
        frame = _with_labels(frame, d, _names_for(store, scope, d), column=f"g{i}", label=d,
                             sort_key=f"_sort{i}")
        sort_cols.append(f"_sort{i}")
    frame = frame.sort(sort_cols)
    frame = frame.with_columns(
        _share(pl.col("accepted"), pl.col("eligible")).alias("conversion_rate"),
        _share(pl.col("paid_n"), pl.col("paid_known")).alias("paid_share"),
        pl.lit(currency, dtype=pl.String).alias("hourly_pay_currency"),
    )
    frame = _null_where(frame, pl.col("paid_known") < min_cell, ["paid_share"])
    frame = _null_where(frame, pl.col("pay_n").fill_null(0) < min_cell, ["median_hourly_pay"])
    frame = _null_where(frame, pl.col("weeks_n").fill_null(0) < min_cell, ["median_weeks"])
    conversion_cols = ["eligible", "offers", "accepted", "conversion_rate"]
    frame = stats.suppress(frame, "eligible", min_cell, total=True, value_cols=conversion_cols,
                           dims=dims, flag="conversion_suppressed")
    value_cols = ["n", *conversion_cols, "paid_share", "median_hourly_pay", "median_weeks"]
    frame = stats.suppress(frame, "n", min_cell, total=True, value_cols=value_cols, dims=dims)
    frame = frame.with_columns(pl.col("conversion_suppressed") | pl.col("suppressed"))
    return frame.select(*dims, "n", *conversion_cols, "paid_share", "median_hourly_pay",
                        "hourly_pay_currency", "median_weeks", "suppressed", "conversion_suppressed")


_RECORD_COLUMNS: Final = tuple(f.name for f in schema.FIELDS)


def records(store: Store, flt: Filter = ALL_PLACEMENTS, limit: int = 1000, offset: int = 0) -> pl.DataFrame:
    """Row-level placements for analysts (student ids are the stored pseudonyms), canonical
    columns, ordered by placement_id; at most MAX_RECORDS rows per call."""
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise MetricsError(f"{name} must be a whole number >= 0, got {value!r}")
    where, params = flt.where()
    return store.query(
        f"SELECT {', '.join(_RECORD_COLUMNS)} FROM placements {where} "
        "ORDER BY placement_id LIMIT ? OFFSET ?",
        [*params, min(limit, MAX_RECORDS), offset],
    )


def record_count(store: Store, flt: Filter = ALL_PLACEMENTS) -> int:
    """How many placements the filter selects."""
    where, params = flt.where()
    return int(store.scalar(f"SELECT count(*) FROM placements {where}", params) or 0)


def options(store: Store) -> dict[str, list[Any]]:
    """Distinct values for the sidebar filters: term_years, term_seasons (calendar order),
    universities, employers (display names), role_families / degree_levels / work_modes (enum
    order first), schedules, terms (chronological)."""
    facts = _facts(store)
    rel = facts.relation

    def distinct(column: str) -> list[Any]:
        return [r[0] for r in store.rows(
            f"SELECT DISTINCT {column} FROM {rel} WHERE {column} IS NOT NULL")]

    def ordered(column: str) -> list[str]:
        values = distinct(column)
        labels, keys = _labels(column, values)
        return [label for _, label in sorted(zip(keys, labels, strict=True))]

    names = [name for _, name in _employers(store, facts).values()]
    terms = distinct("term")
    return {
        "term_years": sorted(int(y) for y in distinct("term_year")),
        "term_seasons": ordered("term_season"),
        "universities": sorted(distinct("university"), key=lambda s: (s.casefold(), s)),
        "employers": sorted(set(names), key=lambda s: (s.casefold(), s)),
        "role_families": ordered("role_family"),
        "degree_levels": ordered("degree_level"),
        "work_modes": ordered("work_mode"),
        "schedules": ordered("schedule"),
        "terms": sorted(terms, key=_term_sort_key),
    }


# ================================================================================================
# Reference figures
# ================================================================================================
def benchmarks(path: Path | None = None) -> pl.DataFrame:
    """National reference figures (NACE): metric, value, unit, year, source, note."""
    return pl.read_csv(
        path or BENCHMARKS_CSV,
        schema={"metric": pl.String, "value": pl.Float64, "unit": pl.String, "year": pl.Int64,
                "source": pl.String, "note": pl.String},
    )
