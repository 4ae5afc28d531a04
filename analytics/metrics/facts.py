"""The facts tables: a narrow, typed copy of `placements` the metrics read, kept up to date
batch by batch.

An import adds only its own batch's rows, an undo removes only its own batch's rows, so the
upkeep after an upload follows the upload, not the database (DESIGN.md "Performance"). The
facts remember which batches they hold (`metrics_facts_batches`); when the data version has
moved on, the batches loaded now are compared with those, and only the difference is applied.
Anything else (a new FACTS_FORMAT, facts never built, a change that is not a batch) gets the
full rebuild, which is also the test oracle: incremental upkeep must give the metrics a full
rebuild gives.

Numbers: students, employers, universities, currencies and terms carry small dense integers
(perfect-hash grouping, bitmap distinct counts). A full rebuild numbers them afresh; an increment
gives each new one the next free number and never reuses one, so the numbers differ between the
two paths but the metrics do not: nothing sorts by a number (terms sort by their label,
employers by name), and the student bitmap spans 1..the largest number given out.
"""

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
STUDENTS_TABLE: Final = "metrics_students"
UNIVERSITIES_TABLE: Final = "metrics_universities"
# (currency_no, currency): every pay figure groups by currency, and a small integer groups by
# perfect hashing where the text needs a hash table (numbered like universities).
CURRENCIES_TABLE: Final = "metrics_currencies"
# (batch, employer key, spelling, rows): an employer's display name is its most frequent spelling
# over the batches held, and an undone batch's placements are gone, so its counts are kept here.
SPELLINGS_TABLE: Final = "metrics_employer_spellings"
BATCHES_TABLE: Final = "metrics_facts_batches"
# Batches up to this many rows are copied to a temporary table for their upkeep (`_add_batches`).
COPIED_BATCH_ROWS: Final = 1_000_000
# Bump when the facts tables change shape: facts built by older code are then rebuilt.
FACTS_FORMAT: Final = 10

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


def _batch_basis(source: str) -> str:
    """Each placement's eligibility basis is its batch's, decided at import from the fields the
    file has (analytics.ingest.pipeline.eligibility_basis) and stored in `batches`; a batch
    loaded without one (the low-level loader, databases from before) gets it from its own rows
    the same way. So grouping or filtering never changes who is eligible. Over `source` only
    (all placements, or the batches being added)."""
    return f"""(
    SELECT batch_id, coalesce(any_value(b.eligibility_basis),
        CASE WHEN bool_or(p.final_year IS NOT NULL OR p.student_status IS NOT NULL) THEN 'final_year'
             WHEN bool_or(p.status IS NOT NULL) THEN 'completed' ELSE 'unknown' END) AS eligibility_basis
    FROM {source} p LEFT JOIN batches b USING (batch_id) GROUP BY batch_id
) AS basis"""


def batch_basis(source: str) -> str:
    """The per-batch eligibility basis as a relation to join USING (batch_id), for row-level
    queries on `placements` that must decide eligibility exactly as the facts do."""
    return _batch_basis(source)


