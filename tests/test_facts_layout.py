"""Clustering the facts by term (analytics.metrics.layout) changes how fast the metrics come,
never what they say.

The sample (5,000 placements, every term mixed through the file) is far below a real row group,
so these tests ask for groups of 250 rows: the same code, at a size where the sample has 20 of
them. The oracle for "the same numbers" is the metrics computed before the rewrite, and after an
import and undo on the clustered table, a full rebuild of the facts from `placements`.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics import metrics, sample
from analytics.access import LOCAL_ADMIN, PUBLIC, Principal
from analytics.filters import Filter
from analytics.ingest import undo_batch
from analytics.ingest.load import load_canonical_csv
from analytics.metrics import facts, layout
from analytics.store import Store

GROUP = 250
FILTERS = (Filter(), Filter(term_years=(2024,), term_seasons=("summer",)), Filter(term_seasons=("fall",)))


@pytest.fixture
def store(sample_db_path: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(sample_db_path, copy)
    key = sample_db_path.with_name(sample_db_path.name + ".key")
    if key.exists():
        shutil.copy(key, copy.with_name(copy.name + ".key"))
    opened = Store(copy)
    metrics.refresh_facts(opened)
    yield opened
    opened.close()


def _metrics(store: Store, principals: tuple[Principal, ...] = (LOCAL_ADMIN, PUBLIC)) -> dict[str, Any]:
    every: dict[str, Any] = {}
    for who in principals:  # the public view is perturbed: the record keys must move too
        for i, flt in enumerate(FILTERS):
            every[f"{who.role} overview {i}"] = metrics.overview(store, who, flt)
            every[f"{who.role} by term {i}"] = metrics.conversion_by(store, who, "term", flt)
            every[f"{who.role} by employer {i}"] = metrics.conversion_by(store, who, "employer", flt)
            every[f"{who.role} pay {i}"] = metrics.pay_by(store, who, "role_family", flt)
            every[f"{who.role} weeks {i}"] = metrics.duration_by(store, who, "term_season", flt)
        every[f"{who.role} employers"] = metrics.employer_comparison(store, who)
        every[f"{who.role} summary"] = metrics.summary_table(store, who, by=("term_year", "paid"))
    return every


def _same(left: dict[str, Any], right: dict[str, Any]) -> None:
    assert left.keys() == right.keys()
    for name in left:
        # Means may differ in the last bits: a sum's order follows the rows' order.
        assert_frame_equal(left[name], right[name], check_exact=False, rel_tol=1e-12, abs_tol=0.0)


def _facts_rows(store: Store) -> list[tuple[Any, ...]]:
    return sorted(store.rows(f"SELECT * FROM {facts.FACTS_TABLE}"), key=repr)


def _records_by_term(store: Store) -> dict[int, list[int]]:
    """Each term's record keys (one per placement) in row order."""
    by_term: dict[int, list[int]] = {}
    for term, key in store.rows(f"SELECT term_no, record_key FROM {facts.FACTS_TABLE} ORDER BY rowid"):
        by_term.setdefault(term, []).append(key)
    return by_term


def _terms_in_row_order(store: Store) -> list[int]:
    return [int(t) for (t,) in store.rows(
        f"SELECT term_no FROM {facts.FACTS_TABLE} WHERE term_no IS NOT NULL ORDER BY rowid")]


# One sort of the whole table, and runs of a few terms each (the sample's terms hold 50-700 rows).
@pytest.mark.parametrize("chunk_rows", [layout.CHUNK_ROWS, 600])
def test_clustering_puts_the_rows_in_term_order_and_keeps_every_number(store: Store,
                                                                        chunk_rows: int) -> None:
    before, rows_before = _metrics(store), _facts_rows(store)
    rows, mixed = layout.mixed_share(store, GROUP)
    assert rows == 5000 and mixed > 0.9  # the sample mixes every term through the file
    import_order = _records_by_term(store)

    assert layout.cluster_facts(store, min_rows=0, group=GROUP, chunk_rows=chunk_rows) > 0
    terms = _terms_in_row_order(store)
    assert terms == sorted(terms)
    assert _records_by_term(store) == import_order  # within a term, the import order stays
    assert layout.mixed_share(store, GROUP) == (5000, 0.0)
    assert _facts_rows(store) == rows_before  # the same rows, every column
    _same(before, _metrics(store))
    # Clustered already: nothing to do, and the data version did not move (caches stay valid).
    version = store.data_version()
    assert layout.cluster_facts(store, min_rows=0, group=GROUP) == 0.0
    assert store.data_version() == version


