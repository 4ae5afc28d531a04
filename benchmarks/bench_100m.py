"""100,000,000 placements on one machine: what it takes and what breaks (a benchmark, not a test).

Steps, each resumable (a step whose output is already there is skipped):

1. generate: the sample generator's one stream of `--rows` placements (analytics.sample, in its
   250,000-row chunks), split into `--files` Parquet files of equal size under `--dir`
   (default /work/tmp/perf100m/), so each file is one upload of a tenth of the data;
2. ingest: each file imported by `internships ingest FILE --db DIR/p100m.duckdb` as its own
   process (import + the facts upkeep that readies the dashboards), timed from spawn to exit,
   CPU and peak memory from /usr/bin/time; the facts upkeep is measured in the same process
   (analytics.cli prints nothing about it, so a child here runs the same two calls the command
   runs: import_file, then metrics.refresh_facts) -- so the cost of the n-th tenth shows whether
   the import follows the upload or the database;
3. rebuild: a full facts rebuild (what a migration or a FACTS_FORMAT change costs at this size);
4. pages: the pages benchmark's child (benchmarks.bench_pages) pointed at the database.

Disk use (the Parquet files, the database) is reported after each step. Figures go to the
"## 100,000,000 placements" section of benchmarks/RESULTS.md (by hand: the run takes hours and
each step may be re-run alone).

    python -m benchmarks.bench_100m generate|ingest|rebuild|pages [--rows N] [--files K] [--dir D]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DIR = Path("/work/tmp/perf100m")
ROWS = 100_000_000
FILES = 10
TIME = Path("/usr/bin/time")


def part(folder: Path, index: int, files: int) -> Path:
    return folder / f"placements_{index + 1:02d}_of_{files:02d}.parquet"


def generate(folder: Path, rows: int, files: int) -> None:
    """One generator stream, cut into `files` Parquet files (a chunk never straddles two)."""
    import pyarrow.parquet as pq

    from analytics import sample

    per_file = -(-rows // files)
    folder.mkdir(parents=True, exist_ok=True)
    index, written, writer, started = 0, 0, None, time.perf_counter()
    target = part(folder, 0, files)
    try:
        for frame in sample.generate(rows):
            if writer is None:
                target = part(folder, index, files)
                writer = pq.ParquetWriter(str(target) + ".partial", frame.to_arrow().schema)
            writer.write_table(frame.to_arrow())
            written += frame.height
            if written >= per_file * (index + 1) or written == rows:
                writer.close()
                writer = None
                os.replace(str(target) + ".partial", target)
                print(f"  {target.name}: {written:,} rows so far, {time.perf_counter() - started:.0f} s, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
                index += 1
    finally:
        if writer is not None:
            writer.close()


def _child_ingest(file: Path, db: Path) -> dict[str, Any]:
    """What `internships ingest FILE --db DB` does, with its two parts timed apart."""
    started = time.perf_counter()
    from analytics import metrics
    from analytics.ingest.pipeline import import_file
    from analytics.store import open_store

    imported = time.perf_counter()
    store = open_store(db)
    report = import_file(store, file, uploader="bench")
    loaded = time.perf_counter()
    metrics.refresh_facts(store)
    done = time.perf_counter()
    store.close()
    return {"rows_loaded": report.rows_loaded, "rows_read": report.rows_read,
            "imports_s": imported - started, "import_s": loaded - imported,
            "facts_s": done - loaded, "close_s": time.perf_counter() - done}


def _timed(command: list[str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        done = subprocess.run([str(TIME), "-f", "%U %S %M", "-o", report.name, *command], cwd=REPO,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n"
                             f"{done.stdout[-2000:]}{done.stderr[-3000:]}")
        user, system, peak_kb = report.read().split()[-3:]
    return {"seconds": seconds, "cpu_seconds": float(user) + float(system),
            "peak_mb": int(peak_kb) / 1024, "stdout": done.stdout}


def _disk(folder: Path) -> str:
    parquet = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    db = sum(p.stat().st_size for p in folder.glob("p100m.duckdb*"))
    free = shutil.disk_usage(folder).free
    return f"Parquet {parquet / 1e9:.1f} GB, database {db / 1e9:.1f} GB, disk free {free / 1e9:.0f} GB"


def ingest(folder: Path, files: int) -> None:
    db = folder / "p100m.duckdb"
    log = folder / "ingest.jsonl"
    done_files = set()
    if log.exists():
        done_files = {json.loads(line)["file"] for line in log.read_text().splitlines() if line}
    for index in range(files):
        file = part(folder, index, files)
        if file.name in done_files:
            continue
        load = os.getloadavg()[0]
        result = _timed([sys.executable, "-m", "benchmarks.bench_100m", "--child-ingest", str(file),
                         "--db", str(db)])
        inner = json.loads(result.pop("stdout").strip().splitlines()[-1])
        entry = {"file": file.name, **result, **inner, "load_before": load,
                 "load_after": os.getloadavg()[0], "disk": _disk(folder)}
        with log.open("a") as handle:
            handle.write(json.dumps(entry) + "\n")
        print(f"  {file.name}: {result['seconds']:.1f} s (cpu {result['cpu_seconds']:.1f} s, "
              f"import {inner['import_s']:.1f} s, facts {inner['facts_s']:.1f} s), "
              f"peak {result['peak_mb']:,.0f} MB, load {load:.1f}; {entry['disk']}", flush=True)


def _child_rebuild(db: Path) -> dict[str, Any]:
    from analytics import metrics
    from analytics.store import open_store

    store = open_store(db)
    seconds = metrics.rebuild_facts(store)
    store.close()
    return {"rebuild_s": seconds}


def rebuild(folder: Path) -> None:
    db = folder / "p100m.duckdb"
    load = os.getloadavg()[0]
    result = _timed([sys.executable, "-m", "benchmarks.bench_100m", "--child-rebuild", "--db", str(db)])
    inner = json.loads(result.pop("stdout").strip().splitlines()[-1])
    print(json.dumps({**result, **inner, "load_before": load, "load_after": os.getloadavg()[0],
                      "disk": _disk(folder)}), flush=True)


def pages(folder: Path, repeats: int) -> None:
    db = folder / "p100m.duckdb"
    load = os.getloadavg()[0]
    result = _timed([sys.executable, "-m", "benchmarks.bench_pages", "--child", str(db),
                     "--repeats", str(repeats)])
    inner = json.loads(result.pop("stdout").strip().splitlines()[-1])
    print(json.dumps({**result, **inner, "load_before": load, "load_after": os.getloadavg()[0]}),
          flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_100m", description=__doc__)
    parser.add_argument("step", nargs="?", choices=("generate", "ingest", "rebuild", "pages"))
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--files", type=int, default=FILES)
    parser.add_argument("--dir", type=Path, default=DIR)
    parser.add_argument("--repeats", type=int, default=3, help="filter changes per page")
    parser.add_argument("--child-ingest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-rebuild", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.child_ingest:
        print(json.dumps(_child_ingest(args.child_ingest, args.db)))
        return 0
    if args.child_rebuild:
        print(json.dumps(_child_rebuild(args.db)))
        return 0
    if args.step == "generate":
        generate(args.dir, args.rows, args.files)
    elif args.step == "ingest":
        ingest(args.dir, args.files)
    elif args.step == "rebuild":
        rebuild(args.dir)
    elif args.step == "pages":
        pages(args.dir, args.repeats)
    else:
        parser.error("name a step: generate, ingest, rebuild or pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
