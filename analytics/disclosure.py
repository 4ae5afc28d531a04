"""The one gate every released number passes through (DESIGN.md, "Disclosure control").

A metric computes exact aggregates with the columns this gate needs beside them (a cell's distinct
students, each count's cell key) and hands the frame to `release` with a `Table` saying which
column is which. Nothing leaves `analytics.metrics` without passing here, and no metric nulls a
column itself. In order, `release`:

1. **Perturbs network cells** (cell-key method, as the ABS TableBuilder and the UK 2021 census).
   Every placement carries a fixed random record key in 0..255, stored at import. A count's cell
   key is the sum of its records' keys modulo 256, and `NOISE_TABLE` turns that key into a noise
   between -2 and +2 (`NOISE_BOUND`). The same records always give the same key, so the same cell
   gets the same value in every view, call and process; a difference of two overlapping cells has
   the noise of both, so subtracting two large cells no longer reveals a small one. Rates,
   intervals and shares are then computed from the perturbed counts and rounded to 0.1 percentage
   point. A cell is a network cell when it may include placements outside the principal's own
   scope (`Release.network`, and per row the `outside` column where a metric provides one).
   Cells entirely inside the principal's own scope stay exact.
2. **Hides guarded figures**: a figure describing a subset of the cell (the offered interns
   behind an acceptance rate, the paid students behind a median) is hidden when that subset has
   fewer than `min_cell` students -- with the numerators that would rebuild it (offers and the
   offer rate beside a hidden acceptance rate).
3. **Suppresses small cells** on distinct students (not placements): a cell describing fewer than
   `min_cell` students shows no value; where the table adds up to a total shown elsewhere,
   complementary cells are hidden too (stats.suppress), within every margin of a cross-table.
4. **Marks** every row: `suppressed` (or the table's flag) and `perturbed`.

Pay has two more rules (`pay_guards`): at least `min_cell` paid students behind any statistic,
and in network cells no single employer may make up more than half of a pay figure (dominance).
No minimum or maximum pay is ever computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl

from analytics import stats
from analytics.access import Principal

KEY_RANGE: Final = 256
NOISE_BOUND: Final = 2
# The perturbation table: cell keys [low, high) -> noise. Symmetric, mean 0, variance 0.875;
# half of all cells keep their value. Published on the Methodology page.
NOISE_TABLE: Final[tuple[tuple[int, int, int], ...]] = (
    (0, 16, -2),
    (16, 64, -1),
    (64, 192, 0),
    (192, 240, 1),
    (240, 256, 2),
)
RATE_DECIMALS: Final = 3      # perturbed rates: 0.1 percentage point
MONEY_DECIMALS: Final = 1     # perturbed pay: 10 cents
DOMINANCE_SHARE: Final = 0.5  # no employer may make up more than half of a network pay figure
KEY_SUFFIX: Final = "_key"
OUTSIDE: Final = "outside"    # optional per-row column: placements outside the own scope
PERTURBED: Final = "perturbed"


@dataclass(frozen=True)
class Release:
    """Who a result goes to, and how strictly it is released."""

    principal: Principal
    min_cell: int
    network: bool = False  # cells may include placements outside the principal's own scope
    # The kinds of figures ("outcomes", "pay") the filter may not show: it selects a group that
    # the comparison of that kind hides (metrics.selection).
    blocked: frozenset[str] = frozenset()

    @staticmethod
    def of(principal: Principal, min_cell: int, *, network: bool = False,
           blocked: frozenset[str] = frozenset()) -> Release:
        # Admins own every placement: nothing they see is a network cell. Public visitors own
        # nothing: every cell they see is.
        network = (network and not principal.whole_network) or principal.role == "public"
        return Release(principal, min_cell, network, blocked)


@dataclass(frozen=True)
class Rate:
    """A proportion recomputed from released counts: `name` (+ `_low`/`_high` with Wilson)."""

    name: str
    successes: str
    n: str
    interval: bool = True

    @property
    def columns(self) -> list[str]:
        return [self.name, f"{self.name}_low", f"{self.name}_high"] if self.interval else [self.name]


@dataclass(frozen=True)
class Guard:
    """Subsets of each cell with their own sizes (distinct students): when any is under
    min_cell, `hides` -- e.g. the paid and the unpaid students behind a paid share, since either
    count follows from the share and the cell's size. Where the table adds up to a total, one
    more row's `hides` go too (complementary suppression, like the cells themselves)."""

    size: str | tuple[str, ...]
    hides: tuple[str, ...]
    additive: bool = True  # counts and shares add up to a total; a median does not (no complement)

    @property
    def sizes(self) -> tuple[str, ...]:
        return (self.size,) if isinstance(self.size, str) else self.size


