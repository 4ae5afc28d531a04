"""The import: read file -> map headers -> parse messy values -> validate -> load, as one
transaction, with a ledger row, a quarantine for rejected rows, and undo.

Accounting, for every upload: rows read = rows loaded + rows rejected + rows duplicate. A row is
rejected when it breaks a rule (its reasons go to the quarantine table with the row number,
column and value) or when the file's structure breaks on that line (ragged row, broken quoting,
over-long line). A valid row is a duplicate when its placement id is already in the database or
appeared earlier in the same file. The same file (by SHA-256) is not imported twice unless its
batch was undone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl

from analytics import schema
from analytics.ingest import mapping as M
from analytics.ingest import stage
from analytics.ingest.load import new_batch, pseudonym_key
from analytics.ingest.read import FileError, Source, open_source
from analytics.store import Store

Progress = Callable[[float, str], None]

REPORT_ROWS: Final = 10_000  # rejected rows kept in a report (all of them stay in the quarantine)
# Test hook: seconds to wait after the rows are written and before the commit (crash tests).
PAUSE_ENV_VAR: Final = "INTERNSHIPS_INGEST_PAUSE_BEFORE_COMMIT"
STRUCTURE_REASONS: Final = {
    "MISSING COLUMNS": "row has fewer fields than the header",
    "TOO MANY COLUMNS": "row has more fields than the header",
    "UNQUOTED VALUE": "broken quoting (a quote is not closed, or stray quotes inside a value)",
    "LINE SIZE OVER MAXIMUM": "line is longer than 2,000,000 bytes",
    "INVALID ENCODING": "text is not valid in the file's encoding",
    "INVALID UNICODE": "text is not valid in the file's encoding",
}


class IngestError(Exception):
    """An import request that cannot be carried out (unknown batch, already undone, ...)."""


@dataclass
class ImportReport:
    """What an import (or a dry run) found and did."""

    file: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    batch_id: int | None = None
    dry_run: bool = False
    already_imported_as: int | None = None
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    unmapped_columns: list[str] = field(default_factory=list)
    mapping: M.Mapping = field(default_factory=M.Mapping)
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    seconds: float = 0.0
    rejected: pl.DataFrame = field(default_factory=lambda: _empty_rejected())
    preview: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def exit_code(self) -> int:
        return 1 if self.rows_rejected else 0

    def summary(self) -> str:
        if self.already_imported_as is not None:
            return (f"{self.file}: already imported as batch {self.already_imported_as} "
                    f"({self.rows_read:,} rows); nothing new loaded. Undo batch "
                    f"{self.already_imported_as} to import it again.")
        verb = "would load" if self.dry_run else "loaded"
        batch = f" as batch {self.batch_id}" if self.batch_id is not None else ""
        return (f"{self.file}: read {self.rows_read:,} rows, {verb} {self.rows_loaded:,}{batch}, "
                f"rejected {self.rows_rejected:,}, duplicate {self.rows_duplicate:,}.")

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "sha256": self.sha256, "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
            "rows_duplicate": self.rows_duplicate, "batch_id": self.batch_id,
            "dry_run": self.dry_run, "already_imported_as": self.already_imported_as,
            "rejected_reasons": self.rejected_reasons, "unmapped_columns": self.unmapped_columns,
            "mapping": self.mapping.to_dict(), "warnings": self.warnings, "source": self.source,
        }


def _empty_rejected() -> pl.DataFrame:
    return pl.DataFrame(schema={"row_number": pl.Int64, "column": pl.String, "value": pl.String,
                                "reason": pl.String, "raw": pl.String})


@dataclass
class Inspection:
    """A file opened and mapped, not yet imported: what the mapping editor shows."""

    source: Source
    mapping: M.Mapping

    @property
    def columns(self) -> list[str]:
        return self.source.columns

    def sample(self, rows: int = 10) -> pl.DataFrame:
        data = self.source.sample_rows[:rows]
        return pl.DataFrame(
            {name: [row[i] for row in data] for i, name in enumerate(self.source.columns)},
            schema={name: pl.String for name in self.source.columns},
        )

    def close(self) -> None:
        self.source.close()


def inspect_file(path: Path, file_name: str | None = None,
                 mapping: M.Mapping | None = None) -> Inspection:
    """Open a file and suggest (or apply a saved) mapping. Raises FileError / MappingError."""
    source = open_source(path, file_name)
    try:
        resolved = M.resolve(source.columns, source.sample_rows, saved=mapping)
    except BaseException:
        source.close()
        raise
    return Inspection(source=source, mapping=resolved)


def mapping_warnings(mapping: M.Mapping) -> list[str]:
    fields = mapping.field_columns()
    warnings = []
    if "employer" not in fields and "employer" not in mapping.defaults:
        warnings.append("No column is mapped to employer, which every placement needs: "
                        "every row will be rejected. Map the column that names the employer.")
    return warnings


# -- the import -------------------------------------------------------------------------------
class _AlreadyImported(Exception):
    def __init__(self, batch_id: int, rows: int) -> None:
        super().__init__(batch_id)
        self.batch_id = batch_id
        self.rows = rows


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


class _Hasher(threading.Thread):
    """SHA-256 of the file, computed while DuckDB reads it (hashlib releases the GIL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.digest = ""
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.digest = file_sha256(self.path)
        except BaseException as error:  # reported on result()
            self.error = error

    def result(self) -> str:
        self.join()
        if self.error is not None:
            raise FileError(f"{self.path.name}: cannot read the file ({self.error}).")
        return self.digest


def import_file(
    store: Store,
    path: Path,
    *,
    file_name: str | None = None,
    mapping: M.Mapping | None = None,
    uploader: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    preview_rows: int = 0,
) -> ImportReport:
    """Import one file as one batch (or, with dry_run, report what an import would do).

    Raises FileError when the file cannot be read and MappingError when the mapping is unusable;
    a file already imported (same SHA-256, batch not undone) loads nothing and says so.
    """
    started = time.perf_counter()
    report_progress = progress or (lambda _fraction, _message: None)
    report_progress(0.0, "Opening the file")
    hasher = _Hasher(path)
    source = open_source(path, file_name)
    try:
        resolved = M.resolve(source.columns, source.sample_rows, saved=mapping)
        key = pseudonym_key(store)
        report = ImportReport(
            file=source.file_name, sha256="", dry_run=dry_run, mapping=resolved,
            unmapped_columns=resolved.unmapped(), source=source.describe(),
            warnings=[*source.warnings, *mapping_warnings(resolved)],
        )
        try:
            if dry_run:
                with _rolled_back(store) as cur:
                    _run(cur, source, resolved, key, hasher, report, uploader, report_progress,
                         preview_rows, write=False)
            else:
                with store.transaction() as cur:
                    _run(cur, source, resolved, key, hasher, report, uploader, report_progress,
                         preview_rows, write=True)
        except _AlreadyImported as done:
            report.already_imported_as = done.batch_id
            report.rows_read = report.rows_duplicate = done.rows
            report.rows_loaded = report.rows_rejected = 0
            report.rejected_reasons = {}
            report.rejected = _empty_rejected()
    finally:
        source.close()
        hasher.join()
    report.seconds = time.perf_counter() - started
    report_progress(1.0, "Done")
    return report


@contextmanager
def _rolled_back(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction that is always rolled back: a dry run leaves no trace."""
    cur = store.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
    finally:
        cur.execute("ROLLBACK")


def _stage(cur: duckdb.DuckDBPyConnection, source: Source, mapping: M.Mapping, key: bytes,
           table: str) -> tuple[str | None, stage.StagePlan]:
    rejects = f"{table}_rj" if source.kind == "csv" else None
    relation, relation_params = source.relation(rejects)
    plan = stage.build(relation, relation_params, source.columns, mapping, key,
                       samples=source.sample_rows, has_row_numbers=source.has_row_numbers)
    try:
        cur.execute(f"CREATE TEMP TABLE {table} AS {plan.sql}", plan.params).fetchall()
    except duckdb.Error as error:
        raise FileError(f"{source.file_name}: cannot read the file "
                        f"({str(error).splitlines()[0]}).") from None
    return rejects, plan


def _structural(cur: duckdb.DuckDBPyConnection, rejects: str | None) -> list[tuple[int, str, str]]:
    """(line, reason, text) for each line DuckDB could not split into the header's columns."""
    if rejects is None:
        return []
    rows = cur.execute(
        f"SELECT line, error_type, any_value(csv_line), min(error_message) FROM {rejects}_errors "
        "GROUP BY line, error_type ORDER BY line"
    ).fetchall()
    found: dict[int, tuple[int, str, str]] = {}
    for line, error_type, text, message in rows:
        reason = STRUCTURE_REASONS.get(str(error_type), f"cannot be read ({message})")
        if int(line) in found:
            previous = found[int(line)]
            reason = f"{previous[1]}; {reason}"
        found[int(line)] = (int(line), reason, str(text or "")[:1000])
    return list(found.values())


def _run(cur: duckdb.DuckDBPyConnection, source: Source, mapping: M.Mapping, key: bytes,
         hasher: _Hasher, report: ImportReport, uploader: str | None, progress: Progress,
         preview_rows: int, *, write: bool) -> None:
    table = f"ingest_{uuid.uuid4().hex[:12]}"
    progress(0.05, "Reading, parsing and checking every row")
    rejects, _plan = _stage(cur, source, mapping, key, table)
    structural = _structural(cur, rejects)
    if source.kind == "csv" and any("encoding" in reason for _l, reason, _t in structural):
        # Valid UTF-8 at the start, not later: read the whole file as Windows-1252 instead.
        cur.execute(f"DROP TABLE {table}")
        table = f"ingest_{uuid.uuid4().hex[:12]}"
        source.transcode("cp1252")
        report.source = source.describe()
        rejects, _plan = _stage(cur, source, mapping, key, table)
        structural = _structural(cur, rejects)
    progress(0.55, "Counting and checking for duplicates")
    good, bad = cur.execute(
        f"SELECT count(*) FILTER (WHERE NOT _blank), count(*) FILTER (WHERE NOT _blank AND NOT _ok) "
        f"FROM {table}"
    ).fetchall()[0]
    rows_read = int(good) + len(structural)
    if rows_read == 0:
        raise FileError(f"{source.file_name}: the file has a header row but no data rows.")
    if len(structural) >= 5 and len(structural) * 2 > rows_read:
        first = structural[0]
        raise FileError(
            f"{source.file_name}: {len(structural):,} of {rows_read:,} rows do not split into the "
            f"header's {len(source.columns)} columns (first on line {first[0]}: {first[1]}). "
            "Check the delimiter and the quoting, then upload again."
        )
    duplicates = _mark_duplicates(cur, table)
    # Rows created in this transaction carry DuckDB's transaction-local row ids (a large
    # offset, then contiguous in insertion order): keep the offset to number rows from 0.
    first_id, last_id, count = cur.execute(
        f"SELECT min(rowid), max(rowid), count(*) FROM {table}").fetchall()[0]
    if count and int(last_id) - int(first_id) + 1 != int(count):  # pragma: no cover - defensive
        raise RuntimeError("staged rows are not numbered contiguously")
    first_id = int(first_id or 0)
    sha = hasher.result()
    report.sha256 = sha
    previous = cur.execute(
        "SELECT batch_id, rows_read FROM batches WHERE sha256 = ? AND undone_at IS NULL "
        "ORDER BY batch_id LIMIT 1", [sha]
    ).fetchall()
    if previous:
        cur.execute(f"DROP TABLE {table}")
        raise _AlreadyImported(int(previous[0][0]), int(previous[0][1]))
    report.rows_read = rows_read
    report.rows_rejected = int(bad) + len(structural)
    report.rows_duplicate = duplicates
    report.rows_loaded = int(good) - int(bad) - duplicates
    row_number = _row_number_sql(source, structural, first_id)
    report.rejected_reasons = _reasons(cur, table, structural)
    report.rejected = _rejected_frame(cur, table, row_number, structural, REPORT_ROWS)
    if preview_rows:
        report.preview = _preview(cur, table, row_number, preview_rows)
    if write:
        progress(0.65, "Writing the rows")
        batch_id = new_batch(cur, file_name=source.file_name, sha256=sha,
                             uploader=uploader, mapping_json=mapping.to_json())
        loaded = _insert(cur, table, batch_id, duplicates > 0)
        if loaded != report.rows_loaded:  # pragma: no cover - the accounting is the contract
            raise RuntimeError(f"loaded {loaded} rows, expected {report.rows_loaded}")
        progress(0.85, "Keeping the rejected rows and their reasons")
        _quarantine(cur, table, batch_id, row_number, structural)
        cur.execute(
            "UPDATE batches SET rows_read = ?, rows_loaded = ?, rows_rejected = ?, "
            "rows_duplicate = ? WHERE batch_id = ?",
            [report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_duplicate,
             batch_id],
        )
        report.batch_id = batch_id
        pause = os.environ.get(PAUSE_ENV_VAR)
        if pause:
            print(f"ingest: rows written for batch {batch_id}; committing", flush=True)
            time.sleep(float(pause))
        progress(0.95, "Committing")
    cur.execute(f"DROP TABLE {table}")


def _mark_duplicates(cur: duckdb.DuckDBPyConnection, table: str) -> int:
    """Flag valid rows whose placement id is already stored or came earlier in this file."""
    in_file, stored = cur.execute(
        f"SELECT count(*) - count(DISTINCT placement_id), "
        f"(SELECT count(*) FROM {table} s SEMI JOIN placements p USING (placement_id) "
        f" WHERE s._ok AND NOT s._blank) "
        f"FROM {table} WHERE _ok AND NOT _blank"
    ).fetchall()[0]
    if not in_file and not stored:
        cur.execute(f"ALTER TABLE {table} ADD COLUMN _dup BOOLEAN DEFAULT false")
        return 0
    cur.execute(f"ALTER TABLE {table} ADD COLUMN _dup BOOLEAN DEFAULT false")
    cur.execute(
        f"UPDATE {table} SET _dup = true WHERE rowid IN ("
        f"  SELECT rowid FROM {table} WHERE _ok AND NOT _blank "
        f"  QUALIFY row_number() OVER (PARTITION BY placement_id ORDER BY rowid) > 1 "
        f"  UNION ALL "
        f"  SELECT s.rowid FROM {table} s SEMI JOIN placements p USING (placement_id) "
        f"  WHERE s._ok AND NOT s._blank)"
    )
    return int(cur.execute(f"SELECT count(*) FROM {table} WHERE _dup").fetchall()[0][0])


def _row_number_sql(source: Source, structural: list[tuple[int, str, str]], first_id: int) -> str:
    """SQL for a staged row's number as the user sees it (sheet row, or the file's line)."""
    if source.has_row_numbers:
        return "_row"
    index = f"(rowid - {int(first_id)})"
    base = f"({source.header_row} + 1 + {index})"
    if not structural or len(structural) > 10_000:
        return base
    # Lines DuckDB set aside come before some good rows: count them in. The j-th set-aside line
    # (0-based) has `line - header - 1 - j` good rows above it.
    before = [line - source.header_row - 1 - j for j, (line, _r, _t) in enumerate(structural)]
    values = ", ".join(str(int(b)) for b in before)
    return f"({base} + len(list_filter([{values}], lambda b: b <= {index})))"


def _reasons(cur: duckdb.DuckDBPyConnection, table: str,
             structural: list[tuple[int, str, str]]) -> dict[str, int]:
    rows = cur.execute(
        f"SELECT p.column || ': ' || p.reason AS reason, count(DISTINCT rid) AS n FROM "
        f"(SELECT rowid AS rid, unnest(_problems) AS p FROM {table} WHERE NOT _ok AND NOT _blank) "
        "GROUP BY 1 ORDER BY n DESC, reason"
    ).fetchall()
    reasons = {str(reason): int(n) for reason, n in rows}
    for _line, reason, _text in structural:
        reasons[reason] = reasons.get(reason, 0) + 1
    return dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))


