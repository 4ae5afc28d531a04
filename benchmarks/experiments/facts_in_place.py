"""Experiment (not the product): would writing the rows once make the whole import fast enough?

Today an import writes every row twice: into `placements` (the record) and into `metrics_facts`
(the dashboards' copy, with its numbers and flags). This runs `internships ingest` with the copy
replaced by the other design: `placements` carries the facts' columns itself (in its DDL, NULL as
loaded) and the upkeep fills them with UPDATEs (numbers looked up, flags computed, each
student's first row marked), so nothing is written a second time. Only the time is real: the
metrics are not pointed at the result, the lake and the re-clustering are left out, and it
always does the fresh build.

    python -m benchmarks.experiments.facts_in_place --pair FILE [--repeats K]

runs DuckDB alone, this, and ours as whole processes back to back K times (as bench_ingest's
whole commands) and prints each, with the upkeep's statements timed; the figures are in
benchmarks/RESULTS.md ("## Import", the notes).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# The facts' own columns, added to placements.
FACT_ONLY_COLUMNS = ("student_no INTEGER", "employer_no INTEGER", "university_no INTEGER",
                     "term_no INTEGER", "currency_no USMALLINT", "first_of_student BOOLEAN",
                     "flags UTINYINT", "attrs UTINYINT", "eligibility_basis VARCHAR",
                     "completed BOOLEAN", "eligible BOOLEAN", "eligibility_known BOOLEAN",
                     "offered BOOLEAN", "accepted BOOLEAN", "known BOOLEAN")


def _upkeep_statements() -> list[tuple[str, str]]:
    from analytics.metrics import facts as F

    basis = F.batch_basis("placements")
    return [
        ("number the students", """CREATE OR REPLACE TEMP TABLE metrics_first_rows AS
            SELECT student_hash, first_row, CAST(row_number() OVER () AS INTEGER) AS student_no
            FROM (SELECT hash(student_id) AS student_hash, min(rowid) AS first_row
                  FROM placements WHERE student_id IS NOT NULL GROUP BY ALL)"""),
        ("keep the students' numbers", f"CREATE OR REPLACE TABLE {F.STUDENTS_TABLE} AS "
                                      "SELECT student_hash, student_no FROM metrics_first_rows"),
        ("number the universities", f"""CREATE OR REPLACE TABLE {F.UNIVERSITIES_TABLE} AS
            SELECT university, CAST(row_number() OVER (ORDER BY university) AS INTEGER) AS university_no
            FROM (SELECT DISTINCT university FROM placements WHERE university IS NOT NULL)"""),
        ("number the currencies", f"""CREATE OR REPLACE TABLE {F.CURRENCIES_TABLE} AS
            SELECT CAST(row_number() OVER (ORDER BY currency) AS USMALLINT) AS currency_no, currency
            FROM (SELECT DISTINCT currency FROM placements WHERE currency IS NOT NULL)"""),
        ("count the spellings", f"""CREATE OR REPLACE TABLE {F.SPELLINGS_TABLE} AS
            SELECT batch_id, employer_key, employer, CAST(count(*) AS BIGINT) AS c FROM placements
            WHERE employer_key IS NOT NULL GROUP BY ALL"""),
        ("number the employers", f"""CREATE OR REPLACE TABLE {F.EMPLOYERS_TABLE} AS
            SELECT employer_key, CAST(row_number() OVER (ORDER BY employer_key) AS INTEGER) AS employer_no,
                   employer, n FROM ({F._display_names(None)})"""),
        ("number the terms", f"""CREATE OR REPLACE TABLE {F.TERMS_TABLE} AS
            SELECT CAST(row_number() OVER (ORDER BY term_year, season_order, term) AS INTEGER) AS term_no,
                   term
            FROM (SELECT DISTINCT term, term_year, {F._SEASON_ORDER_SQL} AS season_order
                  FROM placements WHERE term IS NOT NULL)"""),
        ("set the basis", f"""UPDATE placements p SET eligibility_basis = basis.eligibility_basis,
            completed = coalesce(status = 'completed', false)
            FROM {basis} WHERE p.batch_id = basis.batch_id"""),
        ("set the outcome flags", f"""UPDATE placements SET eligible = {F.ELIGIBLE_SQL},
            eligibility_known = {F.ELIGIBILITY_KNOWN_SQL},
            offered = coalesce(offer_extended IS TRUE OR offer_accepted IS TRUE, false),
            accepted = coalesce(offer_accepted, false),
            known = (offer_extended IS NOT NULL OR offer_accepted IS TRUE)"""),
        ("set employer numbers", f"UPDATE placements p SET employer_no = e.employer_no "
                                 f"FROM {F.EMPLOYERS_TABLE} e WHERE p.employer_key = e.employer_key"),
        ("set university numbers", f"UPDATE placements p SET university_no = u.university_no "
                                   f"FROM {F.UNIVERSITIES_TABLE} u WHERE p.university = u.university"),
        ("set term numbers", f"UPDATE placements p SET term_no = t.term_no "
                             f"FROM {F.TERMS_TABLE} t WHERE p.term = t.term"),
        ("set currency numbers", f"UPDATE placements p SET currency_no = c.currency_no "
                                 f"FROM {F.CURRENCIES_TABLE} c WHERE p.currency = c.currency"),
        ("set student numbers and first rows", """UPDATE placements p SET student_no = s.student_no,
            first_of_student = (p.rowid = s.first_row)
            FROM metrics_first_rows s WHERE hash(p.student_id) = s.student_hash"""),
        ("mark id-less rows first", "UPDATE placements SET first_of_student = true WHERE student_id IS NULL"),
        ("pack flags and attributes", f"UPDATE placements SET flags = {F.FLAGS_SQL}, attrs = {F.ATTRS_SQL}"),
        ("commit", "COMMIT"),
    ]


def run_in_place(path: Path, db: Path) -> int:
    """`internships ingest path --db db` with the facts written into placements."""
    from analytics import schema

    plain_ddl = schema.placements_ddl

    def with_fact_columns(table: str = "placements") -> str:
        ddl = plain_ddl(table).rstrip()
        return ddl[:-1].rstrip() + ",\n  " + ",\n  ".join(FACT_ONLY_COLUMNS) + "\n)"

    # Before the store's migrations are built (analytics.store.base reads the DDL at import).
    schema.placements_ddl = with_fact_columns  # type: ignore[assignment]
    import analytics.cli as cli

    def upkeep(store: Any) -> None:
        cur = store.cursor()
        cur.execute("SET preserve_insertion_order = false")
        cur.execute("BEGIN TRANSACTION")
        for what, sql in _upkeep_statements():
            started = time.perf_counter()
            cur.execute(sql)
            print(f"  {time.perf_counter() - started:6.2f} s  {what}", file=sys.stderr)

    cli._prepare_dashboards = upkeep  # type: ignore[assignment]
    return cli.main(["ingest", str(path), "--db", str(db)])


def pair(path: Path, repeats: int) -> None:
    from benchmarks.bench_ingest import TIME, measure_command

    ratios: dict[str, list[float]] = {"in place": [], "ours": []}
    for _ in range(repeats):
        alone = measure_command("duckdb_command", path)
        with tempfile.TemporaryDirectory(prefix="facts-in-place-") as tmp:
            started = time.perf_counter()
            command = [sys.executable, "-m", "benchmarks.experiments.facts_in_place", str(path),
                       str(Path(tmp) / "x.duckdb")]
            done = subprocess.run([str(TIME), "-f", "%U+%S s CPU, %M KB", *command],
                                  capture_output=True, text=True, check=True)
            in_place = time.perf_counter() - started
        ours = measure_command("ours_command", path)
        ratios["in place"].append(in_place / alone["seconds"])
        ratios["ours"].append(ours["seconds"] / alone["seconds"])
        print(f"DuckDB alone {alone['seconds']:6.2f} s | in place {in_place:6.2f} s "
              f"({done.stderr.strip().splitlines()[-1]}) | ours {ours['seconds']:6.2f} s")
        print("\n".join(line for line in done.stderr.splitlines() if line.startswith("  ")))
    for name, values in ratios.items():
        print(f"{name}: median {statistics.median(values):.2f}x DuckDB alone "
              f"({min(values):.2f}-{max(values):.2f})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.experiments.facts_in_place")
    parser.add_argument("file", type=Path)
    parser.add_argument("db", type=Path, nargs="?")
    parser.add_argument("--pair", action="store_true", help="time it against DuckDB alone and ours")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.pair:
        pair(args.file, args.repeats)
        return 0
    if args.db is None:
        parser.error("a database path is needed (or --pair)")
    return run_in_place(args.file, args.db)


if __name__ == "__main__":
    sys.exit(main())
