"""Statistics for honest comparisons: intervals, funnel limits, shrinkage and small-cell suppression.

Everything here works on small, already aggregated data (one row per group), never on placements.

- `wilson_interval` / `wilson_columns`: Wilson score interval for a proportion (Wilson 1927;
  Newcombe 1998, method 3). Unlike the textbook "p +- z*se" interval it stays inside [0, 1] and
  keeps sensible coverage for small cohorts and rates near 0 or 1, which is exactly where
  internship cohorts live.
- `mean_interval`: Student-t interval for an unweighted mean of group rates (the NACE-style
  "mean of employers' rates"); a Wilson interval would treat employers as interns.
- `funnel_limits` / `funnel_z`: control limits for a funnel plot of proportions (Spiegelhalter
  2005, "Funnel plots for comparing institutional performance", normal approximation to the
  binomial): target +- z * sqrt(target * (1 - target) / n), z = 1.96 (95%) and 3.09 (99.8%),
  clipped to [0, 1].
- `shrink_rates`: empirical-Bayes beta-binomial shrinkage, hyper-parameters by the method of
  moments (see its docstring).
- `suppress`: small-cell suppression with complementary suppression (DESIGN.md, Privacy).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Final

import numpy as np
import polars as pl

DEFAULT_MIN_CELL: Final = 10
FUNNEL_LEVELS: Final = (("95", 0.95), ("998", 0.998))

ArrayLike = Sequence[float] | Sequence[int] | np.ndarray


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard-normal quantile: 1.959964 for 95%, 3.090232 for 99.8%."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


# -- Wilson score interval ------------------------------------------------------------------------
def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for successes / n; (nan, nan) when n is 0 (the rate is undefined).

    low, high = (p + z^2/2n -+ z * sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    Example (Newcombe 1998 style): 81 of 263 at 95% -> (0.2553, 0.3662).
    """
    if n is None or successes is None or n <= 0:
        return (math.nan, math.nan)
    if successes < 0 or successes > n:
        raise ValueError(f"successes must lie in 0..n, got {successes} of {n}")
    z = z_value(confidence)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def wilson_exprs(successes: pl.Expr, n: pl.Expr, name: str, confidence: float = 0.95) -> list[pl.Expr]:
    """Polars expressions for `name`, `name_low`, `name_high` (null where n is 0 or null)."""
    z = z_value(confidence)
    nf = n.cast(pl.Float64)
    valid = nf > 0
    p = successes.cast(pl.Float64) / nf
    z2n = (z * z) / nf
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * (p * (1.0 - p) / nf + (z * z) / (4.0 * nf * nf)).sqrt()
    return [
        pl.when(valid).then(p).otherwise(None).alias(name),
        pl.when(valid).then((centre - half).clip(0.0, 1.0)).otherwise(None).alias(f"{name}_low"),
        pl.when(valid).then((centre + half).clip(0.0, 1.0)).otherwise(None).alias(f"{name}_high"),
    ]


def wilson_columns(frame: pl.DataFrame, successes: str, n: str, name: str,
                   confidence: float = 0.95) -> pl.DataFrame:
    """Add the rate triple `name`, `name_low`, `name_high` = successes / n with its Wilson interval."""
    return frame.with_columns(wilson_exprs(pl.col(successes), pl.col(n), name, confidence))


