"""The knowledge-rate gate: rates by source and by term worked out by hand, the 65% test, and the
analysts' follow-up list of unknown outcomes (own scope only, refused to viewers)."""

from __future__ import annotations

from typing import Any

import pytest

from analytics import metrics
from analytics.access import AccessDenied, Principal
from analytics.filters import Filter
from tests.disclosure_support import ADMIN, MIN_CELL, PUBLIC, VIEWER_U1, by_key, cohort
from tests.test_breakdowns import wilson

ANALYST_U1 = Principal(email="a@u.edu", name="A", role="analyst", universities=("U1",))


def unknown(n: int, **values: Any) -> list[dict[str, Any]]:
    """n eligible interns whose offer outcome was never recorded."""
    return cohort(n, offer_extended=None, offer_accepted=None, **values)


def knowledge_rows() -> list[dict[str, Any]]:
    """2023: 10 known (survey) + 10 unknown = 50%; 2024: 18 known (12 survey, 6 employer
    report) + 2 unknown = 90%. At U2, 2024: 15 known (employer report), 5 unknown. Plus 6
    unknown interns who are not eligible (not final year): never counted, never listed."""
    return [
        *cohort(10, 5, 3, term_year=2023, outcome_source="student_survey"),
        *unknown(10, term_year=2023),
        *cohort(12, 6, 4, term_year=2024, outcome_source="student_survey"),
        *cohort(6, 3, 2, term_year=2024, outcome_source="employer_report"),
        *unknown(2, term_year=2024),
        *cohort(15, 8, 5, term_year=2024, university="U2", outcome_source="employer_report"),
        *unknown(5, term_year=2024, university="U2"),
        *unknown(6, term_year=2024, final_year=False),
    ]


def test_knowledge_rate_by_term_by_hand(hand_built) -> None:
    store = hand_built(knowledge_rows())
    got = by_key(metrics.knowledge_by(store, VIEWER_U1, "term", min_cell=MIN_CELL))
    assert list(got) == ["Summer 2023", "Summer 2024"]
    assert (got["Summer 2023"]["n"], got["Summer 2023"]["known_outcome"]) == (20, 10)
    assert got["Summer 2023"]["knowledge_rate"] == pytest.approx(0.5)
    assert (got["Summer 2023"]["knowledge_rate_low"], got["Summer 2023"]["knowledge_rate_high"]) == \
        pytest.approx(wilson(10, 20), abs=1e-6)
    assert got["Summer 2023"]["below_target"] is True
    assert got["Summer 2024"]["knowledge_rate"] == pytest.approx(18 / 20)
    assert got["Summer 2024"]["below_target"] is False


def test_knowledge_rate_by_source_by_hand(hand_built) -> None:
    """Admin, whole network: student survey 22 eligible, all known; employer report 21; not
    recorded 17, none known."""
    store = hand_built(knowledge_rows())
    got = by_key(metrics.knowledge_by(store, ADMIN, "outcome_source", min_cell=MIN_CELL))
    assert list(got) == ["employer report", "student survey", "not recorded"]
    assert got["student survey"]["n"] == 22 and got["employer report"]["n"] == 21
    assert got["not recorded"]["n"] == 17 and got["not recorded"]["knowledge_rate"] == 0.0
    assert got["not recorded"]["below_target"] is True


def test_the_target_is_nace_65_percent() -> None:
    assert metrics.KNOWLEDGE_TARGET == 0.65
    assert metrics.below_target(0.649) and not metrics.below_target(0.65)
    assert not metrics.below_target(None)


def test_the_overview_knowledge_rate_is_the_one_the_pages_warn_on(hand_built) -> None:
    store = hand_built(knowledge_rows())
    card = metrics.overview(store, VIEWER_U1, Filter(term_years=(2023,)), min_cell=MIN_CELL).row(
        0, named=True)
    assert card["knowledge_rate"] == pytest.approx(0.5) and metrics.below_target(card["knowledge_rate"])


def test_unknown_outcomes_lists_the_own_scope_eligible_unknowns_only(hand_built) -> None:
    store = hand_built(knowledge_rows())
    mine = metrics.unknown_outcomes(store, ANALYST_U1)
    assert mine.height == 12 and set(mine["university"].to_list()) == {"U1"}
    assert mine["offer_extended"].is_null().all() and (mine["final_year"]).all()
    assert metrics.unknown_outcome_count(store, ANALYST_U1) == 12
    assert metrics.unknown_outcomes(store, ANALYST_U1, Filter(term_years=(2024,))).height == 2
    assert metrics.unknown_outcome_count(store, ADMIN) == 17
    # Pseudonyms only, ordered, paged.
    assert not any(s.startswith("S") for s in mine["student_id"].to_list())
    assert mine["placement_id"].to_list() == sorted(mine["placement_id"].to_list())
    assert metrics.unknown_outcomes(store, ANALYST_U1, limit=5, offset=10).height == 2


@pytest.mark.parametrize("who", [VIEWER_U1, PUBLIC], ids=["viewer", "public"])
def test_unknown_outcomes_are_refused_without_the_records_permission(hand_built, who) -> None:
    store = hand_built(knowledge_rows())
    with pytest.raises(AccessDenied):
        metrics.unknown_outcomes(store, who)
    with pytest.raises(AccessDenied):
        metrics.unknown_outcome_count(store, who)


def test_a_small_term_hides_its_knowledge_rate(hand_built) -> None:
    store = hand_built([*cohort(30, 10, 5, term_year=2024), *unknown(4, term_year=2023),
                *cohort(12, 6, 3, term_year=2022)])
    got = by_key(metrics.knowledge_by(store, ADMIN, "term", min_cell=MIN_CELL))
    assert got["Summer 2023"]["knowledge_rate"] is None and got["Summer 2023"]["below_target"] is None
    assert got["Summer 2022"]["suppressed"]  # the complement
