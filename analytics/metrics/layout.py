"""The facts table's physical order: rows clustered by term, so a filter on terms reads only the
row groups of its terms.

Every page and almost every metric call carries a term filter (the sidebar's Term year and
Season), and DuckDB skips a row group whose min/max statistics (zone maps) cannot match the
filter. In the order an import leaves them -- generated or merged files mix all terms in every
row group -- nothing can be skipped, so each of a page's 30 to 100 queries reads all ten million
rows. Clustered by term, a query for one year and season reads about a twentieth of them
(measured in benchmarks/RESULTS.md, "Pages").

Clustering rewrites the facts table with the same rows in term order: no value changes, so no
metric can (the facts keep every column, including the first-of-student marks and batch ids the
incremental upkeep uses). It costs about as much CPU as the facts build itself, so it is not part
of an import (analytics.metrics.facts, which `internships ingest` runs to its end): a long-lived
process -- the dashboard's server -- calls `maintain` after its metric calls, which checks at most
once per data version, in a background thread, whether the table has come apart (a full rebuild,
or increments that appended many unclustered rows) and re-clusters it then. Pages keep reading the
old table meanwhile; the rewrite is one transaction, so a reader sees either table whole.

The rewrite goes a few terms at a time, each run of terms sorted on its own (`chunks`): one sort
of the whole table spills it to disk several times over under the store's memory limit (at
100,000,000 placements, 22 GB of spill files in six minutes), while a run of a few million rows
sorts within it. Each run reads the table again, but a scan is cheap next to a spilled sort.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from typing import Final

import duckdb

from analytics.metrics.facts import FACTS_TABLE, _build_lock, _meta
from analytics.store import Store

# DuckDB's row group: the unit its zone maps skip.
ROW_GROUP: Final = 122_880
# Below this many rows a full scan is a few milliseconds: not worth a rewrite.
MIN_ROWS: Final = 8 * ROW_GROUP
# Rows sorted at once: about what the sort holds within the store's memory limit (1 GB; a facts
# row is a few dozen bytes of sort key and payload).
CHUNK_ROWS: Final = 4_000_000
# Re-cluster when more than this share of the row groups overlaps the next one in terms. In term
# order, neighbouring row groups share at most one term (their boundary term); imports append
# unclustered rows at the end, which overlap, and a full rebuild overlaps everywhere.
MIXED_SHARE: Final = 0.2

_checked: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()
_running: weakref.WeakKeyDictionary[Store, threading.Thread] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def mixed_share(store: Store, group: int | None = None) -> tuple[int, float]:
    """(rows, share of row groups whose terms overlap the next row group's) of the facts table:
    a row group overlaps when its last term comes after the next group's first term. (`group`:
    rows per group, DuckDB's row group unless a test asks for smaller ones.)"""
    size = int(group or ROW_GROUP)
    rows = store.rows(f"""
        SELECT CAST(coalesce(sum(n), 0) AS BIGINT),
               coalesce(avg(CASE WHEN hi > next_lo THEN 1.0 ELSE 0.0 END), 0.0)
        FROM (SELECT n, hi, lead(lo) OVER (ORDER BY g) AS next_lo
              FROM (SELECT rowid // {size} AS g, count(*) AS n, min(term_no) AS lo,
                           max(term_no) AS hi
                    FROM {FACTS_TABLE} GROUP BY g))""")
    return int(rows[0][0]), float(rows[0][1])


def needs_clustering(store: Store, *, min_rows: int | None = None, group: int | None = None) -> bool:
    rows, mixed = mixed_share(store, group)
    return rows >= (MIN_ROWS if min_rows is None else min_rows) and mixed > MIXED_SHARE


def cluster_facts(store: Store, *, min_rows: int | None = None, group: int | None = None,
                  chunk_rows: int = CHUNK_ROWS) -> float:
    """Rewrite the facts table in term order if it is up to date and has come apart; return the
    seconds spent (0.0: nothing to do). Holds the facts' build lock, so no upkeep runs meanwhile,
    and does not bump the data version: the numbers do not change, only how fast they come."""
    if store.read_only:
        return 0.0
    with _build_lock(store):
        if _meta(store) is None or not needs_clustering(store, min_rows=min_rows, group=group):
            return 0.0  # stale facts are the upkeep's to bring up to date first
        started = time.perf_counter()
        cur = store.cursor()
        # The chunks are appended in the order they are sorted: keep it (an import's session may
        # have switched this off for its own loads).
        cur.execute("SET preserve_insertion_order = true")
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute(f"CREATE TABLE {_NEW_TABLE} AS SELECT * FROM {FACTS_TABLE} LIMIT 0")
            for lo, hi in chunks(_term_counts(store), chunk_rows):
                # Within a term the import order stays (rowid).
                where = "term_no IS NULL" if lo is None else "term_no BETWEEN ? AND ?"
                cur.execute(f"INSERT INTO {_NEW_TABLE} SELECT * FROM {FACTS_TABLE} WHERE {where} "
                            "ORDER BY term_no, rowid", [] if lo is None else [lo, hi])
            cur.execute(f"DROP TABLE {FACTS_TABLE}")
            cur.execute(f"ALTER TABLE {_NEW_TABLE} RENAME TO {FACTS_TABLE}")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return time.perf_counter() - started


_NEW_TABLE: Final = f"{FACTS_TABLE}_clustered"


def _term_counts(store: Store) -> list[tuple[int | None, int]]:
    return [(None if t is None else int(t), int(n)) for t, n in store.rows(
        f"SELECT term_no, count(*) FROM {FACTS_TABLE} GROUP BY term_no ORDER BY term_no NULLS LAST")]


def chunks(counts: list[tuple[int | None, int]], chunk_rows: int) -> list[tuple[int | None, int | None]]:
    """Runs of consecutive terms, (first, last), of at most `chunk_rows` rows each (a term larger
    than that is a run of its own), in term order; rows without a term last, as (None, None).
    `counts`: (term_no, rows) in term order, None last."""
    runs: list[tuple[int | None, int | None]] = []
    first: int | None = None
    last: int | None = None
    rows = 0
    for term, n in counts:
        if term is None:
            continue
        if first is not None and rows + n > chunk_rows:
            runs.append((first, last))
            first, rows = None, 0
        first = term if first is None else first
        last, rows = term, rows + n
    if first is not None:
        runs.append((first, last))
    if any(term is None for term, _ in counts):
        runs.append((None, None))
    return runs


def maintain(store: Store, version: int | None = None) -> None:
    """Check, once per data version (`version`: the caller's, else asked), whether the facts
    need clustering, and cluster them in a background thread if so. Cheap to call after every
    metric call: a dictionary look-up, and once per version a row count."""
    if store.read_only:
        return
    version = store.data_version() if version is None else version
    with _guard:
        if _checked.get(store) == version:
            return
        running = _running.get(store)
        if running is not None and running.is_alive():
            return
        _checked[store] = version
    try:
        rows = int(store.scalar(f"SELECT count(*) FROM {FACTS_TABLE}") or 0)
    except duckdb.Error:
        return  # no facts yet: nothing to cluster
    if rows < MIN_ROWS:
        return
    thread = threading.Thread(target=_run, args=(store,), name="facts-layout", daemon=True)
    with _guard:
        _running[store] = thread
    thread.start()


def _run(store: Store) -> None:
    # A failed rewrite leaves the old table (one transaction): slower, never wrong. It is
    # checked again after the next data change.
    with contextlib.suppress(duckdb.Error):
        cluster_facts(store)


def wait(store: Store, timeout: float | None = None) -> None:
    """Wait for a running background check of this store (benchmarks, tests)."""
    with _guard:
        running = _running.get(store)
    if running is not None:
        running.join(timeout)
