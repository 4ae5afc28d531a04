"""The facts tables are kept up to date batch by batch, and that gives what a full rebuild gives.

The oracle is the full rebuild (`rebuild_facts`), which reads `placements` afresh: after any
sequence of imports and undos, with the incremental upkeep after each step, the metrics and the
facts rows (numbers resolved back to the keys they stand for) must equal the rebuilt ones, and
the upkeep must never have fallen back to a rebuild on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics import metrics, sample, schema
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.filters import Filter
from analytics.ingest import undo_batch
from analytics.ingest.load import insert_placements, new_batch, pseudonym_key
from analytics.metrics import facts
from analytics.store import Store

POOL = 6  # distinct files an analyst may import (again, after undoing them)


def _file(k: int) -> pl.DataFrame:
    """File k: generated placements, with overlaps and novelties on purpose. Student ids are
    shared between files (S0000000x in every one), so students recur; some rows bring a new
    university, a new term, or an employer spelled in capitals (same employer key, a spelling
    that can win the display name when this file's rows outnumber the others)."""
    frame = sample.sample_frame(12 + 3 * k, seed=100 + k)
    n = frame.height
    return frame.with_columns(
        (pl.lit(f"F{k}-") + pl.col("placement_id")).alias("placement_id"),
        pl.when(pl.int_range(n) % 4 == 0).then(pl.lit(f"New University {k % 3}"))
        .otherwise(pl.col("university")).alias("university"),
        pl.when(pl.int_range(n) % 5 == 0).then(pl.lit(2030 + k % 2)).otherwise(pl.col("term_year"))
        .cast(pl.Int64).alias("term_year"),
        pl.when(pl.int_range(n) % 3 == 0).then(pl.col("employer").str.to_uppercase())
        .otherwise(pl.col("employer")).alias("employer"),
    ).with_columns(
        # Rows of the first file all go to one employer, so its spelling competes with others'.
        pl.when(pl.lit(k == 0)).then(pl.lit("Maple Systems Inc.")).otherwise(pl.col("employer"))
        .alias("employer"),
    )


FILES = [_file(k) for k in range(POOL)]


def _import(store: Store, k: int) -> int:
    frame = FILES[k].select(schema.INPUT_NAMES)
    with store.transaction() as cur:
        batch = new_batch(cur, file_name=f"file{k}.csv", sha256=None, uploader="test", mapping_json=None)
        cur.register("batch_rows", frame.to_arrow())
        try:
            insert_placements(cur, "batch_rows", batch, pseudonym_key(store))
        finally:
            cur.unregister("batch_rows")
    return batch


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store(":memory:")
    yield opened
    opened.close()


def _facts_by_key(store: Store) -> list[tuple[Any, ...]]:
    """Every facts row with its numbers replaced by what they stand for."""
    rows = store.rows(f"""
        SELECT f.* EXCLUDE (student_no, employer_no, university_no, currency_no, term_no,
                            first_of_student, flags),
               f.flags & {0xFF & ~facts.FIRST_BIT} AS flags_but_first,
               s.student_hash, e.employer_key, u.university, c.currency AS currency_of_no, t.term
        FROM {facts.FACTS_TABLE} f
        LEFT JOIN {facts.STUDENTS_TABLE} s USING (student_no)
        LEFT JOIN {facts.EMPLOYERS_TABLE} e ON e.employer_no = f.employer_no
        LEFT JOIN {facts.UNIVERSITIES_TABLE} u ON u.university_no = f.university_no
        LEFT JOIN {facts.CURRENCIES_TABLE} c ON c.currency_no = f.currency_no
        LEFT JOIN {facts.TERMS_TABLE} t ON t.term_no = f.term_no""")
    return sorted(rows, key=repr)


def _metrics(store: Store) -> dict[str, Any]:
    every = {
        "overview": metrics.overview(store, ADMIN, min_cell=0),
        "overview 2030": metrics.overview(store, ADMIN, Filter(term_years=(2030,)), min_cell=0),
        "by term": metrics.conversion_by(store, ADMIN, "term", min_cell=0),
        "by employer": metrics.conversion_by(store, ADMIN, "employer", min_cell=0),
        "by university": metrics.conversion_by(store, ADMIN, "university", min_cell=0),
        "employers": metrics.employer_comparison(store, ADMIN, min_cell=0),
        "options": metrics.options(store, ADMIN),
        "employer names": sorted(store.rows(
            f"SELECT employer_key, employer, n FROM {facts.EMPLOYERS_TABLE}")),
        "facts": _facts_by_key(store),
        # Which of a student's rows is marked first may differ; that each has exactly one may not.
        "marks per student": store.rows(
            f"SELECT count_if(first_of_student), count(*) FILTER (WHERE student_no IS NULL), "
            f"count(DISTINCT student_no) FROM {facts.FACTS_TABLE}"),
        # The packed flags carry the mark too (the overview counts first placements from them).
        "marks unlike their flag bit": store.rows(
            f"SELECT count(*) FROM {facts.FACTS_TABLE} "
            f"WHERE ((flags & {facts.FIRST_BIT}) <> 0) IS DISTINCT FROM first_of_student"),
        # A currency's number stands for that currency, on both paths.
        "currency numbers standing for another currency": store.rows(
            f"SELECT count(*) FROM {facts.FACTS_TABLE} f LEFT JOIN {facts.CURRENCIES_TABLE} c "
            "USING (currency_no) WHERE c.currency IS DISTINCT FROM f.currency"),
        "students marked twice or never": store.rows(
            f"SELECT count(*) FROM (SELECT student_no FROM {facts.FACTS_TABLE} WHERE student_no IS NOT NULL "
            "GROUP BY student_no HAVING count_if(first_of_student) <> 1)"),
    }
    return every


def _same(left: dict[str, Any], right: dict[str, Any]) -> None:
    assert left.keys() == right.keys()
    for name in left:
        a, b = left[name], right[name]
        if isinstance(a, pl.DataFrame):
            # Means may differ in the last bits: a sum's order follows the rows' order.
            assert_frame_equal(a, b, check_exact=False, rel_tol=1e-12, abs_tol=0.0)
        else:
            assert a == b, name


OPS = st.lists(st.tuples(st.sampled_from(["import", "undo"]), st.integers(0, POOL - 1)),
               min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_incremental_facts_equal_a_full_rebuild(ops: list[tuple[str, int]],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(":memory:")
    try:
        loaded: dict[int, int] = {0: _import(store, 0)}  # file -> its batch id
        metrics.refresh_facts(store)
        rebuilds: list[int] = []
        real_build = facts._build

        def counted_build(cur: Any) -> None:
            rebuilds.append(1)
            real_build(cur)

        monkeypatch.setattr(facts, "_build", counted_build)
        for op, k in ops:
            if op == "import" and k not in loaded:
                loaded[k] = _import(store, k)
            elif op == "undo" and loaded:
                file = sorted(loaded)[k % len(loaded)]
                undo_batch(store, loaded.pop(file))
            else:
                continue
            metrics.refresh_facts(store)  # as the CLI and the Upload page do after each change
        assert rebuilds == [], "the upkeep fell back to a full rebuild"
        incremental = _metrics(store)
        monkeypatch.undo()
        metrics.rebuild_facts(store)
        _same(incremental, _metrics(store))
        # Every loaded file's rows, and no others, are in the facts.
        assert len(incremental["facts"]) == sum(FILES[k].height for k in loaded)
        assert incremental["marks unlike their flag bit"] == [(0,)]
    finally:
        store.close()


def test_an_import_adds_only_its_rows_and_an_undo_removes_only_its_rows(store: Store) -> None:
    first = _import(store, 1)
    metrics.refresh_facts(store)
    before = _facts_by_key(store)
    second = _import(store, 2)
    metrics.refresh_facts(store)
    after = _facts_by_key(store)
    assert len(after) == len(before) + FILES[2].height
    held = store.rows(f"SELECT DISTINCT batch_id FROM {facts.FACTS_TABLE} ORDER BY 1")
    assert held == [(first,), (second,)]
    undo_batch(store, second)
    metrics.refresh_facts(store)
    assert _facts_by_key(store) == before
    assert store.rows(f"SELECT batch_id FROM {facts.BATCHES_TABLE}") == [(first,)]


def test_a_change_that_is_not_a_batch_gets_a_full_rebuild(store: Store) -> None:
    _import(store, 1)
    metrics.refresh_facts(store)
    with store.transaction() as cur:  # e.g. a repair run by hand
        cur.execute("UPDATE placements SET offer_accepted = true, offer_extended = true")
    metrics.refresh_facts(store)
    got = metrics.overview(store, ADMIN, min_cell=0).row(0, named=True)
    assert got["accepted"] == got["eligible"]


def test_the_facts_build_leaves_the_compression_of_other_writes_as_it_was(store: Store) -> None:
    # The build skips FSST for its own tables through a database-wide setting: once it is done,
    # whether it succeeded or failed, every other write compresses as before.
    def disabled() -> str:
        return str(store.scalar("SELECT current_setting('disabled_compression_methods')"))

    default = disabled()
    _import(store, 1)
    metrics.rebuild_facts(store)
    assert disabled() == default
    _import(store, 2)
    metrics.refresh_facts(store)  # the incremental path
    assert disabled() == default
    with store.transaction() as cur:
        cur.execute("ALTER TABLE placements RENAME TO placements_away")
    with pytest.raises(duckdb.Error, match="placements"):
        metrics.rebuild_facts(store)
    assert disabled() == default
