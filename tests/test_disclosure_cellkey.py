"""Cell-key perturbation of network cells (DESIGN.md "Disclosure control"), as a user sees it.

Public visitors see every cell as a network cell (perturbed); an admin sees exact cells; a viewer
of U1 sees its own scope exactly and the network column of the university view perturbed where
it includes placements outside U1. The noise table is read from analytics.disclosure (its
documented, published parameters), never copied here. All true values are known by construction
(cohorts of fixed size), so perturbed - true is the noise itself.

On 7c8cc45 there was no perturbation (no analytics.disclosure): the differencing attack recovered
every trial, and every test below failed.
"""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from analytics import metrics
from analytics import store as store_module
from analytics.filters import Filter
from analytics.store import Store
from tests.disclosure_support import (
    ADMIN,
    MIN_CELL,
    PUBLIC,
    VIEWER_U1,
    by_key,
    cohort,
    make_store,
    one,
)

NETWORK = 240  # employers of 12 eligible interns (12 offered, 10 accepted) each


def gate() -> ModuleType:
    """analytics.disclosure, imported per test so the rest of the file runs without it."""
    return importlib.import_module("analytics.disclosure")


def noise_distribution(disclosure: ModuleType) -> dict[int, float]:
    """P(noise = d) from the documented table: cell keys [low, high) of KEY_RANGE -> noise."""
    table, keys = disclosure.NOISE_TABLE, disclosure.KEY_RANGE
    probabilities: Counter[int] = Counter()
    for low, high, value in table:
        probabilities[int(value)] += (high - low) / keys
    assert math.isclose(sum(probabilities.values()), 1.0)
    return dict(probabilities)


def network_rows() -> list[dict[str, Any]]:
    """NETWORK employers at U2 with 12 eligible (12 offered, 10 accepted), all in 2024; 'Own A'
    entirely at U1 (15 eligible, 12 offered, 10 accepted); 'Mixed B' 10 at U1 and 12 at U2
    (each 10 offered, 10 accepted)."""
    rows: list[dict[str, Any]] = []
    for i in range(NETWORK):
        rows += cohort(12, 12, 10, employer=f"Net {i:03d}", university="U2")
    rows += cohort(15, 12, 10, employer="Own A", university="U1")
    rows += cohort(10, 10, 10, employer="Mixed B", university="U1")
    rows += cohort(12, 10, 10, employer="Mixed B", university="U2")
    return rows


TRUE_COUNTS = {"n": 12, "offers": 12, "accepted": 10}


@pytest.fixture(scope="module")
def network_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("cellkey") / "network.duckdb"
    make_store(path, network_rows()).close()
    yield path
    store_module.close_all()


@pytest.fixture
def network_store(network_db: Path) -> Iterator[Store]:
    store = store_module.open_store(network_db)
    yield store
    store_module.close_all()


ALL = Filter()


def public_cells(store: Store, flt: Filter = ALL) -> dict[str, dict[str, Any]]:
    return by_key(metrics.conversion_by(store, PUBLIC, "employer", flt, min_cell=MIN_CELL))


def test_public_cells_are_perturbed_within_the_bound_and_marked(network_store: Store) -> None:
    """Every public count is within NOISE_BOUND of the truth, some differ from it, rows say
    perturbed=True, and rates are recomputed from the perturbed counts, rounded to 3 decimals."""
    disclosure = gate()
    cells = public_cells(network_store)
    net = [cells[f"Net {i:03d}"] for i in range(NETWORK)]
    assert len(net) == NETWORK
    offsets = [r[c] - TRUE_COUNTS[c] for r in net for c in ("n", "accepted")]
    assert max(abs(d) for d in offsets) <= disclosure.NOISE_BOUND == 2
    assert any(d != 0 for d in offsets)  # perturbed at all
    assert all(r["perturbed"] is True for r in net)
    for r in net:
        # Perturbed independently, accepted may exceed n by the noise: the rate is capped at 1.
        assert r["conversion_rate"] == round(min(r["accepted"], r["n"]) / r["n"], 3)
        assert r["offer_rate"] == round(min(r["offers"], r["n"]) / r["n"], 3)


