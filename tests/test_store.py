from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from analytics.cli import main as cli_main
from analytics.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    DatabaseBusyError,
    Store,
    StoreError,
    open_store,
    resolve_db_path,
)
from analytics.store.lake import LAKE_DUCKDB


def test_new_database_has_every_table_at_the_current_version(empty_store: Store) -> None:
    assert empty_store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    assert empty_store.table_counts() == {"placements": 0, "batches": 0, "quarantine": 0}


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.duckdb"
    first = Store(path)
    first.cursor().execute("INSERT INTO batches (batch_id, file_name) VALUES (7, 'x.csv')")
    assert first.migrate() == SCHEMA_VERSION
    first.close()
    second = Store(path)  # opening migrates again
    assert second.schema_version() == SCHEMA_VERSION
    assert second.rows("SELECT count(*) FROM schema_version") == [(SCHEMA_VERSION,)]
    assert second.rows("SELECT batch_id, file_name FROM batches") == [(7, "x.csv")]
    second.close()


def test_eight_threads_query_concurrently_with_right_answers(sample_store: Store) -> None:
    expected = {
        season: sample_store.scalar("SELECT count(*) FROM placements WHERE term_season = ?", [season])
        for season in ("spring", "summer", "fall", "winter")
    }
    assert sum(expected.values()) == 5000
    errors: list[BaseException] = []
    wrong: list[tuple[str, int]] = []

    def worker(offset: int) -> None:
        try:
            seasons = list(expected)
            for i in range(50):
                season = seasons[(i + offset) % 4]
                got = sample_store.query(
                    "SELECT count(*) AS n FROM placements WHERE term_season = ?", [season]
                )["n"][0]
                if got != expected[season]:
                    wrong.append((season, got))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and wrong == []


def test_a_failed_transaction_leaves_nothing(empty_store: Store) -> None:
    version = empty_store.data_version()
    with pytest.raises(RuntimeError), empty_store.transaction() as cur:
        cur.execute("INSERT INTO batches (batch_id, file_name) VALUES (1, 'a.csv')")
        raise RuntimeError("crash mid-upload")
    assert empty_store.table_counts()["batches"] == 0
    assert empty_store.data_version() == version


def test_write_lock_held_by_another_process_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusyError) as info:
            Store(path)
        message = str(info.value)
        assert str(path) in message
        assert "dashboard or another import" in message
        assert "try again" in message
    finally:
        holder.communicate("")


def test_db_path_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERNSHIPS_DB", raising=False)
    assert resolve_db_path(None) == Path("data/internships.duckdb")
    monkeypatch.setenv("INTERNSHIPS_DB", "/tmp/env.duckdb")
    assert resolve_db_path(None) == Path("/tmp/env.duckdb")
    assert resolve_db_path("/tmp/flag.duckdb") == Path("/tmp/flag.duckdb")


def test_open_store_gives_one_instance_per_file(tmp_path: Path) -> None:
    from analytics.store import close_all

    a = open_store(tmp_path / "one.duckdb")
    b = open_store(str(tmp_path / "one.duckdb"))
    assert a is b
    close_all()


def test_a_script_run_holds_one_data_version_and_its_own_writes_move_it(empty_store: Store) -> None:
    def write() -> None:
        with empty_store.transaction() as cur:
            cur.execute("INSERT INTO batches (batch_id, file_name) VALUES (nextval('batch_ids'), 'x.csv')")

    start = empty_store.data_version()
    with empty_store.one_data_version() as pinned:
        assert pinned == start
        # Another session's upload (another thread) commits during this run: the run keeps
        # the version it started with, so every cache key and check in it agrees.
        other = threading.Thread(target=write)
        other.start()
        other.join()
        assert empty_store.data_version() == start
        with empty_store.one_data_version() as inner:  # nested: still the same run
            assert inner == start
        write()  # this run's own upload: it must see its own write from here on
        assert empty_store.data_version() == start + 2
    # Outside a run, and at the next run, the version is read afresh.
    assert empty_store.data_version() == start + 2
    with empty_store.one_data_version() as next_run:
        assert next_run == start + 2


