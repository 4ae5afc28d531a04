"""Copy an embedded database into an empty lake: every shared table, as one lake transaction.

Rows are copied as they are (pseudonyms included), so the lake answers every metric exactly as
the file did. New uploads to the lake must pseudonymise students the same way: give every replica
and importer the file's key ($INTERNSHIPS_PSEUDONYM_KEY_FILE=<database>.key), or the text secret
the file was used with ($INTERNSHIPS_PSEUDONYM_KEY).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb

from analytics.store.base import StoreError, _first_line
from analytics.store.lake import LAKE, PG, SEQUENCE_PREFIX, LakeStore, _sql_text

SOURCE: Final = "migrate_source"
# Bookkeeping that each store keeps its own way; never copied.
NOT_COPIED: Final = frozenset({"schema_version", "data_version"})


@dataclass(frozen=True)
class Copied:
    tables: dict[str, int]  # table -> rows copied
    last_batch_id: int


def _tables(cur: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND NOT temporary ORDER BY table_name", [catalog]
    ).fetchall()
    return [str(r[0]) for r in rows]


def _columns(cur: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    rows = cur.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
        "AND table_name = ? ORDER BY column_index", [catalog, table]
    ).fetchall()
    return [str(r[0]) for r in rows]


def copy_to_lake(source_path: Path, lake: LakeStore) -> Copied:
    """Copy the embedded database at `source_path` into `lake`, which must hold no data yet.

    Every table the lake's migrations made is filled from the file's table of the same name
    (columns matched by name; the metrics' facts tables are not copied, each replica rebuilds
    them). Raises StoreError when the file cannot be read or the lake is not empty."""
    if not source_path.exists():
        raise StoreError(f"No database at {source_path}.")
    occupied = {t: n for t, n in lake.table_counts().items() if n}
    if occupied:
        listed = ", ".join(f"{t} ({n:,} rows)" for t, n in occupied.items())
        raise StoreError(f"The lake {lake.location} is not empty ({listed}); migrate into a new one.")
    with lake._write_lock:
        cur = lake.cursor()
        try:
            cur.execute(f"ATTACH {_sql_text(str(source_path))} AS {SOURCE} (READ_ONLY)")
        except duckdb.Error as error:
            raise StoreError(f"Could not open {source_path}: {_first_line(error)}") from None
        try:
            shared = [t for t in _tables(cur, LAKE) if t not in NOT_COPIED]
            present = set(_tables(cur, SOURCE))
            copied: dict[str, int] = {}
            with lake.transaction() as tx:
                for table in shared:
                    if table not in present:
                        continue
                    theirs = set(_columns(tx, SOURCE, table))
                    columns = ", ".join(c for c in _columns(tx, LAKE, table) if c in theirs)
                    tx.execute(f"INSERT INTO {LAKE}.main.{table} ({columns}) "
                               f"SELECT {columns} FROM {SOURCE}.main.{table}")
                    copied[table] = int(tx.execute(
                        f"SELECT count(*) FROM {LAKE}.main.{table}").fetchall()[0][0])
            last = int(cur.execute(
                f"SELECT coalesce(max(batch_id), 0) FROM {SOURCE}.main.batches").fetchall()[0][0]
            ) if "batches" in present else 0
        finally:
            cur.execute(f"DETACH {SOURCE}")
        if last:
            # New uploads must not reuse a copied batch id.
            cur.execute(f"CALL postgres_execute('{PG}', 'SELECT setval(''{SEQUENCE_PREFIX}batch_ids'', "
                        f"greatest({last}, (SELECT last_value FROM {SEQUENCE_PREFIX}batch_ids)))')")
    return Copied(tables=copied, last_batch_id=last)
