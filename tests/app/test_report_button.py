"""AppTests: the "Download report" widget makes a file of the page's scope and filter, audited."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from streamlit.testing.v1 import AppTest

from analytics import access
from analytics.app import report_button
from analytics.store import Store
from tests.app.test_pages import open_page


def saved(app: AppTest, key: str) -> tuple[object, bytes, str, str]:
    held = app.session_state[f"report_file_{key}"]
    assert held is not None
    return held  # type: ignore[no-any-return]


def audit_events(path: Path) -> int:
    store = Store(path, read_only=True)
    try:
        return access.audit_log(store, action="report").height
    finally:
        store.close()


@pytest.fixture
def sample_copy(tmp_path: Path, sample_db_path: Path) -> Path:
    """A copy of the sample database: reports write to the audit log, and the shared sample's
    log should not depend on which tests ran before."""
    copy = tmp_path / "sample.duckdb"
    copy.write_bytes(sample_db_path.read_bytes())
    return copy


def test_the_overview_button_makes_an_html_report_of_the_filter(sample_copy: Path, use_db,
                                                                 app_factory) -> None:
    use_db(sample_copy)
    app = open_page(app_factory(), "overview")
    assert not app.exception, app.exception
    assert not app.get("download_button")  # nothing is made before the click
    app.radio(key="overview_report_format").set_value("HTML")
    app.button(key="overview_report_make").click().run()
    assert not app.exception, app.exception
    _, data, name, _ = saved(app, "overview_report")
    html = data.decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "The whole network" in html
    assert "5,000" in html  # the shipped sample's placements, as on the Placements card
    assert name.startswith("internships-report-network-") and name.endswith(".html")
    buttons = app.get("download_button")
    assert [b.proto.label for b in buttons] == [f"Save {name}"]


def test_the_universities_button_makes_a_pdf_of_the_chosen_university(sample_copy: Path, use_db,
                                                                       app_factory) -> None:
    use_db(sample_copy)
    app = open_page(app_factory(), "universities")
    assert not app.exception, app.exception
    university = str(app.selectbox(key="university_pick").value)
    app.button(key="universities_report_make").click().run()
    assert not app.exception, app.exception
    _, data, name, _ = saved(app, "universities_report")
    assert data.startswith(b"%PDF")
    first = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert f"University: {university}" in " ".join(first.split())
    assert name.endswith(".pdf") and report_button.BUTTON_LABEL == "Download report"


def test_a_report_from_the_app_is_audited(sample_copy: Path, use_db, app_factory) -> None:
    copy = sample_copy
    assert audit_events(copy) == 0
    use_db(copy)
    app = open_page(app_factory(), "employers")
    assert not app.exception, app.exception
    app.radio(key="employers_report_format").set_value("HTML")
    app.button(key="employers_report_make").click().run()
    assert not app.exception, app.exception
    assert saved(app, "employers_report")[1].startswith(b"<!DOCTYPE html>")
    from tests.app.conftest import _clear

    _clear()  # release the app's hold on the file before reading its audit log
    assert audit_events(copy) == 1


@pytest.fixture(autouse=True)
def _fast_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The widget's job is the file and its audit, not the drawing (tests/reports draws charts):
    without a browser the report comes with tables in place of charts, in a fraction of the time."""
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
