"""The Sankey's third step (metrics.flows layer 3): converted interns a year on, counted and folded
by hand; recent hires are "not yet known", never stayers or leavers; no folded link can be
worked out from the node totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analytics import charts, disclosure, metrics
from analytics import store as store_module
from analytics.filters import Filter
from analytics.metrics.flows import NOT_SHOWN, RETAINED
from analytics.store import Store
from tests.disclosure_support import ADMIN, MIN_CELL, PUBLIC, cohort, make_store, recoverable_hidden, row

AS_OF = dt.date(2026, 1, 1)
EARLY = dt.date(2024, 1, 1)  # followed 731 days by AS_OF
RECENT = dt.date(2025, 6, 1)  # followed 214 days: not yet a year


def converted(hired: dt.date | None, left_after: int | None = None, **values: Any) -> dict[str, Any]:
    left = hired + dt.timedelta(days=left_after) if hired is not None and left_after is not None else None
    return row(offer_extended=True, offer_accepted=True, hire_date=hired, separation_date=left, **values)


# 38 converted interns at Big One / U1, by hand:
# - stayed a year: 12 hired early and still there, 2 hired early who left after 400 days -> 14
# - left within a year: 9 hired early who left after 100 days, 1 recent hire gone after 30 -> 10
# - reneged (accepted, then withdrew; no hire date): 3
# - not yet known: 6 recent hires still there (214 days), 5 accepted with no hire date -> 11
# and 20 eligible interns without an offer.
def retained_rows() -> list[dict[str, Any]]:
    rows = [converted(EARLY) for _ in range(12)] + [converted(EARLY, 400) for _ in range(2)]
    rows += [converted(EARLY, 100) for _ in range(9)] + [converted(RECENT, 30)]
    rows += [converted(None, reneged=True) for _ in range(3)]
    rows += [converted(RECENT) for _ in range(6)] + [converted(None) for _ in range(5)]
    return rows + cohort(20)


TRUTH = {"Stayed a year": 14, "Left within a year": 10, "Reneged": 3, "Not yet known": 11}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    store = make_store(tmp_path / "retained.duckdb", retained_rows())
    yield store
    store.close()
    store_module.close_all()


def third(frame: pl.DataFrame) -> list[tuple[str, str, int, int]]:
    part = frame.filter(pl.col("layer") == 3)
    return [(s, t, n, k) for s, t, n, k in part.select("source", "target", "n", "links").iter_rows()]


def test_a_year_on_is_counted_as_worked_out_by_hand(db: Store) -> None:
    frame = metrics.flows(db, ADMIN, Filter(), min_cell=0, as_of=AS_OF)
    assert third(frame) == [("Converted", name, TRUTH[name], 1) for name in RETAINED]
    # The step starts where layer 2 ends: every converted intern, no more.
    converted_in = frame.filter((pl.col("layer") == 2) & (pl.col("target") == "Converted"))["n"].sum()
    assert converted_in == sum(TRUTH.values()) == 38


def test_small_links_fold_with_their_complement(db: Store) -> None:
    # MIN_CELL 10: the 3 reneges are under it; the converted total (38) is published, so the
    # smallest other link (10 who left within a year) folds with them: 13 in "Not shown".
    frame = metrics.flows(db, ADMIN, Filter(), min_cell=MIN_CELL, as_of=AS_OF)
    assert third(frame) == [
        ("Converted", "Stayed a year", 14, 1),
        ("Converted", "Not yet known", 11, 1),
        ("Converted", NOT_SHOWN, 13, 2),
    ]
    assert frame.filter(pl.col("layer") == 3)["folded"].to_list() == [False, False, True]


def test_attack_no_folded_retained_link_is_solved_from_node_totals(db: Store) -> None:
    """Published: the Converted node's total (the Overview's accepted interns), every visible
    link, every fold's sum. Neither hidden link is pinned down; the naive fold (the reneges
    alone) would have given them away as total minus the visible links."""
    frame = metrics.flows(db, ADMIN, Filter(), min_cell=MIN_CELL, as_of=AS_OF)
    cells = list(TRUTH)
    visible = {t for _s, t, _n, _k in third(frame) if t != NOT_SHOWN}
    hidden = [name not in visible for name in cells]
    everything = list(range(len(cells)))
    fold = [i for i, h in enumerate(hidden) if h]
    assert recoverable_hidden(cells, hidden, [everything, fold]) == []
    assert sum(TRUTH[cells[i]] for i in fold) == dict((t, n) for _s, t, n, _k in third(frame))[NOT_SHOWN]
    naive = [name == "Reneged" for name in cells]
    assert recoverable_hidden(cells, naive, [everything]) == [cells.index("Reneged")]


def test_recent_hires_are_not_counted_as_stayers_or_leavers(db: Store) -> None:
    # A year later every early hire and the six recent stayers are past their first year.
    later = metrics.flows(db, ADMIN, Filter(), min_cell=0, as_of=dt.date(2026, 7, 1))
    links = {t: n for _s, t, n, _k in third(later)}
    assert links["Stayed a year"] == 14 + 6 and links["Not yet known"] == 5
    assert links["Left within a year"] == 10 and links["Reneged"] == 3


def test_public_links_are_perturbed_within_the_bound_and_stable(db: Store) -> None:
    first = metrics.flows(db, PUBLIC, Filter(), min_cell=MIN_CELL, as_of=AS_OF)
    again = metrics.flows(db, PUBLIC, Filter(), min_cell=MIN_CELL, as_of=AS_OF)
    assert first.equals(again)
    part = first.filter(pl.col("layer") == 3)
    assert part["perturbed"].all()
    exact = {
        t: n for _s, t, n, _k in third(metrics.flows(db, ADMIN, Filter(), min_cell=MIN_CELL, as_of=AS_OF))
    }
    for _s, target, n, _k in third(first):
        assert abs(n - exact[target]) <= disclosure.NOISE_BOUND


def test_no_hire_dates_no_third_step(tmp_path: Path) -> None:
    store = make_store(tmp_path / "plain.duckdb", cohort(30, 20, 15))
    try:
        frame = metrics.flows(store, ADMIN, Filter(), min_cell=MIN_CELL)
    finally:
        store.close()
        store_module.close_all()
    assert set(frame["layer"]) == {1, 2}


def test_the_sankey_draws_the_fourth_column(db: Store) -> None:
    frame = metrics.flows(db, ADMIN, Filter(), min_cell=MIN_CELL, as_of=AS_OF)
    (trace,) = charts.sankey(frame, "Flows").data
    labels = list(trace.node.label)
    drawn = {
        (labels[s], labels[t]): v
        for s, t, v in zip(trace.link.source, trace.link.target, trace.link.value, strict=True)
    }
    assert drawn[("Converted", "Stayed a year")] == 14 and drawn[("Converted", "Not yet known")] == 11
    # "Not shown" of the third step is its own node, apart from layer 2's (if any), and grey.
    colours = [c for name, c in zip(labels, trace.node.color, strict=True) if name == NOT_SHOWN]
    assert colours and set(colours) == {charts.flows.FOLD_COLOUR}
    named = dict(zip(labels, trace.node.color, strict=True))
    assert named["Stayed a year"] == charts.flows.RETAINED_COLOURS["Stayed a year"]
    assert labels.count("Converted") == 1  # the step starts at the outcome node itself
    # Outcomes stay in their column: "No offer" (no link out) gets one invisible link of its own
    # total to an invisible node, so Plotly does not pull it beside "Stayed a year".
    out = [(labels[t], c) for s, t, c in zip(trace.link.source, trace.link.target, trace.link.color,
                                             strict=True) if labels[s] == "No offer"]
    assert out == [("", charts.flows.INVISIBLE)]


def test_a_link_is_sized_by_students_not_placements(tmp_path: Path) -> None:
    """Three students who reneged, with four placements each: twelve placements, but a link of
    three students, hidden at MIN_CELL 10 with its complement (the 10 who left within a year)."""
    rows = [r for r in retained_rows() if not r.get("reneged")]
    for student in ("R1", "R2", "R3"):
        rows += [converted(None, reneged=True, student_id=student, term_year=2020 + i) for i in range(4)]
    store = make_store(tmp_path / "students.duckdb", rows)
    try:
        exact = metrics.flows(store, ADMIN, Filter(), min_cell=0, as_of=AS_OF)
        folded = metrics.flows(store, ADMIN, Filter(), min_cell=MIN_CELL, as_of=AS_OF)
    finally:
        store.close()
        store_module.close_all()
    assert dict((t, n) for _s, t, n, _k in third(exact))["Reneged"] == 12
    assert third(folded) == [
        ("Converted", "Stayed a year", 14, 1),
        ("Converted", "Not yet known", 11, 1),
        ("Converted", NOT_SHOWN, 22, 2),
    ]
