"""Which terms a KPI card compares, and how a change reads. Pure: no Streamlit, no SQL.

"The previous comparable term" is the same season one year earlier (Summer 2025 against Summer
2024): seasons differ too much (full-time summers, part-time semesters) for Spring 2025 against
Fall 2024 to mean anything. By default the latest term compared is the most recent one whose
numbers are shown (not suppressed), which has a comparable term before it, and which is not a
small term next to the main ones; the reader can pick another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from analytics.filters import Filter


@dataclass(frozen=True)
class Comparison:
    latest: str
    previous: str
    latest_filter: Filter
    previous_filter: Filter


def parse_term(label: str) -> tuple[str, int] | None:
    """'Summer 2025' -> ('summer', 2025); anything else (e.g. 'unknown') -> None."""
    parts = label.strip().split()
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    return parts[0].lower(), int(parts[1])


def _shown_terms(terms: pl.DataFrame) -> pl.DataFrame:
    data = terms
    if "suppressed" in data.columns:
        data = data.filter(~pl.col("suppressed").fill_null(False))
    data = data.filter(pl.col("n").fill_null(0) > 0)
    return data.sort("sort_key") if "sort_key" in data.columns else data


def candidates(terms: pl.DataFrame) -> list[str]:
    """Terms (latest first) whose same season a year earlier is also shown, from a by-term frame
    (columns group, sort_key, n, suppressed)."""
    if terms.is_empty():
        return []
    labels = [str(g) for g in _shown_terms(terms)["group"].to_list()]
    available = {parsed for parsed in (parse_term(label) for label in labels) if parsed}
    found = []
    for label in reversed(labels):
        parsed = parse_term(label)
        if parsed and (parsed[0], parsed[1] - 1) in available:
            found.append(label)
    return found


def default_term(terms: pl.DataFrame) -> str | None:
    """The latest comparable term that is not a small one: at least half as many eligible interns
    as the biggest comparable term (otherwise a thin winter term would set every arrow)."""
    labels = candidates(terms)
    if not labels:
        return None
    sizes = dict(zip((str(g) for g in terms["group"].to_list()), terms["n"].fill_null(0).to_list(),
                     strict=True))
    biggest = max(sizes.get(label, 0) for label in labels)
    return next(label for label in labels if sizes.get(label, 0) * 2 >= biggest)


def comparable_terms(terms: pl.DataFrame, flt: Filter, latest: str | None = None) -> Comparison | None:
    """`latest` (default: `default_term`) and the same season a year earlier, as filters narrowing
    `flt` to each term; None when there is no such pair."""
    labels = candidates(terms)
    latest = latest if latest in labels else default_term(terms)
    parsed = parse_term(latest) if latest else None
    if latest is None or parsed is None:
        return None
    season, year = parsed
    previous = next(str(g) for g in terms["group"].to_list() if parse_term(str(g)) == (season, year - 1))
    return Comparison(
        latest=latest,
        previous=previous,
        latest_filter=flt.replace(term_seasons=(season,), term_years=(year,)),
        previous_filter=flt.replace(term_seasons=(season,), term_years=(year - 1,)),
    )


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def points(new: object, old: object) -> str | None:
    """A change between two rates in percentage points: '+2.3 pts', '-0.4 pts'."""
    a, b = _number(new), _number(old)
    if a is None or b is None:
        return None
    return f"{(a - b) * 100:+.1f} pts"


def difference(new: object, old: object, *, digits: int = 0, unit: str = "") -> str | None:
    """A change between two amounts: '+82', '-1.5 weeks', '+0.75 USD'."""
    a, b = _number(new), _number(old)
    if a is None or b is None:
        return None
    text = f"{a - b:+,.{digits}f}"
    return f"{text} {unit}".strip()


def relative(new: object, old: object) -> str | None:
    """A relative change: '+6.1%'."""
    a, b = _number(new), _number(old)
    if a is None or b is None or b == 0:
        return None
    return f"{(a / b - 1) * 100:+.1f}%"
