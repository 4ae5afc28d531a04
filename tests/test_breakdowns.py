"""Returning vs first-time interns and structured training: hand-worked conversion tables."""

from __future__ import annotations

import math
from typing import Any

import pytest

from analytics import metrics
from analytics.filters import Filter
from tests.disclosure_support import ADMIN, MIN_CELL, PUBLIC, by_key, cohort


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval written out (z = 1.959964), a second method beside stats."""
    z = 1.959964
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def returning_rows() -> list[dict[str, Any]]:
    """Returning: 30 eligible, 27 offered, 24 accepted. First-time: 40 eligible, 18 offered, 14
    accepted. Not recorded: 15 eligible, 10 offered, 6 accepted. Plus 12 returning interns who are
    not eligible (not in their final year) and must not count."""
    return [
        *cohort(30, 27, 24, returning_intern=True),
        *cohort(40, 18, 14, returning_intern=False),
        *cohort(15, 10, 6, returning_intern=None),
        *cohort(12, 12, 12, returning_intern=True, final_year=False),
    ]


def test_returning_vs_first_time_by_hand(hand_built) -> None:
    store = hand_built(returning_rows())
    got = by_key(metrics.returning_outcomes(store, ADMIN, min_cell=MIN_CELL))
    assert list(got) == ["returning", "first-time", "not recorded"]
    returning, first = got["returning"], got["first-time"]
    assert (returning["n"], returning["offers"], returning["accepted"]) == (30, 27, 24)
    assert returning["offer_rate"] == pytest.approx(27 / 30)
    assert returning["acceptance_rate"] == pytest.approx(24 / 27)
    assert returning["conversion_rate"] == pytest.approx(24 / 30)
    assert (returning["conversion_rate_low"], returning["conversion_rate_high"]) == \
        pytest.approx(wilson(24, 30), abs=1e-6)
    assert (first["n"], first["offers"], first["accepted"]) == (40, 18, 14)
    assert first["conversion_rate"] == pytest.approx(14 / 40)
    assert (first["offer_rate_low"], first["offer_rate_high"]) == pytest.approx(wilson(18, 40), abs=1e-6)
    assert got["not recorded"]["n"] == 15
    assert not any(r["suppressed"] for r in got.values())


def test_a_small_returning_group_is_hidden_with_a_complement(hand_built) -> None:
    """6 returning interns: hidden; the total (the overview's eligible) minus first-time would
    give them, so the smallest other group goes too."""
    store = hand_built([*cohort(6, 6, 5, returning_intern=True), *cohort(40, 18, 14, returning_intern=False),
                *cohort(15, 10, 6, returning_intern=None)])
    got = by_key(metrics.returning_outcomes(store, ADMIN, min_cell=MIN_CELL))
    assert got["returning"]["suppressed"] and got["returning"]["n"] is None
    assert got["not recorded"]["suppressed"] and got["not recorded"]["conversion_rate"] is None
    assert got["first-time"]["n"] == 40
    total = metrics.overview(store, ADMIN, min_cell=MIN_CELL)["eligible"][0]
    assert total - got["first-time"]["n"] == 21  # two hidden groups together: neither alone


def test_no_returning_field_means_one_not_recorded_group(hand_built) -> None:
    store = hand_built(cohort(30, 15, 10))
    got = metrics.returning_outcomes(store, ADMIN, min_cell=MIN_CELL)
    assert got["group"].to_list() == ["not recorded"]


def test_training_outcomes_by_hand_and_filtered(hand_built) -> None:
    store = hand_built([*cohort(25, 20, 15, structured_training=True, term_year=2024),
                *cohort(20, 10, 5, structured_training=False, term_year=2024),
                *cohort(30, 30, 30, structured_training=True, term_year=2023)])
    got = by_key(metrics.training_outcomes(store, ADMIN, Filter(term_years=(2024,)), min_cell=MIN_CELL))
    assert list(got) == ["with structured training", "without structured training"]
    assert got["with structured training"]["conversion_rate"] == pytest.approx(15 / 25)
    assert got["without structured training"]["conversion_rate"] == pytest.approx(5 / 20)
    assert got["without structured training"]["n"] == 20


def test_public_cells_are_perturbed_within_the_noise_bound(hand_built) -> None:
    store = hand_built(returning_rows())
    got = by_key(metrics.returning_outcomes(store, PUBLIC, min_cell=MIN_CELL))
    assert all(r["perturbed"] for r in got.values())
    assert abs(got["returning"]["n"] - 30) <= 2 and abs(got["first-time"]["accepted"] - 14) <= 2
