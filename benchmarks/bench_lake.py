"""The lake store (DuckLake on PostgreSQL + Parquet) against the embedded file, on this machine.

- Import: the whole import (`analytics.ingest.import_file`) of the same 1,000,000-row generated
  CSV into a new embedded database and into a new lake, back to back in each repeat, each in its
  own process; the lake's ratio is the median of its ratio within each repeat (the machine's
  speed drifts; a pair run together shares the drift). Target: within 2x the embedded store.
- Pages: 10,000,000 generated placements in a lake (loaded once, in one transaction), then the
  pages benchmark's own measurement (benchmarks.bench_pages.measure: each page's full AppTest run
  after a sidebar filter change to values not seen before, median of the changes) with the app
  pointed at the lake. Target: every page under 3 s. With --embedded (the default), the same
  measurement on an embedded database of the same placements (benchmarks.bench_pages.run_size),
  in the same run, for the comparison.

A PostgreSQL server is started for the run (tests.lake.postgres: initdb in a temporary directory,
a free loopback port) and stopped at the end; the lakes' Parquet files go to a temporary
directory. Figures go to the "## Lake store" section of benchmarks/RESULTS.md.

    python -m benchmarks.bench_lake [--import-rows N] [--page-rows N] [--rows N] [--repeats K]
                                    [--no-embedded] [--no-write]

`--rows N` sets both sizes (the import at most 1,000,000 rows): `make bench --quick` runs it
at 1,000,000 placements.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.bench_ingest import csv_file
from benchmarks.bench_pages import PAGES
from benchmarks.bench_pages import data_file as parquet_file
from benchmarks.results import write_section

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Lake store"
IMPORT_TARGET = 2.0
PAGE_TARGET_S = 3.0
KEY = "benchmark pseudonym secret"


def _child_import(target: str, path: Path, data: str | None) -> dict[str, Any]:
    import resource

    from analytics.ingest import import_file
    from analytics.store import Store

    store = Store(target, **({"data_path": data} if data else {}))
    try:
        started = time.perf_counter()
        report = import_file(store, path)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {"seconds": seconds, "rows_loaded": report.rows_loaded,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run_child(args: list[str]) -> dict[str, Any]:
    env = {**os.environ, "INTERNSHIPS_PSEUDONYM_KEY": KEY}
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_lake", *args], cwd=REPO, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"lake benchmark child {args[:2]} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_import(server: Any, scratch: Path, rows: int, repeats: int) -> dict[str, Any]:
    path = csv_file(rows)
    runs: dict[str, list[dict[str, Any]]] = {"embedded": [], "lake": []}
    for i in range(repeats):
        db = scratch / f"import{i}.duckdb"
        runs["embedded"].append(_run_child(["--child-import", str(db), str(path)]))
        url, data = server.new_database(), scratch / f"import{i}-lake"
        data.mkdir()
        runs["lake"].append(_run_child(["--child-import", url, str(path), "--data", str(data)]))
        print(f"  import {i + 1}: embedded {runs['embedded'][-1]['seconds']:.1f} s, "
              f"lake {runs['lake'][-1]['seconds']:.1f} s", flush=True)
        db.unlink(missing_ok=True)
        shutil.rmtree(data, ignore_errors=True)
    pairs = zip(runs["embedded"], runs["lake"], strict=True)
    ratios = [lake["seconds"] / emb["seconds"] for emb, lake in pairs]
    return {
        "rows": rows, "repeats": repeats, "ratio": statistics.median(ratios),
        "embedded_s": statistics.median(r["seconds"] for r in runs["embedded"]),
        "lake_s": statistics.median(r["seconds"] for r in runs["lake"]),
        "embedded_mb": max(r["peak_rss_mb"] for r in runs["embedded"]),
        "lake_mb": max(r["peak_rss_mb"] for r in runs["lake"]),
        "same_rows": len({r["rows_loaded"] for side in runs.values() for r in side}) == 1,
    }


def _child_load(url: str, data: str, parquet: Path) -> dict[str, Any]:
    from analytics.ingest.load import insert_placements, new_batch, pseudonym_key
    from analytics.store import LakeStore

    store = LakeStore(url, data_path=data)
    try:
        started = time.perf_counter()
        key = pseudonym_key(store)
        with store.transaction() as cur:
            batch = new_batch(cur, file_name=parquet.name, sha256=None, uploader="bench", mapping_json=None)
            loaded = insert_placements(cur, "read_parquet(?)", batch, key, [str(parquet)])
            cur.execute("UPDATE batches SET rows_read = ?, rows_loaded = ? WHERE batch_id = ?",
                        [loaded, loaded, batch])
        return {"loaded": loaded, "seconds": time.perf_counter() - started}
    finally:
        store.close()


def bench_pages(server: Any, scratch: Path, rows: int, repeats: int) -> dict[str, Any]:
    url, data = server.new_database(), scratch / "pages-lake"
    data.mkdir()
    load = _run_child(["--child-load", url, str(parquet_file(rows)), "--data", str(data)])
    print(f"  loaded {load['loaded']:,} placements into the lake in {load['seconds']:.0f} s", flush=True)
    result = _run_child(["--child-pages", url, "--repeats", str(repeats)])
    result["rows"], result["load_s"] = rows, load["seconds"]
    print("  lake pages, median s: " + ", ".join(
        f"{page} {entry['median_s']:.2f}" for page, entry in result["pages"].items()), flush=True)
    return result


def bench_embedded_pages(rows: int, repeats: int) -> dict[str, Any]:
    from benchmarks.bench_pages import run_size

    return run_size(rows, repeats)


def _uptime() -> str:
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def report(imp: dict[str, Any] | None, pages: dict[str, Any] | None, command: str,
           embedded: dict[str, Any] | None = None, loads: tuple[str, str] | None = None) -> str:
    lines = [SECTION, "", f"`{command}` — PostgreSQL 15 catalog and Parquet data on the local disk, "
             "started for the run; the same machine and data as the sections above.", ""]
    if loads is not None:
        lines += [f"Machine load (1, 5, 15-minute averages, as `uptime` gives them): {loads[0]} at the "
                  f"start, {loads[1]} at the end; the 2 cores are shared with other jobs.", ""]
    if imp is not None:
        ok = imp["ratio"] <= IMPORT_TARGET and imp["same_rows"]
        lines += [
            f"Import of {imp['rows']:,} generated rows (the whole import, each in its own process, "
            f"median of {imp['repeats']} back-to-back pairs):",
            "",
            "| store | seconds | peak memory |",
            "|---|---:|---:|",
            f"| embedded (DuckDB file) | {imp['embedded_s']:.1f} | {imp['embedded_mb']:,.0f} MB |",
            f"| lake (DuckLake) | {imp['lake_s']:.1f} | {imp['lake_mb']:,.0f} MB |",
            "",
            f"Lake / embedded: {imp['ratio']:.2f}x (target at most {IMPORT_TARGET:.0f}x), same rows "
            f"loaded: {'yes' if imp['same_rows'] else 'NO'}: {'met' if ok else 'NOT met'}.",
            "",
        ]
    if pages is not None:
        slowest = max(p["median_s"] for p in pages["pages"].values())
        emb = embedded if embedded is not None and embedded.get("rows") == pages["rows"] else None

        def cells(result: dict[str, Any], page: str) -> str:
            entry = result["pages"][page]
            return f"{entry['median_s']:.2f} | {entry['median_cpu_s']:.2f}"

        head = "| page | lake median s | lake CPU s |" + (
            " embedded median s | embedded CPU s |" if emb else "")
        rule = "|---|---:|---:|" + ("---:|---:|" if emb else "")
        lines += [
            f"Pages on {pages['rows']:,} placements in the lake (loaded in {pages['load_s']:.0f} s; the "
            f"replica's local facts built in {pages['facts_s']:.0f} s and clustered in "
            f"{pages['cluster_s']:.0f} s before the pages, as the server does once per data change), "
            "each page's full AppTest run after a filter change to values not seen before, median of "
            "the changes" + (", beside the embedded store on the same placements in the same run" if emb
                             else "") + ":",
            "",
            head,
            rule,
            *[f"| {page} | {cells(pages, page)} |" + (f" {cells(emb, page)} |" if emb else "")
              for page in PAGES],
            f"| **slowest page** | **{slowest:.2f}** | |"
            + (f" **{max(p['median_s'] for p in emb['pages'].values()):.2f}** | |" if emb else ""),
            f"| first visit (empty result cache), slowest page | "
            f"{max(pages['first_run_s'].values()):.2f} | |"
            + (f" {max(emb['first_run_s'].values()):.2f} | |" if emb else ""),
            f"| peak server memory, MB | {pages['peak_rss_mb']:,.0f} | |"
            + (f" {emb['peak_rss_mb']:,.0f} | |" if emb else ""),
            "",
            f"Slowest page {slowest:.2f} s (target {PAGE_TARGET_S:.0f} s): "
            f"{'met' if slowest < PAGE_TARGET_S else 'NOT met'}.",
            "",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_lake", description=__doc__)
    parser.add_argument("--import-rows", type=int, default=1_000_000, help="0 skips the import part")
    parser.add_argument("--page-rows", type=int, default=10_000_000, help="0 skips the pages part")
    parser.add_argument("--rows", type=int, help="both sizes at once (the import at most 1,000,000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-embedded", action="store_true",
                        help="skip the embedded store's pages at the same size")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--child-import", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-load", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-pages", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_import:
        print(json.dumps(_child_import(args.child_import[0], Path(args.child_import[1]), args.data)))
        return 0
    if args.child_load:
        print(json.dumps(_child_load(args.child_load[0], args.data, Path(args.child_load[1]))))
        return 0
    if args.child_pages:
        from benchmarks.bench_pages import measure

        print(json.dumps(measure(Path(args.child_pages), args.repeats)))
        return 0

    if args.rows:
        args.page_rows, args.import_rows = args.rows, min(args.rows, 1_000_000)
    from tests.lake.postgres import PostgresServer, find_bin

    bin_dir = find_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    load_start = _uptime()
    server = PostgresServer(bin_dir)
    scratch = Path(tempfile.mkdtemp(prefix="bench-lake-"))
    try:
        imp = bench_import(server, scratch, args.import_rows, args.repeats) if args.import_rows else None
        pages = bench_pages(server, scratch, args.page_rows, args.repeats) if args.page_rows else None
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    embedded = None
    if pages is not None and not args.no_embedded:
        print(f"  embedded pages at {args.page_rows:,} placements", flush=True)
        embedded = bench_embedded_pages(args.page_rows, args.repeats)
    command = "python -m benchmarks.bench_lake" + "".join(
        f" {flag}" for flag, on in ((f"--import-rows {args.import_rows}", args.import_rows != 1_000_000),
                                    (f"--page-rows {args.page_rows}", args.page_rows != 10_000_000),
                                    (f"--repeats {args.repeats}", args.repeats != 3),
                                    ("--no-embedded", args.no_embedded)) if on)
    text = report(imp, pages, command, embedded, (load_start, _uptime()))
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
