"""Retention of converted hires (Kaplan-Meier with censoring) on data worked out by hand, and on
the shipped sample against the NACE figures it was calibrated to."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from analytics import stats
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.metrics import retention
from analytics.metrics.definitions import MetricsError
from analytics.metrics.retention import product_limit
from analytics.store import Store
from tests.test_metrics import make_store, row

AS_OF = dt.date(2026, 1, 1)
HIRED = dt.date(2024, 1, 1)


def hire(days: int | None, **values: Any) -> dict[str, Any]:
    """A converted intern hired on HIRED who left `days` later (None: still there)."""
    left = HIRED + dt.timedelta(days=days) if days is not None else None
    return row(offer_extended=True, offer_accepted=True, hire_date=HIRED, separation_date=left, **values)


def test_product_limit_with_censoring_matches_a_hand_computation() -> None:
    # Ten spells (days): events at 100, 200, 200, 400; censored at 150, 300, and four at 731
    # (followed to the data date). By hand, the product limit:
    #   t=100: 10 at risk, 1 event  -> S = 9/10
    #   t=150: one censored (9 -> 8 at risk)
    #   t=200:  8 at risk, 2 events -> S = 9/10 * 6/8 = 0.675
    #   t=300: one censored (6 -> 5)
    #   t=400:  5 at risk, 1 event  -> S = 0.675 * 4/5 = 0.54
    times, events, censored = [100, 150, 200, 300, 400, 731], [1, 0, 2, 0, 1, 0], [0, 1, 0, 1, 0, 4]
    at_year = product_limit(times, events, censored, horizon=365)
    assert at_year is not None
    assert at_year.survival == pytest.approx(0.675)
    assert at_year.at_risk == 5  # 400 and the four at 731 are still followed on day 365
    # Greenwood: sum d / (n (n - d)) = 1/(10*9) + 2/(8*6); log-log interval S^exp(+-z se).
    greenwood = 1 / 90 + 2 / 48
    se = math.sqrt(greenwood) / abs(math.log(0.675))
    z = stats.z_value(0.95)
    assert at_year.low == pytest.approx(0.675 ** math.exp(z * se))
    assert at_year.high == pytest.approx(0.675 ** math.exp(-z * se))
    assert at_year.low < 0.675 < at_year.high
    later = product_limit(times, events, censored, horizon=500)
    assert later is not None and later.survival == pytest.approx(0.54) and later.at_risk == 4
    # Nobody is followed for five years: the data cannot say.
    assert product_limit(times, events, censored, horizon=1826) is None


def test_recent_hires_are_censored_not_counted_as_stayers(tmp_path: Path) -> None:
    # Twelve hires on 2024-01-01 followed to 2026-01-01 (731 days): 3 left within the year.
    # Eight more hired 2025-07-01, only 184 days of follow-up: censored before the year is out.
    recent = dt.date(2025, 7, 1)
    rows = [hire(d) for d in (30, 90, 300)] + [hire(None) for _ in range(9)]
    rows += [row(offer_extended=True, offer_accepted=True, hire_date=recent) for _ in range(8)]
    # Not spells: a renege, an accepted offer without a hire date, a hire after the data date.
    rows += [row(offer_extended=True, offer_accepted=True, reneged=True),
             row(offer_extended=True, offer_accepted=True),
             row(offer_extended=True, offer_accepted=True, hire_date=dt.date(2026, 6, 1))]
    store = make_store(tmp_path / "r.duckdb", rows)
    got = retention.retention_by(store, ADMIN, as_of=AS_OF, min_cell=0).row(0, named=True)
    # By hand: 20 at risk; t=30: 1 event (19/20); t=90: 1 event among 19 (18/19); t=184: the
    # eight recent hires censored (18 -> 10 at risk); t=300: 1 event among 10 (9/10).
    assert got["hires"] == 20 and got["left"] == 3
    assert got["survival_1y"] == pytest.approx(19 / 20 * 18 / 19 * 9 / 10)
    assert got["at_risk_1y"] == 9
    # Counting the recent hires as stayers would give 17/20 = 0.85 instead of 0.81.
    assert got["survival_1y"] < 0.85
    assert got["survival_5y"] is None and got["at_risk_5y"] == 0


def test_by_group_and_the_threshold(tmp_path: Path) -> None:
    trained = [hire(100, structured_training=True)]
    trained += [hire(None, structured_training=True) for _ in range(11)]
    untrained = [hire(d, structured_training=False) for d in (50, 100, 150, 200)] + \
        [hire(None, structured_training=False) for _ in range(8)]
    few = [hire(None, returning_intern=True) for _ in range(3)]
    store = make_store(tmp_path / "g.duckdb", trained + untrained + few)
    by = {r["group"]: r for r in retention.retention_by(
        store, ADMIN, "structured_training", as_of=AS_OF, min_cell=0).iter_rows(named=True)}
    assert by["yes"]["survival_1y"] == pytest.approx(11 / 12)
    # Untrained: the twelve plus the three returning interns (untrained too), 4 events among 15.
    assert by["no"]["survival_1y"] == pytest.approx(14 / 15 * 13 / 14 * 12 / 13 * 11 / 12)
    # The three returning interns are a cell of their own under the default threshold.
    returning = {r["group"]: r for r in retention.retention_by(
        store, ADMIN, "returning_intern", as_of=AS_OF).iter_rows(named=True)}
    assert returning["yes"]["suppressed"] and returning["yes"]["survival_1y"] is None
    assert returning["yes"]["hires"] is None
    # ... and the other group too, since the overall figure would give it back by subtraction.
    assert returning["unknown"]["suppressed"]
    with pytest.raises(MetricsError):
        retention.retention_by(store, ADMIN, "gender")


def test_the_curve_stops_where_too_few_remain_at_risk(tmp_path: Path) -> None:
    rows = [hire(d) for d in (40, 70, 400)] + [hire(None) for _ in range(9)]
    # Six of them hired later, so only 6 are followed past 200 days.
    rows += [row(offer_extended=True, offer_accepted=True, hire_date=dt.date(2025, 6, 1)) for _ in range(6)]
    store = make_store(tmp_path / "c.duckdb", rows)
    curve = retention.retention_curve(store, ADMIN, as_of=AS_OF, min_cell=10)
    assert curve["month"].to_list()[0] == 0 and curve["survival"].to_list()[0] == 1.0
    assert (curve["at_risk"] >= 10).all()
    # 18 spells: events at 40 and 70 -> S = 17/18 * 16/17 = 16/18 from month 3 on.
    month3 = curve.filter(curve["month"] == 3).row(0, named=True)
    assert month3["survival"] == pytest.approx(16 / 18)
    # Still followed: 16 up to day 214 (the six recent hires are censored there), then 10 (the
    # one who left at 400 and nine stayers) up to day 400, then 9. Month 13 (395 days) is the
    # last point with 10 at risk.
    assert curve.filter(curve["month"] == 7)["at_risk"].item() == 16
    assert curve.filter(curve["month"] == 8)["at_risk"].item() == 10
    assert curve["month"].max() == 13


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Store:
    from analytics.ingest.load import load_canonical_csv
    from tests.conftest import SAMPLE_CSV

    store = Store(tmp_path_factory.mktemp("retention") / "sample.duckdb")
    load_canonical_csv(store, SAMPLE_CSV)
    return store


def test_the_sample_retains_about_as_nace_reports(sample: Store) -> None:
    from analytics import sample as generator

    as_of = dt.date.fromisoformat(str(generator.SAMPLE_AS_OF))
    overall = retention.retention_by(sample, ADMIN, as_of=as_of).row(0, named=True)
    assert overall["survival_1y"] == pytest.approx(0.70, abs=0.05)  # NACE: 71.4% (2019)
    assert 0.3 <= overall["survival_5y"] <= 0.5
    assert overall["survival_1y_low"] < overall["survival_1y"] < overall["survival_1y_high"]
    trained = {r["group"]: r["survival_1y"] for r in retention.retention_by(
        sample, ADMIN, "structured_training", as_of=as_of).iter_rows(named=True)}
    assert trained["yes"] > trained["no"]
