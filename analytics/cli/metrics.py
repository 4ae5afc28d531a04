"""`internships metrics` and `internships compare employers`: the metrics layer on the command line.

Thin wrappers: parse `--where FIELD=VALUE` into a Filter, call analytics.metrics, print text or
JSON. Suppression is applied by the metrics functions, so the JSON obeys it too: rates are
fractions in 0..1, null when suppressed or undefined.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from analytics import metrics, schema
from analytics.access import Principal
from analytics.cli.base import UsageError, acting, add_as, add_db, existing_store, whole_number
from analytics.filters import Filter
from analytics.schema import DEFAULT_MIN_CELL
from analytics.store import Store

if TYPE_CHECKING:
    import polars as pl

MIN_CELL_ENV: Final = "INTERNSHIPS_MIN_CELL"


class ArgumentsError(ValueError):
    """A bad --where: reported by the subcommand's parser (one line, exit 2)."""

# --where names: the filter's own field names and the short query-parameter keys.
_WHERE_FIELDS: Final[dict[str, str]] = {
    "year": "term_years", "term_year": "term_years",
    "season": "term_seasons", "term_season": "term_seasons",
    "university": "universities",
    "employer": "employers",
    "role_family": "role_families",
    "degree": "degree_levels", "degree_level": "degree_levels",
    "work_mode": "work_modes",
    "paid": "paid",
    "schedule": "schedule",
    "credit": "academic_credit", "academic_credit": "academic_credit",
    "training": "structured_training", "structured_training": "structured_training",
    "returning": "returning_intern", "returning_intern": "returning_intern",
}
_SHORT_NAMES: Final = (
    "year, season, university, employer, role_family, degree, work_mode, paid, schedule, credit, training, "
    "returning"
)
_ENUM_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "term_seasons": schema.TERM_SEASONS,
    "role_families": schema.ROLE_FAMILIES,
    "degree_levels": schema.DEGREE_LEVELS,
    "work_modes": schema.WORK_MODES,
    "schedule": schema.SCHEDULES,
}
_BOOLEAN_FIELDS: Final = ("paid", "academic_credit", "structured_training", "returning_intern")
_TRUE: Final = {"yes", "true", "1", "y"}
_FALSE: Final = {"no", "false", "0", "n"}

# The keys `internships metrics --json` promises (DESIGN/issue contract), in this order.
JSON_KEYS: Final = (
    "placements", "employers", "eligible", "offers", "accepted", "offer_rate", "acceptance_rate",
    "conversion_rate", "knowledge_rate", "paid_share", "median_hourly_pay", "hourly_pay_currency",
    "median_duration_weeks",
)


