"""Equity tables worked out by hand, and the attacks they must withstand: subtraction from the
population row, the small side of a rate, dominated pay, differencing across filters."""

from __future__ import annotations

import math
from typing import Any

import pytest

from analytics import metrics
from analytics.disclosure import KEY_RANGE, NOISE_TABLE
from analytics.filters import Filter
from tests.disclosure_support import (
    ADMIN,
    MIN_CELL,
    PUBLIC,
    VIEWER_U1,
    by_key,
    cohort,
    count_from,
    recoverable_hidden,
)
from tests.test_breakdowns import wilson


def gender_rows() -> list[dict[str, Any]]:
    """female 40 eligible (24 offered, 20 hired), male 50 (35, 25), nonbinary 4 (2, 1), not
    recorded 30 (18, 14): 124 eligible, 79 offered, 60 hired. Pay: female 20.00 an hour, male
    24.00, everyone else 22.00 (all paid)."""
    return [
        *cohort(40, 24, 20, gender="female", pay_amount=20.0),
        *cohort(50, 35, 25, gender="male", pay_amount=24.0),
        *cohort(4, 2, 1, gender="nonbinary", pay_amount=22.0),
        *cohort(30, 18, 14, gender=None, pay_amount=22.0),
    ]


def test_equity_by_gender_by_hand(hand_built) -> None:
    store = hand_built(gender_rows())
    got = by_key(metrics.equity_by(store, ADMIN, "gender", min_cell=MIN_CELL))
    assert list(got) == ["all eligible interns", "female", "male", "nonbinary", "not recorded"]
    whole, female, male = got["all eligible interns"], got["female"], got["male"]
    assert whole["population"] and (whole["n"], whole["offers"], whole["accepted"]) == (124, 79, 60)
    assert (whole["share_of_eligible"], whole["offer_gap"], whole["pay_gap"]) == (1.0, 0.0, 0.0)
    assert (female["n"], female["offers"], female["accepted"]) == (40, 24, 20)
    assert female["offer_rate"] == pytest.approx(0.6)
    assert female["conversion_rate"] == pytest.approx(0.5)
    assert (female["conversion_rate_low"], female["conversion_rate_high"]) == \
        pytest.approx(wilson(20, 40), abs=1e-6)
    assert female["share_of_eligible"] == pytest.approx(40 / 124)
    assert female["offer_gap"] == pytest.approx(0.6 - 79 / 124)
    assert male["conversion_gap"] == pytest.approx(25 / 50 - 60 / 124)
    # Pay: medians of all paid placements. The population's 124 sorted: 40 at 20.00 (1st-40th),
    # 34 at 22.00 (41st-74th), 50 at 24.00: the 62nd and 63rd are both 22.00.
    assert female["median_hourly_pay"] == pytest.approx(20.0)
    assert male["median_hourly_pay"] == pytest.approx(24.0)
    assert whole["median_hourly_pay"] == pytest.approx(22.0)
    assert female["pay_gap"] == pytest.approx(20.0 - 22.0)
    assert female["currency"] == "USD"


def test_a_hidden_group_is_not_the_total_minus_the_visible_ones(hand_built) -> None:
    """nonbinary (4) is hidden, and with it the smallest other group (not recorded, 30): the
    population row minus female and male is 34 eligible, 20 offered, 15 hired, of two groups
    together -- neither can be pinned down, for the eligible, offered or hired count."""
    store = hand_built(gender_rows())
    frame = metrics.equity_by(store, ADMIN, "gender", min_cell=MIN_CELL)
    got = by_key(frame)
    assert got["nonbinary"]["suppressed"] and got["not recorded"]["suppressed"]
    groups = [g for g in got if g != "all eligible interns"]
    for column, rate in (("n", None), ("offers", "offer_rate"), ("accepted", "conversion_rate")):
        values = [count_from(got[g], column, rate, "n") for g in groups]
        hidden = [v is None for v in values]
        total = [list(range(len(groups)))]  # the population row adds them all up
        assert got["all eligible interns"][column] is not None
        assert recoverable_hidden(groups, hidden, total) == [], column
        assert sum(hidden) >= 2


def test_a_rate_with_a_small_side_is_hidden(hand_built) -> None:
    """Group A: 50 eligible, 46 offered (4 not offered) -- its offer rate would say that 4
    interns of the group got none; B: 40 eligible, 36 hired (4 not hired)."""
    store = hand_built([*cohort(50, 46, 30, gender="A"), *cohort(40, 38, 36, gender="B"),
                *cohort(60, 30, 20, gender="C"), *cohort(45, 25, 15, gender="D")])
    got = by_key(metrics.equity_by(store, ADMIN, "gender", min_cell=MIN_CELL))
    assert got["A"]["offer_rate"] is None and got["A"]["offers"] is None
    assert got["A"]["conversion_rate"] == pytest.approx(30 / 50)
    assert got["B"]["conversion_rate"] is None and got["B"]["accepted"] is None
    assert got["B"]["n"] == 40
    # Neither can be rebuilt from the population row: another group's figure goes with each.
    for column in ("offers", "accepted"):
        hidden = [got[g][column] is None for g in "ABCD"]
        assert sum(hidden) >= 2, column
    assert got["C"]["offer_rate"] is not None or got["D"]["offer_rate"] is not None