def test_exact_cells_stay_exact(network_store: Store) -> None:
    """The admin sees the true counts everywhere; a viewer of U1 sees its own scope exactly, and
    the university view's network column exactly where the employer is entirely at U1 (Own A),
    perturbed (within the bound) where it includes U2 interns (Mixed B)."""
    disclosure = gate()
    admin = by_key(metrics.conversion_by(network_store, ADMIN, "employer", min_cell=MIN_CELL))
    assert all((admin[f"Net {i:03d}"]["n"], admin[f"Net {i:03d}"]["accepted"]) == (12, 10)
               for i in range(NETWORK))
    assert not any(r.get("perturbed") for r in admin.values())
    viewer = by_key(metrics.conversion_by(network_store, VIEWER_U1, "employer", min_cell=MIN_CELL))
    assert (viewer["Own A"]["n"], viewer["Own A"]["accepted"]) == (15, 10)
    assert (viewer["Mixed B"]["n"], viewer["Mixed B"]["accepted"]) == (10, 10)
    assert not any(r.get("perturbed") for r in viewer.values())
    view = by_key(metrics.university_view(network_store, VIEWER_U1, "U1", min_cell=MIN_CELL), "employer")
    assert view["Own A"]["n_network"] == 15 and view["Own A"]["n_university"] == 15
    assert view["Mixed B"]["n_university"] == 10
    assert abs(view["Mixed B"]["n_network"] - 22) <= disclosure.NOISE_BOUND


def test_public_comparison_and_funnel_plot_work_on_perturbed_counts(network_store: Store) -> None:
    """Perturbed independently, an employer's accepted count may exceed its eligible count (10
    accepted of 12 eligible, noise up to 2 each way): the comparison, its funnel plot and its
    ranking must still be released (capped rates), not fail."""
    disclosure = gate()
    table = metrics.employer_comparison(network_store, PUBLIC, min_cell=MIN_CELL)
    assert table.height == NETWORK + 2
    shown = table.filter(~table["suppressed"])
    assert shown.height == NETWORK + 2
    net = shown.filter(shown["employer"].str.starts_with("Net "))
    assert net.height == NETWORK
    assert all(abs(n - 12) <= disclosure.NOISE_BOUND for n in net["n"].to_list())
    assert all(0.0 <= r <= 1.0 for r in shown["conversion_rate"].to_list() if r is not None)
    points, _, target = metrics.funnel_plot(network_store, PUBLIC, min_cell=MIN_CELL)
    assert points.height == NETWORK + 2 and 0.0 < target < 1.0


def test_the_same_cell_gets_the_same_value_in_every_view_and_filter(network_store: Store) -> None:
    """Same records, same value: two calls; a filter that selects the same placements (every
    placement is from 2024); the employer's profile (overview filtered to it); the comparison;
    the summary table."""
    gate()
    first, again = public_cells(network_store), public_cells(network_store)
    same_records = public_cells(network_store, Filter(term_years=(2024,)))
    assert first == again
    assert {k: (r["n"], r["accepted"]) for k, r in first.items()} == \
           {k: (r["n"], r["accepted"]) for k, r in same_records.items()}
    comparison = by_key(metrics.employer_comparison(network_store, PUBLIC, min_cell=MIN_CELL), "employer")
    summary = by_key(metrics.summary_table(network_store, PUBLIC, by=("employer",), min_cell=MIN_CELL),
                     "employer")
    for i in range(0, NETWORK, 24):
        name = f"Net {i:03d}"
        card = one(metrics.overview(network_store, PUBLIC, Filter(employers=(name,)), min_cell=MIN_CELL))
        cell = (first[name]["n"], first[name]["accepted"])
        assert (card["eligible"], card["accepted"]) == cell, name
        assert (comparison[name]["n"], comparison[name]["accepted"]) == cell, name
        assert (summary[name]["eligible"], summary[name]["accepted"]) == cell, name