def parse_where(items: Sequence[str]) -> Filter:
    """Turn repeated FIELD=VALUE into a Filter. Repeating a field means "any of these values";
    for yes/no fields and schedule the last value wins. Bad input raises ArgumentsError."""
    values: dict[str, list[Any]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name, raw = name.strip().lower(), raw.strip()
        if not sep or not name:
            raise ArgumentsError(f"--where expects FIELD=VALUE, got {item!r}")
        field = _WHERE_FIELDS.get(name)
        if field is None:
            raise ArgumentsError(f"unknown --where field {name!r}; use one of {_SHORT_NAMES}")
        if not raw:
            raise ArgumentsError(f"--where {name}= needs a value")
        values.setdefault(field, []).append(_parse_value(field, name, raw))
    changes: dict[str, Any] = {}
    for field, given in values.items():
        if field in _BOOLEAN_FIELDS or field == "schedule":
            changes[field] = given[-1]
        else:
            changes[field] = tuple(given)
    return Filter(**changes)


def _parse_value(field: str, name: str, raw: str) -> Any:
    if field == "term_years":
        try:
            return int(raw)
        except ValueError:
            raise ArgumentsError(f"--where {name}= expects a year like 2024, got {raw!r}") from None
    if field in _BOOLEAN_FIELDS:
        word = raw.lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ArgumentsError(f"--where {name}= expects yes or no, got {raw!r}")
    if field in _ENUM_FIELDS:
        allowed = _ENUM_FIELDS[field]
        by_lower = {a.lower(): a for a in allowed}
        if raw.lower() not in by_lower:
            raise ArgumentsError(f"--where {name}= must be one of {', '.join(allowed)}; got {raw!r}")
        return by_lower[raw.lower()]
    return raw  # universities and employers are free text: a value that matches nothing is fine


def _min_cell(args: argparse.Namespace) -> int:
    if args.min_cell is not None:
        return int(args.min_cell)
    text = os.environ.get(MIN_CELL_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_MIN_CELL


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> null (JSON has no NaN), everything else as is."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _row(frame: pl.DataFrame) -> dict[str, Any]:
    return {k: _clean(v) for k, v in frame.row(0, named=True).items()}


# -- metrics ------------------------------------------------------------------------------------
def _prepare(args: argparse.Namespace, command: str) -> tuple[Filter, int, Store, Principal]:
    try:
        flt = parse_where(args.where)
    except ArgumentsError as error:
        raise UsageError(f"internships {command}: {error}") from None
    if args.min_cell is not None and getattr(args, "as_email", None) is not None:
        # --as shows exactly what that user sees, which includes the configured threshold.
        raise UsageError(f"internships {command}: --min-cell cannot be combined with --as "
                         f"(the user sees the configured threshold, ${MIN_CELL_ENV})")
    store = existing_store(args, command)
    return flt, _min_cell(args), store, acting(args, store, command)


def cmd_metrics(args: argparse.Namespace) -> int:
    flt, min_cell, store, who = _prepare(args, "metrics")
    row = _row(metrics.overview(store, who, flt, min_cell=min_cell))
    if args.json:
        ordered = {k: row[k] for k in JSON_KEYS}
        extra = {k: v for k, v in row.items() if k not in ordered}
        print(json.dumps({**ordered, **extra, "filter": flt.describe(), "min_cell": min_cell}))
        return 0
    print(_overview_text(row, flt, min_cell))
    return 0


def _count(value: Any, min_cell: int) -> str:
    return f"{value:,}" if value is not None else f"fewer than {min_cell}"


def _pct(value: Any) -> str:
    return f"{value * 100:.1f}%" if value is not None else "-"


def _rate(row: dict[str, Any], name: str) -> str:
    if row.get(name) is None:
        return "-"
    low, high = row.get(f"{name}_low"), row.get(f"{name}_high")
    interval = f"  (95% CI {_pct(low)} to {_pct(high)})" if low is not None and high is not None else ""
    return f"{_pct(row[name])}{interval}"


_BASIS_TEXT: Final = {
    "final_year": "final-year interns",
    "completed": "completed internships (the uploads do not record the final year)",
    "mixed": "final-year interns, or completed internships in uploads without the final year",
    "unknown": "unknown (the uploads have no internship status)",
}


def _overview_text(row: dict[str, Any], flt: Filter, min_cell: int) -> str:
    if row["suppressed"]:
        return (f"Internship outcomes: {flt.describe()}\n"
                f"  Fewer than {min_cell} placements or students in scope: figures suppressed.")
    basis = _BASIS_TEXT.get(row["eligibility_basis"], str(row["eligibility_basis"]))
    if row.get("eligibility_coverage") is not None and row["eligibility_coverage"] < 1.0:
        basis += f"; eligibility known for {_pct(row['eligibility_coverage'])} of placements"
    lines = [
        f"Internship outcomes: {flt.describe()}",
        f"  Placements        {_count(row['placements'], min_cell)}"
        f"  ({_count(row['students'], min_cell)} students, {row['employers']:,} employers, "
        f"{row['universities']:,} universities)",
        f"  Eligible interns  {_count(row['eligible'], min_cell)}  (basis: {basis})",
        f"  Offers            {_count(row['offers'], min_cell)}",
        f"  Accepted          {_count(row['accepted'], min_cell)}",
        f"  Offer rate        {_rate(row, 'offer_rate')}",
        f"  Acceptance rate   {_rate(row, 'acceptance_rate')}",
        f"  Conversion rate   {_rate(row, 'conversion_rate')}",
        f"  Knowledge rate    {_pct(row['knowledge_rate'])}",
        f"  Paid share        {_pct(row['paid_share'])}",
    ]
    if row["median_hourly_pay"] is not None:
        others = row["hourly_pay_currencies"] - 1
        note = f"; {others} other currenc{'y' if others == 1 else 'ies'} not mixed in" if others else ""
        lines.append(
            f"  Hourly pay        median {row['median_hourly_pay']:.2f} {row['hourly_pay_currency']}, "
            f"mean {row['mean_hourly_pay']:.2f} ({row['hourly_pay_n']:,} paid records{note})"
        )
    else:
        lines.append(f"  Hourly pay        - (fewer than {min_cell} paid records)")
    weeks = row["median_duration_weeks"]
    lines.append(f"  Median duration   {f'{weeks:.1f} weeks' if weeks is not None else '-'}")
    lines.append(
        f"  Full time {_pct(row['full_time_share'])}, academic credit "
        f"{_pct(row['academic_credit_share'])}, structured training "
        f"{_pct(row['structured_training_share'])}"
    )
    return "\n".join(lines)


# -- compare employers --------------------------------------------------------------------------
def cmd_compare_employers(args: argparse.Namespace) -> int:
    flt, min_cell, store, who = _prepare(args, "compare employers")
    frame = metrics.employer_comparison(store, who, flt, min_cell=min_cell, limits=args.limits)
    basis = _row(metrics.comparison_basis(store, who, flt, min_cell=min_cell, limits=args.limits))
    target = _clean(_row(metrics.overview(store, who, flt, min_cell=min_cell))["conversion_rate"])
    rows = [{k: _clean(v) for k, v in r.items()} for r in frame.iter_rows(named=True)]
    if args.json:
        print(json.dumps({"filter": flt.describe(), "min_cell": min_cell,
                          "target_conversion": target, "limits": basis["limits"],
                          "tau2": basis["tau2"], "ranked": basis["ranked"],
                          "no_rank_reason": basis["no_rank_reason"], "employers": rows}))
        return 0
    ranking = "ranked by shrunken conversion" if basis["ranked"] else str(basis["no_rank_reason"])
    print(f"Employers: {flt.describe()}  (overall conversion {_pct(target)}; {ranking})")
    print(f"Funnel flags: {basis['limits_text']}")
    header = (f"{'rank':>4}  {'employer':<34} {'eligible':>12} {'conversion':>11} {'95% CI':>15} "
              f"{'shrunk':>7} {'funnel':>8} {'median pay':>14} {'weeks':>6}")
    print(header)
    for r in rows:
        if r["suppressed"]:
            print(f"{'':>4}  {r['employer'][:34]:<34} {'fewer than ' + str(min_cell):>12}")
            continue
        ci = (f"{_pct(r['conversion_rate_low'])}-{_pct(r['conversion_rate_high'])}"
              if r["conversion_rate_low"] is not None else "-")
        flag = "outside" if r["outside_998"] else ("edge" if r["outside_95"] else "")
        pay = (f"{r['median_hourly_pay']:.2f} {r['hourly_pay_currency']}"
               if r["median_hourly_pay"] is not None else "-")
        weeks = f"{r['median_weeks']:.1f}" if r["median_weeks"] is not None else "-"
        print(f"{r['rank'] or '':>4}  {r['employer'][:34]:<34} {r['n']:>12,} "
              f"{_pct(r['conversion_rate']):>11} {ci:>15} {_pct(r['shrunk_conversion']):>7} "
              f"{flag:>8} {pay:>14} {weeks:>6}")
    return 0


# -- registration -------------------------------------------------------------------------------
def _add_common(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    add_as(parser)
    parser.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                        help="filter, repeatable: year, season, university, employer, role_family, "
                             "degree, work_mode, paid, schedule, credit, training, returning")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--min-cell", type=whole_number, default=None, metavar="N",
                        help=f"suppress figures describing fewer than N placements "
                             f"(default ${MIN_CELL_ENV} or {DEFAULT_MIN_CELL})")


def register(subparsers: Any) -> None:
    """Add `metrics` and `compare employers` to the `internships` command."""
    p = subparsers.add_parser("metrics", help="conversion, pay and duration overview")
    _add_common(p)
    p.set_defaults(handler=cmd_metrics)

    compare = subparsers.add_parser("compare", help="compare groups (employers)")
    targets = compare.add_subparsers(dest="compare_what", required=True, metavar="employers")
    p = targets.add_parser("employers", help="employers side by side, with intervals and funnel flags")
    _add_common(p)
    p.add_argument("--limits", choices=("exact", "overdispersed"), default="exact",
                   help="funnel control limits: exact binomial (default), or widened by the "
                        "between-employer variance (overdispersion)")
    p.set_defaults(handler=cmd_compare_employers)
