"""`make bench`: every benchmark in turn; each writes its own section of benchmarks/RESULTS.md.

Pass `--quick` to run at 1,000,000 rows only (the 10,000,000-row runs take several minutes and
about 11 GB for the pandas peer). The lake benchmark (bench_lake) needs PostgreSQL installed; it
starts its own server for the run. It needs the lake install too (DuckDB 1.5.5 and its
extensions): run from the default install, it runs in the lake venv (.venv-lake, `make lake-dev`).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import duckdb

from analytics.store.lake import LAKE_DUCKDB

SUITES = (
    "benchmarks.bench_ingest", "benchmarks.bench_incremental", "benchmarks.bench_metrics",
    "benchmarks.bench_pages", "benchmarks.bench_load", "benchmarks.bench_report",
    "benchmarks.bench_lake",
)
LAKE_SUITES = frozenset({"benchmarks.bench_lake"})
LAKE_PYTHON = Path(__file__).resolve().parent.parent / ".venv-lake" / "bin" / "python"


def _run_in_lake_venv(name: str, args: list[str]) -> int:
    if not LAKE_PYTHON.exists():
        print(f"{name} needs the lake install: make lake-dev (a venv with DuckDB {LAKE_DUCKDB})")
        return 1
    return subprocess.run([str(LAKE_PYTHON), "-m", name, *args], check=False).returncode


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    status = 0
    for name in SUITES:
        print(f"== {name}", flush=True)
        args = ["--rows", "1000000"] if quick and name != "benchmarks.bench_ingest" else []
        if name in LAKE_SUITES and duckdb.__version__ != LAKE_DUCKDB:
            status |= int(_run_in_lake_venv(name, args) != 0)
            continue
        module = importlib.import_module(name)
        status |= int(module.main(args) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
