"""Network retention from perturbed counts (DESIGN.md "Disclosure control", cell-key rule): the
survival a public visitor sees is recomputed here by hand from the records' keys and the
published noise table; it is the same in every call and view; and differencing two network
figures does not tell whether one hidden hire left."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analytics import disclosure
from analytics import store as store_module
from analytics.filters import Filter
from analytics.metrics import retention
from analytics.store import Store
from tests.disclosure_support import ADMIN, MIN_CELL, PUBLIC, VIEWER_U1, by_key, make_store, one, row

AS_OF = dt.date(2026, 1, 1)
HIRED = dt.date(2023, 1, 15)


def hire(days: int | None, hired: dt.date = HIRED, **values: Any) -> dict[str, Any]:
    """A converted intern hired on `hired` who left `days` later (None: still there)."""
    left = hired + dt.timedelta(days=days) if days is not None else None
    return row(
        offer_extended=True,
        offer_accepted=True,
        hire_date=hired,
        separation_date=left,
        term_year=hired.year - 1,
        **values,
    )


def noise(key: int) -> int:
    """The published table, read as a user reads it on the Methodology page."""
    for low, high, value in disclosure.NOISE_TABLE:
        if low <= key % disclosure.KEY_RANGE < high:
            return value
    raise AssertionError(key)


def perturbed(count: int, key: int) -> int:
    return 0 if count == 0 else max(count + noise(key), 0)


def by_hand(spells: list[tuple[int, bool, int]], horizon_months: int) -> tuple[float, int]:
    """(S, at risk) at the start of month `horizon_months` from (tenure days, left, record key)
    spells: per month [b_m, b_m+1), b_m = floor(m * 365.25 / 12), the perturbed at-risk and
    event counts, then the product of (1 - d/n)."""

    def b(m: int) -> int:
        return math.floor(m * 365.25 / 12)

    survival = 1.0
    for m in range(horizon_months):
        followed = [s for s in spells if s[0] >= b(m)]
        ending = [s for s in followed if s[0] < b(m + 1) and s[1]]
        n = perturbed(len(followed), sum(s[2] for s in followed))
        d = min(perturbed(len(ending), sum(s[2] for s in ending)), n)
        if d:
            survival *= 1 - d / n
    at_risk = [s for s in spells if s[0] >= b(horizon_months)]
    return survival, perturbed(len(at_risk), sum(s[2] for s in at_risk))


def spells_of(store: Store) -> list[tuple[int, bool, int]]:
    """Every hire's spell and record key, straight from the placements table."""
    out = []
    for hired, left, key in store.rows(
        "SELECT hire_date, separation_date, record_key FROM placements WHERE offer_accepted"
    ):
        end = min(left, AS_OF) if left is not None else AS_OF
        out.append(((end - hired).days, left is not None and left <= AS_OF, int(key)))
    return out


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    # 60 hires at U1 and U2: separations spread over the first two years, a third still there.
    rows: list[dict[str, Any]] = []
    for i in range(60):
        days = None if i % 3 == 0 else 20 + 13 * i
        rows.append(hire(days, university="U1" if i % 2 else "U2", hired=HIRED + dt.timedelta(days=i % 7)))
    store = make_store(tmp_path_factory.mktemp("network") / "n.duckdb", rows)
    yield store
    store.close()
    store_module.close_all()


def test_public_survival_is_the_product_over_perturbed_interval_counts(network: Store) -> None:
    public = one(retention.retention_by(network, PUBLIC, as_of=AS_OF, min_cell=MIN_CELL))
    exact = one(retention.retention_by(network, ADMIN, as_of=AS_OF, min_cell=MIN_CELL))
    assert public["perturbed"] and not exact["perturbed"]
    spells = spells_of(network)
    survival, at_risk = by_hand(spells, 12)
    assert public["survival_1y"] == pytest.approx(round(survival, 3))
    assert public["at_risk_1y"] == at_risk
    # The noise is bounded: every released count within NOISE_BOUND of the truth.
    assert abs(public["at_risk_1y"] - exact["at_risk_1y"]) <= disclosure.NOISE_BOUND
    assert abs(public["hires"] - 60) <= disclosure.NOISE_BOUND
    # ... and the survival within what the bounded noise allows in every interval (each of
    # the 12 intervals' hazard moves by at most 2 events out of its at-risk count, give or take 2).
    assert abs(public["survival_1y"] - exact["survival_1y"]) < 0.25
    assert public["survival_1y_low"] < public["survival_1y"] < public["survival_1y_high"]