def test_runs_of_terms_hold_at_most_the_chunk_unless_one_term_is_larger() -> None:
    counts: list[tuple[int | None, int]] = [(20231, 3), (20232, 4), (20233, 9), (20234, 2), (20241, 2),
                                            (None, 5)]
    assert layout.chunks(counts, 7) == [(20231, 20232), (20233, 20233), (20234, 20241), (None, None)]
    assert layout.chunks(counts, 100) == [(20231, 20241), (None, None)]
    assert layout.chunks(counts[:2], 1) == [(20231, 20231), (20232, 20232)]
    assert layout.chunks([], 10) == []


def test_a_small_table_is_left_alone(store: Store) -> None:
    # Below min_rows a scan costs milliseconds: no rewrite, whatever the order.
    assert layout.cluster_facts(store, min_rows=10_000, group=GROUP) == 0.0
    assert layout.mixed_share(store, GROUP)[1] > 0.9


# Exact figures only against the rebuild: the public students figure's cell key is the sum of the
# keys of each student's marked first placement, and the upkeep and a full rebuild may mark
# different placements of the same student (test_facts_upkeep), so its noise may differ.
EXACT: tuple[Principal, ...] = (LOCAL_ADMIN,)


def test_upkeep_on_clustered_facts_equals_a_full_rebuild(store: Store, tmp_path: Path) -> None:
    layout.cluster_facts(store, min_rows=0, group=GROUP)
    extra = tmp_path / "extra.csv"
    frame = sample.sample_frame(400, seed=7)
    frame.with_columns(("X-" + pl.col("placement_id")).alias("placement_id")).write_csv(extra)
    load_canonical_csv(store, extra, uploader="test")
    metrics.refresh_facts(store)  # the batch's rows are appended, out of term order
    # 400 appended rows: the tail's groups overlap, but too few of the 22 to re-cluster.
    assert 0 < layout.mixed_share(store, GROUP)[1] < layout.MIXED_SHARE
    incremental = _metrics(store, EXACT)
    metrics.rebuild_facts(store)
    _same(incremental, _metrics(store, EXACT))

    batch = max(int(b) for (b,) in store.rows("SELECT batch_id FROM batches"))
    layout.cluster_facts(store, min_rows=0, group=GROUP)  # the rebuild mixed them again
    undo_batch(store, batch)
    metrics.refresh_facts(store)
    undone = _metrics(store, EXACT)
    metrics.rebuild_facts(store)
    _same(undone, _metrics(store, EXACT))


def test_the_server_clusters_in_the_background_while_pages_read(store: Store,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "MIN_ROWS", 0)
    monkeypatch.setattr(layout, "ROW_GROUP", GROUP)
    flt = FILTERS[1]
    expected = metrics.overview(store, LOCAL_ADMIN, flt)
    seen: list[pl.DataFrame] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:  # a page's thread, reading through its own cursor meanwhile
        try:
            while not stop.is_set():
                seen.append(metrics.overview(store, LOCAL_ADMIN, flt))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        layout.maintain(store, store.data_version())
        layout.wait(store, timeout=60)
    finally:
        stop.set()
        reader.join(60)
    assert errors == []
    assert seen, "the reader ran while the table was rewritten"
    for frame in seen:
        assert_frame_equal(frame, expected, check_exact=False, rel_tol=1e-12, abs_tol=0.0)
    assert layout.mixed_share(store)[1] == 0.0
    terms = _terms_in_row_order(store)
    assert terms == sorted(terms)
