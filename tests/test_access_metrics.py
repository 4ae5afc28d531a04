"""Every public metric needs a principal, and an empty scope gets nothing, never everything."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from analytics import metrics
from analytics.access import LOCAL_ADMIN, AccessDenied, Principal
from analytics.store import Store

# Public functions of analytics.metrics that are not metrics over placements, with the reason.
EXEMPT = {
    "benchmarks": "national reference figures read from a shipped CSV; no placement is read",
    "rebuild_facts": "maintenance: builds the facts tables from scratch (migrations, the test "
                     "oracle of the incremental upkeep); returns nothing about placements",
    "refresh_facts": "maintenance: rebuilds the facts table after a data change; returns nothing "
                     "about any placement (only its build time)",
    "below_target": "a pure test of a rate already released (is it under NACE's 65%?); reads "
                    "nothing",
    "data_date": "the day of the latest upload (the ledger), the same for everyone; reads no "
                 "placement",
}
# The arguments after (store, principal) that a function cannot do without.
REQUIRED_ARGS: dict[str, tuple[Any, ...]] = {
    "conversion_by": ("term",), "pay_by": ("term",), "duration_by": ("term",),
    "credit_share_by": ("term",), "fields_present": (("hire_date",),),
    "timeline_distribution": ("to_offer",), "equity_by": ("gender",),
}
ROW_LEVEL = frozenset({"records", "unknown_outcomes", "unknown_outcome_count"})
NO_SCOPE_VIEWER = Principal(email="empty.viewer@x.edu", name="Empty", role="viewer")
NO_SCOPE_ANALYST = Principal(email="empty.analyst@x.edu", name="Empty", role="analyst")


def public_functions() -> dict[str, Callable[..., Any]]:
    return {name: getattr(metrics, name) for name in metrics.__all__
            if inspect.isfunction(getattr(metrics, name))}


def metric_functions() -> dict[str, Callable[..., Any]]:
    return {name: f for name, f in public_functions().items() if name not in EXEMPT}


def test_the_exemptions_are_real_public_functions() -> None:
    # An exemption for a name that no longer exists would silently exempt nothing.
    assert set(EXEMPT) <= set(public_functions())
    assert len(metric_functions()) >= 20


@pytest.mark.parametrize("name", sorted(metric_functions()))
def test_every_metric_takes_a_required_principal_second(name: str) -> None:
    parameters = list(inspect.signature(metric_functions()[name]).parameters.values())
    assert [p.name for p in parameters[:2]] == ["store", "principal"]
    principal = parameters[1]
    assert principal.default is inspect.Parameter.empty, f"{name}: principal has a default"
    assert principal.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    assert principal.annotation in (Principal, "Principal")


@pytest.mark.parametrize("name", sorted(metric_functions()))
def test_no_metric_runs_without_a_principal(name: str, sample_store: Store) -> None:
    function = metric_functions()[name]
    with pytest.raises(TypeError):
        function(sample_store, *REQUIRED_ARGS.get(name, ()))  # the principal left out
    with pytest.raises((TypeError, AccessDenied)):
        function(sample_store, None, *REQUIRED_ARGS.get(name, ()))  # or passed as nothing


def _args(name: str, store: Store) -> tuple[Any, ...]:
    if name == "university_view":
        return (str(store.scalar("SELECT min(university) FROM placements")),)
    return REQUIRED_ARGS.get(name, ())


def nothing(value: Any) -> bool:
    """True when a result reports no placement at all: no rows, or only zero / null counts."""
    if isinstance(value, pl.DataFrame):
        if value.is_empty():
            return True
        # sort_key orders the rows (the population row first): a label, not a figure.
        numbers = [c for c, t in value.schema.items() if t.is_numeric() and c != "sort_key"]
        return all(v is None or v == 0 or (isinstance(v, float) and math.isnan(v))
                   for c in numbers for v in value[c].to_list())
    if isinstance(value, dict):
        return all(not v for v in value.values())
    if isinstance(value, tuple):
        return all(nothing(v) for v in value)
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, int):
        return value == 0
    raise AssertionError(f"unexpected result type {type(value).__name__}")


@pytest.mark.parametrize("name", sorted(metric_functions()))
def test_an_empty_scope_sees_nothing_never_everything(name: str, sample_store: Store) -> None:
    function = metric_functions()[name]
    args = _args(name, sample_store)
    admin = function(sample_store, LOCAL_ADMIN, *args)
    # The check below can fail: on the sample, the admin's answer is not "nothing".
    assert not nothing(admin), f"{name}: the admin sees nothing on the sample"
    # Row-level functions need the records permission: an analyst with an empty scope asks.
    who = NO_SCOPE_ANALYST if name in ROW_LEVEL else NO_SCOPE_VIEWER
    if name == "university_view":
        # Nobody outside a university may open its view.
        with pytest.raises(AccessDenied):
            function(sample_store, who, *args)
        return
    assert nothing(function(sample_store, who, *args)), f"{name}: an empty scope saw placements"


def test_the_nothing_check_would_catch_a_full_answer() -> None:
    assert nothing(pl.DataFrame({"n": [0, None]}))
    assert not nothing(pl.DataFrame({"n": [0, 3]}))
    assert not nothing({"universities": ["A"], "terms": []})
    assert nothing((pl.DataFrame({"n": []}), float("nan")))
