"""Pages by role (AppTest, through the real login gate): which pages each role is offered, that
a page opened directly refuses a role that may not use it, the no-access and login screens,
public mode, and the Admin page (invite, change, disable, the audit log and its download).

Logins are simulated the way Streamlit hands them to the app: `AppTest.user` is what `st.user`
holds after an OpenID Connect login (the ID token's claims) and `AppTest.secrets` holds an
`[auth]` section, so `auth.gate` runs exactly as in a deployment. The browser tests in
tests/e2e/test_login.py do the same against a real identity provider.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from analytics import access, schema
from analytics.app import auth
from analytics.ingest.load import load_canonical_csv
from analytics.store import Store
from tests.app.conftest import write_tiny_csv

ISSUER = "https://login.example.edu"
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                 "client_id": "dashboard", "client_secret": "secret",
                 "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration"}}
HOME = "Test University"
OTHER = "Canary College"
CANARY_EMPLOYER = "Zanzibar Canary Works"  # only OTHER's students intern there
ALL_TITLES = ["Overview", "Conversion", "Employers", "Universities", "Flows", "Retention",
              "Hiring timeline", "Evaluations & returning", "Equity", "Pay", "Durations", "Data",
              "Knowledge rate", "Upload", "Methodology", "Admin"]
VIEWER_TITLES = [t for t in ALL_TITLES if t not in ("Upload", "Admin")]
ANALYST_TITLES = [t for t in ALL_TITLES if t != "Admin"]
PUBLIC_TITLES = ["Overview", "Conversion", "Employers", "Methodology"]
NOT_ALLOWED = "You are not allowed to use this page"


@pytest.fixture
def two_universities(tmp_path: Path, use_db: Callable[[Path], None],
                     monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny network of conftest.py at HOME, and a copy of it at OTHER whose interns all went
    to CANARY_EMPLOYER, with a viewer and an analyst of HOME invited."""
    home_csv = write_tiny_csv(tmp_path / "home.csv")
    with home_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    other_csv = tmp_path / "other.csv"
    with other_csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(schema.INPUT_NAMES))
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "placement_id": "C" + row["placement_id"],
                             "student_id": "C" + row["student_id"], "university": OTHER,
                             "employer": CANARY_EMPLOYER})
    path = tmp_path / "two.duckdb"
    store = Store(path)
    try:
        load_canonical_csv(store, home_csv)
        load_canonical_csv(store, other_csv)
        access.invite(store, "viewer@test.edu", "viewer", universities=[HOME], name="Vera Viewer")
        access.invite(store, "analyst@test.edu", "analyst", universities=[HOME], name="Ana Analyst")
    finally:
        store.close()
    monkeypatch.setenv("INTERNSHIPS_MIN_CELL", "3")
    monkeypatch.delenv(auth.PUBLIC_ENV, raising=False)
    use_db(path)
    return path


def signed_in(app: AppTest, email: str, *, subject: str | None = None, verified: Any = True,
              name: str | None = None) -> AppTest:
    """The app as Streamlit runs it after `email` signed in with the identity provider."""
    app.secrets.update(AUTH)
    app.user = {"is_logged_in": True, "iss": ISSUER, "sub": subject or f"sub-{email}", "email": email,
                "email_verified": verified, "name": name or email.split("@")[0].title()}
    return app


def link_titles(app: AppTest) -> list[str]:
    return [link.proto.label for link in app.sidebar.get("page_link")]


