"""Find a Chromium for the browser tests, installing one when none is found.

Order: $CHROMIUM_PATH, then Debian's /usr/bin/chromium, then `apt-get install chromium` when
running as root on Debian, then Playwright's own download. Only when all fail does it stop, with a
message that says how to get a browser. `python -m tests.e2e.browser` prints the path it settled on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


def find_chromium() -> Path | None:
    env = os.environ.get("CHROMIUM_PATH")
    if env and Path(env).exists():
        return Path(env)
    if DEBIAN_CHROMIUM.exists():
        return DEBIAN_CHROMIUM
    return None


def _playwright_chromium() -> Path | None:
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = Path(p.chromium.executable_path)
        return path if path.exists() else None
    except Exception:
        return None


def ensure_chromium() -> Path:
    found = find_chromium()
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
        found = find_chromium()
        if found:
            return found
    subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=False)
    found = _playwright_chromium()
    if found:
        return found
    raise SystemExit(
        "No Chromium found for the browser tests. Install Debian's package "
        "(`sudo apt-get install chromium`), or run `.venv/bin/python -m playwright install "
        "chromium`, or set CHROMIUM_PATH to a Chromium or Chrome binary."
    )


if __name__ == "__main__":
    print(f"Chromium for browser tests: {ensure_chromium()}")
