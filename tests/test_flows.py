"""Flows (metrics.flows and charts.sankey): links counted and folded by hand, and attacks on the
folds: no hidden link can be worked out from the node totals and the other links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from analytics import charts, metrics
from analytics import store as store_module
from analytics.filters import Filter
from analytics.metrics.flows import MIDDLES, NOT_SHOWN, OTHER_UNIVERSITIES, empty_flows
from analytics.store import Store
from tests.disclosure_support import (
    ADMIN,
    MIN_CELL,
    PUBLIC,
    VIEWER_U1,
    cohort,
    make_store,
    recoverable_hidden,
)

OTHER = MIDDLES["employer"]

# (university, employer, eligible, offers, accepted): every intern a student of their own.
# Worked by hand (MIN_CELL = 10):
# - universities: U1 62, U2 44, U5 52, U3 5, U4 5 -> U3 and U4 are hidden in the comparison of
#   universities (two cells adding up to 10): they become "Other universities".
# - U2's interns by employer hide C (4) and, as its complement, B (15); employers' interns by
#   university: C hides U2 (4) and, as complement, U1 (12); A hides U3 and U4 (5 + 5).
# - the cross-table then leaves U1 with one hidden cell (C): its complement is U1-B (20).
# So the visible links are U1-A, U2-A, U5-A, U5-B, U5-C; U1 folds B + C = 32, U2 folds
# B + C = 19, the hidden universities fold 5 + 5 = 10.
CELLS: tuple[tuple[str, str, int, int, int], ...] = (
    ("U1", "A", 30, 20, 15),
    ("U1", "B", 20, 12, 10),
    ("U1", "C", 12, 6, 6),
    ("U2", "A", 25, 14, 10),
    ("U2", "B", 15, 8, 5),
    ("U2", "C", 4, 2, 2),
    ("U5", "A", 20, 12, 10),
    ("U5", "B", 18, 12, 9),
    ("U5", "C", 14, 6, 4),
    ("U3", "A", 5, 1, 1),
    ("U4", "A", 5, 0, 0),
)
LAYER_ONE: list[tuple[str, str, int, int]] = [  # source, target, n, links
    ("U1", "A", 30, 1),
    ("U1", OTHER, 32, 2),
    ("U2", "A", 25, 1),
    ("U2", OTHER, 19, 2),
    ("U5", "A", 20, 1),
    ("U5", "B", 18, 1),
    ("U5", "C", 14, 1),
    (OTHER_UNIVERSITIES, OTHER, 10, 2),
]
# The interns each middle node holds, by outcome (converted, offered not accepted, no offer):
# A (visible cells only) 35 / 11 / 29; B (U5 only) 9 / 3 / 6; C (U5 only) 4 / 2 / 8; the fold
# (U1-B, U1-C, U2-B, U2-C, U3-A, U4-A) 24 / 5 / 32. B and C have no cell of 10: all folded.
# The fold's 5 declined hides alone in its row, so its smallest visible cell (24 converted) goes
# with it. Columns: converted hides 9 + 4 + 24, declined 3 + 2 + 5 (= 10), no offer 6 + 8.
LAYER_TWO: list[tuple[str, str, int, int]] = [
    ("A", "Converted", 35, 1),
    ("A", "Offered, not accepted", 11, 1),
    ("A", "No offer", 29, 1),
    ("B", NOT_SHOWN, 18, 3),
    ("C", NOT_SHOWN, 14, 3),
    (OTHER, "No offer", 32, 1),
    (OTHER, NOT_SHOWN, 29, 2),
]


def fixture_rows(cells: tuple[tuple[str, str, int, int, int], ...] = CELLS) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for university, employer, n, offers, accepted in cells:
        rows.extend(cohort(n, offers, accepted, university=university, employer=employer))
    return rows


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    store = make_store(tmp_path / "flows.duckdb", fixture_rows())
    yield store
    store.close()
    store_module.close_all()


def links_of(frame: pl.DataFrame, layer: int) -> list[tuple[str, str, int, int]]:
    part = frame.filter(pl.col("layer") == layer)
    return [(s, t, n, k) for s, t, n, k in part.select("source", "target", "n", "links").iter_rows()]


def test_links_are_counted_and_folded_as_worked_out_by_hand(db: Store) -> None:
    frame = metrics.flows(db, ADMIN, Filter(), "employer", min_cell=MIN_CELL)
    assert links_of(frame, 1) == LAYER_ONE
    assert links_of(frame, 2) == LAYER_TWO
    # Folds are exactly the links into an "other" node, and never hold a single hidden link.
    folded = frame.filter(pl.col("folded"))
    assert set(folded["target"]) == {OTHER, NOT_SHOWN}
    assert min(folded["links"]) >= 2
    assert not frame["perturbed"].any() and not frame["suppressed"].any()
    # Every node balances: what flows into a middle node flows out of it.
    inflow = frame.filter(pl.col("layer") == 1).group_by("target").agg(pl.col("n").sum())
    outflow = frame.filter(pl.col("layer") == 2).group_by("source").agg(pl.col("n").sum())
    assert dict(inflow.iter_rows()) == dict(outflow.iter_rows()) == {"A": 75, "B": 18, "C": 14, OTHER: 61}


def test_only_the_largest_middles_are_nodes(db: Store) -> None:
    """With room for two employers, C (30 eligible, the smallest) joins the fold in every row;
    U5 then has one hidden cell (C, 14), so its smallest visible one (B, 18) goes with it, and
    B's column is hidden entirely. The fold's outcomes: 24 / 5 / 32 as before, plus U5-B's
    9 / 3 / 6 and U5-C's 4 / 2 / 8 -- every outcome cell at least 10, so nothing more is hidden."""
    frame = metrics.flows(db, ADMIN, Filter(), "employer", min_cell=MIN_CELL, top=2)
    assert links_of(frame, 1) == [
        ("U1", "A", 30, 1), ("U1", OTHER, 32, 2), ("U2", "A", 25, 1), ("U2", OTHER, 19, 2),
        ("U5", "A", 20, 1), ("U5", OTHER, 32, 2), (OTHER_UNIVERSITIES, OTHER, 10, 2),
    ]
    assert links_of(frame, 2) == [
        ("A", "Converted", 35, 1), ("A", "Offered, not accepted", 11, 1), ("A", "No offer", 29, 1),
        (OTHER, "Converted", 37, 1), (OTHER, "Offered, not accepted", 10, 1), (OTHER, "No offer", 46, 1),
    ]
    cells = [(u, e, n) for u, e, n, _o, _a in CELLS]
    assert layer_one_unknowns(frame, cells) == []


