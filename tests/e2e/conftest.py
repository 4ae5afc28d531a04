"""Fixtures for the real-browser tests: the app on temporary databases, one headless Chromium.

One app server per session answers every read-only scenario (`app`: the sample plus a few
fixture rows with hostile employer names); state-changing scenarios (uploads, undo) get their
own server on a fresh copy of the sample (`fresh_app`), so test order never matters. Each test
gets a new browser context (its own Streamlit session). When a test fails, a screenshot and the
page's text (with the browser's console errors and the app's log tail) are kept in
test-artifacts/<test name>.png / .txt.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path

import pluggy
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.e2e import facts
from tests.e2e.browser import LAUNCH_ARGS, ensure_chromium
from tests.e2e.server import REPO, AppServer, build_database, start_app
from tests.e2e.ui import DEFAULT_TIMEOUT_MS, RUN_COUNTER_JS, PageFactory

ARTIFACTS = REPO / "test-artifacts"

PAGE_KEY = pytest.StashKey[Page]()
DIALOGS_KEY = pytest.StashKey[list[str]]()
ERRORS_KEY = pytest.StashKey[list[str]]()

# Assertions retry until this long: values show a moment after the script run that made them
# ends, and a busy 2-core machine can stretch that moment.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


# -- app servers ------------------------------------------------------------------------------
def _serve(tmp: Path, name: str, unvalidated_csvs: tuple[Path, ...] = ()) -> AppServer:
    db_path = build_database(tmp / f"{name}.duckdb", unvalidated_csvs=unvalidated_csvs)
    return start_app(db_path, log_path=tmp / f"{name}.log")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The dashboard on the sample data plus rows for employers named like an attack."""
    server = _serve(tmp_path_factory.mktemp("e2e-app"), "app", (facts.TRICKY_CSV,))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fresh_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A second dashboard on its own copy of the sample, for tests that upload or undo."""
    server = _serve(tmp_path_factory.mktemp("e2e-fresh"), "fresh")
    yield server
    server.stop()


# -- browser ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(
        executable_path=str(ensure_chromium()), args=list(LAUNCH_ARGS)
    )
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """Open a page in a fresh browser context (a new visitor: its own Streamlit session).

    Every page records the dialogs it opens (dismissing them) and its console errors; the last
    page opened is the one a failure's artifacts show.
    """
    contexts: list[BrowserContext] = []
    dialogs: list[str] = []
    errors: list[str] = []
    request.node.stash[DIALOGS_KEY] = dialogs
    request.node.stash[ERRORS_KEY] = errors

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    def factory() -> Page:
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        contexts.append(context)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        opened = context.new_page()
        opened.add_init_script(RUN_COUNTER_JS)
        opened.on("dialog", on_dialog)
        opened.on("console", on_console)
        opened.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        request.node.stash[PAGE_KEY] = opened
        return opened

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    """A page in a fresh browser context."""
    return new_page()


@pytest.fixture
def dialogs(new_page: PageFactory, request: pytest.FixtureRequest) -> list[str]:
    """Every alert/confirm/prompt any page of this test opened (each dismissed at once)."""
    return request.node.stash[DIALOGS_KEY]


# -- artifacts on failure ---------------------------------------------------------------------
def _save_artifacts(item: pytest.Item) -> None:
    page = item.stash.get(PAGE_KEY, None)
    if page is None or page.is_closed():
        return
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", item.name)[:150]
    parts = [f"URL: {page.url}"]
    try:
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True, timeout=15_000)
    except Exception as error:
        parts.append(f"(screenshot failed: {error})")
    try:
        parts.append(page.locator("body").inner_text(timeout=5_000))
    except Exception as error:
        parts.append(f"(page text unavailable: {error})")
    errors = item.stash.get(ERRORS_KEY, [])
    if errors:
        parts.append("Browser console errors:\n" + "\n".join(errors))
    for name in ("app", "fresh_app"):
        server = getattr(item, "funcargs", {}).get(name)
        if isinstance(server, AppServer):
            parts.append(f"Log tail of the {name} server ({server.url}):\n{server.log_tail(80)}")
    (ARTIFACTS / f"{stem}.txt").write_text("\n\n".join(parts), encoding="utf-8")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        _save_artifacts(item)