def _rejected_frame(cur: duckdb.DuckDBPyConnection, table: str, row_number: str,
                    structural: list[tuple[int, str, str]], limit: int) -> pl.DataFrame:
    frame: pl.DataFrame = cur.sql(
        f"SELECT CAST({row_number} AS BIGINT) AS row_number, p.column AS column, p.value AS value, "
        f"p.reason AS reason, _raw AS raw FROM (SELECT *, rowid, unnest(_problems) AS p FROM {table} "
        f"WHERE NOT _ok AND NOT _blank) ORDER BY row_number LIMIT {int(limit)}"
    ).pl()
    if structural:
        extra = pl.DataFrame(
            {"row_number": [s[0] for s in structural], "column": [None] * len(structural),
             "value": [s[2] for s in structural], "reason": [s[1] for s in structural],
             "raw": [None] * len(structural)},
            schema=frame.schema,
        )
        frame = pl.concat([frame, extra]).sort("row_number").head(limit)
    return frame


def _preview(cur: duckdb.DuckDBPyConnection, table: str, row_number: str, rows: int) -> pl.DataFrame:
    columns = ", ".join(schema.INPUT_NAMES)
    frame: pl.DataFrame = cur.sql(
        f"SELECT CAST({row_number} AS BIGINT) AS row_number, "
        f"CASE WHEN _ok THEN 'ok' ELSE array_to_string(list_transform(_problems, "
        f"lambda p: p.column || ': ' || p.reason), '; ') END AS problems, {columns} "
        f"FROM {table} WHERE NOT _blank ORDER BY rowid LIMIT {int(rows)}"
    ).pl()
    return frame


