"""Writing a batch: the ledger row, pseudonymised and derived columns, all in one transaction.

Student ids never reach the database in the clear: they are replaced by HMAC-SHA256 under a key
kept beside the database file (or given in $INTERNSHIPS_PSEUDONYM_KEY or, as a file,
$INTERNSHIPS_PSEUDONYM_KEY_FILE; the lake store requires one of them), computed inside DuckDB so
a million rows cost no Python loop. The hashed message is the university (trimmed, lower case)
and the id, so `12345` at two universities is two students (`pseudonym` is the reference).

The database records a fingerprint of the key it was filled with; an import under another key
(a database copied without its key file) is refused instead of silently giving every returning
student a new pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any, Final

import duckdb

from analytics import schema
from analytics.store import RECORD_KEY_SQL, Store, StoreError

KEY_ENV_VAR: Final = "INTERNSHIPS_PSEUDONYM_KEY"
KEY_FILE_ENV_VAR: Final = "INTERNSHIPS_PSEUDONYM_KEY_FILE"
_memory_key: Final = secrets.token_bytes(32)
# Between the university and the id in the hashed message: a character no cleaned value holds.
SEPARATOR: Final = "\x1f"
FINGERPRINT_LABEL: Final = b"internships pseudonym key fingerprint v1"


class KeyMismatchError(Exception):
    """The pseudonym key is not the one the database's student ids were made with."""


def pseudonym_key(store: Store) -> bytes:
    """The keyed-hash secret for this database, created (mode 0600) on first use."""
    env = os.environ.get(KEY_ENV_VAR)
    if env:
        return hashlib.sha256(env.encode()).digest()
    key_file = os.environ.get(KEY_FILE_ENV_VAR)
    if key_file:
        try:
            return Path(key_file).read_bytes()
        except OSError as error:
            raise StoreError(f"Cannot read the pseudonym key ${KEY_FILE_ENV_VAR}={key_file}: "
                             f"{error.strerror}") from None
    if store.kind == "lake":
        # Every replica and importer must pseudonymise alike, and there is no file beside a lake.
        raise StoreError(
            f"The lake store needs ${KEY_ENV_VAR} (a secret text) or ${KEY_FILE_ENV_VAR} (a key "
            "file), the same on every app replica and importer (see docs/deploy.md)."
        )
    if str(store.path) == ":memory:":
        return _memory_key
    key_path = Path(f"{store.path}.key")
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return key_path.read_bytes()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The (outer, inner) padded keys of HMAC-SHA256 (RFC 2104)."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    return bytes(b ^ 0x5C for b in block), bytes(b ^ 0x36 for b in block)


def pseudonym(key: bytes, university: str | None, student_id: str) -> str:
    """The stored pseudonym of a (cleaned) student id at a university: what the SQL computes."""
    message = f"{(university or '').strip().lower()}{SEPARATOR}{student_id}"
    return hmac.new(key, message.encode("utf-8"), "sha256").hexdigest()


def pseudonym_message_sql(student: str, university: str) -> str:
    """SQL for the hashed message: lower(trim(university)) || U+001F || student id."""
    return (f"lower(trim(coalesce(CAST({university} AS VARCHAR), ''))) || chr(31) || "
            f"CAST({student} AS VARCHAR)")


def hmac_sql(student: str, university: str, key: bytes) -> tuple[str, list[Any]]:
    """SQL for the pseudonym of `student` at `university` (HMAC-SHA256 as hex, RFC 2104), with
    its two bound parameters."""
    opad, ipad = hmac_pads(key)
    message = pseudonym_message_sql(student, university)
    sql = (
        f"CASE WHEN {student} IS NULL THEN NULL ELSE "
        f"sha256(?::BLOB || unhex(sha256(?::BLOB || encode({message})))) END"
    )
    return sql, [opad, ipad]


def key_fingerprint(key: bytes) -> str:
    """A short public fingerprint of the key: tells keys apart, reveals nothing of the key."""
    return hmac.new(key, FINGERPRINT_LABEL, "sha256").hexdigest()[:16]


def check_key(cur: duckdb.DuckDBPyConnection, key: bytes, *, record: bool, where: str = "") -> None:
    """Refuse a key other than the one the database's pseudonyms were made with; record the
    key's fingerprint on the first write (`record`). Raises KeyMismatchError."""
    fingerprint = key_fingerprint(key)
    rows = cur.execute("SELECT fingerprint FROM pseudonym_key LIMIT 1").fetchall()
    if rows and rows[0][0] != fingerprint:
        raise KeyMismatchError(
            f"the pseudonym key{where} is not the key this database's student ids were made with "
            f"(key fingerprint {fingerprint}, database expects {rows[0][0]}). Importing with it "
            "would make every returning student look new. Put the database's own key file back "
            f"beside it (or set ${KEY_ENV_VAR} as before), then import again."
        )
    if not rows and record:
        cur.execute("INSERT INTO pseudonym_key (fingerprint) VALUES (?)", [fingerprint])