def go(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"analytics/app/pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def everything_shown(app: AppTest) -> str:
    """Every text of the run: titles, markdown, captions, alerts, metrics, tables and options."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
                 "success"):
        parts.extend(str(e.value) for e in getattr(app, kind))
    parts.extend(f"{m.label} {m.value}" for m in app.metric)
    for frame in app.dataframe:
        parts.append(frame.value.to_csv() if hasattr(frame.value, "to_csv") else str(frame.value))
    for multi in app.multiselect:
        parts.extend(str(o) for o in multi.options)
    for box in app.selectbox:
        parts.extend(str(o) for o in box.options)
    parts.extend(str(e.proto.spec) for e in app.get("plotly_chart"))
    return "\n".join(parts)


# -- local mode -------------------------------------------------------------------------------
def test_local_mode_is_one_local_admin_with_every_page(two_universities: Path, app_factory) -> None:
    app = app_factory().run()
    assert not app.exception, app.exception
    assert link_titles(app) == ALL_TITLES
    assert any("Local mode" in c.value for c in app.sidebar.caption)
    assert not [b for b in app.sidebar.button if b.label == "Log out"]  # no login in local mode
    # The whole network by name: what a viewer of one university must never see is here.
    shown = everything_shown(go(app, "universities")) + everything_shown(go(app, "employers"))
    assert OTHER in shown and CANARY_EMPLOYER in shown


def test_local_mode_refuses_a_visitor_from_another_machine(two_universities: Path, app_factory,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Served on a network address without login (not what `make run` does): another machine's
    # browser is not the local administrator.
    monkeypatch.setattr(auth, "visitor_ip", lambda: "192.0.2.7")
    app = app_factory().run()
    assert not app.exception, app.exception
    assert app.title[0].value == "This dashboard serves its own machine only"
    assert not app.metric and not app.dataframe and not link_titles(app) and not app.sidebar.multiselect


# -- pages by role ----------------------------------------------------------------------------
def test_a_viewer_is_offered_only_its_pages_and_sees_only_its_scope(two_universities: Path,
                                                                    app_factory) -> None:
    app = signed_in(app_factory(), "viewer@test.edu", name="Vera Viewer").run()
    assert not app.exception, app.exception
    assert link_titles(app) == VIEWER_TITLES
    # Who is signed in (the name the identity provider sends), with role and scope.
    assert any(f"Vera Viewer · viewer · {HOME}" in c.value for c in app.sidebar.caption)
    assert "Log out" in [b.label for b in app.sidebar.button]
    # Its own university's 13 placements; the other university's never reach its pages.
    assert {m.label: m.value for m in app.metric}["Placements"] == "13"
    for page in ("overview", "conversion", "employers", "universities", "retention", "timeline", "pay",
                 "durations", "data"):
        go(app, page)
        shown = everything_shown(app)
        assert CANARY_EMPLOYER not in shown, page
        assert OTHER not in shown, page
    # The Data page offers no row-level records to a viewer.
    assert not [t for t in app.toggle if t.label.startswith("Row-level")]


@pytest.mark.parametrize("page", ["upload", "admin"])
def test_a_viewer_opening_a_page_it_may_not_use_sees_not_allowed_and_no_widget(
        two_universities: Path, app_factory, page: str) -> None:
    app = go(signed_in(app_factory(), "viewer@test.edu").run(), page)
    assert NOT_ALLOWED in app.error[0].value
    assert not app.get("file_uploader")
    assert not app.main.get("text_input") and not app.main.get("button") and not app.main.get("dataframe")
    assert not app.sidebar.multiselect  # not even the filters (they list the data's values)


def test_an_analyst_gets_upload_and_row_level_records_but_not_admin(two_universities: Path,
                                                                     app_factory) -> None:
    app = signed_in(app_factory(), "analyst@test.edu").run()
    assert link_titles(app) == ANALYST_TITLES
    go(app, "data")
    toggle = next(t for t in app.toggle if t.label.startswith("Row-level"))
    toggle.set_value(True).run()
    assert not app.exception, app.exception
    records = app.dataframe[-1].value
    assert len(records) == 13 and set(records["university"]) == {HOME}
    go(app, "upload")
    assert app.get("file_uploader")
    go(app, "admin")
    assert NOT_ALLOWED in app.error[0].value


def test_an_uninvited_login_sees_no_access_yet_and_no_data(two_universities: Path, app_factory) -> None:
    app = signed_in(app_factory(), "stranger@elsewhere.org").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "You have no access yet"
    assert "stranger@elsewhere.org" in app.info[0].value
    assert not app.metric and not app.dataframe and not app.get("plotly_chart")
    assert not link_titles(app) and not app.sidebar.multiselect
    store = Store(two_universities)
    try:
        log = access.audit_log(store)
    finally:
        store.close()
    refused = log.filter(log["action"] == "login refused")
    assert refused["principal"].to_list() == ["stranger@elsewhere.org"]


def test_an_unverified_email_does_not_take_an_invitation(two_universities: Path, app_factory) -> None:
    # The provider says the address is not verified ("false" as a string, as some send it):
    # anyone could have typed it, so the invitation stays unbound.
    app = signed_in(app_factory(), "viewer@test.edu", verified="false").run()
    assert app.title[0].value == "You have no access yet"
    assert not app.metric


def test_a_bound_invitation_is_not_taken_over_by_another_identity(two_universities: Path,
                                                                   app_factory) -> None:
    first = signed_in(app_factory(), "viewer@test.edu", subject="alice").run()
    assert link_titles(first) == VIEWER_TITLES
    # Same verified email, another subject (another account at the provider): no access.
    second = signed_in(app_factory(), "viewer@test.edu", subject="mallory").run()
    assert second.title[0].value == "You have no access yet"


def test_not_signed_in_shows_the_login_screen_only(two_universities: Path, app_factory) -> None:
    app = app_factory()
    app.secrets.update(AUTH)
    app.user = {"is_logged_in": False}
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Internship outcomes"
    assert [b.label for b in app.button] == ["Log in"]
    assert not app.metric and not link_titles(app)


def test_public_mode_offers_the_public_pages_with_a_staff_login(two_universities: Path, app_factory,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.PUBLIC_ENV, "1")
    app = app_factory()
    app.secrets.update(AUTH)
    app.user = {"is_logged_in": False}
    app.run()
    assert not app.exception, app.exception
    assert link_titles(app) == PUBLIC_TITLES
    assert "Staff login" in [b.label for b in app.sidebar.button]
    for page in ("data", "upload", "admin", "universities"):
        go(app, page)
        assert NOT_ALLOWED in app.error[0].value, page
        assert not app.get("download_button"), page


# -- the Admin page ---------------------------------------------------------------------------
def _admin(app_factory) -> AppTest:
    app = go(app_factory().run(), "admin")  # local mode: the local administrator
    assert app.title[0].value == "Admin: users and the audit log"
    return app


def _table(app: AppTest, column: str) -> Any:
    """The page's table that has this column (st.dataframe keys do not reach AppTest)."""
    found = [f.value for f in app.dataframe if column in f.value.columns]
    assert len(found) == 1, [list(f.value.columns) for f in app.dataframe]
    return found[0]


def _users(app: AppTest) -> dict[str, dict[str, str]]:
    frame = _table(app, "Email")
    return {row["Email"]: row for row in frame.to_dict("records")}


def test_admin_invites_a_user_with_a_role_and_scope(two_universities: Path, app_factory) -> None:
    app = _admin(app_factory)
    assert set(_users(app)) == {"viewer@test.edu", "analyst@test.edu"}
    app.text_input(key="admin_invite_email").input("New.Person@Test.edu")
    app.selectbox(key="admin_invite_role").select("analyst")
    app.multiselect(key="admin_invite_universities").select(OTHER)
    app.multiselect(key="admin_invite_employers").select(CANARY_EMPLOYER)
    next(b for b in app.button if b.label == "Invite").click().run()
    assert not app.exception, app.exception
    assert "Invited new.person@test.edu as analyst" in app.success[0].value
    row = _users(app)["new.person@test.edu"]
    # The scope holds the employer's key; the table shows the data's own spelling of it.
    assert (row["Role"], row["Universities"], row["Employers"]) == ("analyst", OTHER, CANARY_EMPLOYER)
    assert row["Has signed in"] == "no"
    # The invitation is in the audit log, by the local administrator.
    audit = _table(app, "Action")
    newest = audit.iloc[0]
    assert (newest["Principal"], newest["Action"]) == ("local", "invite")
    assert "new.person@test.edu as analyst" in newest["Detail"]


def test_admin_refuses_a_bad_invitation_with_one_line(two_universities: Path, app_factory) -> None:
    app = _admin(app_factory)
    app.text_input(key="admin_invite_email").input("viewer@test.edu")
    next(b for b in app.button if b.label == "Invite").click().run()
    assert not app.exception
    assert "already a user" in app.error[0].value
    app.text_input(key="admin_invite_email").input("not an address")
    next(b for b in app.button if b.label == "Invite").click().run()
    assert "not an email address" in app.error[0].value


def test_admin_changes_a_role_and_disables_a_user(two_universities: Path, app_factory) -> None:
    app = _admin(app_factory)
    app.selectbox(key="admin_edit_user").select("viewer@test.edu").run()
    key = f"admin_edit_{sorted(_users(app)).index('viewer@test.edu')}"
    app.selectbox(key=f"{key}_role").select("analyst")
    app.toggle(key=f"{key}_disabled").set_value(True)
    next(b for b in app.button if b.label == "Save changes").click().run()
    assert not app.exception, app.exception
    row = _users(app)["viewer@test.edu"]
    assert (row["Role"], row["Disabled"], row["Universities"]) == ("analyst", "yes", HOME)
    # A disabled user's next sign-in is refused.
    refused = signed_in(app_factory(), "viewer@test.edu").run()
    assert refused.title[0].value == "You have no access yet"


def test_admin_filters_the_audit_log(two_universities: Path,
                                                                   app_factory) -> None:
    store = Store(two_universities)
    try:
        access.audit(store, access.LOCAL_ADMIN, "export", detail="summary CSV")
    finally:
        store.close()
    app = _admin(app_factory)
    everything = _table(app, "Action")
    # the fixture's own import is audited too
    assert set(everything["Action"]) == {"invite", "export", "upload"}
    app.selectbox(key="admin_audit_action").select("export").run()
    only = _table(app, "Action")
    assert list(only["Action"]) == ["export"]
    app.text_input(key="admin_audit_principal").input("nobody@test.edu").run()
    assert any(c.value.startswith("0 entries") for c in app.caption)
    assert app.get("download_button")[0].proto.disabled  # nothing to download
