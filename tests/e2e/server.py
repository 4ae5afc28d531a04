"""Start the real dashboard (`streamlit run dashboard.py`) on a free port for the browser tests.

The app runs as a separate process, exactly as a user starts it, against a temporary database
(INTERNSHIPS_DB) built from the shipped sample. `start_app` returns once Streamlit's health
endpoint answers "ok"; `AppServer.stop` ends that one process (and nothing else).

`python -m tests.e2e.server` starts the app on a temporary sample database and prints its URL,
which is handy for looking at the pages by hand or for taking screenshots.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from analytics.store import Store

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CSV = REPO / "data" / "sample" / "placements.csv"
STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def build_database(path: Path, *, unvalidated_csvs: Sequence[Path] = ()) -> Path:
    """A database at `path` holding the sample (loaded as `internships init --sample` does), plus
    each canonical-layout CSV in `unvalidated_csvs` inserted as its own batch without validation.

    Built in this process and closed again, so the app process is the only one holding the file.
    """
    from analytics.ingest.load import load_canonical_csv
    from analytics.store import Store

    store = Store(path)
    try:
        load_canonical_csv(store, SAMPLE_CSV)
        for csv_path in unvalidated_csvs:
            insert_unvalidated(store, csv_path)
    finally:
        store.close()
    return path


def insert_unvalidated(store: Store, csv_path: Path) -> int:
    """Insert a canonical-layout CSV straight into the placements table, skipping the importer's
    row checks, and return the rows inserted.

    The importer refuses values such as `<script>...` or `=HYPERLINK(...)`, but a database can
    still hold them (written by another tool or an older version); the browser tests put them
    there to check that the pages and downloads stay harmless whatever the data holds.
    """
    from analytics.ingest.load import canonical_csv_source, insert_placements, new_batch, pseudonym_key

    key = pseudonym_key(store)
    source, params = canonical_csv_source(csv_path)
    with store.transaction() as cur:
        batch_id = new_batch(cur, file_name=csv_path.name, sha256=None, uploader="e2e fixture",
                             mapping_json=None)
        loaded = insert_placements(cur, source, batch_id, key, params)
        cur.execute("UPDATE batches SET rows_read = ?, rows_loaded = ? WHERE batch_id = ?",
                    [loaded, loaded, batch_id])
    return loaded


@dataclass
class LoggedProcess:
    """A server process started by the tests, with its output in a log file."""

    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes]

    def log_tail(self, lines: int = 40) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """End it: SIGTERM first (Streamlit closes its sessions, and DuckDB its file, cleanly)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


@dataclass
class AppServer(LoggedProcess):
    """A running `streamlit run dashboard.py` process."""

    url: str = ""
    port: int = 0
    db_path: Path = Path()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200 and response.read().strip() == b"ok")
    except (urllib.error.URLError, OSError):
        return False


def start_app(db_path: Path, *, log_path: Path, timeout: float = STARTUP_TIMEOUT_S,
              port: int | None = None, args: Sequence[str] = (),
              env: dict[str, str] | None = None) -> AppServer:
    """Start the dashboard on `db_path` and wait until its health endpoint answers ok.

    `port` (default: a free one), extra Streamlit `args` (e.g. `--secrets.files`) and extra
    environment variables `env` are for the login tests, whose secrets name the app's port."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "INTERNSHIPS_DB": str(db_path),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        # Tests never edit the source; watching it would only cost CPU on a 2-core machine.
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        *args,
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(url=url, port=port, db_path=db_path, log_path=log_path, process=process, _log=log)
    deadline = time.monotonic() + timeout
    while not _healthy(url):
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(
                f"The dashboard exited with code {process.returncode} before answering on {url}:\n"
                f"{server.log_tail()}"
            )
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"The dashboard did not answer on {url} within {timeout:.0f} s:\n"
                               f"{server.log_tail()}")
        # Polling interval while the process boots, not a wait for a result.
        time.sleep(0.2)
    return server


@contextmanager
def running_app(db_path: Path, *, log_path: Path) -> Iterator[AppServer]:
    server = start_app(db_path, log_path=log_path)
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="internships-app-") as tmp:
        db_path = build_database(Path(tmp) / "app.duckdb")
        with running_app(db_path, log_path=Path(tmp) / "streamlit.log") as server:
            print(f"Dashboard on {server.url} (database {db_path}); Ctrl-C stops it.", flush=True)
            with suppress(KeyboardInterrupt):
                server.process.wait()


if __name__ == "__main__":
    main()
