"""Pages as a scoped user sees them (AppTest): no other university's data on any page, no row-level
records or upload for a viewer, the Universities page limited to the user's own universities.

The session's principal is set by the login gate; here the gate is replaced by one that signs in
the user under test (the real gate's OIDC path is the login tests' business), so every page runs
exactly as it would for that principal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from analytics import access
from analytics.access import LOCAL_ADMIN, Principal
from analytics.app import auth, state
from analytics.store import Store
from tests.access_world import (
    A_PROGRAMS,
    ANALYST_A,
    VIEWER_A,
    A,
    B,
    build_world,
    canaries,
    leaked,
    user,
)

UPLOAD_PAGE = str(Path(__file__).resolve().parents[2] / "analytics" / "app" / "pages" / "upload.py")
PAGES = ("overview", "conversion", "employers", "universities", "flows", "retention", "timeline",
         "evaluations", "equity", "pay", "durations", "data", "knowledge", "methodology")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("access_pages"))


@pytest.fixture(scope="module")
def people(world: Path) -> dict[str, Any]:
    store = Store(world)
    try:
        return {"viewer": user(store, VIEWER_A), "analyst": user(store, ANALYST_A),
                "admin": LOCAL_ADMIN, "b_canaries": canaries(store, B), "a_canaries": canaries(store, A)}
    finally:
        store.close()


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch, use_db: Callable[[Path], None],
            world: Path) -> Iterator[Callable[[Principal], None]]:
    use_db(world)

    def sign_in(who: Principal) -> None:
        def gate() -> Principal:
            state.set_principal(who)
            return who
        monkeypatch.setattr(auth, "gate", gate)

    yield sign_in


def _protos(node: Any) -> Iterator[bytes]:
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "SerializeToString"):
        yield proto.SerializeToString()
    for child in getattr(node, "children", {}).values():
        yield from _protos(child)


def output(app: AppTest) -> bytes:
    """Everything the page sent to the browser: text, tables (Arrow), charts (JSON), widgets."""
    return b"\n".join(_protos(app._tree))


def open_page(app_factory: Callable[[], AppTest], page: str) -> AppTest:
    app = app_factory()
    app.run()
    if page != "overview":
        app.switch_page(f"analytics/app/pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def page_outputs(app_factory: Callable[[], AppTest], who: Principal) -> dict[str, bytes]:
    seen: dict[str, bytes] = {}
    for page in PAGES:
        app = open_page(app_factory, page)
        seen[page] = output(app)
        if page == "data" and access.allowed(who, access.VIEW_RECORDS):
            app.toggle(key="data_row_level").set_value(True).run()
            assert not app.exception, app.exception
            seen["data records"] = output(app)
        if page == "knowledge" and access.allowed(who, access.VIEW_RECORDS):
            app.toggle(key="knowledge_follow_up").set_value(True).run()
            assert not app.exception, app.exception
            seen["knowledge unknown outcomes"] = output(app)
        if page == "flows":
            app.radio(key="flows_middle").set_value("Role family").run()
            assert not app.exception, app.exception
            seen["flows by role family"] = output(app)
        if page == "universities":
            # Every university the picker offers, each opened.
            for name in app.selectbox(key="university_pick").options:
                app.selectbox(key="university_pick").set_value(name).run()
                assert not app.exception, app.exception
                seen[f"universities {name}"] = output(app)
    if access.allowed(who, access.UPLOAD):
        seen["upload"] = output(open_page(app_factory, "upload"))
    return seen


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_no_page_shows_another_universitys_programs_cities_or_students(
        role: str, people: dict[str, Any], as_user: Callable[[Principal], None],
        app_factory: Callable[[], AppTest]) -> None:
    who = people[role]
    as_user(who)
    seen = page_outputs(app_factory, who)
    found = {page: leaked(text, people["b_canaries"]) for page, text in seen.items()}
    assert {page: hits for page, hits in found.items() if hits} == {}
    # The search finds what is there: an analyst's row-level view shows its own programs.
    if role == "analyst":
        assert leaked(seen["data records"], A_PROGRAMS)
        assert "upload" in seen


def test_the_admin_sees_both_universities_rows(people: dict[str, Any],
                                               as_user: Callable[[Principal], None],
                                               app_factory: Callable[[], AppTest]) -> None:
    """The canary search on the admin's row-level view finds B's values: the test above can fail."""
    as_user(LOCAL_ADMIN)
    app = open_page(app_factory, "data")
    app.toggle(key="data_row_level").set_value(True).run()
    shown = output(app)
    assert leaked(shown, people["b_canaries"])
    assert leaked(shown, people["a_canaries"])


def test_a_viewer_gets_no_row_level_records_and_no_upload(people: dict[str, Any],
                                                          as_user: Callable[[Principal], None],
                                                          app_factory: Callable[[], AppTest]) -> None:
    as_user(people["viewer"])
    app = open_page(app_factory, "data")
    assert not [t for t in app.toggle if t.key == "data_row_level"]
    # The sidebar does not list Upload for a viewer; the page file itself, run directly for this
    # session (as if its address were typed in), refuses and shows no widget.
    upload = AppTest.from_file(UPLOAD_PAGE, default_timeout=120)
    upload.session_state["principal"] = people["viewer"]
    upload.run()
    assert not upload.exception
    assert not upload.get("file_uploader")
    assert [e.value for e in upload.error] and "not allowed" in upload.error[0].value
    as_user(people["analyst"])
    app = open_page(app_factory, "data")
    assert [t for t in app.toggle if t.key == "data_row_level"]


def test_the_universities_page_lists_only_the_viewers_own_university(
        people: dict[str, Any], as_user: Callable[[Principal], None],
        app_factory: Callable[[], AppTest]) -> None:
    as_user(people["viewer"])
    app = open_page(app_factory, "universities")
    assert app.selectbox(key="university_pick").options == [A]
    as_user(LOCAL_ADMIN)
    app = open_page(app_factory, "universities")
    assert set(app.selectbox(key="university_pick").options) == {A, B}


def test_row_level_views_on_the_data_page_are_audited(world: Path, people: dict[str, Any],
                                                      as_user: Callable[[Principal], None],
                                                      app_factory: Callable[[], AppTest]) -> None:
    as_user(people["analyst"])
    app = open_page(app_factory, "data")

    def events() -> Any:
        return access.audit_log(state.store(), principal=ANALYST_A, action="records")

    before = events().height  # the world is shared by this module's tests
    app.toggle(key="data_row_level").set_value(True).run()
    app.run()  # a rerun of the same view is not a second event
    after = events()
    assert after.height == before + 1
    assert "Data page" in after["detail"][0] and after["scope"][0] == A


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Callable[[], Any]]]:
    """The files behind the download buttons, by label, in page order, as a click would get them.

    AppTest runs without Streamlit's server runtime, where a download's callable is registered
    with the media file manager and run on the click; here the registration is recorded instead,
    and the test calls the callable the page handed over exactly as the click would."""
    from streamlit.elements.widgets import button as button_module

    original = button_module.marshall_file
    seen: dict[str, list[Callable[[], Any]]] = {}

    def record(coordinates: str, data: Any, proto: Any, *args: Any, **kwargs: Any) -> None:
        if callable(data):
            seen.setdefault(proto.label, []).append(data)
        original(coordinates, data, proto, *args, **kwargs)

    monkeypatch.setattr(button_module, "marshall_file", record)
    return seen


def test_data_page_downloads_are_audited_when_clicked(people: dict[str, Any],
                                                      as_user: Callable[[Principal], None],
                                                      app_factory: Callable[[], AppTest],
                                                      downloads: dict[str, list[Callable[[], Any]]]
                                                      ) -> None:
    as_user(people["analyst"])
    app = open_page(app_factory, "data")
    app.toggle(key="data_row_level").set_value(True)
    downloads.clear()
    app.run()
    assert not app.exception

    def count(action: str) -> int:
        return access.audit_log(state.store(), principal=ANALYST_A, action=action).height

    exports, records = count("export"), count("records")
    assert len(downloads["Download CSV"]) == 2 and len(downloads["Download Excel"]) == 2
    assert count("export") == exports  # nothing is built, or audited, before a click
    summary = downloads["Download CSV"][0]()
    assert b"Placements" in summary and count("export") == exports + 1
    rows = downloads["Download CSV"][1]()
    assert count("records") == records + 1
    assert leaked(rows, A_PROGRAMS) and not leaked(rows, people["b_canaries"])
    downloads["Download Excel"][0]()
    assert count("export") == exports + 2


def test_the_upload_page_as_an_analyst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       use_db: Callable[[Path], None],
                                       downloads: dict[str, list[Callable[[], Any]]]) -> None:
    """A's analyst uploads a file with B's rows too: they are rejected with the scope reason, the
    rejected-rows downloads are audited, and the history lists only what the analyst may see."""
    import random

    from analytics.ingest.load import load_canonical_csv
    from tests.access_world import A_CITIES, B_CITIES, B_PROGRAMS, placement, write_csv

    db = tmp_path / "upload.duckdb"
    rng = random.Random(5)
    store = Store(db)
    try:  # the admin's network batch (A and B), which the analyst must not see or undo
        load_canonical_csv(store, write_csv(tmp_path / "network.csv", [
            placement(i, u, rng, program="X", city="Y") for i in range(5) for u in (A, B)]))
        analyst = access.invite(store, ANALYST_A, "analyst", universities=[A])
    finally:
        store.close()
    use_db(db)
    rows = [placement(100 + i, A, rng, program=A_PROGRAMS[0], city=A_CITIES[0]) for i in range(3)]
    rows += [placement(100 + i, B, rng, program=B_PROGRAMS[0], city=B_CITIES[0]) for i in range(2)]
    upload_file = write_csv(tmp_path / "mine.csv", rows)

    app = AppTest.from_file(UPLOAD_PAGE, default_timeout=120)
    app.session_state["principal"] = analyst
    app.run()
    assert "No uploads yet." in [c.value for c in app.caption]  # the network batch is not listed
    app.file_uploader(key="upload_file").set_value((upload_file.name, upload_file.read_bytes(), "text/csv"))
    app.run()
    assert not app.exception, app.exception
    shown = {m.label: m.value for m in app.metric}
    assert shown == {"Rows read": "5", "Would load": "3", "Rejected": "2", "Duplicate": "0"}
    reasons = next(d.value for d in app.dataframe
                   if "reason" in d.value.columns and "rows" in d.value.columns)
    assert [r.startswith("university: outside your upload scope") for r in reasons["reason"]] == [True]

    def count(action: str) -> int:  # read through the page's own store (one holder per file)
        return access.audit_log(state.store(), principal=ANALYST_A, action=action).height

    downloads["Download rejected rows (CSV)"][-1]()
    assert count("rejected rows") == 1
    next(b for b in app.button if b.label == "Load into the database").click()
    downloads.clear()
    app.run()
    assert not app.exception, app.exception
    history = next(d.value for d in app.dataframe if "batch" in d.value.columns)
    assert history["file"].tolist() == ["mine.csv"]  # not the admin's network batch
    assert history["uploader"].tolist() == [ANALYST_A]
    assert app.selectbox(key="undo_batch").options == ["#2 mine.csv (3 rows)"]
    rejected = downloads["Download this batch's rejected rows (CSV)"][-1]()
    assert rejected.count(b"\n") == 3 and B.encode() in rejected  # its own file's rows
    assert count("rejected rows") == 2 and count("upload") == 1
    next(b for b in app.button if b.label == "Undo this batch").click().run()
    assert not app.exception, app.exception
    assert count("undo") == 1
