"""An import killed with SIGKILL leaves the database as it was, and openable; a database held by
another process is reported as held, in plain words."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analytics.ingest import import_file
from analytics.ingest.pipeline import PAUSE_ENV_VAR
from analytics.store import Store
from tests.ingest.conftest import REAL

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "placements.csv"


def _seed(db: Path) -> dict[str, int]:
    store = Store(db)
    try:
        import_file(store, REAL / "abhishek_internships.csv")
        return store.table_counts()
    finally:
        store.close()


def _ingest(db: Path, path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "analytics.cli", "ingest", str(path), "--db", str(db)],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_an_import_killed_before_commit_leaves_the_database_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "crash.duckdb"
    before = _seed(db)
    process = _ingest(db, SAMPLE, {PAUSE_ENV_VAR: "60"})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # every row written, quarantine too, not committed
        assert line.startswith("ingest: rows written for batch 2"), line
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    store = Store(db)  # opens (and replays its log) without complaint
    try:
        assert store.table_counts() == before
        assert store.rows("SELECT batch_id, file_name FROM batches") == [(1, "abhishek_internships.csv")]
        # and works: the same file imports normally now
        report = import_file(store, SAMPLE)
        assert report.rows_loaded == 5000
        assert store.table_counts()["placements"] == before["placements"] + 5000
    finally:
        store.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_an_import_killed_at_any_moment_is_all_or_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crash.duckdb"
    before = _seed(db)
    process = _ingest(db, SAMPLE, {})
    time.sleep(1.0)  # somewhere in opening, reading, writing or committing
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    store = Store(db)
    try:
        after = store.table_counts()
        committed = after["batches"] == 2
        assert after["placements"] == before["placements"] + (5000 if committed else 0)
        assert store.scalar("SELECT count(*) FROM placements WHERE batch_id IS NULL OR batch_id < 0") == 0
    finally:
        store.close()


def test_ingesting_while_another_process_holds_the_database_says_so(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    _seed(db)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('ready', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = subprocess.run(
            [sys.executable, "-m", "analytics.cli", "ingest", str(REAL / "njit_sample_data.csv"),
             "--db", str(db)],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        holder.wait(timeout=30)
    assert result.returncode == 2
    assert "is in use by another process" in result.stderr and "Traceback" not in result.stderr
    store = Store(db)
    try:
        assert store.table_counts()["batches"] == 1
    finally:
        store.close()
