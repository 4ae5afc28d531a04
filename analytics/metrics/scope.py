"""Scope: which facts rows a metric reads (filter + eligibility basis), and the query helper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics import access
from analytics.access import Principal
from analytics.filters import Filter
from analytics.metrics.definitions import (
    MetricsError,
)
from analytics.metrics.facts import (
    Facts,
    current_facts,
)
from analytics.store import Store


@dataclass(frozen=True)
class Scope:
    facts: Facts
    conditions: tuple[str, ...]
    params: tuple[Any, ...]
    basis: str  # 'final_year' | 'completed'

    @property
    def relation(self) -> str:
        return self.facts.relation

    @property
    def eligible(self) -> str:
        return "eligible_final_year" if self.basis == "final_year" else "eligible_completed"

    def where(self, *extra: str) -> str:
        parts = [*self.conditions, *extra]
        return ("WHERE " + " AND ".join(parts)) if parts else ""

    def conversion_counts(self, prefix: str = "") -> str:
        e = self.eligible
        return (f"count_if({e}) AS {prefix}n, count_if({e} AND offered) AS {prefix}offers, "
                f"count_if({e} AND accepted) AS {prefix}accepted, "
                f"count_if({e} AND known) AS {prefix}known_outcome")


def scope_for(store: Store, principal: Principal, flt: Filter, *, network: bool = False,
              facts: Facts | None = None) -> Scope:
    """The rows a metric reads: the filter intersected with what the principal may read
    (access.row_conditions; network=True reads every placement, for network aggregates)."""
    if not isinstance(flt, Filter):
        raise MetricsError(f"expected a Filter, got {type(flt).__name__}")
    access.require(principal, access.VIEW, "see these figures")
    facts = facts or current_facts(store)
    allowed, allowed_params = access.row_conditions(principal, network=network)
    conditions, params = flt.conditions()
    conditions, params = [*allowed, *conditions], [*allowed_params, *params]
    extra = " AND ".join([*conditions, "final_year_known"])
    # LIMIT 1: stops at the first placement with a known final-year flag.
    known = store.rows(
        f"SELECT count(*) FROM (SELECT 1 FROM {facts.relation} WHERE {extra} LIMIT 1)", params
    )[0][0]
    return Scope(facts, tuple(conditions), tuple(params), "final_year" if known else "completed")


def query(store: Store, sql: str, params: Sequence[Any]) -> pl.DataFrame:
    frame = store.query(sql, list(params))
    # count_if and sum return HUGEINT, which arrives as Decimal(38, 0): counts are Int64 here.
    return frame.with_columns(
        [pl.col(c).cast(pl.Int64) for c, t in frame.schema.items()
         if isinstance(t, pl.Decimal) and t.scale == 0]
    )
