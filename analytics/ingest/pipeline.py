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
from typing import TYPE_CHECKING, Any, Final

import duckdb

from analytics import access, schema
from analytics.access import LOCAL_ADMIN, Principal
from analytics.ingest import mapping as M
from analytics.ingest import stage
from analytics.ingest.load import (
    KeyMismatchError,
    check_key,
    insert_sql,
    key_location,
    new_batch,
    pseudonym_key,
)
from analytics.ingest.read import FileError, Source, open_source
from analytics.store import Store

if TYPE_CHECKING:
    import polars as pl

Progress = Callable[[float, str], None]

DRY_RUN_BATCH: Final = 1 << 62
# Rows to load again get batch id + this while they wait (see stage.StagePlan.load_sql).
REDO_OFFSET: Final = 1 << 61
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
    eligibility_basis: str = ""
    # Columns whose values (nearly) all fail their mapped field; set aside when another fits.
    mapping_proposals: list[M.Proposal] = field(default_factory=list)
    source: str = ""
    seconds: float = 0.0
    # The frames below are made when first read: an import that rejects nothing and previews
    # nothing (the CLI's) then never loads Polars.
    _rejected: pl.DataFrame | None = field(default=None, repr=False)
    _preview: pl.DataFrame | None = field(default=None, repr=False)

    @property
    def rejected(self) -> pl.DataFrame:
        """The first rejected rows: row number, column, value, reason and the raw line."""
        if self._rejected is None:
            self._rejected = _empty_rejected()
        return self._rejected

    @rejected.setter
    def rejected(self, frame: pl.DataFrame) -> None:
        self._rejected = frame

    @property
    def preview(self) -> pl.DataFrame:
        """The first rows as they would be stored (a dry run's), with their problems."""
        if self._preview is None:
            import polars as pl

            self._preview = pl.DataFrame()
        return self._preview

    @preview.setter
    def preview(self, frame: pl.DataFrame) -> None:
        self._preview = frame

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
            "mapping_proposals": [p.to_dict() for p in self.mapping_proposals],
            "eligibility_basis": self.eligibility_basis,
        }


def _empty_rejected() -> pl.DataFrame:
    import polars as pl

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
        import polars as pl

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


ELIGIBILITY_BASES: Final[dict[str, str]] = {
    "final_year": "eligible interns are graduating ones (the file records the final year or the "
                  "student status)",
    "completed": "the file does not record the final year: every completed internship counts as "
                 "eligible",
    "unknown": "the file has no internship status: whether these interns were eligible for a "
               "full-time offer is unknown, and they are left out of conversion rates",
}


def eligibility_basis(mapping: M.Mapping) -> str:
    """Who counts as eligible in an upload, from the fields the file has (or defaults): the
    final year or the student status -> 'final_year'; else the internship status ->
    'completed'; else 'unknown'. Stored per batch, so no filter or grouping can change it."""
    fed = set(mapping.field_columns()) | set(mapping.defaults)
    if "status" not in fed:
        return "unknown"
    return "final_year" if fed & {"final_year", "student_status"} else "completed"


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
    principal: Principal = LOCAL_ADMIN,
) -> ImportReport:
    """Import one file as one batch (or, with dry_run, report what an import would do).

    Raises FileError when the file cannot be read and MappingError when the mapping is unusable;
    a file already imported (same SHA-256, batch not undone) loads nothing and says so.
    `progress(fraction, message)` may be called from another thread.

    `principal` is who imports (the CLI's and the tests' default is the local admin): it must be
    allowed to upload (else access.AccessDenied), and a row whose university and employer both
    lie outside an analyst's scope is rejected with that reason (access.upload_scope). A real
    import is written to the audit log.
    """
    scope = access.upload_scope(principal)
    started = time.perf_counter()
    report_progress = progress or (lambda _fraction, _message: None)
    report_progress(0.0, "Opening the file")
    hasher = _Hasher(path)
    try:
        source = open_source(path, file_name)
    except BaseException:
        hasher.join()
        raise
    try:
        resolved = M.resolve(source.columns, source.sample_rows, saved=mapping)
        # A column whose values all fail its field is a mapping mistake, not a file of bad rows.
        proposals = M.mapping_mistakes(resolved, source.columns, source.sample_rows)
        resolved = M.set_aside(resolved, proposals)
        key = pseudonym_key(store)
        report = ImportReport(
            file=source.file_name, sha256="", dry_run=dry_run, mapping=resolved,
            unmapped_columns=resolved.unmapped(), source=source.describe(),
            warnings=[*source.warnings, *mapping_warnings(resolved),
                      *(p.message() for p in proposals)],
            mapping_proposals=proposals, eligibility_basis=eligibility_basis(resolved),
        )
        job = _Job(source=source, mapping=resolved, key=key, hasher=hasher, report=report,
                   uploader=uploader, progress=report_progress, preview_rows=preview_rows,
                   scope=scope, key_where=key_location(store))
        try:
            if dry_run:
                with _rolled_back(store) as cur:
                    job.run(cur, write=False)
            else:
                with store.transaction() as cur:
                    job.run(cur, write=True)
        except KeyMismatchError as error:
            raise IngestError(f"{source.file_name}: not imported: {error}") from None
        except _AlreadyImported as done:
            report.already_imported_as = done.batch_id
            report.rows_read = report.rows_duplicate = done.rows
            report.rows_loaded = report.rows_rejected = 0
            report.batch_id = None
            report.rejected_reasons = {}
            report.rejected = _empty_rejected()
    finally:
        source.close()
        hasher.join()
    report.seconds = time.perf_counter() - started
    if not dry_run:
        access.audit(store, principal, "upload", detail=(
            f"batch {report.batch_id}: {report.summary()}" if report.batch_id is not None
            else report.summary()))
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