def _insert(cur: duckdb.DuckDBPyConnection, table: str, batch_id: int, any_duplicates: bool) -> int:
    inputs = ", ".join(schema.INPUT_NAMES)
    derived = ", ".join(f"{sql} AS {name}" for name, sql in schema.DERIVED_SQL.items())
    columns = ", ".join(f.name for f in schema.FIELDS)
    where = "_ok AND NOT _blank" + (" AND NOT _dup" if any_duplicates else "")
    inserted = cur.execute(
        f"INSERT INTO placements ({columns}) "
        f"SELECT {inputs}, {derived}, ? AS batch_id FROM {table} WHERE {where}",
        [batch_id],
    ).fetchall()
    return int(inserted[0][0])


def _quarantine(cur: duckdb.DuckDBPyConnection, table: str, batch_id: int, row_number: str,
                structural: list[tuple[int, str, str]]) -> None:
    cur.execute(
        "INSERT INTO quarantine (batch_id, row_number, column_name, value, reason, raw) "
        f"SELECT ?, {row_number}, p.column, p.value, p.reason, _raw "
        f"FROM (SELECT *, rowid, unnest(_problems) AS p FROM {table} WHERE NOT _ok AND NOT _blank)",
        [batch_id],
    )
    if structural:
        cur.executemany(
            "INSERT INTO quarantine (batch_id, row_number, column_name, value, reason, raw) "
            "VALUES (?, ?, NULL, ?, ?, NULL)",
            [[batch_id, line, text, reason] for line, reason, text in structural],
        )


