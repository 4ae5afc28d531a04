"""The facts table: a narrow, typed copy of `placements` the metrics read."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Final

import duckdb

from analytics import schema
from analytics.store import Store

FACTS_TABLE: Final = "metrics_facts"
EMPLOYERS_TABLE: Final = "metrics_employers"
TERMS_TABLE: Final = "metrics_terms"
META_TABLE: Final = "metrics_meta"
# Bump when the facts tables change shape: facts built by older code are then rebuilt.
FACTS_FORMAT: Final = 5

# Each placement's eligibility basis is its batch's, decided at import from the fields the file
# has (analytics.ingest.pipeline.eligibility_basis) and stored in `batches`; a batch loaded
# without one (the low-level loader, databases from before) gets it from its own rows the same
# way. So grouping or filtering never changes who is eligible.
BATCH_BASIS: Final = """(
    SELECT batch_id, coalesce(any_value(b.eligibility_basis),
        CASE WHEN bool_or(p.final_year IS NOT NULL OR p.student_status IS NOT NULL) THEN 'final_year'
             WHEN bool_or(p.status IS NOT NULL) THEN 'completed' ELSE 'unknown' END) AS eligibility_basis
    FROM placements p LEFT JOIN batches b USING (batch_id) GROUP BY batch_id
) AS basis"""
# Eligible (NACE): a completed internship, not followed by further study, of a graduating intern
# (final year, or a recent graduate); with the 'completed' basis (the batch does not record the
# final year), every completed internship. Known: whether the row is eligible can be told.
ELIGIBLE_SQL: Final = """coalesce(status = 'completed' AND continuing_education IS NOT TRUE
        AND CASE eligibility_basis
        WHEN 'final_year' THEN final_year IS TRUE OR student_status = 'recent_graduate'
        WHEN 'completed' THEN true ELSE false END, false)"""
ELIGIBILITY_KNOWN_SQL: Final = """coalesce(CASE eligibility_basis
        WHEN 'final_year' THEN status <> 'completed' OR continuing_education IS TRUE
                               OR final_year IS NOT NULL OR student_status IS NOT NULL
        WHEN 'completed' THEN status IS NOT NULL ELSE false END, false)"""

# Columns the filters and groupings use keep their names and values; outcome flags are computed
# once here so each query reads booleans instead of re-evaluating three-valued logic per row.
FACT_COLUMNS: Final = f"""
    term_year, term_season, term, university, employer_key, role_family, degree_level,
    work_mode, paid, schedule, academic_credit, structured_training, program, country,
    currency, student_status, hourly_pay, duration_weeks, record_key,
    coalesce(status = 'completed', false) AS completed,
    eligibility_basis, {ELIGIBLE_SQL} AS eligible, {ELIGIBILITY_KNOWN_SQL} AS eligibility_known,
    coalesce(offer_extended IS TRUE OR offer_accepted IS TRUE, false) AS offered,
    coalesce(offer_accepted, false) AS accepted,
    (offer_extended IS NOT NULL OR offer_accepted IS TRUE) AS known
"""
# Without the facts table no first placements are marked (only id-less rows, each its own
# student): the lower bound of distinct students is then weak, and exact counts run more often.
_FALLBACK_RELATION: Final = (f"(SELECT {FACT_COLUMNS}, student_id, student_id IS NULL AS first_of_student "
                              f"FROM placements LEFT JOIN {BATCH_BASIS} USING (batch_id)) AS facts")

_build_locks: dict[int, threading.Lock] = {}
_build_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Facts:
    relation: str
    students_sql: str | None  # an exact bitmap count when fresh; else a separate DISTINCT query
    employer_id: str  # the column employers are grouped by: a small integer when fresh
    university_id: str
    fresh: bool
    students: int = 0  # how many student numbers there are (fresh facts only)

    @property
    def student(self) -> str:
        """The column identifying a student: a dense number when fresh, else the pseudonym."""
        return "student_no" if self.fresh else "student_id"


def _fallback() -> Facts:
    return Facts(
        relation=_FALLBACK_RELATION,
        students_sql=None,
        employer_id="employer_key",
        university_id="university",
        fresh=False,
    )


def _from_meta(students: int, employers: int, universities: int) -> Facts:
    del employers, universities  # kept in the meta table for inspection
    # Exact distinct count of students: one bit per dense student number, no hash table.
    bitmap = f"coalesce(bit_count(bitstring_agg(student_no, 1, {int(students)})), 0)"
    return Facts(
        relation=FACTS_TABLE,
        students_sql=bitmap if students > 0 else "0",
        employer_id="employer_no",
        university_id="university_no",
        fresh=True,
        students=int(students),
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


def current_facts(store: Store) -> Facts:
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
    # Each student's first placement (smallest row id) is marked in the facts: counting
    # marked rows gives a lower bound of a cell's distinct students for the price of a plain
    # count, so the exact distinct count is only needed for cells near the threshold.
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE metrics_student_numbers AS
        SELECT student_hash, CAST(row_number() OVER () AS INTEGER) AS student_no, first_row
        FROM (SELECT hash(student_id) AS student_hash, min(rowid) AS first_row
              FROM placements WHERE student_id IS NOT NULL GROUP BY ALL)""")
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
        SELECT {FACT_COLUMNS}, s.student_no, e.employer_no, u.university_no, t.term_no,
               (s.student_no IS NULL OR p.row_id = s.first_row) AS first_of_student
        FROM (SELECT *, rowid AS row_id,
                     CASE WHEN student_id IS NOT NULL THEN hash(student_id) END AS student_hash
              FROM placements) AS p
        LEFT JOIN {BATCH_BASIS} USING (batch_id)
        LEFT JOIN metrics_student_numbers s USING (student_hash)
        LEFT JOIN (SELECT employer_key, employer_no FROM {EMPLOYERS_TABLE}) e USING (employer_key)
        LEFT JOIN metrics_university_numbers u USING (university)
        LEFT JOIN {TERMS_TABLE} t USING (term)""")


# ================================================================================================