def test_without_a_threshold_every_link_shows(db: Store) -> None:
    frame = metrics.flows(db, ADMIN, Filter(), "employer", min_cell=0)
    assert links_of(frame, 1) == [(u, e, n, 1) for u, e, n, _o, _a in sorted(CELLS)]
    converted = {s: n for s, t, n, _k in links_of(frame, 2) if t == "Converted"}
    assert converted == {"A": 15 + 10 + 10 + 1, "B": 10 + 5 + 9, "C": 6 + 2 + 4}  # U4-A accepted none


def test_role_family_middle_and_unknown_outcomes(tmp_path: Path) -> None:
    rows = [
        *cohort(12, 6, 3, university="U1", role_family="software engineering"),
        *cohort(11, 0, 0, university="U1", role_family="cybersecurity"),
        *cohort(
            10, 0, 0, university="U1", role_family="cybersecurity", offer_extended=None, offer_accepted=None
        ),
    ]
    store = make_store(tmp_path / "roles.duckdb", rows)
    try:
        strict = metrics.flows(store, ADMIN, Filter(), "role_family", min_cell=MIN_CELL)
        loose = metrics.flows(store, ADMIN, Filter(), "role_family", min_cell=5)
    finally:
        store.close()
        store_module.close_all()
    assert links_of(strict, 1) == [("U1", "cybersecurity", 21, 1), ("U1", "software engineering", 12, 1)]
    # Software engineering: 3 converted, 3 declined, 6 without an offer -- all under 10, so one
    # fold. Its 6 is then alone in the no-offer column (whose total the Overview shows), so the
    # column's other cell, cybersecurity's 11, goes too; and cybersecurity's 10 unknowns follow
    # as the complement in its own row.
    assert links_of(strict, 2) == [
        ("cybersecurity", NOT_SHOWN, 21, 2),
        ("software engineering", NOT_SHOWN, 12, 3),
    ]
    # With a threshold of 5 only the 3 converted and the 3 declined are folded (6 together).
    assert links_of(loose, 2) == [
        ("cybersecurity", "No offer", 11, 1),
        ("cybersecurity", "Outcome unknown", 10, 1),
        ("software engineering", "No offer", 6, 1),
        ("software engineering", NOT_SHOWN, 6, 2),
    ]


def test_a_viewer_sees_its_own_universitys_flows_exactly(db: Store) -> None:
    frame = metrics.flows(db, VIEWER_U1, Filter(), "employer", min_cell=MIN_CELL)
    assert links_of(frame, 1) == [("U1", "A", 30, 1), ("U1", "B", 20, 1), ("U1", "C", 12, 1)]
    assert not frame["perturbed"].any()


