"""The Employers page computes the per-employer comparison once per filter (it was computed
twice, once for the funnel plot and once for the ranking: the page's largest cost at 10M rows),
and the combined metric gives what the two separate ones give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from analytics import metrics
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.filters import Filter
from analytics.metrics import employers
from analytics.store import Store


def test_employer_funnel_equals_comparison_and_funnel_plot(sample_store: Store) -> None:
    for flt in (Filter(), Filter(term_years=(2023,)), Filter(term_seasons=("summer",))):
        comparison, points, limits, target, _ = metrics.employer_funnel(sample_store, ADMIN, flt)
        assert_frame_equal(comparison, metrics.employer_comparison(sample_store, ADMIN, flt))
        alone_points, alone_limits, alone_target = metrics.funnel_plot(sample_store, ADMIN, flt)
        assert_frame_equal(points, alone_points)
        assert_frame_equal(limits, alone_limits)
        assert target == pytest.approx(alone_target)


def test_employers_page_aggregates_employers_once_per_filter(
    sample_db_path: Path, use_db: Any, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Filter] = []
    real = employers._employer_frame

    def counted(store: Store, principal: Any, flt: Filter, min_cell: int) -> Any:
        calls.append(flt)
        return real(store, principal, flt, min_cell)

    monkeypatch.setattr(employers, "_employer_frame", counted)
    use_db(sample_db_path)
    app = app_factory()
    app.run()
    app.switch_page("analytics/app/pages/employers.py").run()
    assert not app.exception
    assert len(calls) == 1
    app.sidebar.multiselect(key="flt_year").set_value([2023]).run()
    assert not app.exception
    assert len(calls) == 2 and calls[-1].term_years == (2023,)
