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
