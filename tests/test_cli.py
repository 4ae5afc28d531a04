from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from analytics import store as store_module
from analytics.cli import main


@pytest.fixture(autouse=True)
def _release_databases():
    yield
    store_module.close_all()


def test_init_with_sample_then_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.duckdb"
    assert main(["init", "--db", str(db), "--sample"]) == 0
    assert "5,000 placements" in capsys.readouterr().out
    assert main(["init", "--db", str(db), "--sample"]) == 0  # second time loads nothing
    assert "not loaded again" in capsys.readouterr().out
    assert main(["info", "--db", str(db), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["tables"]["placements"] == 5000
    assert len(info["batches"]) == 1


def test_generate_csv_and_parquet_agree(tmp_path: Path) -> None:
    assert main(["generate", "--rows", "1200", "--seed", "3", "--out", str(tmp_path / "a.csv")]) == 0
    assert main(["generate", "--rows", "1200", "--seed", "3", "--out", str(tmp_path / "a.parquet")]) == 0
    csv = pl.read_csv(tmp_path / "a.csv", try_parse_dates=True)
    parquet = pl.read_parquet(tmp_path / "a.parquet")
    assert csv.height == parquet.height == 1200
    assert csv["placement_id"].to_list() == parquet["placement_id"].to_list()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["generate", "--rows", "ten", "--out", "x.csv"], "expected a whole number"),
        (["generate", "--rows", "10", "--out", "x.txt"], ".csv or .parquet"),
        (["generate", "--out", "x.csv"], "--rows"),
        (["frobnicate"], "invalid choice"),
        (["info", "--db", "/nonexistent/dir/x.duckdb"], "no database"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(argv, fragment, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "analytics.cli", "generate", "--rows", "-5", "--out", "x.csv"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
