"""Ratings: means and intervals worked out by hand, the distribution's all-or-nothing release,
and conversion by rating."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics import metrics
from tests.disclosure_support import ADMIN, MIN_CELL, PUBLIC, by_key, cohort, row
from tests.test_breakdowns import wilson

# Student's t, 97.5% quantile, 11 degrees of freedom (printed tables: 2.201).
T_11 = 2.200985


TWELVE = [5, 5, 4, 4, 4, 3, 5, 2, 4, 5, 3, 4]


def test_rating_mean_and_interval_by_hand(hand_built) -> None:
    """Twelve intern ratings: sum 48, mean 4.0; squared deviations 1+1+0+0+0+1+1+4+0+1+1+0 = 10,
    variance 10/11, so the 95% interval is 4 -+ 2.200985 * sqrt(10/11) / sqrt(12) = 4 -+ 0.6058."""
    store = hand_built([row(intern_rating=r) for r in TWELVE])
    got = by_key(metrics.rating_summary(store, ADMIN, min_cell=MIN_CELL), "rating")
    intern = got["intern_rating"]
    half = T_11 * math.sqrt(10 / 11) / math.sqrt(12)
    assert intern["n"] == 12
    assert intern["mean"] == pytest.approx(4.0)
    assert (intern["mean_low"], intern["mean_high"]) == pytest.approx((4 - half, 4 + half), abs=1e-4)
    assert half == pytest.approx(0.6058, abs=1e-4)
    # No supervisor gave a rating: no row, and no error.
    assert "supervisor_rating" not in got


def test_a_mean_of_fewer_than_min_cell_students_is_hidden(hand_built) -> None:
    store = hand_built([row(supervisor_rating=r) for r in (5, 4, 4, 3, 5)] + cohort(20))
    got = by_key(metrics.rating_summary(store, ADMIN, min_cell=MIN_CELL), "rating")
    assert got["supervisor_rating"]["suppressed"]
    assert got["supervisor_rating"]["n"] is None and got["supervisor_rating"]["mean"] is None


def test_distribution_shares_by_hand(hand_built) -> None:
    """10 threes, 20 fours, 15 fives: shares 10/45, 20/45, 15/45."""
    store = hand_built([row(intern_rating=s) for s, k in ((3, 10), (4, 20), (5, 15)) for _ in range(k)])
    got = metrics.rating_distribution(store, ADMIN, min_cell=MIN_CELL)
    intern = {r["score"]: r for r in got.iter_rows(named=True) if r["rating"] == "intern_rating"}
    assert sorted(intern) == [3, 4, 5]
    assert [intern[s]["count"] for s in (3, 4, 5)] == [10, 20, 15]
    assert [intern[s]["share"] for s in (3, 4, 5)] == pytest.approx([10 / 45, 20 / 45, 15 / 45])


def test_a_small_bar_hides_the_whole_distribution_and_cannot_be_solved_for(hand_built) -> None:
    """Add 3 ones to the above: the mean, its interval and the count give three equations on the
    bars (count, sum, sum of squares). With the ones hidden and the others shown the ones would
    be count minus the rest; with any two hidden, the mean gives both; so no bar is shown, and the
    three released equations leave every bar undetermined."""
    ratings = [s for s, k in ((1, 3), (3, 10), (4, 20), (5, 15)) for _ in range(k)]
    store = hand_built([row(intern_rating=s) for s in ratings])
    bars = metrics.rating_distribution(store, ADMIN, min_cell=MIN_CELL)
    intern = bars.filter(bars["rating"] == "intern_rating")
    assert intern["suppressed"].all()
    assert intern["count"].is_null().all() and intern["share"].is_null().all()
    summary = by_key(metrics.rating_summary(store, ADMIN, min_cell=MIN_CELL), "rating")["intern_rating"]
    assert summary["n"] == 48 and summary["mean"] == pytest.approx(sum(ratings) / 48)
    # The attacker's equations over the five bars: rank 3, and no unit vector in their span.
    scores = np.arange(1, 6, dtype=float)
    equations = np.vstack([np.ones(5), scores, scores ** 2])
    rank = np.linalg.matrix_rank(equations)
    for bar in range(5):
        unit = np.zeros(5)
        unit[bar] = 1.0
        assert np.linalg.matrix_rank(np.vstack([equations, unit])) == rank + 1


def test_distribution_is_perturbed_consistently_for_the_public(hand_built) -> None:
    store = hand_built([row(intern_rating=s) for s, k in ((3, 12), (4, 20), (5, 15)) for _ in range(k)])
    bars = metrics.rating_distribution(store, PUBLIC, min_cell=MIN_CELL)
    assert bars["perturbed"].all()
    summary = by_key(metrics.rating_summary(store, PUBLIC, min_cell=MIN_CELL), "rating")["intern_rating"]
    # The rating's total is one cell: the same perturbed count in both views.
    shares = bars["share"].to_list()
    counts = bars["count"].to_list()
    assert all(abs(c - t) <= 2 for c, t in zip(counts, (12, 20, 15), strict=True))
    assert shares == pytest.approx([round(c / summary["n"], 3) for c in counts], abs=1e-9)


def test_conversion_by_rating_by_hand(hand_built) -> None:
    """Rated 5: 20 eligible, 16 hired; rated 4: 25, 10; rated 2: 12, 2; not rated: 15, 6."""
    store = hand_built([*cohort(20, 18, 16, intern_rating=5), *cohort(25, 14, 10, intern_rating=4),
                *cohort(12, 4, 2, intern_rating=2), *cohort(15, 10, 6)])
    got = by_key(metrics.conversion_by_rating(store, ADMIN, "intern_rating", min_cell=MIN_CELL))
    assert list(got) == ["2", "4", "5", "not rated"]
    assert got["5"]["conversion_rate"] == pytest.approx(16 / 20)
    assert (got["5"]["conversion_rate_low"], got["5"]["conversion_rate_high"]) == \
        pytest.approx(wilson(16, 20), abs=1e-6)
    assert got["4"]["conversion_rate"] == pytest.approx(10 / 25)
    assert got["not rated"]["n"] == 15
    # 4 offered students behind the rated-2 acceptance rate: it goes, with its offers.
    assert got["2"]["acceptance_rate"] is None and got["2"]["offers"] is None
    assert got["2"]["conversion_rate"] == pytest.approx(2 / 12)


def test_conversion_by_rating_rejects_an_unknown_rating(hand_built) -> None:
    store = hand_built(cohort(12))
    with pytest.raises(metrics.MetricsError, match="unknown rating"):
        metrics.conversion_by_rating(store, ADMIN, "mood", min_cell=MIN_CELL)
