"""DuckDB store: open, create and migrate the database; a cursor per thread; one writer at a time.

DuckDB 2.0 refuses concurrent calls on one connection from two threads, and Streamlit runs each
browser session's script in its own thread. So the process holds one database instance per file
(`open_store`) and every thread reads through its own cursor; writes go through `transaction()`,
which serialises writers inside the process and makes each upload all-or-nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl

from analytics import schema

DEFAULT_DB_PATH: Final = Path("data") / "internships.duckdb"
DB_ENV_VAR: Final = "INTERNSHIPS_DB"
MEMORY_ENV_VAR: Final = "INTERNSHIPS_MEMORY_LIMIT"
# DuckDB's default is 80% of RAM; the dashboard's server must stay under 1.5 GB with ten million
# placements, so bound the buffer pool and let large operators spill to disk instead.
DEFAULT_MEMORY_LIMIT: Final = "1GB"


class StoreError(Exception):
    """A database problem explained in words a user can act on."""


class DatabaseBusyError(StoreError):
    pass


MIGRATIONS: Final[tuple[tuple[int, tuple[str, ...]], ...]] = (
    (
        1,
        (
            schema.placements_ddl("placements"),
            """CREATE TABLE IF NOT EXISTS batches (
                batch_id BIGINT PRIMARY KEY,
                file_name VARCHAR NOT NULL,
                sha256 VARCHAR,
                uploaded_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
                uploader VARCHAR,
                rows_read BIGINT NOT NULL DEFAULT 0,
                rows_loaded BIGINT NOT NULL DEFAULT 0,
                rows_rejected BIGINT NOT NULL DEFAULT 0,
                rows_duplicate BIGINT NOT NULL DEFAULT 0,
                mapping VARCHAR,
                undone_at TIMESTAMP
            )""",
            """CREATE TABLE IF NOT EXISTS quarantine (
                batch_id BIGINT NOT NULL,
                row_number BIGINT,
                column_name VARCHAR,
                value VARCHAR,
                reason VARCHAR NOT NULL,
                raw VARCHAR
            )""",
            "CREATE SEQUENCE IF NOT EXISTS batch_ids START 1",
            # Bumped by every write that changes what the metrics see; caches key on it.
            "CREATE TABLE IF NOT EXISTS data_version (version BIGINT NOT NULL)",
            "INSERT INTO data_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM data_version)",
        ),
    ),
    (
        2,
        # Who may see what (analytics.access): principals, their scopes, the claims an admin
        # chose to trust, and the append-only audit log. Uniqueness (one principal per email,
        # per bound identity) is kept by access.py inside a write transaction, not by indexes,
        # so the same tables work in the lake's catalog.
        (
            """CREATE TABLE IF NOT EXISTS principals (
                principal_id BIGINT NOT NULL,
                email VARCHAR NOT NULL,
                name VARCHAR,
                role VARCHAR NOT NULL,
                issuer VARCHAR,
                subject VARCHAR,
                disabled BOOLEAN NOT NULL DEFAULT false,
                created_at TIMESTAMP,
                invited_by VARCHAR,
                last_login TIMESTAMP
            )""",
            """CREATE TABLE IF NOT EXISTS principal_scopes (
                principal_id BIGINT NOT NULL,
                kind VARCHAR NOT NULL,
                value VARCHAR NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS claim_roles (
                claim VARCHAR NOT NULL,
                value VARCHAR NOT NULL,
                role VARCHAR NOT NULL,
                universities VARCHAR,
                employers VARCHAR
            )""",
            """CREATE TABLE IF NOT EXISTS audit_log (
                event_id VARCHAR NOT NULL,
                occurred_at TIMESTAMP NOT NULL,
                principal VARCHAR NOT NULL,
                role VARCHAR,
                action VARCHAR NOT NULL,
                scope VARCHAR,
                filter VARCHAR,
                detail VARCHAR
            )""",
        ),
    ),
    (
        3,
        # Disclosure control's cell-key method (analytics.disclosure): a fixed random key per
        # placement, drawn once when the row is stored (existing rows get theirs now). It never
        # leaves the database: no export or record listing includes it.
        (
            "ALTER TABLE placements ADD COLUMN IF NOT EXISTS record_key INTEGER "
            "DEFAULT CAST(floor(random() * 256) AS INTEGER)",
        ),
    ),
    (
        4,
        (
            # The fingerprint of the key student ids are pseudonymised with (analytics.ingest.load):
            # an import under another key is refused.
            """CREATE TABLE IF NOT EXISTS pseudonym_key (
                fingerprint VARCHAR NOT NULL,
                recorded_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""",
        ),
    ),
    (
        5,
        (
            # How the hourly figure was made when the file gave no pay period (schema.pay_note).
            "ALTER TABLE placements ADD COLUMN IF NOT EXISTS pay_note VARCHAR",
        ),
    ),
    (
        6,
        (
            # Who counts as eligible in this upload, decided from the fields the file has
            # (analytics.ingest.pipeline.eligibility_basis); null: decided from its rows.
            "ALTER TABLE batches ADD COLUMN IF NOT EXISTS eligibility_basis VARCHAR",
        ),
    ),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1][0]


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH`, else $INTERNSHIPS_DB, else data/internships.duckdb."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(DB_ENV_VAR)
    return Path(env) if env else DEFAULT_DB_PATH


def _explain_open_error(path: Path, error: duckdb.Error) -> StoreError:
    text = str(error)
    if "lock" in text.lower():
        return DatabaseBusyError(
            f"The database {path} is in use by another process (the dashboard or another "
            "import holds its write lock). Stop that process, or wait for the import to "
            f"finish, then try again. (DuckDB said: {text.splitlines()[0]})"
        )
    return StoreError(f"Could not open the database {path}: {text.splitlines()[0]}")


class Store:
    """One open DuckDB database. Use `open_store` rather than constructing it directly."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if str(path) != ":memory:" and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as error:
            raise _explain_open_error(self.path, error) from None
        self._con.execute(
            "SET memory_limit = ?", [os.environ.get(MEMORY_ENV_VAR, DEFAULT_MEMORY_LIMIT)]
        ).fetchall()
        self._local = threading.local()
        self._write_lock = threading.RLock()
        if not read_only:
            self.migrate()

    # -- connections -------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor on the shared database instance."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run a read query and return its (small, aggregated) result as a Polars frame."""
        frame: pl.DataFrame = self.cursor().sql(sql, params=params).pl()
        return frame

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.cursor().execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        # fetchall, not fetchone: DuckDB 2.0 keeps a half-read result open and refuses the next call.
        rows = self.cursor().execute(sql, params).fetchall()
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self, *, changes_data: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing write. It bumps the data version (so caches refresh) unless
        `changes_data=False`: the audit log and principals change no metric."""
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                if changes_data:
                    cur.execute("UPDATE data_version SET version = version + 1")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    # -- schema ------------------------------------------------------------------------------
    def schema_version(self) -> int:
        exists = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        )
        if not exists:
            return 0
        return int(self.scalar("SELECT coalesce(max(version), 0) FROM schema_version"))

    def migrate(self) -> int:
        """Bring the database to SCHEMA_VERSION. Running it again changes nothing."""
        with self._write_lock:
            cur = self.cursor()
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
            )
            current = self.schema_version()
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                cur.execute("BEGIN TRANSACTION")
                try:
                    for statement in statements:
                        cur.execute(statement)
                    cur.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
            return self.schema_version()

    def data_version(self) -> int:
        return int(self.scalar("SELECT max(version) FROM data_version") or 0)

    def table_counts(self) -> dict[str, int]:
        return {
            table: int(self.scalar(f"SELECT count(*) FROM {table}"))
            for table in ("placements", "batches", "quarantine")
        }

    def close(self) -> None:
        self._con.close()


_stores: dict[tuple[str, bool], Store] = {}
_stores_lock = threading.Lock()


def open_store(path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Store:
    """The process's single Store for this database file, opened (and migrated) on first use."""
    resolved = resolve_db_path(path)
    key = (str(resolved.resolve()) if str(resolved) != ":memory:" else ":memory:", read_only)
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
