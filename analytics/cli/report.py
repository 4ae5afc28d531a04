"""`internships report`: an HTML or PDF report for the network, a university or an employer.

    internships report [--as EMAIL] [--university U | --employer E | --network]
                       [--where FIELD=VALUE ...] --format html|pdf --out FILE

Acts as the local admin unless `--as` names a user, whose role, scope and disclosure the report
then shows exactly (as `metrics --as` does; `--where` is the same filter). The file is written
whole or not at all (a temporary file renamed into place), so a cron job never leaves half a
PDF for someone to mail. Every report goes to the audit log.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.cli.base import UsageError, acting, add_as, add_db, existing_store, whole_number
from analytics.cli.metrics import MIN_CELL_ENV, ArgumentsError, parse_where
from analytics.metrics import MetricsError
from analytics.schema import DEFAULT_MIN_CELL

if TYPE_CHECKING:
    from analytics import reports

# The report package imports plotly, the chart layer and the PDF writer (about half a second of
# CPU): every `internships` command registers this subcommand, so it is imported only when a
# report is made. `reports.make` refuses any other format (tests/cli/ check the two agree).
FORMATS = ("html", "pdf")


def _min_cell(args: argparse.Namespace) -> int:
    if args.min_cell is not None:
        return int(args.min_cell)
    text = os.environ.get(MIN_CELL_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_MIN_CELL


def _subject(args: argparse.Namespace) -> reports.Subject:
    from analytics import reports

    if args.university is not None:
        return reports.Subject("university", args.university)
    if args.employer is not None:
        return reports.Subject("employer", args.employer)
    return reports.NETWORK


def _check_out(path: Path) -> None:
    """Before any work: a report that cannot be written is a usage error now, not in a minute."""
    if path.is_dir():
        raise UsageError(f"internships report: --out {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"internships report: --out {path}: no such folder {path.parent}")


def _write(path: Path, data: bytes) -> None:
    folder = path.parent
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError as error:
        raise UsageError(f"internships report: cannot write {path}: {error.strerror or error}") from None
    finally:
        # Gone after the rename; otherwise (a failed write, an interrupt) nothing is left behind.
        Path(temporary).unlink(missing_ok=True)


def cmd_report(args: argparse.Namespace) -> int:
    try:
        flt = parse_where(args.where)
    except ArgumentsError as error:
        raise UsageError(f"internships report: {error}") from None
    if args.min_cell is not None and getattr(args, "as_email", None) is not None:
        raise UsageError("internships report: --min-cell cannot be combined with --as "
                         f"(the user sees the configured threshold, ${MIN_CELL_ENV})")
    out = Path(args.out)
    _check_out(out)
    store = existing_store(args, "report")
    who = acting(args, store, "report")
    from analytics import reports

    try:
        made = reports.make(store, who, _subject(args), flt, fmt=args.format, min_cell=_min_cell(args))
    except MetricsError as error:  # e.g. a --min-cell below the floor
        raise UsageError(f"internships report: {str(error).splitlines()[0]}") from None
    _write(out, made.data)
    charts = (f"{made.charts} charts" if made.unavailable is None
              else f"no charts ({made.unavailable}); tables stand in for them")
    print(f"Report written: {out} ({args.format.upper()}, {len(made.data):,} bytes, {charts})")
    if made.report.status != "ok":
        print(f"internships report: note: {made.report.status_text}", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add `report` to the `internships` command."""
    p = subparsers.add_parser("report", help="an HTML or PDF report (network, a university, an employer)")
    add_db(p)
    add_as(p)
    subject = p.add_mutually_exclusive_group()
    subject.add_argument("--university", metavar="U", help="a report on one university's interns")
    subject.add_argument("--employer", metavar="E", help="a report on one employer's interns")
    subject.add_argument("--network", action="store_true",
                         help="a report on every placement you may see (the default)")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                   help="filter, repeatable (as for `internships metrics`)")
    p.add_argument("--format", choices=FORMATS, required=True, help="html or pdf")
    p.add_argument("--out", required=True, metavar="FILE", help="where to write the report")
    p.add_argument("--min-cell", type=whole_number, default=None, metavar="N",
                   help=f"suppress figures describing fewer than N students "
                        f"(default ${MIN_CELL_ENV} or {DEFAULT_MIN_CELL})")
    p.set_defaults(handler=cmd_report)
