"""Scope: which facts rows a metric reads (filter + eligibility basis), and the query helper."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import polars as pl

from analytics import access, schema
from analytics.access import Principal
from analytics.disclosure import Release
from analytics.filters import Filter
from analytics.metrics.definitions import (
    MetricsError,
)
from analytics.metrics.facts import (
    CURRENCIES_TABLE,
    EMPLOYERS_TABLE,
    FIRST_BIT,
    FLAG_BIT,
    UNPACKED_SQL,
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

    @property
    def currency_id(self) -> str:
        """The column pay is grouped by: the currency's small number when fresh (a perfect-hash
        group, no string hashing; facts.CURRENCIES_TABLE), else the currency itself. Null
        exactly where the currency is."""
        return "currency_no" if self.facts.fresh else "currency"

    def currency_names(self, sql: str, order: str = "") -> str:
        """`sql` (which selects `currency_id AS currency_no`) with each row's `currency` name
        beside its number (on the fallback the number is the name), ordered by `order` (names
        sort alphabetically, numbers need not: an increment numbers new currencies last)."""
        order_by = f" ORDER BY {order}" if order else ""
        if not self.facts.fresh:
            return f"SELECT currency_no AS currency, * FROM ({sql}){order_by}"
        return (f"SELECT c.currency, q.* FROM ({sql}) q "
                f"LEFT JOIN {CURRENCIES_TABLE} c USING (currency_no){order_by}")

    def where(self, *extra: str) -> str:
        parts = [*self.conditions, *extra]
        return ("WHERE " + " AND ".join(parts)) if parts else ""

    def conversion_conditions(self) -> dict[str, str]:
        """The conversion counts' conditions: eligible interns, offers, accepted, known outcome."""
        e = self.eligible
        return {"n": e, "offers": f"{e} AND offered", "accepted": f"{e} AND accepted",
                "known_outcome": f"{e} AND known"}

    def conversion_counts(self, prefix: str = "") -> str:
        return ", ".join(f"{bigint(f'count_if({condition})')} AS {prefix}{name}"
                         for name, condition in self.conversion_conditions().items())

    def conversion_keys(self, prefix: str = "") -> str:
        """The cell keys of conversion_counts' counts (disclosure: sums of record keys)."""
        return ", ".join(self.key(f"{prefix}{name}", condition)
                         for name, condition in self.conversion_conditions().items())

    def conversion_sizes(self) -> dict[str, str]:
        """The disclosure sizes of conversion cells: eligible students and offered students."""
        e = self.eligible
        return {"students": e, "offer_students": f"{e} AND offered"}

    def conversion_students(self) -> str:
        """Bounds of conversion_sizes (see `students`)."""
        return ", ".join(self.students(name, c) for name, c in self.conversion_sizes().items())

    def conversion_selects(self) -> str:
        """conversion_counts, conversion_keys and conversion_students as one select list. On
        fresh facts each condition tests bits of the packed `flags` (facts.FLAGS_SQL): one small
        column read and one mask per count, instead of the boolean columns ANDed row by row."""
        if not self.facts.fresh:
            return f"{self.conversion_counts()}, {self.conversion_keys()}, {self.conversion_students()}"

        def flags(*names: str, first: bool = False) -> str:
            mask = sum(FLAG_BIT[n] for n in names) + (FIRST_BIT if first else 0)
            return f"(flags & {mask}) = {mask}"

        e = "eligible"
        counts = {"n": flags(e), "offers": flags(e, "offered"), "accepted": flags(e, "accepted"),
                  "known_outcome": flags(e, "known")}
        sizes = {"students": (e,), "offer_students": (e, "offered")}
        return ", ".join([
            *(f"{bigint(f'count_if({c})')} AS {name}" for name, c in counts.items()),
            *(self.key(name, c) for name, c in counts.items()),
            *(f"{bigint(f'count_if({flags(*names, first=True)})')} AS {name}_low, "
              f"{bigint(f'count_if({flags(*names)})')} AS {name}_high" for name, names in sizes.items())])

    def students(self, name: str, condition: str = "TRUE") -> str:
        """Bounds of the distinct students among the rows meeting `condition`, as two plain
        counts: `{name}_low` counts each student's first placement (facts.first_of_student), at
        most one per student; `{name}_high` counts every placement. They cost no more than any
        other count; frames.resolve_sizes settles the cells between them exactly."""
        return (f"{bigint(f'count_if(({condition}) AND first_of_student)')} AS {name}_low, "
                f"{bigint(f'count_if({condition})')} AS {name}_high")

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

    def flag_counts(self, store: Store, counts: Mapping[str, str], sizes: Mapping[str, str],
                    groups: Mapping[str, str] | None = None, *, attrs: bool = True) -> pl.DataFrame:
        """Fresh facts only: per group (`groups`: alias -> facts column), each count with its cell
        key and each size's bounds (`students`), counted from the scope's rows grouped by the
        group columns and their packed flags (facts.FLAGS_SQL; with `attrs`, also the packed
        attributes; without, the attributes read unknown and the conditions may only use the
        flags). The groups are a few hundred per group value at most, grouped by DuckDB in a
        perfect hash table (store.PERFECT_HASH_BITS); the conditions, written on the facts'
        column names, are applied to the groups here in numpy through a fixed truth table per
        condition (`_truth`) -- a statement of dozens of filtered sums over the unpacked columns
        took DuckDB 2.0.1 as long to plan as to run. Without groups, one row (zeros for no rows);
        with them, a row per group present (a null group included)."""
        keyed = self.perturbed
        groups = dict(groups or {})
        outer = [f"{column} AS {alias}" for alias, column in groups.items()]
        packed = ["flags", *(["attrs"] if attrs else [])]
        key_sum = ", sum(record_key) AS _k" if keyed else ""
        grouped = query(store, f"SELECT {', '.join([*outer, *packed])}, count(*) AS _c{key_sum} "
                               f"FROM {self.relation} {self.where()} GROUP BY ALL", self.params)
        code = grouped["flags"].to_numpy().astype(np.int64) * 256
        if attrs:  # else the attributes read unknown (0)
            code = code + grouped["attrs"].to_numpy()
        rows = grouped["_c"].to_numpy().astype(np.int64)
        keys = grouped["_k"].to_numpy().astype(np.int64) if keyed else rows
        firsts = {name: f"({c}) AND first_of_student" for name, c in sizes.items()}
        truth = _truth(store, (*counts.values(), *sizes.values(), *firsts.values()))

        def masked(values: np.ndarray, condition: str) -> np.ndarray:
            return np.where(truth[condition][code], values, 0)

        columns: dict[str, np.ndarray] = {}
        for name, c in counts.items():
            columns[name] = masked(rows, c)
            columns[f"{name}_key"] = masked(keys, c) if keyed else np.zeros(len(rows), dtype=np.int64)
        for name, c in sizes.items():
            columns[f"{name}_low"], columns[f"{name}_high"] = masked(rows, firsts[name]), masked(rows, c)
        if not groups:
            return pl.DataFrame([{name: int(v.sum()) for name, v in columns.items()}],
                                schema=dict.fromkeys(columns, pl.Int64))
        frame = grouped.select(list(groups)).hstack(
            [pl.Series(name, v, dtype=pl.Int64) for name, v in columns.items()])
        return frame.group_by(list(groups)).agg(pl.col(name).sum() for name in columns)

    def key(self, name: str, condition: str = "TRUE") -> str:
        """The cell key of a count: the sum of its records' keys (the gate takes it mod 256).
        Exact scopes skip the sum: their counts are never perturbed."""
        if not self.perturbed:
            return f"0 AS {name}_key"
        return f"{bigint(f'coalesce(sum(record_key) FILTER (WHERE {condition}), 0)')} AS {name}_key"


