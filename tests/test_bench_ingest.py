"""benchmarks/bench_ingest.py --statements: one `internships ingest`, its time statement by statement."""

from __future__ import annotations

from pathlib import Path

from analytics.cli.base import SAMPLE_CSV
from analytics.store import Store, base
from benchmarks.bench_ingest import profile_statements, render_statements

ROWS = 30


def test_the_profile_names_the_load_and_the_facts_build_and_leaves_the_store_as_it_was(
        tmp_path: Path) -> None:
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    source = tmp_path / "placements.csv"
    source.write_text("".join(lines[:ROWS + 1]), encoding="utf-8")  # the header and 30 rows
    db = tmp_path / "profiled.duckdb"
    original = base.Store.cursor

    wall, cpu, statements = profile_statements(source, db)

    assert base.Store.cursor is original  # the timing wrapper is gone again
    by_start = {t.sql.split(" (")[0]: t for t in statements}
    assert by_start["INSERT INTO placements"].calls == 1  # the whole file in one statement
    assert any(t.sql.startswith("CREATE OR REPLACE TABLE metrics_facts AS") for t in statements)
    assert [t.cpu_seconds for t in statements] == sorted((t.cpu_seconds for t in statements),
                                                         reverse=True)
    # The statements ran inside the command, so together they took no more than it did.
    assert sum(t.seconds for t in statements) <= wall
    assert sum(t.cpu_seconds for t in statements) <= cpu + 0.02  # rusage ticks
    store = Store(db)
    try:
        assert store.rows("SELECT count(*) FROM placements") == [(ROWS,)]
        assert store.rows("SELECT count(*) FROM metrics_facts") == [(ROWS,)]
    finally:
        store.close()
    table = render_statements(wall, cpu, statements, top=3)
    assert len(table.splitlines()) == 3 + 3  # the total, the header, its rule, three statements


def test_the_floor_stores_the_importers_pseudonyms_and_copies_only_columns_the_facts_keep(
        tmp_path: Path) -> None:
    """The floor is a lower bound only if it does the importer's real pseudonymisation and no
    more of the facts than they hold."""
    import duckdb

    from analytics.ingest.load import pseudonym
    from benchmarks.bench_ingest import floor_statements

    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    source = tmp_path / "placements.csv"
    source.write_text("".join(lines[:ROWS + 1]), encoding="utf-8")
    key = bytes(range(32))
    (load, copy), pads = floor_statements(source, key)
    con = duckdb.connect(str(tmp_path / "floor.duckdb"))
    con.execute(load, [bytes.fromhex(h) for h in pads])
    con.execute(copy)
    raw = duckdb.sql(f"SELECT university, student_id FROM read_csv('{source}', all_varchar = true)")
    expected = sorted(pseudonym(key, university, student) for university, student in raw.fetchall()
                      if student is not None)
    stored = con.execute("SELECT student_id FROM placements WHERE student_id IS NOT NULL").fetchall()
    assert len(expected) == ROWS and sorted(r[0] for r in stored) == expected
    copied = {r[0] for r in con.execute("DESCRIBE dashboard_copy").fetchall()}
    con.close()
    imported = tmp_path / "imported.duckdb"
    profile_statements(source, imported)  # a real `internships ingest` of the same file
    store = Store(imported)
    try:
        facts = {r[0] for r in store.rows("DESCRIBE metrics_facts")}
    finally:
        store.close()
    assert copied <= facts and len(copied) >= 20


def test_our_load_statement_alone_writes_the_rows_a_real_import_writes(tmp_path: Path) -> None:
    """The load statement is ours only if, run alone, it stores what a whole import stores: the
    same rows, value for value, but for the pseudonyms (another key) and the random record keys;
    and taking it stopped that import before it loaded anything."""
    import json
    import subprocess
    import sys

    from analytics.ingest.pipeline import import_file
    from benchmarks.bench_ingest import _LOAD_PROGRAM, load_statement

    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    source = tmp_path / "placements.csv"
    source.write_text("".join(lines[:ROWS + 1]), encoding="utf-8")
    spec = load_statement(source)
    assert spec["insert"].lstrip().startswith("INSERT INTO placements")
    assert ("preserve_insertion_order", "false") in spec["settings"]
    (tmp_path / "load.json").write_text(json.dumps(spec))
    alone = tmp_path / "alone.duckdb"
    done = subprocess.run([sys.executable, "-c", _LOAD_PROGRAM, str(alone), str(tmp_path / "load.json")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(ROWS)

    imported = Store(tmp_path / "imported.duckdb")
    try:
        report = import_file(imported, source, uploader="test")
        assert report.rows_loaded == ROWS
        columns = [c for (c,) in imported.rows(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'placements' "
            "AND column_name NOT IN ('student_id', 'record_key', 'batch_id') ORDER BY column_index")]
        listed = ", ".join(columns)
        expected = sorted(map(repr, imported.rows(f"SELECT {listed} FROM placements")))
    finally:
        imported.close()
    import duckdb

    con = duckdb.connect(str(alone), read_only=True)
    stored = sorted(map(repr, con.execute(f"SELECT {listed} FROM placements").fetchall()))
    pseudonyms = con.execute("SELECT count(DISTINCT student_id), min(length(student_id)) FROM placements "
                             "WHERE student_id IS NOT NULL").fetchall()[0]
    con.close()
    assert stored == expected and len(columns) > 40
    assert pseudonyms[0] > 0 and pseudonyms[1] == 64  # HMAC-SHA256 as hex, not the raw ids
