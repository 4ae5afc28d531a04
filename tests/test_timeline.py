"""The hiring timeline and the renege rate on data worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from analytics import stats
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.metrics import timeline
from analytics.metrics.definitions import MetricsError
from analytics.store import Store
from tests.test_metrics import make_store, row

END = dt.date(2024, 8, 9)


def offer(to_offer: int | None, to_deadline: int | None, to_decision: int | None, *,
          accepted: bool = True, reneged: bool | None = False, **values: Any) -> dict[str, Any]:
    offered = END + dt.timedelta(days=to_offer) if to_offer is not None else None
    base = offered or END

    def later(days: int | None) -> dt.date | None:
        return base + dt.timedelta(days=days) if days is not None else None

    return row(end_date=END, offer_extended=True, offer_accepted=accepted, offer_date=offered,
               offer_deadline=later(to_deadline), decision_date=later(to_decision),
               reneged=reneged if accepted else None, **values)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    rows = [
        offer(10, 7, 3),                       # exploding
        offer(20, 14, 10),
        offer(25, 21, 11, reneged=True),
        offer(30, 30, 12, accepted=False),
        offer(40, 10, 9, reneged=None),        # exploding; renege status unknown
        offer(None, None, None),               # an offer with no dates
        row(end_date=END),                     # no offer: not in the timeline at all
    ]
    return make_store(tmp_path / "t.duckdb", rows)


def test_medians_counts_exploding_offers_and_reneges(store: Store) -> None:
    got = timeline.timeline_by(store, ADMIN, min_cell=0).row(0, named=True)
    assert got["offers"] == 6
    # End to offer: 10, 20, 25, 30, 40 -> median 25, quartiles 20 and 30 (linear interpolation).
    assert (got["n_to_offer"], got["median_to_offer"], got["p25_to_offer"], got["p75_to_offer"]) == \
        (5, 25.0, 20.0, 30.0)
    # Offer to deadline: 7, 10, 14, 21, 30 -> median 14; two exploding (< 14 days) of five.
    assert (got["n_to_deadline"], got["median_to_deadline"]) == (5, 14.0)
    assert (got["with_deadline"], got["exploding"], got["exploding_share"]) == (5, 2, pytest.approx(0.4))
    # Offer to decision: 3, 9, 10, 11, 12 -> median 10.
    assert (got["n_to_decision"], got["median_to_decision"]) == (5, 10.0)
    # Reneges: one of the four accepted offers whose renege status is known (the dateless
    # accepted offer counts: it is known not to have reneged).
    assert (got["accepted_known"], got["reneged"]) == (4, 1)
    assert got["renege_rate"] == pytest.approx(0.25)
    low, high = stats.wilson_interval(1, 4)
    assert (got["renege_rate_low"], got["renege_rate_high"]) == (pytest.approx(low), pytest.approx(high))


def test_small_groups_hide_their_figures(store: Store) -> None:
    got = timeline.timeline_by(store, ADMIN).row(0, named=True)
    assert got["suppressed"] and got["median_to_offer"] is None and got["renege_rate"] is None


def test_distribution_in_week_bands(store: Store) -> None:
    bands = timeline.timeline_distribution(store, ADMIN, "to_offer", min_cell=0)
    assert dict(zip(bands["days"].to_list(), bands["count"].to_list(), strict=True)) == \
        {7: 1, 14: 1, 21: 1, 28: 1, 35: 1}
    with pytest.raises(MetricsError):
        timeline.timeline_distribution(store, ADMIN, "to_lunch")


def test_groups(tmp_path: Path) -> None:
    rows = [offer(d, 21, 5, returning_intern=True) for d in (5, 6, 7)]
    rows += [offer(d, 21, 5, returning_intern=False) for d in (30, 40)]
    store = make_store(tmp_path / "g.duckdb", rows)
    by = {r["group"]: r for r in timeline.timeline_by(
        store, ADMIN, "returning_intern", min_cell=0).iter_rows(named=True)}
    assert by["yes"]["median_to_offer"] == 6.0 and by["no"]["median_to_offer"] == 35.0
