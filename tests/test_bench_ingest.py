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
