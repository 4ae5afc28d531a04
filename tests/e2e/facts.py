"""The answers the browser should show, worked out from the CSV files with the csv module alone.

Nothing here calls the package under test: counts and rates are computed directly from the rows
of the sample and fixture files (NACE eligibility: completed, final year, not continuing
education), so a test compares the app against an independent reckoning.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from tests.e2e.server import REPO, SAMPLE_CSV

E2E_DATA = REPO / "tests" / "data" / "e2e"
TRICKY_CSV = E2E_DATA / "tricky_employers.csv"
# Files that cannot be read as a table, each with a word the user's message should contain.
UNREADABLE = {
    E2E_DATA / "garbage.csv": "binary",  # random bytes, NULs included, no file signature
    E2E_DATA / "image_renamed.csv": "image",  # a PNG with a .csv name
    E2E_DATA / "empty.csv": "empty",  # zero bytes
}
REAL_DATA = REPO / "tests" / "data" / "real"

SCRIPT_EMPLOYER = "<script>alert(1)</script>"
FORMULA_EMPLOYER = '=HYPERLINK("http://x","y")'
MIN_CELL = 10

Row = dict[str, str]


@cache
def _read(path: Path) -> tuple[Row, ...]:
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def app_rows() -> tuple[Row, ...]:
    """The rows of the `app` server's database: the sample plus the hostile-name fixture."""
    return _read(SAMPLE_CSV) + _read(TRICKY_CSV)


def sample_rows() -> tuple[Row, ...]:
    """The rows of the `fresh_app` server's database: the sample alone."""
    return _read(SAMPLE_CSV)


def count(rows: Iterable[Row], keep: Callable[[Row], bool] = lambda _row: True) -> int:
    return sum(1 for row in rows if keep(row))


def eligible(row: Row) -> bool:
    return (row["status"] == "completed" and row["final_year"] == "true"
            and row["continuing_education"] != "true")


def employer_conversions(rows: Iterable[Row]) -> dict[str, tuple[int, float]]:
    """Per employer (grouped case- and space-insensitively, as the app does): eligible interns
    and pooled conversion (accepted offers / eligible interns)."""
    eligible_n: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    for row in rows:
        if eligible(row):
            key = " ".join(row["employer"].split()).lower()
            eligible_n[key] += 1
            accepted[key] += row["offer_accepted"] == "true"
    return {key: (n, accepted[key] / n) for key, n in eligible_n.items()}


def overall_conversion(rows: Iterable[Row]) -> float:
    """Accepted offers / eligible interns, pooled over every row."""
    chosen = [row for row in rows if eligible(row)]
    return sum(row["offer_accepted"] == "true" for row in chosen) / len(chosen)