# Columns the filters and groupings use keep their names and values; outcome flags are computed
# once here so each query reads booleans instead of re-evaluating three-valued logic per row.
# batch_id lets an undo remove exactly its batch's facts. The one projection for both paths.
FACT_COLUMNS: Final = f"""
    term_year, term_season, term, university, employer_key, role_family, degree_level,
    work_mode, paid, schedule, academic_credit, structured_training, program, country,
    currency, student_status, hourly_pay, duration_weeks, record_key,
    returning_intern, end_date, offer_date, offer_deadline, decision_date, reneged, hire_date,
    separation_date, intern_rating, supervisor_rating, outcome_source, gender, ethnicity,
    first_generation,
    coalesce(status = 'completed', false) AS completed,
    eligibility_basis, {ELIGIBLE_SQL} AS eligible, {ELIGIBILITY_KNOWN_SQL} AS eligibility_known,
    coalesce(offer_extended IS TRUE OR offer_accepted IS TRUE, false) AS offered,
    coalesce(offer_accepted, false) AS accepted,
    (offer_extended IS NOT NULL OR offer_accepted IS TRUE) AS known,
    batch_id
"""
# The outcome flags and the attributes the overview counts, packed into two small integers once
# here: a scope's overview then groups its rows by them (a perfect-hash aggregation on two
# bytes, a few thousand groups at most) and counts from the groups, instead of evaluating some
# forty conditional counts on every row. `flags`: one bit per never-null flag below, one for a
# known duration and one for the student's first placement. `attrs`: paid, academic_credit and
# structured_training (0 unknown, 1 false, 2 true) and schedule (0 unknown, 1 full time, 2 part
# time, 3 other), as base-3 digits.
_FLAG_BITS: Final = ("completed", "eligible", "offered", "accepted", "known", "eligibility_known")
# Each flag's bit, for conditions on `flags` itself (scope.Scope.conversion_selects).
FLAG_BIT: Final = {c: 1 << i for i, c in enumerate(_FLAG_BITS)}
_DURATION_BIT: Final = 1 << len(_FLAG_BITS)
# first_of_student too: the upkeep sets this bit wherever it marks a row (`_mark_first_rows`).
FIRST_BIT: Final = 2 * _DURATION_BIT
_TRI_STATES: Final = ("paid", "academic_credit", "structured_training")
_SCHEDULE_DIGIT: Final = 3 ** len(_TRI_STATES)
FLAGS_SQL: Final = "CAST(" + " + ".join(
    [f"CASE WHEN {c} THEN {1 << i} ELSE 0 END" for i, c in enumerate(_FLAG_BITS)]
    + [f"CASE WHEN duration_weeks IS NOT NULL THEN {_DURATION_BIT} ELSE 0 END",
       f"CASE WHEN first_of_student THEN {FIRST_BIT} ELSE 0 END"]) + " AS UTINYINT)"
ATTRS_SQL: Final = "CAST(" + " + ".join(
    [f"{3 ** i} * CASE WHEN {c} IS NULL THEN 0 WHEN {c} THEN 2 ELSE 1 END" for i, c in enumerate(_TRI_STATES)]
    + [f"{_SCHEDULE_DIGIT} * CASE WHEN schedule IS NULL THEN 0 WHEN schedule = 'full_time' THEN 1 "
       "WHEN schedule = 'part_time' THEN 2 ELSE 3 END"]) + " AS UTINYINT)"
# The packed columns unpacked under the facts' own names, over grouped rows: conditions written
# for the facts (`eligible AND offered`, `paid IS NOT NULL`, `schedule = 'full_time'`,
# `duration_weeks IS NOT NULL`) mean the same on them. duration_weeks is only known or not
# (1 or NULL) and a schedule other than full or part time reads 'other'.
UNPACKED_SQL: Final = ", ".join(
    [f"(flags & {1 << i}) <> 0 AS {c}" for i, c in enumerate(_FLAG_BITS)]
    + [f"CASE WHEN (flags & {_DURATION_BIT}) <> 0 THEN 1 END AS duration_weeks",
       f"(flags & {FIRST_BIT}) <> 0 AS first_of_student"]
    + [f"CASE (attrs // {3 ** i}) % 3 WHEN 1 THEN false WHEN 2 THEN true END AS {c}"
       for i, c in enumerate(_TRI_STATES)]
    + [f"CASE attrs // {_SCHEDULE_DIGIT} WHEN 1 THEN 'full_time' WHEN 2 THEN 'part_time' "
       "WHEN 3 THEN 'other' END AS schedule"])
# Without the facts table no first placements are marked (only id-less rows, each its own
# student): the lower bound of distinct students is then weak, and exact counts run more often.
_FALLBACK_RELATION: Final = (f"(SELECT {FACT_COLUMNS}, student_id, student_id IS NULL AS first_of_student "
                             f"FROM placements LEFT JOIN {_batch_basis('placements')} USING (batch_id)) "
                             "AS facts")