def _held_in_memory(store: Store) -> float:
    """Bytes DuckDB holds for committed changes not yet written into the file."""
    return float(store.scalar("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
                              "WHERE tag = 'IN_MEMORY_TABLE'"))


def test_checkpoint_writes_an_import_into_the_file_and_releases_its_memory(tmp_path: Path) -> None:
    from analytics.cli import SAMPLE_CSV
    from analytics.ingest.load import load_canonical_csv

    path = tmp_path / "checkpoint.duckdb"
    store = Store(path)
    try:
        load_canonical_csv(store, SAMPLE_CSV)
        # A committed import below DuckDB's automatic checkpoint stays in memory (and the log).
        assert _held_in_memory(store) > 0
        store.checkpoint()
        assert _held_in_memory(store) == 0
        counted = store.table_counts()["placements"]
    finally:
        store.close()
    reopened = Store(path, read_only=True)
    try:
        assert reopened.table_counts()["placements"] == counted > 0
    finally:
        reopened.close()


def test_a_checkpoint_during_another_write_says_so_and_is_done_once_it_ends(tmp_path: Path) -> None:
    store = Store(tmp_path / "busy.duckdb")
    try:
        with store.transaction() as cur:
            cur.execute("CREATE TABLE scratch (i INTEGER)")
        other = store._con.cursor()  # another thread's connection, mid-write (say, the facts upkeep)
        other.execute("BEGIN")
        # A new table mid-transaction, as the facts' clustering builds one (DuckDB lets a
        # checkpoint run beside plain inserts, not beside this).
        other.execute("CREATE TABLE scratch_sorted AS SELECT 1 AS i")
        assert store.checkpoint() is False  # no exception: the write goes on untouched
        other.execute("COMMIT")
        assert store.checkpoint() is True
        assert _held_in_memory(store) == 0
        assert store.scalar("SELECT count(*) FROM scratch_sorted") == 1
    finally:
        store.close()


def test_query_keeps_the_engine_types_even_without_rows(tmp_path: Path) -> None:
    # Store.query reads an executed statement as Arrow (not DuckDB's relation API): the column
    # types are the engine's, with no rows too.
    store = Store(tmp_path / "types.duckdb")
    try:
        sql = ("SELECT CAST(range + 7 AS USMALLINT) AS small, 'x' AS text, CAST(2.5 AS DOUBLE) AS real, "
               "count_if(true) AS hugeint FROM range(1) WHERE ? GROUP BY ALL")
        full, empty = store.query(sql, [True]), store.query(sql, [False])
        assert full.rows() == [(7, "x", 2.5, 1)]
        assert empty.height == 0
        assert full.schema == empty.schema
        assert [str(t) for t in full.schema.dtypes()][:3] == ["UInt16", "String", "Float64"]
    finally:
        store.close()


def test_a_new_file_is_written_in_the_format_duckdb_1_5_reads(tmp_path: Path) -> None:
    # The lake install (DuckDB 1.5.5) must open files the default install (2.0) makes: 2.0's own
    # format (v2.0.0+) it cannot read.
    path = tmp_path / "new.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        tags = con.execute("SELECT tags FROM duckdb_databases() "
                           "WHERE database_name = current_database()").fetchall()[0][0]
    finally:
        con.close()
    assert tags["storage_version"] == "v1.5.0+"


@pytest.mark.skipif(duckdb.__version__ == LAKE_DUCKDB, reason="the lake install can open a lake")
def test_a_lake_url_without_the_lake_install_says_how_to_get_it(capsys: pytest.CaptureFixture[str]) -> None:
    url = "ducklake:postgresql://analyst@127.0.0.1:1/outcomes"
    with pytest.raises(StoreError, match=r"lake install: pip install 'internship-outcomes\[lake\]'"):
        Store(url)
    assert cli_main(["info", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"DuckDB {LAKE_DUCKDB}" in err and f"this one has DuckDB {duckdb.__version__}" in err