# -- Student t, for the mean of employers' rates --------------------------------------------------
def _t_abs_cdf(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer df (Abramowitz & Stegun 26.7.3 / 26.7.4)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, 1.0
        if df > 1:
            total = 1.0
            for k in range(1, (df - 3) // 2 + 1):
                term *= c2 * (2 * k) / (2 * k + 1)
                total += term
            total *= math.sin(theta) * math.cos(theta)
        return (2.0 / math.pi) * (theta + total)
    total, term = 1.0, 1.0
    for k in range(1, (df - 2) // 2 + 1):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return math.sin(theta) * total


def t_value(df: int, confidence: float = 0.95) -> float:
    """Two-sided Student-t quantile (12.706 for df 1, 2.228 for df 10 at 95%)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df > 1000:  # indistinguishable from the normal at the precision shown
        return z_value(confidence)
    low, high = 0.0, 1.0
    while _t_abs_cdf(high, df) < confidence:
        high *= 2.0
    for _ in range(100):
        mid = (low + high) / 2.0
        if _t_abs_cdf(mid, df) < confidence:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


def mean_interval(values: ArrayLike, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of an unweighted mean of rates with a Student-t interval, clipped to
    [0, 1]; the interval is (nan, nan) with fewer than two values, the mean nan with none."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(arr.mean())
    if arr.size < 2:
        return (mean, math.nan, math.nan)
    half = t_value(arr.size - 1, confidence) * float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return (mean, max(0.0, mean - half), min(1.0, mean + half))


# -- funnel plots -----------------------------------------------------------------------------------
def funnel_limits(target: float, n: ArrayLike) -> pl.DataFrame:
    """Funnel-plot control limits around `target` for each cohort size in `n`.

    Columns n, low_95, high_95, low_998, high_998: target +- z * sqrt(target(1-target)/n)
    (Spiegelhalter 2005, normal approximation), z = 1.959964 and 3.090232, clipped to [0, 1].
    Sizes of 0 give null limits.
    """
    sizes = np.asarray(n, dtype=float)
    columns: dict[str, object] = {"n": np.asarray(n, dtype=np.int64)}
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(target * (1.0 - target) / sizes)
    for label, confidence in FUNNEL_LEVELS:
        z = z_value(confidence)
        low = np.where(sizes > 0, np.clip(target - z * se, 0.0, 1.0), np.nan)
        high = np.where(sizes > 0, np.clip(target + z * se, 0.0, 1.0), np.nan)
        columns[f"low_{label}"] = low
        columns[f"high_{label}"] = high
    return pl.DataFrame(columns).fill_nan(None)


def funnel_z(successes: ArrayLike, n: ArrayLike, target: float) -> np.ndarray:
    """z = (rate - target) / sqrt(target(1-target)/n); nan where n is 0 or the target is 0 or 1."""
    x = np.asarray(successes, dtype=float)
    sizes = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z: np.ndarray = (x / sizes - target) / np.sqrt(target * (1.0 - target) / sizes)
    z[~np.isfinite(z)] = np.nan
    return z


# -- empirical-Bayes shrinkage ----------------------------------------------------------------------
def shrink_rates(successes: ArrayLike, trials: ArrayLike) -> tuple[np.ndarray, float, float]:
    """Empirical-Bayes beta-binomial shrinkage of group rates, for ranking without small-cohort luck.

    Model: group i has x_i successes out of n_i, x_i ~ Binomial(n_i, p_i), p_i ~ Beta(alpha, beta).
    The posterior mean (x_i + alpha) / (n_i + alpha + beta) pulls each raw rate x_i / n_i
    towards the overall rate with weight (alpha + beta) / (n_i + alpha + beta): a cohort of 5
    moves far, a cohort of 500 hardly at all.

    Hyper-parameters by the method of moments (Kleinman 1973 style, weights n_i):
        mu    = sum(x) / sum(n)                                   (pooled rate)
        Q     = sum(n_i * (x_i/n_i - mu)^2)
        E[Q]  = (k - 1) * mu(1-mu) + tau2 * (N - sum(n_i^2)/N - (k - 1))
        tau2  = max(0, (Q - (k - 1) * mu(1-mu)) / (N - sum(n_i^2)/N - (k - 1)))
        M     = alpha + beta = mu(1-mu) / tau2 - 1,  alpha = mu * M,  beta = (1 - mu) * M
    where k is the number of groups with n_i > 0, N = sum(n_i) and tau2 the between-group
    variance of the true rates. If the rates vary no more than chance would make them
    (tau2 = 0) every group gets the pooled rate (alpha = beta = inf). If the variance cannot be
    estimated (fewer than two groups, or every group of size one) or is as large as a Bernoulli's,
    nothing is shrunk (alpha = beta = 0). Groups with n_i = 0 get the pooled rate.

    Returns (shrunk rates in input order, alpha, beta).
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if x.shape != n.shape:
        raise ValueError("successes and trials must have the same length")
    if np.any(n < 0) or np.any(x < 0) or np.any(x > n):
        raise ValueError("need 0 <= successes <= trials")
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(n > 0, x / n, np.nan)
    total = float(n.sum())
    if total == 0:
        return raw, 0.0, 0.0
    mu = float(x.sum()) / total
    present = n > 0
    k = int(present.sum())
    sigma2 = mu * (1.0 - mu)
    denominator = total - float((n[present] ** 2).sum()) / total - (k - 1)
    if k < 2 or denominator <= 0 or sigma2 == 0:
        return np.where(present, raw, mu), 0.0, 0.0
    q = float((n[present] * (raw[present] - mu) ** 2).sum())
    tau2 = max(0.0, (q - (k - 1) * sigma2) / denominator)
    if tau2 == 0.0:
        return np.full_like(raw, mu), math.inf, math.inf
    m = sigma2 / tau2 - 1.0
    if m <= 0:
        return np.where(present, raw, mu), 0.0, 0.0
    alpha, beta = mu * m, (1.0 - mu) * m
    return (x + alpha) / (n + m), alpha, beta


# -- small-cell suppression -------------------------------------------------------------------------
def suppress(
    frame: pl.DataFrame,
    count_col: str = "n",
    min_cell: int = DEFAULT_MIN_CELL,
    total: bool = True,
    value_cols: Sequence[str] | None = None,
    *,
    dims: Sequence[str] = (),
    flag: str = "suppressed",
) -> pl.DataFrame:
    """Hide every row whose `count_col` is below `min_cell`, plus complementary cells.

    Primary suppression: a row describing fewer than `min_cell` students (0 included) gets
    `flag` = True and its `value_cols` set to null (default: every numeric column except
    `sort_key`). Rows already flagged stay flagged.

    Complementary suppression (`total=True`, for tables whose rows add up to a total shown
    elsewhere): within the whole table, and within every slice that shares the values of a
    proper subset of `dims` (the margins of a cross-table), hidden cells must not be
    recoverable by subtraction. So while a slice has exactly one hidden cell, or its hidden
    cells add up to fewer than `min_cell` students, the smallest visible cell of that slice is
    hidden too. Repeats until no slice changes. (Differencing across *different filters* is not
    prevented; see DESIGN.md.)
    """
    if min_cell < 0:
        raise ValueError("min_cell must not be negative")
    if value_cols is None:
        value_cols = [
            c for c, dtype in frame.schema.items()
            if dtype.is_numeric() and c != "sort_key"
        ]
    if frame.height == 0:
        return frame.with_columns(pl.lit(False).alias(flag)) if flag not in frame.columns else frame
    counts = frame[count_col].fill_null(0).cast(pl.Float64).to_numpy().copy()
    hidden = counts < min_cell
    if flag in frame.columns:
        hidden |= frame[flag].fill_null(False).to_numpy().astype(bool)
    if total and hidden.any():
        slices = _slices(frame, dims)
        changed = True
        while changed:
            changed = False
            for rows in slices:
                while _needs_complement(hidden[rows], counts[rows], min_cell):
                    visible = rows[~hidden[rows]]
                    smallest = visible[np.argmin(counts[visible])]  # first of ties
                    hidden[smallest] = True
                    changed = True
    mask = pl.Series(flag, hidden)
    return frame.with_columns(
        [pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in value_cols]
    ).with_columns(mask)


def _needs_complement(hidden: np.ndarray, counts: np.ndarray, min_cell: int) -> bool:
    n_hidden = int(hidden.sum())
    if n_hidden == 0 or n_hidden == hidden.size:
        return False
    return n_hidden == 1 or float(counts[hidden].sum()) < min_cell


def _slices(frame: pl.DataFrame, dims: Sequence[str]) -> list[np.ndarray]:
    """Row-index sets: the whole table, then every group sharing a proper subset of dims."""
    slices = [np.arange(frame.height)]
    for size in range(1, len(dims)):
        for subset in itertools.combinations(dims, size):
            keyed = frame.select(list(subset)).with_row_index("__row")
            for _, part in keyed.group_by(list(subset), maintain_order=True):
                slices.append(part["__row"].to_numpy())
    return slices
