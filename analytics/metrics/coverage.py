"""Which of the fields a page needs the data in scope has at all (so the page can name the ones
it lacks instead of showing empty charts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from analytics.access import Principal
from analytics.filters import Filter
from analytics.metrics.definitions import ALL_PLACEMENTS, MetricsError
from analytics.metrics.scope import base_scope
from analytics.store import Store

# Fields the facts table carries as they were stored (identifiers only from here).
CHECKABLE: Final = ("returning_intern", "end_date", "offer_date", "offer_deadline", "decision_date",
                    "reneged", "hire_date", "separation_date")


def fields_present(store: Store, principal: Principal, fields: Sequence[str],
                   flt: Filter = ALL_PLACEMENTS) -> dict[str, bool]:
    """For each field (of CHECKABLE): does any placement the principal may read under `flt`
    have a value? Says only whether a field is present, never how often."""
    unknown = [f for f in fields if f not in CHECKABLE]
    if unknown:
        raise MetricsError(f"cannot check {', '.join(unknown)}; choose from {', '.join(CHECKABLE)}")
    if not fields:
        return {}
    scope = base_scope(store, principal, flt)
    present = ", ".join(f"coalesce(bool_or({f} IS NOT NULL), false) AS {f}" for f in fields)
    row = store.rows(f"SELECT {present} FROM {scope.relation} {scope.where()}", list(scope.params))[0]
    return {f: bool(has) for f, has in zip(fields, row, strict=True)}
