"""The store interface: what the rest of the package calls, whichever database holds the data.

Two implementations share it (see embedded.py and lake.py). DuckDB refuses concurrent calls on
one connection from two threads, and Streamlit runs each browser session's script in its own
thread, so a process holds one database instance per database (`open_store`) and every thread
reads through its own cursor; writes go through `transaction()`, which serialises writers inside
the process and makes each upload all-or-nothing. The SQL is the same for both stores: the one
thing that differs, how a batch id is drawn, is a macro each store defines its own way
(`next_batch_id()`).
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

import duckdb

from analytics import schema

if TYPE_CHECKING:
    import polars as pl

DEFAULT_DB_PATH: Final = Path("data") / "internships.duckdb"
DB_ENV_VAR: Final = "INTERNSHIPS_DB"
MEMORY_ENV_VAR: Final = "INTERNSHIPS_MEMORY_LIMIT"
# DuckDB's default is 80% of RAM; the dashboard's server must stay under 1.5 GB with ten million
# placements, so bound the buffer pool and let large operators spill to disk instead.
DEFAULT_MEMORY_LIMIT: Final = "1GB"
# Group keys of up to this many bits (from the key columns' min/max statistics) get DuckDB's
# perfect hash table, a plain array, instead of its general hash table. The metrics group the
# facts by small integers -- employer and packed flags (15 bits), flags and attributes (14) --
# which the default of 12 bits sends to the general table at about 1.7x the CPU. 16 bits is
# 65,536 slots at most.
PERFECT_HASH_BITS: Final = 16
LAKE_PREFIX: Final = "ducklake:"
COUNTED_TABLES: Final = ("placements", "batches", "quarantine")
T = TypeVar("T")


class StoreError(Exception):
    """A database problem explained in words a user can act on."""


class DatabaseBusyError(StoreError):
    pass


# A new placement's disclosure cell key (migration 3). The lake cannot default a column to an
# expression, so every insert names it with this (analytics.ingest.load.with_record_key); the
# file's column default is the same expression, for rows written any other way.
RECORD_KEY_SQL: Final = "CAST(floor(random() * 256) AS INTEGER)"

# Written once in DuckDB's dialect; the lake store adapts the few constructs DuckLake lacks
# (keys, sequences, expression defaults) in lake.lake_ddl: one list of migrations for both.
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
            f"ALTER TABLE placements ADD COLUMN IF NOT EXISTS record_key INTEGER DEFAULT {RECORD_KEY_SQL}",
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
    (
        7,
        # The outcome fields beyond the first wave (schema.OUTCOME_FIELDS): returning interns,
        # the hiring timeline, reneges, retention, bonus, outcome source, ratings, equity.
        tuple(
            f"ALTER TABLE placements ADD COLUMN IF NOT EXISTS {name} "
            f"{schema.FIELD_BY_NAME[name].sql_type}"
            for name in schema.OUTCOME_FIELDS
        ),
    ),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1][0]
SCHEMA_VERSION_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS schema_version "
    "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
)


def is_lake_url(target: str | os.PathLike[str]) -> bool:
    return str(target).startswith(LAKE_PREFIX)


def database_exists(target: str | os.PathLike[str]) -> bool:
    """Whether there is a database to open (a lake is a server's: it is there to ask)."""
    return is_lake_url(target) or str(target) == ":memory:" or Path(target).exists()


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH`, else $INTERNSHIPS_DB, else data/internships.duckdb.

    A lake URL comes back as a Path too (callers only pass it on to `open_store`, which reads
    both the URL and its Path spelling, where `//` has become `/`)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(DB_ENV_VAR)
    return Path(env) if env else DEFAULT_DB_PATH


# DuckDB 2 warns that Arrow from an executed statement copies its rows: the results read this
# way are small aggregates, and the copy costs less than the relation API's second bind.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class Store:
    """One open database. Use `open_store` rather than constructing it directly.

    `Store(target)` gives the implementation the target names: a lake URL
    (`ducklake:postgresql://...`) opens the lake store, anything else a DuckDB file.
    """

    kind: ClassVar[str] = ""
    path: Path
    read_only: bool
    _con: duckdb.DuckDBPyConnection

    def __new__(cls, target: str | os.PathLike[str], **options: Any) -> Store:
        del options
        if cls is Store:
            # Imported here, not at the top: both implementations import this module.
            if is_lake_url(target):
                from analytics.store.lake import LakeStore
                return super().__new__(LakeStore)
            from analytics.store.embedded import EmbeddedStore
            return super().__new__(EmbeddedStore)
        return super().__new__(cls)

    def __init__(self, target: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.read_only = read_only
        self._local = threading.local()
        self._write_lock = threading.RLock()

    @property
    def location(self) -> str:
        """Where the data is, for messages (never a password)."""
        return str(self.path)

    # -- what each implementation defines ----------------------------------------------------
    def _prepare_cursor(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Per-connection setup: the name resolution and the `next_batch_id()` macro."""
        raise NotImplementedError

    def _ddl(self, statement: str) -> list[str]:
        """A migration statement in this store's dialect (none, one or several statements)."""
        return [statement]

    @contextmanager
    def _schema_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own on which CREATE TABLE creates the shared, durable tables (its
        own, because the per-thread cursors' setup needs objects the migrations create)."""
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    # -- connections -------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor on the shared database instance."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._prepare_cursor(cur)
            self._local.cursor = cur
        return cur

    def _read(self, run: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run a read on the cursor reads go through (this thread's; the lake's differs)."""
        return run(self.cursor())

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run a read query and return its (small, aggregated) result as a Polars frame."""
        import polars as pl  # here, not at the top: an import (the CLI's) need not load Polars

        # execute + Arrow, not `cur.sql(...).pl()`: DuckDB 2's relation API binds the statement
        # once to learn its schema and again to run it, a few milliseconds per metric query.
        frame = pl.from_arrow(self._read(lambda cur: cur.execute(sql, params).to_arrow_table()))
        assert isinstance(frame, pl.DataFrame)
        return frame

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self._read(lambda cur: cur.execute(sql, params).fetchall())

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        # fetchall, not fetchone: DuckDB keeps a half-read result open and refuses the next call.
        rows = self._read(lambda cur: cur.execute(sql, params).fetchall())
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
            finally:
                if changes_data:
                    # This thread's own write moves the version on: a pinned one is stale now.
                    self._local.pinned_version = None

    # -- schema ------------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self._schema_cursor() as cur:
            try:
                rows = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()
            except duckdb.CatalogException:
                return 0
        return int(rows[0][0])

    def migrate(self) -> int:
        """Bring the database to SCHEMA_VERSION. Running it again changes nothing."""
        with self._write_lock, self._schema_cursor() as cur:
            for ddl in self._ddl(SCHEMA_VERSION_DDL):
                cur.execute(ddl)
            current = self.schema_version()
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                cur.execute("BEGIN TRANSACTION")
                try:
                    for statement in statements:
                        for adapted in self._ddl(statement):
                            cur.execute(adapted)
                    cur.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
            return self.schema_version()

    def data_version(self) -> int:
        """Changes with every committed write; part of every cache key.

        Inside `one_data_version()` it is read once and the same number is given back on this
        thread (until this thread writes); otherwise it is read every time."""
        pinned: int | None = getattr(self._local, "pinned_version", None)
        if pinned is not None:
            return pinned
        version = self._read_data_version()
        if getattr(self._local, "pin_depth", 0):
            self._local.pinned_version = version
        return version

    def _read_data_version(self) -> int:
        return int(self.scalar("SELECT max(version) FROM data_version") or 0)

    @contextmanager
    def one_data_version(self) -> Iterator[int]:
        """One data version for everything this thread does inside (a page's script run): the
        cache keys, the facts' freshness check and the selection cache all ask for it, 30 to
        100 times a run, and in the lake each read would be a catalog round trip. A write of
        this thread's inside reads it afresh; the next `one_data_version()` always does, so a
        new upload (here or by another process) shows at the next script run."""
        depth: int = getattr(self._local, "pin_depth", 0)
        outer: int | None = getattr(self._local, "pinned_version", None)
        self._local.pin_depth = depth + 1
        self._local.pinned_version = None if depth == 0 else outer
        try:
            yield self.data_version()
        finally:
            self._local.pin_depth = depth
            if depth == 0:
                self._local.pinned_version = None

    def table_counts(self) -> dict[str, int]:
        return {table: int(self.scalar(f"SELECT count(*) FROM {table}")) for table in COUNTED_TABLES}

    def checkpoint(self) -> bool:
        """Write recent changes into the store's files so that memory holding them is released
        (the server calls it after an upload or undo). False when another write is under way
        and it could not be done now. Nothing to do by default."""
        return True

    def close(self) -> None:
        self._con.close()


def strip_keys(statement: str) -> str:
    """The statement without PRIMARY KEY / UNIQUE constraints (for stores that have none)."""
    statement = re.sub(r",\s*(PRIMARY KEY|UNIQUE)\s*\([^)]*\)", "", statement, flags=re.IGNORECASE)
    return re.sub(r"\s+(PRIMARY KEY|UNIQUE)\b", "", statement, flags=re.IGNORECASE)