# -- batches, undo, rejected rows ---------------------------------------------------------------
def list_batches(store: Store) -> pl.DataFrame:
    """The upload ledger, newest first."""
    return store.query(
        "SELECT batch_id, file_name, uploaded_at, uploader, rows_read, rows_loaded, rows_rejected, "
        "rows_duplicate, sha256, undone_at, "
        "CASE WHEN undone_at IS NULL THEN 'loaded' ELSE 'undone' END AS state "
        "FROM batches ORDER BY batch_id DESC"
    )


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    file_name: str
    rows_removed: int


def undo_batch(store: Store, batch_id: int) -> UndoResult:
    """Remove exactly this batch's placements and mark it undone (its ledger row and rejected
    rows stay, for the record). Raises IngestError for an unknown or already undone batch."""
    with store.transaction() as cur:
        rows = cur.execute(
            "SELECT file_name, undone_at FROM batches WHERE batch_id = ?", [batch_id]
        ).fetchall()
        if not rows:
            raise IngestError(f"there is no batch {batch_id}")
        file_name, undone_at = rows[0]
        if undone_at is not None:
            raise IngestError(f"batch {batch_id} ({file_name}) was already undone on "
                              f"{undone_at:%Y-%m-%d %H:%M}")
        removed = cur.execute("DELETE FROM placements WHERE batch_id = ?", [batch_id]).fetchall()
        cur.execute("UPDATE batches SET undone_at = current_timestamp WHERE batch_id = ?", [batch_id])
    return UndoResult(batch_id=batch_id, file_name=str(file_name), rows_removed=int(removed[0][0]))


