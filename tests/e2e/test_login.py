"""Logins in a real browser against a real OpenID Connect provider (oidc-provider-mock on a free
loopback port), with the app started as a deployment runs it: a secrets.toml whose [auth]
section points at the provider.

- A viewer of one university signs in, sees its own university's figures and no trace of
  another university, cannot open Upload by URL (it reads "not allowed", with no uploader), and
  logs out.
- An analyst signs in, uploads a file of its university's placements and undoes it.
- A login nobody invited sees "no access yet" and no data.
- Public mode: anonymous visitors get the public pages only, with a staff login.

Expected figures come from the sample CSV, counted with the csv module (tests/e2e/facts.py).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import facts, ui
from tests.e2e.oidc import Provider, start_provider, write_secrets
from tests.e2e.server import AppServer, build_database, free_port, start_app
from tests.e2e.test_upload import LOAD_LABEL, LONG_MS, SUCCESS, UNDO_LABEL, UNDO_SELECT_LABEL, UPLOAD_LABEL

pytestmark = pytest.mark.e2e

HOME = "Northfield State University"  # the viewer's and the analyst's university
CANARY = "Lakeshore Institute of Technology"  # another university: never shown to them


@dataclass(frozen=True)
class User:
    sub: str  # the provider's subject, and the text of its button on the provider's page
    email: str
    name: str


VIEWER = User("viewer", "viewer@northfield.edu", "Vera Viewer")
ANALYST = User("analyst", "analyst@northfield.edu", "Ana Analyst")
STRANGER = User("stranger", "stranger@elsewhere.org", "Sam Stranger")
NOT_ALLOWED = "You are not allowed to use this page"
NO_ACCESS = "You have no access yet"
PUBLIC_TITLES = ["Overview", "Conversion", "Employers", "Methodology"]
VIEWER_TITLES = ["Overview", "Conversion", "Employers", "Universities", "Flows", "Retention",
                 "Hiring timeline", "Evaluations & returning", "Equity", "Pay", "Durations", "Data",
                 "Knowledge rate", "Methodology"]


def home_rows() -> int:
    return facts.count(facts.sample_rows(), lambda row: row["university"] == HOME)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    users = [{"sub": u.sub, "email": u.email, "email_verified": True, "name": u.name}
             for u in (VIEWER, ANALYST, STRANGER)]
    started = start_provider(users, log_path=tmp_path_factory.mktemp("oidc") / "oidc.log")
    yield started
    started.stop()


def _login_app(tmp: Path, provider: Provider, *, public: bool = False) -> AppServer:
    """The app on a fresh copy of the sample, login configured, the viewer and analyst invited."""
    from analytics import access
    from analytics.store import Store

    db_path = build_database(tmp / "login.duckdb")
    store = Store(db_path)
    try:
        access.invite(store, VIEWER.email, "viewer", universities=[HOME])
        access.invite(store, ANALYST.email, "analyst", universities=[HOME])
    finally:
        store.close()
    port = free_port()
    secrets_path = write_secrets(tmp / "secrets.toml", provider, port)
    return start_app(db_path, log_path=tmp / "app.log", port=port,
                     args=["--secrets.files", str(secrets_path)],
                     env={"INTERNSHIPS_PUBLIC": "1" if public else ""})


@pytest.fixture(scope="module")
def login_app(tmp_path_factory: pytest.TempPathFactory, provider: Provider) -> Iterator[AppServer]:
    server = _login_app(tmp_path_factory.mktemp("login-app"), provider)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def public_app(tmp_path_factory: pytest.TempPathFactory, provider: Provider) -> Iterator[AppServer]:
    server = _login_app(tmp_path_factory.mktemp("public-app"), provider, public=True)
    yield server
    server.stop()


def sign_in(page: Page, app: AppServer, provider: Provider, user: User, button: str = "Log in") -> None:
    """Click the app's login button, pick `user` on the provider's page, and wait until the app
    has run as that user."""
    ui.open_page(page, app.url)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda url: url.startswith(f"{provider.url}/oauth2/authorize"))
    page.get_by_role("button", name=user.sub, exact=True).click()
    page.wait_for_url(lambda url: url.startswith(app.url) and "oauth2callback" not in url)
    ui.wait_settled(page)


def placements(page: Page) -> str:
    return ui.metric_value(page, "Placements")


def everything_text(page: Page) -> str:
    return page.locator("body").inner_text()


def test_a_viewer_sees_only_its_scope_cannot_open_upload_and_logs_out(
        login_app: AppServer, provider: Provider, page: Page) -> None:
    sign_in(page, login_app, provider, VIEWER)
    sidebar = page.locator(ui.SIDEBAR)
    expect(sidebar).to_contain_text(f"{VIEWER.name} · viewer · {HOME}")
    expect(page.locator(ui.NAV_LINK)).to_have_count(len(VIEWER_TITLES))
    assert ui.nav_titles(page) == VIEWER_TITLES
    # Its own university's placements, counted from the sample.
    assert ui.number(placements(page)) == home_rows()
    assert CANARY not in everything_text(page)
    ui.go_to(page, "Universities")
    ui.shown(page, page.locator(f"{ui.MAIN} h1"))
    ui.wait_for_plotly(page)
    assert CANARY not in everything_text(page)
    ui.assert_no_exception(page)

    # Upload opened by URL (a new session, still signed in through the cookie): refused.
    ui.open_page(page, login_app.url, "upload")
    expect(page.locator(ui.ERROR_ALERT)).to_contain_text(NOT_ALLOWED)
    expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
    expect(page.get_by_role("button", name=LOAD_LABEL)).to_have_count(0)

    # Log out: through the provider's end-session page, back to the app's login screen.
    page.locator(ui.SIDEBAR).get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: url.startswith(f"{provider.url}/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(lambda url: url.startswith(login_app.url) and "oauth2callback" not in url)
    ui.wait_settled(page)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
    assert VIEWER.name not in everything_text(page)


def test_an_analyst_uploads_a_file_for_its_university_and_undoes_it(
        login_app: AppServer, provider: Provider, page: Page, tmp_path: Path) -> None:
    # Twelve placements of its university, new students (new ids, so no duplicates).
    rows = [dict(row) for row in facts.sample_rows() if row["university"] == HOME][:12]
    upload = tmp_path / "northfield-new.csv"
    with upload.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({**row, "placement_id": f"NEW{i:03d}", "student_id": f"NEWSTUDENT{i:03d}"})
    before = home_rows()

    sign_in(page, login_app, provider, ANALYST)
    expect(page.locator(ui.SIDEBAR)).to_contain_text(f"{ANALYST.name} · analyst · {HOME}")
    # The caption and the page links arrive in separate deltas: wait for the links (one CI run
    # read the navigation while it was still empty).
    expect(page.locator(ui.NAV_LINK, has_text="Upload")).to_be_visible()
    assert "Upload" in ui.nav_titles(page) and "Admin" not in ui.nav_titles(page)
    assert ui.number(placements(page)) == before

    ui.go_to(page, "Upload")
    uploader = ui.shown(page, ui.widget(page, UPLOAD_LABEL, "stFileUploader"))
    ui.rerun(page, lambda: uploader.locator('input[type="file"]').set_input_files(str(upload)),
             timeout=LONG_MS)
    expect(ui.metric(page, "Would load")).to_be_visible(timeout=LONG_MS)
    assert ui.number(ui.metric_value(page, "Would load")) == len(rows)
    page.get_by_role("button", name=LOAD_LABEL).click()
    success = ui.shown(page, page.locator(SUCCESS).filter(has_text="loaded"), timeout=LONG_MS)
    found = re.search(r"loaded ([\d,]+) as batch (\d+)", success.first.inner_text())
    assert found, success.first.inner_text()
    loaded, batch = int(found.group(1).replace(",", "")), int(found.group(2))
    assert loaded == len(rows)
    ui.go_to(page, "Overview")
    expect(ui.metric(page, "Placements").locator('[data-testid="stMetricValue"]')).to_have_text(
        f"{before + loaded:,}")

    ui.go_to(page, "Upload")
    undo_box = ui.shown(page, ui.widget(page, UNDO_SELECT_LABEL, "stSelectbox"))
    ui.choose_in_selectbox(page, undo_box, f"#{batch} {upload.name} ({loaded:,} rows)")
    page.get_by_role("button", name=UNDO_LABEL).click()
    undone = ui.shown(page, page.locator(SUCCESS).filter(has_text=f"Undid batch {batch}"), timeout=LONG_MS)
    expect(undone).to_contain_text(f"removed {loaded:,} placements")
    ui.go_to(page, "Overview")
    expect(ui.metric(page, "Placements").locator('[data-testid="stMetricValue"]')).to_have_text(f"{before:,}")
    ui.assert_no_exception(page)


def test_an_uninvited_login_sees_no_access_yet_and_no_data(
        login_app: AppServer, provider: Provider, page: Page) -> None:
    sign_in(page, login_app, provider, STRANGER)
    expect(page.locator(f"{ui.MAIN} h1")).to_contain_text(NO_ACCESS)
    expect(page.locator(ui.MAIN)).to_contain_text(STRANGER.email)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(0)
    expect(page.locator(ui.TABLE)).to_have_count(0)
    assert ui.nav_titles(page) == []
    # A page's URL shows the same screen: there is nothing to open.
    ui.open_page(page, login_app.url, "data")
    expect(page.locator(f"{ui.MAIN} h1")).to_contain_text(NO_ACCESS)
    expect(page.locator(ui.TABLE)).to_have_count(0)
    assert HOME not in everything_text(page) and CANARY not in everything_text(page)


def test_public_mode_shows_only_the_public_pages_with_a_staff_login(
        public_app: AppServer, provider: Provider, page: Page) -> None:
    ui.open_page(page, public_app.url)
    expect(page.locator(ui.SIDEBAR).get_by_role("button", name="Staff login")).to_be_visible()
    expect(page.locator(ui.NAV_LINK)).to_have_count(len(PUBLIC_TITLES))
    assert ui.nav_titles(page) == PUBLIC_TITLES
    expect(page.locator(f"{ui.MAIN} h1")).to_contain_text("Internship outcomes overview")
    # The network's figures (perturbed by the disclosure gate, so no exact count is asserted).
    ui.figure(page, "Conversion funnel")
    for path in ("data", "upload", "admin", "universities"):
        ui.open_page(page, public_app.url, path)
        expect(page.locator(ui.ERROR_ALERT)).to_contain_text(NOT_ALLOWED)
        expect(page.locator('[data-testid="stDownloadButton"]')).to_have_count(0)
        expect(page.locator('[data-testid="stFileUploader"]')).to_have_count(0)
    # Staff sign in from the public pages and get their role's pages.
    sign_in(page, public_app, provider, VIEWER, button="Staff login")
    expect(page.locator(ui.SIDEBAR)).to_contain_text(f"{VIEWER.name} · viewer · {HOME}")
    expect(page.locator(ui.NAV_LINK)).to_have_count(len(VIEWER_TITLES))
    assert ui.nav_titles(page) == VIEWER_TITLES