def key_location(store: Store) -> str:
    """Where the key comes from, for messages."""
    if os.environ.get(KEY_ENV_VAR):
        return f" (from ${KEY_ENV_VAR})"
    if os.environ.get(KEY_FILE_ENV_VAR):
        return f" (from ${KEY_FILE_ENV_VAR}={os.environ[KEY_FILE_ENV_VAR]})"
    return "" if str(store.path) == ":memory:" else f" ({store.path}.key)"


def new_batch(
    cur: duckdb.DuckDBPyConnection,
    *,
    file_name: str,
    sha256: str | None,
    uploader: str | None,
    mapping_json: str | None,
) -> int:
    # next_batch_id() is each store's own (a DuckDB or a PostgreSQL sequence); the id is drawn
    # first because DuckLake has no INSERT ... RETURNING.
    batch_id = int(cur.execute("SELECT next_batch_id()").fetchall()[0][0])
    cur.execute(
        "INSERT INTO batches (batch_id, file_name, sha256, uploader, mapping) VALUES (?, ?, ?, ?, ?)",
        [batch_id, file_name, sha256, uploader, mapping_json],
    )
    return batch_id


def insert_sql(target: str, select: str) -> str:
    """INSERT INTO target of a SELECT that gives the schema's fields in order, plus each new row's
    disclosure cell key: named here, not left to a column default, because the lake store's
    tables can only default to constants."""
    columns = ", ".join(f.name for f in schema.FIELDS)
    return f"INSERT INTO {target} ({columns}, record_key) SELECT *, {RECORD_KEY_SQL} FROM ({select})"


def insert_placements(
    cur: duckdb.DuckDBPyConnection, source: str, batch_id: int, key: bytes,
    params: list[Any] | None = None,
) -> int:
    """Insert rows of `source` (a relation with the canonical input columns, typed) as batch_id.

    The student id is pseudonymised, a missing placement id is derived from a hash of the row's
    natural key, and the derived fields are computed by the schema's SQL.
    """
    check_key(cur, key, record=True)
    student_sql, student_params = hmac_sql("student_id", "university", key)
    # The same derivation as the importer's (analytics.ingest.stage): with a student, the key is
    # the pseudonymised student at that employer, role and term; without one, every field.
    natural_key = ", ".join(
        f"coalesce(CAST({c} AS VARCHAR), '')"
        for c in ("student_id", "employer", "role", "term_season", "term_year", "start_date")
    )
    every_field = ", ".join(
        f"coalesce(CAST({c} AS VARCHAR), '')" for c in schema.INPUT_NAMES
        if c not in ("placement_id", "student_id")
    )
    inputs = [f"{student_sql} AS student_id" if name == "student_id" else name
              for name in schema.INPUT_NAMES]
    derived = ", ".join(f"{sql} AS {name}" for name, sql in schema.DERIVED_SQL.items())
    placement = (
        "coalesce(placement_id, CASE WHEN student_id IS NOT NULL "
        f"THEN 'h' || left(sha256(concat_ws('|', {natural_key})), 20) "
        f"ELSE 'r' || left(sha256(concat_ws('|', {every_field})), 20) END) AS placement_id"
    )
    rest = ", ".join(n for n in schema.INPUT_NAMES if n != "placement_id")
    sql = insert_sql("placements", f"SELECT {placement}, {rest}, {derived}, ? AS batch_id "
                                   f"FROM (SELECT {', '.join(inputs)} FROM {source})")
    # Placeholders appear in text order: batch id, then the HMAC pads, then the source's own.
    inserted = cur.execute(sql, [batch_id, *student_params, *(params or [])]).fetchall()
    return int(inserted[0][0])


def canonical_csv_source(path: Path) -> tuple[str, list[Any]]:
    """A typed read of a CSV already in the canonical layout (the shipped sample, benchmarks)."""
    types = {f.name: f.sql_type for f in schema.INPUT_FIELDS}
    columns = "{" + ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in types.items()) + "}"
    return f"read_csv(?, header = true, columns = {columns})", [str(path)]


def load_canonical_csv(store: Store, path: Path, *, uploader: str = "sample") -> int:
    """Load a canonical-layout CSV as one batch (used by `internships init --sample`).

    It goes through the full import (parse, validate, quarantine, ledger); headers that are
    the canonical names map to themselves and canonical values take the parsers' fast paths.
    Returns the batch id (the earlier batch's id when this file was already imported).
    """
    from analytics.ingest.mapping import Mapping
    from analytics.ingest.pipeline import import_file

    identity = Mapping(columns={name: name for name in schema.INPUT_NAMES})
    report = import_file(store, path, mapping=identity, uploader=uploader)
    batch_id = report.batch_id if report.batch_id is not None else report.already_imported_as
    assert batch_id is not None
    return batch_id