@dataclass
class _Read:
    """One pass of a source into the target table, and what DuckDB set aside."""

    source: Source
    plan: stage.StagePlan
    structural: list[tuple[int, str, str]]  # (line, reason, text): lines that do not split
    cast_lines: list[tuple[int, str]]  # (line, text): typed values DuckDB could not read
    line_map: list[int] | None = None  # a fallback read: the original line of each row

    def row_number_sql(self) -> str:
        """SQL (over `_i`, the row's index in this read) for the row number the user sees."""
        if self.line_map is not None:
            return "$line_map[_i + 1]"
        if self.source.has_row_numbers:
            return "_row"
        base = f"({self.source.header_row} + 1 + _i)"
        # Lines DuckDB set aside (split or cast errors) come before some rows: count them in.
        # The j-th such line (0-based) has `line - header - 1 - j` rows read above it.
        lines = sorted({line for line, *_r in self.structural} | {line for line, _t in self.cast_lines})
        if not lines or len(lines) > 10_000:
            return base
        before = ", ".join(str(line - self.source.header_row - 1 - j) for j, line in enumerate(lines))
        return f"({base} + len(list_filter([{before}], lambda b: b <= _i)))"

    def params(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"line_map": self.line_map} if self.line_map is not None else {}
        return {**self.plan.params, **extra}


