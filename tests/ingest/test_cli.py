"""`internships ingest / batches / undo / rejected`: output, JSON and exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import store as store_module
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.cli import main
from tests.ingest.conftest import BAD, REAL, write

Capture = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def _release_databases() -> Iterator[None]:
    yield
    store_module.close_all()


def run(capsys: Capture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    store_module.close_all()
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_reports_each_file_and_exits_by_the_worst(capsys: Capture, tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    code, out, err = run(capsys, "ingest", str(REAL / "abhishek_internships.csv"), "--db", db)
    assert code == 0 and err == ""
    assert out.startswith(
        "abhishek_internships.csv: read 33 rows, loaded 32 as batch 1, rejected 0, duplicate 1.")
    assert "not imported: Posted_On, Last_Date" in out
    code, out, _ = run(capsys, "ingest", str(REAL / "njit_sample_data.csv"), "--db", db)
    assert code == 1  # four rows rejected
    assert "4  employer: employer is missing (required)" in out
    assert "e.g. row 2, column 'employer', value ' ': employer is missing (required)" in out


def test_ingest_json_has_one_object_per_file(capsys: Capture, tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    code, out, _ = run(capsys, "ingest", str(REAL / "kinjal_internship.csv"), str(BAD / "empty.csv"),
                       str(REAL / "kinjal_internship.csv"), "--db", db, "--json")
    assert code == 2  # the empty file could not be read
    first, empty, again = (json.loads(line) for line in out.splitlines())
    keys = ("file", "rows_read", "rows_loaded", "rows_rejected", "rows_duplicate", "batch_id")
    assert {k: first[k] for k in keys} == \
        {"file": "kinjal_internship.csv", "rows_read": 100, "rows_loaded": 100, "rows_rejected": 0,
         "rows_duplicate": 0, "batch_id": 1}
    assert first["rejected_reasons"] == {} and "Number of openings" in first["unmapped_columns"]
    assert empty["file"] == "empty.csv" and empty["error"] == "empty.csv: the file is empty."
    assert (again["already_imported_as"], again["rows_loaded"], again["rows_duplicate"]) == (1, 0, 100)


def test_ingest_with_a_saved_mapping(capsys: Capture, tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    code, out, _ = run(capsys, "ingest", str(REAL / "adithi_internship.csv"), "--db", db, "--json",
                       "--mapping", str(REAL / "adithi_internship.mapping.json"))
    report = json.loads(out)
    assert code == 0 and report["rows_loaded"] == 987 and report["rows_duplicate"] == 37
    assert report["mapping"]["defaults"] == {"currency": "INR", "pay_period": "month", "country": "IN"}


def test_a_broken_mapping_or_a_missing_file_exits_2(capsys: Capture, tmp_path: Path) -> None:
    bad_map = write(tmp_path / "map.json", '{"columns": {"a": "boss"}}')
    code, _, err = run(capsys, "ingest", str(REAL / "njit_sample_data.csv"), "--mapping", str(bad_map),
                       "--db", str(tmp_path / "x.duckdb"))
    assert code == 2 and "the mapping" in err and "'boss', which is not a field" in err
    code, _, err = run(capsys, "ingest", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "x.duckdb"))
    assert code == 2 and "nope.csv: no such file" in err and "Traceback" not in err
    code, _, err = run(capsys, "ingest", str(BAD / "binary.csv"), "--db", str(tmp_path / "x.duckdb"))
    assert code == 2 and err.strip() == ("internships ingest: binary.csv: the file holds binary data, not "
                                         "text. Upload a CSV, Excel (.xlsx) or Parquet file.")


def test_dry_run_loads_nothing_and_creates_no_database(capsys: Capture, tmp_path: Path) -> None:
    db = tmp_path / "none.duckdb"
    code, out, _ = run(capsys, "ingest", str(REAL / "njit_sample_data.csv"), "--db", str(db), "--dry-run")
    assert code == 1 and "would load 3" in out
    assert not db.exists()


def test_batches_undo_and_rejected(capsys: Capture, tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    run(capsys, "ingest", str(REAL / "abhishek_internships.csv"), str(REAL / "njit_sample_data.csv"),
        "--db", db)
    code, out, _ = run(capsys, "batches", "--db", db)
    assert code == 0 and "#2" in out and "njit_sample_data.csv" in out and "rejected 4" in out
    code, out, _ = run(capsys, "rejected", "2", "--db", db)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 5
    assert lines[1].startswith("2,employer: employer is missing (required),1,2021")
    code, out, _ = run(capsys, "undo", "1", "--db", db)
    assert code == 0 and out.strip() == ("Undid batch 1 (abhishek_internships.csv): removed 32 placements. "
                                         "Its ledger entry stays, marked undone.")
    code, out, _ = run(capsys, "batches", "--db", db, "--json")
    states = {b["batch_id"]: b["state"] for b in json.loads(out)}
    assert states == {1: "undone", 2: "loaded"}
    code, _, err = run(capsys, "undo", "1", "--db", db)
    assert code == 2 and "batch 1 (abhishek_internships.csv) was already undone" in err
    code, _, err = run(capsys, "undo", "x", "--db", db)
    assert code == 2 and "expected a batch number" in err
    code, _, err = run(capsys, "batches", "--db", str(tmp_path / "missing.duckdb"))
    assert code == 2 and "no database at" in err


def test_ingest_and_undo_leave_the_dashboards_tables_ready(capsys: Capture, tmp_path: Path) -> None:
    """The metrics' facts are rebuilt by the command that changed the data, not by the first
    page view after it: right after ingest or undo there is nothing left to rebuild."""
    from analytics import metrics
    from analytics.store import open_store

    db = tmp_path / "cli.duckdb"
    assert run(capsys, "ingest", str(REAL / "kinjal_internship.csv"), "--db", str(db))[0] == 0
    store = open_store(db)
    assert metrics.refresh_facts(store) == 0.0
    assert metrics.overview(store, ADMIN).row(0, named=True)["placements"] == 100
    store_module.close_all()
    assert run(capsys, "undo", "1", "--db", str(db))[0] == 0
    store = open_store(db)
    assert metrics.refresh_facts(store) == 0.0
    assert not metrics.overview(store, ADMIN).row(0, named=True)["placements"]  # none left
