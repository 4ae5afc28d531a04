"""Pay grouped by the currencies' numbers (metrics_currencies) still names and orders currencies
by their codes: an increment numbers a new currency after the ones before, whatever its code, so
a tie between two currencies must be broken by the code, never by the number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from analytics import metrics
from analytics.access import LOCAL_ADMIN
from analytics.metrics import facts, scope
from analytics.store import Store
from tests.disclosure_support import cohort, one
from tests.fixture_rows import insert


def _numbered_out_of_order(hand_built: Callable[[list[dict[str, Any]]], Store]) -> Store:
    """Acme: 12 interns paid 20 USD an hour (the first batch), then 12 paid 30 AUD (a second
    batch, added to the facts incrementally, so AUD gets the number after USD)."""
    store = hand_built(cohort(12, employer="Acme", currency="USD", pay_amount=20.0))
    metrics.refresh_facts(store)
    insert(store, cohort(12, employer="Acme", currency="AUD", pay_amount=30.0))
    metrics.refresh_facts(store)
    numbers = dict(store.rows(f"SELECT currency, currency_no FROM {facts.CURRENCIES_TABLE}"))
    assert numbers["AUD"] > numbers["USD"]  # the case under test: numbers against the alphabet
    return store


def test_a_tie_between_currencies_goes_to_the_first_code_not_the_first_number(
    hand_built: Callable[[list[dict[str, Any]]], Store],
) -> None:
    store = _numbered_out_of_order(hand_built)
    # 12 paid records each: the main currency is the alphabetically first, AUD, paid 30.
    overview = one(metrics.overview(store, LOCAL_ADMIN, min_cell=0))
    assert (overview["hourly_pay_currency"], overview["median_hourly_pay"]) == ("AUD", 30.0)
    assert (overview["hourly_pay_n"], overview["hourly_pay_currencies"]) == (12, 2)
    employers = metrics.employer_comparison(store, LOCAL_ADMIN, min_cell=0)
    assert employers.select("employer", "hourly_pay_currency", "median_hourly_pay").rows() == [
        ("Acme", "AUD", 30.0)]
    versus = metrics.pay_vs_conversion(store, LOCAL_ADMIN, min_cell=0)
    assert versus.select("hourly_pay_currency", "median_hourly_pay").rows() == [("AUD", 30.0)]
    # A currency asked for by its code is found by its number as well.
    usd = metrics.pay_vs_conversion(store, LOCAL_ADMIN, currency="USD", min_cell=0)
    assert usd.select("hourly_pay_currency", "median_hourly_pay").rows() == [("USD", 20.0)]


def test_pay_by_number_equals_pay_by_code_on_the_plain_projection(
    hand_built: Callable[[list[dict[str, Any]]], Store], monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = _numbered_out_of_order(hand_built)
    insert(store, cohort(15, employer="Beta", currency="USD", pay_amount=25.0)
           + cohort(3, employer="Beta", currency="CAD", pay_amount=40.0))
    metrics.refresh_facts(store)

    def every() -> list[Any]:
        return [metrics.overview(store, LOCAL_ADMIN, min_cell=m) for m in (0, 10)] + [
            metrics.employer_comparison(store, LOCAL_ADMIN, min_cell=m) for m in (0, 10)] + [
            metrics.equity_by(store, LOCAL_ADMIN, "gender", min_cell=m) for m in (0, 10)]

    packed = every()
    assert facts.current_facts(store).fresh
    monkeypatch.setattr(scope, "current_facts", lambda _store: facts._fallback())
    plain = every()
    for a, b in zip(packed, plain, strict=True):
        assert a.equals(b)
    # By hand: USD 27 paid records (12 at 20, then 15 at 25: the 14th is 25), AUD 12, CAD 3.
    assert one(packed[0])["hourly_pay_currency"] == "USD"
    assert one(packed[0])["hourly_pay_n"] == 27
    assert one(packed[0])["median_hourly_pay"] == 25.0