def test_public_links_are_perturbed_within_the_bound_and_stable(db: Store) -> None:
    first = metrics.flows(db, PUBLIC, Filter(), "employer", min_cell=MIN_CELL)
    again = metrics.flows(db, PUBLIC, Filter(), "employer", min_cell=MIN_CELL)
    assert first.equals(again)
    assert first["perturbed"].all()
    exact = {(s, t): n for s, t, n, _k in [*LAYER_ONE, *LAYER_TWO]}
    shown = {(s, t): n for s, t, n in first.select("source", "target", "n").iter_rows()}
    assert shown.keys() == exact.keys()  # the folding is decided on exact sizes, not on noise
    assert all(abs(shown[link] - exact[link]) <= 2 for link in exact)


def test_a_filter_that_selects_a_hidden_university_gets_no_flows(db: Store) -> None:
    frame = metrics.flows(db, ADMIN, Filter(universities=("U3",)), "employer", min_cell=MIN_CELL)
    assert frame.is_empty()


def test_unknown_middle_is_refused(db: Store) -> None:
    with pytest.raises(metrics.MetricsError, match="middle"):
        metrics.flows(db, ADMIN, Filter(), "degree_level")


# -- attacks: the node totals, the links and every published total, as linear equations --------
def layer_one_unknowns(
    frame: pl.DataFrame, cells: list[tuple[Any, Any, int]], university_totals: bool = True
) -> list[Any]:
    """Which hidden university x middle cells the published figures pin down.

    Published: every visible link, every fold (the sum of its cells), every shown university's
    total (its node), every middle's total (the Employers or Conversion page) and the grand total.
    The cells behind a fold are the source's cells that no visible link shows."""
    visible = {(s, t) for s, t, _n, _k in links_of(frame.filter(~pl.col("folded")), 1)}
    hidden = [(u, m) not in visible for u, m, _n in cells]
    sources = {s for s, _t, _n, _k in links_of(frame, 1)}
    margins: list[list[int]] = []
    for source in sources:
        members = [
            i
            for i, (u, _m, _n) in enumerate(cells)
            if hidden[i] and (u == source or (source == OTHER_UNIVERSITIES and u not in sources))
        ]
        margins.append(members)  # the fold
        if university_totals and source != OTHER_UNIVERSITIES:
            margins.append([i for i, (u, _m, _n) in enumerate(cells) if u == source])
    for middle in {m for _u, m, _n in cells}:
        margins.append([i for i, (_u, m, _n) in enumerate(cells) if m == middle])
    margins.append(list(range(len(cells))))
    return [cells[i][:2] for i in recoverable_hidden(cells, hidden, margins)]


def test_attack_no_folded_link_is_recovered_from_node_totals(db: Store) -> None:
    frame = metrics.flows(db, ADMIN, Filter(), "employer", min_cell=MIN_CELL)
    cells = [(u, e, n) for u, e, n, _o, _a in CELLS]
    assert layer_one_unknowns(frame, cells) == []


def test_attack_the_naive_fold_would_have_given_a_link_away() -> None:
    """The check above can fail: fold only the cells under the threshold (no complements), and a
    university's total minus its visible links is its one small link."""
    cells = [(u, e, n) for u, e, n, _o, _a in CELLS]
    naive = pl.DataFrame(
        {
            "layer": [1] * 10,
            "source": ["U1", "U1", "U1", "U2", "U2", "U2", "U5", "U5", "U5", OTHER_UNIVERSITIES],
            "target": ["A", "B", "C", "A", "B", OTHER, "A", "B", "C", OTHER],
            "n": [30, 20, 12, 25, 15, 4, 20, 18, 14, 10],
            "links": [1] * 9 + [2],
            "folded": [False] * 5 + [True] + [False] * 3 + [True],
        }
    )
    assert ("U2", "C") in layer_one_unknowns(naive, cells)


def test_attack_layer_two_folds_are_not_recovered_from_outcome_totals(db: Store) -> None:
    """Layer 2: every middle node's total is shown (its links in), every outcome's total is
    published (the Overview's offers and acceptances), each fold is a sum."""
    frame = metrics.flows(db, ADMIN, Filter(), "employer", min_cell=MIN_CELL)
    truth = {
        ("A", "Converted"): 35,
        ("A", "Offered, not accepted"): 11,
        ("A", "No offer"): 29,
        ("B", "Converted"): 9,
        ("B", "Offered, not accepted"): 3,
        ("B", "No offer"): 6,
        ("C", "Converted"): 4,
        ("C", "Offered, not accepted"): 2,
        ("C", "No offer"): 8,
        (OTHER, "Converted"): 24,
        (OTHER, "Offered, not accepted"): 5,
        (OTHER, "No offer"): 32,
    }
    assert recoverable_layer_two(frame, truth) == []


