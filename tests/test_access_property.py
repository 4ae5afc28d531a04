"""Property: a principal scoped to university A, on a network of A and B, gets for every in-scope
figure exactly what the admin gets on a database holding only A's placements.

The second computation is independent of the scope machinery: the admin has no row condition at
all, and B's rows are simply not in that database. Random small networks (hypothesis) cover
suppression on both sides of the threshold, missing outcomes and shared employers.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import access, metrics
from analytics.access import LOCAL_ADMIN, Principal
from analytics.filters import Filter
from analytics.ingest.load import load_canonical_csv
from analytics.store import Store
from tests.access_world import A_CITIES, A_PROGRAMS, B_CITIES, B_PROGRAMS, A, B, placement, write_csv

MIN_CELL = 5  # the lowest threshold allowed: more cells shown, so more to compare
DIMENSIONS = ("term", "employer", "role_family", "paid", "work_mode")


def _store(folder: Path, name: str, rows: list[dict[str, str]]) -> Store:
    store = Store(folder / f"{name}.duckdb")  # a file of its own per example
    if rows:
        load_canonical_csv(store, write_csv(folder / f"{name}.csv", rows))
    return store


def figures(store: Store, who: Principal, flt: Filter) -> dict[str, Any]:
    """Every in-scope figure the pages show, for one principal."""
    calls: dict[str, Callable[[], Any]] = {
        "overview": lambda: metrics.overview(store, who, flt, min_cell=MIN_CELL),
        "funnel": lambda: metrics.funnel(store, who, flt, min_cell=MIN_CELL),
        "employer_comparison": lambda: metrics.employer_comparison(store, who, flt, min_cell=MIN_CELL),
        "funnel_plot": lambda: metrics.funnel_plot(store, who, flt, min_cell=MIN_CELL),
        "pay_currencies": lambda: metrics.pay_currencies(store, who, flt, min_cell=MIN_CELL),
        "pay_distribution": lambda: metrics.pay_distribution(store, who, flt, min_cell=MIN_CELL),
        "paid_share_by_term": lambda: metrics.paid_share_by_term(store, who, flt, min_cell=MIN_CELL),
        "pay_vs_conversion": lambda: metrics.pay_vs_conversion(store, who, flt, min_cell=MIN_CELL),
        "duration_distribution": lambda: metrics.duration_distribution(store, who, flt, min_cell=MIN_CELL),
        "duration_vs_conversion": lambda: metrics.duration_vs_conversion(store, who, flt,
                                                                         min_cell=MIN_CELL),
        "schedule_mix": lambda: metrics.schedule_mix(store, who, flt, min_cell=MIN_CELL),
        "summary_by_term_employer": lambda: metrics.summary_table(store, who, flt, ("term", "employer"),
                                                                  min_cell=MIN_CELL),
        "options": lambda: metrics.options(store, who),
        "record_count": lambda: metrics.record_count(store, who, flt),
    }
    results = {name: call() for name, call in calls.items()}
    for d in DIMENSIONS:
        results[f"conversion_by_{d}"] = metrics.conversion_by(store, who, d, flt, min_cell=MIN_CELL)
        results[f"pay_by_{d}"] = metrics.pay_by(store, who, d, flt, min_cell=MIN_CELL)
        results[f"duration_by_{d}"] = metrics.duration_by(store, who, d, flt, min_cell=MIN_CELL)
        results[f"credit_share_by_{d}"] = metrics.credit_share_by(store, who, d, flt, min_cell=MIN_CELL)
        results[f"summary_by_{d}"] = metrics.summary_table(store, who, flt, (d,), min_cell=MIN_CELL)
    return results


def same(left: Any, right: Any) -> bool:
    if isinstance(left, pl.DataFrame):
        return isinstance(right, pl.DataFrame) and left.equals(right, null_equal=True)
    if isinstance(left, tuple):
        return len(left) == len(right) and all(same(x, y) for x, y in zip(left, right, strict=True))
    if isinstance(left, float) and left != left:
        return isinstance(right, float) and right != right
    return bool(left == right)


def rows_for(university: str, count: int, seed: int, *, shared_students: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    programs, cities = (A_PROGRAMS, A_CITIES) if university == A else (B_PROGRAMS, B_CITIES)
    rows = []
    for i in range(count):
        # A few students with two placements: distinct-student counts differ from row counts.
        student = f"{university[:1]}S{i % max(1, count - shared_students):05d}"
        rows.append(placement(i, university, rng, program=programs[i % len(programs)],
                              city=cities[i % len(cities)], student=student))
    return rows


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a_rows=st.integers(0, 70), b_rows=st.integers(0, 70), seed=st.integers(0, 10_000),
       shared=st.integers(0, 5), year=st.sampled_from([None, 2023, 2024]))
def test_a_scoped_principal_sees_exactly_a_database_of_its_own(a_rows: int, b_rows: int, seed: int,
                                                               shared: int, year: int | None) -> None:
    a = rows_for(A, a_rows, seed, shared_students=shared)
    b = rows_for(B, b_rows, seed + 1, shared_students=shared)
    flt = Filter(term_years=(year,)) if year is not None else Filter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        network, only_a = _store(folder, "network", a + b), _store(folder, "only_a", a)
        try:
            access.invite(network, "viewer@alder.edu", "viewer", universities=[A])
            viewer = access.by_email(network, "viewer@alder.edu")
            assert viewer is not None
            scoped = figures(network, viewer, flt)
            alone = figures(only_a, LOCAL_ADMIN, flt)
            differ = [name for name in scoped if not same(scoped[name], alone[name])]
            assert differ == [], f"differs for {differ[:3]}: {scoped[differ[0]] if differ else ''}"
            # The university's own columns of its university view too (the network columns are
            # network aggregates, which the disclosure gate protects instead).
            if a_rows:
                own = ["employer", "n_university", "conversion_university", "suppressed"]
                view = metrics.university_view(network, viewer, A, flt, min_cell=MIN_CELL).select(own)
                reference = metrics.university_view(only_a, LOCAL_ADMIN, A, flt,
                                                    min_cell=MIN_CELL).select(own)
                assert view.sort("employer").equals(reference.sort("employer"), null_equal=True)
        finally:
            network.close()
            only_a.close()


def test_the_comparison_notices_b_rows() -> None:
    """The same comparison, for the admin on the network, differs: the property can fail."""
    a, b = rows_for(A, 40, 1, shared_students=0), rows_for(B, 40, 2, shared_students=0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        network, only_a = _store(folder, "network", a + b), _store(folder, "only_a", a)
        try:
            everything = figures(network, LOCAL_ADMIN, Filter())
            alone = figures(only_a, LOCAL_ADMIN, Filter())
            assert not same(everything["overview"], alone["overview"])
            assert not same(everything["options"], alone["options"])
        finally:
            network.close()
            only_a.close()


def test_a_shared_employers_name_is_spelled_as_in_as_own_rows() -> None:
    """B spells a shared employer differently, and more often: A's people still see A's spelling
    (the network's most frequent spelling would tell them how B writes it)."""
    rng = random.Random(1)
    a = [placement(i, A, rng, program=A_PROGRAMS[0], city=A_CITIES[0], employer="Acme Robotics")
         for i in range(12)]
    b = [placement(i, B, rng, program=B_PROGRAMS[0], city=B_CITIES[0], employer="ACME ROBOTICS")
         for i in range(30)]
    with tempfile.TemporaryDirectory() as tmp:
        network = _store(Path(tmp), "network", a + b)
        try:
            viewer = access.invite(network, "viewer@alder.edu", "viewer", universities=[A])
            assert metrics.options(network, viewer)["employers"] == ["Acme Robotics"]
        finally:
            network.close()


def test_two_in_memory_stores_do_not_share_hidden_groups(tmp_path: Path) -> None:
    """Two stores with the same path (':memory:') and data version, and an equal principal, must
    not share metrics.selection's cached hidden groups."""
    def one(name: str, years: list[int]) -> tuple[Store, Principal]:
        rng = random.Random(3)
        rows = []
        for i, year in enumerate(years):
            row = placement(i, A, rng, program=A_PROGRAMS[0], city=A_CITIES[0])
            row.update(term_year=str(year), final_year="true")
            rows.append(row)
        store = Store(":memory:")
        load_canonical_csv(store, write_csv(tmp_path / f"{name}.csv", rows))
        return store, access.invite(store, "viewer@alder.edu", "viewer", universities=[A])

    few, viewer = one("few", [2023] * 30 + [2024] * 2)  # 2024 is hidden (2 students)
    many, same_viewer = one("many", [2023] * 30 + [2024] * 30)  # 2024 is not
    assert viewer == same_viewer and few.data_version() == many.data_version()
    flt = Filter(term_years=(2024,))
    assert metrics.overview(few, viewer, flt)["blocked"][0]
    assert not metrics.overview(many, same_viewer, flt)["blocked"][0]
