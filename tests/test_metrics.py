"""The metrics on small datasets whose answers are worked out by hand in each test.

Rows go in through the real loader (`insert_placements`), so derived fields (employer_key, term,
schedule, hourly pay) are the store's own. Most tests pass min_cell=0 to look at raw numbers;
the suppression tests use the default threshold of 10.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analytics import metrics, schema, stats
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.filters import Filter
from analytics.store import Store
from tests.fixture_rows import insert as insert  # re-exported: other tests build stores from here
from tests.fixture_rows import make_store as make_store

_students = itertools.count()


# -- fixture helpers (also used by test_filters and test_cli_metrics) ----------------------------
def row(**values: Any) -> dict[str, Any]:
    """One placement: by default an eligible intern (completed, final year) with no offer, paid
    20 USD an hour, 10 weeks full time, summer 2024, at Acme Corp / North University."""
    base: dict[str, Any] = {
        "employer": "Acme Corp", "university": "North University", "term_season": "summer",
        "term_year": 2024, "status": "completed", "final_year": True,
        "continuing_education": False, "offer_extended": False, "offer_accepted": False,
        "paid": True, "pay_amount": 20.0, "pay_period": "hour", "currency": "USD",
        "hours_per_week": 40.0, "duration_weeks": 10.0, "role_family": "software engineering",
        "degree_level": "bachelor", "work_mode": "onsite", "academic_credit": False,
        "structured_training": False, "student_id": f"S{next(_students):07d}",
    }
    base.update(values)
    if base.get("paid") is False:
        base.setdefault("pay_amount", None)
        base["pay_amount"] = None
    return base


def cohort(n: int, offers: int = 0, accepted: int = 0, **values: Any) -> list[dict[str, Any]]:
    """n placements: the first `accepted` offered and accepted, the next offers - accepted
    offered and declined, the rest without an offer."""
    assert 0 <= accepted <= offers <= n
    out = []
    for i in range(n):
        outcome = {"offer_extended": i < offers, "offer_accepted": i < accepted}
        out.append(row(**{**outcome, **values}))
    return out


@pytest.fixture
def db(new_store: Callable[[], Store]) -> Iterator[Any]:
    """Builds stores holding the given rows; each test using it runs on both stores (embedded
    and lake, see conftest), so every hand-worked answer is checked on each."""

    def build(rows: list[dict[str, Any]]) -> Store:
        store = new_store()
        insert(store, rows)
        return store

    yield build


def one(frame: pl.DataFrame) -> dict[str, Any]:
    assert frame.height == 1
    return frame.row(0, named=True)


def by_group(frame: pl.DataFrame, key: str = "group") -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in frame.iter_rows(named=True)}


# -- overview ------------------------------------------------------------------------------------
def overview_rows() -> list[dict[str, Any]]:
    acme = dict(employer="Acme Corp", university="North University", structured_training=True)
    beta = dict(employer="Beta LLC", university="South College")
    rows = [
        # Acme: 6 eligible: 3 accepted, 1 offered and declined, 1 no offer, 1 unknown outcome
        row(**acme, offer_extended=True, offer_accepted=True, pay_amount=20.0, duration_weeks=8.0,
            student_id="S-dup"),
        row(**acme, offer_extended=True, offer_accepted=True, pay_amount=22.0, duration_weeks=10.0),
        row(**acme, offer_extended=True, offer_accepted=True, pay_amount=24.0, duration_weeks=12.0),
        row(**acme, offer_extended=True, offer_accepted=False, pay_amount=26.0, duration_weeks=12.0),
        row(**acme, pay_amount=28.0, duration_weeks=14.0),
        row(**acme, offer_extended=None, offer_accepted=None, pay_amount=30.0, duration_weeks=16.0),
        # Beta: 4 eligible, part time, for credit: 1 accepted, 1 declined, 2 no offer;
        # two paid in CAD (40 and 50 an hour), two unpaid
        row(**beta, offer_extended=True, offer_accepted=True, currency="CAD", pay_amount=40.0,
            hours_per_week=20.0, academic_credit=True, duration_weeks=20.0),
        row(**beta, offer_extended=True, offer_accepted=False, currency="CAD", pay_amount=50.0,
            hours_per_week=20.0, academic_credit=True, duration_weeks=20.0),
        row(**beta, paid=False, hours_per_week=20.0, academic_credit=True, duration_weeks=20.0),
        row(**beta, paid=False, hours_per_week=20.0, academic_credit=True, duration_weeks=20.0),
        # not eligible: two not in their final year (offers do not count), paid 800 a week and
        # 41,600 a year = 20.00 an hour each
        row(**beta, final_year=False, offer_extended=True, offer_accepted=True, pay_period="week",
            pay_amount=800.0),
        row(**beta, final_year=False, offer_extended=True, offer_accepted=True, pay_period="year",
            pay_amount=41600.0),
        # continuing education (completed), paid status unknown, credit unknown
        row(**beta, continuing_education=True, paid=None, pay_amount=None, academic_credit=None),
        # in progress (a second placement of student S-dup, at the same university: ids are
        # per university), lump sum 4,800 for 10 weeks x 40 h
        row(**{**beta, "university": "North University"}, status="in_progress", student_id="S-dup",
            pay_period="total", pay_amount=4800.0),
        # withdrawn, unpaid, no duration, no hours
        row(**beta, status="withdrawn", paid=False, duration_weeks=None, hours_per_week=None),
    ]
    return rows


def test_overview_by_hand(db) -> None:
    store = db(overview_rows())
    got = one(metrics.overview(store, ADMIN, min_cell=0))
    assert got["placements"] == 15
    assert got["students"] == 14  # S-dup has two placements
    assert got["employers"] == 2
    assert got["universities"] == 2
    assert got["completed"] == 13
    assert got["eligibility_basis"] == "final_year"
    assert (got["eligible"], got["offers"], got["accepted"], got["known_outcome"]) == (10, 6, 4, 9)
    assert got["offer_rate"] == pytest.approx(0.6)
    assert got["acceptance_rate"] == pytest.approx(4 / 6)
    assert got["conversion_rate"] == pytest.approx(0.4)
    assert got["knowledge_rate"] == pytest.approx(0.9)
    for rate in ("offer_rate", "acceptance_rate", "conversion_rate", "knowledge_rate"):
        assert got[f"{rate}_low"] < got[rate] < got[f"{rate}_high"] or got[rate] == 1.0
    # Wilson for 4 of 10: centre (0.4 + 0.19208) / 1.38415 = 0.42775, half-width 0.25024
    assert got["conversion_rate_low"] == pytest.approx(0.16818, abs=1e-5)
    assert got["conversion_rate_high"] == pytest.approx(0.68732, abs=1e-5)
    # paid: 11 yes, 3 no, 1 unknown
    assert got["paid_known"] == 14
    assert got["paid_share"] == pytest.approx(11 / 14)
    # USD hourly: 20 22 24 26 28 30 (Acme), 20 20 (week, year), 12 (lump sum) -> 9 values
    assert got["hourly_pay_currency"] == "USD"
    assert got["hourly_pay_n"] == 9
    assert got["hourly_pay_currencies"] == 2
    assert got["median_hourly_pay"] == pytest.approx(22.0)
    assert got["mean_hourly_pay"] == pytest.approx(202 / 9)
    # weeks: 8 10 12 12 14 16 | 20 x4 | 10 x4 (one unknown) -> 14 values, middle pair 12 and 12
    assert got["duration_n"] == 14
    assert got["median_duration_weeks"] == pytest.approx(12.0)
    assert got["full_time_share"] == pytest.approx(10 / 14)  # 4 part time, one unknown
    assert got["academic_credit_share"] == pytest.approx(4 / 14)
    assert got["structured_training_share"] == pytest.approx(6 / 15)
    assert got["suppressed"] is False and got["conversion_suppressed"] is False


def test_overview_suppresses_what_describes_fewer_than_min_cell(db) -> None:
    store = db(overview_rows())
    got = one(metrics.overview(store, ADMIN))  # default min_cell = 10
    assert got["placements"] == 15 and got["suppressed"] is False
    assert got["eligible"] == 10 and got["conversion_rate"] == pytest.approx(0.4)
    # only 6 offers: the acceptance rate describes 6 interns, so it is hidden -- and so are the
    # offers and the offer rate, which beside the accepted count would rebuild it (2 of 6)
    assert got["offers"] is None and got["offer_rate"] is None and got["offer_rate_high"] is None
    assert got["acceptance_rate"] is None and got["acceptance_rate_low"] is None
    assert got["accepted"] == 4
    # 9 USD pay records: no median or mean pay
    assert got["median_hourly_pay"] is None and got["hourly_pay_n"] is None
    assert got["median_duration_weeks"] == pytest.approx(12.0)
    got = one(metrics.overview(store, ADMIN, min_cell=11))
    assert got["conversion_suppressed"] is True
    assert got["eligible"] is None and got["conversion_rate"] is None and got["offer_rate_low"] is None
    got = one(metrics.overview(store, ADMIN, min_cell=16))
    assert got["suppressed"] is True
    assert all(v is None for k, v in got.items()
               if k not in ("suppressed", "conversion_suppressed", "eligibility_basis", "perturbed",
                            "blocked"))


def test_overview_counts_distinct_students_for_the_privacy_threshold(db) -> None:
    # 12 placements but only 3 students: describes 3 people
    store = db([row(student_id=f"P{i % 3}") for i in range(12)])
    got = one(metrics.overview(store, ADMIN))
    assert got["suppressed"] is True and got["placements"] is None


def test_completed_counts_as_eligible_when_final_year_is_unknown_everywhere(db) -> None:
    rows = [
        *cohort(3, offers=2, accepted=1, final_year=None),
        row(final_year=None, continuing_education=True, offer_extended=True, offer_accepted=True),
        row(final_year=None, status="in_progress"),
    ]
    store = db(rows)
    got = one(metrics.overview(store, ADMIN, min_cell=0))
    assert got["eligibility_basis"] == "completed"
    assert (got["eligible"], got["offers"], got["accepted"]) == (3, 2, 1)
    # The basis is per batch: a later batch that records the final year is judged by it, and
    # the first batch's interns stay eligible (grouping or adding data never changes who is).
    insert(store, [row(final_year=False)])
    got = one(metrics.overview(store, ADMIN, min_cell=0))
    assert got["eligibility_basis"] == "mixed" and got["eligible"] == 3
    only_new = [row(final_year=False), row(final_year=False, status="in_progress")]
    got = one(metrics.overview(db(only_new), ADMIN, min_cell=0))
    assert got["eligibility_basis"] == "final_year" and got["eligible"] == 0
    assert got["conversion_rate"] is None  # 0 eligible: undefined, not 0


def test_empty_database_and_empty_scope(tmp_path: Path) -> None:
    store = Store(tmp_path / "empty.duckdb")
    try:
        got = one(metrics.overview(store, ADMIN, min_cell=0))
        assert got["placements"] == 0 and got["conversion_rate"] is None
        assert metrics.conversion_by(store, ADMIN, "term").height == 0
        assert metrics.employer_comparison(store, ADMIN).height == 0
        assert metrics.funnel(store, ADMIN)["count"].to_list() == [None] * 4
        points, limits, target = metrics.funnel_plot(store, ADMIN)
        assert points.height == 0 and limits.height == 0 and math.isnan(target)
        assert metrics.pay_by(store, ADMIN, "term").height == 0
        assert metrics.options(store, ADMIN)["employers"] == []
    finally:
        store.close()


# -- conversion ----------------------------------------------------------------------------------
def test_pooled_and_employer_mean_differ(db) -> None:
    store = db([
        *cohort(100, offers=60, accepted=50, employer="Big Co"),
        *cohort(20, offers=18, accepted=9, employer="Small Co"),
    ])
    pooled = one(metrics.conversion_by(store, ADMIN, "term", min_cell=0))
    assert (pooled["group"], pooled["n"], pooled["offers"], pooled["accepted"]) == (
        "Summer 2024", 120, 78, 59)
    assert pooled["offer_rate"] == pytest.approx(78 / 120)
    assert pooled["acceptance_rate"] == pytest.approx(59 / 78)
    assert pooled["conversion_rate"] == pytest.approx(59 / 120)  # 0.4917
    assert pooled["employers"] == 2
    mean = one(metrics.conversion_by(store, ADMIN, "term", method="employer_mean", min_cell=0))
    assert mean["n"] == 120 and mean["employers"] == 2
    assert mean["offer_rate"] == pytest.approx((0.6 + 0.9) / 2)
    assert mean["acceptance_rate"] == pytest.approx((50 / 60 + 9 / 18) / 2)
    assert mean["conversion_rate"] == pytest.approx((0.5 + 0.45) / 2)  # 0.475, not 0.4917
    # Student t with 1 df across two employers: 0.475 +- 12.7062 * 0.0353553 / sqrt(2)
    assert mean["conversion_rate_low"] == pytest.approx(0.475 - 0.317655, abs=1e-5)
    assert mean["conversion_rate_high"] == pytest.approx(0.475 + 0.317655, abs=1e-5)
    # the knowledge rate is the same under both methods
    assert mean["knowledge_rate"] == pooled["knowledge_rate"] == 1.0
    # one employer per group: the mean of one rate is that rate, with its Wilson interval
    per_employer = by_group(metrics.conversion_by(store, ADMIN, "employer", method="employer_mean",
                                                  min_cell=0))
    assert per_employer["Small Co"]["conversion_rate"] == pytest.approx(0.45)
    wilson = by_group(metrics.conversion_by(store, ADMIN, "employer", min_cell=0))["Small Co"]
    assert per_employer["Small Co"]["conversion_rate_low"] == pytest.approx(wilson["conversion_rate_low"])


def test_unknown_outcomes_lower_the_knowledge_rate(db) -> None:
    known = db(cohort(20, offers=10, accepted=5))
    got = one(metrics.conversion_by(known, ADMIN, "term", min_cell=0))
    assert got["knowledge_rate"] == 1.0 and got["offer_rate"] == pytest.approx(0.5)
    rows = cohort(16, offers=10, accepted=5) + [row(offer_extended=None, offer_accepted=None)
                                                for _ in range(4)]
    unknown = db(rows)
    got = one(metrics.conversion_by(unknown, ADMIN, "term", min_cell=0))
    assert got["known_outcome"] == 16
    assert got["knowledge_rate"] == pytest.approx(0.8)
    # unknown outcomes stay eligible: the offer rate is still 10 of 20, not 10 of 16
    assert got["n"] == 20 and got["offer_rate"] == pytest.approx(0.5)
    # an accepted offer with the offer flag missing counts as an offer and as known
    third = db([row(offer_extended=None, offer_accepted=True), *cohort(3)])
    got = one(metrics.conversion_by(third, ADMIN, "term", min_cell=0))
    assert (got["n"], got["offers"], got["accepted"], got["known_outcome"]) == (4, 1, 1, 4)


# Each dimension: group A = 4 eligible, 2 offers, 1 accepted; group B = 5 eligible, 5 offers,
# 4 accepted; an optional unknown group = 1 eligible, 1 accepted. (dimension, A, B, unknown,
# labels in the expected order)
DIMENSION_CASES = [
    ("term", {"term_season": "winter", "term_year": 2023}, {"term_season": "spring", "term_year": 2024},
     {"term_season": None}, ["Winter 2023", "Spring 2024", "unknown"]),
    ("term_year", {"term_year": 2023}, {"term_year": 2024}, {"term_year": None},
     ["2023", "2024", "unknown"]),
    ("employer", {"employer": "Acme Corp"}, {"employer": "Zeta LLC"}, None, ["Acme Corp", "Zeta LLC"]),
    ("university", {"university": "Beta College"}, {"university": "Alpha University"},
     {"university": None}, ["Alpha University", "Beta College", "unknown"]),
    ("role_family", {"role_family": "data & analytics"}, {"role_family": "software engineering"},
     {"role_family": None}, ["software engineering", "data & analytics", "unknown"]),
    ("degree_level", {"degree_level": "master"}, {"degree_level": "bachelor"}, {"degree_level": None},
     ["bachelor", "master", "unknown"]),
    ("work_mode", {"work_mode": "remote"}, {"work_mode": "onsite"}, {"work_mode": None},
     ["onsite", "remote", "unknown"]),
    ("paid", {"paid": False}, {"paid": True}, {"paid": None, "pay_amount": None},
     ["yes", "no", "unknown"]),
    ("schedule", {"hours_per_week": 20.0}, {"hours_per_week": 40.0}, {"hours_per_week": None},
     ["full_time", "part_time", "unknown"]),
    ("academic_credit", {"academic_credit": False}, {"academic_credit": True}, {"academic_credit": None},
     ["yes", "no", "unknown"]),
    ("structured_training", {"structured_training": False}, {"structured_training": True},
     {"structured_training": None}, ["yes", "no", "unknown"]),
]
A_PAY, B_PAY, UNKNOWN_PAY = [10.0, 20.0, 30.0, 40.0], [50.0, 50.0, 60.0, 70.0, 80.0], 100.0
A_WEEKS, B_WEEKS, UNKNOWN_WEEKS = [4.0, 6.0, 8.0, 10.0], [12.0, 12.0, 12.0, 14.0, 20.0], 30.0


def dimension_rows(a: dict[str, Any], b: dict[str, Any], unknown: dict[str, Any] | None,
                   dimension: str) -> list[dict[str, Any]]:
    rows = []
    for i, (pay, weeks) in enumerate(zip(A_PAY, A_WEEKS, strict=True)):
        values = {**a, "pay_amount": pay, "duration_weeks": weeks}
        if dimension == "employer" and i == 3:
            values["employer"] = "  ACME   corp "  # same employer, spelled differently once
        rows.append(row(offer_extended=i < 2, offer_accepted=i < 1, **values))
    for i, (pay, weeks) in enumerate(zip(B_PAY, B_WEEKS, strict=True)):
        rows.append(row(offer_extended=True, offer_accepted=i < 4, **{**b, "pay_amount": pay,
                                                                      "duration_weeks": weeks}))
    if unknown is not None:
        rows.append(row(offer_extended=True, offer_accepted=True,
                        **{"pay_amount": UNKNOWN_PAY, "duration_weeks": UNKNOWN_WEEKS, **unknown}))
    return rows


@pytest.mark.parametrize(("dimension", "a", "b", "unknown", "labels"), DIMENSION_CASES,
                         ids=[c[0] for c in DIMENSION_CASES])
def test_conversion_pay_and_duration_for_every_dimension(db, dimension, a, b, unknown, labels) -> None:
    store = db(dimension_rows(a, b, unknown, dimension))
    label_a = labels[1] if labels[0] in ("Alpha University", "software engineering", "bachelor",
                                         "onsite", "yes", "full_time") else labels[0]
    label_b = labels[0] if label_a == labels[1] else labels[1]

    conversion = metrics.conversion_by(store, ADMIN, dimension, min_cell=0)
    assert conversion["group"].to_list() == labels
    assert conversion["sort_key"].to_list() == sorted(conversion["sort_key"].to_list())
    got = by_group(conversion)
    assert (got[label_a]["n"], got[label_a]["offers"], got[label_a]["accepted"]) == (4, 2, 1)
    assert got[label_a]["offer_rate"] == pytest.approx(0.5)
    assert got[label_a]["acceptance_rate"] == pytest.approx(0.5)
    assert got[label_a]["conversion_rate"] == pytest.approx(0.25)
    assert (got[label_b]["n"], got[label_b]["offers"], got[label_b]["accepted"]) == (5, 5, 4)
    assert got[label_b]["offer_rate"] == pytest.approx(1.0)
    assert got[label_b]["acceptance_rate"] == pytest.approx(0.8)
    assert got[label_b]["conversion_rate"] == pytest.approx(0.8)
    if unknown is not None:
        assert got["unknown"]["n"] == 1 and got["unknown"]["conversion_rate"] == 1.0

    pay = by_group(metrics.pay_by(store, ADMIN, dimension, min_cell=0))
    if dimension != "paid":  # group A is unpaid there: no pay to describe
        # A: 10 20 30 40 -> median 25, mean 25, p25 = 10 + 0.75 * 10 = 17.5, p75 = 32.5
        assert pay[label_a]["n"] == 4
        assert pay[label_a]["median_hourly_pay"] == pytest.approx(25.0)
        assert pay[label_a]["mean_hourly_pay"] == pytest.approx(25.0)
        assert pay[label_a]["p25_hourly_pay"] == pytest.approx(17.5)
        assert pay[label_a]["p75_hourly_pay"] == pytest.approx(32.5)
    else:
        assert label_a not in pay
    # B: 50 50 60 70 80 -> median 60, mean 62, p25 50, p75 70
    assert pay[label_b]["median_hourly_pay"] == pytest.approx(60.0)
    assert pay[label_b]["mean_hourly_pay"] == pytest.approx(62.0)
    assert (pay[label_b]["p25_hourly_pay"], pay[label_b]["p75_hourly_pay"]) == pytest.approx((50.0, 70.0))
    assert set(pay[label_b]["currency"] for _ in [0]) == {"USD"}

    weeks = by_group(metrics.duration_by(store, ADMIN, dimension, min_cell=0))
    # A: 4 6 8 10 -> median 7, mean 7, p25 5.5, p75 8.5; B: 12 12 12 14 20 -> 12, 14, 12, 14
    wa, wb = weeks[label_a], weeks[label_b]
    assert (wa["n"], wa["median_weeks"], wa["mean_weeks"]) == (4, 7.0, 7.0)
    assert (weeks[label_a]["p25_weeks"], weeks[label_a]["p75_weeks"]) == pytest.approx((5.5, 8.5))
    assert (wb["n"], wb["median_weeks"], wb["mean_weeks"]) == (5, 12.0, 14.0)
    assert (weeks[label_b]["p25_weeks"], weeks[label_b]["p75_weeks"]) == pytest.approx((12.0, 14.0))
    if unknown is not None:
        assert weeks["unknown"]["median_weeks"] == UNKNOWN_WEEKS


def test_unknown_dimension_and_method_are_rejected(db) -> None:
    store = db([row()])
    with pytest.raises(metrics.MetricsError, match="unknown dimension"):
        metrics.conversion_by(store, ADMIN, "student_id")
    with pytest.raises(metrics.MetricsError, match="unknown dimension"):
        metrics.pay_by(store, ADMIN, "1; DROP TABLE placements")
    with pytest.raises(metrics.MetricsError, match="method"):
        metrics.conversion_by(store, ADMIN, "term", method="median")  # type: ignore[arg-type]
    with pytest.raises(metrics.MetricsError, match="min_cell"):
        metrics.overview(store, ADMIN, min_cell=-1)


def test_funnel_by_hand(db) -> None:
    store = db(overview_rows())
    got = metrics.funnel(store, ADMIN, min_cell=0)
    assert got["stage"].to_list() == ["Completed", "Eligible", "Offered", "Accepted"]
    assert got["count"].to_list() == [13, 10, 6, 4]
    assert got["share_of_first"].to_list() == pytest.approx([1.0, 10 / 13, 6 / 13, 4 / 13])
    assert got["share_of_previous"].to_list() == pytest.approx([1.0, 10 / 13, 0.6, 4 / 6])
    hidden = metrics.funnel(store, ADMIN)  # min_cell 10: 6 offers and 4 acceptances are hidden
    assert hidden["count"].to_list() == [13, 10, None, None]
    assert hidden["suppressed"].to_list() == [False, False, True, True]
    assert hidden["share_of_previous"].to_list()[2:] == [None, None]


def test_duration_vs_conversion_bands(db) -> None:
    store = db([
        *cohort(4, offers=2, accepted=2, duration_weeks=6.0),
        *cohort(3, offers=3, accepted=1, duration_weeks=11.9),
        row(duration_weeks=12.0),
        row(duration_weeks=30.0, offer_extended=True, offer_accepted=True),
        row(duration_weeks=None),
    ])
    got = metrics.duration_vs_conversion(store, ADMIN, min_cell=0)
    assert got["group"].to_list() == ["under 8 weeks", "8 to 12 weeks", "12 to 16 weeks",
                                      "24 weeks or more", "unknown"]
    assert got["n"].to_list() == [4, 3, 1, 1, 1]
    assert got["conversion_rate"].to_list() == pytest.approx([0.5, 1 / 3, 0.0, 1.0, 0.0])
    assert got["offer_rate"].to_list() == pytest.approx([0.5, 1.0, 0.0, 1.0, 0.0])


# -- pay -----------------------------------------------------------------------------------------
def test_mixed_currencies_are_never_averaged_together(db) -> None:
    rows = [
        *[row(employer="Dollar Inc", pay_amount=20.0) for _ in range(12)],
        *[row(employer="Loonie Ltd", currency="CAD", pay_amount=100.0) for _ in range(11)],
        *[row(employer="Mixed Co", pay_amount=30.0) for _ in range(12)],
        *[row(employer="Mixed Co", currency="CAD", pay_amount=90.0) for _ in range(11)],
        row(employer="Mixed Co", currency=None, pay_amount=1000.0),  # no currency: not aggregated
    ]
    store = db(rows)
    got = one(metrics.overview(store, ADMIN))
    # USD: 12 x 20 + 12 x 30 -> median 25, mean 25 (a mix with CAD would give 55 or more)
    assert got["hourly_pay_currency"] == "USD" and got["hourly_pay_n"] == 24
    assert got["median_hourly_pay"] == pytest.approx(25.0)
    assert got["mean_hourly_pay"] == pytest.approx(25.0)
    currencies = metrics.pay_currencies(store, ADMIN)
    assert currencies.select("currency", "n", "suppressed").rows() == [
        ("USD", 24, False), ("CAD", 22, False)]
    assert one(metrics.pay_by(store, ADMIN, "term"))["mean_hourly_pay"] == pytest.approx(25.0)
    cad = one(metrics.pay_by(store, ADMIN, "term", currency="CAD"))
    assert (cad["currency"], cad["n"], cad["median_hourly_pay"]) == ("CAD", 22, pytest.approx(95.0))
    employers = by_group(metrics.employer_comparison(store, ADMIN), "employer")
    assert employers["Loonie Ltd"]["hourly_pay_currency"] == "CAD"
    assert employers["Loonie Ltd"]["median_hourly_pay"] == pytest.approx(100.0)
    # Mixed Co pays mostly USD: its median is 30 USD, not a blend with its CAD 90s
    assert employers["Mixed Co"]["hourly_pay_currency"] == "USD"
    assert employers["Mixed Co"]["median_hourly_pay"] == pytest.approx(30.0)
    vs = by_group(metrics.pay_vs_conversion(store, ADMIN, min_cell=0), "employer")
    assert vs["Loonie Ltd"]["median_hourly_pay"] is None  # no USD pay at all
    assert vs["Dollar Inc"]["median_hourly_pay"] == pytest.approx(20.0)
    assert set(metrics.pay_distribution(store, ADMIN, min_cell=0)["currency"].to_list()) == {"USD"}


def test_pay_distribution_bins_by_hand(db) -> None:
    store = db([row(pay_amount=p, role_family=r) for p, r in [
        (19.99, "software engineering"), (20.0, "software engineering"), (21.5, "software engineering"),
        (25.0, "data & analytics"), (10.0, "data & analytics"),
    ]])
    got = metrics.pay_distribution(store, ADMIN, bin_width=2.0, min_cell=0)
    assert got.select("bin_low", "bin_high", "count").rows() == [
        (10.0, 12.0, 1), (18.0, 20.0, 1), (20.0, 22.0, 2), (24.0, 26.0, 1)]
    by_role = metrics.pay_distribution(store, ADMIN, bin_width=5.0, by="role_family", min_cell=0)
    assert by_role.select("group", "bin_low", "count").rows() == [
        ("software engineering", 15.0, 1), ("software engineering", 20.0, 2),
        ("data & analytics", 10.0, 1), ("data & analytics", 25.0, 1)]
    with pytest.raises(metrics.MetricsError):
        metrics.pay_distribution(store, ADMIN, bin_width=0)


def test_paid_share_by_term_by_hand(db) -> None:
    store = db([
        *[row(term_year=2023) for _ in range(3)], row(term_year=2023, paid=False),
        row(term_year=2024, paid=False), row(term_year=2024, paid=None, pay_amount=None),
        row(term_year=2024),
    ])
    got = metrics.paid_share_by_term(store, ADMIN, min_cell=0)
    assert got.select("group", "n", "paid", "unpaid").rows() == [
        ("Summer 2023", 4, 3, 1), ("Summer 2024", 2, 1, 1)]
    assert got["paid_share"].to_list() == pytest.approx([0.75, 0.5])


# -- duration, schedule, credit -------------------------------------------------------------------
def test_duration_distribution_schedule_mix_and_credit_share(db) -> None:
    store = db([
        row(duration_weeks=9.6, hours_per_week=40.0, academic_credit=True, term_season="summer"),
        row(duration_weeks=10.4, hours_per_week=35.0, academic_credit=False, term_season="summer"),
        row(duration_weeks=16.0, hours_per_week=20.0, academic_credit=True, term_season="fall"),
        row(duration_weeks=16.0, hours_per_week=34.9, academic_credit=None, term_season="fall"),
        row(duration_weeks=None, hours_per_week=None, academic_credit=False, term_season="fall"),
    ])
    weeks = metrics.duration_distribution(store, ADMIN, min_cell=0)
    assert weeks.select("weeks", "count").rows() == [(10, 2), (16, 2)]
    mix = metrics.schedule_mix(store, ADMIN, min_cell=0)
    assert mix.select("group", "n", "full_time", "part_time").rows() == [
        ("summer", 2, 2, 0), ("fall", 2, 0, 2)]
    assert mix["full_time_share"].to_list() == [1.0, 0.0]
    credit = metrics.credit_share_by(store, ADMIN, "term_season", min_cell=0)
    assert credit.select("group", "n", "academic_credit").rows() == [("summer", 2, 1), ("fall", 2, 1)]
    assert credit["credit_share"].to_list() == [0.5, 0.5]


# -- employers -----------------------------------------------------------------------------------
def employer_rows() -> list[dict[str, Any]]:
    return [
        *cohort(40, offers=32, accepted=30, employer="Alpha", pay_amount=20.0, duration_weeks=10.0),
        *cohort(40, offers=15, accepted=10, employer="Bravo", pay_amount=25.0, duration_weeks=12.0),
        *cohort(20, offers=14, accepted=12, employer="Charlie", currency="CAD", pay_amount=30.0,
                duration_weeks=16.0),
        *cohort(9, offers=8, accepted=7, employer="Delta", pay_amount=18.0, duration_weeks=8.0),
        row(employer="Delta", offer_extended=True, offer_accepted=True, paid=False, duration_weeks=8.0),
    ]


def test_employer_comparison_by_hand(db) -> None:
    store = db(employer_rows())
    got = metrics.employer_comparison(store, ADMIN)
    # target = 60 / 110 = 0.545455; se(n) = sqrt(0.247934 / n)
    # z: Alpha (0.75 - 0.545455) / 0.0787296 = 2.598076; Bravo -3.752777; Charlie 0.489898;
    # Delta 1.616581. Method of moments (see test_stats): M = 2.546421, alpha = 1.388957
    # shrunk: Alpha 31.388957 / 42.546421 = 0.737758, Bravo 0.267683, Charlie 0.593840,
    # Delta 0.748337 -> ranks Delta, Alpha, Charlie, Bravo
    assert got["employer"].to_list() == ["Delta", "Alpha", "Charlie", "Bravo"]
    assert got["rank"].to_list() == [1, 2, 3, 4]
    rows = by_group(got, "employer")
    alpha = rows["Alpha"]
    assert (alpha["n"], alpha["offers"], alpha["accepted"]) == (40, 32, 30)
    assert alpha["employer_key"] == "alpha"
    assert alpha["conversion_rate"] == pytest.approx(0.75)
    assert alpha["z_score"] == pytest.approx(2.598076, abs=0.005)
    # Outside the exact limits exactly when the one-sided binomial tail (math.comb) is small.
    target = 60 / 110
    for name, (x, n) in {"Alpha": (30, 40), "Bravo": (10, 40), "Charlie": (12, 20),
                         "Delta": (8, 10)}.items():
        upper, lower = 1 - _binomial_cdf(x - 1, n, target), _binomial_cdf(x, n, target)
        expected = (min(upper, lower) < 0.025, min(upper, lower) < 0.001)
        assert (rows[name]["outside_95"], rows[name]["outside_998"]) == expected, name
    assert (alpha["outside_95"], alpha["outside_998"]) == (True, False)
    assert (rows["Bravo"]["outside_95"], rows["Bravo"]["outside_998"]) == (True, True)
    assert rows["Bravo"]["z_score"] == pytest.approx(-3.752777, abs=0.005)
    assert (rows["Charlie"]["outside_95"], rows["Delta"]["outside_95"]) == (False, False)
    basis = one(metrics.comparison_basis(store, ADMIN))
    assert (basis["limits"], basis["ranked"], basis["no_rank_reason"]) == ("exact", True, None)
    assert rows["Delta"]["z_score"] == pytest.approx(1.616581, abs=0.005)
    for name, value in [("Alpha", 0.737758), ("Bravo", 0.267683), ("Charlie", 0.593840),
                        ("Delta", 0.748337)]:
        # released to 3 decimals: full precision would let the shrinkage be solved for counts
        assert rows[name]["shrunk_conversion"] == pytest.approx(value, abs=0.0005)
    # pay in each employer's own currency; Delta has only 9 paid records (< 10): hidden
    assert (alpha["median_hourly_pay"], alpha["hourly_pay_currency"]) == (20.0, "USD")
    assert (rows["Charlie"]["median_hourly_pay"], rows["Charlie"]["hourly_pay_currency"]) == (30.0, "CAD")
    assert rows["Delta"]["median_hourly_pay"] is None
    assert [rows[n]["median_weeks"] for n in ("Alpha", "Bravo", "Charlie", "Delta")] == [10, 12, 16, 8]
    # Delta: 9 offers (< 10) -> no acceptance rate; the conversion rate (10 eligible) stays
    assert rows["Delta"]["acceptance_rate"] is None
    assert rows["Delta"]["conversion_rate"] == pytest.approx(0.8)
    assert got["suppressed"].to_list() == [False] * 4


def test_funnel_plot_points_limits_and_target(db) -> None:
    store = db(employer_rows())
    points, limits, target = metrics.funnel_plot(store, ADMIN)
    assert target == pytest.approx(60 / 110)
    assert target == pytest.approx(one(metrics.overview(store, ADMIN))["conversion_rate"])
    assert sorted(points["employer"].to_list()) == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert limits["n"].min() == 1 and limits["n"].max() == 40
    assert {10, 20, 40} <= set(limits["n"].to_list())
    at40 = limits.filter(pl.col("n") == 40).row(0, named=True)
    # Exact binomial limits (Spiegelhalter's interpolation), worked from math.comb tails: the
    # upper 95% one is 1 - the lower limit of the failures (target 50/110), 0.712204; the lower
    # 99.8% one 0.287806. (The normal approximation said 0.699762 and 0.302162.)
    assert at40["high_95"] == pytest.approx(1 - _interpolated_lower(40, 50 / 110, 0.025), abs=1e-9)
    assert at40["high_95"] == pytest.approx(0.712204, abs=1e-6)
    assert at40["low_998"] == pytest.approx(_interpolated_lower(40, 60 / 110, 0.001), abs=1e-9)
    assert at40["low_998"] == pytest.approx(0.287806, abs=1e-6)
    # The overdispersed limits add the between-employer variance of the comparison: with the
    # method of moments of test_employer_comparison_by_hand (M = 2.546421),
    # tau2 = mu(1 - mu) / (M + 1) = 0.247934 / 3.546421 = 0.069911.
    basis = one(metrics.comparison_basis(store, ADMIN, limits="overdispersed"))
    assert basis["limits"] == "overdispersed" and basis["tau2"] == pytest.approx(0.069911, abs=1e-6)
    _p, wide, _t = metrics.funnel_plot(store, ADMIN, limits="overdispersed")
    wide40 = wide.filter(pl.col("n") == 40).row(0, named=True)
    se = math.sqrt(target * (1 - target) / 40 + basis["tau2"])
    # 0.545455 +- 1.959964 * sqrt(0.247934 / 40 + 0.069911) = +- 0.540713: 0.004742 to 1 (clipped)
    assert wide40["low_95"] == pytest.approx(target - stats.z_value(0.95) * se, abs=1e-9)
    assert wide40["low_95"] == pytest.approx(0.004742, abs=1e-5) and wide40["high_95"] == 1.0


def _binomial_cdf(x: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x + 1)) if x >= 0 else 0.0


def _interpolated_lower(n: int, p: float, tail: float) -> float:
    r = next(r for r in range(n + 1) if _binomial_cdf(r, n, p) >= tail)
    at, below = _binomial_cdf(r, n, p), _binomial_cdf(r - 1, n, p)
    return (r - (at - tail) / (at - below)) / n


def test_university_view_by_hand(db) -> None:
    store = db([
        *cohort(15, accepted=9, offers=9, employer="Alpha", university="North"),
        *cohort(25, accepted=10, offers=10, employer="Alpha", university="South"),
        *cohort(12, accepted=6, offers=6, employer="Bravo", university="North"),
        *cohort(5, accepted=1, offers=1, employer="Bravo", university="South"),
        *cohort(4, accepted=2, offers=2, employer="Charlie", university="North"),
        *cohort(30, accepted=15, offers=15, employer="Charlie", university="South"),
        *cohort(20, accepted=5, offers=5, employer="Delta", university="South"),
    ])
    raw = by_group(metrics.university_view(store, ADMIN, "North", min_cell=0), "employer")
    assert set(raw) == {"Alpha", "Bravo", "Charlie"}  # Delta never took a North intern
    assert (raw["Alpha"]["n_university"], raw["Alpha"]["n_network"]) == (15, 40)
    assert raw["Alpha"]["conversion_university"] == pytest.approx(0.6)
    assert raw["Alpha"]["conversion_network"] == pytest.approx(19 / 40)
    assert (raw["Bravo"]["n_university"], raw["Bravo"]["n_network"]) == (12, 17)
    got = metrics.university_view(store, ADMIN, "North")
    assert got["employer"].to_list() == ["Alpha", "Bravo", "Charlie"]
    rows = by_group(got, "employer")
    assert rows["Alpha"]["suppressed"] is False and rows["Alpha"]["network_suppressed"] is False
    # Charlie: 4 North interns -> hidden; Bravo (12) is the complementary cell
    assert rows["Charlie"]["suppressed"] and rows["Charlie"]["n_university"] is None
    assert rows["Bravo"]["suppressed"] and rows["Bravo"]["conversion_university"] is None
    # Bravo's network minus North = 5 South interns, so the network figure goes too
    assert rows["Bravo"]["network_suppressed"] and rows["Bravo"]["n_network"] is None
    assert rows["Charlie"]["n_network"] == 34 and rows["Charlie"]["conversion_network"] == 0.5
    # the filter's own university choice does not shrink the network
    same = metrics.university_view(store, ADMIN, "North", Filter(universities=("North",)), min_cell=0)
    assert by_group(same, "employer")["Alpha"]["n_network"] == 40


# -- suppression everywhere ----------------------------------------------------------------------
def privacy_rows() -> list[dict[str, Any]]:
    return [
        *cohort(40, offers=25, accepted=20, employer="Big A", term_season="summer", term_year=2024,
                pay_amount=20.5, duration_weeks=10.0, hours_per_week=40.0, academic_credit=False),
        *cohort(25, offers=12, accepted=10, employer="Big C", term_season="fall", term_year=2024,
                pay_amount=24.5, duration_weeks=20.0, hours_per_week=20.0, academic_credit=True),
        *cohort(5, offers=4, accepted=3, employer="Tiny", term_season="spring", term_year=2025,
                pay_amount=30.5, duration_weeks=30.0, hours_per_week=40.0, academic_credit=True),
    ]


def hidden_groups(frame: pl.DataFrame, key: str, columns: list[str]) -> set[Any]:
    hidden = set()
    for r in frame.iter_rows(named=True):
        if r["suppressed"]:
            hidden.add(r[key])
            assert all(r[c] is None for c in columns), (key, r)
        else:
            assert all(r[c] is not None for c in columns), (key, r)
    return hidden


def test_suppression_and_its_complement_in_every_function(db) -> None:
    store = db(privacy_rows())
    terms = {"Spring 2025", "Fall 2024"}  # 5 placements, and the smallest other cell (25)
    employers = {"Tiny", "Big C"}
    rates = ["offer_rate", "offer_rate_low", "conversion_rate", "conversion_rate_high"]
    for method in ("pooled", "employer_mean"):
        frame = metrics.conversion_by(store, ADMIN, "term", method=method)  # type: ignore[arg-type]
        assert hidden_groups(frame, "group", ["n", "offers", "accepted", *rates]) == terms
        frame = metrics.conversion_by(store, ADMIN, "employer", method=method)  # type: ignore[arg-type]
        assert hidden_groups(frame, "group", ["n", "accepted", *rates]) == employers
    assert hidden_groups(metrics.conversion_by(store, ADMIN, "university"), "group", ["n"]) == set()
    assert hidden_groups(metrics.employer_comparison(store, ADMIN), "employer",
                         ["n", "z_score", "shrunk_conversion", *rates]) == employers
    assert hidden_groups(metrics.pay_vs_conversion(store, ADMIN), "employer",
                         ["n", "conversion_rate"]) == employers
    view = metrics.university_view(store, ADMIN, "North University")
    assert hidden_groups(view, "employer", ["n_university", "conversion_university"]) == employers
    points, _, _ = metrics.funnel_plot(store, ADMIN)
    assert points["employer"].to_list() == ["Big A"]
    assert hidden_groups(metrics.pay_by(store, ADMIN, "term"), "group", ["n", "median_hourly_pay"]) == terms
    assert hidden_groups(metrics.paid_share_by_term(store, ADMIN), "group", ["n"]) == terms
    assert hidden_groups(metrics.duration_by(store, ADMIN, "term"), "group", ["n", "median_weeks"]) == terms
    assert hidden_groups(metrics.schedule_mix(store, ADMIN, by="term"), "group",
                         ["n"]) == terms
    assert hidden_groups(metrics.credit_share_by(store, ADMIN, "term"), "group",
                         ["n"]) == terms
    assert hidden_groups(metrics.duration_vs_conversion(store, ADMIN), "group",
                         ["n", "conversion_rate"]) == {"24 weeks or more", "16 to 24 weeks"}
    assert hidden_groups(metrics.pay_distribution(store, ADMIN), "bin_low", ["count"]) == {30.0, 24.0}
    assert hidden_groups(metrics.duration_distribution(store, ADMIN), "weeks", ["count"]) == {30, 20}
    assert hidden_groups(metrics.summary_table(store, ADMIN, by=("term",)), "term",
                         ["n", "eligible", "conversion_rate", "median_weeks"]) == terms
    tiny = Filter(employers=("Tiny",))
    got = one(metrics.overview(store, ADMIN, tiny))
    assert got["suppressed"] and got["placements"] is None and got["conversion_rate"] is None
    assert metrics.funnel(store, ADMIN, tiny)["count"].to_list() == [None] * 4
    assert metrics.pay_currencies(store, ADMIN, tiny).select("currency", "n", "suppressed").rows() == [
        ("USD", None, True)]


def test_summary_table_two_dimensions_protects_margins(db) -> None:
    store = db([
        *cohort(30, employer="Big A", term_year=2023), *cohort(3, employer="Tiny", term_year=2023),
        *cohort(20, employer="Big A", term_year=2024), *cohort(40, employer="Tiny", term_year=2024),
    ])
    got = metrics.summary_table(store, ADMIN, by=("term_year", "employer"))
    assert got.columns[:2] == ["term_year", "employer"]
    assert got.select("term_year", "employer").rows() == [
        ("2023", "Big A"), ("2023", "Tiny"), ("2024", "Big A"), ("2024", "Tiny")]
    # 2x2 with one small cell: every cell goes (each margin would otherwise give it away)
    assert got["suppressed"].to_list() == [True] * 4
    raw = metrics.summary_table(store, ADMIN, by=("term_year", "employer"), min_cell=0)
    assert raw["n"].to_list() == [30, 3, 20, 40]
    assert raw["conversion_rate"].to_list() == [0.0] * 4
    with pytest.raises(metrics.MetricsError):
        metrics.summary_table(store, ADMIN, by=("term", "term"))


# -- filters reach every query as bound values ---------------------------------------------------
@pytest.mark.parametrize("value", [
    "x' OR 1=1 --", "Robert'); DROP TABLE placements;--", "NULL", "%", "_", "' UNION SELECT 1 --",
])
def test_hostile_filter_values_are_literal_values(db, value: str) -> None:
    store = db(privacy_rows())
    for flt in (Filter(universities=(value,)), Filter(employers=(value,)),
                Filter(role_families=(value,)), Filter(term_seasons=(value,))):
        assert metrics.record_count(store, ADMIN, flt) == 0
        assert one(metrics.overview(store, ADMIN, flt, min_cell=0))["placements"] == 0
        assert metrics.conversion_by(store, ADMIN, "term", flt).height == 0
        assert metrics.records(store, ADMIN, flt).height == 0
    assert metrics.record_count(store, ADMIN) == 70  # the table is still there


def test_unicode_and_quoted_values_match_exactly(db) -> None:
    store = db([
        *cohort(3, university="Université de Montréal", employer="Zürich Ångström AG"),
        *cohort(2, university="O'Brien \"Tech\" College", employer="ACME; SELECT"),
        *cohort(4),
    ])
    assert metrics.record_count(store, ADMIN, Filter(universities=("Université de Montréal",))) == 3
    assert metrics.record_count(store, ADMIN, Filter(universities=("Universite de Montreal",))) == 0
    assert metrics.record_count(store, ADMIN, Filter(universities=("O'Brien \"Tech\" College",))) == 2
    # employers match case- and space-insensitively, through the loader's own normalisation
    assert metrics.record_count(store, ADMIN, Filter(employers=(" zürich  ÅNGSTRÖM ag",))) == 3
    assert metrics.record_count(store, ADMIN, Filter(employers=("acme; select",))) == 2
    got = one(metrics.overview(store, ADMIN, Filter(employers=("ZÜRICH ÅNGSTRÖM AG",)), min_cell=0))
    assert got["placements"] == 3 and got["employers"] == 1


# -- data page helpers ---------------------------------------------------------------------------
def test_options_records_and_counts(db) -> None:
    store = db([
        row(employer="Zeta LLC", term_season="fall", term_year=2023, work_mode="remote"),
        row(employer="acme corp", term_season="spring", term_year=2024, role_family="QA & testing"),
        row(employer="Acme Corp", term_season="spring", term_year=2024, degree_level="master"),
        row(employer="Acme Corp", university="Alpha U", hours_per_week=10.0),
    ])
    got = metrics.options(store, ADMIN)
    assert got["term_years"] == [2023, 2024]
    assert got["term_seasons"] == ["spring", "summer", "fall"]
    assert got["terms"] == ["Fall 2023", "Spring 2024", "Summer 2024"]
    assert got["universities"] == ["Alpha U", "North University"]
    assert got["employers"] == ["Acme Corp", "Zeta LLC"]  # most frequent spelling
    assert got["role_families"] == ["software engineering", "QA & testing"]
    assert got["degree_levels"] == ["bachelor", "master"]
    assert got["work_modes"] == ["onsite", "remote"]
    assert got["schedules"] == ["full_time", "part_time"]
    assert metrics.record_count(store, ADMIN) == 4
    assert metrics.record_count(store, ADMIN, Filter(employers=("ACME CORP",))) == 3
    page = metrics.records(store, ADMIN, Filter(term_years=(2024,)), limit=2)
    assert page.height == 2 and page.columns == [f.name for f in schema.FIELDS]
    assert page["student_id"].str.len_chars().to_list() == [64, 64]  # pseudonyms, not S000...
    assert metrics.records(store, ADMIN, limit=10, offset=3).height == 1
    assert metrics.records(store, ADMIN, limit=10**9).height == 4  # capped at MAX_RECORDS, not an error
    with pytest.raises(metrics.MetricsError):
        metrics.records(store, ADMIN, limit=-1)


def test_benchmarks_and_definitions() -> None:
    table = metrics.benchmarks()
    assert table.columns == ["metric", "value", "unit", "year", "source", "note"]
    figures = {(r["metric"], r["year"]): r["value"] for r in table.iter_rows(named=True)}
    assert figures[("conversion_rate", 2024)] == 0.53
    assert figures[("offer_rate", 2016)] == 0.727
    assert figures[("acceptance_rate", 2017)] == 0.764
    assert figures[("conversion_rate", 2021)] == 0.664
    assert figures[("mean_hourly_pay", 2023)] == 22.06
    assert figures[("mean_hourly_pay_computer_science", 2023)] == 24.76
    assert figures[("paid_share", 2023)] == 0.59
    assert all(table["source"].str.contains("NACE"))
    for key in ("eligible", "offer_rate", "acceptance_rate", "conversion_rate", "knowledge_rate",
                "employer_mean", "shrunk_conversion", "funnel_plot", "suppression"):
        assert metrics.DEFINITIONS[key]


# -- the facts table -----------------------------------------------------------------------------
def test_facts_follow_new_data_without_bumping_the_version(db) -> None:
    store = db(cohort(12, offers=6, accepted=3))
    assert one(metrics.overview(store, ADMIN))["eligible"] == 12
    version = store.data_version()
    assert metrics.refresh_facts(store) == 0.0  # fresh: nothing to do
    assert metrics.refresh_facts(store, force=True) > 0.0
    assert store.data_version() == version
    insert(store, cohort(3, offers=3, accepted=3))
    got = one(metrics.overview(store, ADMIN))
    assert (got["eligible"], got["accepted"]) == (15, 6)


def test_read_only_store_falls_back_to_the_same_numbers(tmp_path: Path) -> None:
    path = tmp_path / "ro.duckdb"
    writer = make_store(path, overview_rows())
    expected = {
        "overview": metrics.overview(writer, ADMIN, min_cell=0),
        "employers": metrics.employer_comparison(writer, ADMIN, min_cell=0),
        "term": metrics.conversion_by(writer, ADMIN, "employer", method="employer_mean", min_cell=0),
    }
    writer.cursor().execute("DROP TABLE metrics_meta")  # as if never built
    writer.close()
    reader = Store(path, read_only=True)
    try:
        assert metrics.overview(reader, ADMIN, min_cell=0).equals(expected["overview"])
        assert metrics.employer_comparison(reader, ADMIN, min_cell=0).equals(expected["employers"])
        got = metrics.conversion_by(reader, ADMIN, "employer", method="employer_mean", min_cell=0)
        assert got.equals(expected["term"])
    finally:
        reader.close()


def test_facts_from_an_older_format_are_rebuilt(db) -> None:
    store = db(cohort(12, offers=6, accepted=3))
    assert one(metrics.overview(store, ADMIN))["eligible"] == 12
    store.cursor().execute(f"UPDATE {metrics.META_TABLE} SET format = format - 1")
    store.cursor().execute(f"ALTER TABLE {metrics.FACTS_TABLE} DROP COLUMN term_no")
    got = metrics.conversion_by(store, ADMIN, "term")  # would fail on the old table
    assert got["group"].to_list() == ["Summer 2024"] and got["n"].to_list() == [12]


def test_concurrent_first_calls_build_once_and_agree(db) -> None:
    store = db(cohort(30, offers=20, accepted=10) + cohort(10, employer="Beta LLC"))
    results: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                results.append(one(metrics.overview(store, ADMIN))["conversion_rate"])
                results.append(metrics.conversion_by(store, ADMIN, "employer")["n"].to_list())
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [r for r in results if isinstance(r, float)] == [pytest.approx(0.25)] * 18
    assert [r for r in results if isinstance(r, list)] == [[30, 10]] * 18
    assert store.rows(f"SELECT count(*) FROM {metrics.META_TABLE}") == [(1,)]


def test_summary_table_by_hand(db) -> None:
    store = db(overview_rows())
    got = by_group(metrics.summary_table(store, ADMIN, by=("employer",), min_cell=0), "employer")
    acme, beta = got["Acme Corp"], got["Beta LLC"]
    assert (acme["n"], acme["eligible"], acme["offers"], acme["accepted"]) == (6, 6, 4, 3)
    assert acme["conversion_rate"] == pytest.approx(0.5) and acme["paid_share"] == 1.0
    # Acme USD pay 20 22 24 26 28 30 -> 25; weeks 8 10 12 12 14 16 -> 12
    assert (acme["median_hourly_pay"], acme["median_weeks"]) == (25.0, 12.0)
    assert (beta["n"], beta["eligible"], beta["offers"], beta["accepted"]) == (9, 4, 2, 1)
    # Beta: paid 5 of 8 known; USD pay 20 20 12 (CAD 40 50 not mixed in) -> 20;
    # weeks 20 x4 and 10 x4 (one unknown) -> 15
    assert beta["paid_share"] == pytest.approx(5 / 8)
    assert (beta["median_hourly_pay"], beta["hourly_pay_currency"]) == (20.0, "USD")
    assert beta["median_weeks"] == 15.0
    # with the default threshold Beta (9 placements) is hidden, and so is Acme (complement)
    assert metrics.summary_table(store, ADMIN, by=("employer",))["suppressed"].to_list() == [True, True]
