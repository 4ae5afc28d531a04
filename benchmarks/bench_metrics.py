"""Metrics: every metric function timed at 1,000,000 and 10,000,000 placements, and the overview +
employer comparison + conversion by term against a plain pandas implementation of the same
numbers on the same data already in memory.

For each size:
1. benchmarks/data/placements_<rows>.parquet: analytics.sample.write (made once, reused; shared
   with the pages benchmark).
2. benchmarks/data/metrics_<rows>.duckdb: loaded with the ingest loader (pseudonymised ids,
   derived columns) in one transaction, then `metrics.refresh_facts` (its time is reported: it
   is what the first metric call after an upload pays). Reused when it already holds the rows.
3. benchmarks/data/loaded_<rows>.parquet: the same rows exported from that database (canonical
   and derived columns), which the pandas side reads entirely into a DataFrame, the way a
   typical dashboard holds its data.
4. Child processes, so each side's peak memory (ru_maxrss) is its own:
   - duckdb: the three metrics, timed as a unit (median of --repeats after one warm-up run);
   - duckdb-plain: the same three with the facts table switched off (the straightforward
     queries on `placements`), for reference;
   - pandas: read the DataFrame (load time reported separately), then the three, timed the
     same way. Interval, funnel and shrinkage arithmetic on the ~70 aggregated employer rows
     uses analytics.stats on both sides; all the aggregation on the pandas side is pandas;
   - functions: every public metric function timed on its own (median of --repeats).
5. The numbers of both sides are compared (counts exactly, floats to 1e-9 relative).

    python -m benchmarks.bench_metrics [--rows N ...] [--repeats K] [--no-write] [--skip-pandas]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from analytics.access import LOCAL_ADMIN as ADMIN
from benchmarks.results import write_section

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data"
SECTION = "## Metrics"
SIZES = (1_000_000, 10_000_000)
SPEED_TARGET = 3.0  # at least 3x faster than pandas at 10M
MEMORY_TARGET = 0.10  # at most a tenth of pandas' peak memory
TERM = "term"


# -- data ----------------------------------------------------------------------------------------
def parquet_file(rows: int, seed: int) -> Path:
    from analytics import sample

    suffix = "" if seed == sample.DEFAULT_SEED else f"_s{seed}"
    name = f"placements_{rows}{suffix}.parquet"
    path = DATA / name
    if not path.exists():
        print(f"  generating {rows:,} placements -> {path.name}", flush=True)
        sample.write(rows, path, seed=seed)
    return path


def database(rows: int, source: Path) -> tuple[Path, dict[str, float], bool]:
    """A database with `rows` loaded placements and fresh facts, its build times, and whether
    it was (re)built just now."""
    from analytics import metrics
    from analytics.ingest.load import insert_placements, new_batch, pseudonym_key
    from analytics.store import Store

    db = DATA / f"metrics_{source.stem.removeprefix('placements_')}.duckdb"
    timings: dict[str, float] = {}
    if db.exists():
        store = Store(db)
        try:
            batches = store.rows("SELECT file_name FROM batches")
            if store.table_counts()["placements"] == rows and batches == [(source.name,)]:
                timings["facts_build_s"] = metrics.refresh_facts(store)  # 0.0 when fresh
                meta = store.rows(f"SELECT build_seconds FROM {metrics.META_TABLE}")
                timings["facts_build_s"] = float(meta[0][0]) if meta else timings["facts_build_s"]
                return db, timings, False
        finally:
            store.close()
        for suffix in ("", ".wal", ".key"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    print(f"  loading {source.name} into {db.name}", flush=True)
    store = Store(db)
    try:
        started = time.perf_counter()
        with store.transaction() as cur:
            batch = new_batch(cur, file_name=source.name, sha256=None, uploader="bench", mapping_json=None)
            insert_placements(cur, "read_parquet(?)", batch, pseudonym_key(store), [str(source)])
        timings["load_s"] = time.perf_counter() - started
        timings["facts_build_s"] = metrics.refresh_facts(store)
        store.cursor().execute("CHECKPOINT")
    finally:
        store.close()
    return db, timings, True


def pandas_input(db: Path, rebuilt: bool) -> Path:
    """The loaded rows (canonical + derived columns) as Parquet, for the pandas side."""
    from analytics import schema
    from analytics.store import Store

    out = db.with_name(db.stem.replace("metrics_", "loaded_") + ".parquet")
    if out.exists() and not rebuilt:
        return out
    store = Store(db, read_only=True)
    try:
        columns = ", ".join(f.name for f in schema.FIELDS)
        store.cursor().execute(f"COPY (SELECT {columns} FROM placements) TO '{out}' (FORMAT parquet)")
    finally:
        store.close()
    return out


# -- the pandas side -----------------------------------------------------------------------------
def pandas_three(df: Any, min_cell: int) -> dict[str, Any]:
    """Overview, employer comparison and conversion by term with pandas, same definitions."""
    import pandas as pd

    from analytics import stats

    def flag(column: str) -> Any:
        return df[column].eq(True).to_numpy(dtype=bool)

    completed = df["status"].eq("completed").to_numpy(dtype=bool)
    not_ce = ~flag("continuing_education")
    final_year_known = bool(df["final_year"].notna().any())
    graduating = flag("final_year") | df["student_status"].eq("recent_graduate").to_numpy(dtype=bool)
    eligible = completed & not_ce & (graduating if final_year_known else True)
    accepted_flag = flag("offer_accepted")
    offered = eligible & (flag("offer_extended") | accepted_flag)
    accepted = eligible & accepted_flag
    known = eligible & (df["offer_extended"].notna().to_numpy() | accepted_flag)

    # overview
    paid_values = df["paid"]
    has_pay = df["hourly_pay"].notna() & df["currency"].notna()
    pay = df.loc[has_pay, ["currency", "hourly_pay"]].groupby("currency")["hourly_pay"].agg(
        ["size", "median", "mean"]).reset_index().sort_values(["size", "currency"], ascending=[False, True])
    e, o, a, k = int(eligible.sum()), int(offered.sum()), int(accepted.sum()), int(known.sum())
    paid_known = int(paid_values.notna().sum())
    schedule_n = int(df["schedule"].notna().sum())
    credit_n = int(df["academic_credit"].notna().sum())
    training_n = int(df["structured_training"].notna().sum())
    overview = {
        "placements": len(df), "students": int(df["student_id"].nunique()),
        "employers": int(df["employer_key"].nunique()), "universities": int(df["university"].nunique()),
        "completed": int(completed.sum()), "eligible": e, "offers": o, "accepted": a, "known_outcome": k,
        "offer_rate": o / e if e else None, "acceptance_rate": a / o if o else None,
        "conversion_rate": a / e if e else None, "knowledge_rate": k / e if e else None,
        "paid_share": int(paid_values.eq(True).sum()) / paid_known if paid_known else None,
        "paid_known": paid_known,
        "hourly_pay_currency": pay["currency"].iloc[0] if len(pay) else None,
        "median_hourly_pay": float(pay["median"].iloc[0]) if len(pay) else None,
        "mean_hourly_pay": float(pay["mean"].iloc[0]) if len(pay) else None,
        "hourly_pay_n": int(pay["size"].iloc[0]) if len(pay) else 0,
        "median_duration_weeks": float(df["duration_weeks"].median()),
        "duration_n": int(df["duration_weeks"].notna().sum()),
        "full_time_share": int(df["schedule"].eq("full_time").sum()) / schedule_n if schedule_n else None,
        "academic_credit_share": int(df["academic_credit"].eq(True).sum()) / credit_n if credit_n else None,
        "structured_training_share": (int(df["structured_training"].eq(True).sum()) / training_n
                                      if training_n else None),
    }
    for name, x, n in (("offer_rate", o, e), ("acceptance_rate", a, o), ("conversion_rate", a, e)):
        overview[f"{name}_low"], overview[f"{name}_high"] = stats.wilson_interval(x, n)

    # employer comparison
    flags = pd.DataFrame({"employer_key": df["employer_key"], "term": df["term"], "n": eligible,
                          "offers": offered, "accepted": accepted})
    per_employer = flags.groupby("employer_key")[["n", "offers", "accepted"]].sum()
    weeks = df[["employer_key", "duration_weeks"]].groupby("employer_key")["duration_weeks"].agg(
        ["median", "count"])
    pay_columns = df.loc[has_pay, ["employer_key", "currency", "hourly_pay"]]
    emp_pay = (pay_columns.groupby(["employer_key", "currency"])["hourly_pay"].agg(["size", "median"])
               .reset_index().sort_values(["employer_key", "size", "currency"], ascending=[True, False, True])
               .drop_duplicates("employer_key").set_index("employer_key"))
    spellings = (df[["employer_key", "employer"]].groupby(["employer_key", "employer"]).size()
                 .reset_index(name="c")
                 .sort_values(["employer_key", "c", "employer"], ascending=[True, False, True])
                 .drop_duplicates("employer_key").set_index("employer_key")["employer"])
    emp = per_employer.join(weeks).join(emp_pay, rsuffix="_pay").join(spellings)
    n = emp["n"].to_numpy(dtype=float)
    x = emp["accepted"].to_numpy(dtype=float)
    target = x.sum() / n.sum()
    z = stats.funnel_z(x, n, target)
    shrunk, _, _ = stats.shrink_rates(x, n)
    employers = []
    for i, (key, r) in enumerate(emp.iterrows()):
        paid_ok = r["size"] == r["size"] and r["size"] >= min_cell  # NaN when no pay at all
        row = {"employer_key": key, "employer": r["employer"], "n": int(r["n"]), "offers": int(r["offers"]),
               "accepted": int(r["accepted"]), "conversion_rate": r["accepted"] / r["n"] if r["n"] else None,
               "z_score": None if math.isnan(z[i]) else float(z[i]),
               "shrunk_conversion": float(shrunk[i]) if r["n"] else None,
               "median_weeks": float(r["median"]) if r["count"] >= min_cell else None,
               "median_hourly_pay": float(r["median_pay"]) if paid_ok else None,
               "hourly_pay_currency": r["currency"] if paid_ok else None}
        employers.append(row)

    # conversion by term (pooled), with the number of employers having eligible interns
    by_term_employer = flags.groupby(["term", "employer_key"], dropna=False)[
        ["n", "offers", "accepted"]].sum()
    by_term_employer["has"] = by_term_employer["n"] > 0
    by_term = by_term_employer.groupby(level=0, dropna=False).agg(
        n=("n", "sum"), offers=("offers", "sum"), accepted=("accepted", "sum"), employers=("has", "sum"))
    terms = [{"group": str(t) if isinstance(t, str) else "unknown", "n": int(r["n"]),
              "offers": int(r["offers"]), "accepted": int(r["accepted"]), "employers": int(r["employers"]),
              "conversion_rate": r["accepted"] / r["n"] if r["n"] else None}
             for t, r in by_term.iterrows()]
    return {"overview": overview, "employers": employers, "terms": terms}


# -- the DuckDB side -----------------------------------------------------------------------------
def duckdb_three(store: Any, min_cell: int) -> dict[str, Any]:
    from analytics import metrics

    overview = metrics.overview(store, ADMIN, min_cell=min_cell).row(0, named=True)
    employers = metrics.employer_comparison(store, ADMIN, min_cell=min_cell).to_dicts()
    terms = metrics.conversion_by(store, ADMIN, TERM, min_cell=min_cell).to_dicts()
    return {"overview": overview, "employers": employers, "terms": terms}


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    result = fn()  # warm-up (and the result to compare)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times, result


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    from the forking parent through exec, so a child would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker(mode: str, path: Path, repeats: int, min_cell: int) -> dict[str, Any]:
    if mode == "pandas":
        import pandas as pd

        started = time.perf_counter()
        df = pd.read_parquet(path)
        load = time.perf_counter() - started
        times, result = _timed(lambda: pandas_three(df, min_cell), repeats)
        return {"times": times, "load_s": load, "peak_mb": _peak_mb(), "result": result}

    from analytics import metrics
    from analytics.filters import Filter
    from analytics.store import Store

    store = Store(path, read_only=True)
    if mode == "duckdb-plain":
        # Bypass the facts table: every metric reads the on-the-fly projection of placements.
        from analytics.metrics import facts, scope, tables

        for module in (scope, tables):
            module.current_facts = lambda _store: facts._fallback()  # type: ignore[attr-defined]
    if mode in ("duckdb", "duckdb-plain"):
        times, result = _timed(lambda: duckdb_three(store, min_cell), repeats)
        return {"times": times, "peak_mb": _peak_mb(), "result": result}
    # every function on its own
    flt = Filter(term_years=(2024,))
    calls: dict[str, Callable[[], Any]] = {
        "overview": lambda: metrics.overview(store, ADMIN),
        "overview (filtered: 2024)": lambda: metrics.overview(store, ADMIN, flt),
        "conversion_by term": lambda: metrics.conversion_by(store, ADMIN, "term"),
        "conversion_by employer, employer_mean": lambda: metrics.conversion_by(store, ADMIN, "employer",
                                                                              method="employer_mean"),
        "conversion_by role_family (filtered: 2024)": lambda: metrics.conversion_by(store, ADMIN,
                                                                                    "role_family",
                                                                                   flt),
        "funnel": lambda: metrics.funnel(store, ADMIN),
        "employer_comparison": lambda: metrics.employer_comparison(store, ADMIN),
        "funnel_plot": lambda: metrics.funnel_plot(store, ADMIN),
        "university_view": lambda: metrics.university_view(store, ADMIN, "Northfield State University"),
        "pay_currencies": lambda: metrics.pay_currencies(store, ADMIN),
        "pay_by role_family": lambda: metrics.pay_by(store, ADMIN, "role_family"),
        "pay_distribution": lambda: metrics.pay_distribution(store, ADMIN),
        "pay_distribution by role_family": lambda: metrics.pay_distribution(store, ADMIN, by="role_family"),
        "paid_share_by_term": lambda: metrics.paid_share_by_term(store, ADMIN),
        "pay_vs_conversion": lambda: metrics.pay_vs_conversion(store, ADMIN),
        "duration_by term_season": lambda: metrics.duration_by(store, ADMIN, "term_season"),
        "duration_distribution": lambda: metrics.duration_distribution(store, ADMIN),
        "schedule_mix": lambda: metrics.schedule_mix(store, ADMIN),
        "credit_share_by term": lambda: metrics.credit_share_by(store, ADMIN, "term"),
        "duration_vs_conversion": lambda: metrics.duration_vs_conversion(store, ADMIN),
        "summary_table term_year x paid": lambda: metrics.summary_table(store, ADMIN,
                                                                        by=("term_year", "paid")),
        "options": lambda: metrics.options(store, ADMIN),
        "records (first 1,000)": lambda: metrics.records(store, ADMIN),
        "record_count": lambda: metrics.record_count(store, ADMIN),
    }
    out = {}
    for name, call in calls.items():
        times, _ = _timed(call, repeats)
        out[name] = statistics.median(times)
    return {"functions": out, "peak_mb": _peak_mb()}


_LOADS: list[float] = []  # 1-minute load averages seen before each child run


def run_worker(mode: str, path: Path, repeats: int, min_cell: int) -> dict[str, Any]:
    _LOADS.append(os.getloadavg()[0])  # other jobs on the same cores slow both sides
    command = [sys.executable, "-m", "benchmarks.bench_metrics", "--worker", mode, "--path", str(path),
               "--repeats", str(repeats), "--min-cell", str(min_cell)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} worker failed:\n{done.stderr[-4000:]}")
    loaded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


# -- comparing -----------------------------------------------------------------------------------
def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


# Derived employer statistics the disclosure gate releases rounded (metrics.employers: full
# precision would let anyone solve the shrinkage for hidden counts): pandas' value is compared
# after the same rounding.
RELEASED_DIGITS = {"z_score": 2, "shrunk_conversion": 3}


def compare(duck: dict[str, Any], pand: dict[str, Any]) -> list[str]:
    from analytics.metrics.frames import OFFER_GUARD  # not at import: the pandas worker's memory

    problems = []
    for key, value in pand["overview"].items():
        if not _same(duck["overview"].get(key), value):
            problems.append(f"overview.{key}: duckdb {duck['overview'].get(key)!r} pandas {value!r}")
    duck_emp = {r["employer_key"]: r for r in duck["employers"]}
    if set(duck_emp) != {r["employer_key"] for r in pand["employers"]}:
        problems.append("employer_comparison: different employers")
    for row in pand["employers"]:
        other = duck_emp.get(row["employer_key"], {})
        # The offer guard (fewer than min_cell offered students) hides the offers and the rates
        # built on them in a visible row: hidden by design too, not a different number.
        offer_hidden = (not other.get("suppressed") and other.get("n") is not None
                        and other.get("offers") is None)
        for key, value in row.items():
            if other.get("suppressed") and key in ("n", "offers", "accepted", "conversion_rate",
                                                   "z_score", "shrunk_conversion"):
                continue  # hidden on the DuckDB side by design
            if offer_hidden and key in OFFER_GUARD.hides:
                continue
            if key in RELEASED_DIGITS and isinstance(value, float) and not math.isnan(value):
                value = round(value, RELEASED_DIGITS[key])
            if not _same(other.get(key), value):
                problems.append(f"employer {row['employer_key']}.{key}: duckdb {other.get(key)!r} "
                                f"pandas {value!r}")
    duck_terms = {r["group"]: r for r in duck["terms"]}
    if set(duck_terms) != {r["group"] for r in pand["terms"]}:
        problems.append("conversion_by term: different terms")
    for row in pand["terms"]:
        other = duck_terms.get(row["group"], {})
        for key, value in row.items():
            if not _same(other.get(key), value):
                problems.append(f"term {row['group']}.{key}: duckdb {other.get(key)!r} pandas {value!r}")
    return problems


# -- report --------------------------------------------------------------------------------------
def run_size(rows: int, seed: int, repeats: int, skip_pandas: bool, min_cell: int) -> dict[str, Any]:
    print(f"- {rows:,} placements", flush=True)
    source = parquet_file(rows, seed)
    db, build, rebuilt = database(rows, source)
    result: dict[str, Any] = {"rows": rows, **build}
    print("  duckdb: three metrics", flush=True)
    duck = run_worker("duckdb", db, repeats, min_cell)
    result["duckdb_s"] = statistics.median(duck["times"])
    result["duckdb_mb"] = duck["peak_mb"]
    print("  duckdb: three metrics, plain queries on placements", flush=True)
    plain: dict[str, Any] | None
    try:
        plain = run_worker("duckdb-plain", db, max(1, repeats // 2), min_cell)
    except RuntimeError as error:
        # A reference figure only: its failure (e.g. out of memory) is reported, not fatal.
        plain = None
        last = [line for line in str(error).splitlines() if line.strip()]
        result["plain_error"] = next((line for line in last if "Error" in line and ":" in line), last[-1])
        print(f"  plain failed: {result['plain_error']}", flush=True)
    if plain is not None:
        result["plain_s"] = statistics.median(plain["times"])
        result["plain_mb"] = plain["peak_mb"]
    print("  duckdb: every function", flush=True)
    functions = run_worker("functions", db, repeats, min_cell)
    result["functions"] = functions["functions"]
    result["functions_mb"] = functions["peak_mb"]
    if not skip_pandas:
        print("  pandas: three metrics", flush=True)
        pand = run_worker("pandas", pandas_input(db, rebuilt), repeats, min_cell)
        result["pandas_s"] = statistics.median(pand["times"])
        result["pandas_mb"] = pand["peak_mb"]
        result["pandas_load_s"] = pand["load_s"]
        result["mismatches"] = compare(duck["result"], pand["result"])
        result["plain_mismatches"] = compare(plain["result"], pand["result"]) if plain else []
    for key in ("duckdb_s", "plain_s", "pandas_s"):
        if key in result:
            print(f"  {key} {result[key]:.3f}", flush=True)
    return result


def report(results: Sequence[dict[str, Any]], command: str, repeats: int) -> str:
    lines = [
        SECTION, "",
        f"Command: `{command}` ({platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"medians of {repeats} runs after a warm-up; peak memory = peak resident set (VmHWM) of a "
        "child process per side).",
        "",
        "Overview + employer comparison + conversion by term, on the same placements: DuckDB "
        "(`analytics.metrics`, reading the database file) against plain pandas on a DataFrame "
        "already in memory (`pandas.read_parquet` of every column; load time not counted).",
        "",
        "| placements | metrics (DuckDB) | peak memory | pandas | pandas peak memory | speed-up "
        "| memory ratio | same numbers | plain SQL on `placements` |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        if "pandas_s" in r:
            speed = f"{r['pandas_s'] / r['duckdb_s']:.1f}x"
            ratio = f"1/{r['pandas_mb'] / r['duckdb_mb']:.0f}"
            same = "yes" if not r["mismatches"] else f"NO ({len(r['mismatches'])} differences)"
            pandas_cells = f"{r['pandas_s']:.2f} s | {r['pandas_mb']:,.0f} MB"
        else:
            speed, ratio, same, pandas_cells = "-", "-", "-", "- | -"
        lines.append(
            f"| {r['rows']:,} | {r['duckdb_s']:.3f} s | {r['duckdb_mb']:,.0f} MB | {pandas_cells} | {speed} "
            f"| {ratio} | {same} | "
            + (f"{r['plain_s']:.2f} s, {r['plain_mb']:,.0f} MB |" if "plain_s" in r
               else f"failed: {r.get('plain_error', '?')[:80]} |")
        )
    lines += ["", f"Targets at 10,000,000: at least {SPEED_TARGET:.0f}x faster than pandas, at most "
              f"{MEMORY_TARGET:.0%} of its peak memory, the same numbers.", ""]
    if _LOADS:
        lines += [f"1-minute load average before each measurement: {min(_LOADS):.1f} to {max(_LOADS):.1f} "
                  f"(other jobs sharing the {os.cpu_count()} cores slow both sides; ratios come from the "
                  "same run).", ""]
    for r in results:
        build = r.get("facts_build_s")
        load = r.get("load_s")
        parts = []
        if load is not None:
            parts.append(f"loading the Parquet file with the ingest loader took {load:.1f} s")
        if build is not None:
            parts.append(f"building the facts table (once per data change, on the first metric call) "
                         f"took {build:.1f} s")
        if "pandas_load_s" in r:
            parts.append(f"pandas needed {r['pandas_load_s']:.1f} s to read its DataFrame")
        if parts:
            lines.append(f"- {r['rows']:,}: " + "; ".join(parts) + ".")
    lines += ["", "Every metric function on its own (DuckDB, median seconds):", "",
              "| function | " + " | ".join(f"{r['rows']:,}" for r in results) + " |",
              "|---|" + "---:|" * len(results)]
    names = list(results[0]["functions"]) if results else []
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{r['functions'].get(name, math.nan):.3f}"
                                               for r in results) + " |")
    lines.append("| peak memory of that process | " + " | ".join(f"{r['functions_mb']:,.0f} MB"
                                                                 for r in results) + " |")
    mismatches = [m for r in results for m in r.get("mismatches", [])]
    if mismatches:
        lines += ["", "Differences between DuckDB and pandas (first 20):", ""]
        lines += [f"- {m}" for m in mismatches[:20]]
    return "\n".join(lines) + "\n"




def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_metrics",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", action="extend", default=None,
                        help="sizes to run (default: 1000000 10000000)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--min-cell", type=int, default=10)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--worker", choices=("duckdb", "duckdb-plain", "pandas", "functions"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.path), args.repeats, args.min_cell), default=str))
        return 0
    from analytics import sample

    seed = sample.DEFAULT_SEED if args.seed is None else args.seed
    sizes = args.rows or list(SIZES)
    results = [run_size(rows, seed, args.repeats, args.skip_pandas, args.min_cell) for rows in sizes]
    command = "python -m benchmarks.bench_metrics"
    if args.rows:
        command += " --rows " + " ".join(str(s) for s in sizes)
    if args.repeats != 5:
        command += f" --repeats {args.repeats}"
    if args.skip_pandas:
        command += " --skip-pandas"
    text = report(results, command, args.repeats)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    failed = any(r.get("mismatches") for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
