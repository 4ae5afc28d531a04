"""The packed flags of the facts (facts.FLAGS_SQL / ATTRS_SQL) and the overview counted from them.

The overview groups a scope's facts by two packed bytes and counts from the groups; these tests
hold that to the facts' own columns row by row, and to the overview computed the plain way (the
on-the-fly projection of `placements`, which counts every condition on every row).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from analytics import metrics
from analytics.access import LOCAL_ADMIN, PUBLIC, Principal
from analytics.filters import Filter
from analytics.metrics import facts, scope
from analytics.metrics.definitions import Method
from analytics.store import Store
from tests.disclosure_support import cohort
from tests.fixture_rows import insert

UNIVERSITIES = ("Alder University", "Birch College", "Cedar Institute")
EMPLOYERS = ("Acme", "Beta Labs", "Gamma Cloud", "Delta Works", "Epsilon", "Zeta Bank")


def _maybe(rng: random.Random, value: Any, unknown: float = 0.2) -> Any:
    return None if rng.random() < unknown else value


def _rows() -> list[dict[str, Any]]:
    """900 placements of 400 students (some with several), every packed field often unknown."""
    rng = random.Random(11)
    rows = []
    for i in range(900):
        paid = _maybe(rng, rng.random() < 0.8)
        offered = _maybe(rng, rng.random() < 0.6, 0.3)
        rows.append(
            {
                "placement_id": f"P{i:04d}",
                "student_id": _maybe(rng, f"S{rng.randrange(400):04d}", 0.05),
                "university": rng.choice(UNIVERSITIES),
                "employer": rng.choice(EMPLOYERS),
                "term_season": rng.choice(("summer", "fall", "spring")),
                "term_year": rng.choice((2023, 2024)),
                "status": _maybe(rng, rng.choice(("completed", "completed", "withdrawn")), 0.1),
                "final_year": _maybe(rng, rng.random() < 0.7, 0.3),
                "continuing_education": _maybe(rng, rng.random() < 0.1),
                "offer_extended": offered,
                "offer_accepted": None if not offered else _maybe(rng, rng.random() < 0.7),
                "paid": paid,
                "pay_amount": round(rng.uniform(15, 40), 2) if paid else None,
                "pay_period": "hour" if paid else None,
                "currency": "USD" if paid else None,
                "academic_credit": _maybe(rng, rng.random() < 0.3),
                "structured_training": _maybe(rng, rng.random() < 0.5),
                "hours_per_week": _maybe(rng, float(rng.choice((20, 30, 40)))),
                "duration_weeks": _maybe(rng, float(rng.choice((8, 10, 12)))),
            }
        )
    return rows


_COMPARED = (
    "completed",
    "eligible",
    "offered",
    "accepted",
    "known",
    "eligibility_known",
    "first_of_student",
    "paid",
    "academic_credit",
    "structured_training",
)


@pytest.fixture
def store(hand_built: Callable[[list[dict[str, Any]]], Store]) -> Store:
    built = hand_built(_rows())
    metrics.refresh_facts(built)
    return built


def test_the_packed_flags_unpack_to_the_facts_own_values(store: Store) -> None:
    own = ", ".join(f"{c} AS own_{c}" for c in _COMPARED)
    differ = " OR ".join(f"own_{c} IS DISTINCT FROM {c}" for c in _COMPARED)
    rows = store.rows(f"""
        SELECT count(*), count_if({differ}),
               count_if(own_duration_known IS DISTINCT FROM (duration_weeks IS NOT NULL)),
               count_if(own_schedule IS DISTINCT FROM schedule),
               count_if(own_paid IS NULL), count_if(own_academic_credit IS NULL),
               count_if(own_structured_training IS NULL), count_if(NOT own_paid),
               count_if(own_schedule IS NULL), count_if(own_schedule = 'part_time'),
               count_if(NOT own_duration_known), count_if(own_first_of_student)
        FROM (SELECT own_duration_known, own_schedule, {", ".join(f"own_{c}" for c in _COMPARED)},
                     {facts.UNPACKED_SQL}
              FROM (SELECT {own}, duration_weeks IS NOT NULL AS own_duration_known,
                           schedule AS own_schedule, flags, attrs
                    FROM {facts.FACTS_TABLE}))""")
    (
        total,
        flags_differ,
        duration_differs,
        schedule_differs,
        paid_null,
        credit_null,
        training_null,
        unpaid,
        schedule_null,
        part_time,
        no_duration,
        first,
    ) = rows[0]
    assert total == 900
    assert (flags_differ, duration_differs, schedule_differs) == (0, 0, 0)
    # Every state each packed value can take occurs in the sample, so each was compared.
    assert min(paid_null, credit_null, training_null, unpaid, schedule_null, part_time, no_duration) > 0
    assert 0 < first < total


def _packed_equals_plain(store: Store, monkeypatch: pytest.MonkeyPatch,
                         every: Callable[[], list[Any]]) -> list[Any]:
    """`every()` on fresh facts (the packed flags) equals it on the plain projection of
    placements (every condition counted on every row); returns the packed results."""
    packed = every()
    assert facts.current_facts(store).fresh  # the packed path ran
    monkeypatch.setattr(scope, "current_facts", lambda _store: facts._fallback())
    plain = every()
    for a, b in zip(packed, plain, strict=True):
        # Means may differ in the last bits: a sum's order follows the rows' order.
        assert_frame_equal(a, b, check_exact=False, rel_tol=1e-12, abs_tol=0.0)
    return packed


@pytest.mark.parametrize("who", ["admin", "public", "viewer"])
def test_the_overview_from_packed_flags_equals_counting_row_by_row(
    store: Store, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    principal = {
        "admin": LOCAL_ADMIN,
        "public": PUBLIC,
        "viewer": Principal(email="v@example.edu", name="v", role="viewer", universities=(UNIVERSITIES[0],)),
    }[who]
    calls: list[tuple[Filter, int]] = [
        (Filter(), 10),
        (Filter(), 0),
        (Filter(term_years=(2024,)), 10),
        (Filter(paid=True, term_years=(2023,)), 5),
    ]

    def every() -> list[Any]:
        return [metrics.overview(store, principal, flt, min_cell=m) for flt, m in calls]

    packed = _packed_equals_plain(store, monkeypatch, every)
    assert packed[0]["students"][0] is not None


@pytest.mark.parametrize("who", ["admin", "public"])
def test_the_employer_comparison_from_packed_flags_equals_counting_row_by_row(
    store: Store, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    # The comparison counts from rows grouped by employer and packed flags (Scope.flag_counts)
    # on fresh facts; the plain projection counts every condition on every row. (Not for a
    # one-university viewer: there the two paths may choose different complementary cells,
    # as on main -- fresh facts size a settled cell by its first placements' lower bound,
    # frames.resolve_sizes, the plain projection by the exact count.)
    principal = {"admin": LOCAL_ADMIN, "public": PUBLIC}[who]
    calls: list[tuple[Filter, int]] = [(Filter(), 10), (Filter(), 3), (Filter(term_years=(2024,)), 5)]

    def every() -> list[Any]:
        return [metrics.employer_comparison(store, principal, flt, min_cell=m) for flt, m in calls]

    packed = _packed_equals_plain(store, monkeypatch, every)
    assert packed[1]["n"].drop_nulls().len() > 0  # some employers are shown


@pytest.mark.parametrize("who", ["admin", "public"])
def test_conversion_by_from_packed_flags_equals_counting_row_by_row(
    store: Store, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    # On fresh facts conversion_by tests bits of `flags` (Scope.conversion_selects); the plain
    # projection tests the boolean conditions on every row. (Admin and public only, for the
    # reason the employer comparison's test gives.)
    principal = {"admin": LOCAL_ADMIN, "public": PUBLIC}[who]
    calls: list[tuple[str, Method, Filter, int]] = [
        ("term", "pooled", Filter(), 10), ("employer", "employer_mean", Filter(), 3),
        ("university", "pooled", Filter(term_years=(2024,)), 5), ("paid", "pooled", Filter(), 0)]

    def every() -> list[Any]:
        return [metrics.conversion_by(store, principal, dim, flt, how, min_cell=m)
                for dim, how, flt, m in calls]

    packed = _packed_equals_plain(store, monkeypatch, every)
    assert packed[0]["n"].drop_nulls().sum() > 0  # some terms are shown


def test_the_overview_finds_each_eligibility_basis_present(
    hand_built: Callable[[list[dict[str, Any]]], Store],
) -> None:
    # The overview probes for each basis (a batch's, stored with its rows) instead of reading
    # them all: one batch per basis, each found alone and together.
    store = hand_built(cohort(12, employer="Final", term_year=2023))  # final_year given
    insert(store, [{k: v for k, v in r.items() if k not in ("final_year", "student_status")}
                   for r in cohort(12, employer="Done", term_year=2024)])
    metrics.refresh_facts(store)

    def basis(flt: Filter) -> str:
        return str(metrics.overview(store, LOCAL_ADMIN, flt, min_cell=0)["eligibility_basis"][0])

    assert basis(Filter(term_years=(2023,))) == "final_year"
    assert basis(Filter(term_years=(2024,))) == "completed"
    assert basis(Filter()) == "mixed"
    assert basis(Filter(term_years=(2030,))) == "unknown"  # no rows: no basis