def test_the_same_cell_gets_the_same_survival_in_every_call_and_view(network: Store) -> None:
    first = one(retention.retention_by(network, PUBLIC, as_of=AS_OF, min_cell=MIN_CELL))
    again = one(retention.retention_by(network, PUBLIC, as_of=AS_OF, min_cell=MIN_CELL))
    assert first == again
    # The same hires through another filter that selects all of them: the same records.
    every = one(
        retention.retention_by(
            network, PUBLIC, None, Filter(universities=("U1", "U2")), as_of=AS_OF, min_cell=MIN_CELL
        )
    )
    assert every["survival_1y"] == first["survival_1y"] and every["at_risk_1y"] == first["at_risk_1y"]
    # The curve's point at one year is the table's figure, with the same perturbed at-risk count.
    curve = retention.retention_curve(network, PUBLIC, as_of=AS_OF, min_cell=MIN_CELL)
    year = curve.filter(curve["month"] == 12).row(0, named=True)
    assert year["survival"] == first["survival_1y"] and year["at_risk"] == first["at_risk_1y"]
    assert curve["at_risk"].is_not_null().all()


def test_a_viewer_sees_its_own_scope_exactly(network: Store) -> None:
    mine = one(retention.retention_by(network, VIEWER_U1, as_of=AS_OF, min_cell=MIN_CELL))
    truth = one(
        retention.retention_by(
            network, ADMIN, None, Filter(universities=("U1",)), as_of=AS_OF, min_cell=MIN_CELL
        )
    )
    assert not mine["perturbed"]
    assert mine["survival_1y"] == truth["survival_1y"] and mine["hires"] == 30


TRIALS = 200


def test_differencing_two_network_survival_figures_does_not_reveal_one_hidden_hire(tmp_path: Path) -> None:
    """Attack (public): each of TRIALS employers hired 20 interns in 2023 (four left within the
    year) and one more in 2024, a cell of one hire the tables hide. In even trials the 2024 hire
    left after 100 days, in odd ones stayed. An attacker compares the employer's one-year
    survival over both years with 2023's alone: lower means the hidden hire left. On exact
    figures (the admin's) the rule is right every time (16/21 < 16/20 < 17/21). On the perturbed
    ones it is wrong in about a quarter of the trials (observed 145 to 159 right of 200 over five
    databases): the cell-key method makes one hire's outcome uncertain, not unguessable -- a
    stayer changes only at-risk counts, whose noise moves survival little, while a leaver also
    changes one interval's event count. The bound (90%) is about four standard deviations above
    what was observed; record keys are drawn afresh for each database, so the count varies from
    run to run. Exact figures rounded to 0.1 point (what the public saw before) keep the order
    above, so the rule was right every time."""
    rows: list[dict[str, Any]] = []
    for i in range(TRIALS):
        name = f"Trial {i:03d}"
        rows += [hire(d, employer=name) for d in (40, 100, 200, 300)]
        rows += [hire(None, employer=name) for _ in range(16)]
        rows.append(hire(100 if i % 2 == 0 else None, employer=name, hired=dt.date(2024, 1, 15)))
    store = make_store(tmp_path / "attack.duckdb", rows)
    try:

        def survival(who: Any, years: tuple[int, ...]) -> dict[str, Any]:
            return by_key(
                retention.retention_by(
                    store, who, "employer", Filter(term_years=years), as_of=AS_OF, min_cell=MIN_CELL
                )
            )

        hidden = survival(PUBLIC, (2023,))
        public = (survival(PUBLIC, (2022, 2023)), survival(PUBLIC, (2022,)))
        exact = (survival(ADMIN, (2022, 2023)), survival(ADMIN, (2022,)))
    finally:
        store.close()
        store_module.close_all()
    right = {"public": 0, "admin": 0}
    for i in range(TRIALS):
        name, left = f"Trial {i:03d}", i % 2 == 0
        assert hidden[name]["suppressed"]  # the one 2024 hire is a hidden cell
        for who, (both, first) in (("public", public), ("admin", exact)):
            right[who] += (both[name]["survival_1y"] < first[name]["survival_1y"]) == left
    assert right["admin"] == TRIALS
    assert right["public"] <= 0.9 * TRIALS, right
