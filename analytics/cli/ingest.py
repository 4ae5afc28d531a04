"""`internships ingest`, `internships batches`, `internships undo`, `internships rejected`.

    internships ingest FILE... [--db PATH] [--mapping MAP.json] [--dry-run] [--json] [--as EMAIL]
    internships batches [--db PATH] [--json] [--as EMAIL]
    internships undo BATCH_ID [--db PATH] [--as EMAIL]
    internships rejected BATCH_ID [--db PATH] [--out FILE.csv] [--as EMAIL]

With --as the command applies that user's rules (analytics.access): an analyst's import rejects
rows outside its scope, it sees and undoes only its own scope's batches, a viewer may do none of
it (one-line "not allowed", exit 2). Uploads, undos and rejected-row exports are audited.

`ingest` exits 0 when every row of every file loaded (or the file was already imported), 1 when
some rows were rejected, 2 when a file could not be read or the arguments are wrong; the message
says why. With --json it prints one JSON object per file, one per line.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analytics import access
from analytics.access import LOCAL_ADMIN, Principal
from analytics.cli.base import UsageError, acting, add_as, add_db, existing_store
from analytics.ingest.mapping import Mapping, MappingError
from analytics.ingest.pipeline import (
    ELIGIBILITY_BASES,
    ImportReport,
    IngestError,
    import_file,
    list_batches,
    quarantine_rows,
    rejected_csv,
    undo_batch,
)
from analytics.ingest.read import FileError
from analytics.store import Store, database_exists, open_store, resolve_db_path

OnChange = Callable[[Store], object]
TOP_REASONS = 5


def _uploader(who: Principal) -> str:
    if who != LOCAL_ADMIN:
        return who.email  # the ledger's uploader is whom `may_undo` recognises as the owner
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # getuser raises when no user name can be found (containers)
        return "cli"


def _load_mapping(path: str | None) -> Mapping | None:
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"internships ingest: cannot read the mapping {path}: "
                         f"{error.strerror or error}") from None
    try:
        return Mapping.from_json(text)
    except MappingError as error:
        raise UsageError(f"internships ingest: the mapping {path} is not usable: {error}") from None


def _print_report(report: ImportReport) -> None:
    print(report.summary())
    if report.already_imported_as is not None:
        return
    mapped = ", ".join(f"{column} -> {target}" for column, target in report.mapping.columns.items()
                       if target)
    print(f"  columns: {mapped or '(none mapped)'}")
    if report.mapping.defaults:
        print("  defaults: " + ", ".join(f"{k} = {v}" for k, v in report.mapping.defaults.items()))
    if report.unmapped_columns:
        print(f"  not imported: {', '.join(report.unmapped_columns)}")
    if report.eligibility_basis:
        print(f"  eligibility: {ELIGIBILITY_BASES[report.eligibility_basis]}")
    proposed = {p.message() for p in report.mapping_proposals}
    for warning in report.warnings:
        if warning not in proposed:
            print(f"  note: {warning}")
    for proposal in report.mapping_proposals:
        print(f"  mapping mistake: {proposal.message()}")
        if proposal.proposed is not None:
            print(f"    fix: save the mapping with \"{proposal.column}\": \"{proposal.proposed}\" "
                  "and pass it with --mapping")
    if report.rejected_reasons:
        print("  rejected because:")
        for reason, count in list(report.rejected_reasons.items())[:TOP_REASONS]:
            print(f"    {count:>8,}  {reason}")
        more = len(report.rejected_reasons) - TOP_REASONS
        if more > 0:
            print(f"    ... and {more} more reason(s)")
        first = report.rejected.head(3)
        for row in first.iter_rows(named=True):
            column = f", column {row['column']!r}" if row["column"] else ""
            value = f", value {row['value']!r}" if row["value"] is not None else ""
            print(f"    e.g. row {row['row_number']}{column}{value}: {row['reason']}")
        if report.batch_id is not None:
            print(f"  rejected rows: `internships rejected {report.batch_id} --out rejected.csv`")


def _error_object(file: str, message: str) -> dict[str, Any]:
    return {"file": file, "error": message, "rows_read": 0, "rows_loaded": 0, "rows_rejected": 0,
            "rows_duplicate": 0, "batch_id": None, "rejected_reasons": {}, "unmapped_columns": []}


def cmd_ingest(args: argparse.Namespace) -> int:
    mapping = _load_mapping(args.mapping)
    path = resolve_db_path(args.db)
    # A dry run against a database that does not exist yet must not create one.
    store: Store = open_store(":memory:" if args.dry_run and not database_exists(path) else path)
    who = acting(args, store, "ingest")
    access.require(who, access.UPLOAD, "upload placements")
    status = 0
    changed = False
    for name in args.files:
        file = Path(name)
        try:
            if not file.is_file():
                raise FileError(f"{name}: no such file")
            report = import_file(store, file, mapping=mapping, uploader=_uploader(who),
                                 dry_run=args.dry_run, principal=who)
        except (FileError, MappingError, IngestError) as error:
            status = 2
            message = str(error).splitlines()[0]
            if args.json:
                print(json.dumps(_error_object(file.name, message)))
            else:
                print(f"internships ingest: {message}", file=sys.stderr)
            continue
        status = max(status, report.exit_code)
        changed = changed or bool(report.rows_loaded)
        if args.json:
            print(json.dumps(report.to_json(), default=str))
        else:
            _print_report(report)
    if changed:
        _after_change(args, store)
    return status


def _after_change(args: argparse.Namespace, store: Store) -> None:
    on_change: OnChange | None = getattr(args, "on_change", None)
    if on_change is not None:
        on_change(store)


def cmd_batches(args: argparse.Namespace) -> int:
    store = existing_store(args, "batches")
    batches = list_batches(store, acting(args, store, "batches"))
    if args.json:
        print(json.dumps(batches.to_dicts(), default=str))
        return 0
    if batches.is_empty():
        print("No uploads yet.")
        return 0
    for row in batches.iter_rows(named=True):
        state = f"undone {row['undone_at']:%Y-%m-%d %H:%M}" if row["undone_at"] else "loaded"
        print(f"#{row['batch_id']:<4} {row['uploaded_at']:%Y-%m-%d %H:%M}  {row['file_name']}  "
              f"read {row['rows_read']:,}, loaded {row['rows_loaded']:,}, "
              f"rejected {row['rows_rejected']:,}, duplicate {row['rows_duplicate']:,}  "
              f"[{state}] by {row['uploader'] or '?'}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    store = existing_store(args, "undo")
    who = acting(args, store, "undo")
    try:
        result = undo_batch(store, args.batch_id, who)
    except IngestError as error:
        raise UsageError(f"internships undo: {error}") from None
    print(f"Undid batch {result.batch_id} ({result.file_name}): removed {result.rows_removed:,} "
          "placements. Its ledger entry stays, marked undone.")
    _after_change(args, store)
    return 0


def cmd_rejected(args: argparse.Namespace) -> int:
    store = existing_store(args, "rejected")
    who = acting(args, store, "rejected")
    rows = quarantine_rows(store, args.batch_id, who)
    data = rejected_csv(rows)
    access.audit(store, who, "rejected rows", detail=(
        f"batch {args.batch_id}: {rows['row_number'].n_unique():,} rows to "
        f"{args.out or 'stdout'} (CLI)"))
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"Wrote {rows['row_number'].n_unique():,} rejected rows of batch {args.batch_id} "
              f"to {args.out}.")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def _batch_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a batch number, got {text!r}") from None


def register(subparsers: Any, *, on_change: OnChange | None = None) -> None:
    """Add ingest, batches, undo and rejected. `on_change(store)` runs after an ingest or undo
    changed the placements (the top-level CLI prepares the dashboards' tables with it)."""
    p = subparsers.add_parser("ingest", help="import CSV, TSV, Excel or Parquet files")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_db(p)
    p.add_argument("--mapping", metavar="MAP.json",
                   help="column mapping saved as JSON (from the Upload page or by hand)")
    p.add_argument("--dry-run", action="store_true",
                   help="check and report, load nothing")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    add_as(p)
    p.set_defaults(handler=cmd_ingest, on_change=on_change)

    p = subparsers.add_parser("batches", help="the upload ledger")
    add_db(p)
    p.add_argument("--json", action="store_true")
    add_as(p)
    p.set_defaults(handler=cmd_batches)

    p = subparsers.add_parser("undo", help="remove exactly one upload's placements")
    p.add_argument("batch_id", type=_batch_id, metavar="BATCH_ID")
    add_db(p)
    add_as(p)
    p.set_defaults(handler=cmd_undo, on_change=on_change)

    p = subparsers.add_parser("rejected", help="a batch's rejected rows and reasons, as CSV")
    p.add_argument("batch_id", type=_batch_id, metavar="BATCH_ID")
    add_db(p)
    p.add_argument("--out", metavar="FILE.csv", help="write to a file instead of stdout")
    add_as(p)
    p.set_defaults(handler=cmd_rejected)
