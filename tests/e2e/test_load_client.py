"""The load test's protocol-level client, small enough to run with every `make test` so it cannot
rot: two sessions on one page while a third uploads, loads and undoes a file, against a real
server on the sample; and a filter change made through the widgets' states."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_load import UPLOAD_ROWS, run_load
from benchmarks.load_client import Session, run_coroutine
from tests.e2e import facts
from tests.e2e.server import AppServer, build_database

pytestmark = pytest.mark.e2e


def _placements(year: int) -> str:
    """The Overview's Placements figure for one term year, counted from the sample CSV."""
    return f"{facts.count(facts.sample_rows(), lambda row: row['term_year'] == str(year)):,}"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("e2e-load") / "load.duckdb")


def test_smoke_two_sessions_and_an_upload_see_no_error(sample_db: Path) -> None:
    result = run_load(sample_db, sessions=2, pages=("",), changes=0, upload=True, timeout=120, budget=300,
                      settle=5.0)
    assert result["errors"] == 0, result["problems"]
    assert result["page_runs"] == 2
    # Session i arrived through a link asking for year 2019 + i: each saw its year's count.
    shown = sorted(run.metrics()["Placements"] for run in result["outcome"].runs if run.page == "")
    assert shown == sorted([_placements(2019), _placements(2020)])
    assert f"read {UPLOAD_ROWS} rows, loaded {UPLOAD_ROWS}" in result["upload"]["confirmation"]
    assert result["rss_after_mb"] > 0 and result["median_s"] > 0


def test_a_filter_change_through_widget_states_reaches_the_page(app: AppServer) -> None:
    async def walk() -> tuple[dict[str, str], dict[str, str], str]:
        async with Session(app.url, timeout=120) as session:
            first = await session.run("", query_string="year=2019")
            session.choose(first.widgets("multiselect")["Term year"], ["2021"])
            second = await session.run("")
            return first.metrics(), second.metrics(), session.query_string

    first, second, query = run_coroutine(walk())
    rows = facts.app_rows()
    for year, shown in ((2019, first), (2021, second)):
        expected = facts.count(rows, lambda row, y=year: row["term_year"] == str(y))  # type: ignore[misc]
        assert shown["Placements"] == f"{expected:,}"
    # The sidebar rewrote the URL to the new filter, as a browser's address bar would show.
    assert query == "year=2021"
