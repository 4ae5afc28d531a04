"""AppTests of the breakdown pages (Evaluations & returning, Equity, Knowledge rate) on the sample,
an empty database, a database without the new fields and one built by hand with them; and the
knowledge-rate warning on the Overview and Conversion pages."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from analytics import access
from analytics import store as store_module
from analytics.access import LOCAL_ADMIN, Principal
from analytics.app import auth, state
from analytics.store import Store
from tests.app.test_pages import chart_titles, open_page, texts
from tests.disclosure_support import cohort, make_store

PAGES = {
    "evaluations": "Evaluations & returning interns",
    "equity": "Equity: outcomes by gender, ethnicity and first-generation status",
    "knowledge": "Knowledge rate: how much of the outcome is known",
}
MAIN_CHARTS = {
    "evaluations": "Returning vs first-time interns: rates with 95% intervals",
    "equity": "Conversion rate by gender, with 95% intervals",
    "knowledge": "Knowledge rate by term, with 95% intervals",
}
WARNING = "NACE asks for at least 65%"


def rich_rows() -> list[dict[str, Any]]:
    """Every new field recorded. 2024: 200 eligible interns with known outcomes; 2023: 60
    eligible, 20 known (a knowledge rate of 33%, under NACE's 65%)."""
    rows: list[dict[str, Any]] = []
    genders = itertools.cycle(["female", "male", "female", "male", "nonbinary"])
    ratings = itertools.cycle([5, 4, 4, 3, 5, 4, 2, 4, 5, 3])
    for returning, (n, offers, accepted) in ((True, (60, 54, 48)), (False, (140, 63, 45))):
        for i, r in enumerate(cohort(n, offers, accepted, returning_intern=returning, term_year=2024,
                                     outcome_source="employer_report")):
            r.update(gender=next(genders), intern_rating=next(ratings), supervisor_rating=next(ratings),
                     ethnicity=["Asian", "Black", "Hispanic", "White"][i % 4], first_generation=i % 3 == 0,
                     structured_training=i % 2 == 0)
            rows.append(r)
    rows += cohort(20, 10, 8, term_year=2023, outcome_source="student_survey", returning_intern=False)
    rows += cohort(40, term_year=2023, offer_extended=None, offer_accepted=None, returning_intern=False)
    return rows


def table_with(app: AppTest, column: str) -> list[dict[str, Any]]:
    """The rows of the first table showing `column` (tables carry no key in AppTest)."""
    for frame in app.dataframe:
        if column in frame.value.columns:
            return list(frame.value.to_dict("records"))
    raise AssertionError(f"no table with a {column!r} column")


@pytest.fixture(scope="module")
def rich_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rich") / "rich.duckdb"
    store = make_store(path, rich_rows())
    store.close()
    store_module.close_all()
    return path


@pytest.mark.parametrize("page", list(PAGES))
def test_breakdown_pages_render_on_the_sample(page: str, sample_db_path: Path, use_db,
                                              app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), page)
    assert not app.exception, app.exception
    assert app.title[0].value == PAGES[page]
    assert not app.error
    # The sample records every new field: charts, not "needs the field" notes.
    assert MAIN_CHARTS[page] in chart_titles(app)
    if page == "evaluations":  # the sample has hire dates: retention by training is shown too
        assert "Hires still there one year after the hire, by structured training" in chart_titles(app)
    assert "in the data, and no placement in this selection has" not in texts(app)


@pytest.mark.parametrize("page", list(PAGES))
def test_breakdown_pages_explain_an_empty_database(page: str, tmp_path: Path, use_db, app_factory) -> None:
    use_db(tmp_path / "empty.duckdb")
    app = open_page(app_factory(), page)
    assert not app.exception, app.exception
    assert app.title[0].value == PAGES[page]
    assert "no placements yet" in app.info[0].value
    assert not app.get("plotly_chart")


def test_pages_name_the_fields_they_need_when_the_data_lacks_them(tiny_db_path: Path, use_db,
                                                                 app_factory, monkeypatch) -> None:
    """The tiny network of conftest.py has none of the new fields (its file predates them)."""
    monkeypatch.setenv("INTERNSHIPS_MIN_CELL", "3")
    use_db(tiny_db_path)
    evaluations = open_page(app_factory(), "evaluations")
    assert not evaluations.exception, evaluations.exception
    shown = texts(evaluations)
    assert "`returning_intern`" in shown
    assert "`intern_rating`, `supervisor_rating`" in shown
    equity = open_page(app_factory(), "equity")
    assert not equity.exception, equity.exception
    assert "`gender`" in texts(equity)
    equity.segmented_control(key="equity_dimension").set_value("First-generation student").run()
    assert "`first_generation`" in texts(equity)
    knowledge = open_page(app_factory(), "knowledge")
    assert "`outcome_source`" in texts(knowledge)


def test_evaluations_page_on_data_with_every_field(rich_db_path: Path, use_db, app_factory) -> None:
    use_db(rich_db_path)
    app = open_page(app_factory(), "evaluations")
    assert not app.exception, app.exception
    titles = chart_titles(app)
    assert "Returning vs first-time interns: rates with 95% intervals" in titles
    assert "Mean rating, with 95% intervals" in titles
    assert "How the internships were rated" in titles
    assert "Conversion rate by intern's rating of the internship, with 95% intervals" in titles
    rows = {r["Returning intern"]: r for r in table_with(app, "Returning intern")}
    # 60 returning: 48 hired (80.0%); 140 + 60 first-time over both years: 45 + 8 hired.
    assert rows["returning"]["Eligible interns"] == "60"
    assert rows["returning"]["Conversion rate"] == "80.0%"
    assert rows["first-time"]["Eligible interns"] == "200"
    assert "Download CSV" in [b.label for b in app.get("download_button")]
    app.radio(key="ratings_conversion_by").set_value("Supervisor's rating of the intern").run()
    assert not app.exception, app.exception
    assert "Conversion rate by supervisor's rating of the intern, with 95% intervals" in chart_titles(app)


