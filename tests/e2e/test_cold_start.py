"""Several visitors arriving together at a freshly started server all get their pages, no error.

The first script runs after a restart import plotly, pandas, pyarrow and the rest for the first
time. When those imports happened inside the sessions' own threads, one thread could find a
half-imported pandas in sys.modules (plotly looks it up without importing it) and the page showed
`partially initialized module 'pandas' has no attribute 'Series'`. Each round starts its own
server, so every round is a cold start, and opens six pages in six browser contexts (six
sessions) at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e import ui
from tests.e2e.server import AppServer, build_database, start_app

pytestmark = pytest.mark.e2e

# Pages whose first run draws Plotly figures and tables (the paths where the race showed).
PAGES = ("", "conversion", "employers", "universities", "pay", "durations")
ROUNDS = 3
COLD_TIMEOUT_MS = 120_000  # six first runs at once on a busy 2-core machine


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("e2e-cold") / "cold.duckdb")


@pytest.fixture
def cold_app(database: Path, tmp_path: Path) -> Iterator[AppServer]:
    """A server that has just started and served nobody yet."""
    server = start_app(database, log_path=tmp_path / "cold.log")
    yield server
    server.stop()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in PAGES]
    yield opened
    for context in opened:
        context.close()


@pytest.mark.parametrize("round_number", range(1, ROUNDS + 1))
def test_sessions_arriving_together_at_a_cold_server_see_no_error(
    cold_app: AppServer, contexts: list[BrowserContext], round_number: int
) -> None:
    pages: list[Page] = []
    for context in contexts:
        context.set_default_timeout(COLD_TIMEOUT_MS)
        page = context.new_page()
        page.add_init_script(ui.RUN_COUNTER_JS)
        pages.append(page)
    # Start every navigation before waiting for any: `commit` returns as soon as the server has
    # answered the request, so the six sessions' first runs overlap.
    for page, path in zip(pages, PAGES, strict=True):
        page.goto(f"{cold_app.url}/{path}", wait_until="commit")

    problems: list[str] = []
    for page, path in zip(pages, PAGES, strict=True):
        ui.wait_settled(page, COLD_TIMEOUT_MS)
        # The heading is the page's first element and the last ones follow the run's end by a
        # moment: wait for the heading, then read every exception element there is.
        page.locator(f"{ui.MAIN} h1").first.wait_for(state="visible", timeout=COLD_TIMEOUT_MS)
        for text in page.locator(ui.EXCEPTION).all_inner_texts():
            problems.append(f"/{path}: {text}")
    log = cold_app.log_path.read_text(errors="replace")
    assert not problems, "\n\n".join(problems)
    assert "Traceback" not in log, cold_app.log_tail(80)
