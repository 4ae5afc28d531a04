"""AppTests of the "Returning intern" sidebar filter: it narrows every page's scope and lives in
the URL like the other filters."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.ingest.load import load_canonical_csv
from analytics.store import Store
from tests.app.conftest import write_tiny_csv
from tests.app.test_pages import metrics, open_page

# The tiny network (conftest.TINY_ROWS) with returning_intern set on some rows, by row number.
RETURNING = {
    0: "true",
    1: "true",
    6: "true",
    7: "true",
    12: "true",  # all Acme
    2: "false",
    3: "false",
    8: "false",
    9: "false",
}  # the rest: unknown


@pytest.fixture(scope="module")
def returning_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("returning")
    source = write_tiny_csv(folder / "tiny.csv")
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for i, value in RETURNING.items():
        rows[i]["returning_intern"] = value
    path = folder / "returning.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    db = folder / "returning.duckdb"
    store = Store(db)
    try:
        load_canonical_csv(store, path)
    finally:
        store.close()
    return db


@pytest.fixture
def app(returning_db: Path, use_db, monkeypatch: pytest.MonkeyPatch, app_factory) -> AppTest:
    monkeypatch.setenv("INTERNSHIPS_MIN_CELL", "3")
    use_db(returning_db)
    made: AppTest = app_factory()
    return made


def test_the_filter_narrows_the_overview_to_the_hand_counted_interns(app: AppTest) -> None:
    open_page(app, "overview")
    assert metrics(app)["Placements"] == "13"
    app.sidebar.radio(key="flt_returning").set_value("Yes").run()
    assert not app.exception
    values = metrics(app)
    # Rows 0, 1, 6, 7, 12: five placements, all eligible, all offered, row 1 declined -> 4 of 5.
    assert values["Placements"] == "5"
    assert values["Offer rate"] == "100.0%"
    assert values["Conversion rate"] == "80.0%"
    assert app.query_params.get("returning") == "yes"


def test_the_url_round_trip_and_a_hidden_group_stays_hidden(app: AppTest) -> None:
    app.query_params["returning"] = "no"
    open_page(app, "overview")
    assert not app.exception
    assert app.sidebar.radio(key="flt_returning").value == "No"
    # Rows 2, 3, 8, 9: four placements. By returning status the eligible interns are 5 (yes),
    # 3 (no) and 1 (unknown: row 10): unknown is under 3 and "no", the smallest other group, is
    # its complement -- so "no" shows its placements but not its conversion (the check the
    # filter passes through like every other field).
    values = metrics(app)
    assert values["Placements"] == "4"
    assert values["Conversion rate"] == "fewer than 3"
    # the filter follows to another page, still in the URL
    app.switch_page("analytics/app/pages/data.py").run()
    assert not app.exception
    assert app.sidebar.radio(key="flt_returning").value == "No"
    assert app.query_params.get("returning") == "no"
    app.sidebar.radio(key="flt_returning").set_value("Any").run()
    assert "returning" not in app.query_params
