"""After an upload, the server writes the change into the database file (a checkpoint), and an
upload never fails because another write (the facts' background clustering) holds that off."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from analytics.app import queries, state


def _held_in_memory() -> float:
    return float(state.store().scalar("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
                                      "WHERE tag = 'IN_MEMORY_TABLE'"))


def test_a_busy_checkpoint_is_retried_once_the_other_write_ends(tiny_db_path: Path, tmp_path: Path,
                                                                 use_db: Callable[[Path], None]) -> None:
    path = tmp_path / "busy.duckdb"
    shutil.copyfile(tiny_db_path, path)
    use_db(path)
    store = state.writable_store()
    with store.transaction() as cur:  # a change the server still holds in memory
        cur.execute("CREATE TABLE scratch AS SELECT range AS i FROM range(100000)")
    assert _held_in_memory() > 0
    other = store._con.cursor()  # another thread's write, mid-way (a table being built)
    other.execute("BEGIN")
    other.execute("CREATE TABLE scratch_sorted AS SELECT 1 AS i")
    queries.prepare_dashboards(store)  # returns: the upload is not kept waiting, nor failed
    retry = [t for t in threading.enumerate() if t.name == "checkpoint"]
    assert len(retry) == 1
    other.execute("COMMIT")
    retry[0].join(timeout=30)
    assert not retry[0].is_alive()
    assert _held_in_memory() == 0