@dataclass
class _Job:
    source: Source
    mapping: M.Mapping
    key: bytes
    hasher: _Hasher
    report: ImportReport
    uploader: str | None
    progress: Progress
    preview_rows: int
    scope: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # access.upload_scope
    key_where: str = ""
    tag: str = field(default_factory=lambda: f"ingest_{uuid.uuid4().hex[:12]}")
    in_file_repeats: int = 0  # accepted rows repeating an earlier row's placement id

    def run(self, cur: duckdb.DuckDBPyConnection, *, write: bool) -> None:
        report, source = self.report, self.source
        check_key(cur, self.key, record=write, where=self.key_where)
        target = "placements"
        if write:
            batch_id = new_batch(cur, file_name=source.file_name, sha256=None,
                                 uploader=self.uploader, mapping_json=self.mapping.to_json(indent=None))
        else:
            # A dry run writes to a temporary table under an id no real batch has.
            batch_id = DRY_RUN_BATCH
            target = f"{self.tag}_dry"
            cur.execute(f"CREATE TEMP TABLE {target} AS SELECT * FROM placements LIMIT 0")
        self.progress(0.02, "Reading, parsing and checking every row")
        reads = self._load(cur, target, batch_id)
        self.progress(0.8, "Counting, and checking for duplicates")
        accepted, rejected = cur.execute(
            f"SELECT count(*) FILTER (WHERE batch_id = $b), count(*) FILTER (WHERE batch_id = -$b) "
            f"FROM {target} WHERE batch_id IN ($b, -$b)", {"b": batch_id}
        ).fetchall()[0]
        structural = _withhold_lines(sorted(s for r in reads for s in r.structural), self.mapping)
        rows_read = int(accepted) + int(rejected) + len(structural)
        if rows_read == 0:
            raise FileError(f"{source.file_name}: the file has a header row but no data rows.")
        if len(structural) >= 5 and len(structural) * 2 > rows_read:
            first = structural[0]
            raise FileError(
                f"{source.file_name}: {len(structural):,} of {rows_read:,} rows do not split into "
                f"the header's {len(source.columns)} columns (first on line {first[0]}: {first[1]}). "
                "Check the delimiter and the quoting, then upload again."
            )
        sha = self.hasher.result()
        report.sha256 = sha
        previous = cur.execute(
            "SELECT batch_id, rows_read FROM batches WHERE sha256 = ? AND undone_at IS NULL "
            "AND batch_id <> ? ORDER BY batch_id LIMIT 1", [sha, batch_id]
        ).fetchall()
        if previous:
            raise _AlreadyImported(int(previous[0][0]), int(previous[0][1]))
        rejected_table = f"{self.tag}_rej"
        cur.execute(f"CREATE TEMP TABLE {rejected_table} (row_number BIGINT, _problems "
                    "STRUCT(\"column\" VARCHAR, \"value\" VARCHAR, reason VARCHAR)[], _raw VARCHAR)")
        if rejected:
            for read in reads:
                sql = (f"INSERT INTO {rejected_table} SELECT {read.row_number_sql()}, _problems, _raw "
                       f"FROM ({read.plan.detail_sql()})")
                cur.execute(sql, stage.bind(sql, read.params()))
            cur.execute(f"DELETE FROM {target} WHERE batch_id = $b", {"b": -batch_id})
        duplicates = self._remove_duplicates(cur, target, batch_id, write)
        report.warnings += _pay_notes(cur, target, batch_id)
        report.rows_read = rows_read
        report.rows_rejected = int(rejected) + len(structural)
        report.rows_duplicate = duplicates
        report.rows_loaded = int(accepted) - duplicates
        if report.rows_rejected:
            report.rejected_reasons = _reasons(cur, rejected_table, structural)
            report.rejected = _rejected_frame(cur, rejected_table, structural, REPORT_ROWS)
        if self.preview_rows:
            report.preview = self._preview(cur, reads[0])
        if write:
            self.progress(0.9, "Keeping the rejected rows and their reasons")
            if report.rows_rejected:
                _quarantine(cur, rejected_table, batch_id, structural)
            cur.execute(
                "UPDATE batches SET sha256 = ?, rows_read = ?, rows_loaded = ?, rows_rejected = ?, "
                "rows_duplicate = ?, eligibility_basis = ? WHERE batch_id = ?",
                [sha, report.rows_read, report.rows_loaded, report.rows_rejected,
                 report.rows_duplicate, report.eligibility_basis, batch_id],
            )
            report.batch_id = batch_id
            pause = os.environ.get(PAUSE_ENV_VAR)
            if pause:
                print(f"ingest: rows written for batch {batch_id}; committing", flush=True)
                time.sleep(float(pause))
            self.progress(0.97, "Committing")
        for table in (rejected_table, *([target] if not write else [])):
            cur.execute(f"DROP TABLE IF EXISTS {table}")

    # -- reading ------------------------------------------------------------------------------
    def _load(self, cur: duckdb.DuckDBPyConnection, target: str, batch_id: int) -> list[_Read]:
        """Insert every row of the source into the target (rejected ones under -batch_id).

        The rows are written in whatever order DuckDB's threads finish them (keeping the file's
        order costs about a third of the load's CPU): nothing reads a batch's rows in storage
        order except the duplicate check, which keeps the first of several rows with the same
        placement id in the file. So when the file repeats an id, the batch is loaded again in
        file order (rare; the accepted rows' count tells)."""
        cur.execute("SET SESSION preserve_insertion_order = false")
        try:
            reads = self._load_rows(cur, target, batch_id)
        finally:
            cur.execute("RESET SESSION preserve_insertion_order")
        self.in_file_repeats = _in_file_repeats(cur, target, batch_id)
        if self.in_file_repeats:
            cur.execute(f"DELETE FROM {target} WHERE batch_id IN ($b, -$b)", {"b": batch_id})
            reads = self._load_rows(cur, target, batch_id)
        return reads

    def _load_rows(self, cur: duckdb.DuckDBPyConnection, target: str, batch_id: int) -> list[_Read]:
        source = self.source
        read = self._insert(cur, source, target, batch_id, typed=True, tag="main")
        if any("encoding" in reason for _l, reason, _t in read.structural):
            # Valid UTF-8 at the start, not later: read the whole file as Windows-1252 instead.
            cur.execute(f"DELETE FROM {target} WHERE batch_id IN ($b, -$b)", {"b": batch_id})
            source.transcode("cp1252")
            self.report.source = source.describe()
            read = self._insert(cur, source, target, batch_id, typed=True, tag="main2")
        reads = [read]
        if read.cast_lines:
            reads.append(self._fallback(cur, read, target, batch_id))
        return reads

    def _insert(self, cur: duckdb.DuckDBPyConnection, source: Source, target: str, batch_id: int,
                *, typed: bool, tag: str, line_map: list[int] | None = None) -> _Read:
        """One read of `source` into `target`. The first read of a batch (`typed`) may take the
        shortcut (see `stage.build`): the batch has no other rows yet for its check to see."""
        shortcut = typed and stage.shortcut_pays(source.columns, self.mapping, source.sample_rows)
        types: dict[int, str] = {}
        if typed and source.kind == "csv":
            types = stage.typed_columns(source.columns, self.mapping, source.sample_rows)
        elif typed and source.kind == "parquet":
            types = stage.parquet_typed_columns(source.columns, source.column_types, self.mapping)
        rejects = f"{self.tag}_{tag}" if source.kind == "csv" else None
        relation, relation_params = source.relation(rejects, types)
        plan = stage.build(relation, relation_params, source.columns, self.mapping, self.key,
                           samples=source.sample_rows, typed=types,
                           has_row_numbers=source.has_row_numbers, scope=self.scope)
        redo_id = batch_id + REDO_OFFSET
        try:
            with _watch_progress(cur, self.progress, 0.02, 0.78):
                sql = insert_sql(target, plan.load_sql("shortcut" if shortcut else "all"))
                cur.execute(sql, stage.bind(sql, {**plan.params, "batch_id": batch_id,
                                                  "redo_id": redo_id})).fetchall()
            structural, cast_lines = _set_aside(cur, rejects)
            if shortcut:
                self._redo_slow_rows(cur, source, types, plan, target, batch_id)
        except duckdb.Error as error:
            raise FileError(f"{source.file_name}: cannot read the file "
                            f"({str(error).splitlines()[0]}).") from None
        return _Read(source=source, plan=plan, structural=structural, cast_lines=cast_lines,
                     line_map=line_map)

    def _redo_slow_rows(self, cur: duckdb.DuckDBPyConnection, source: Source, types: dict[int, str],
                        plan: stage.StagePlan, target: str, batch_id: int) -> None:
        """Load again, through the full parsers, the rows the shortcut had no right to: those
        with an id off the fast path, and those holding a deferred value off it."""
        redo_id = batch_id + REDO_OFFSET
        redo = cur.execute(f"DELETE FROM {target} WHERE batch_id = $r", {"r": redo_id}).fetchall()
        slow, distinct = f"{self.tag}_slow", f"{self.tag}_distinct"
        cur.execute(f"CREATE TEMP TABLE {distinct} AS {plan.distinct_values_sql(target)}",
                    {"b": batch_id} if plan.deferred else None)
        cur.execute(f"CREATE TEMP TABLE {slow} AS {plan.slow_values_sql(distinct)}")
        cur.execute(f"DROP TABLE {distinct}")
        slow_fields = [str(f) for (f,) in cur.execute(f"SELECT DISTINCT field FROM {slow}").fetchall()]
        if slow_fields:
            cur.execute(plan.delete_slow_sql(target, slow, slow_fields), {"b": batch_id}).fetchall()
        if redo[0][0] or slow_fields:
            relation, relation_params = source.relation(None, types)
            full = stage.build(relation, relation_params, source.columns, self.mapping, self.key,
                               samples=source.sample_rows, typed=types,
                               has_row_numbers=source.has_row_numbers, scope=self.scope)
            sql = insert_sql(target, full.load_sql("redo", slow, slow_fields))
            with _watch_progress(cur, self.progress, 0.5, 0.78):
                cur.execute(sql, stage.bind(sql, {**full.params, "batch_id": batch_id})).fetchall()
        cur.execute(f"DROP TABLE {slow}")

    def _fallback(self, cur: duckdb.DuckDBPyConnection, main: _Read, target: str,
                  batch_id: int) -> _Read:
        """Lines whose typed values DuckDB could not read, read again as text and parsed."""
        source = self.source
        path = source.workdir() / f"{uuid.uuid4().hex}.csv"
        delimiter = source.delimiter or ","
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerow(source.columns)
            for _line, text in main.cast_lines:
                handle.write(text.strip("\r\n") + "\n")
        fallback = Source(file_name=source.file_name, path=path, kind="csv",
                          columns=source.columns, header_row=1, delimiter=delimiter,
                          sample_rows=source.sample_rows)
        lines = [line for line, _t in main.cast_lines]
        read = self._insert(cur, fallback, target, batch_id, typed=False, tag="fallback",
                            line_map=lines)
        # Anything the text read still cannot split is reported on its original line.
        read.structural = [(lines[min(max(line - 2, 0), len(lines) - 1)], reason, text)
                           for line, reason, text in read.structural]
        return read

    def _remove_duplicates(self, cur: duckdb.DuckDBPyConnection, target: str, batch_id: int,
                           write: bool) -> int:
        """Delete this batch's rows whose placement id is already stored, or came earlier in
        the file; return how many."""
        others = int(cur.execute(
            f"SELECT count(*) FROM placements WHERE {'batch_id NOT IN ($b, -$b)' if write else 'true'}",
            {"b": batch_id} if write else None,
        ).fetchall()[0][0])
        in_file = self.in_file_repeats  # counted when the rows were loaded (`_load`)
        stored = 0
        # The batch's ids already stored, looked up from the batch's side: its ids are copied to
        # a temporary table first, whose exact size (a few hundred, for an upload) makes DuckDB
        # build the join's hash table on them and only probe the stored ids. Asked directly (an
        # EXISTS over the stored rows), DuckDB 2 built it on every stored id instead: 0.9 s and
        # 600 MB at 10,000,000 placements for a 200-row upload.
        ids, found = f"{self.tag}_ids", f"{self.tag}_stored"
        existing = f"t.placement_id IN (SELECT placement_id FROM {found})"
        if others:
            cur.execute(f"CREATE TEMP TABLE {ids} AS SELECT DISTINCT placement_id FROM {target} "
                        "WHERE batch_id = $b", {"b": batch_id})
            cur.execute(f"CREATE TEMP TABLE {found} AS SELECT DISTINCT p.placement_id FROM placements p "
                        f"JOIN {ids} USING (placement_id)" + (" WHERE p.batch_id <> $b" if write else ""),
                        {"b": batch_id} if write else None)
            stored = int(cur.execute(
                f"SELECT count(*) FROM {target} t WHERE t.batch_id = $b AND {existing}",
                {"b": batch_id}).fetchall()[0][0])
        deleted = 0
        if in_file or stored:
            deleted = int(cur.execute(
                f"DELETE FROM {target} WHERE rowid IN ("
                f"SELECT rowid FROM {target} WHERE batch_id = $b "
                "QUALIFY row_number() OVER (PARTITION BY placement_id ORDER BY rowid) > 1"
                + (f" UNION SELECT t.rowid FROM {target} t WHERE t.batch_id = $b AND {existing}"
                   if stored else "") + ")",
                {"b": batch_id},
            ).fetchall()[0][0])
        cur.execute(f"DROP TABLE IF EXISTS {ids}")
        cur.execute(f"DROP TABLE IF EXISTS {found}")
        return deleted

    def _preview(self, cur: duckdb.DuckDBPyConnection, read: _Read) -> pl.DataFrame:
        source = read.source
        relation, relation_params = source.relation(None)
        plan = stage.build(relation, relation_params, source.columns, self.mapping, self.key,
                           samples=source.sample_rows, has_row_numbers=source.has_row_numbers,
                           scope=self.scope)
        numbered = _Read(source=source, plan=plan, structural=read.structural,
                         cast_lines=read.cast_lines)
        sql = (
            f"SELECT CAST({numbered.row_number_sql()} AS BIGINT) AS row_number, "
            "CASE WHEN len(_problems) = 0 THEN 'ok' ELSE array_to_string(list_transform("
            "_problems, lambda p: p.column || ': ' || p.reason), '; ') END AS problems, "
            f"{', '.join(schema.INPUT_NAMES)} FROM ({plan.preview_sql(self.preview_rows)})"
        )
        frame: pl.DataFrame = cur.sql(sql, params=stage.bind(sql, plan.params)).pl()
        return frame


