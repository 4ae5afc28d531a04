"""Shared pieces of the disclosure attack suite (tests/test_disclosure_*.py).

The databases are built by hand (through the real loader, so derived fields are the store's own)
and every true value an attack tries to recover is known by construction; the "truth" helpers
recompute sizes straight from the `placements` table with plain SQL, a second method that shares
nothing with the metrics but the labels of groups.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from analytics import access, schema
from analytics.access import Principal
from analytics.store import Store
from tests.fixture_rows import insert as insert  # re-exported: other tests build stores from here
from tests.fixture_rows import make_store as make_store

MIN_CELL = 10
ADMIN = access.LOCAL_ADMIN
PUBLIC = access.PUBLIC
VIEWER_U1 = Principal(email="v@u.edu", name="V", role="viewer", universities=("U1",))

_students = itertools.count()

# Columns that name or mark a row rather than state a figure about its students.
LABEL_COLUMNS = frozenset({
    "group", "sort_key", "employer", "employer_key", "currency", "hourly_pay_currency", "stage",
    "bin_low", "bin_high", "weeks", "eligibility_basis", *schema.DIMENSIONS,
})


# Marks the gate sets on a row (what it did), not figures about students.
FLAG_COLUMNS = frozenset({"perturbed", "blocked"})


def row(**values: Any) -> dict[str, Any]:
    """One placement: by default an eligible intern (completed, final year) with no offer, paid
    20 USD an hour, 10 weeks full time, summer 2024, at Big One / U1, one student of its own."""
    base: dict[str, Any] = {
        "employer": "Big One", "university": "U1", "term_season": "summer",
        "term_year": 2024, "status": "completed", "final_year": True,
        "continuing_education": False, "offer_extended": False, "offer_accepted": False,
        "paid": True, "pay_amount": 20.0, "pay_period": "hour", "currency": "USD",
        "hours_per_week": 40.0, "duration_weeks": 10.0, "role_family": "software engineering",
        "degree_level": "bachelor", "work_mode": "onsite", "academic_credit": False,
        "structured_training": False, "student_id": f"S{next(_students):07d}",
    }
    base.update(values)
    if base.get("paid") is False:
        base["pay_amount"] = None
    return base


def cohort(n: int, offers: int = 0, accepted: int = 0, **values: Any) -> list[dict[str, Any]]:
    """n placements of n students: the first `accepted` offered and accepted, the next
    offers - accepted offered and declined, the rest without an offer."""
    assert 0 <= accepted <= offers <= n
    return [row(**{"offer_extended": i < offers, "offer_accepted": i < accepted, **values})
            for i in range(n)]


def by_key(frame: pl.DataFrame, key: str = "group") -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in frame.iter_rows(named=True)}


def one(frame: pl.DataFrame) -> dict[str, Any]:
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def is_figure(value: Any) -> bool:
    """A released figure: a number (or a boolean that is a result, e.g. outside_95)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def visible_figures(record: Mapping[str, Any], columns: Iterable[str] | None = None) -> dict[str, Any]:
    """The figures a row shows in `columns` (default: every column that is not a label or a
    flag). Strings are never figures here ("fewer than 10" notes are allowed)."""
    names = list(record) if columns is None else [c for c in columns if c in record]
    out = {}
    for name in names:
        if name in LABEL_COLUMNS or name in FLAG_COLUMNS or name.endswith("suppressed"):
            continue
        value = record[name]
        if isinstance(value, str | list | dict):
            continue
        if is_figure(value):
            out[name] = value
    return out


def count_from(record: Mapping[str, Any], count: str | None, rate: str | None,
               n: str | None) -> float | None:
    """A count as an attacker reads it off a row: shown directly, or rate x n."""
    if count and is_figure(record.get(count)):
        return float(record[count])
    if rate and n and is_figure(record.get(rate)) and is_figure(record.get(n)):
        return float(record[rate]) * float(record[n])
    return None


def determined(matrix: np.ndarray, column: int) -> bool:
    """Is unknown `column` pinned down by the linear equations `matrix` x = known?

    It is exactly when the unit vector of that unknown lies in the row space of the matrix,
    i.e. adding it as an equation does not raise the rank."""
    if matrix.size == 0:
        return False
    unit = np.zeros((1, matrix.shape[1]))
    unit[0, column] = 1.0
    return bool(np.linalg.matrix_rank(np.vstack([matrix, unit])) == np.linalg.matrix_rank(matrix))


def recoverable_hidden(cells: Sequence[Sequence[Any]], hidden: Sequence[bool],
                       margins: Sequence[Sequence[int]]) -> list[int]:
    """Which hidden cells the released figures pin down by linear algebra.

    `cells`: per cell, its index (unused here beyond order); `hidden`: per cell, whether its
    value is withheld; `margins`: each a list of cell indices whose sum is released (a row or
    column total of a cross-table, or the table's grand total). Visible cells are known values, so
    every margin is one linear equation over the hidden cells it contains."""
    del cells
    unknown = [i for i, h in enumerate(hidden) if h]
    position = {cell: j for j, cell in enumerate(unknown)}
    equations = []
    for margin in margins:
        vector = np.zeros(len(unknown))
        for cell in margin:
            if cell in position:
                vector[position[cell]] = 1.0
        if vector.any():
            equations.append(vector)
    matrix = np.array(equations) if equations else np.zeros((0, len(unknown)))
    return [cell for cell in unknown if determined(matrix, position[cell])]


# -- truth, straight from the placements table -------------------------------------------------
def students(store: Store, where: str = "TRUE", params: Sequence[Any] = ()) -> int:
    """Distinct students of the placements meeting `where` (SQL over the raw table)."""
    return int(store.scalar(f"SELECT count(DISTINCT student_id) FROM placements WHERE {where}",
                            list(params)) or 0)


ELIGIBLE_SQL = ("status = 'completed' AND continuing_education IS NOT TRUE "
                "AND final_year IS TRUE")
OFFERED_SQL = "(offer_extended IS TRUE OR offer_accepted IS TRUE)"
ACCEPTED_SQL = "offer_accepted IS TRUE"