def test_the_same_cell_gets_the_same_value_in_another_process(network_db: Path) -> None:
    """A fresh Python process reading the same database releases the same public values."""
    gate()
    script = (
        "import json, sys\n"
        "from analytics import metrics\n"
        "from analytics.access import PUBLIC\n"
        "from analytics.store import open_store\n"
        "store = open_store(sys.argv[1])\n"
        "frame = metrics.conversion_by(store, PUBLIC, 'employer', min_cell=10)\n"
        "print(json.dumps({r['group']: [r['n'], r['accepted']] for r in frame.iter_rows(named=True)}))\n"
    )
    store_module.close_all()
    done = subprocess.run([sys.executable, "-c", script, str(network_db)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    there = json.loads(done.stdout)
    store = store_module.open_store(network_db)
    here = {k: [r["n"], r["accepted"]] for k, r in public_cells(store).items()}
    assert there == here


def test_the_noise_follows_the_documented_table(network_store: Store) -> None:
    """perturbed - true over 480 independent cells (each employer's eligible and accepted
    counts: different record sets, so different cell keys) matches the table's probabilities
    (chi-square, 4 degrees of freedom, rejected only beyond the 0.1% critical value 18.47)."""
    expected = noise_distribution(gate())
    cells = public_cells(network_store)
    observed = Counter(cells[f"Net {i:03d}"][c] - TRUE_COUNTS[c] for i in range(NETWORK)
                       for c in ("n", "accepted"))
    assert set(observed) <= set(expected)
    total = sum(observed.values())
    assert total == 2 * NETWORK
    chi2 = sum((observed.get(d, 0) - p * total) ** 2 / (p * total) for d, p in expected.items() if p > 0)
    assert chi2 < 18.47, (dict(observed), expected)


TRIALS = 120


def differencing_rows() -> list[dict[str, Any]]:
    """TRIALS employers at U2: 20 eligible in 2023 (10 accepted), 4 in 2024 (3 accepted)."""
    rows: list[dict[str, Any]] = []
    for i in range(TRIALS):
        rows += cohort(20, 12, 10, employer=f"Trial {i:03d}", university="U2", term_year=2023)
        rows += cohort(4, 3, 3, employer=f"Trial {i:03d}", university="U2", term_year=2024)
    return rows


def test_differencing_recovers_the_hidden_cell_for_few_trials(tmp_path: Path) -> None:
    """Case 3 over TRIALS independent employers: (2023 + 2024) - 2023 gives the hidden 2024 cell
    (4 eligible, 3 accepted) only when two independent noises happen to be equal: for the
    eligible count with probability sum_d P(d)^2 (about a third for the published table), for
    both counts about the square of that. The observed shares must not exceed those by more than
    3.5 standard deviations (and on 7c8cc45 they were 120 of 120)."""
    p = noise_distribution(gate())
    same = sum(v * v for v in p.values())
    store = make_store(tmp_path / "diff.duckdb", differencing_rows())
    try:
        both = public_cells(store, Filter(term_years=(2023, 2024)))
        first = public_cells(store, Filter(term_years=(2023,)))
        hidden = public_cells(store, Filter(term_years=(2024,)))
    finally:
        store.close()
        store_module.close_all()
    eligible_hits = pair_hits = 0
    for i in range(TRIALS):
        a, b = both[f"Trial {i:03d}"], first[f"Trial {i:03d}"]
        assert hidden[f"Trial {i:03d}"]["n"] is None  # the 2024 cell itself is suppressed
        eligible = a["n"] - b["n"] == 4
        eligible_hits += eligible
        pair_hits += eligible and a["accepted"] - b["accepted"] == 3

    def ceiling(q: float) -> float:
        return TRIALS * q + 3.5 * math.sqrt(TRIALS * q * (1 - q))

    assert eligible_hits <= ceiling(same), (eligible_hits, same)
    assert pair_hits <= ceiling(same * same), (pair_hits, same * same)
    assert eligible_hits < TRIALS / 2


def test_the_students_figure_is_perturbed_too_so_differencing_it_fails(tmp_path: Path) -> None:
    """The overview's "students" figure is released like any count: a public visitor who
    subtracts one employer's 2023 students from its 2023+2024 students learns the hidden 2024
    cell's size (4) only when two independent noises happen to agree, not every time (before,
    the figure was the gate's exact size and the subtraction gave 4 for every employer). The
    admin still sees the exact count, and every released value is within the bound."""
    bound = gate().NOISE_BOUND
    p = noise_distribution(gate())
    same = sum(v * v for v in p.values())
    trials = 40
    store = make_store(tmp_path / "students.duckdb", differencing_rows()[: trials * 24])
    try:
        hits = 0
        for i in range(trials):
            employer = (f"Trial {i:03d}",)
            both = one(metrics.overview(store, PUBLIC, Filter(employers=employer, term_years=(2023, 2024)),
                                        min_cell=MIN_CELL))
            first = one(metrics.overview(store, PUBLIC, Filter(employers=employer, term_years=(2023,)),
                                         min_cell=MIN_CELL))
            assert abs(both["students"] - 24) <= bound and abs(first["students"] - 20) <= bound
            assert both["perturbed"] and first["perturbed"]
            hits += both["students"] - first["students"] == 4
        exact = one(metrics.overview(store, ADMIN, Filter(employers=("Trial 000",)), min_cell=MIN_CELL))
    finally:
        store.close()
        store_module.close_all()
    assert exact["students"] == 24 and not exact["perturbed"]
    assert hits <= trials * same + 3.5 * math.sqrt(trials * same * (1 - same)), (hits, same)
    assert hits < trials / 2