# What the facts add to FACT_COLUMNS: the numbers, looked up from the batch's own keys.
_STUDENT_HASH: Final = "CASE WHEN student_id IS NOT NULL THEN hash(student_id) END"
_SEASON_ORDER_SQL: Final = (
    "CASE term_season "
    + " ".join(f"WHEN '{season}' THEN {i}" for i, season in enumerate(schema.TERM_SEASONS, 1))
    + f" ELSE {len(schema.TERM_SEASONS) + 1} END"
)

_NO_FSST: Final = "fsst"

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
    # Exact distinct count of students: one bit per student number, no hash table. `students` is
    # the largest number given out (numbers of students whose batches were undone stay unused).
    bitmap = f"coalesce(bit_count(bitstring_agg(student_no, 1, {int(students)})), 0)"
    return Facts(
        relation=FACTS_TABLE,
        students_sql=bitmap if students > 0 else "0",
        employer_id="employer_no",
        university_id="university_no",
        fresh=True,
        students=int(students),
    )


def _meta_row(store: Store | duckdb.DuckDBPyConnection) -> tuple[int, int, int, int, int, int] | None:
    """(built for version, students, employers, universities, format, current version).

    Asked of a Store, the current version is the store's `data_version()` (one read per script
    run in the app; in the lake, reading the table each time is a catalog round trip); asked of
    a cursor (inside the upkeep's transaction), it is read at that transaction's snapshot."""
    columns = "m.built_for_version, m.students, m.employers, m.universities, m.format"
    try:
        if isinstance(store, Store):
            found = store.rows(f"SELECT {columns} FROM {META_TABLE} m")
            rows = [(*row, store.data_version()) for row in found]
        else:
            # DuckDB 2 aborts a transaction on any failed statement: ask whether the table
            # exists rather than catching the error of reading it.
            if not store.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                                 [META_TABLE]).fetchall()[0][0]:
                return None
            rows = store.execute(f"SELECT {columns}, (SELECT max(version) FROM data_version) "
                                 f"FROM {META_TABLE} m").fetchall()
    except (duckdb.CatalogException, duckdb.BinderException):
        return None  # never built, or built by code from before the format column
    if not rows:
        return None
    return tuple(int(v or 0) for v in rows[0])  # type: ignore[return-value]


def _meta(store: Store) -> tuple[int, int, int, int] | None:
    row = _meta_row(store)
    if row is None:
        return None
    built, students, employers, universities, facts_format, current = row
    # Newer facts than the version asked about are good too: versions only grow, and a script
    # run holds one version from its start while another thread may bring the facts up to date
    # with an upload committed since (its answers then include that upload, a run early).
    if built < current or facts_format != FACTS_FORMAT:
        return None
    return students, employers, universities, built


