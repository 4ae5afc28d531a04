"""Many users: N sessions walking the pages and changing filters while an analyst uploads a file.

A real server (`streamlit run dashboard.py`, its own process, loopback only) on a copy of the
pages benchmark's database. The client is protocol-level (benchmarks.load_client): one websocket
per session speaking Streamlit's own protobuf messages, so 50 sessions cost the client a few
coroutines, not 50 Chromium tabs competing with the server for the same 2 cores.

Each session arrives on its own page with a filter in its URL (a shared link: `?year=...`), walks
every page, and twice changes the sidebar's Term year and then its Season, each change a run of
its own as in the browser (a multiselect reruns the page when it changes). Meanwhile one more
session opens Upload, uploads a 200-row CSV (file_urls_request, HTTP PUT, uploader state), waits
for the check, clicks Load, then undoes the batch.

The user model (`--think`, default 10 s): a person reads what a run showed before the next
click, so every action waits a think time drawn (seeded, per session) uniformly from 0.5x to 1.5x
the mean, 5 to 15 s by default, as load-testing tools model users (Locust's
`wait_time = between(5, 15)`), and the sessions arrive at random over the first mean think time
(a spawn rate of 5 a second for 50). Why 10 s: each page is a heading, a scope line, KPI cards or
a table and one to four charts; reading a KPI row and one chart takes a few seconds at the very
least, a filter is a click in a dropdown and another to close it, and studies of web page dwell
time put the typical visit at 10 to 30 s and more; 5 s is the quickest reader, 15 s a
careful one. The figure comes from the reader, not from the server. `--think 0` is the saturation
mode: every session fires its next run the moment the last one ends (a closed loop with no pause,
the way no person uses a dashboard), which measures capacity (page runs a second the server
completes with every core busy), not what a user waits for.

Before the crowd, one session walks every page once (the server's first start and its facts
build are not what is measured), and then one session walks a crowd member's route twice on its
own: the server's CPU for a page run with nobody else there, first when its filter is new to the
server's cache and again when cached. Reported: errors (exceptions shown on any page, error
alerts, failed or timed-out runs: must be 0), the median and 95th percentile of a page run
(request to script_finished, as the client sees it), page runs a second, the server's CPU per
page run in the crowd, and the server's resident memory before the crowd, at its peak and after
it (growth target: under 100 MB for 50 sessions).

    python -m benchmarks.bench_load [--sessions 50] [--think 10] [--rows 1000000] [--no-upload]
                                    [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.load_client import ProtocolError, Run, Session, run_coroutine
from benchmarks.results import write_section

REPO = Path(__file__).resolve().parent.parent
# Every page the sidebar lists for a signed-in user, in its order ("" is the default page, the
# Overview), except Upload (the uploader's) and Admin (user management, not a dashboard page).
PAGES = ("", "conversion", "employers", "universities", "flows", "retention", "timeline", "evaluations",
         "equity", "pay", "durations", "data", "knowledge", "methodology")
SECTION = "## Many users"
SATURATION_SECTION = "## Many users at saturation (no think time)"
THINK_S = 10.0
SEED = 20_261_201
UPLOAD_LABEL = "Choose a CSV, TSV, Excel or Parquet file"
LOAD_LABEL = "Load into the database"
UNDO_SELECT_LABEL = "Batch to undo"
UNDO_LABEL = "Undo this batch"
UPLOAD_ROWS = 200
P95_TARGET_S = 5.0
GROWTH_TARGET_MB = 100.0


@dataclass
class Outcome:
    """Everything the crowd saw."""

    runs: list[Run] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # runs that never finished, sessions cut off
    upload: dict[str, Any] = field(default_factory=dict)

    def problems(self) -> list[str]:
        found = list(self.failures)
        for run in self.runs:
            found += [f"/{run.page}: {text}" for text in run.exceptions]
            found += [f"/{run.page}: error alert: {text}" for text in run.error_alerts]
            if run.compile_error:
                found.append(f"/{run.page}: compile error")
        return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def settled_rss_mb(pid: int, *, within_mb: float = 5.0, window: int = 6, step: float = 0.5,
                   limit: float = 30.0) -> float:
    """Resident memory once it has stopped moving: the last of `window` readings `step` s apart
    that lie within `within_mb` of each other (at most `limit` s of waiting). Right after a page
    run the server still holds that run's query buffers (DuckDB hands them back to the system
    a moment later, and the facts layout upkeep may be running in the background), so one
    reading taken then says more about the last query than about what the sessions keep."""
    readings = [rss_mb(pid)]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(step)
        readings.append(rss_mb(pid))
        last = readings[-window:]
        if len(last) == window and max(last) - min(last) <= within_mb:
            break
    return readings[-1]


def upload_csv(rows: int = UPLOAD_ROWS) -> bytes:
    """A canonical CSV of generated placements whose ids no stored row has (so every row loads)."""
    import polars as pl

    from analytics import sample

    frame = sample.sample_frame(rows, seed=20_261_201).with_columns(
        (pl.lit("LOAD-") + pl.col("placement_id")).alias("placement_id"),
        (pl.lit("LOAD-") + pl.col("student_id")).alias("student_id"),
    )
    return frame.write_csv().encode()


class Reader:
    """One person's pace: a think time before every action (seeded per session, so a rerun of
    the benchmark waits the same), uniform from 0.5x to 1.5x the mean; none at `mean` 0."""

    def __init__(self, mean: float, seed: int) -> None:
        self.mean = mean
        self.rng = random.Random(seed)

    def think_time(self) -> float:
        return self.rng.uniform(0.5 * self.mean, 1.5 * self.mean) if self.mean > 0 else 0.0

    def arrival(self) -> float:
        """When this session opens the app: at random within the first mean think time."""
        return self.rng.uniform(0.0, self.mean) if self.mean > 0 else 0.0

    async def think(self) -> None:
        pause = self.think_time()
        if pause:
            await asyncio.sleep(pause)


async def walker(url: str, index: int, pages: Sequence[str], changes: int, outcome: Outcome,
                 timeout: float, think: float = 0.0, seed: int = SEED) -> None:
    """One visitor: arrives on a page through a shared link with a year in it, walks every page,
    and changes the filters `changes` times on the way (the Term year, then the Season, each
    change rerunning the page as the browser's multiselect does); reads every result for a think
    time before the next action."""
    start = index % len(pages)
    order = [pages[(start + i) % len(pages)] for i in range(len(pages))]
    change_at = {1 + (i * len(order)) // max(changes, 1) for i in range(changes)} if changes else set()
    reader = Reader(think, seed * 1000 + index)
    await asyncio.sleep(reader.arrival())
    try:
        async with Session(url, timeout=timeout) as session:
            years: list[str] = []
            for step, page in enumerate(order):
                if step:
                    await reader.think()
                if step == 0:
                    run = await session.run(page, query_string=f"year={2019 + index % 7}")
                else:
                    run = await session.run(page)
                outcome.runs.append(run)
                filters = run.widgets("multiselect")
                if "Term year" in filters:
                    years = list(filters["Term year"].options) or years
                if step + 1 in change_at and years and "Term year" in filters:
                    # Another year, then one season, chosen in the sidebar: two reruns of this page.
                    await reader.think()
                    session.choose(filters["Term year"], [years[(index + step) % len(years)]])
                    run = await session.run(page)
                    outcome.runs.append(run)
                    seasons = run.widgets("multiselect").get("Season")
                    if seasons is not None and seasons.options:
                        await reader.think()
                        session.choose(seasons, [seasons.options[(index + step) % len(seasons.options)]])
                        outcome.runs.append(await session.run(page))
    except ProtocolError as error:
        outcome.failures.append(f"session {index}: {error}")


async def uploader(url: str, outcome: Outcome, timeout: float, think: float = 0.0,
                   seed: int = SEED) -> None:
    """The analyst: upload a file, check it, load it, undo it (the database ends as it began),
    with the same think time as everyone else before each action."""
    name = f"load-test-{os.getpid()}.csv"
    data = upload_csv()
    times: dict[str, float] = {}
    reader = Reader(think, seed * 1000 - 1)
    await asyncio.sleep(reader.arrival())
    try:
        async with Session(url, timeout=timeout) as session:
            run = await session.run("upload")
            outcome.runs.append(run)
            await reader.think()
            await session.upload(run.widgets("file_uploader")[UPLOAD_LABEL], name, data)
            run = await session.run("upload")  # reads, maps and checks every row (a dry run)
            outcome.runs.append(run)
            times["check_s"] = run.seconds
            await reader.think()
            session.click(run.widgets("button")[LOAD_LABEL])
            run = await session.run("upload")  # loads, updates the dashboards, reruns
            outcome.runs.append(run)
            times["load_s"] = run.seconds
            loaded = [t for t in run.texts("alert") if "loaded" in t.lower()]
            if not loaded:
                outcome.failures.append(f"upload: no confirmation of the load ({run.texts('alert')})")
            outcome.upload["confirmation"] = loaded[0] if loaded else ""
            choice = run.widgets("selectbox").get(UNDO_SELECT_LABEL)
            batch = [o for o in choice.options if name in o] if choice is not None else []
            if not batch or choice is None:
                outcome.failures.append("upload: the new batch is not offered for undo")
                return
            await reader.think()
            session.select(choice, batch[0])
            session.click(run.widgets("button")[UNDO_LABEL])
            run = await session.run("upload")
            outcome.runs.append(run)
            times["undo_s"] = run.seconds
            if not any("Undid batch" in t for t in run.texts("alert")):
                outcome.failures.append(f"upload: no confirmation of the undo ({run.texts('alert')})")
    except (ProtocolError, KeyError) as error:
        outcome.failures.append(f"upload: {error!r}")
    outcome.upload.update(times)


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system, all its threads), from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _sample_rss(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.25)


async def crowd(url: str, pid: int, sessions: int, pages: Sequence[str], changes: int, upload: bool,
                timeout: float, budget: float, think: float = 0.0) -> tuple[Outcome, float, float]:
    """Run every session (and the uploader) together; (outcome, peak RSS MB, seconds taken)."""
    outcome = Outcome()
    peak = [rss_mb(pid)]
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(pid, peak, stop))
    tasks = [walker(url, i, pages, changes, outcome, timeout, think) for i in range(sessions)]
    if upload:
        tasks.append(uploader(url, outcome, timeout, think))
    started = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=budget)
    except TimeoutError:
        outcome.failures.append(f"the crowd did not finish within {budget:.0f} s")
    elapsed = time.monotonic() - started
    stop.set()
    await sampler
    return outcome, peak[0], elapsed


def solo_cpu(url: str, pid: int, index: int, pages: Sequence[str], changes: int,
             timeout: float) -> tuple[float, float, int]:
    """One session alone walks crowd member `index`'s route twice, without pauses: the server's
    CPU seconds per page run the first time (its filters new to the result cache) and the second
    (cached), and the runs in one walk."""
    per_run: list[float] = []
    runs = 0
    for _ in range(2):
        walk = Outcome()
        used = cpu_seconds(pid)
        run_coroutine(walker(url, index, pages, changes, walk, timeout))
        if walk.problems():
            raise SystemExit("solo walk failed:\n" + "\n".join(walk.problems()))
        runs = len(walk.runs)
        per_run.append((cpu_seconds(pid) - used) / max(runs, 1))
    return per_run[0], per_run[1], runs


def run_load(db: Path, *, sessions: int, pages: Sequence[str] = PAGES, changes: int = 2,
             upload: bool = True, timeout: float = 180.0, budget: float = 1200.0,
             settle: float = 30.0, think: float = 0.0, solo: bool = True) -> dict[str, Any]:
    """Start a server on a copy of `db`, warm it up with one walk, time one session alone
    (`solo`), release the crowd, stop it."""
    from tests.e2e.server import start_app

    with tempfile.TemporaryDirectory(prefix="internships-load-") as tmp:
        copy = Path(tmp) / "load.duckdb"
        shutil.copyfile(db, copy)
        key = Path(f"{db}.key")
        if key.exists():  # the pseudonym key: imports refuse a database without its own key
            shutil.copyfile(key, Path(f"{copy}.key"))
        server = start_app(copy, log_path=Path(tmp) / "server.log")
        try:
            warm = Outcome()
            run_coroutine(walker(server.url, 0, pages, 0, warm, timeout))
            if warm.problems():
                raise SystemExit("warm-up walk failed:\n" + "\n".join(warm.problems()))
            pid = server.process.pid
            # Session `sessions` takes a route of its own filters' kind (the crowd's indices are
            # 0 .. sessions-1), so what it caches is what one more crowd member would have.
            alone = solo_cpu(server.url, pid, sessions, pages, changes, timeout) if solo else None
            before_now = rss_mb(server.process.pid)
            before = settled_rss_mb(server.process.pid, limit=settle)
            load_before = os.getloadavg()[0]
            used = cpu_seconds(pid)
            outcome, peak, elapsed = run_coroutine(
                crowd(server.url, pid, sessions, pages, changes, upload, timeout, budget, think))
            crowd_cpu = cpu_seconds(pid) - used
            after_now = rss_mb(server.process.pid)
            after = settled_rss_mb(server.process.pid, limit=settle)
            load_after = os.getloadavg()[0]
            log = server.log_path.read_text(errors="replace")
        finally:
            server.stop()
    page_runs = sorted(r.seconds for r in outcome.runs if r.page != "upload")
    problems = outcome.problems() + (["server log: Traceback"] if "Traceback" in log else [])
    return {
        "sessions": sessions,
        "think_s": think,
        "uploading": upload,
        "pages": len(pages),
        "page_runs": len(page_runs),
        "errors": len(problems),
        "problems": problems[:20],
        "median_s": statistics.median(page_runs) if page_runs else float("nan"),
        "p95_s": statistics.quantiles(page_runs, n=20, method="inclusive")[18] if len(page_runs) > 1
        else (page_runs[0] if page_runs else float("nan")),
        "max_s": page_runs[-1] if page_runs else float("nan"),
        "elapsed_s": elapsed,
        "runs_per_s": len(outcome.runs) / elapsed if elapsed > 0 else float("nan"),
        "crowd_cpu_s": crowd_cpu,
        "cpu_per_run_s": crowd_cpu / max(len(outcome.runs), 1),
        "solo_cpu_per_run_s": alone[:2] if alone else None,
        "solo_runs": alone[2] if alone else 0,
        "rss_before_mb": before,
        "rss_before_now_mb": before_now,
        "rss_after_now_mb": after_now,
        "rss_peak_mb": peak,
        "rss_after_mb": after,
        "upload": outcome.upload,
        "load_average": (load_before, load_after),
        "warm_walk": [(r.page, r.seconds) for r in warm.runs],
        "outcome": outcome,
    }


def report(result: dict[str, Any], rows: int, command: str) -> str:
    growth = result["rss_after_mb"] - result["rss_before_mb"]
    up = result["upload"]
    think = result["think_s"]
    met = (result["errors"] == 0 and result["p95_s"] < P95_TARGET_S and growth < GROWTH_TARGET_MB)
    pace = (f"each reading every result for a think time drawn uniformly from {0.5 * think:.0f} to "
            f"{1.5 * think:.0f} s (seeded) before the next action, and arriving at random over the "
            f"first {think:.0f} s" if think > 0 else
            "all arriving at once and each firing its next run the moment the last one ends (no "
            "think time: a closed loop that keeps both cores busy, a capacity test, not a user model)")
    lines = [
        SECTION if think > 0 else SATURATION_SECTION,
        "",
        f"Command: `{command}`. A real server (`streamlit run dashboard.py`, loopback) on a copy of "
        f"the {rows:,}-placement pages database; a protocol-level client (`benchmarks/load_client.py`: "
        "Streamlit's own protobuf messages over `/_stcore/stream`, one websocket per session). "
        f"{result['sessions']} sessions, {pace}. Each arrives on its own page through a link with a "
        f"year in it, walks all {result['pages']} pages and twice changes the sidebar's Term year and "
        "then its Season (each change a run of the page, as in the browser)"
        + ("; meanwhile one more session uploads a 200-row CSV, checks it, loads it and undoes it"
           if result.get("uploading", True) else " (no upload in this run)")
        + ". One walk of every page "
        "warms the server first, then one session walks a crowd member's route alone, twice (not "
        "counted in the crowd's figures). The user model and why 10 s: benchmarks/bench_load.py.",
        "",
        "| measure | value | target |",
        "|---|---:|---:|",
        f"| errors (exceptions shown, error alerts, failed runs) | {result['errors']} | 0 |",
        f"| page runs | {result['page_runs']:,} | |",
        f"| median page run | {result['median_s']:.2f} s | |",
        f"| 95th-percentile page run | {result['p95_s']:.2f} s | < {P95_TARGET_S:.0f} s |",
        f"| slowest page run | {result['max_s']:.2f} s | |",
        f"| the whole crowd | {result['elapsed_s']:.0f} s | |",
        f"| runs completed per second (page runs and the upload's) | {result['runs_per_s']:.2f} | |",
        f"| server CPU in the crowd / per run | {result['crowd_cpu_s']:.0f} s / "
        f"{result['cpu_per_run_s']:.3f} s | |",
    ]
    if result.get("solo_cpu_per_run_s"):
        first, cached = result["solo_cpu_per_run_s"]
        lines.append(f"| server CPU per page run, one session alone ({result['solo_runs']} runs): "
                     f"filters new to the cache / cached | {first:.3f} / {cached:.3f} s | |")
    lines += [
        f"| server memory before / peak / after | {result['rss_before_mb']:,.0f} / "
        f"{result['rss_peak_mb']:,.0f} / {result['rss_after_mb']:,.0f} MB | |",
        f"| memory growth for the crowd | {growth:,.0f} MB | < {GROWTH_TARGET_MB:.0f} MB |",
        f"| (single readings right after the warm walk / the crowd) | "
        f"{result.get('rss_before_now_mb', float('nan')):,.0f} / "
        f"{result.get('rss_after_now_mb', float('nan')):,.0f} MB | |",
    ]
    if up:
        check, load, undo = (up.get(k, float("nan")) for k in ("check_s", "load_s", "undo_s"))
        lines.append(f"| upload: check / load (incl. dashboards update) / undo | {check:.2f} / {load:.2f} / "
                     f"{undo:.2f} s | |")
    verdict = (f"Targets (DESIGN.md, 50 sessions): **{'met' if met else 'NOT met'}**. " if think > 0 else
               "No target applies to this mode (DESIGN.md's targets are for users, who pause): it "
               "says how many runs a second the server completes with both cores busy, so the "
               "p95 here is the queue of 50 sessions that never pause (about sessions x CPU per "
               "run / cores), not a user's wait. ")
    lines += [
        "",
        verdict + "Page run = from the "
        "request (BackMsg rerun_script) to the server's script_finished, as the client sees it, "
        "while every other session runs too. CPU = the server process's user + system time "
        "(/proc) over the crowd, divided by every run it served (the upload's included). Memory = "
        "the server process's resident set once it has settled (six readings half a second apart "
        "within 5 MB, at most 30 s): before = after the warm-up walks, after = once the crowd has "
        "finished, while the server still holds every session's state (Streamlit keeps a closed "
        "session for 120 s).",
        "",
        "The machine is shared with other people's jobs (1-minute load average "
        f"{result['load_average'][0]:.1f} before the crowd, {result['load_average'][1]:.1f} after): "
        "absolute times are pessimistic.",
    ]
    if result["problems"]:
        lines += ["", "Problems seen:", *[f"- {p}" for p in result["problems"]]]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--think", type=float, default=THINK_S,
                        help="mean think time in seconds before every action (0: saturation mode)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="placements in the database")
    parser.add_argument("--changes", type=int, default=2, help="filter changes per session")
    parser.add_argument("--no-upload", action="store_true")
    parser.add_argument("--budget", type=float, default=1200.0, help="seconds the crowd may take")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(list(argv or []))
    from benchmarks.bench_pages import database

    db = database(args.rows)
    result = run_load(db, sessions=args.sessions, changes=args.changes, upload=not args.no_upload,
                      budget=args.budget, think=max(args.think, 0.0))
    command = "python -m benchmarks.bench_load"
    command += f" --sessions {args.sessions}" if args.sessions != 50 else ""
    command += f" --think {args.think:g}" if args.think != THINK_S else ""
    command += f" --rows {args.rows}" if args.rows != 1_000_000 else ""
    text = report(result, args.rows, command)
    print(text, flush=True)
    if not args.no_write:
        write_section(SECTION if args.think > 0 else SATURATION_SECTION, text)
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