@contextmanager
def _watch_progress(cur: duckdb.DuckDBPyConnection, progress: Progress, low: float,
                    high: float) -> Iterator[None]:
    """Report DuckDB's own progress through a long statement (polled from a thread)."""
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.25):
            try:
                percent = cur.query_progress()
            except duckdb.Error:
                return
            if percent >= 0:
                progress(low + (high - low) * min(percent, 100.0) / 100.0,
                         "Reading, parsing and checking every row")

    cur.execute("SET enable_progress_bar = true")
    cur.execute("SET enable_progress_bar_print = false")
    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _in_file_repeats(cur: duckdb.DuckDBPyConnection, target: str, batch_id: int) -> int:
    """How many accepted rows of the batch repeat a placement id of another of its rows (0 when
    none). Counting distinct 64-bit hashes is far cheaper than distinct strings, and exact in the
    direction that matters: equal ids hash alike, so "no repeats" is never wrong; a hash
    collision only sends the caller to its exact query, which then finds nothing to delete."""
    return int(cur.execute(
        f"SELECT count(*) - count(DISTINCT hash(placement_id)) FROM {target} WHERE batch_id = $b",
        {"b": batch_id}).fetchall()[0][0])


def _set_aside(cur: duckdb.DuckDBPyConnection,
               rejects: str | None) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """Lines DuckDB could not read: (line, reason, text) that do not split into the header's
    columns, and (line, text) whose typed values did not cast (these get a second, text read)."""
    if rejects is None:
        return [], []
    rows = cur.execute(
        f"SELECT line, list(DISTINCT error_type), any_value(csv_line), min(error_message) "
        f"FROM {rejects}_errors GROUP BY line ORDER BY line"
    ).fetchall()
    cur.execute(f"DROP TABLE IF EXISTS {rejects}_errors")
    cur.execute(f"DROP TABLE IF EXISTS {rejects}_scans")
    structural: list[tuple[int, str, str]] = []
    cast_lines: list[tuple[int, str]] = []
    for line, error_types, text, message in rows:
        kinds = [str(k) for k in error_types]
        if kinds == ["CAST"]:
            cast_lines.append((int(line), str(text or "")))
            continue
        reasons = [STRUCTURE_REASONS.get(k, f"cannot be read ({message})") for k in kinds if k != "CAST"]
        structural.append((int(line), "; ".join(dict.fromkeys(reasons)), str(text or "")[:1000]))
    return structural, cast_lines


