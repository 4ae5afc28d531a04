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


# -- CLI hygiene (issue 12) -----------------------------------------------------------------------
CLI_PACKAGE = Path(__file__).resolve().parent.parent / "analytics" / "cli"


def _cli_imports(path: Path) -> set[str]:
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("analytics.cli")}


def test_command_modules_share_only_the_base_module() -> None:
    """The package imports its command modules; they import `base` and nothing else of the CLI,
    and `base` imports nothing of it: no cycle through which the CLI could be loaded twice."""
    modules = {path.stem: _cli_imports(path) for path in CLI_PACKAGE.glob("*.py")}
    assert set(modules) >= {"__init__", "__main__", "base", "data", "metrics", "ingest"}
    assert modules["base"] == set()
    for name in ("data", "metrics", "ingest"):
        assert modules[name], name
        assert all(imported.startswith("analytics.cli.base") for imported in modules[name]), name


def test_missing_mapping_through_python_m_is_one_line(tmp_path: Path) -> None:
    """The issue's reproduction: this printed a traceback through the cli <-> ingest.cli cycle."""
    data = tmp_path / "x.csv"
    data.write_text("employer\nAcme\n")
    result = subprocess.run(
        [sys.executable, "-m", "analytics.cli", "ingest", str(data), "--mapping", "missing.json",
         "--db", str(tmp_path / "x.duckdb")],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "internships ingest: cannot read the mapping missing.json: No such file or directory"
    ]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`internships info | head -3`: the reader is gone before we write; no traceback."""
    db = tmp_path / "pipe.duckdb"
    assert main(["init", "--db", str(db), "--sample"]) == 0
    store_module.close_all()
    process = subprocess.Popen(
        [sys.executable, "-m", "analytics.cli", "info", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `head` exiting before the command prints
    stderr = process.stderr.read().decode()
    code = process.wait(timeout=120)
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
    assert code == 141


def test_head_of_the_output_still_gets_the_first_lines(tmp_path: Path) -> None:
    db = tmp_path / "pipe.duckdb"
    assert main(["init", "--db", str(db), "--sample"]) == 0
    store_module.close_all()
    result = subprocess.run(
        f"{sys.executable} -m analytics.cli info --db {db} | head -1",
        shell=True, capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.stdout.startswith(f"Database: {db}")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("argv", [
    ["info"], ["info", "--json"], ["metrics"], ["compare", "employers"], ["batches"],
    ["undo", "1"], ["rejected", "1"],
])
def test_read_commands_do_not_create_a_missing_database(argv, tmp_path: Path, capsys) -> None:
    db = tmp_path / "typo.duckdb"
    assert main([*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"no database at {db}; run `internships init` first")
    assert len(err.splitlines()) == 1
    assert not db.exists()


def test_init_and_ingest_create_the_database(tmp_path: Path, capsys) -> None:
    created = tmp_path / "new" / "init.duckdb"
    assert main(["init", "--db", str(created)]) == 0
    assert created.exists()
    data = tmp_path / "one.csv"
    data.write_text("employer\nAcme\n")
    ingested = tmp_path / "ingest.duckdb"
    assert main(["ingest", str(data), "--db", str(ingested)]) == 0
    assert ingested.exists()
    store_module.close_all()
    assert main(["info", "--db", str(ingested), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["tables"]["placements"] == 1


# -- start-up cost (issue 15) ---------------------------------------------------------------------
# Every `internships` command registers every subcommand; an import pays for what it imports.
# The chart and report layers (plotly, Pillow, the PDF writer) cost about half a second of CPU at
# start-up, a third of a small import's whole command, and an import never draws. Nor does an
# import that rejects nothing need a data frame or numpy: Polars, numpy and the metric modules
# cost about another quarter of a second (the facts upkeep is SQL, `analytics.metrics.facts`).
REPORT_ONLY = ("plotly", "PIL", "weasyprint", "kaleido", "analytics.reports", "analytics.charts",
               "polars", "numpy", "pyarrow", "pandas", "analytics.metrics.overview",
               "analytics.disclosure")


def test_an_import_command_loads_no_chart_report_or_frame_code(tmp_path: Path) -> None:
    data = tmp_path / "one.csv"
    data.write_text("employer,term_year\nAcme,2024\n")
    probe = ("import sys\nfrom analytics.cli import main\n"
             f"code = main(['ingest', {str(data)!r}, '--db', {str(tmp_path / 'x.duckdb')!r}])\n"
             f"print(code, sorted(m for m in {REPORT_ONLY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"


def test_the_report_command_offers_exactly_the_formats_reports_make() -> None:
    from analytics import reports
    from analytics.cli import report

    assert report.FORMATS == reports.FORMATS
