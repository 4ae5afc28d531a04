"""Pages: how long each page takes to re-render after a filter change, and the server's memory.

For 1,000,000 and 10,000,000 generated placements: every page runs in Streamlit's AppTest (the
whole script, as the server would run it: sidebar, metrics through the cache, figures, tables);
then a sidebar filter changes to a value not seen before (so no cached answer can help) and the
page's full run is timed. The median of several such changes is reported per page, with the
peak resident memory of the process that ran them (it plays the server).

Data: benchmarks/data/placements_<rows>.parquet (made by analytics.sample.write, shared with the
metrics benchmark when already there), loaded with the ingest loader into
benchmarks/data/pages_<rows>.duckdb once and reused. Each size runs in its own child process so
one size's memory does not count against the other's.

    python -m benchmarks.bench_pages [--rows N ...] [--repeats K] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.results import write_section

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data"
DASHBOARD = REPO / "dashboard.py"
SIZES = (1_000_000, 10_000_000)
# Every page a viewer can open (Upload and Admin are an analyst's and an administrator's tools).
PAGES = ("overview", "conversion", "employers", "universities", "flows", "retention", "timeline",
         "evaluations", "equity", "pay", "durations", "data", "knowledge", "methodology")
TARGETS_S = {1_000_000: 1.0, 10_000_000: 1.5}
MEMORY_TARGET_MB = 1536
SECTION = "## Pages"


def data_file(rows: int) -> Path:
    """The generated placements, reused when the metrics benchmark already made them."""
    path = DATA / f"placements_{rows}.parquet"
    if not path.exists():
        from analytics import sample

        sample.write(rows, path)
    return path


def database(rows: int) -> Path:
    """A database holding `rows` generated placements, built once with the ingest loader."""
    db = DATA / f"pages_{rows}.duckdb"
    if db.exists():
        from analytics.store import Store

        store = Store(db, read_only=True)
        try:
            if store.table_counts()["placements"] == rows:
                return db
        finally:
            store.close()
        db.unlink()
    source = data_file(rows)
    from analytics.ingest.load import insert_placements, new_batch, pseudonym_key
    from analytics.store import Store

    store = Store(db)
    try:
        key = pseudonym_key(store)
        with store.transaction() as cur:
            batch = new_batch(cur, file_name=source.name, sha256=None, uploader="bench", mapping_json=None)
            loaded = insert_placements(cur, "read_parquet(?)", batch, key, [str(source)])
            cur.execute("UPDATE batches SET rows_read = ?, rows_loaded = ? WHERE batch_id = ?",
                        [loaded, loaded, batch])
    finally:
        store.close()
    return db


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(db: Path, repeats: int, pages: Sequence[str] = PAGES) -> dict[str, Any]:
    """Run in the child process: time every page after filter changes; report peak memory."""
    os.environ["INTERNSHIPS_DB"] = str(db)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analytics import metrics
    from analytics import store as store_module
    from analytics.app.navigation import UNFILTERED
    from analytics.metrics import layout

    st.cache_data.clear()
    st.cache_resource.clear()
    results: dict[str, Any] = {"pages": {}, "first_run_s": {}}
    # What the server does once per data change before the pages are fast: bring the facts up
    # to date, and (in the background, metrics.layout) cluster them by term. Done here first and
    # timed, so the page figures below are those of a server past that point.
    opened = store_module.open_store(db)
    results["facts_s"] = metrics.refresh_facts(opened)
    cpu_started = time.process_time()
    clustered = layout.cluster_facts(opened)
    results["cluster_s"] = clustered
    results["cluster_cpu_s"] = time.process_time() - cpu_started if clustered else 0.0
    for page in pages:
        app = AppTest.from_file(str(DASHBOARD), default_timeout=600)
        app.run()
        app.switch_page(f"analytics/app/pages/{page}.py")
        started = time.perf_counter()
        app.run()
        results["first_run_s"][page] = time.perf_counter() - started
        if app.exception:
            raise SystemExit(f"{page}: {app.exception[0].value}")
        filtered = page not in UNFILTERED
        years = list(app.sidebar.multiselect(key="flt_year").options) if filtered else []
        seasons = list(app.sidebar.multiselect(key="flt_season").options) if filtered else []
        times: list[float] = []
        cpu_times: list[float] = []  # the process's CPU time (all threads) over the same run
        # Each change picks a (year, season) pair not used before on any page, so the metrics
        # are computed afresh: what a user pays when they change a filter. (A page without
        # filters, Methodology, is simply run again.)
        for i in range(repeats):
            if filtered:
                year = years[(i + PAGES.index(page) * repeats) % len(years)]
                season = seasons[i % len(seasons)]
                app.sidebar.multiselect(key="flt_year").set_value([year])
                app.sidebar.multiselect(key="flt_season").set_value([season])
            started, cpu_started = time.perf_counter(), time.process_time()
            app.run()
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
            if app.exception:
                raise SystemExit(f"{page}: {app.exception[0].value}")
        results["pages"][page] = {"median_s": statistics.median(times), "runs_s": times,
                                  "median_cpu_s": statistics.median(cpu_times)}
        st.cache_data.clear()  # the next page starts as cold as this one did
    results["peak_rss_mb"] = _peak_rss_mb()
    store_module.close_all()
    return results


def run_size(rows: int, repeats: int, pages: Sequence[str] = PAGES) -> dict[str, Any]:
    db = database(rows)
    command = [sys.executable, "-m", "benchmarks.bench_pages", "--child", str(db), "--repeats", str(repeats),
               *(f"--page={page}" for page in pages)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"pages benchmark at {rows:,} rows failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rows"] = rows
    return result


def report(results: Sequence[dict[str, Any]], command: str) -> str:
    lines = [
        SECTION,
        "",
        f"`{command}` — each page's full AppTest run (sidebar, metrics, figures, tables) after a sidebar "
        "filter change to values not seen before (Term year and Season; Methodology has no filters "
        "and is simply re-run), median of the changes; "
        "peak memory is the resident set of the process that ran every page (it plays the server). "
        "Targets (DESIGN.md): under 1 s at 1,000,000 rows, under 1.5 s at 10,000,000, under 1.5 GB. "
        "CPU s = the process's CPU time (every thread) over the same runs: what a run costs, "
        "whatever else the machine is doing.",
        "",
        "| page | " + " | ".join(f"{r['rows']:,} rows: median s | CPU s" for r in results) + " |",
        "|---|" + "---:|---:|" * len(results),
    ]
    for page in results[0]["pages"]:
        figures = [r["pages"][page] for r in results]
        cells = [f"{f['median_s']:.2f} | {f.get('median_cpu_s', float('nan')):.2f}" for f in figures]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    lines.append("| **slowest page** | " + " | ".join(
        f"**{max(p['median_s'] for p in r['pages'].values()):.2f}** | "
        f"**{max(p.get('median_cpu_s', float('nan')) for p in r['pages'].values()):.2f}**"
        for r in results) + " |")
    lines.append("| first visit (empty result cache), slowest page | " + " | ".join(
        f"{max(r['first_run_s'].values()):.2f} |" for r in results) + " |")
    lines.append("| peak server memory, MB | "
                 + " | ".join(f"{r['peak_rss_mb']:,.0f} |" for r in results) + " |")
    lines.append("")
    lines.append("The first visit is a page's first run with an empty result cache, after the app has "
                 "started once (that first start also builds the metrics facts table, once per data "
                 "change; see Metrics).")
    for r in results:
        if r.get("cluster_s"):
            lines.append(f"{r['rows']:,} rows: clustering the facts by term (once per data change, in "
                         f"the server's background, metrics.layout) took {r['cluster_s']:.1f} s, "
                         f"{r['cluster_cpu_s']:.1f} CPU s, before the runs above.")
    lines.append("")
    verdicts = []
    for r in results:
        slowest = max(p["median_s"] for p in r["pages"].values())
        target = TARGETS_S.get(r["rows"])
        if target is not None:
            ok = slowest < target and r["peak_rss_mb"] < MEMORY_TARGET_MB
            slowest_cpu = max(p.get("median_cpu_s", float("nan")) for p in r["pages"].values())
            verdicts.append(f"{r['rows']:,} rows: slowest page {slowest:.2f} s, CPU {slowest_cpu:.2f} s "
                            f"(target {target:g} s; 1-minute load average "
                            f"{os.getloadavg()[0]:.1f} at the end), "
                            f"{r['peak_rss_mb']:,.0f} MB (target {MEMORY_TARGET_MB:,} MB): "
                            f"{'met' if ok else 'NOT met'}.")
    lines.extend(verdicts)
    return "\n".join(lines) + "\n"




def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_pages", description=__doc__)
    parser.add_argument("--rows", type=int, action="append",
                        help="placements (repeatable); default 1M and 10M")
    parser.add_argument("--repeats", type=int, default=5, help="filter changes per page (median of them)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--page", action="append", choices=PAGES,
                        help="only this page (repeatable); default every page")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pages = tuple(args.page or PAGES)
    if args.child:
        print(json.dumps(measure(args.child, args.repeats, pages)))
        return 0
    sizes = tuple(args.rows or SIZES)
    results = []
    for rows in sizes:
        print(f"pages at {rows:,} rows ...", flush=True)
        result = run_size(rows, args.repeats, pages)
        for page, figures in result["pages"].items():
            print(f"  {page:<13} median {figures['median_s']:.2f} s", flush=True)
        print(f"  peak memory {result['peak_rss_mb']:,.0f} MB", flush=True)
        results.append(result)
    command = "python -m benchmarks.bench_pages" + "".join(f" --rows {r}" for r in (args.rows or [])) \
        + "".join(f" --page {page}" for page in (args.page or []))
    text = report(results, command)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