def test_network_pay_dominated_by_one_employer_is_hidden_for_the_public(hand_built) -> None:
    """Group F's 30 paid interns: 25 at Big One. For the public (network cells) one employer may
    not make up more than half of a pay figure; the admin sees it."""
    store = hand_built([*cohort(25, 10, 5, gender="F", employer="Big One", pay_amount=30.0),
                *cohort(5, 2, 1, gender="F", employer="Small Co", pay_amount=18.0),
                *cohort(30, 10, 5, gender="M", employer="Small Co", pay_amount=20.0),
                *cohort(30, 10, 5, gender="M", employer="Other Co", pay_amount=21.0)])
    public = by_key(metrics.equity_by(store, PUBLIC, "gender", min_cell=MIN_CELL))
    admin = by_key(metrics.equity_by(store, ADMIN, "gender", min_cell=MIN_CELL))
    assert public["F"]["median_hourly_pay"] is None and public["F"]["pay_suppressed"]
    assert public["M"]["median_hourly_pay"] is not None
    assert admin["F"]["median_hourly_pay"] == pytest.approx(30.0)


def test_pay_needs_min_cell_paid_students(hand_built) -> None:
    store = hand_built([*cohort(20, 10, 5, gender="F", paid=False), *cohort(6, 3, 2, gender="F"),
                *cohort(30, 10, 5, gender="M")])
    got = by_key(metrics.equity_by(store, ADMIN, "gender", min_cell=MIN_CELL))
    assert got["F"]["n"] == 26 and got["F"]["median_hourly_pay"] is None
    assert got["M"]["median_hourly_pay"] == pytest.approx(20.0)


def test_a_viewer_sees_its_own_scope_exactly(hand_built) -> None:
    store = hand_built([*cohort(30, 15, 10, gender="F", university="U1"),
                *cohort(30, 15, 10, gender="F", university="U2"),
                *cohort(20, 10, 5, gender="M", university="U1")])
    got = by_key(metrics.equity_by(store, VIEWER_U1, "gender", min_cell=MIN_CELL))
    assert got["F"]["n"] == 30 and not got["F"]["perturbed"]
    assert got["all eligible interns"]["n"] == 50


EPHEMERAL = 40


def test_differencing_across_filters_rarely_recovers_a_hidden_group_for_the_public(hand_built) -> None:
    """Attack (public): each of 40 ethnic groups has 25 eligible interns in 2023 and 4 in 2024
    (3 hired). 2023 + 2024 minus 2023 would give the hidden 2024 cell; perturbed network cells
    make the difference noisy, so it comes out exact only when two independent noises agree:
    with probability sum_d P(d)^2 from the published table (about a third; the record keys are
    drawn afresh for each database, so the count varies from run to run). Unperturbed, it was
    exact for all 40."""
    rows: list[dict[str, Any]] = []
    for i in range(EPHEMERAL):
        rows += cohort(25, 12, 10, ethnicity=f"E{i:02d}", term_year=2023)
        rows += cohort(4, 3, 3, ethnicity=f"E{i:02d}", term_year=2024)
    store = hand_built(rows)
    both = by_key(metrics.equity_by(store, PUBLIC, "ethnicity", Filter(term_years=(2023, 2024)),
                                    min_cell=MIN_CELL))
    first = by_key(metrics.equity_by(store, PUBLIC, "ethnicity", Filter(term_years=(2023,)),
                                     min_cell=MIN_CELL))
    later = by_key(metrics.equity_by(store, PUBLIC, "ethnicity", Filter(term_years=(2024,)),
                                     min_cell=MIN_CELL))
    exact = 0
    for i in range(EPHEMERAL):
        group = f"E{i:02d}"
        assert later[group]["n"] is None  # the 2024 cell itself is hidden
        a, b = both[group], first[group]
        assert a["n"] is not None and b["n"] is not None
        exact += a["n"] - b["n"] == 4
    same = sum(((high - low) / KEY_RANGE) ** 2 for low, high, _ in NOISE_TABLE)
    assert exact <= EPHEMERAL * same + 3.5 * math.sqrt(EPHEMERAL * same * (1 - same)), (exact, same)


def test_unknown_equity_dimension_is_refused(hand_built) -> None:
    store = hand_built(cohort(12))
    with pytest.raises(metrics.MetricsError, match="unknown equity dimension"):
        metrics.equity_by(store, ADMIN, "religion", min_cell=MIN_CELL)


def test_a_filter_selecting_a_hidden_university_shows_no_equity_figures(hand_built) -> None:
    """Attack: the university comparison hides U3 (3 eligible) and its complement; filtering the
    equity table to U3 would give its groups directly (and the total minus the others). The
    selection is blocked: no outcome figure and no pay of any group, the population row too."""
    store = hand_built([*cohort(40, 20, 15, gender="F", university="U1"),
                *cohort(40, 20, 15, gender="M", university="U1"),
                *cohort(30, 15, 10, gender="F", university="U2"),
                *cohort(3, 3, 3, gender="F", university="U3"),
                *cohort(12, 6, 4, gender="M", university="U4")])
    frame = metrics.equity_by(store, ADMIN, "gender", Filter(universities=("U3",)), min_cell=MIN_CELL)
    assert frame["suppressed"].all()
    assert frame["n"].is_null().all() and frame["conversion_rate"].is_null().all()
    assert frame["median_hourly_pay"].is_null().all()
    # The complement U4 (12 eligible) is hidden in the comparison too, so it is blocked as well.
    other = metrics.equity_by(store, ADMIN, "gender", Filter(universities=("U4",)), min_cell=MIN_CELL)
    assert other["n"].is_null().all()
