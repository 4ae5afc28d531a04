"""Evaluations: the intern's and the supervisor's 1-5 ratings -- their distribution, their mean
with a 95% interval, and conversion by rating (does a well-rated internship convert more?).

Disclosure. A rating mean shown beside its distribution is a second equation on the bars (the
sum of the scores), and its interval a third (the spread): with the count of ratings, three hidden
bars of five could be solved for, and two trivially. So a distribution is released whole or not
at all: every score given needs at least min_cell students (each bar is sized by the kind's
smallest bar), else no bar of that kind is shown -- the count, the mean and the spread then leave five
unknowns in three equations, which pins none of them down. The mean needs min_cell students
who gave that rating. Conversion by rating is a conversion table like any other (eligible
students per score, the offers behind an acceptance rate guarded, the scores and 'not rated'
adding up to the eligible interns, complementary suppression).

Ratings are counted per placement (an intern rates each internship); cells are sized by distinct
students.
"""

from __future__ import annotations

import math
from typing import Final

import polars as pl

from analytics import schema, stats
from analytics.access import Principal
from analytics.disclosure import PERTURBED, Rate, Table, release
from analytics.filters import Filter
from analytics.metrics.breakdowns import RATE_COLUMNS, conversion_cells
from analytics.metrics.definitions import ALL_PLACEMENTS, UNKNOWN_SORT, MetricsError
from analytics.metrics.frames import cells, check_min_cell, conversion_table, resolve_sizes
from analytics.metrics.scope import Scope, query
from analytics.metrics.selection import scope_for
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store

# The rating columns (facts) and how they read.
RATINGS: Final[dict[str, str]] = {
    "intern_rating": "Intern's rating of the internship",
    "supervisor_rating": "Supervisor's rating of the intern",
}
SCORES: Final = tuple(range(schema.RATING_RANGE[0], schema.RATING_RANGE[1] + 1))
NOT_RATED: Final = "not rated"


def _kinds(store: Store, principal: Principal, flt: Filter, min_cell: int) -> tuple[Scope, int]:
    min_cell = check_min_cell(min_cell)
    return scope_for(store, principal, flt, min_cell=min_cell), min_cell


