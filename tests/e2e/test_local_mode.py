"""Local mode: `make run`, with no configuration at all, serves the app as the local
administrator and answers on the loopback address only; and a local-mode server exposed on the
network anyway gives other machines nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from analytics.app.navigation import SECTIONS
from tests.e2e import ui
from tests.e2e.server import REPO, _healthy, build_database, free_port, start_app
from tests.e2e.ui import PageFactory

pytestmark = pytest.mark.e2e

STARTUP_TIMEOUT_S = 180.0  # `make run` builds the database from the sample first


def listening_addresses(port: int) -> list[str]:
    """The local addresses (hex, as the kernel writes them) of the sockets listening on `port`,
    from /proc/net/tcp and tcp6."""
    found: list[str] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError), open(table) as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                address, _, hex_port = fields[1].partition(":")
                if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.append(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    tmp = tmp_path_factory.mktemp("make-run")
    port = free_port()
    log = (tmp / "make-run.log").open("wb")
    env = {k: v for k, v in os.environ.items() if k not in ("INTERNSHIPS_DB", "INTERNSHIPS_PUBLIC")}
    # Its own process group, so stopping it stops make and the streamlit it started.
    process = subprocess.Popen(["make", "run", f"PORT={port}", f"DB={tmp / 'local.duckdb'}"], cwd=REPO,
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`make run` did not serve {url}:\n"
                                   f"{Path(log.name).read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)  # polling while it starts, not a wait for a result
        yield url, port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


def test_make_run_serves_the_local_administrator_on_loopback_only(make_run: tuple[str, int],
                                                                  page: Page) -> None:
    url, port = make_run
    ui.open_page(page, url)
    expect(page.locator(ui.SIDEBAR)).to_contain_text("Local mode")
    # The local administrator is offered every page.
    expect(page.locator(ui.NAV_LINK)).to_have_count(sum(len(entries) for entries in SECTIONS.values()))
    assert ui.nav_titles(page)[-1] == "Admin"
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    ui.shown(page, ui.metric(page, "Placements"))
    # Bound to the loopback address only (0.0.0.0 would read 00000000).
    addresses = listening_addresses(port)
    assert addresses and set(addresses) <= LOOPBACK, addresses


def network_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))  # UDP: no packet is sent, this only picks a route
            address = str(sock.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_local_mode_served_on_the_network_gives_other_machines_nothing(
        tmp_path: Path, page: Page, new_page: PageFactory) -> None:
    address = network_address()
    if address is None:
        pytest.skip("this machine has no network address to visit the app from")
    db_path = build_database(tmp_path / "exposed.duckdb")
    # What `make run` never does: local mode on every interface.
    server = start_app(db_path, log_path=tmp_path / "exposed.log", args=["--server.address", "0.0.0.0"])
    try:
        assert set(listening_addresses(server.port)) - LOOPBACK, "the server should listen beyond loopback"
        ui.open_page(page, f"http://{address}:{server.port}", "admin")
        expect(page.locator(f"{ui.MAIN} h1")).to_contain_text("This dashboard serves its own machine only")
        expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
        expect(page.locator(ui.NAV_LINK)).to_have_count(0)
        expect(page.locator('[data-testid="stTextInput"]')).to_have_count(0)
        # The same server, from this machine: the local administrator.
        local = new_page()
        ui.open_page(local, server.url, "admin")
        expect(local.locator(f"{ui.MAIN} h1")).to_contain_text("Admin: users and the audit log")
    finally:
        server.stop()