@dataclass(frozen=True)
class Table:
    """How one result frame is released."""

    size: str                                   # distinct students of the cell
    values: tuple[str, ...]                     # hidden with the cell
    counts: tuple[str, ...] = ()                # perturbed in network cells (key: <count>_key)
    rates: tuple[Rate, ...] = ()
    guards: tuple[Guard, ...] = ()
    money: tuple[str, ...] = ()                 # rounded in network cells
    total: bool = True                          # rows add up to a total shown elsewhere
    dims: tuple[str, ...] = ()                  # cross-table dimensions (for margins)
    flag: str = "suppressed"
    statistics: tuple[str, ...] = field(default=())  # other floats: rounded in network cells
    kind: str | None = None                     # "outcomes" or "pay": hidden when that kind is blocked


def noise(keys: pl.Expr) -> pl.Expr:
    """The table's noise for cell keys (0..255)."""
    expr = pl.lit(0, dtype=pl.Int64)
    for low, high, value in NOISE_TABLE:
        expr = pl.when((keys >= low) & (keys < high)).then(pl.lit(value, dtype=pl.Int64)).otherwise(expr)
    return expr


def perturb_count(count: pl.Expr, key: pl.Expr) -> pl.Expr:
    """count + noise(key mod 256), never below zero; a true zero (no records) stays zero."""
    shifted = count.cast(pl.Int64) + noise(key.cast(pl.Int64) % KEY_RANGE)
    return pl.when(count.is_null()).then(None).when(count == 0).then(0).otherwise(
        pl.max_horizontal(shifted, pl.lit(0, dtype=pl.Int64)))


def release(frame: pl.DataFrame, table: Table, ctx: Release) -> pl.DataFrame:
    """The frame as it may be shown to ctx.principal (see the module docstring)."""
    if ctx.min_cell < 0:
        raise ValueError("min_cell must not be negative")
    frame = _perturbed(frame, table, ctx)
    if frame.height == 0:
        return frame if table.flag in frame.columns else frame.with_columns(pl.lit(False).alias(table.flag))
    # Steps 2 and 3 decide in numpy which cells go, then null them all in one pass: a Polars
    # call per guard and column cost more than the queries for small tables (dozens per page).
    # Each guard sees the nulls of the guards before it (a size it reads may be a figure an
    # earlier guard hid), as the same steps applied one after another would.
    nulls: dict[str, np.ndarray] = {}
    row_sets: list[np.ndarray] | None = None
    size_columns = list(dict.fromkeys([*(s for g in table.guards for s in g.sizes), table.size]))
    all_sizes = {c: stats.zero_filled(frame[c]) for c in size_columns}

    def sizes_of(column: str) -> np.ndarray:
        values = all_sizes[column].copy()
        if column in nulls:
            values[nulls[column]] = 0.0
        return values

    def hidden_by(sizes: np.ndarray, already: np.ndarray | None, total: bool) -> np.ndarray:
        nonlocal row_sets
        hidden = sizes < ctx.min_cell
        if already is not None:
            hidden |= already
        if total and hidden.any():
            if row_sets is None:
                row_sets = stats.slices(frame, table.dims)
            stats.complement(hidden, sizes, ctx.min_cell, row_sets)
        return hidden

    def hide(columns: Sequence[str], hidden: np.ndarray) -> None:
        for column in columns:
            nulls[column] = nulls[column] | hidden if column in nulls else hidden.copy()

    for guard in table.guards:
        smallest = np.minimum.reduce([sizes_of(s) for s in guard.sizes])
        hide(guard.hides, hidden_by(smallest, None, table.total and guard.additive))
    if table.kind is not None and table.kind in ctx.blocked:
        flagged: np.ndarray | None = np.ones(frame.height, dtype=bool)
    elif table.flag in frame.columns:
        flagged = frame[table.flag].fill_null(False).to_numpy().astype(bool)
    else:
        flagged = None
    hidden = hidden_by(sizes_of(table.size), flagged, table.total)
    hide(table.values, hidden)
    return frame.with_columns(
        [pl.when(pl.Series(mask)).then(None).otherwise(pl.col(c)).alias(c)
         for c, mask in nulls.items() if mask.any() and c != table.flag]
        + [pl.Series(table.flag, hidden)])


