"""Conversion by a yes/no trait of the internship: returning vs first-time interns, structured
training vs none.

NACE finds returning interns offered far more often than first-time ones; whether the training
and mentoring an internship gave goes with more hires is what programme managers ask next. Both
are the same table: the conversion cells of each group (yes, no, not recorded) with their
eligible interns, offers and hires and a 95% Wilson interval on every rate, released like every
conversion table (threshold on eligible students, the offers behind an acceptance rate guarded,
complementary suppression: the groups add up to the overview's eligible interns).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from analytics.access import Principal
from analytics.disclosure import PERTURBED, release
from analytics.filters import Filter
from analytics.metrics.definitions import ALL_PLACEMENTS, UNKNOWN_SORT
from analytics.metrics.frames import cells, check_min_cell, conversion_table, triple
from analytics.metrics.scope import Scope
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

NOT_RECORDED: Final = "not recorded"
# The trait's facts column -> (label for yes, label for no).
TRAITS: Final[dict[str, tuple[str, str]]] = {
    "returning_intern": ("returning", "first-time"),
    "structured_training": ("with structured training", "without structured training"),
}
RATE_COLUMNS: Final = tuple(c for r in ("offer_rate", "acceptance_rate", "conversion_rate",
                                        "knowledge_rate") for c in triple(r))
COLUMNS: Final = ("group", "sort_key", "n", "offers", "accepted", "known_outcome", *RATE_COLUMNS,
                  "suppressed", PERTURBED)


def conversion_cells(store: Store, scope: Scope, group_sql: str, min_cell: int) -> pl.DataFrame:
    """The conversion counts (with cell keys) and disclosure sizes per value of `group_sql` (an
    allow-listed facts expression), column g."""
    e = scope.eligible
    return cells(store, scope, {"g": group_sql},
                 {"n": e, "offers": f"{e} AND offered", "accepted": f"{e} AND accepted",
                  "known_outcome": f"{e} AND known"},
                 scope.conversion_sizes(), min_cell=min_cell)


def _by_trait(store: Store, principal: Principal, column: str, flt: Filter,
              min_cell: int) -> pl.DataFrame:
    min_cell = check_min_cell(min_cell)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    yes, no = TRAITS[column]
    frame = conversion_cells(store, scope, column, min_cell)
    values = frame["g"].to_list()
    frame = frame.with_columns(
        pl.Series("group", [NOT_RECORDED if v is None else yes if v else no for v in values],
                  dtype=pl.String),
        pl.Series("sort_key", [UNKNOWN_SORT if v is None else 0 if v else 1 for v in values],
                  dtype=pl.Int64),
    ).sort("sort_key")
    # Only rows with eligible interns: a group of none has no rate to compare.
    frame = frame.filter(pl.col("n") > 0)
    value_cols = ["n", "offers", "accepted", "known_outcome", *RATE_COLUMNS]
    frame = release(frame, conversion_table(value_cols), scope.release(min_cell))
    return frame.select(COLUMNS)


def returning_outcomes(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                       min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Offer, acceptance and conversion of returning vs first-time interns (returning_intern).

    Columns: group ('returning', 'first-time', 'not recorded'), sort_key, n (eligible interns),
    offers, accepted, known_outcome, offer_rate / acceptance_rate / conversion_rate /
    knowledge_rate triples (95% Wilson), suppressed, perturbed. Groups without eligible interns
    are left out; a database without the field has only 'not recorded'."""
    return _by_trait(store, principal, "returning_intern", flt, min_cell)


def training_outcomes(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                      min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """The same table for internships with and without structured training or mentoring
    (structured_training): 'with structured training', 'without structured training',
    'not recorded'."""
    return _by_trait(store, principal, "structured_training", flt, min_cell)