def quarantine_rows(store: Store, batch_id: int) -> pl.DataFrame:
    """The rejected rows of a batch: row number, column, value, reason, raw row (JSON)."""
    return store.query(
        "SELECT row_number, column_name AS column, value, reason, raw FROM quarantine "
        "WHERE batch_id = ? ORDER BY row_number, column_name", [batch_id]
    )


def _safe_cell(value: Any) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rejected_csv(rejected: pl.DataFrame) -> bytes:
    """One line per rejected row: its number, every problem, then the row's own cells."""
    by_row: dict[int, dict[str, Any]] = {}
    raw_columns: list[str] = []
    for record in rejected.iter_rows(named=True):
        number = int(record["row_number"])
        entry = by_row.setdefault(number, {"problems": [], "raw": None})
        problem = record["reason"] if record["column"] is None else f"{record['column']}: {record['reason']}"
        entry["problems"].append(problem)
        if entry["raw"] is None:
            if record["raw"]:
                cells = json.loads(record["raw"])
                entry["raw"] = cells
                raw_columns.extend(c for c in cells if c not in raw_columns)
            elif record["column"] is None:
                entry["raw"] = {"line": record["value"]}
                if "line" not in raw_columns:
                    raw_columns.append("line")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row_number", "problems", *raw_columns])
    for number in sorted(by_row):
        entry = by_row[number]
        cells = entry["raw"] or {}
        writer.writerow([number, _safe_cell("; ".join(entry["problems"])),
                         *(_safe_cell(cells.get(c)) for c in raw_columns)])
    return out.getvalue().encode("utf-8")