def recoverable_layer_two(frame: pl.DataFrame, truth: dict[tuple[str, str], int]) -> list[Any]:
    cells = list(truth)
    visible = {(s, t) for s, t, _n, _k in links_of(frame.filter(~pl.col("folded")), 2)}
    hidden = [cell not in visible for cell in cells]
    margins = [[i for i, (m, _o) in enumerate(cells) if m == middle] for middle in {m for m, _o in cells}]
    margins += [
        [i for i, (m, _o) in enumerate(cells) if m == middle and hidden[i]]
        for middle in {m for m, _o in cells}
    ]
    margins += [[i for i, (_m, o) in enumerate(cells) if o == outcome] for outcome in {o for _m, o in cells}]
    return [cells[i] for i in recoverable_hidden(cells, hidden, margins)]


def test_attack_on_the_sample_recovers_no_link(sample_store: Store) -> None:
    """The shipped sample by role family (labels are the stored values, so the truth is a plain
    query): no hidden cell is pinned down in either layer."""
    frame = metrics.flows(sample_store, ADMIN, Filter(), "role_family", min_cell=MIN_CELL)
    rows = sample_store.rows(
        "SELECT university, role_family, count(*), count_if(accepted), count_if(offered AND NOT accepted), "
        "count_if(known AND NOT offered), count_if(NOT known) FROM metrics_facts WHERE eligible GROUP BY ALL"
    )
    cells = [(u, m, int(n)) for u, m, n, *_rest in rows]
    assert layer_one_unknowns(frame, cells) == []
    visible = {(s, t) for s, t, _n, _k in links_of(frame.filter(~pl.col("folded")), 1)}
    other = MIDDLES["role_family"]
    truth: dict[tuple[str, str], int] = {}
    for u, m, _n, *outcomes in rows:
        middle = m if (u, m) in visible else other
        for outcome, count in zip(
            ("Converted", "Offered, not accepted", "No offer", "Outcome unknown"), outcomes, strict=True
        ):
            if count:
                truth[(middle, outcome)] = truth.get((middle, outcome), 0) + int(count)
    assert recoverable_layer_two(frame, truth) == []
    # And the folds follow the rule on the sample too.
    folded = frame.filter(pl.col("folded"))
    assert not folded.is_empty() and min(folded["links"]) >= 2 and min(folded["n"]) >= MIN_CELL
    # University nodes are the universities' eligible interns, as the Conversion page counts them.
    by_university = metrics.conversion_by(sample_store, ADMIN, "university", min_cell=MIN_CELL)
    nodes = frame.filter(pl.col("layer") == 1).group_by("source").agg(pl.col("n").sum())
    assert dict(nodes.iter_rows()) == dict(by_university.select("group", "n").iter_rows())


# -- the chart -----------------------------------------------------------------------------------
def test_sankey_draws_every_link_with_grey_fold_nodes(db: Store) -> None:
    frame = metrics.flows(db, ADMIN, Filter(), "employer", min_cell=MIN_CELL)
    fig = charts.sankey(frame, "Flows")
    (trace,) = fig.data
    labels = list(trace.node.label)
    assert labels[:4] == ["U1", "U2", "U5", OTHER_UNIVERSITIES]
    drawn = sorted(
        (labels[s], labels[t], v)
        for s, t, v in zip(trace.link.source, trace.link.target, trace.link.value, strict=True)
    )
    assert drawn == sorted((s, t, n) for s, t, n, _k in [*LAYER_ONE, *LAYER_TWO])
    colours = dict(zip(labels, trace.node.color, strict=True))
    assert colours[OTHER] == colours[NOT_SHOWN] == colours[OTHER_UNIVERSITIES] == charts.flows.FOLD_COLOUR
    assert colours["Converted"] != colours["No offer"]
    assert "small links folded together" in str(trace.link.customdata)


def test_sankey_of_nothing_says_so() -> None:
    fig = charts.sankey(empty_flows(), "Flows")
    assert "No flow" in str(fig.layout.annotations[0].text)


def test_hidden_nodes_do_not_appear_as_themselves(db: Store) -> None:
    frame = metrics.flows(db, ADMIN, Filter(), "employer", min_cell=MIN_CELL)
    names = set(frame["source"]) | set(frame["target"])
    assert not names & {"U3", "U4"}
    assert np.isclose(frame.filter(pl.col("layer") == 1)["n"].sum(), sum(c[2] for c in CELLS))
