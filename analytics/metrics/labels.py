"""Dimensions, labels and sort keys of grouped results."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Final

import polars as pl

from analytics import access, schema
from analytics.metrics.definitions import (
    GROUP_DIMENSIONS,
    UNKNOWN,
    UNKNOWN_SORT,
    MetricsError,
)
from analytics.metrics.facts import (
    EMPLOYERS_TABLE,
    TERMS_TABLE,
    Facts,
)
from analytics.metrics.scope import (
    Scope,
)
from analytics.store import Store

_SEASON_ORDER: Final = {s: i + 1 for i, s in enumerate(schema.TERM_SEASONS)}
_ENUMS: Final[dict[str, tuple[str, ...]]] = {
    "term_season": schema.TERM_SEASONS,
    "role_family": schema.ROLE_FAMILIES,
    "degree_level": schema.DEGREE_LEVELS,
    "work_mode": schema.WORK_MODES,
    "schedule": schema.SCHEDULES,
    "student_status": schema.STUDENT_STATUSES,
}
_BOOLEAN_DIMS: Final = frozenset({"paid", "academic_credit", "structured_training", "returning_intern"})


def check_dimension(dimension: str, allowed: Sequence[str] = GROUP_DIMENSIONS) -> str:
    if dimension not in allowed:
        raise MetricsError(f"unknown dimension {dimension!r}; choose one of {', '.join(allowed)}")
    return dimension


def group_column(dimension: str, facts: Facts) -> str:
    """The facts column a dimension groups by (identifiers only ever come from the allow-list).
    Employers group by their small-integer number when the facts table is fresh: DuckDB then
    aggregates with a perfect hash instead of hashing names."""
    if dimension == "employer":
        return facts.employer_id
    if dimension == "term" and facts.fresh:
        return "term_no"
    return check_dimension(dimension)


def labels_for(dimension: str, values: Sequence[Any],
            names: Mapping[Any, str] | None = None) -> tuple[list[str], list[int]]:
    """Display labels and sort keys for raw group values (NULL -> 'unknown', sorted last)."""
    labels: list[str] = []
    keys: list[int] = []
    free_text: list[int] = []
    for value in values:
        if value is None:
            labels.append(UNKNOWN)
            keys.append(UNKNOWN_SORT)
        elif dimension in _BOOLEAN_DIMS:
            labels.append("yes" if value else "no")
            keys.append(0 if value else 1)
        elif dimension == "term":
            label = names.get(value, str(value)) if names else str(value)
            labels.append(label)
            keys.append(term_sort_key(label))
        elif dimension == "term_year":
            labels.append(str(int(value)))
            keys.append(int(value))
        elif dimension in _ENUMS:
            labels.append(str(value))
            enum = _ENUMS[dimension]
            keys.append(enum.index(value) if value in enum else len(enum))
        else:
            labels.append(names.get(value, str(value)) if names else str(value))
            keys.append(0)
            free_text.append(len(labels) - 1)
    # Free-text groups (employers, universities...) sort alphabetically by their label.
    for rank, index in enumerate(sorted(free_text, key=lambda i: (labels[i].casefold(), labels[i]))):
        keys[index] = rank
    return labels, keys


def term_sort_key(label: str) -> int:
    parts = label.split()
    try:
        return int(parts[-1]) * 10 + _SEASON_ORDER.get(parts[0].lower(), 0)
    except (ValueError, IndexError):
        return UNKNOWN_SORT - 1


def with_labels(frame: pl.DataFrame, dimension: str, names: Mapping[Any, str] | None = None,
                 column: str = "g", label: str = "group", sort_key: str = "sort_key") -> pl.DataFrame:
    labels, keys = labels_for(dimension, frame[column].to_list(), names)
    return frame.with_columns(
        pl.Series(label, labels, dtype=pl.String), pl.Series(sort_key, keys, dtype=pl.Int64)
    )


def employer_names(store: Store, scope: Scope) -> dict[Any, tuple[str, str]]:
    """employer id (facts.employer_id) -> (employer_key, display name: most frequent spelling).

    For a principal with a scope of its own, the spelling is the most frequent one among its own
    placements: the network's favourite spelling would tell it how other universities (or
    employers' other programs) write the name, and that they outnumber it there."""
    names = _network_employer_names(store, scope.facts)
    principal = scope.principal
    if principal.whole_network or principal.role == "public":
        return names
    key = (store.data_version(), principal)
    with _names_lock:
        cache = _own_names.setdefault(store, {})
        own = cache.get(key)
    if own is None:
        condition, params = access.own_condition(principal)
        own = dict(store.rows(
            "SELECT employer_key, first(employer ORDER BY c DESC, employer) FROM "
            f"(SELECT employer_key, employer, count(*) AS c FROM placements WHERE {condition} "
            "AND employer_key IS NOT NULL GROUP BY ALL) GROUP BY employer_key", params))
        with _names_lock:
            if len(cache) >= 64:  # a handful of principals per data version is the usual load
                cache.clear()
            cache[key] = own
    return {ident: (k, own.get(k, name)) for ident, (k, name) in names.items()}


_own_names: weakref.WeakKeyDictionary[Store, dict[tuple[Any, ...], dict[str, str]]] = \
    weakref.WeakKeyDictionary()
_names_lock = threading.Lock()


def _network_employer_names(store: Store, facts: Facts) -> dict[Any, tuple[str, str]]:
    if facts.fresh:
        rows = store.rows(f"SELECT employer_no, employer_key, employer FROM {EMPLOYERS_TABLE}")
    else:
        rows = store.rows(
            "SELECT employer_key, employer_key, first(employer ORDER BY c DESC, employer) FROM "
            "(SELECT employer_key, employer, count(*) AS c FROM placements "
            "WHERE employer_key IS NOT NULL GROUP BY ALL) GROUP BY employer_key"
        )
    return {ident: (key, name) for ident, key, name in rows}


def names_for(store: Store, scope: Scope, dimension: str) -> dict[Any, str] | None:
    """Labels for dimensions grouped by a number (employers, and terms in the facts table)."""
    if dimension == "employer":
        return {ident: name for ident, (_, name) in employer_names(store, scope).items()}
    if dimension == "term" and scope.facts.fresh:
        return {number: term for number, term in store.rows(f"SELECT term_no, term FROM {TERMS_TABLE}")}
    return None


def with_employer(frame: pl.DataFrame, employers: Mapping[Any, tuple[str, str]]) -> pl.DataFrame:
    """Add employer_key and employer (display name) for the employer ids in column g."""
    ids = frame["g"].to_list()
    return frame.with_columns(
        pl.Series("employer_key", [employers[i][0] if i in employers else None for i in ids],
                  dtype=pl.String),
        pl.Series("employer", [employers[i][1] if i in employers else UNKNOWN for i in ids],
                  dtype=pl.String),
    )
