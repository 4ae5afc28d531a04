"""`make screenshots`: start the dashboard on the sample data and save a PNG of every page.

Builds a temporary database from the shipped sample (`internships init --sample`), serves
`streamlit run dashboard.py` on a free port, and drives headless Chromium (Debian's, via
Playwright's `executable_path`) through every page, waiting until the script has finished and
every chart has drawn. The PNGs go to docs/screenshots/<page>.png (1400 px wide, the whole page).

    python -m tests.e2e.screenshots [--out DIR] [--db PATH] [--page overview ...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from tests.e2e.browser import LAUNCH_ARGS, ensure_chromium

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "docs" / "screenshots"
# (file name, URL path): the pages of analytics/app/navigation.py ("" is the default page).
PAGES: tuple[tuple[str, str], ...] = (
    ("overview", ""),
    ("conversion", "conversion"),
    ("employers", "employers"),
    ("universities", "universities"),
    ("flows", "flows"),
    ("retention", "retention"),
    ("timeline", "timeline"),
    ("evaluations", "evaluations"),
    ("equity", "equity"),
    ("pay", "pay"),
    ("durations", "durations"),
    ("data", "data"),
    ("knowledge", "knowledge"),
    ("upload", "upload"),
    ("methodology", "methodology"),
    ("admin", "admin"),
)
# Users invited into a freshly built screenshot database, so the Admin page has rows to show.
EXAMPLE_USERS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("career.office@northfield.edu", "viewer", ("Northfield State University",), ()),
    ("data.analyst@northfield.edu", "analyst", ("Northfield State University",), ()),
    ("early.careers@redwood.example", "viewer", (), ("Redwood Software LLC",)),
)
# (file name, URL path, file to choose in the uploader): a page after an action.
UPLOADS: tuple[tuple[str, str, Path], ...] = (
    ("upload-mapping", "upload", REPO / "tests" / "data" / "real" / "njit_sample_data.csv"),
)
WIDTH, HEIGHT = 1400, 1000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_sample_db(path: Path) -> None:
    subprocess.run([sys.executable, "-m", "analytics.cli", "init", "--sample", "--db", str(path)],
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    from analytics import access
    from analytics.store import Store

    store = Store(path)
    try:
        for email, role, universities, employers in EXAMPLE_USERS:
            access.invite(store, email, role, universities=universities, employers=employers)
    finally:
        store.close()


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"streamlit did not become healthy on port {port} within {timeout:.0f} s")


@contextlib.contextmanager
def serve(db: Path) -> Iterator[int]:
    """`streamlit run dashboard.py` on a free port for the duration of the block."""
    port = free_port()
    env = {**os.environ, "INTERNSHIPS_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_healthy(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def settle(page: object, timeout_ms: int = 60_000) -> None:
    """Wait until the script has finished and every Plotly chart has drawn."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
            if (document.querySelector('[data-testid="stSpinner"]')) return false;
            if (document.querySelector('[data-stale="true"]')) return false;
            const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
            return Array.from(charts).every(c => c.querySelector('.main-svg'));
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(800)  # Plotly's transitions and web fonts


def capture(page: object, path: Path) -> Path:
    """A PNG of the whole page: Streamlit scrolls inside its main block, so a "full page"
    screenshot would stop at the window; grow the window to the content's height, then redraw."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    height = int(page.evaluate(
        "() => Math.max(0, ...['stMain', 'stSidebarContent'].map(id => "
        "(document.querySelector(`[data-testid=${id}]`) || {scrollHeight: 0}).scrollHeight))"))
    page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, min(height + 80, 9000))})
    settle(page)
    page.screenshot(path=str(path), full_page=True)
    return path


def shoot(port: int, out: Path, names: Sequence[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(ensure_chromium()), args=list(LAUNCH_ARGS))
        try:
            for name, url_path in PAGES:
                if names and name not in names:
                    continue
                page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
                response = page.goto(f"http://127.0.0.1:{port}/{url_path}", wait_until="networkidle")
                if response is None or not response.ok:
                    page.close()
                    continue
                settle(page)
                if name == "upload" and not page.get_by_text("Upload", exact=False).count():
                    page.close()
                    continue
                saved.append(capture(page, out / f"{name}.png"))
                page.close()
            for name, url_path, chosen in UPLOADS:
                if names and name not in names:
                    continue
                page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
                page.goto(f"http://127.0.0.1:{port}/{url_path}", wait_until="networkidle")
                settle(page)
                page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(chosen)
                page.get_by_text("Validation report").wait_for(timeout=60_000)
                settle(page)
                saved.append(capture(page, out / f"{name}.png"))
                page.close()
        finally:
            browser.close()
    return saved


def shoot_no_access(db: Path, out: Path, tmp: Path) -> Path:
    """The screen of a login nobody invited: the app with login configured against a local
    OpenID Connect provider (as in tests/e2e/test_login.py), signed in as a stranger."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.oidc import start_provider, write_secrets
    from tests.e2e.server import start_app

    provider = start_provider([{"sub": "stranger", "email": "new.colleague@northfield.edu",
                                "email_verified": True, "name": "New Colleague"}],
                              log_path=tmp / "oidc.log")
    try:
        port = free_port()
        secrets_path = write_secrets(tmp / "secrets.toml", provider, port)
        app = start_app(db, log_path=tmp / "login-app.log", port=port,
                        args=["--secrets.files", str(secrets_path)])
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(ensure_chromium()),
                                                     args=list(LAUNCH_ARGS))
                try:
                    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT},
                                            device_scale_factor=1)
                    page.goto(app.url, wait_until="networkidle")
                    settle(page)
                    page.get_by_role("button", name="Log in").click()
                    page.wait_for_url(lambda url: url.startswith(provider.url))
                    page.get_by_role("button", name="stranger", exact=True).click()
                    page.wait_for_url(lambda url: url.startswith(app.url) and "oauth2callback" not in url)
                    page.get_by_text("You have no access yet").wait_for(timeout=60_000)
                    settle(page)
                    return capture(page, out / "no-access.png")
                finally:
                    browser.close()
        finally:
            app.stop()
    finally:
        provider.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="directory for the PNGs (docs/screenshots)")
    parser.add_argument("--db", type=Path, help="serve this database instead of a fresh copy of the sample")
    parser.add_argument("--page", action="append", default=[], help="only this page (repeatable)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        db = args.db
        if db is None:
            db = Path(tmp) / "sample.duckdb"
            build_sample_db(db)
        with serve(db) as port:
            saved = shoot(port, args.out, args.page)
        if not args.page or "no-access" in args.page:
            saved.append(shoot_no_access(db, args.out, Path(tmp)))
    for path in saved:
        print(f"saved {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
