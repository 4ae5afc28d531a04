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
            self._con = duckdb.connect(str(target), read_only=read_only)
        except duckdb.Error as error:
            raise _explain_open_error(self.path, error) from None
        self._con.execute(
            "SET memory_limit = ?", [os.environ.get(MEMORY_ENV_VAR, DEFAULT_MEMORY_LIMIT)]
        ).fetchall()
        self._con.execute(f"SET perfect_ht_threshold = {PERFECT_HASH_BITS}")
        if not read_only:
            self.migrate()

    def _prepare_cursor(self, cur: duckdb.DuckDBPyConnection) -> None:
        # A temporary macro lives in this connection only: nothing is added to the file. A reader
        # draws no batch ids (and DuckDB refuses CREATE on a read-only file, even a temporary one).
        if not self.read_only:
            cur.execute(NEXT_BATCH_ID_MACRO)