def current_facts(store: Store) -> Facts:
    """The relation to query: the facts tables, brought up to date first if the data changed."""
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
    """Bring the facts tables up to date with the data; return the seconds spent (0.0: fresh).

    Facts of this FACTS_FORMAT that hold other batches than the ones loaded now are updated
    batch by batch (`_apply_batches`); anything else, or `force=True`, is a full rebuild
    (`_build`). Runs in its own transaction on this thread's cursor, reading one snapshot: the
    facts record the data version of that snapshot, so an upload committing meanwhile just
    makes them stale again (the next call catches up). The data version is not bumped: the
    facts never change what the metrics say, only how fast they say it. One refresh at a time
    per store.
    """
    with _build_lock(store):
        if not force and _meta(store) is not None:
            return 0.0
        started = time.perf_counter()
        cur = store.cursor()
        # The facts' row order means nothing (no query reads them in storage order), and not
        # keeping it lets DuckDB write them with less memory (a 10,000,000-row batch into as
        # many placements ran out of the default limit keeping it).
        cur.execute("SET SESSION preserve_insertion_order = false")
        # The facts' text columns are all low-cardinality (dictionary-compressed); trying FSST on
        # each of them per row group costs about a tenth of the build's CPU and is never chosen.
        # A global setting: a write running meanwhile on another thread just compresses its text
        # without FSST (a larger file, the same data).
        cur.execute(f"SET disabled_compression_methods = '{_NO_FSST}'")
        cur.execute("BEGIN TRANSACTION")
        try:
            version = int(cur.execute("SELECT max(version) FROM data_version").fetchall()[0][0] or 0)
            row = None if force else _meta_row(cur)
            if row is None or row[4] != FACTS_FORMAT or not _apply_batches(cur, row[1]):
                _build(cur)
            seconds = time.perf_counter() - started
            cur.execute(f"""
                CREATE OR REPLACE TABLE {META_TABLE} (
                    built_for_version BIGINT, format INTEGER, students BIGINT, employers BIGINT,
                    universities BIGINT, build_seconds DOUBLE, built_at TIMESTAMP)""")
            cur.execute(
                f"INSERT INTO {META_TABLE} SELECT ?, ?, "
                f"(SELECT coalesce(max(student_no), 0) FROM {STUDENTS_TABLE}), "
                f"(SELECT count(*) FROM {EMPLOYERS_TABLE}), "
                f"(SELECT count(*) FROM {UNIVERSITIES_TABLE}), ?, current_timestamp",
                [version, FACTS_FORMAT, seconds],
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.execute("RESET SESSION preserve_insertion_order")
            cur.execute("RESET disabled_compression_methods")
        return time.perf_counter() - started


def rebuild_facts(store: Store) -> float:
    """The full rebuild from `placements` (migrations, and the oracle the tests hold the
    incremental upkeep to)."""
    return refresh_facts(store, force=True)


_LOADED_BATCHES: Final = "SELECT batch_id FROM batches WHERE undone_at IS NULL"


def _build(cur: duckdb.DuckDBPyConnection) -> None:
    """Every facts table afresh from `placements`."""
    # Dense student numbers for bitmap distinct counts, keyed by a 64-bit hash of the pseudonym:
    # joining on the 64-character pseudonym itself needs about twice the memory at 10M rows.
    # Two different students only merge if their pseudonyms share a 64-bit hash, which for S
    # students happens with probability about S^2 / 2^65 (2 in a million at 7.8M students).
    # Each student's first placement (smallest row id here; increments keep one marked row per
    # student, not necessarily that one) is marked in the facts: counting marked rows gives a
    # lower bound of a cell's distinct students for the price of a plain count, so the exact
    # distinct count is only needed for cells near the threshold.
    # The students' numbers and first rows in one table, so the facts join it once (a second
    # hash join of every row on the student was a third of the build's CPU time at 1M rows).
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE metrics_first_rows AS
        SELECT student_hash, first_row, CAST(row_number() OVER () AS INTEGER) AS student_no,
               true AS new
        FROM (SELECT hash(student_id) AS student_hash, min(rowid) AS first_row
              FROM placements WHERE student_id IS NOT NULL GROUP BY ALL)""")
    cur.execute(f"""
        CREATE OR REPLACE TABLE {STUDENTS_TABLE} AS
        SELECT student_hash, student_no FROM metrics_first_rows""")
    cur.execute(f"""
        CREATE OR REPLACE TABLE {UNIVERSITIES_TABLE} AS
        SELECT university, CAST(row_number() OVER (ORDER BY university) AS INTEGER) AS university_no
        FROM (SELECT DISTINCT university FROM placements WHERE university IS NOT NULL)""")
    cur.execute(f"""
        CREATE OR REPLACE TABLE {CURRENCIES_TABLE} AS
        SELECT CAST(row_number() OVER (ORDER BY currency) AS USMALLINT) AS currency_no, currency
        FROM (SELECT DISTINCT currency FROM placements WHERE currency IS NOT NULL)""")
    cur.execute(f"""
        CREATE OR REPLACE TABLE {SPELLINGS_TABLE} AS
        SELECT batch_id, employer_key, employer, CAST(count(*) AS BIGINT) AS c FROM placements
        WHERE employer_key IS NOT NULL GROUP BY ALL""")
    cur.execute(f"""
        CREATE OR REPLACE TABLE {EMPLOYERS_TABLE} AS
        SELECT employer_key, CAST(row_number() OVER (ORDER BY employer_key) AS INTEGER) AS employer_no,
               employer, n
        FROM ({_display_names(None)})""")
    # Terms numbered in calendar order here (increments append new terms at the end; labels,
    # not numbers, decide the order shown).
    cur.execute(f"""
        CREATE OR REPLACE TABLE {TERMS_TABLE} AS
        SELECT CAST(row_number() OVER (ORDER BY term_year, season_order, term) AS INTEGER) AS term_no, term
        FROM (SELECT DISTINCT term, term_year, {_SEASON_ORDER_SQL} AS season_order
              FROM placements WHERE term IS NOT NULL)""")
    cur.execute(f"CREATE OR REPLACE TABLE {FACTS_TABLE} AS {_facts_select(_WITH_ROW_IDS)}")
    cur.execute("DROP TABLE metrics_first_rows")
    cur.execute(f"CREATE OR REPLACE TABLE {BATCHES_TABLE} AS {_LOADED_BATCHES}")


def _display_names(keys_relation: str | None) -> str:
    """employer_key, display name (most frequent spelling; ties alphabetical) and placements,
    from the spellings of the batches held (only the keys in `keys_relation`, when given)."""
    only = f"WHERE employer_key IN (SELECT employer_key FROM {keys_relation})" if keys_relation else ""
    return f"""
        SELECT employer_key, first(employer ORDER BY c DESC, employer) AS employer,
               CAST(sum(c) AS BIGINT) AS n
        FROM (SELECT employer_key, employer, sum(c) AS c FROM {SPELLINGS_TABLE} {only} GROUP BY ALL)
        GROUP BY employer_key"""


def _facts_select(source: str) -> str:
    """The facts rows of `source` (placements, or the rows of the batches being added, with each
    row's `row_id`), numbers looked up. The students' numbers are read from metrics_first_rows
    (every student of `source`: number, first row, and whether the student is `new`, that is
    has no rows outside `source`). A row without a student is its own student, and a new
    student's first row is marked; students who had rows before keep their one marked row
    (`_mark_first_rows` gives one to those who have none)."""
    return f"""
        SELECT *, {FLAGS_SQL} AS flags, {ATTRS_SQL} AS attrs FROM (
        SELECT {FACT_COLUMNS}, s.student_no, e.employer_no, u.university_no, t.term_no,
               c.currency_no, (s.student_no IS NULL OR (s.new AND p.row_id = s.first_row)) AS first_of_student
        FROM (SELECT *, {_STUDENT_HASH} AS student_hash FROM {source}) AS p
        LEFT JOIN {_batch_basis(source)} USING (batch_id)
        LEFT JOIN metrics_first_rows s USING (student_hash)
        LEFT JOIN (SELECT employer_key, employer_no FROM {EMPLOYERS_TABLE}) e USING (employer_key)
        LEFT JOIN {UNIVERSITIES_TABLE} u USING (university)
        LEFT JOIN {CURRENCIES_TABLE} c USING (currency)
        LEFT JOIN {TERMS_TABLE} t USING (term))"""


_WITH_ROW_IDS: Final = "(SELECT *, rowid AS row_id FROM placements)"


def _apply_batches(cur: duckdb.DuckDBPyConnection, students_max: int) -> bool:
    """Add the batches loaded since the facts were made and remove the ones undone since;
    False (nothing applied) when the batches are the same: the data changed some other way,
    and only a full rebuild can tell how."""
    try:
        held = {int(b) for (b,) in cur.execute(f"SELECT batch_id FROM {BATCHES_TABLE}").fetchall()}
    except duckdb.CatalogException:
        return False
    loaded = {int(b) for (b,) in cur.execute(_LOADED_BATCHES).fetchall()}
    added, removed = sorted(loaded - held), sorted(held - loaded)
    if not added and not removed:
        return False
    cur.execute("CREATE OR REPLACE TEMP TABLE metrics_touched (employer_key VARCHAR)")
    cur.execute("CREATE OR REPLACE TEMP TABLE metrics_marks (student_no INTEGER)")
    if removed:
        _remove_batches(cur, removed)
    if added:
        _add_batches(cur, added, students_max)
    # Display names and sizes of the employers these batches touched, from the spellings held.
    cur.execute(f"CREATE OR REPLACE TEMP TABLE metrics_renamed AS {_display_names('metrics_touched')}")
    cur.execute(f"""
        UPDATE {EMPLOYERS_TABLE} AS e SET employer = r.employer, n = r.n
        FROM metrics_renamed r WHERE e.employer_key = r.employer_key""")
    cur.execute(f"""
        DELETE FROM {EMPLOYERS_TABLE} WHERE employer_key IN (SELECT employer_key FROM metrics_touched)
          AND employer_key NOT IN (SELECT employer_key FROM metrics_renamed)""")
    cur.execute("DROP TABLE metrics_touched")
    cur.execute("DROP TABLE metrics_renamed")
    _mark_first_rows(cur)
    return True


def _mark_first_rows(cur: duckdb.DuckDBPyConnection) -> None:
    """Give each student in metrics_marks (the added batches' returning students, and those
    whose marked row left with an undone batch) one marked row again, if they have rows and
    none is marked."""
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE metrics_unmarked AS
        SELECT DISTINCT m.student_no FROM metrics_marks m
        WHERE NOT EXISTS (SELECT 1 FROM {FACTS_TABLE} f
                          WHERE f.student_no = m.student_no AND f.first_of_student)""")
    cur.execute(f"""
        UPDATE {FACTS_TABLE} SET first_of_student = true, flags = flags | {FIRST_BIT} WHERE rowid IN (
            SELECT min(rowid) FROM {FACTS_TABLE}
            WHERE student_no IN (SELECT student_no FROM metrics_unmarked) GROUP BY student_no)""")
    cur.execute("DROP TABLE metrics_marks")
    cur.execute("DROP TABLE metrics_unmarked")


def _in_list(ids: list[int]) -> str:
    # Literal integers (they come from the batches table, typed BIGINT): a constant IN list lets
    # DuckDB skip every row group whose batch_id range cannot match (zone maps).
    return "(" + ", ".join(str(int(i)) for i in ids) + ")"


def _remove_batches(cur: duckdb.DuckDBPyConnection, batches: list[int]) -> None:
    ids = _in_list(batches)
    cur.execute(f"INSERT INTO metrics_marks SELECT student_no FROM {FACTS_TABLE} "
                f"WHERE batch_id IN {ids} AND first_of_student AND student_no IS NOT NULL")
    cur.execute(f"DELETE FROM {FACTS_TABLE} WHERE batch_id IN {ids}")
    cur.execute(f"INSERT INTO metrics_touched SELECT DISTINCT employer_key FROM {SPELLINGS_TABLE} "
                f"WHERE batch_id IN {ids}")
    cur.execute(f"DELETE FROM {SPELLINGS_TABLE} WHERE batch_id IN {ids}")
    cur.execute(f"DELETE FROM {BATCHES_TABLE} WHERE batch_id IN {ids}")


def _add_batches(cur: duckdb.DuckDBPyConnection, batches: list[int], students_max: int) -> None:
    ids = _in_list(batches)
    # A small batch is copied into a temporary table: its exact size lets DuckDB build each
    # join's hash table on the batch's side, not on the (large) numbering tables. A large one is
    # read where it lies (the batch id range skips every other row group): a copy held it all
    # in memory, and a 10,000,000-row batch ran out of the store's memory limit that way.
    in_place = f"(SELECT *, rowid AS row_id FROM placements WHERE batch_id IN {ids})"
    size = int(cur.execute(f"SELECT count(*) FROM {in_place}").fetchall()[0][0])
    copied = size <= COPIED_BATCH_ROWS
    if copied:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE metrics_batch_rows AS {in_place[1:-1]}")
    rows = "metrics_batch_rows" if copied else in_place
    # The batch's students, each with its first row here and its number if it has one; new keys
    # get the next free numbers. The batch's keys are looked up, never the table scanned row by
    # row in Python. A new student's first row is marked as the facts rows are written, so only
    # returning students can need a mark afterwards (an UPDATE of the facts: marking every row of
    # a 10,000,000-row batch that way cost more than a full rebuild).
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE metrics_batch_students AS
        SELECT b.student_hash, b.first_row, s.student_no
        FROM (SELECT {_STUDENT_HASH} AS student_hash, min(row_id) AS first_row FROM {rows}
              WHERE student_id IS NOT NULL GROUP BY ALL) b
        LEFT JOIN {STUDENTS_TABLE} s USING (student_hash)""")
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE metrics_first_rows AS
        SELECT student_hash, first_row, student_no, false AS new
        FROM metrics_batch_students WHERE student_no IS NOT NULL
        UNION ALL
        SELECT student_hash, first_row, CAST(? + row_number() OVER () AS INTEGER), true
        FROM metrics_batch_students WHERE student_no IS NULL""", [students_max])
    cur.execute("DROP TABLE metrics_batch_students")
    cur.execute(f"INSERT INTO {STUDENTS_TABLE} SELECT student_hash, student_no FROM metrics_first_rows "
                "WHERE new")
    cur.execute(f"""
        INSERT INTO {UNIVERSITIES_TABLE}
        SELECT university, CAST((SELECT coalesce(max(university_no), 0) FROM {UNIVERSITIES_TABLE})
                                + row_number() OVER (ORDER BY university) AS INTEGER)
        FROM (SELECT DISTINCT university FROM {rows} WHERE university IS NOT NULL) b
        ANTI JOIN {UNIVERSITIES_TABLE} USING (university)""")
    cur.execute(f"""
        INSERT INTO {CURRENCIES_TABLE}
        SELECT CAST((SELECT coalesce(max(currency_no), 0) FROM {CURRENCIES_TABLE})
                    + row_number() OVER (ORDER BY currency) AS USMALLINT), currency
        FROM (SELECT DISTINCT currency FROM {rows} WHERE currency IS NOT NULL) b
        ANTI JOIN {CURRENCIES_TABLE} USING (currency)""")
    cur.execute(f"""
        INSERT INTO {TERMS_TABLE}
        SELECT CAST((SELECT coalesce(max(term_no), 0) FROM {TERMS_TABLE})
                    + row_number() OVER (ORDER BY term_year, season_order, term) AS INTEGER), term
        FROM (SELECT DISTINCT term, term_year, {_SEASON_ORDER_SQL} AS season_order
              FROM {rows} WHERE term IS NOT NULL) b
        ANTI JOIN {TERMS_TABLE} USING (term)""")
    cur.execute(f"""
        INSERT INTO {SPELLINGS_TABLE}
        SELECT batch_id, employer_key, employer, CAST(count(*) AS BIGINT) FROM {rows}
        WHERE employer_key IS NOT NULL GROUP BY ALL""")
    cur.execute(f"INSERT INTO metrics_touched SELECT DISTINCT employer_key FROM {rows} "
                "WHERE employer_key IS NOT NULL")
    # Placeholders for new employers (name and size are filled in from the spellings after).
    cur.execute(f"""
        INSERT INTO {EMPLOYERS_TABLE}
        SELECT employer_key, CAST((SELECT coalesce(max(employer_no), 0) FROM {EMPLOYERS_TABLE})
                                  + row_number() OVER (ORDER BY employer_key) AS INTEGER), NULL, 0
        FROM (SELECT DISTINCT employer_key FROM {rows} WHERE employer_key IS NOT NULL) b
        ANTI JOIN {EMPLOYERS_TABLE} USING (employer_key)""")
    cur.execute(f"INSERT INTO {FACTS_TABLE} {_facts_select(rows)}")
    cur.execute("INSERT INTO metrics_marks SELECT student_no FROM metrics_first_rows WHERE NOT new")
    cur.execute("DROP TABLE metrics_first_rows")
    cur.execute(f"INSERT INTO {BATCHES_TABLE} SELECT unnest(?::BIGINT[])", [batches])
    if copied:
        cur.execute("DROP TABLE metrics_batch_rows")
