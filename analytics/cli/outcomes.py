"""`internships retention` and `internships timeline`: the newer outcome measures on the command line.

    internships retention [--by DIMENSION] [--as-of DATE] [--where FIELD=VALUE ...] [--json]
    internships timeline  [--by DIMENSION] [--where FIELD=VALUE ...] [--json]

Thin wrappers over analytics.metrics (retention_by, timeline_by), acting as the principal `--as`
names (default: the local admin), so every figure has passed the disclosure gate for that
principal: suppressed cells are null in JSON and "fewer than N" in text, network cells come
perturbed and rounded (marked `perturbed`, and `*` in text). Rates and survival are fractions in
0..1; days are whole or half days (medians of whole days).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from analytics import metrics
from analytics.cli.base import UsageError
from analytics.cli.metrics import _add_common, _clean, _pct, _prepare
from analytics.filters import Filter

if TYPE_CHECKING:
    import polars as pl

HORIZON_TEXT: Final = {"1y": "1 year", "5y": "5 years"}
INTERVAL_TEXT: Final = {
    "to_offer": "end to offer",
    "to_deadline": "offer to deadline",
    "to_decision": "offer to decision",
}
PERTURBED_NOTE: Final = "* perturbed network cell (cell-key method): counts are within 2, rates rounded"


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in r.items() if k != "sort_key"} for r in frame.iter_rows(named=True)]


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"internships retention: --as-of expects a date like 2025-06-30, got {text!r}"
        ) from None


def _interval(row: dict[str, Any], low: str, high: str) -> str:
    if row.get(low) is None or row.get(high) is None:
        return ""
    return f" ({_pct(row[low])} to {_pct(row[high])})"


def _header(title: str, flt: Filter, by: str | None) -> str:
    return f"{title}: {flt.describe()}" + (f", by {by.replace('_', ' ')}" if by else "")


# -- retention ----------------------------------------------------------------------------------
def cmd_retention(args: argparse.Namespace) -> int:
    flt, min_cell, store, who = _prepare(args, "retention")
    as_of = _as_of(args.as_of) or metrics.data_date(store, who)
    frame = metrics.retention_by(store, who, args.by, flt, as_of=as_of, min_cell=min_cell)
    rows = _rows(frame)
    if args.json:
        print(
            json.dumps(
                {
                    "filter": flt.describe(),
                    "by": args.by,
                    "as_of": as_of.isoformat(),
                    "min_cell": min_cell,
                    "groups": rows,
                }
            )
        )
        return 0
    print(_header("Retention of converted hires (Kaplan-Meier, 95% log-log intervals)", flt, args.by))
    print(f"  followed to {as_of.isoformat()}; recent hires are censored, not counted as stayers")
    for row in rows:
        mark = "*" if row["perturbed"] else ""
        if row["suppressed"]:
            print(f"  {row['group']}: fewer than {min_cell} hires")
            continue
        parts = [f"{row['hires']:,} hires, {row['left']:,} left{mark}"]
        for h, text in HORIZON_TEXT.items():
            if row[f"survival_{h}"] is None:
                parts.append(f"at {text}: - (fewer than {min_cell} followed that long)")
                continue
            parts.append(
                f"at {text}: {_pct(row[f'survival_{h}'])}{mark}"
                f"{_interval(row, f'survival_{h}_low', f'survival_{h}_high')}, "
                f"{row[f'at_risk_{h}']:,} still followed"
            )
        print(f"  {row['group']}: " + "; ".join(parts))
    if any(row["perturbed"] for row in rows):
        print(f"  {PERTURBED_NOTE}")
    return 0


# -- timeline -----------------------------------------------------------------------------------
def _days(row: dict[str, Any], interval: str, min_cell: int) -> str:
    median = row[f"median_{interval}"]
    if median is None:
        return f"{INTERVAL_TEXT[interval]} - (fewer than {min_cell})"
    return (
        f"{INTERVAL_TEXT[interval]} {median:g} days (quartiles {row[f'p25_{interval}']:g} to "
        f"{row[f'p75_{interval}']:g}, n = {row[f'n_{interval}']:,})"
    )


def cmd_timeline(args: argparse.Namespace) -> int:
    from analytics.metrics import timeline

    flt, min_cell, store, who = _prepare(args, "timeline")
    rows = _rows(metrics.timeline_by(store, who, args.by, flt, min_cell=min_cell))
    if args.json:
        print(
            json.dumps(
                {
                    "filter": flt.describe(),
                    "by": args.by,
                    "min_cell": min_cell,
                    "exploding_days": timeline.EXPLODING_DAYS,
                    "groups": rows,
                }
            )
        )
        return 0
    print(_header("Hiring timeline (medians of days)", flt, args.by))
    for row in rows:
        mark = "*" if row["perturbed"] else ""
        if row["suppressed"]:
            print(f"  {row['group']}: fewer than {min_cell} offers")
            continue
        print(f"  {row['group']}: {row['offers']:,} offers{mark}")
        print("    " + "; ".join(_days(row, i, min_cell) for i in INTERVAL_TEXT))
        exploding = (
            f"{_pct(row['exploding_share'])}{mark}"
            f"{_interval(row, 'exploding_share_low', 'exploding_share_high')} of "
            f"{row['with_deadline']:,} with a deadline"
            if row["exploding_share"] is not None
            else "-"
        )
        renege = (
            f"{_pct(row['renege_rate'])}{mark}"
            f"{_interval(row, 'renege_rate_low', 'renege_rate_high')} of "
            f"{row['accepted_known']:,} accepted offers"
            if row["renege_rate"] is not None
            else "-"
        )
        days = timeline.EXPLODING_DAYS
        print(f"    exploding offers (deadline under {days} days) {exploding}; reneged {renege}")
    if any(row["perturbed"] for row in rows):
        print(f"  {PERTURBED_NOTE}")
    return 0


# -- registration -------------------------------------------------------------------------------
def _add_grouped(parser: Any, dimensions: Sequence[str]) -> None:
    """The metric commands' common options, and --by one of `dimensions`."""
    _add_common(parser)
    parser.add_argument("--by", choices=dimensions, default=None,
                        help="one row per group (default: one row for the whole scope)")


def register(subparsers: Any) -> None:
    """Add `retention` and `timeline` to the `internships` command."""
    p = subparsers.add_parser("retention", help="do converted hires stay? survival at 1 and 5 years")
    _add_grouped(p, metrics.RETENTION_DIMENSIONS)
    p.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help="follow hires up to this date (default: the day of the latest upload)",
    )
    p.set_defaults(handler=cmd_retention)

    p = subparsers.add_parser("timeline", help="days to offer, deadline and decision; reneges")
    _add_grouped(p, metrics.TIMELINE_DIMENSIONS)
    p.set_defaults(handler=cmd_timeline)
