"""The store: open, create and migrate the database; a cursor per thread; one writer at a time.

`open_store(target)` opens the embedded store (a DuckDB file, the default) or the lake store
(DuckLake on PostgreSQL + Parquet) when the target is a `ducklake:postgresql://...` URL. Both
give the same `Store` interface and run the same SQL (see base.py).
"""

from __future__ import annotations

import os
import threading

from analytics.store.base import (
    DB_ENV_VAR,
    DEFAULT_DB_PATH,
    DEFAULT_MEMORY_LIMIT,
    MEMORY_ENV_VAR,
    MIGRATIONS,
    RECORD_KEY_SQL,
    SCHEMA_VERSION,
    DatabaseBusyError,
    Store,
    StoreError,
    database_exists,
    is_lake_url,
    resolve_db_path,
)
from analytics.store.embedded import EmbeddedStore
from analytics.store.lake import DATA_ENV_VAR, LakeStore, postgres_conninfo

__all__ = [
    "DATA_ENV_VAR",
    "DB_ENV_VAR",
    "DEFAULT_DB_PATH",
    "DEFAULT_MEMORY_LIMIT",
    "MEMORY_ENV_VAR",
    "MIGRATIONS",
    "RECORD_KEY_SQL",
    "SCHEMA_VERSION",
    "DatabaseBusyError",
    "EmbeddedStore",
    "LakeStore",
    "Store",
    "StoreError",
    "close_all",
    "database_exists",
    "is_lake_url",
    "open_store",
    "postgres_conninfo",
    "resolve_db_path",
]

_stores: dict[tuple[str, bool], Store] = {}
_stores_lock = threading.Lock()


def _key(target: str | os.PathLike[str]) -> str:
    if is_lake_url(target):
        # The URL and its Path spelling (one slash) name the same lake.
        return postgres_conninfo(str(target)) + "|" + os.environ.get(DATA_ENV_VAR, "")
    return str(target) if str(target) == ":memory:" else str(os.path.realpath(target))


def open_store(path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Store:
    """The process's single Store for this database, opened (and migrated) on first use."""
    resolved = resolve_db_path(path)
    key = (_key(resolved), read_only)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = Store(resolved, read_only=read_only)
            _stores[key] = store
        return store


def close_all() -> None:
    """Close every store this process opened (tests and the CLI use it to release locks)."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
