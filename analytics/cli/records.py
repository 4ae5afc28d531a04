"""`internships records`: row-level placements for analysts, their own scope only, as CSV or JSON.

    internships records [--db PATH] [--where FIELD=VALUE ...] [--as EMAIL] [--format csv|json]
                        [--out FILE]

The rows come from `analytics.metrics.records`, which applies the principal's scope and refuses
principals without row-level access (a viewer: one-line "not allowed", exit 2). Every export is
written to the audit log (who, scope, filter, how many rows, where to). CSV cells are written as
the Data page's download writes them (spreadsheet formulas neutralised).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics import access, metrics
from analytics.cli.base import UsageError, acting, add_as, add_db, existing_store
from analytics.cli.metrics import ArgumentsError, parse_where
from analytics.metrics.definitions import MAX_RECORDS

if TYPE_CHECKING:
    import polars as pl


def _all_records(args: argparse.Namespace) -> tuple[pl.DataFrame, Any, access.Principal, Any]:
    import polars as pl

    try:
        flt = parse_where(args.where)
    except ArgumentsError as error:
        raise UsageError(f"internships records: {error}") from None
    store = existing_store(args, "records")
    who = acting(args, store, "records")
    pages: list[pl.DataFrame] = []
    offset = 0
    while True:  # metrics.records returns at most MAX_RECORDS rows per call
        page = metrics.records(store, who, flt, limit=MAX_RECORDS, offset=offset)
        pages.append(page)
        if page.height < MAX_RECORDS:
            break
        offset += page.height
    return pl.concat(pages), flt, who, store


def cmd_records(args: argparse.Namespace) -> int:
    from analytics import export

    frame, flt, who, store = _all_records(args)
    if args.format == "json":
        text = json.dumps(frame.to_dicts(), default=str) + "\n"
    else:
        text = export.csv_text(export.present(frame, export.columns_for(frame), 0))
    where = args.out or "stdout"
    access.audit(store, who, "records", flt=flt,
                 detail=f"{frame.height:,} rows as {args.format} to {where} (CLI)")
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote {frame.height:,} placements to {args.out}.")
    else:
        sys.stdout.write(text)
    return 0


def register(subparsers: Any) -> None:
    """Add `records`."""
    p = subparsers.add_parser("records", help="row-level placements of your scope (analysts), CSV or JSON")
    add_db(p)
    add_as(p)
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                   help="filter, repeatable (as for `metrics`)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", metavar="FILE", help="write to a file instead of stdout")
    p.set_defaults(handler=cmd_records)
