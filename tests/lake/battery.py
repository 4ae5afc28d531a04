"""Every metric function, called the way the pages call them, so two stores can be compared
answer by answer (the lake against the embedded file, a lake before and after a change)."""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics import metrics
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.filters import Filter
from analytics.store import Store


def every_metric(store: Store, flt: Filter | None = None) -> dict[str, Any]:
    scope = flt or Filter()
    out: dict[str, Any] = {
        "overview": metrics.overview(store, ADMIN, scope),
        "funnel": metrics.funnel(store, ADMIN, scope),
        "duration_vs_conversion": metrics.duration_vs_conversion(store, ADMIN, scope),
        "duration_distribution": metrics.duration_distribution(store, ADMIN, scope),
        "schedule_mix": metrics.schedule_mix(store, ADMIN, scope),
        "employer_comparison": metrics.employer_comparison(store, ADMIN, scope),
        "funnel_plot": metrics.funnel_plot(store, ADMIN, scope),
        "pay_vs_conversion": metrics.pay_vs_conversion(store, ADMIN, scope),
        "pay_currencies": metrics.pay_currencies(store, ADMIN, scope),
        "pay_distribution": metrics.pay_distribution(store, ADMIN, scope),
        "paid_share_by_term": metrics.paid_share_by_term(store, ADMIN, scope),
        "summary_table": metrics.summary_table(store, ADMIN, scope, ("term", "university")),
        "records": metrics.records(store, ADMIN, scope, limit=100_000),
        "record_count": metrics.record_count(store, ADMIN, scope),
        "options": metrics.options(store, ADMIN),
    }
    for dimension in metrics.CONVERSION_DIMENSIONS:
        out[f"conversion_by:{dimension}"] = metrics.conversion_by(store, ADMIN, dimension, scope)
        out[f"conversion_by:{dimension}:employer_mean"] = metrics.conversion_by(
            store, ADMIN, dimension, scope, method="employer_mean")
    for dimension in metrics.GROUP_DIMENSIONS:
        out[f"duration_by:{dimension}"] = metrics.duration_by(store, ADMIN, dimension, scope)
        out[f"credit_share_by:{dimension}"] = metrics.credit_share_by(store, ADMIN, dimension, scope)
        out[f"pay_by:{dimension}"] = metrics.pay_by(store, ADMIN, dimension, scope)
    for university in out["options"]["universities"][:3]:
        out[f"university_view:{university}"] = metrics.university_view(store, ADMIN, university, scope)
    return out


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    # Row order is the metric's own where it sorts; ties may come back in storage order, which
    # differs between stores, so compare as sets of rows (sorted on every sortable column).
    sortable = [c for c, t in frame.schema.items() if not isinstance(t, pl.List | pl.Struct | pl.Object)]
    return frame.sort(sortable, nulls_last=True) if sortable and frame.height else frame


def assert_same_answers(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert got.keys() == expected.keys()
    for name, want in expected.items():
        _same(got[name], want, name)


def _same(have: Any, want: Any, name: str) -> None:
    if isinstance(want, pl.DataFrame):
        assert isinstance(have, pl.DataFrame), name
        try:
            assert_frame_equal(_sorted(have), _sorted(want), rel_tol=1e-9, abs_tol=1e-12)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
    elif dataclasses.is_dataclass(want) and not isinstance(want, type):
        assert type(have) is type(want), name
        for f in dataclasses.fields(want):
            _same(getattr(have, f.name), getattr(want, f.name), f"{name}.{f.name}")
    elif isinstance(want, dict):
        assert isinstance(have, dict) and have.keys() == want.keys(), name
        for key in want:
            _same(have[key], want[key], f"{name}[{key!r}]")
    elif isinstance(want, list | tuple):
        assert type(have) is type(want) and len(have) == len(want), name
        for i, (a, b) in enumerate(zip(have, want, strict=True)):
            _same(a, b, f"{name}[{i}]")
    elif isinstance(want, float):
        assert have == pytest.approx(want, rel=1e-9, abs=1e-12, nan_ok=True), name
    else:
        assert have == want, name
