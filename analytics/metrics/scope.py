"""Scope: which facts rows a metric reads (filter + eligibility basis), and the query helper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics import access, schema
from analytics.access import Principal
from analytics.disclosure import Release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    MetricsError,
)
from analytics.metrics.facts import (
    EMPLOYERS_TABLE,
    Facts,
    current_facts,
)
from analytics.store import Store


@dataclass(frozen=True)
class Scope:
    facts: Facts
    conditions: tuple[str, ...]
    params: tuple[Any, ...]
    basis: str  # how eligibility is decided: per batch (see facts.BATCH_BASIS)
    principal: Principal
    network: bool = False  # reads placements outside the principal's own scope
    blocked: frozenset[str] = frozenset()  # figure kinds its selection may not show (selection)

    def release(self, min_cell: int) -> Release:
        """How this scope's results pass the disclosure gate."""
        return Release.of(self.principal, min_cell, network=self.network, blocked=self.blocked)

    @property
    def relation(self) -> str:
        return self.facts.relation

    @property
    def eligible(self) -> str:
        """The facts column of eligible interns: decided per batch, the same in every view."""
        return "eligible"

    def where(self, *extra: str) -> str:
        parts = [*self.conditions, *extra]
        return ("WHERE " + " AND ".join(parts)) if parts else ""

    def conversion_counts(self, prefix: str = "") -> str:
        e = self.eligible
        return (f"count_if({e}) AS {prefix}n, count_if({e} AND offered) AS {prefix}offers, "
                f"count_if({e} AND accepted) AS {prefix}accepted, "
                f"count_if({e} AND known) AS {prefix}known_outcome")

    def conversion_keys(self, prefix: str = "") -> str:
        """The cell keys of conversion_counts' counts (disclosure: sums of record keys)."""
        e = self.eligible
        return ", ".join(self.key(f"{prefix}{name}", condition) for name, condition in (
            ("n", e), ("offers", f"{e} AND offered"), ("accepted", f"{e} AND accepted"),
            ("known_outcome", f"{e} AND known")))

    def conversion_sizes(self) -> dict[str, str]:
        """The disclosure sizes of conversion cells: eligible students and offered students."""
        e = self.eligible
        return {"students": e, "offer_students": f"{e} AND offered"}

    def conversion_students(self) -> str:
        """Bounds of conversion_sizes (see `students`)."""
        return ", ".join(self.students(name, c) for name, c in self.conversion_sizes().items())

    def students(self, name: str, condition: str = "TRUE") -> str:
        """Bounds of the distinct students among the rows meeting `condition`, as two plain
        counts: `{name}_low` counts each student's first placement (facts.first_of_student), at
        most one per student; `{name}_high` counts every placement. They cost no more than any
        other count; frames.resolve_sizes settles the cells between them exactly."""
        return (f"count_if(({condition}) AND first_of_student) AS {name}_low, "
                f"count_if({condition}) AS {name}_high")

    def exact_students(self, name: str, condition: str = "TRUE", *, bitmap: bool = False) -> str:
        """Distinct students among the rows meeting `condition` (a placement without a student
        id counts as a student of its own): a distinct aggregate, several times dearer. With
        bitmap=True and fresh facts, one bit per student instead of a hash table: right for an
        ungrouped query, wrong for many groups (a bitmap each)."""
        s = self.facts.student
        unnamed = f"count_if(({condition}) AND {s} IS NULL)"
        if bitmap and self.facts.fresh and self.facts.students > 0:
            return (f"coalesce(bit_count(bitstring_agg({s}, 1, {int(self.facts.students)}) "
                    f"FILTER (WHERE ({condition}) AND {s} IS NOT NULL)), 0) + {unnamed} AS {name}")
        return f"count(DISTINCT {s}) FILTER (WHERE {condition}) + {unnamed} AS {name}"

    @property
    def perturbed(self) -> bool:
        """Whether the gate perturbs this scope's cells (else no cell keys are needed)."""
        return self.release(0).network

    def key(self, name: str, condition: str = "TRUE") -> str:
        """The cell key of a count: the sum of its records' keys (the gate takes it mod 256).
        Exact scopes skip the sum: their counts are never perturbed."""
        if not self.perturbed:
            return f"0 AS {name}_key"
        return f"coalesce(sum(record_key) FILTER (WHERE {condition}), 0) AS {name}_key"


def base_scope(store: Store, principal: Principal, flt: Filter, *, network: bool = False,
               facts: Facts | None = None) -> Scope:
    """The rows a metric reads: the filter intersected with what the principal may read
    (access.row_conditions; network=True reads every placement, for network aggregates)."""
    if not isinstance(flt, Filter):
        raise MetricsError(f"expected a Filter, got {type(flt).__name__}")
    access.require(principal, access.VIEW, "see these figures")
    facts = facts or current_facts(store)
    allowed, allowed_params = access.row_conditions(principal, network=network)
    conditions, params = _filter_conditions(store, facts, flt)
    conditions, params = [*allowed, *conditions], [*allowed_params, *params]
    return Scope(facts, tuple(conditions), tuple(params), "per_batch",
                 principal, network or principal.role == "public")


def _filter_conditions(store: Store, facts: Facts, flt: Filter) -> tuple[list[str], list[Any]]:
    """The filter's conditions on the facts. With fresh facts, an employer filter becomes a list
    of employer numbers: the filter's own condition is a semi-join on normalised names, probed
    for every row; a constant list of small integers is a plain comparison DuckDB applies inside
    the scan. The numbers come from the same normalisation (schema.EMPLOYER_KEY_SQL, in DuckDB),
    so the same rows match."""
    if not (flt.employers and facts.fresh):
        return flt.conditions()
    numbers = sorted(int(n) for (n,) in store.rows(
        f"SELECT employer_no FROM {EMPLOYERS_TABLE} WHERE employer_key IN "
        f"(SELECT {schema.EMPLOYER_KEY_SQL} FROM (SELECT unnest(CAST(? AS VARCHAR[])) AS employer))",
        [list(flt.employers)]))
    conditions, params = flt.replace(employers=()).conditions()
    # Literal integers read from the employers table (typed INTEGER), so the list is a constant.
    listed = f"employer_no IN ({', '.join(str(n) for n in numbers)})" if numbers else "FALSE"
    return [*conditions, listed], params


def query(store: Store, sql: str, params: Sequence[Any]) -> pl.DataFrame:
    frame = store.query(sql, list(params))
    # count_if and sum return HUGEINT, which arrives as Decimal(38, 0): counts are Int64 here.
    return frame.with_columns(
        [pl.col(c).cast(pl.Int64) for c, t in frame.schema.items()
         if isinstance(t, pl.Decimal) and t.scale == 0]
    )