def _pay_notes(cur: duckdb.DuckDBPyConnection, target: str, batch_id: int) -> list[str]:
    """What the report says about pay amounts the file gave no period for (schema.pay_note)."""
    rows = cur.execute(f"SELECT pay_note, count(*) FROM {target} WHERE batch_id = $b "
                       "AND pay_note IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1",
                       {"b": batch_id}).fetchall()
    notes = [f"{int(n):,} pay amount{'s' if n != 1 else ''}: {note}." for note, n in rows]
    if any(not str(note).startswith("period assumed") for note, _n in rows):
        notes.append("Pay amounts with no period: set 'Pay period when the file does not say' "
                     "(or a period in the mapping's defaults) when the file's amounts share one.")
    return notes


WITHHELD_LINE: Final = ("(line withheld: it does not split into columns, so its student id "
                        "cannot be pseudonymised)")


def _withhold_lines(structural: list[tuple[int, str, str]],
                    mapping: M.Mapping) -> list[tuple[int, str, str]]:
    """Lines that do not split are kept as text, unless the file has student ids: a broken
    line's id cannot be found to be pseudonymised, and no raw id may reach the quarantine."""
    if "student_id" not in mapping.field_columns():
        return structural
    return [(line, reason, WITHHELD_LINE) for line, reason, _text in structural]


