"""Flows: eligible interns from university to employer (or role family) to their offer outcome,
as the links of a Sankey diagram, with small links folded into "other".

Two layers of links: university -> middle (an employer or a role family), and middle -> outcome
(converted, offered but not accepted, no offer, outcome unknown: one of them per eligible
intern). A Sankey shows every node's total, so a folded link is a difference of things shown:
a university's total minus its visible links *is* its link to "other". Folding must therefore
never leave one hidden link alone in an "other" link, nor let any other published view pin one
down. The rules, layer 1 (the university x middle cross-table of eligible students):

1. A university or middle that its own one-dimensional comparison hides (conversion by
   university, by employer or role family: `selection.hidden_values`, the same rule as those
   tables) is not a node at all: all its cells are hidden; hidden universities are one source
   node, "Other universities".
2. In every row and every column, the cells its own one-dimensional breakdown hides (a
   university's interns by employer -- the Universities page; an employer's interns by
   university -- the Conversion page filtered to it) are hidden here too, so that what this
   chart folds always contains what those views hide (what they show cannot then be subtracted
   from a fold to leave a hidden cell).
3. Then cells under `min_cell` students, with complementary suppression within every row,
   every column and the whole table (`disclosure.release` with two dims): each fold holds no
   hidden cell or at least two, adding up to at least `min_cell` students.
4. Then, since a Sankey shows every node's total (where the gate's rule assumes a slice hidden
   entirely has no total shown), the published margins -- every shown university's total, every
   shown middle's total, the hidden ones' together, the grand total -- are solved as linear
   equations over the hidden cells: while one is pinned down, the smallest visible cell of its
   row or column is hidden too (`_settle`); a cell pinned even with everything hidden is pinned
   by totals other pages publish, so it is left alone.

Beyond rule 1, only the TOP_MIDDLES largest middles are nodes; the others' cells are hidden
like a hidden middle's (each with its own published total in rule 4).

A university's hidden cells fold into its link to "Other employers" (or "Other role
families"); a middle node's total is then the sum of its visible links, and its outcome links
count only the interns of those visible links (so the node balances). Layer 2 (the middle x
outcome cross-table over the interns each middle node holds, with "Other" as a row of its own)
gets rules 3 and 4 again (margins: every middle node's total, every outcome's total), its
hidden cells folding into a "Not shown" outcome per middle node.

Layer 3 (when the data has hire dates): converted interns -> how it went a year on: stayed a
year (hired and followed at least 365 days without leaving before), left within a year, reneged
(accepted, then withdrew before starting), or not yet known (hired under a year before the data
date and still there, or no hire date) -- never counted as stayers or leavers. It counts every
converted intern in scope, also those whose converted link is folded into "Not shown": the
converted total is published (the Overview's accepted interns) and was a margin of layer 2's
check, so the difference at the Converted node tells nothing new, while restricting layer 3 to
the visible links would let a whole-scope figure (the Retention page's at-risk count, the
Timeline's reneges) minus it give a part of a hidden cell. It is a one-dimensional table with
its total shown: rules 3 and 4 over that margin, hidden cells folding into "Not shown".

Finally every link passes the gate once more: in network cells (public view) its count is
perturbed with its cell key like every other count; a link still under `min_cell` (only in a
scope too small to show at all) is suppressed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import numpy as np
import polars as pl

from analytics import disclosure
from analytics.access import Principal
from analytics.disclosure import PERTURBED, Table, release
from analytics.filters import Filter
from analytics.metrics.coverage import fields_present
from analytics.metrics.definitions import ALL_PLACEMENTS, UNKNOWN, MetricsError
from analytics.metrics.frames import cells, check_min_cell
from analytics.metrics.labels import names_for
from analytics.metrics.retention import data_date, with_spells
from analytics.metrics.scope import Scope
from analytics.metrics.selection import hidden_values, scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

# The middle layer a caller may ask for -> the label of its "other" node.
MIDDLES: Final[dict[str, str]] = {"employer": "Other employers", "role_family": "Other role families"}
# At most this many middle nodes (the largest by eligible interns); the rest are in "other".
TOP_MIDDLES: Final = 15
OTHER_UNIVERSITIES: Final = "Other universities"
NOT_SHOWN: Final = "Not shown (small groups)"
# One outcome per eligible intern, in the order the chart stacks them.
OUTCOMES: Final[tuple[str, ...]] = ("Converted", "Offered, not accepted", "No offer", "Outcome unknown")
_OUTCOME_SQL: Final = "CASE WHEN accepted THEN 0 WHEN offered THEN 1 WHEN known THEN 2 ELSE 3 END"
CONVERTED: Final = OUTCOMES[0]
# Layer 3: one of these per converted intern (module doc), in the order the chart stacks them.
RETAINED: Final[tuple[str, ...]] = ("Stayed a year", "Left within a year", "Reneged", "Not yet known")
RETAINED_DAYS: Final = 365
_RETAINED_SQL: Final = (
    f"CASE WHEN reneged IS TRUE THEN 2 WHEN hired AND tenure_days >= {RETAINED_DAYS} THEN 0 "
    "WHEN hired AND left_by THEN 1 ELSE 3 END"
)
_SEP: Final = "\x1f"
# A cell's key as text (NULL kept apart from every value), the same in SQL and in Python.
_OTHER_KEY: Final = "o"
COLUMNS: Final = (
    "layer",
    "source",
    "target",
    "n",
    "links",
    "folded",
    "other_source",
    "suppressed",
    PERTURBED,
)


def _key(value: Any) -> str:
    return "n" if value is None else f"v{value}"


def _key_sql(column: str) -> str:
    return f"coalesce('v' || CAST({column} AS VARCHAR), 'n')"


def empty_flows() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "layer": pl.Int64,
            "source": pl.String,
            "target": pl.String,
            "n": pl.Int64,
            "links": pl.Int64,
            "folded": pl.Boolean,
            "other_source": pl.Boolean,
            "suppressed": pl.Boolean,
            PERTURBED: pl.Boolean,
        }
    )


def flows(
    store: Store,
    principal: Principal,
    flt: Filter = ALL_PLACEMENTS,
    middle: str = "employer",
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    top: int = TOP_MIDDLES,
    as_of: dt.date | None = None,
) -> pl.DataFrame:
    """The Sankey's links: layer (1: university -> middle, 2: middle -> outcome, 3: converted ->
    a year on, when the data has hire dates; `as_of`: the data date, default
    retention.data_date), source, target,
    n (eligible interns; perturbed in network cells), links (how many university x middle or
    middle x outcome cells the link holds: more than one for a fold), folded (the target is a
    fold node), other_source (the source is one), suppressed, perturbed. Layer 1 is ordered by
    university, then middle (folds last); layer 2 by middle, then outcome; layer 3 by RETAINED
    (the fold last). Empty when the
    selection picks a group its comparison hides."""
    min_cell = check_min_cell(min_cell)
    if middle not in MIDDLES:
        raise MetricsError(f"unknown middle layer {middle!r}; choose one of {', '.join(MIDDLES)}")
    scope = scope_for(store, principal, flt, min_cell=min_cell)
    if "outcomes" in scope.blocked:
        return empty_flows()
    column = scope.facts.employer_id if middle == "employer" else "role_family"
    e = scope.eligible
    grid = cells(
        store,
        scope,
        {"u": "university", "m": column},
        {"n": "TRUE"},
        {"students": "TRUE"},
        e,
        min_cell=min_cell,
    )
    if grid.is_empty():
        return empty_flows()
    # A fixed row order: the folds break ties between equal cells by position, and the same
    # cell must fold the same way in every call (DuckDB's grouped output has no order).
    grid = grid.sort("u", "m", nulls_last=True)
    grid = _hide_layer_one(grid, store, scope, flt, column, min_cell, top)
    hidden_u = hidden_values(store, principal, flt, "university", scope.network, min_cell)
    hidden_m = hidden_values(store, principal, flt, column, scope.network, min_cell)
    # Published margins: each shown university's total (its node) and each shown middle's total
    # (the Employers and Conversion pages); the hidden ones only together.
    grid = _settle(
        grid, scope, min_cell, ("u", "m"), [_groups(grid["u"], hidden_u), _groups(grid["m"], hidden_m)]
    )
    names = names_for(store, scope, "employer") if middle == "employer" else None

    def middle_label(value: Any) -> str:
        if value is None:
            return UNKNOWN
        return names.get(value, str(value)) if names else str(value)

    other_middle = MIDDLES[middle]
    first = _fold(
        grid,
        source=lambda u: OTHER_UNIVERSITIES if u in hidden_u else _label(u),
        target=middle_label,
        other=other_middle,
        source_col="u",
        target_col="m",
    )

    # Layer 2: outcomes of the interns each middle node holds; interns of hidden cells are "other".
    hidden_pairs = [
        _key(u) + _SEP + _key(m) for u, m in grid.filter(pl.col("suppressed")).select("u", "m").iter_rows()
    ]
    folded_middle = (
        f"CASE WHEN list_contains(CAST(? AS VARCHAR[]), {_key_sql('university')} || chr(31) || "
        f"{_key_sql(column)}) THEN '{_OTHER_KEY}' ELSE {_key_sql(column)} END"
    )
    outcomes = cells(
        store,
        scope,
        {"o": _OUTCOME_SQL, "m": folded_middle},
        {"n": "TRUE"},
        {"students": "TRUE"},
        e,
        min_cell=min_cell,
        group_params=[hidden_pairs],
    ).sort("m", "o", nulls_last=True)
    # Published margins: every middle node's total (its links in) and every outcome's total.
    outcomes = _settle(
        outcomes,
        scope,
        min_cell,
        ("m", "o"),
        [_groups(outcomes["m"], frozenset()), _groups(outcomes["o"], frozenset())],
    )
    by_key = {_key(m): middle_label(m) for m in grid["m"].to_list()}
    second = _fold(
        outcomes,
        source=lambda m: other_middle if m == _OTHER_KEY else by_key.get(m, UNKNOWN),
        target=lambda o: OUTCOMES[int(o)],
        other=NOT_SHOWN,
        source_col="m",
        target_col="o",
    )
    layers = [first, second]
    if fields_present(store, principal, ["hire_date"], flt)["hire_date"]:
        layers.append(_retained(store, scope, min_cell, as_of or data_date(store)))
    links = pl.concat(
        [frame.with_columns(pl.lit(i, dtype=pl.Int64).alias("layer")) for i, frame in enumerate(layers, 1)],
        how="vertical_relaxed",
    )
    links = release(
        links, Table(size="students", values=("n",), counts=("n",), total=False), scope.release(min_cell)
    )
    # The fold nodes on the left of a link: hidden universities, and the middle "other" node.
    other_source = (pl.col("layer") == 1) & (pl.col("source") == OTHER_UNIVERSITIES) | (
        pl.col("layer") == 2
    ) & (pl.col("source") == other_middle)
    return _ordered(links.with_columns(other_source.alias("other_source")), other_middle).select(COLUMNS)


def _retained(store: Store, scope: Scope, min_cell: int, as_of: dt.date) -> pl.DataFrame:
    """Layer 3 (module doc): every converted intern of the scope by how it went a year on, one
    dimension with its total published, hidden cells folded into NOT_SHOWN."""
    spells = with_spells(scope, as_of)
    grid = cells(
        store,
        spells,
        {"r": _RETAINED_SQL},
        {"n": "TRUE"},
        {"students": "TRUE"},
        f"{spells.eligible} AND accepted",
        min_cell=min_cell,
    ).sort("r")
    grid = _settle(grid, spells, min_cell, ("r",), [[list(range(grid.height))]])
    return _fold(
        grid,
        source=lambda _r: CONVERTED,
        target=lambda r: RETAINED[int(r)],
        other=NOT_SHOWN,
        source_col="r",
        target_col="r",
    )


def _label(value: Any) -> str:
    return UNKNOWN if value is None else str(value)


def _hide_layer_one(
    grid: pl.DataFrame, store: Store, scope: Scope, flt: Filter, column: str, min_cell: int, top: int
) -> pl.DataFrame:
    """Flag the university x middle cells rules 1 and 2 hide (module doc), and every cell of the
    middles beyond the `top` largest (a Sankey of 70 employers is unreadable)."""
    hidden_u = hidden_values(store, scope.principal, flt, "university", scope.network, min_cell)
    hidden_m = hidden_values(store, scope.principal, flt, column, scope.network, min_cell)
    totals = (
        grid.filter(~pl.col("m").is_in(list(hidden_m), nulls_equal=True)).group_by("m").agg(pl.col("n").sum())
    )
    ranked = sorted(totals.iter_rows(), key=lambda r: (-r[1], _label(r[0])))
    beyond = {m for m, _n in ranked[max(top, 0) :]}
    pairs = list(grid.select("u", "m").iter_rows())
    flagged = {(u, m) for u, m in pairs if u in hidden_u or m in hidden_m or m in beyond}
    for u in {u for u, _m in pairs}:
        row = grid.filter(pl.col("u").eq_missing(u))
        flagged.update((u, m) for m in disclosure.hidden_after(row, "m", "students", min_cell))
    for m in {m for _u, m in pairs}:
        column_cells = grid.filter(pl.col("m").eq_missing(m))
        flagged.update((u, m) for u in disclosure.hidden_after(column_cells, "u", "students", min_cell))
    return grid.with_columns(pl.Series("suppressed", [pair in flagged for pair in pairs], dtype=pl.Boolean))


def _groups(values: pl.Series, hidden: frozenset[Any]) -> list[list[int]]:
    """Row indices per value (one published margin each), the `hidden` values as one margin."""
    groups: dict[Any, list[int]] = {}
    for i, value in enumerate(values.to_list()):
        groups.setdefault(_OTHER_KEY + "hidden" if value in hidden else _key(value), []).append(i)
    return list(groups.values())


def _settle(
    frame: pl.DataFrame, scope: Scope, min_cell: int, dims: tuple[str, ...], margins: list[list[list[int]]]
) -> pl.DataFrame:
    """Rule 3 (the gate's complementary suppression over both dims), then hide more until no
    hidden cell is pinned down by the margins that are published, and repeat until stable.

    The gate's rule leaves a slice that is hidden entirely alone, assuming its total is not
    shown; in a Sankey every node total is. A cell is pinned down exactly when its unit vector
    lies in the row space of the margin equations over the hidden cells (`determined`); then
    the smallest visible cell in its row or column is hidden too."""
    if min_cell == 0:  # nothing is protected: the hidden cells are only the ones beyond `top`
        return release(frame, Table(size="students", values=(), dims=dims), scope.release(min_cell))
    flat = [m for group in margins for m in group]
    inherent = _pinned(np.ones(frame.height, dtype=bool), flat)
    while True:
        frame = release(frame, Table(size="students", values=(), dims=dims), scope.release(min_cell))
        hidden = frame["suppressed"].to_numpy().astype(bool).copy()
        extra = _one_more(hidden, frame["students"].to_numpy(), flat, inherent)
        if extra is None:
            return frame
        hidden[extra] = True
        frame = frame.with_columns(pl.Series("suppressed", hidden, dtype=pl.Boolean))


def _pinned(hidden: np.ndarray, margins: list[list[int]]) -> set[int]:
    """The hidden cells that the published margins (and the grand total) pin down.

    Hidden cells that sit in exactly the same margins are one unknown to the equations (their
    columns of the matrix are equal), so they are merged first: such a cell is never pinned on
    its own, and the matrix stays as small as the number of distinct (row, column) margins."""
    unknown = np.flatnonzero(hidden)
    if unknown.size == 0:
        return set()
    sets = [set(m) for m in margins]
    members: dict[tuple[int, ...], list[int]] = {}
    for cell in unknown:
        members.setdefault(tuple(k for k, margin in enumerate(sets) if cell in margin), []).append(int(cell))
    signatures = list(members)
    matrix = np.array(
        [[1.0 if k in signature else 0.0 for signature in signatures] for k in range(len(sets))]
        + [[1.0] * len(signatures)]  # the grand total
    )
    matrix = matrix[matrix.any(axis=1)]
    # An orthonormal basis of the row space from the small Gram matrix (equations x equations):
    # M = U S V^T, so V = M^T U / S for the non-zero singular values S^2 = eigenvalues of M M^T.
    eigenvalues, vectors = np.linalg.eigh(matrix @ matrix.T)
    keep = eigenvalues > 1e-9 * max(1.0, float(eigenvalues.max(initial=0.0)))
    basis = (matrix.T @ vectors[:, keep]) / np.sqrt(eigenvalues[keep])
    # e_j lies in the row space exactly when its projection onto it has length 1.
    lengths = (basis**2).sum(axis=1)
    return {
        members[signature][0]
        for signature, length in zip(signatures, lengths, strict=True)
        if length > 1 - 1e-9 and len(members[signature]) == 1
    }


def _one_more(
    hidden: np.ndarray, sizes: np.ndarray, margins: list[list[int]], inherent: set[int]
) -> int | None:
    """The visible cell to hide so that a pinned-down hidden cell no longer is; None when none
    is (or nothing is left to hide). `inherent` cells are pinned even with every cell hidden --
    a slice of one cell whose total is published elsewhere -- so hiding more cannot help them."""
    for cell in sorted(_pinned(hidden, margins) - inherent):
        near = [i for margin in margins if cell in margin for i in margin if not hidden[i]]
        if near:
            return min(near, key=lambda i: (sizes[i], i))
        visible = np.flatnonzero(~hidden)
        return int(min(visible, key=lambda i: (sizes[i], i))) if visible.size else None
    return None


def _fold(
    frame: pl.DataFrame, *, source: Any, target: Any, other: str, source_col: str, target_col: str
) -> pl.DataFrame:
    """Visible cells as links; each source's hidden cells as one link to `other`."""
    rows: dict[tuple[str, str], list[int]] = {}
    for cell in frame.iter_rows(named=True):
        hidden = bool(cell["suppressed"])
        link = (source(cell[source_col]), other if hidden else target(cell[target_col]))
        n, key, students, count = rows.setdefault(link, [0, 0, 0, 0])
        rows[link] = [
            n + int(cell["n"]),
            key + int(cell["n_key"]),
            students + int(cell["students"]),
            count + 1,
        ]
    folded = [t == other for _s, t in rows]
    return pl.DataFrame(
        {
            "source": [s for s, _t in rows],
            "target": [t for _s, t in rows],
            "n": [v[0] for v in rows.values()],
            "n_key": [v[1] for v in rows.values()],
            "students": [v[2] for v in rows.values()],
            "links": [v[3] for v in rows.values()],
            "folded": folded,
        },
        schema={
            "source": pl.String,
            "target": pl.String,
            "n": pl.Int64,
            "n_key": pl.Int64,
            "students": pl.Int64,
            "links": pl.Int64,
            "folded": pl.Boolean,
        },
    )


def _ordered(links: pl.DataFrame, other_middle: str) -> pl.DataFrame:
    """Universities and middles alphabetically with "unknown" and the "other" nodes last;
    outcomes in their order."""
    first = links.filter(pl.col("layer") == 1)
    second = links.filter(pl.col("layer") == 2)
    universities = sorted(
        set(first["source"].to_list()), key=lambda v: (v == OTHER_UNIVERSITIES, v == UNKNOWN, v.casefold(), v)
    )
    middles = sorted(
        set(first["target"].to_list()) | set(second["source"].to_list()),
        key=lambda v: (v == other_middle, v == UNKNOWN, v.casefold(), v),
    )
    university_rank = {name: i for i, name in enumerate(universities)}
    middle_rank = {name: i for i, name in enumerate(middles)}
    outcome_rank = {name: i for i, name in enumerate((*OUTCOMES, NOT_SHOWN))}
    retained_rank = {name: i for i, name in enumerate((*RETAINED, NOT_SHOWN))}
    ranks = [
        (university_rank[s], middle_rank[t])
        if layer == 1
        else (middle_rank[s], outcome_rank[t])
        if layer == 2
        else (0, retained_rank[t])
        for layer, s, t in links.select("layer", "source", "target").iter_rows()
    ]
    return (
        links.with_columns(
            pl.Series("_s", [r[0] for r in ranks], dtype=pl.Int64),
            pl.Series("_t", [r[1] for r in ranks], dtype=pl.Int64),
        )
        .sort("layer", "_s", "_t")
        .drop("_s", "_t")
    )
