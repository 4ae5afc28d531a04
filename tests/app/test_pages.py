"""AppTests: every page on the sample, on an empty database and on a tiny hand-checked one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGES = {
    "overview": "Internship outcomes overview",
    "conversion": "Conversion: offers, acceptances and hires",
    "employers": "Employers: who converts their interns",
    "universities": "Universities: outcomes by employer",
    "flows": "Flows: from university to employer to outcome",
    "pay": "Pay: what interns earn",
    "durations": "Durations: how long internships last",
    "data": "Data: the filtered placements as a table",
    "methodology": "Methodology: how every number is made",
}
# The main chart of each page, by title (the browser tests find charts the same way).
MAIN_CHARTS = {
    "overview": "Conversion rate by term, with 95% intervals",
    "conversion": "Conversion rate by term, with 95% intervals",
    "employers": "Employers' conversion rate against cohort size, with 95% and 99.8% control limits",
    "universities": "Conversion rate by university, with 95% intervals",
    "flows": "Eligible interns from university to employer to outcome",
    "pay": "Paid and unpaid internships by term (share of placements)",
    "durations": "Internship length in weeks (number of placements)",
}


def open_page(app: AppTest, page: str) -> AppTest:
    app.run()
    if page != "overview":
        app.switch_page(f"analytics/app/pages/{page}.py").run()
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def chart_titles(app: AppTest) -> list[str]:
    titles = []
    for element in app.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        titles.append(spec["layout"]["title"]["text"])
    return titles


def texts(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "title", "subheader")
             for e in getattr(app, kind)]
    return "\n".join(str(p) for p in parts)


# -- every page, sample and empty -----------------------------------------------------------------
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_on_the_sample(page: str, sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), page)
    assert not app.exception, app.exception
    assert app.title[0].value == PAGES[page]
    if page in MAIN_CHARTS:
        assert MAIN_CHARTS[page] in chart_titles(app)
    assert not app.error
    if page == "overview":  # the shipped sample holds 5,000 placements
        assert metrics(app)["Placements"] == "5,000"


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_explains_an_empty_database(page: str, tmp_path: Path, use_db, app_factory) -> None:
    use_db(tmp_path / "empty.duckdb")
    app = open_page(app_factory(), page)
    assert not app.exception, app.exception
    assert app.title[0].value == PAGES[page]
    if page != "methodology":
        assert "no placements yet" in app.info[0].value
        assert "Load sample data" in [b.label for b in app.button]
        assert not app.get("plotly_chart")


def test_load_sample_button_fills_an_empty_database(tmp_path: Path, use_db, app_factory) -> None:
    use_db(tmp_path / "empty.duckdb")
    app = open_page(app_factory(), "overview")
    app.button(key="load_sample").click().run()
    assert not app.exception
    assert metrics(app)["Placements"] == "5,000"
    # the sidebar now offers the sample's years
    assert "2019" in app.sidebar.multiselect(key="flt_year").options


# -- the tiny database: KPIs worked out by hand (see TINY_ROWS in conftest.py) ----------------------
@pytest.fixture
def tiny(tiny_db_path: Path, use_db, monkeypatch: pytest.MonkeyPatch) -> Path:
    # 13 placements: below the default threshold of 10 in every term, so lower it for this network.
    monkeypatch.setenv("INTERNSHIPS_MIN_CELL", "3")
    use_db(tiny_db_path)
    return tiny_db_path


def test_overview_shows_hand_worked_kpis(tiny: Path, app_factory) -> None:
    app = open_page(app_factory(), "overview")
    assert not app.exception
    values = metrics(app)
    # 13 placements; eligible = completed, final year, not continuing education = 9;
    # offers 6, accepted 4 -> conversion 4/9, offer 6/9, acceptance 4/6.
    assert values["Placements"] == "13"
    assert values["Conversion rate"] == "44.4%"
    assert values["Offer rate"] == "66.7%"
    assert values["Acceptance rate"] == "66.7%"
    # 9 of 13 paid; hourly pay of the 9 paid: 18 20 21 22 24 25 26 28 30 -> median 24.
    assert values["Paid share"] == "69.2%"
    assert values["Median hourly pay"] == "24.00 USD"
    # weeks 6 8 10 10 10 10 11 12 12 12 12 12 12 -> median 11; 11 of 13 at 40 hours -- but only
    # 2 part-time students, under the threshold of 3: 84.6% of 13 would give them away, so no share.
    assert values["Median length"] == "11.0 weeks"
    assert values["Full-time share"] == "n/a"
    # Summer 2025 against Summer 2024: 7 vs 6 placements, conversion 3/6 vs 1/3.
    deltas = {m.label: m.delta for m in app.metric}
    assert deltas["Placements"] == "+1"
    assert deltas["Conversion rate"] == "+16.7 pts"
    assert "vs Summer 2024" in [m.proto.delta_description for m in app.metric]
    assert app.selectbox(key="overview_compare").value == "Summer 2025"
    # Wilson 95% interval for 4 of 9: 18.9% to 73.3%.
    assert "95% CI 18.9–73.3% · n = 9 eligible interns" in [c.value for c in app.caption]


def test_changing_a_filter_changes_the_numbers(tiny: Path, app_factory) -> None:
    app = open_page(app_factory(), "overview")
    app.sidebar.multiselect(key="flt_year").set_value([2025]).run()
    assert not app.exception
    values = metrics(app)
    # 2025: 7 placements; eligible 6, offers 4, accepted 3.
    assert values["Placements"] == "7"
    assert values["Conversion rate"] == "50.0%"
    assert values["Offer rate"] == "66.7%"
    assert values["Acceptance rate"] == "75.0%"
    # paid 5 of 7: 2 unpaid students, under the threshold of 3, so no paid share (it would give
    # them away); pay 18 21 25 26 28 -> median 25
    assert values["Paid share"] == "n/a"
    assert values["Median hourly pay"] == "25.00 USD"
    # and the URL now carries the filter
    assert app.query_params.get("year") == "2025"


def test_query_parameters_restore_a_filter_on_any_page(tiny: Path, app_factory) -> None:
    app = app_factory()
    app.query_params["year"] = "2025"
    app.query_params["employer"] = "acme"  # retyped by hand: matched case-insensitively
    app.run()
    assert not app.exception
    assert app.sidebar.multiselect(key="flt_year").value == [2025]
    assert app.sidebar.multiselect(key="flt_employer").value == ["Acme"]
    # Acme 2025: 4 placements (B1 B2 B5 B7), all eligible. But the 2025 employer comparison hides
    # Beta (2 eligible) and, as its complement, Acme: Acme's 2025 outcomes would give Beta's by
    # subtraction, so the page shows the placements and explains why conversion is not shown.
    assert metrics(app)["Placements"] == "4"
    assert metrics(app)["Conversion rate"] == "fewer than 3"
    assert "comparison of its peers hides" in texts(app)
    # the filter follows to another page and stays in the URL; Acme over every year is visible
    # (Beta has 3 eligible interns there): 7 placements, 6 eligible, 4 of them accepted.
    app.sidebar.multiselect(key="flt_year").set_value([]).run()
    app.switch_page("analytics/app/pages/data.py").run()
    assert not app.exception
    assert app.sidebar.multiselect(key="flt_employer").value == ["Acme"]
    assert app.query_params.get("employer") == "Acme"
    assert "7 placements" in texts(app)


def test_a_filter_matching_nothing_offers_to_clear(tiny: Path, app_factory) -> None:
    app = app_factory()
    app.query_params.update({"employer": "Acme", "paid": "no"})  # every Acme internship was paid
    open_page(app, "conversion")
    assert not app.exception
    assert "No placements match these filters (Acme, unpaid only)" in app.warning[0].value
    app.button(key="clear_all").click().run()
    assert not app.exception
    assert app.sidebar.multiselect(key="flt_employer").value == []
    assert not app.warning
    assert "employer" not in app.query_params


def test_the_sidebar_clear_button_resets_every_filter(tiny: Path, app_factory) -> None:
    app = app_factory()
    app.query_params.update({"year": "2024", "paid": "yes"})
    open_page(app, "overview")
    assert app.sidebar.radio(key="flt_paid").value == "Yes"
    app.sidebar.button[0].click().run()
    assert app.sidebar.multiselect(key="flt_year").value == []
    assert app.sidebar.radio(key="flt_paid").value == "Any"
    assert metrics(app)["Placements"] == "13"


def test_a_selection_under_the_threshold_is_not_shown(tiny_db_path: Path, use_db, app_factory) -> None:
    use_db(tiny_db_path)  # default threshold 10: the whole 13-placement network has 13 students,
    app = app_factory()   # but Acme in 2024 has 3
    app.query_params.update({"year": "2024", "employer": "Acme"})
    open_page(app, "overview")
    assert not app.exception
    assert "fewer than 10 students" in app.warning[0].value
    assert not app.metric


def test_suppressed_rates_read_fewer_than_n(tiny: Path, app_factory) -> None:
    app = app_factory()
    app.query_params["paid"] = "no"  # 4 unpaid placements; 1 eligible intern (under 3)
    open_page(app, "overview")
    assert not app.exception
    assert metrics(app)["Conversion rate"] == "fewer than 3"


# -- page-specific behaviour --------------------------------------------------------------------------
def test_conversion_page_switches_dimension_and_method(sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "conversion")
    app.selectbox(key="conversion_dimension").set_value("Role family").run()
    assert "Conversion rate by role family, with 95% intervals" in chart_titles(app)
    app.radio(key="conversion_method").set_value("Employer mean").run()
    assert not app.exception
    title = "Conversion rate by role family (mean of employers' rates), with 95% intervals"
    assert title in chart_titles(app)
    assert "Employers" in app.dataframe[0].value.columns


def test_employers_page_has_ranking_and_profile(sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "employers")
    ranking = app.dataframe[0].value
    assert list(ranking.columns[:3]) == ["Rank", "Employer", "Eligible interns"]
    assert ranking["Rank"].iloc[0] == "1"
    employer = app.selectbox(key="employer_profile").options[1]
    app.selectbox(key="employer_profile").set_value(employer).run()
    assert not app.exception
    assert f"Conversion rate by term: {employer} against the whole network" in chart_titles(app)


def test_data_page_offers_downloads_and_row_level(sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "data")
    table = app.dataframe[0].value
    assert list(table.columns[:2]) == ["Term", "Placements"]
    downloads = [b.label for b in app.get("download_button")] if app.get("download_button") else []
    assert {"Download CSV", "Download Excel"} <= set(downloads) or len(app.get("download_button")) >= 2
    app.multiselect(key="data_group_by").set_value(["University", "Paid"]).run()
    assert list(app.dataframe[0].value.columns[:2]) == ["University", "Paid"]
    app.toggle(key="data_row_level").set_value(True).run()
    assert not app.exception
    records = app.dataframe[1].value
    assert len(records) == 1000
    assert "employer" in records.columns


def test_pay_page_offers_a_currency_choice_when_several(sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "pay")
    options = app.selectbox(key="pay_currency").options
    assert [o.split()[0] for o in options] == ["USD", "CAD"]  # most paid placements first
    app.selectbox(key="pay_currency").set_value("CAD").run()
    assert not app.exception
    assert "Hourly-equivalent pay by role family (CAD per hour): median and middle half" in chart_titles(app)


def test_methodology_draws_on_the_code(sample_db_path: Path, use_db, app_factory) -> None:
    from analytics import metrics as metrics_module

    use_db(sample_db_path)
    app = open_page(app_factory(), "methodology")
    body = texts(app)
    for text in list(metrics_module.DEFINITIONS.values())[:3]:
        assert text in body
    assert "fewer than 10" in body


@pytest.mark.parametrize("page", [p for p in PAGES if p != "methodology"])
def test_every_page_explains_a_filter_matching_nothing(page: str, tiny: Path, app_factory) -> None:
    app = app_factory()
    app.query_params.update({"employer": "Acme", "paid": "no"})
    open_page(app, page)
    assert not app.exception, app.exception
    assert "No placements match these filters" in app.warning[0].value
    assert "Clear all filters" in [b.label for b in app.button]
    assert not app.get("plotly_chart")


def test_junk_query_parameters_are_ignored_and_dropped_from_the_url(tiny: Path, app_factory) -> None:
    app = app_factory()
    app.query_params.update({"year": ["2025", "abc"], "season": "monsoon", "paid": "maybe",
                             "university": "Nowhere U"})
    open_page(app, "overview")
    assert not app.exception
    assert app.sidebar.multiselect(key="flt_year").value == [2025]
    assert app.sidebar.multiselect(key="flt_university").value == []
    assert app.sidebar.radio(key="flt_paid").value == "Any"
    assert app.query_params == {"year": "2025"}
    assert metrics(app)["Placements"] == "7"


def test_the_empty_state_links_to_the_upload_page_when_there_is_one(
    tmp_path: Path, use_db, app_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analytics.app import navigation

    # The upload page belongs to the import feature; stand in any registered page for it.
    monkeypatch.setattr(navigation, "UPLOAD_PAGE", navigation.PAGES_DIR / "methodology.py")
    use_db(tmp_path / "empty.duckdb")
    app = open_page(app_factory(), "conversion")
    assert not app.exception
    links = app.main.get("page_link")
    assert [link.proto.label for link in links] == ["Upload a file"]
    assert links[0].proto.page == "methodology"


def test_a_choice_removed_by_a_filter_falls_back_instead_of_failing(sample_db_path: Path, use_db,
                                                                     app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "overview")
    app.selectbox(key="overview_compare").set_value("Fall 2024").run()
    assert metrics(app)["Placements"] == "5,000"
    app.sidebar.multiselect(key="flt_season").set_value(["summer"]).run()
    assert not app.exception
    assert app.selectbox(key="overview_compare").value == "Summer 2025"


def test_pages_without_filters_keep_them_for_the_next_page(tiny: Path, app_factory) -> None:
    app = app_factory()
    app.query_params["year"] = "2025"
    open_page(app, "methodology")
    assert not app.exception
    assert not app.sidebar.multiselect  # no filter widgets where they do not apply
    assert any("Filters" in c.value and "2025" in c.value for c in app.sidebar.caption)
    assert app.query_params.get("year") == "2025"
    app.switch_page("analytics/app/pages/overview.py").run()
    assert app.sidebar.multiselect(key="flt_year").value == [2025]
    assert metrics(app)["Placements"] == "7"
    app.sidebar.multiselect(key="flt_year").set_value([2024]).run()
    app.switch_page("analytics/app/pages/methodology.py").run()
    app.switch_page("analytics/app/pages/conversion.py").run()
    assert app.sidebar.multiselect(key="flt_year").value == [2024]
    assert app.query_params.get("year") == "2024"
