"""AppTests of the Retention and Hiring timeline pages: on the sample, on an empty database, and
on a database whose placements lack the new fields (each page names the fields it needs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analytics import metrics
from analytics import store as store_module
from analytics.access import LOCAL_ADMIN
from analytics.store import Store
from tests.app.test_pages import chart_titles, open_page, texts
from tests.app.test_pages import metrics as shown_metrics

PAGES = {
    "retention": "Retention: do converted interns stay?",
    "timeline": "Hiring timeline: offers, deadlines and reneges",
}
MAIN_CHARTS = {
    "retention": "Converted hires still with the employer, by years since the hire",
    "timeline": "How long each step takes (days)",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_the_page_renders_on_the_sample(page: str, sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), page)
    assert not app.exception, app.exception
    assert app.title[0].value == PAGES[page]
    assert MAIN_CHARTS[page] in chart_titles(app)
    assert not app.error
    assert {b.label for b in app.get("download_button")} == {"Download CSV", "Download Excel"}


def test_retention_shows_the_sample_figures_the_metric_gives(sample_db_path: Path, use_db,
                                                             app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "retention")
    store = store_module.open_store(sample_db_path)  # the app's own instance of the file
    expected = metrics.retention_by(store, LOCAL_ADMIN, as_of=metrics.data_date(store)).row(0, named=True)
    got = shown_metrics(app)
    assert got["Hires followed"] == f"{expected['hires']:,}"
    assert got["Still there at 1 year"] == f"{expected['survival_1y'] * 100:.1f}%"
    # Grouped by training: a point per group at one and at five years.
    app.selectbox(key="retention_by").select("Structured training").run()
    assert not app.exception
    assert {"Still there one year after the hire", "Still there five years after the hire"} <= \
        set(chart_titles(app))
    table = app.dataframe[0].value
    assert set(table["Group"]) == {"yes", "no"}


def test_timeline_shows_the_sample_figures_the_metric_gives(sample_db_path: Path, use_db,
                                                            app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "timeline")
    store = store_module.open_store(sample_db_path)
    expected = metrics.timeline_by(store, LOCAL_ADMIN).row(0, named=True)
    got = shown_metrics(app)
    assert got["Offers"] == f"{expected['offers']:,}"
    assert got["Renege rate"] == f"{expected['renege_rate'] * 100:.1f}%"
    app.selectbox(key="timeline_by").select("Returning or first-time intern").run()
    assert not app.exception and "Renege rate by returning or first-time intern" in chart_titles(app)


@pytest.mark.parametrize("page", list(PAGES))
def test_the_page_explains_an_empty_database(page: str, tmp_path: Path, use_db, app_factory) -> None:
    use_db(tmp_path / "empty.duckdb")
    app = open_page(app_factory(), page)
    assert not app.exception, app.exception
    assert app.title[0].value == PAGES[page]
    assert "no placements yet" in app.info[0].value
    assert not app.get("plotly_chart")


@pytest.mark.parametrize(("page", "fields"), [
    ("retention", ("`hire_date`", "`separation_date`", "`offer_accepted`")),
    ("timeline", ("`offer_date`", "`offer_deadline`", "`decision_date`", "`reneged`")),
])
def test_the_page_names_the_fields_a_database_without_them_lacks(
        page: str, fields: tuple[str, ...], tiny_db_path: Path, use_db, app_factory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The tiny database's file has none of the outcome fields beyond the first wave.
    monkeypatch.setenv("INTERNSHIPS_MIN_CELL", "3")
    use_db(tiny_db_path)
    app = open_page(app_factory(), page)
    assert not app.exception, app.exception
    message = texts(app)
    assert "needs fields this selection's data does not have" in message
    for name in fields:
        assert name in message
    assert not app.get("plotly_chart")


def test_the_data_date_is_the_latest_upload(sample_db_path: Path) -> None:
    store = Store(sample_db_path, read_only=True)
    try:
        assert metrics.data_date(store) <= dt.date.today()
    finally:
        store.close()
