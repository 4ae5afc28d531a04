"""Reports: how long `internships report --format pdf` takes, as a whole command, on 1,000,000
placements: the network, and one university (the one with the most placements).

What a user (or a cron job) waits for: the process from start to the finished file: Python and
the package imported, the metrics read from the database, every chart drawn in one Chromium
session, the PDF laid out by WeasyPrint, the audit event written. Each case runs once to warm
the operating system's file cache, then `--repeats` times; the median is reported with the
machine's load average beside it (the cores are shared). One in-process run per case splits
the time into its steps (figures, charts, PDF); in the command Chromium starts while the figures
are computed, so the command takes less than the sum of the steps.

Data: the pages benchmark's database (benchmarks/data/pages_<rows>.duckdb, built by
bench_pages.database from the generated placements), with its facts brought up to date first,
as they are after any import.

    python -m benchmarks.bench_report [--rows N] [--repeats K] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.results import write_section

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Reports"
TARGETS_S = {"network": 15.0, "university": 10.0}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def _largest_university(db: Path) -> str:
    from analytics.store import Store

    store = Store(db, read_only=True)
    try:
        return str(store.scalar("SELECT university FROM placements WHERE university IS NOT NULL "
                                "GROUP BY ALL ORDER BY count(*) DESC, university LIMIT 1"))
    finally:
        store.close()


def _prepare(db: Path) -> None:
    from analytics import metrics
    from analytics.store import Store

    store = Store(db)
    try:
        metrics.refresh_facts(store)
    finally:
        store.close()


def _command(db: Path, subject: list[str], out: Path) -> list[str]:
    return [sys.executable, "-m", "analytics.cli", "report", "--db", str(db), *subject,
            "--format", "pdf", "--out", str(out)]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command and the Chromium it ran, what it printed). The
    CPU time barely depends on how busy the shared cores are; the wall time does."""
    cpu = _cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"report failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, _cpu() - cpu, done.stdout.strip()


def _steps(db: Path, subject: list[str]) -> dict[str, float]:
    """One in-process run, split into its steps (seconds)."""
    from analytics import reports
    from analytics.access import LOCAL_ADMIN
    from analytics.reports import content, html, images, pdf
    from analytics.store import Store

    store = Store(db)
    try:
        chosen = reports.Subject("university", subject[1]) if subject[:1] == ["--university"] \
            else reports.NETWORK
        t0 = time.perf_counter()
        report = content.build(store, LOCAL_ADMIN, chosen)
        t1 = time.perf_counter()
        drawn = images.render([c.figure for c in report.charts], "jpeg",
                              heights=[c.height for c in report.charts])
        t2 = time.perf_counter()
        pdf.to_pdf(html.render(report, drawn.images, "jpeg", drawn.unavailable))
        t3 = time.perf_counter()
        return {"figures": t1 - t0, "charts": t2 - t1, "pdf": t3 - t2, "n_charts": float(len(drawn.images))}
    finally:
        store.close()


def run(rows: int, repeats: int) -> list[dict[str, object]]:
    from benchmarks.bench_pages import database

    db = database(rows)
    _prepare(db)
    university = _largest_university(db)
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        for name, subject in (("network", ["--network"]), ("university", ["--university", university])):
            out = Path(folder) / f"{name}.pdf"
            argv = _command(db, subject, out)
            _timed(argv)  # warm-up: file cache, Chromium's own files
            times, cpus, loads = [], [], []
            printed = ""
            for _ in range(repeats):
                loads.append(_load())
                elapsed, cpu, printed = _timed(argv)
                times.append(elapsed)
                cpus.append(cpu)
            steps = _steps(db, subject)
            results.append({"case": name, "subject": "the whole network" if name == "network" else university,
                            "median": statistics.median(times), "times": times, "loads": loads,
                            "cpu": statistics.median(cpus),
                            "size": out.stat().st_size, "printed": printed, "steps": steps})
            print(f"{name}: median {statistics.median(times):.2f} s over {repeats} "
                  f"({', '.join(f'{t:.2f}' for t in times)}); {printed}", flush=True)
    return results


def markdown(rows: int, repeats: int, results: Sequence[dict[str, object]], uptime: str) -> str:
    lines = [
        SECTION, "",
        f"Command: `python -m benchmarks.bench_report --rows {rows:,}` (median of {repeats} runs after a "
        "warm-up). Each run is the whole `internships report --format pdf` command as its own process, "
        f"on {rows:,} generated placements, as the local administrator: metrics, every chart drawn "
        "in one Chromium session (kaleido), the PDF laid out by WeasyPrint, the audit event.",
        "",
        "| report | median (whole command) | runs | target | CPU time | PDF size | figures | charts "
        "| PDF layout |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        steps = r["steps"]
        assert isinstance(steps, dict)
        times = r["times"]
        assert isinstance(times, list)
        target = TARGETS_S[str(r["case"])]
        median = float(str(r["median"]))
        lines.append(
            f"| {r['subject']} | {median:.2f} s ({'under' if median < target else 'OVER'} target) | "
            f"{', '.join(f'{t:.2f}' for t in times)} s | < {target:.0f} s | {float(str(r['cpu'])):.2f} s | "
            f"{int(str(r['size'])) / 1024:,.0f} KB | {steps['figures']:.2f} s | "
            f"{steps['charts']:.2f} s ({int(steps['n_charts'])}) | {steps['pdf']:.2f} s |")
    over = [r for r in results if float(str(r["median"])) >= TARGETS_S[str(r["case"])]]
    if over:
        most = max(float(str(r["cpu"])) for r in results)
        lines += ["", f"Over target in this run: {', '.join(str(r['subject']) for r in over)}. The work "
                  f"itself is at most {most:.1f} CPU-seconds per report (command and Chromium "
                  "together, on 2 cores, partly in parallel), so the wall time above is mostly "
                  "waiting for the shared cores (see the load below)."]
    lines += ["", "CPU time: user + system seconds of the command and the Chromium it started (median); it "
              "depends far less on the other jobs sharing the cores than the wall time does. Figures, "
              "charts and PDF layout: one in-process run of each step after the timed runs.",
              f"Machine load during the runs (1, 5, 15-minute load averages, from `uptime`): {uptime}; "
              "the 2 cores are shared with other jobs, so the figures are pessimistic.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, action="append", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    rows = (args.rows or [1_000_000])[0]
    before = _load()
    results = run(rows, args.repeats)
    uptime = f"{before} at the start, {_load()} at the end"
    text = markdown(rows, args.repeats, results, uptime)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    over = [r for r in results if float(str(r["median"])) >= TARGETS_S[str(r["case"])]]
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