# Condition -> its truth on every (flags, attrs) pair, index flags * 256 + attrs (see _truth).
_truths: dict[str, np.ndarray] = {}
_truths_lock = threading.Lock()
_PAIRS: Final = 1 << 16


def _truth(store: Store, conditions: Sequence[str]) -> dict[str, np.ndarray]:
    """Whether each condition (on the facts' column names; no parameters) holds for each packed
    (flags, attrs) pair, read through facts.UNPACKED_SQL (null counts as false, as in a FILTER
    clause). A pure function of the condition, so remembered for the
    process; the first use asks DuckDB once, over all 65,536 pairs."""
    with _truths_lock:
        missing = [c for c in dict.fromkeys(conditions) if c not in _truths]
    if missing:
        if any("?" in c for c in missing):
            raise MetricsError("a packed-flag condition cannot bind parameters")
        table = store.query(
            f"SELECT {', '.join(f'coalesce({c}, false) AS c{i}' for i, c in enumerate(missing))} "
            f"FROM (SELECT k, {UNPACKED_SQL} FROM (SELECT range AS k, "
            f"CAST(range // 256 AS UTINYINT) AS flags, CAST(range % 256 AS UTINYINT) AS attrs "
            f"FROM range({_PAIRS}))) ORDER BY k")
        with _truths_lock:
            for i, c in enumerate(missing):
                _truths[c] = table[f"c{i}"].to_numpy().astype(bool)
    with _truths_lock:
        return {c: _truths[c] for c in conditions}


def bigint(aggregate: str) -> str:
    """An aggregate as BIGINT: DuckDB's count_if and sum return HUGEINT, which reaches Polars as
    Decimal(38, 0) and costs a cast pass per result (`query`); cast on the few result rows here."""
    return f"CAST({aggregate} AS BIGINT)"


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
    casts = [pl.col(c).cast(pl.Int64) for c, t in frame.schema.items()
             if isinstance(t, pl.Decimal) and t.scale == 0]
    return frame.with_columns(casts) if casts else frame
