"""The lake store: DuckLake, its catalog in PostgreSQL and its data as Parquet files in a
directory or an S3-compatible bucket. Many processes (app replicas, importers) use it at once.

Selected by the database URL, `ducklake:postgresql://user[:password]@host[:port]/db`, with the
data path from $INTERNSHIPS_LAKE_DATA (a directory, or s3://bucket/prefix). The DuckLake tables
(placements, batches, quarantine, and every other table the migrations create) are shared by all
processes. How the shared SQL is kept:

- Name resolution: each process's main database is a small local DuckDB file (`cache`) that
  holds what is private to the process (the metrics layer's facts tables, rebuilt from the lake),
  and unqualified names are looked up there first, then in the lake. So `CREATE TABLE
  metrics_facts` stays local while `INSERT INTO placements` goes to the lake.
- Reads (`query`, `rows`, `scalar` outside a write) reach the lake's tables through views of
  the same names in the cache (schema `lake_views`) instead: with the lake on the search path,
  every query, even one of the local facts alone, opens a DuckLake snapshot (a handful of
  PostgreSQL round trips, about 10 ms) just to look names up there. So a page's queries of the
  local facts cost what they cost in the file, and only a query naming a lake table reads the
  lake. `cursor()` and `transaction()` keep the lake on the search path, so writes go there.
- The data version is the same one-row table as in the file, bumped by every write that changes
  data, and read at the latest snapshot. So an upload or undo on one replica moves every other
  replica's cache keys on at its next read, with no restart. Reading it is cheap: the newest
  snapshot id comes from the catalog in one PostgreSQL query, and the table is read only when
  that id has moved since the last read. It is not the snapshot id itself: logins and the
  audit log commit snapshots too, and must not throw away every replica's caches and facts.
- Batch ids come from a PostgreSQL sequence (DuckLake has no sequences), behind the same
  `next_batch_id()` macro the embedded store defines over its DuckDB sequence.
- Writers take turns (PostgreSQL advisory locks, see `transaction`), as they do inside one process
  in the embedded store, so duplicate checks see every earlier upload and the version counter
  never conflicts; readers never wait.
- DuckLake has no PRIMARY KEY / UNIQUE constraints: the migrations' keys are dropped here; the
  importer never relied on them (it checks the ledger and placement ids itself).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, TypeVar
from urllib.parse import unquote, urlsplit

import duckdb

from analytics.store.base import (
    DEFAULT_MEMORY_LIMIT,
    LAKE_PREFIX,
    MEMORY_ENV_VAR,
    PERFECT_HASH_BITS,
    Store,
    StoreError,
    _first_line,
    strip_keys,
)

DATA_ENV_VAR: Final = "INTERNSHIPS_LAKE_DATA"
LAKE: Final = "lake"  # the DuckLake catalog's name in every process
PG: Final = "lake_pg"  # the same PostgreSQL database, attached directly (for the sequence)
CACHE: Final = "cache"  # the process's own local database (file cache.duckdb)
VIEWS: Final = "lake_views"  # the schema, in the cache, of the views of the lake's tables
READ_PATH: Final = f"{CACHE}.main,{CACHE}.{VIEWS}"
WRITE_PATH: Final = f"{CACHE}.main,{LAKE}.main"
SEQUENCE_PREFIX: Final = "internships_"
EXTENSIONS: Final = ("ducklake", "postgres", "httpfs")
# The one DuckDB release the offline extension packages exist for: the `lake` extra pins it.
LAKE_DUCKDB: Final = "1.5.5"
LAKE_INSTALL_MESSAGE: Final = (
    "The lake store needs the lake install: pip install 'internship-outcomes[lake]' (DuckDB "
    f"{LAKE_DUCKDB} with its DuckLake, PostgreSQL and httpfs extensions); this one has DuckDB {{version}}."
)
# Concurrent commits that touch the same table are retried by DuckLake; uploads and undos from
# many analysts at once can need more than its default few tries.
MAX_COMMIT_RETRIES: Final = 100
# The advisory locks writers of a lake take: one for data (uploads, undo), one for access.
DATA_LOCK_KEY: Final = 0x1A4E_0001
ACCESS_LOCK_KEY: Final = 0x1A4E_0002
T = TypeVar("T")


def postgres_conninfo(url: str) -> str:
    """libpq key=value text for `ducklake:postgresql://user:pw@host:port/db` (or its Path
    spelling with one slash), or the text after `ducklake:postgres:` when that is key=value."""
    rest = url[len(LAKE_PREFIX):]
    match = re.match(r"(postgres(?:ql)?):/+(.*)", rest)
    if match is None:
        if rest.startswith("postgres:"):
            return rest[len("postgres:"):]
        raise StoreError(
            f"Not a lake URL: {_redact(url)} (expected ducklake:postgresql://user@host:port/database)"
        )
    parts = urlsplit("postgresql://" + match.group(2))
    fields = {
        "dbname": unquote(parts.path.lstrip("/")) or None,
        "host": parts.hostname,
        "port": str(parts.port) if parts.port else None,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }
    if not fields["dbname"]:
        raise StoreError(f"The lake URL {_redact(url)} names no database (…/database at the end).")
    return " ".join(f"{k}={_quote(v)}" for k, v in fields.items() if v)


def _quote(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_.\-/]+", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _redact(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _sql_text(value: str) -> str:
    """A SQL string literal (ATTACH and CREATE SECRET take no bound parameters)."""
    return "'" + value.replace("'", "''") + "'"


def _offline_extension(name: str) -> Path | None:
    """The extension file shipped by the Python package duckdb-extension-<name> for this DuckDB."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}"
    return next(iter(sorted(folder.glob("*.duckdb_extension"))), None)


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD ducklake, postgres and httpfs: installed already, else from the offline Python packages
    (duckdb-extension-*), else the normal INSTALL (which downloads) on the lake's DuckDB release.
    Any other release (the default install's DuckDB 2.0) without them says how to get the lake
    install, in one line, rather than trying a download that has no package to come from."""
    installed = {str(row[0]) for row in con.execute(
        "SELECT extension_name FROM duckdb_extensions() WHERE installed OR loaded").fetchall()}
    for name in EXTENSIONS:
        offline = _offline_extension(name)
        if name not in installed and offline is None and duckdb.__version__ != LAKE_DUCKDB:
            raise StoreError(LAKE_INSTALL_MESSAGE.format(version=duckdb.__version__))
        try:
            con.execute(f"LOAD {name}")
            continue
        except duckdb.Error:
            pass
        try:
            con.execute(f"INSTALL {_sql_text(str(offline))}" if offline else f"INSTALL {name}")
            con.execute(f"LOAD {name}")
        except duckdb.Error as error:
            raise StoreError(
                f"The lake store needs DuckDB's {name} extension and could not load it "
                f"({_first_line(error)}). Install the package duckdb-extension-{name}=="
                f"{duckdb.__version__}, or give this machine internet access once."
            ) from None


def s3_secret_sql(data_path: str) -> str | None:
    """CREATE SECRET for an s3:// data path, from the usual AWS variables; None otherwise.

    $AWS_ENDPOINT_URL points at an S3-compatible service (MinIO, a test server)."""
    if not data_path.startswith("s3://"):
        return None
    options = {"TYPE": "s3", "SCOPE": data_path, "REGION": os.environ.get("AWS_REGION", "us-east-1")}
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        options["KEY_ID"] = os.environ["AWS_ACCESS_KEY_ID"]
        options["SECRET"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    text = ", ".join(f"{k} {v if k == 'TYPE' else _sql_text(v)}" for k, v in options.items())
    if endpoint:
        parts = urlsplit(endpoint)
        text += (f", ENDPOINT {_sql_text(parts.netloc)}, URL_STYLE 'path', "
                 f"USE_SSL {'true' if parts.scheme == 'https' else 'false'}")
    return f"CREATE OR REPLACE SECRET lake_s3 ({text})"


def lake_ddl(statement: str) -> list[str]:
    """A migration statement as DuckLake takes it: keys dropped; a column added with an
    expression default becomes the column, then existing rows set to the expression (new rows
    name it on insert); a sequence is made in PostgreSQL instead (LakeStore._ddl)."""
    text = statement.strip()
    if re.match(r"CREATE SEQUENCE", text, re.IGNORECASE):
        return []
    added = re.fullmatch(r"(ALTER TABLE (\w+) ADD COLUMN (?:IF NOT EXISTS )?(\w+) \w+) DEFAULT (.+)",
                         text, re.IGNORECASE | re.DOTALL)
    if added and not re.fullmatch(r"-?[\d.]+|'[^']*'|true|false|NULL", added.group(4), re.IGNORECASE):
        column_sql, table, column, default = added.groups()
        return [column_sql, f"UPDATE {table} SET {column} = {default} WHERE {column} IS NULL"]
    return [strip_keys(text)]


class LakeStore(Store):
    """A DuckLake catalog in PostgreSQL with Parquet data, shared by many processes."""

    kind = "lake"

    def __init__(self, target: str | os.PathLike[str], *, read_only: bool = False,
                 data_path: str | None = None) -> None:
        super().__init__(target, read_only=read_only)
        self._lock_cursor: duckdb.DuckDBPyConnection | None = None
        # (snapshot id, data version at or after it): the version stays good while no commit
        # has made a newer snapshot.
        self._version_seen: tuple[int, int] | None = None
        self._version_lock = threading.Lock()
        self.url = str(target)
        self.path = Path(self.url)
        conninfo = postgres_conninfo(self.url)
        data = data_path or os.environ.get(DATA_ENV_VAR, "")
        self._cache_dir = Path(tempfile.mkdtemp(prefix="internships-lake-"))
        # An app server is stopped without closing its store: remove the cache at exit anyway.
        atexit.register(shutil.rmtree, self._cache_dir, True)
        self._con = duckdb.connect(str(self._cache_dir / f"{CACHE}.duckdb"))
        try:
            self._con.execute(
                "SET memory_limit = ?", [os.environ.get(MEMORY_ENV_VAR, DEFAULT_MEMORY_LIMIT)]
            ).fetchall()
            self._con.execute(f"SET perfect_ht_threshold = {PERFECT_HASH_BITS}")
            load_extensions(self._con)
            secret = s3_secret_sql(data)
            if secret:
                self._con.execute(secret)
            options = [f"DATA_PATH {_sql_text(data)}"] if data else []
            if read_only:
                options.append("READ_ONLY")
            attach = f"ATTACH {_sql_text('ducklake:postgres:' + conninfo)} AS {LAKE}"
            self._con.execute(attach + (f" ({', '.join(options)})" if options else ""))
            self._con.execute(f"ATTACH {_sql_text(conninfo)} AS {PG} (TYPE postgres)")
            self._con.execute(f"SET ducklake_max_retry_count = {MAX_COMMIT_RETRIES}")
        except duckdb.Error as error:
            self._con.close()
            shutil.rmtree(self._cache_dir, ignore_errors=True)
            raise StoreError(f"Could not open the lake {self.location}: {_first_line(error)}") from None
        except BaseException:
            self._con.close()
            shutil.rmtree(self._cache_dir, ignore_errors=True)
            raise
        if not read_only:
            self.migrate()
        self._create_views()

    @property
    def location(self) -> str:
        return _redact(self.url)

    def _create_views(self) -> None:
        """A view in the cache for every table of the lake (after the migrations made them)."""
        cur = self._con.cursor()
        try:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {CACHE}.{VIEWS}")
            tables = [str(row[0]) for row in cur.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                "AND schema_name = 'main'", [LAKE]).fetchall()]
            for table in tables:
                cur.execute(f"CREATE OR REPLACE VIEW {CACHE}.{VIEWS}.{table} AS "
                            f"SELECT * FROM {LAKE}.main.{table}")
        finally:
            cur.close()

    def _read(self, run: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`query`, `rows` and `scalar` outside a write: on this thread's reading cursor, whose
        search path reaches the lake through the views. What the views cannot answer (a
        table's rowid, a table another process's migration has added since) is asked the
        old way, with the lake on the search path."""
        if getattr(self._local, "writing", 0):
            return run(self.cursor())
        reader: duckdb.DuckDBPyConnection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._con.cursor()
            reader.execute(f"SET search_path = '{READ_PATH}'")
            self._local.reader = reader
        try:
            return run(reader)
        except (duckdb.BinderException, duckdb.CatalogException):
            return run(self.cursor())

    def _prepare_cursor(self, cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute(f"SET search_path = '{WRITE_PATH}'")
        cur.execute(
            "CREATE OR REPLACE TEMP MACRO next_batch_id() AS (SELECT * FROM postgres_query("
            f"'{PG}', 'SELECT nextval(''{SEQUENCE_PREFIX}batch_ids'')'))"
        )

    @contextmanager
    def transaction(self, *, changes_data: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing write, and one writer at a time across every process of the lake.

        DuckLake itself would let two uploads commit side by side, each checking for duplicates
        in its own snapshot, so the same file uploaded twice at once (or two files sharing
        placements) would load twice. So a write holds a PostgreSQL advisory lock from before its
        snapshot is taken until after its commit: a second writer waits (no error), then sees the
        first one's rows. The lock belongs to a PostgreSQL transaction of its own, so a killed
        process releases it with its connection. Readers never wait. Writes that change no data
        (logins, the audit log, principals) take turns among themselves under a second lock, so
        a login does not wait for an hour-long import."""
        with self._write_lock:
            if self._lock_cursor is None:
                self._lock_cursor = self._con.cursor()
            lock = self._lock_cursor
            key = DATA_LOCK_KEY if changes_data else ACCESS_LOCK_KEY
            lock.execute("BEGIN TRANSACTION")
            try:
                lock.execute(f"SELECT * FROM postgres_query('{PG}', "
                             f"'SELECT pg_advisory_xact_lock({key})')").fetchall()
                self._local.writing = getattr(self._local, "writing", 0) + 1
                try:
                    with super().transaction(changes_data=changes_data) as cur:
                        yield cur
                finally:
                    self._local.writing -= 1
            finally:
                lock.execute("ROLLBACK")

    def _ddl(self, statement: str) -> list[str]:
        match = re.match(r"CREATE SEQUENCE IF NOT EXISTS (\w+)(?: START (\d+))?", statement.strip(),
                         re.IGNORECASE)
        if match:
            name, start = match.group(1), match.group(2) or "1"
            self._con.cursor().execute(
                f"CALL postgres_execute('{PG}', 'CREATE SEQUENCE IF NOT EXISTS "
                f"{SEQUENCE_PREFIX}{name} START {int(start)}')"
            )
            return []
        return lake_ddl(statement)

    @contextmanager
    def _schema_cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super()._schema_cursor() as cur:
            cur.execute(f"USE {LAKE}")
            yield cur

    def migrate(self) -> int:
        # Replicas starting together may race to create the tables; DuckLake lets one commit win
        # and fails the others, which then find the work done.
        for attempt in range(5):
            try:
                return super().migrate()
            except duckdb.TransactionException:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def snapshot_id(self) -> int:
        """The lake's newest snapshot (every commit of any process makes one)."""
        return int(self.scalar(f"SELECT id FROM {LAKE}.current_snapshot()"))

    def _read_data_version(self) -> int:
        # On a cursor of its own, outside any transaction this thread has open (one would read
        # at its own, older snapshot): both reads see the newest commits.
        cur = self._con.cursor()
        try:
            snapshot = int(cur.execute(
                f"SELECT * FROM postgres_query('{PG}', "
                "'SELECT max(snapshot_id) FROM ducklake_snapshot')").fetchall()[0][0] or 0)
            with self._version_lock:
                seen = self._version_seen
            if seen is not None and seen[0] == snapshot:
                return seen[1]
            # Read after the snapshot id: the version is that of this snapshot or a newer one,
            # so it is never older than the id it is remembered with.
            version = int(cur.execute(
                f"SELECT max(version) FROM {LAKE}.main.data_version").fetchall()[0][0] or 0)
        finally:
            cur.close()
        with self._version_lock:
            if self._version_seen is None or self._version_seen[0] <= snapshot:
                self._version_seen = (snapshot, version)
        return version

    def close(self) -> None:
        try:
            super().close()
        finally:
            shutil.rmtree(self._cache_dir, ignore_errors=True)
