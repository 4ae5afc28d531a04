"""The knowledge-rate gate: NACE asks first-destination figures to rest on a known outcome for
at least 65% of the eligible interns (KNOWLEDGE_TARGET). Below that, an offer or conversion rate
says more about who answered than about who was hired.

- `knowledge_by`: the knowledge rate by where the outcome came from (outcome_source) or by
  cohort (term, or any dimension), with 95% intervals and whether it falls short of the target.
- `below_target`: the shared test the pages use to warn beside any figure resting on less.
- `unknown_outcomes`: for analysts, their own scope's eligible placements whose outcome is
  unknown -- the list to follow up. Row-level, so it needs the records permission and reads the
  principal's own scope only (never the network), like `metrics.records`.
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

from analytics import access
from analytics.access import Principal
from analytics.disclosure import PERTURBED, Rate, Table, release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    ALL_PLACEMENTS,
    GROUP_DIMENSIONS,
    MAX_RECORDS,
    UNKNOWN_SORT,
    MetricsError,
)
from analytics.metrics.facts import ELIGIBLE_SQL, batch_basis
from analytics.metrics.frames import cells, check_min_cell, triple
from analytics.metrics.labels import check_dimension, group_column, names_for, with_labels
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

KNOWLEDGE_TARGET: Final = 0.65  # NACE first-destination standards: knowledge rate of at least 65%
SOURCE: Final = "outcome_source"
NOT_RECORDED: Final = "not recorded"
KNOWLEDGE_DIMENSIONS: Final = (SOURCE, *GROUP_DIMENSIONS)


def below_target(rate: float | None) -> bool:
    """Does a shown knowledge rate fall short of NACE's 65%? (None: nothing shown, no warning.)"""
    return rate is not None and rate < KNOWLEDGE_TARGET


def knowledge_by(store: Store, principal: Principal, dimension: str = "term",
                 flt: Filter = ALL_PLACEMENTS, *, min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Knowledge rate per group of `dimension` ('outcome_source', 'term' or any grouping
    dimension). Columns: group, sort_key, n (eligible interns), known_outcome, knowledge_rate
    triple (95% Wilson), below_target (true where the shown rate is under 65%), suppressed,
    perturbed. Groups without eligible interns are left out."""
    min_cell = check_min_cell(min_cell)
    dimension = check_dimension(dimension, KNOWLEDGE_DIMENSIONS)
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    column = SOURCE if dimension == SOURCE else group_column(dimension, scope.facts)
    e = scope.eligible
    frame = cells(store, scope, {"g": column}, {"n": e, "known_outcome": f"{e} AND known"},
                  {"students": e}, min_cell=min_cell).filter(pl.col("n") > 0)
    if dimension == SOURCE:
        values = frame["g"].to_list()
        frame = frame.with_columns(
            pl.Series("group", [NOT_RECORDED if v is None else str(v).replace("_", " ") for v in values],
                      dtype=pl.String),
            pl.Series("sort_key", [UNKNOWN_SORT if v is None else 0 for v in values], dtype=pl.Int64))
    else:
        frame = with_labels(frame, dimension, names_for(store, scope, dimension))
    frame = frame.sort("sort_key", "group")
    table = Table(size="students", values=("n", "known_outcome", *triple("knowledge_rate")),
                  counts=("n", "known_outcome"),
                  rates=(Rate("knowledge_rate", "known_outcome", "n"),), kind="outcomes")
    frame = release(frame, table, scope.release(min_cell))
    frame = frame.with_columns(
        pl.when(pl.col("knowledge_rate").is_null()).then(None)
        .otherwise(pl.col("knowledge_rate") < KNOWLEDGE_TARGET).alias("below_target"))
    return frame.select("group", "sort_key", "n", "known_outcome", *triple("knowledge_rate"),
                        "below_target", "suppressed", PERTURBED)


# The columns of the follow-up list: who, where, when, and what is known.
UNKNOWN_COLUMNS: Final = ("placement_id", "student_id", "university", "program", "employer", "role",
                          "term", "end_date", "status", "final_year", "student_status",
                          "offer_extended", "offer_accepted", "outcome_source", "batch_id")


def unknown_outcomes(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS,
                     limit: int = 1000, offset: int = 0) -> pl.DataFrame:
    """Eligible placements of the principal's own scope whose offer outcome is unknown, ordered
    by placement_id; at most MAX_RECORDS rows per call. Needs the records permission (analysts,
    admins); student ids are the stored pseudonyms."""
    access.require(principal, access.VIEW_RECORDS, "see row-level records")
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise MetricsError(f"{name} must be a whole number >= 0, got {value!r}")
    where, params = _unknown_where(principal, flt)
    return store.query(
        f"SELECT {', '.join(UNKNOWN_COLUMNS)} FROM placements "
        f"LEFT JOIN {batch_basis('placements')} USING (batch_id) {where} "
        "ORDER BY placement_id LIMIT ? OFFSET ?",
        [*params, min(limit, MAX_RECORDS), offset])


def unknown_outcome_count(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS) -> int:
    """How many rows `unknown_outcomes` has for this filter (the same permission)."""
    access.require(principal, access.VIEW_RECORDS, "see row-level records")
    where, params = _unknown_where(principal, flt)
    return int(store.scalar(f"SELECT count(*) FROM placements "
                            f"LEFT JOIN {batch_basis('placements')} USING (batch_id) {where}",
                            params) or 0)


def _unknown_where(principal: Principal, flt: Filter) -> tuple[str, list[Any]]:
    if not isinstance(flt, Filter):
        raise MetricsError(f"expected a Filter, got {type(flt).__name__}")
    allowed, allowed_params = access.row_conditions(principal)  # own scope only, never the network
    conditions, params = flt.conditions()
    # Unknown: neither an offer nor its absence recorded (the facts' `known` negated).
    parts = [*allowed, *conditions, ELIGIBLE_SQL,
             "offer_extended IS NULL AND offer_accepted IS NOT TRUE"]
    return "WHERE " + " AND ".join(f"({p})" for p in parts), [*allowed_params, *params]
