"""The two installs share embedded files. The default install (.venv, DuckDB 2.0) writes them in
the 1.5 storage format, so the lake install (this venv, DuckDB 1.5.5) reads them: migrate-to-lake
copies a file the default install made, and anyone can go back. Files 1.5.5 wrote (users'
existing databases) keep opening on 2.0. One process cannot import both releases: the default
install runs here as a subprocess of its own venv's Python.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from analytics.cli import main as cli_main
from analytics.ingest.load import KEY_ENV_VAR, load_canonical_csv
from analytics.store import LakeStore, Store
from analytics.store.lake import LAKE_DUCKDB
from tests.conftest import REPO, SAMPLE_CSV
from tests.lake.battery import assert_same_answers, every_metric

DEFAULT_PYTHON = REPO / ".venv" / "bin" / "python"
SAMPLE_ROWS = sum(1 for _ in SAMPLE_CSV.open(encoding="utf-8")) - 1  # the header line

# Run by the default install: open (or make) the file at argv[1] through the store, load the CSV
# at argv[2] when given, and print what it sees.
DEFAULT_SCRIPT = """
import json, sys
from pathlib import Path
import duckdb
from analytics import metrics
from analytics.access import LOCAL_ADMIN
from analytics.ingest.load import load_canonical_csv
from analytics.store import Store
store = Store(sys.argv[1])
if len(sys.argv) > 2:
    load_canonical_csv(store, Path(sys.argv[2]))
print(json.dumps({
    "duckdb": duckdb.__version__,
    "counts": store.table_counts(),
    "placements": int(metrics.overview(store, LOCAL_ADMIN, min_cell=0)["placements"][0]),
    "storage": store.scalar("SELECT tags['storage_version'] FROM duckdb_databases() "
                            "WHERE database_name = current_database()"),
}))
store.close()
"""


def run_default_install(*args: str) -> dict[str, object]:
    if not DEFAULT_PYTHON.exists():
        pytest.fail(f"needs the default install's venv at {DEFAULT_PYTHON} (make dev)")
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV_VAR}  # the file keeps its own key
    done = subprocess.run([str(DEFAULT_PYTHON), "-c", DEFAULT_SCRIPT, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    seen: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert str(seen["duckdb"]).startswith("2."), seen  # the default install is DuckDB 2.0
    return seen


def storage_version(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return str(con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                               "WHERE database_name = current_database()").fetchall()[0][0])
    finally:
        con.close()


def test_this_is_the_lake_install() -> None:
    assert duckdb.__version__ == LAKE_DUCKDB


def test_a_file_the_default_install_made_is_read_here_and_migrates_to_a_lake(
        new_lake: Callable[[], tuple[str, Path]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "made-by-2.duckdb"
    made = run_default_install(str(db), str(SAMPLE_CSV))
    assert made["placements"] == SAMPLE_ROWS
    assert made["storage"] == "v1.5.0+"
    assert storage_version(db) == "v1.5.0+"  # as DuckDB 1.5.5 reads the file's header

    monkeypatch.delenv(KEY_ENV_VAR)  # the file pseudonymises with its own key file
    embedded = Store(db, read_only=True)
    try:
        assert embedded.table_counts() == made["counts"]
        expected = every_metric(embedded)
    finally:
        embedded.close()
    url, data = new_lake()
    assert cli_main(["migrate-to-lake", "--db", str(db), "--to", url, "--data", str(data)]) == 0
    lake = LakeStore(url)
    try:
        assert lake.table_counts()["placements"] == SAMPLE_ROWS
        assert_same_answers(every_metric(lake), expected)
    finally:
        lake.close()


def test_a_file_duckdb_1_5_made_keeps_opening_on_the_default_install(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Made as the project made files before the default install moved to 2.0: by 1.5.5 with its
    # own default storage format, then filled through the store.
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    db = tmp_path / "made-by-1.5.duckdb"
    duckdb.connect(str(db)).close()
    before = storage_version(db)
    store = Store(db)
    load_canonical_csv(store, SAMPLE_CSV)
    counts = store.table_counts()
    store.close()

    seen = run_default_install(str(db))
    assert seen["counts"] == counts
    assert seen["placements"] == SAMPLE_ROWS
    assert seen["storage"] == before  # 2.0 left the file in the format it had
    assert storage_version(db) == before  # and 1.5.5 still opens it
