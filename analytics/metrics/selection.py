"""Consistency across views: a filter may not select a group that its own comparison hides.

The attack this closes: the employer comparison hides Tiny (3 eligible) and, as its complement,
Comp (12). If Comp's profile -- any metric filtered to Comp -- still showed Comp's numbers, the
overview total minus the visible employers minus Comp would give Tiny exactly. So before a metric
runs, every filter field that selects values is checked against the one-dimensional comparison of
that field (the same filter without that field), sized by eligible students with primary and
complementary suppression, exactly as the comparison tables release it
(`disclosure.hidden_after`). If any selected value is hidden there, the scope is `blocked` and
the gate releases nothing from it.

The hidden sets are cached per store object and (data version, principal, filter, field): the
pages ask for many metrics with one filter, and this check runs one small grouped query per
selected field. (Keyed on the store object itself, not its path: two in-memory databases share
the path ":memory:".)
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict
from typing import Any, Final

import polars as pl

from analytics import access, disclosure
from analytics.access import Principal
from analytics.filters import Filter
from analytics.metrics.facts import Facts
from analytics.metrics.frames import main_currency, resolve_sizes
from analytics.metrics.scope import Scope, base_scope, query
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

# Filter field -> the facts column its values select (values normalised as the filter does).
SELECTABLE: Final[dict[str, str]] = {
    "term_years": "term_year",
    "term_seasons": "term_season",
    "universities": "university",
    "employers": "employer_key",
    "role_families": "role_family",
    "degree_levels": "degree_level",
    "work_modes": "work_mode",
    "paid": "paid",
    "schedule": "schedule",
    "academic_credit": "academic_credit",
    "structured_training": "structured_training",
    "returning_intern": "returning_intern",
}
_CACHE_SIZE: Final = 512
_caches: weakref.WeakKeyDictionary[Store, OrderedDict[tuple[Any, ...], frozenset[Any]]] = \
    weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def scope_for(store: Store, principal: Principal, flt: Filter, *, network: bool = False,
              facts: Facts | None = None, min_cell: int = DEFAULT_MIN_CELL) -> Scope:
    """The scope a metric reads (metrics.scope.base_scope), marked `blocked` when the filter
    selects a group hidden in that group's own comparison table."""
    scope = base_scope(store, principal, flt, network=network, facts=facts)
    if min_cell <= 0:
        return scope
    blocked = frozenset(kind for kind in KINDS
                        if _selects_hidden(store, principal, flt, network, min_cell, kind))
    return dataclasses.replace(scope, blocked=blocked) if blocked else scope


def _selected(flt: Filter, field: str) -> tuple[Any, ...]:
    value = getattr(flt, field)
    if isinstance(value, tuple):
        if field == "employers":
            return tuple(access.employer_key(v) for v in value)
        return value
    return () if value is None else (value,)


def _cleared(flt: Filter, field: str) -> Filter:
    return flt.replace(**{field: () if isinstance(getattr(flt, field), tuple) else None})


def _selects_hidden(store: Store, principal: Principal, flt: Filter, network: bool,
                    min_cell: int, kind: str) -> bool:
    for field, column in SELECTABLE.items():
        chosen = _selected(flt, field)
        if chosen and set(chosen) & hidden_values(store, principal, _cleared(flt, field), column,
                                                  network, min_cell, kind):
            return True
    return False


# The kinds of comparison a selection is checked against, and how each sizes its cells:
# outcomes by eligible students (the conversion tables), pay by students paid in the main
# currency (the pay tables).
KINDS: Final = ("outcomes", "pay")


def hidden_values(store: Store, principal: Principal, base: Filter, column: str, network: bool,
                  min_cell: int, kind: str = "outcomes") -> frozenset[Any]:
    """The values of `column` that its comparison of `kind` under `base` hides (cached)."""
    common = (store.data_version(), principal, base, column, network, min_cell)
    with _cache_lock:
        cache = _caches.setdefault(store, OrderedDict())
        if (*common, kind) in cache:
            cache.move_to_end((*common, kind))
            return cache[(*common, kind)]
    # Both kinds at once, from one scan: a selection is checked against both, and each would
    # otherwise read the same rows (twice for pay: its main currency first).
    found = _hidden_both(store, principal, base, column, network, min_cell)
    with _cache_lock:
        for each, hidden in found.items():
            cache[(*common, each)] = hidden
            cache.move_to_end((*common, each))
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    return found[kind]


def _hidden_both(store: Store, principal: Principal, base: Filter, column: str, network: bool,
                 min_cell: int) -> dict[str, frozenset[Any]]:
    """hidden_values of every kind. Per group and currency, the bounds of eligible students
    (outcomes) and of paid students (pay); summed over currencies they are the outcome cells'
    bounds (a student's first placement is in one row of this table at most, so the sum of
    first placements stays a lower bound), and the main currency's rows are the pay cells'.
    frames.resolve_sizes then settles the cells between their bounds exactly, as `cells` does."""
    scope = base_scope(store, principal, base, network=network)
    paid = "hourly_pay IS NOT NULL AND currency IS NOT NULL"
    both = query(store, f"""
        SELECT {column} AS g, currency, {scope.students('students', scope.eligible)},
               {scope.students('paid', paid)}
        FROM {scope.relation} {scope.where()} GROUP BY ALL""", scope.params)
    bounds = [pl.col(c).fill_null(0).sum() for c in ("students_low", "students_high")]
    outcomes = both.group_by("g").agg(bounds)
    sizes = resolve_sizes(store, scope, outcomes, {"students": scope.eligible}, min_cell,
                          groups={"g": column})
    found = {"outcomes": frozenset(disclosure.hidden_after(sizes, "g", "students", min_cell))}
    paid_rows = both.filter(pl.col("currency").is_not_null() & (pl.col("paid_high") > 0))
    totals = paid_rows.group_by("currency").agg(pl.col("paid_high").sum())
    currency = main_currency(dict(zip(totals["currency"].to_list(), totals["paid_high"].to_list(),
                                      strict=True)))
    if currency is None:
        found["pay"] = frozenset()
        return found
    pay = (paid_rows.filter(pl.col("currency") == currency)
           .select("g", pl.col("paid_low").alias("students_low"),
                   pl.col("paid_high").alias("students_high")))
    sizes = resolve_sizes(store, scope, pay, {"students": "TRUE"}, min_cell, "hourly_pay IS NOT NULL",
                          "currency IS NOT NULL", "currency = ?", groups={"g": column},
                          where_params=[currency])
    found["pay"] = frozenset(disclosure.hidden_after(sizes, "g", "students", min_cell))
    return found