def rating_summary(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                   min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """One row per rating: rating (column name), label, n (ratings given), mean, mean_low,
    mean_high (95% Student-t interval over the ratings, within 1-5), suppressed (fewer than
    min_cell students gave it), perturbed. A rating nobody gave in scope has no row."""
    scope, min_cell = _kinds(store, principal, flt, min_cell)
    frames = []
    for column, label in RATINGS.items():
        cond = f"{column} IS NOT NULL"
        frame = query(store, f"""
            SELECT count(*) AS n, {scope.key('n')}, avg({column}) AS mean,
                   stddev_samp({column}) AS sd, {scope.students('students')}
            FROM {scope.relation} {scope.where(cond)}""", scope.params)
        frame = resolve_sizes(store, scope, frame, {"students": "TRUE"}, min_cell, cond)
        if not frame["n"][0]:
            continue  # nobody gave this rating in scope: no row (as a group without members)
        frames.append(frame.with_columns(pl.lit(column).alias("rating"), pl.lit(label).alias("label")))
    if not frames:
        return pl.DataFrame(schema={"rating": pl.String, "label": pl.String, "n": pl.Int64,
                                    "mean": pl.Float64, "mean_low": pl.Float64, "mean_high": pl.Float64,
                                    "suppressed": pl.Boolean, PERTURBED: pl.Boolean})
    frame = pl.concat(frames, how="vertical_relaxed")
    low: list[float | None] = []
    high: list[float | None] = []
    for n, mean, sd in frame.select("n", "mean", "sd").iter_rows():
        if not n or mean is None or n < 2 or sd is None:
            low.append(None)
            high.append(None)
            continue
        half = stats.t_value(int(n) - 1) * float(sd) / math.sqrt(int(n))
        low.append(max(float(SCORES[0]), float(mean) - half))
        high.append(min(float(SCORES[-1]), float(mean) + half))
    frame = frame.with_columns(pl.Series("mean_low", low, dtype=pl.Float64),
                               pl.Series("mean_high", high, dtype=pl.Float64))
    table = Table(size="students", values=("n", "mean", "mean_low", "mean_high"), counts=("n",),
                  statistics=("mean", "mean_low", "mean_high"), total=False, kind="outcomes")
    frame = release(frame, table, scope.release(min_cell))
    return frame.select("rating", "label", "n", "mean", "mean_low", "mean_high", "suppressed",
                        PERTURBED)


def rating_distribution(store: Store, principal: Principal, flt: Filter = ALL_PLACEMENTS, *,
                        min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """How often each score was given: rating, label, score (1-5), count (ratings), share (of
    that rating's count), suppressed, perturbed. Only scores given at least once are rows; a
    rating's bars are all hidden when any of them has fewer than min_cell students (see the
    module docstring)."""
    scope, min_cell = _kinds(store, principal, flt, min_cell)
    released = []
    for column, label in RATINGS.items():
        frame = cells(store, scope, {"score": column}, {"count": "TRUE"}, {"students": "TRUE"},
                      f"{column} IS NOT NULL", min_cell=min_cell)
        if frame.is_empty():
            continue
        # The rating's total is one cell: its key is the sum of the bars' keys.
        frame = frame.with_columns(
            pl.col("count").sum().alias("kind_n"), pl.col("count_key").sum().alias("kind_n_key"),
            pl.col("students").min().alias("smallest_bar"),
        ).sort("score")
        # Released whole or not at all: every bar is sized by the smallest one (all-or-nothing
        # needs no complement).
        table = Table(size="smallest_bar", values=("count", "share"), counts=("count", "kind_n"),
                      rates=(Rate("share", "count", "kind_n", interval=False),), total=False,
                      kind="outcomes")
        frame = release(frame, table, scope.release(min_cell))
        released.append(frame.with_columns(pl.lit(column).alias("rating"), pl.lit(label).alias("label")))
    if not released:
        return pl.DataFrame(schema={"rating": pl.String, "label": pl.String, "score": pl.Int64,
                                    "count": pl.Int64, "share": pl.Float64, "suppressed": pl.Boolean,
                                    PERTURBED: pl.Boolean})
    frame = pl.concat(released, how="vertical_relaxed")
    return frame.select("rating", "label", pl.col("score").cast(pl.Int64), "count", "share",
                        "suppressed", PERTURBED)


def conversion_by_rating(store: Store, principal: Principal, rating: str = "intern_rating",
                         flt: Filter = ALL_PLACEMENTS, *,
                         min_cell: int = DEFAULT_MIN_CELL) -> pl.DataFrame:
    """Conversion of eligible interns by the score of one rating ('intern_rating' or
    'supervisor_rating'): group ('1'..'5', 'not rated'), sort_key, score, n (eligible interns),
    offers, accepted, known_outcome, offer / acceptance / conversion / knowledge rate triples,
    suppressed, perturbed."""
    if rating not in RATINGS:
        raise MetricsError(f"unknown rating {rating!r}; choose one of {', '.join(RATINGS)}")
    scope, min_cell = _kinds(store, principal, flt, min_cell)
    frame = conversion_cells(store, scope, rating, min_cell).filter(pl.col("n") > 0)
    scores = frame["g"].to_list()
    frame = frame.with_columns(
        pl.Series("group", [NOT_RATED if s is None else str(int(s)) for s in scores], dtype=pl.String),
        pl.Series("sort_key", [UNKNOWN_SORT if s is None else int(s) for s in scores], dtype=pl.Int64),
        pl.Series("score", [None if s is None else int(s) for s in scores], dtype=pl.Int64),
    ).sort("sort_key")
    value_cols = ["n", "offers", "accepted", "known_outcome", *RATE_COLUMNS]
    frame = release(frame, conversion_table(value_cols), scope.release(min_cell))
    return frame.select("group", "sort_key", "score", *value_cols, "suppressed", PERTURBED)
