"""`make bench`: every benchmark in turn; each writes its own section of benchmarks/RESULTS.md.

Pass `--quick` to run at 1,000,000 rows only (the 10,000,000-row runs take several minutes and
about 11 GB for the pandas peer). The lake benchmark (bench_lake) needs PostgreSQL installed; it
starts its own server for the run.
"""

from __future__ import annotations

import importlib
import sys

SUITES = (
    "benchmarks.bench_ingest", "benchmarks.bench_incremental", "benchmarks.bench_metrics",
    "benchmarks.bench_pages", "benchmarks.bench_load", "benchmarks.bench_report",
    "benchmarks.bench_lake",
)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    status = 0
    for name in SUITES:
        print(f"== {name}", flush=True)
        module = importlib.import_module(name)
        args = ["--rows", "1000000"] if quick and name != "benchmarks.bench_ingest" else []
        status |= int(module.main(args) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