def _reasons(cur: duckdb.DuckDBPyConnection, table: str,
             structural: list[tuple[int, str, str]]) -> dict[str, int]:
    rows = cur.execute(
        f"SELECT p.column || ': ' || p.reason AS reason, count(DISTINCT row_number) AS n FROM "
        f"(SELECT row_number, unnest(_problems) AS p FROM {table}) GROUP BY 1 ORDER BY n DESC, reason"
    ).fetchall()
    reasons = {str(reason): int(n) for reason, n in rows}
    for _line, reason, _text in structural:
        reasons[reason] = reasons.get(reason, 0) + 1
    return dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))


def _rejected_frame(cur: duckdb.DuckDBPyConnection, table: str,
                    structural: list[tuple[int, str, str]], limit: int) -> pl.DataFrame:
    import polars as pl

    frame: pl.DataFrame = cur.sql(
        "SELECT CAST(row_number AS BIGINT) AS row_number, p.column AS column, p.value AS value, "
        f"p.reason AS reason, _raw AS raw FROM (SELECT row_number, unnest(_problems) AS p, _raw "
        f"FROM {table}) ORDER BY row_number LIMIT {int(limit)}"
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


def _quarantine(cur: duckdb.DuckDBPyConnection, table: str, batch_id: int,
                structural: list[tuple[int, str, str]]) -> None:
    cur.execute(
        "INSERT INTO quarantine (batch_id, row_number, column_name, value, reason, raw) "
        "SELECT ?, row_number, p.column, p.value, p.reason, _raw "
        f"FROM (SELECT row_number, unnest(_problems) AS p, _raw FROM {table})",
        [batch_id],
    )
    if structural:
        cur.executemany(
            "INSERT INTO quarantine (batch_id, row_number, column_name, value, reason, raw) "
            "VALUES (?, ?, NULL, ?, ?, NULL)",
            [[batch_id, line, text, reason] for line, reason, text in structural],
        )


# -- batches, undo, rejected rows ---------------------------------------------------------------
def list_batches(store: Store, principal: Principal = LOCAL_ADMIN) -> pl.DataFrame:
    """The upload ledger, newest first: the batches this principal may see
    (access.batch_condition; everything for admins, nothing for viewers)."""
    visible, params = access.batch_condition(principal)
    return store.query(
        "SELECT batch_id, file_name, uploaded_at, uploader, rows_read, rows_loaded, rows_rejected, "
        "rows_duplicate, sha256, undone_at, "
        "CASE WHEN undone_at IS NULL THEN 'loaded' ELSE 'undone' END AS state "
        f"FROM batches WHERE {visible} ORDER BY batch_id DESC", params
    )


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    file_name: str
    rows_removed: int


def undo_batch(store: Store, batch_id: int, principal: Principal = LOCAL_ADMIN) -> UndoResult:
    """Remove exactly this batch's placements and mark it undone (its ledger row and rejected
    rows stay, for the record). Raises IngestError for an unknown or already undone batch, and
    access.AccessDenied when the principal may not undo it (access.may_undo). Audited."""
    access.require(principal, access.UNDO, "undo uploads")
    if not access.may_see_batch(store, principal, batch_id):
        raise IngestError(f"there is no batch {batch_id}")  # another scope's: not even its name
    if not access.may_undo(store, principal, batch_id):
        raise access.AccessDenied(f"{principal.label} may not undo batch {batch_id}: it holds "
                                  "placements outside your scope")
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
    result = UndoResult(batch_id=batch_id, file_name=str(file_name), rows_removed=int(removed[0][0]))
    access.audit(store, principal, "undo", detail=f"batch {batch_id} ({file_name}): removed "
                 f"{result.rows_removed:,} placements")
    return result


def quarantine_rows(store: Store, batch_id: int, principal: Principal = LOCAL_ADMIN) -> pl.DataFrame:
    """The rejected rows of a batch: row number, column, value, reason, raw row (JSON). Only for
    principals who may see row-level records and this batch (access.batch_condition); a batch
    they may not see has, for them, no rejected rows."""
    access.require(principal, access.VIEW_RECORDS, "see rejected rows")
    if not access.may_see_batch(store, principal, batch_id):
        batch_id = -1  # no batch has this id: the same empty answer as an unknown batch
    return store.query(
        "SELECT row_number, column_name AS column, value, reason, raw FROM quarantine "
        "WHERE batch_id = ? ORDER BY row_number, rowid", [batch_id]
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
