"""The embedded store: one DuckDB file, held by one process at a time (the default).

Batch ids come from a DuckDB sequence in the file; writers take turns inside the one process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import duckdb

from analytics.store.base import (
    DEFAULT_MEMORY_LIMIT,
    MEMORY_ENV_VAR,
    PERFECT_HASH_BITS,
    DatabaseBusyError,
    Store,
    StoreError,
)

NEXT_BATCH_ID_MACRO: Final = "CREATE OR REPLACE TEMP MACRO next_batch_id() AS nextval('batch_ids')"
# The default install runs DuckDB 2.0, whose new files (storage v2) DuckDB 1.5.5 cannot open; the
# lake install is 1.5.5 (migrate-to-lake reads the file) and users may go back. So files are
# written in the 1.5 format, which 2.0 reads and writes as fast. A file made before keeps its own.
STORAGE_VERSION: Final = "v1.5.0"


def _explain_open_error(path: Path, error: duckdb.Error) -> StoreError:
    text = str(error)
    if "lock" in text.lower():
        return DatabaseBusyError(
            f"The database {path} is in use by another process (the dashboard or another "
            "import holds its write lock). Stop that process, or wait for the import to "
            f"finish, then try again. (DuckDB said: {text.splitlines()[0]})"
        )
    return StoreError(f"Could not open the database {path}: {text.splitlines()[0]}")


class EmbeddedStore(Store):
    """One DuckDB database file (or ':memory:')."""

    kind = "embedded"

    def __init__(self, target: str | os.PathLike[str], *, read_only: bool = False) -> None:
        super().__init__(target, read_only=read_only)
        self.path = Path(target)
        if str(target) != ":memory:" and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(target), read_only=read_only,
                                       config={"storage_compatibility_version": STORAGE_VERSION})
        except duckdb.Error as error:
            raise _explain_open_error(self.path, error) from None
        self._con.execute(
            "SET memory_limit = ?", [os.environ.get(MEMORY_ENV_VAR, DEFAULT_MEMORY_LIMIT)]
        ).fetchall()
        self._con.execute(f"SET perfect_ht_threshold = {PERFECT_HASH_BITS}")
        if not read_only:
            self.migrate()

    def checkpoint(self) -> bool:
        """CHECKPOINT: DuckDB keeps the rows a committed transaction changed in memory until the
        next checkpoint, and a small import does not reach the automatic one (a 16 MB log): a
        200-row upload into 1,000,000 placements left 66 MB of them held in a long-running
        server. DuckDB checkpoints alongside open readers, but not while another write is under
        way (the facts' background clustering, say): then nothing happens and this says False."""
        if self.read_only or str(self.path) == ":memory:":
            return True
        try:
            self.cursor().execute("CHECKPOINT")
        except duckdb.TransactionException:
            return False
        return True

    def _prepare_cursor(self, cur: duckdb.DuckDBPyConnection) -> None:
        # A temporary macro lives in this connection only: nothing is added to the file. A reader
        # draws no batch ids (and DuckDB refuses CREATE on a read-only file, even a temporary one).
        if not self.read_only:
            cur.execute(NEXT_BATCH_ID_MACRO)