def test_equity_page_on_data_with_every_field(rich_db_path: Path, use_db, app_factory) -> None:
    use_db(rich_db_path)
    app = open_page(app_factory(), "equity")
    assert not app.exception, app.exception
    assert "Offer rate by gender, with 95% intervals" in chart_titles(app)
    table = {r["Gender"]: r for r in table_with(app, "Gender")}
    assert next(iter(table)) == "all eligible interns"
    assert table["all eligible interns"]["Eligible interns"] == "260"
    # 40 nonbinary interns of 200 (every fifth): visible; the 60 of 2023 are 'not recorded'.
    assert table["nonbinary"]["Eligible interns"] == "40"
    assert table["not recorded"]["Eligible interns"] == "60"
    app.segmented_control(key="equity_dimension").set_value("Ethnicity").run()
    assert not app.exception, app.exception
    assert "Conversion rate by ethnicity, with 95% intervals" in chart_titles(app)


def test_equity_page_says_why_a_large_groups_rates_are_withheld(tmp_path: Path, use_db,
                                                                 app_factory) -> None:
    """Worked out by hand: 82 eligible interns, 35 offered. Non-binary (6) and not recorded (6)
    are hidden for size; together they are 12 students but 0 offers, so female's offers (15)
    would give the hidden pair's offer count as 35 - 20 - 15 = 0: female's size shows and its
    rates are withheld. The page must say so rather than drop the group silently."""
    rows = (cohort(40, 20, 15, gender="male") + cohort(30, 15, 10, gender="female")
            + cohort(6, gender="non-binary") + cohort(6))
    path = tmp_path / "withheld.duckdb"
    make_store(path, rows).close()
    store_module.close_all()
    use_db(path)
    app = open_page(app_factory(), "equity")
    assert not app.exception, app.exception
    table = {r["Gender"]: r for r in table_with(app, "Gender")}
    assert table["female"]["Eligible interns"] == "30"
    assert table["male"]["Offer rate"] == "50.0%"
    assert "The rates of female are withheld too" in texts(app)
    assert "2 groups not shown, to protect privacy: fewer than 10 eligible interns, or hidden" in texts(app)


@pytest.mark.parametrize("page", ["overview", "conversion", "evaluations"])
def test_pages_warn_when_the_knowledge_rate_is_under_65_percent(page: str, rich_db_path: Path, use_db,
                                                                app_factory) -> None:
    """220 of 260 eligible interns have a known outcome: 84.6%, no warning for the selection (the
    Conversion page names the one term under 65%); 2023 alone: 20 of 60, a warning."""
    use_db(rich_db_path)
    app = open_page(app_factory(), page)
    overall = "rate of this selection" if page == "knowledge" else "rates rest on a known outcome"
    assert not [w for w in app.warning if overall in w.value]
    if page == "conversion":
        assert any("Summer 2023 (33.3%)" in w.value and WARNING in w.value for w in app.warning)
    app.multiselect(key="flt_year").set_value([2023]).run()
    assert not app.exception, app.exception
    assert any(WARNING in w.value and "only 33.3%" in w.value for w in app.warning)


def test_knowledge_page_shows_the_gate_and_the_follow_up_list(rich_db_path: Path, use_db,
                                                             app_factory) -> None:
    use_db(rich_db_path)
    app = open_page(app_factory(), "knowledge")
    assert not app.exception, app.exception
    assert "Knowledge rate by term, with 95% intervals" in chart_titles(app)
    terms = {r["Term"]: r for r in table_with(app, "Term")}
    assert terms["Summer 2023"]["Knowledge rate"] == "33.3%" and terms["Summer 2023"]["Under 65%"] == "yes"
    assert terms["Summer 2024"]["Knowledge rate"] == "100.0%"
    assert any("Summer 2023 (33.3%)" in w.value for w in app.warning)
    app.toggle(key="knowledge_follow_up").set_value(True).run()
    assert not app.exception, app.exception
    listed = table_with(app, "placement_id")
    assert len(listed) == 40
    store = Store(rich_db_path)
    try:
        actions = [r[0] for r in store.rows("SELECT detail FROM audit_log WHERE action = 'records'")]
    finally:
        store.close()
    assert any("unknown outcome" in str(a) for a in actions)


def test_a_viewer_gets_no_follow_up_list(rich_db_path: Path, use_db, app_factory,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    use_db(rich_db_path)
    viewer = Principal(email="v@u.edu", name="V", role="viewer", universities=("U1",))

    def gate() -> Principal:
        state.set_principal(viewer)
        return viewer

    monkeypatch.setattr(auth, "gate", gate)
    app = open_page(app_factory(), "knowledge")
    assert not app.exception, app.exception
    assert not [t for t in app.toggle if t.key == "knowledge_follow_up"]
    assert access.allowed(LOCAL_ADMIN, access.VIEW_RECORDS)  # the admin of the other tests may