def _perturbed(frame: pl.DataFrame, table: Table, ctx: Release) -> pl.DataFrame:
    """Step 1: network cells perturbed (counts, then rates from them, rounded), every row
    marked, and the rates of every cell computed from the released counts."""
    rounded = [c for r in table.rates for c in r.columns]
    if not ctx.network:
        # Nothing is perturbed or rounded: one pass for the mark and the rates (the floats cast
        # as rounding would have cast them).
        schema = frame.schema
        casts = [pl.col(c).cast(pl.Float64) for c in [*table.statistics, *table.money]
                 if c not in rounded and schema[c] != pl.Float64]
        casts += [pl.col(c).cast(pl.Int64) for c in table.counts
                  if schema[c].is_integer() and schema[c] != pl.Int64]
        return frame.with_columns([pl.lit(False).alias(PERTURBED), *_rates(frame, table.rates), *casts])
    network = pl.col(OUTSIDE) > 0 if OUTSIDE in frame.columns else pl.lit(True)
    frame = frame.with_columns(network.fill_null(False).alias(PERTURBED))
    marked = pl.col(PERTURBED)
    if table.counts:
        frame = frame.with_columns([
            pl.when(marked).then(perturb_count(pl.col(c), pl.col(c + KEY_SUFFIX)))
            .otherwise(pl.col(c)).alias(c) for c in table.counts])
    if table.rates:
        frame = frame.with_columns(_rates(frame, table.rates))
    if rounded or table.money or table.statistics:
        frame = frame.with_columns(
            [_round_where(marked, c, RATE_DECIMALS) for c in [*rounded, *table.statistics]]
            + [_round_where(marked, c, MONEY_DECIMALS) for c in table.money])
    return frame


def _rates(frame: pl.DataFrame, rates: Sequence[Rate]) -> list[pl.Series]:
    """Each rate (with its Wilson interval) from the frame's counts, successes taken as at most
    n (perturbed counts can cross): stats.wilson_arrays, the values of stats.wilson_exprs."""
    columns: list[pl.Series] = []
    for rate in rates:
        n = stats.nan_filled(frame[rate.n])
        values = stats.wilson_arrays(np.minimum(stats.nan_filled(frame[rate.successes]), n), n)
        columns.extend(pl.Series(name, column, dtype=pl.Float64, nan_to_null=True)
                       for name, column in zip(rate.columns, values, strict=False))
    return columns


def _round_where(condition: pl.Expr, column: str, decimals: int) -> pl.Expr:
    value = pl.col(column).cast(pl.Float64)
    return pl.when(condition).then(value.round(decimals)).otherwise(value).alias(column)


def dominated(top_share: pl.Expr) -> pl.Expr:
    """True where one employer makes up more than half of a (network) pay figure."""
    return top_share.fill_null(0.0) > DOMINANCE_SHARE


def hidden_after(frame: pl.DataFrame, key: str, size: str, min_cell: int) -> set[object]:
    """The values of `key` that a one-dimensional table with these sizes hides (primary and
    complementary). The same function decides what the table itself hides, so a profile or a
    filtered view can never show a cell its comparison table hid."""
    if frame.is_empty():
        return set()
    # Complementary suppression hides the first of equally small cells, so the rows go in a fixed
    # order: sizes from an unordered GROUP BY would otherwise hide one cell in one run and its
    # tie in the next, and a user who saw both runs could subtract the hidden cell back out.
    ordered = frame.select(key, size).sort(key, nulls_last=True)
    shown = stats.suppress(ordered, size, min_cell, total=True, value_cols=[size])
    return set(shown.filter(pl.col("suppressed"))[key].to_list())


def describe() -> list[str]:
    """The method in words, for the Methodology page and reports."""
    rows = ", ".join(f"keys {low}-{high - 1}: {value:+d}" for low, high, value in NOISE_TABLE)
    return [
        "Every released figure passes one disclosure gate. Cells are sized by distinct students, "
        "not placements.",
        "A cell describing fewer than the threshold of students is hidden, with its numerators "
        "(e.g. the offers behind a hidden acceptance rate); where a table shows a total, one more "
        "cell is hidden so the hidden one cannot be recovered by subtraction, and a group hidden in "
        "a comparison stays hidden in every other view (profiles, filters, exports).",
        "Figures that include placements outside your own scope (network benchmarks, public view) "
        "are perturbed with the cell-key method: each placement has a fixed random key (0-255), a "
        f"count's key is the sum of its placements' keys modulo {KEY_RANGE}, and a fixed table "
        f"({rows}) adds at most {NOISE_BOUND} to or from it. The same cell always shows the same "
        "value; rates are computed from perturbed counts and shown to 0.1 percentage point.",
        "Pay figures need at least the threshold of paid students; in network figures no single "
        "employer may make up more than half of them; no minimum or maximum pay is shown.",
    ]


def value_columns(*groups: Sequence[str]) -> tuple[str, ...]:
    return tuple(c for group in groups for c in group)
