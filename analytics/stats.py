"""Statistics for honest comparisons: intervals, funnel limits, shrinkage and small-cell suppression.

Everything here works on small, already aggregated data (one row per group), never on placements.

- `wilson_interval` / `wilson_columns`: Wilson score interval for a proportion (Wilson 1927;
  Newcombe 1998, method 3). Unlike the textbook "p +- z*se" interval it stays inside [0, 1] and
  keeps sensible coverage for small cohorts and rates near 0 or 1, which is exactly where
  internship cohorts live.
- `mean_interval`: Student-t interval for an unweighted mean of group rates (the NACE-style
  "mean of employers' rates"); a Wilson interval would treat employers as interns.
- `funnel_limits` / `funnel_z`: control limits for a funnel plot of proportions (Spiegelhalter
  2005, "Funnel plots for comparing institutional performance"): exact binomial limits with his
  interpolation between the discrete quantiles (the default), the additive random-effects
  variant for overdispersion (the between-group variance the shrinkage estimates), or the
  normal approximation (for comparison only: it misclassifies small cohorts).
- `shrinkage` / `shrink_rates`: empirical-Bayes beta-binomial shrinkage, hyper-parameters by the
  method of moments (see `shrink_rates`); `shrinkage` also says when it gives no ranking.
- `suppress`: small-cell suppression with complementary suppression (DESIGN.md, Privacy).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final, Literal

import numpy as np
import polars as pl

from analytics.schema import DEFAULT_MIN_CELL as DEFAULT_MIN_CELL

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


def zero_filled(series: pl.Series) -> np.ndarray:
    """A column's values as floats, a missing value as 0, straight from its buffer (each Polars
    Series method is a small query of its own, and the gate reads dozens of columns per call)."""
    values: np.ndarray = series.to_numpy().astype(np.float64, copy=True)
    values[np.isnan(values)] = 0.0
    return values


def nan_filled(series: pl.Series) -> np.ndarray:
    """A column's values as floats, a missing value as nan."""
    values: np.ndarray = series.to_numpy().astype(np.float64, copy=False)
    return values


def wilson_arrays(successes: np.ndarray, n: np.ndarray,
                  confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rate, low, high) as `wilson_exprs` computes them, on float arrays (nan for a missing
    value; nan out where n is not above 0), with the same operations in the same order, so the
    same values to the last bit. For the small aggregated frames of the disclosure gate: a
    Polars expression graph costs milliseconds to plan even for one row."""
    z = z_value(confidence)
    nf = np.asarray(n, dtype=float)
    x = np.asarray(successes, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        valid = nf > 0
        p = x / nf
        z2n = (z * z) / nf
        centre = (p + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * np.sqrt(p * (1.0 - p) / nf + (z * z) / (4.0 * nf * nf))
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    return (np.where(valid, p, np.nan), np.where(valid, low, np.nan), np.where(valid, high, np.nan))


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
FunnelMethod = Literal["exact", "overdispersed", "normal"]
FUNNEL_METHODS: Final[tuple[str, ...]] = ("exact", "overdispersed", "normal")
FUNNEL_METHOD_TEXT: Final[dict[str, str]] = {
    "exact": "exact binomial limits (Spiegelhalter 2005, interpolated between the binomial's "
             "discrete quantiles)",
    "overdispersed": "limits widened for overdispersion (Spiegelhalter 2005, additive random "
                     "effects: the between-employer variance the shrinkage estimates is added to "
                     "the binomial variance)",
    "normal": "normal-approximation limits (target +- z * sqrt(target(1-target)/n))",
}
_TAIL_SDS: Final = 12.0  # a binomial's mass beyond 12 sd of its mean is below 1e-30


def binomial_cdf(n: int, target: float, *, lower_half: bool = False) -> tuple[int, np.ndarray]:
    """(first, cdf): P(X <= first + i) for X ~ Binomial(n, target), over every count where the
    CDF moves (first..first + len - 1; below `first` the mass is under 1e-30 and taken as 0).
    With `lower_half`, only up to the mean (+10), where the CDF has passed 1/2 (the median of
    a binomial is the mean rounded up or down): the same values, for lower tails only."""
    mean, sd = n * target, math.sqrt(n * target * (1.0 - target))
    first = max(0, math.floor(mean - _TAIL_SDS * sd - 10))
    last = min(n, math.ceil(mean + (0.0 if lower_half else _TAIL_SDS * sd) + 10))
    # log pmf(first), then pmf(k + 1) / pmf(k) = (n - k) / (k + 1) * target / (1 - target).
    start = (math.lgamma(n + 1) - math.lgamma(first + 1) - math.lgamma(n - first + 1)
             + first * math.log(target) + (n - first) * math.log1p(-target))
    k = np.arange(first, last, dtype=float)
    steps = np.log((n - k) / (k + 1)) + (math.log(target) - math.log1p(-target))
    log_pmf = start + np.concatenate([[0.0], np.cumsum(steps)])
    return first, np.minimum(np.cumsum(np.exp(log_pmf)), 1.0)


def lower_limits(n: int, target: float, ps: Sequence[float]) -> list[float]:
    """Spiegelhalter's (2005, appendix A.1.1) interpolated lower p-quantiles of the proportion
    X/n, X ~ Binomial(n, target), for each (small) p in `ps`: with r_p the smallest r where
    P(X <= r) >= p,

        alpha = (P(X <= r_p) - p) / (P(X <= r_p) - P(X <= r_p - 1)),  limit = (r_p - alpha) / n,

    clipped to [0, 1]. A count x lies below the limit exactly when P(X <= x) < p: the plotted
    limit is the exact one-sided binomial test, made continuous in n."""
    if n <= 0:
        return [math.nan for _ in ps]
    if target <= 0.0 or target >= 1.0:
        return [float(min(max(target, 0.0), 1.0)) for _ in ps]
    # Tails below a quarter are found before the median: half the CDF is enough (the running
    # sums are the same to the last bit, so are the limits).
    first, cdf = binomial_cdf(n, target, lower_half=max(ps, default=1.0) < 0.25)
    limits = []
    for p in ps:
        index = min(int(np.searchsorted(cdf, p, side="left")), len(cdf) - 1)
        at = float(cdf[index])
        below = float(cdf[index - 1]) if index > 0 else 0.0
        alpha = (at - p) / (at - below) if at > below else 0.0
        limits.append(min(max((first + index - alpha) / n, 0.0), 1.0))
    return limits


def upper_limits(n: int, target: float, ps: Sequence[float]) -> list[float]:
    """The upper limits with tail p: the same interpolation applied to the failures n - X
    (target 1 - target), mirrored, so a count x lies above the limit exactly when
    P(X >= x) < p. (Taking the quantile formula at 1 - p instead would sit exactly 1/n lower
    and flag a count whose upper tail P(X >= x) is still above p.)"""
    return [1.0 - v for v in lower_limits(n, 1.0 - target, ps)]


def binomial_limit(n: int, target: float, p: float) -> float:
    """One exact limit: the lower one for p < 0.5 (tail p), the upper one for p > 0.5 (tail 1 - p)."""
    return lower_limits(n, target, [p])[0] if p < 0.5 else upper_limits(n, target, [1.0 - p])[0]


def funnel_limits(target: float, n: ArrayLike, method: FunnelMethod = "exact",
                  tau2: float | None = None) -> pl.DataFrame:
    """Funnel-plot control limits around `target` for each cohort size in `n`.

    Columns n, low_95, high_95, low_998, high_998 (null for sizes of 0), by `method`:

    - "exact" (default): Spiegelhalter's interpolated binomial quantiles (`lower_limits`,
      `upper_limits`) with tails 0.025 (95%) and 0.001 (99.8%) on each side: a cohort is
      outside exactly when its one-sided exact binomial tail is below that.
    - "overdispersed": target +- z * sqrt(target(1-target)/n + tau2), clipped to [0, 1]
      (Spiegelhalter 2005, section 5.2, additive random effects), with tau2 the between-group
      variance of the true rates (`between_variance`); tau2 = 0 gives the normal limits.
    - "normal": target +- z * sqrt(target(1-target)/n), clipped to [0, 1]; z = 1.959964 and
      3.090232. Shown for comparison only.
    """
    if method not in FUNNEL_METHODS:
        raise ValueError(f"method must be one of {', '.join(FUNNEL_METHODS)}, not {method!r}")
    if method == "overdispersed" and (tau2 is None or not tau2 >= 0.0):
        raise ValueError("the overdispersed limits need the between-group variance tau2 >= 0")
    counts = np.asarray(n, dtype=np.int64)
    sizes = counts.astype(float)
    columns: dict[str, object] = {"n": counts}
    tails = [(1.0 - confidence) / 2.0 for _label, confidence in FUNNEL_LEVELS]
    sizes_used = {int(v) for v in counts} if method == "exact" else set()
    lows = {size: lower_limits(size, target, tails) for size in sizes_used}
    highs = {size: upper_limits(size, target, tails) for size in sizes_used}
    for level, (label, confidence) in enumerate(FUNNEL_LEVELS):
        if method == "exact":
            low = np.array([lows[int(v)][level] for v in counts], dtype=float)
            high = np.array([highs[int(v)][level] for v in counts], dtype=float)
        else:
            z = z_value(confidence)
            extra = float(tau2 or 0.0) if method == "overdispersed" else 0.0
            with np.errstate(divide="ignore", invalid="ignore"):
                se = np.sqrt(target * (1.0 - target) / sizes + extra)
            low = np.clip(target - z * se, 0.0, 1.0)
            high = np.clip(target + z * se, 0.0, 1.0)
        columns[f"low_{label}"] = np.where(sizes > 0, low, np.nan)
        columns[f"high_{label}"] = np.where(sizes > 0, high, np.nan)
    return pl.DataFrame(columns).fill_nan(None)


def funnel_z(successes: ArrayLike, n: ArrayLike, target: float, tau2: float = 0.0) -> np.ndarray:
    """z = (rate - target) / sqrt(target(1-target)/n + tau2); nan where n is 0 or the target is
    0 or 1. (tau2 > 0: the overdispersed z of Spiegelhalter's additive random-effects model.)"""
    x = np.asarray(successes, dtype=float)
    sizes = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z: np.ndarray = (x / sizes - target) / np.sqrt(target * (1.0 - target) / sizes + tau2)
    z[~np.isfinite(z)] = np.nan
    return z


# -- empirical-Bayes shrinkage ----------------------------------------------------------------------
NO_RANK_COLLAPSED: Final = ("no ranking: the employers' rates vary no more than chance alone would "
                            "make them (between-employer variance estimated at 0), so every "
                            "shrunken rate is the overall rate and a rank would only order "
                            "cohort sizes")
NO_RANK_TOO_FEW: Final = ("no ranking: too few employers (or cohorts too small) to estimate how "
                          "much their rates really vary")


def _moments(x: np.ndarray, n: np.ndarray) -> tuple[float, float, float | None]:
    """(mu, sigma2, tau2) of the method of moments in `shrink_rates`; tau2 None when it cannot
    be estimated (fewer than two groups, every group of size one, or no variation at all)."""
    total = float(n.sum())
    if total == 0:
        return math.nan, math.nan, None
    mu = float(x.sum()) / total
    present = n > 0
    k = int(present.sum())
    sigma2 = mu * (1.0 - mu)
    denominator = total - float((n[present] ** 2).sum()) / total - (k - 1)
    if k < 2 or denominator <= 0 or sigma2 == 0:
        return mu, sigma2, None
    raw = x[present] / n[present]
    q = float((n[present] * (raw - mu) ** 2).sum())
    return mu, sigma2, max(0.0, (q - (k - 1) * sigma2) / denominator)


def _checked(successes: ArrayLike, trials: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if x.shape != n.shape:
        raise ValueError("successes and trials must have the same length")
    if np.any(n < 0) or np.any(x < 0) or np.any(x > n):
        raise ValueError("need 0 <= successes <= trials")
    return x, n


def between_variance(successes: ArrayLike, trials: ArrayLike) -> float | None:
    """The between-group variance tau2 of the true rates, by the method of moments of
    `shrink_rates`; None when it cannot be estimated. (The overdispersed funnel adds it.)"""
    x, n = _checked(successes, trials)
    return _moments(x, n)[2]


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
    (tau2 = 0) every group gets the pooled rate (alpha = beta = inf): the shrinkage has
    collapsed and gives no ranking (see `shrinkage`). If the variance cannot be estimated
    (fewer than two groups, or every group of size one) or is as large as a Bernoulli's,
    nothing is shrunk (alpha = beta = 0). Groups with n_i = 0 get the pooled rate.

    Returns (shrunk rates in input order, alpha, beta).
    """
    x, n = _checked(successes, trials)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(n > 0, x / n, np.nan)
    if float(n.sum()) == 0:
        return raw, 0.0, 0.0
    mu, sigma2, tau2 = _moments(x, n)
    present = n > 0
    if tau2 is None:
        return np.where(present, raw, mu), 0.0, 0.0
    if tau2 == 0.0:
        return np.full_like(raw, mu), math.inf, math.inf
    m = sigma2 / tau2 - 1.0
    if m <= 0:
        return np.where(present, raw, mu), 0.0, 0.0
    alpha, beta = mu * m, (1.0 - mu) * m
    return (x + alpha) / (n + m), alpha, beta


@dataclass(frozen=True)
class Shrinkage:
    """`shrink_rates` with what a ranking needs: tau2, and why there is no rank when there is none."""

    rates: np.ndarray
    alpha: float
    beta: float
    tau2: float | None  # between-group variance; None when it cannot be estimated
    no_rank_reason: str | None  # None: the shrunken rates may be ranked

    @property
    def rankable(self) -> bool:
        return self.no_rank_reason is None


def shrinkage(successes: ArrayLike, trials: ArrayLike) -> Shrinkage:
    """Shrunken rates, tau2, and whether they may be ranked: not when the shrinkage collapsed
    (tau2 = 0: every rate is the pooled one, so "rank 1" would only mean "largest cohort") or
    tau2 cannot be estimated."""
    x, n = _checked(successes, trials)
    rates, alpha, beta = shrink_rates(x, n)
    tau2 = _moments(x, n)[2] if float(n.sum()) > 0 else None
    reason = NO_RANK_TOO_FEW if tau2 is None else (NO_RANK_COLLAPSED if tau2 == 0.0 else None)
    return Shrinkage(rates=rates, alpha=alpha, beta=beta, tau2=tau2, no_rank_reason=reason)


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
        complement(hidden, counts, min_cell, slices(frame, dims))
    mask = pl.Series(flag, hidden)
    return frame.with_columns(
        [pl.when(mask).then(None).otherwise(pl.col(c)).alias(c) for c in value_cols]
    ).with_columns(mask)


def complement(hidden: np.ndarray, counts: np.ndarray, min_cell: int,
               row_sets: Sequence[np.ndarray]) -> None:
    """Complementary suppression in place: `hidden` (one flag per row, primary suppression
    done) gains the cells that keep each row set's hidden cells from being recovered by
    subtraction (see `suppress`; `row_sets` from `slices`)."""
    changed = True
    while changed:
        changed = False
        for rows in row_sets:
            while _needs_complement(hidden[rows], counts[rows], min_cell):
                visible = rows[~hidden[rows]]
                smallest = visible[np.argmin(counts[visible])]  # first of ties
                hidden[smallest] = True
                changed = True


def _needs_complement(hidden: np.ndarray, counts: np.ndarray, min_cell: int) -> bool:
    n_hidden = int(hidden.sum())
    if n_hidden == 0 or n_hidden == hidden.size:
        return False
    return n_hidden == 1 or float(counts[hidden].sum()) < min_cell


def slices(frame: pl.DataFrame, dims: Sequence[str]) -> list[np.ndarray]:
    """Row-index sets: the whole table, then every group sharing a proper subset of dims."""
    slices = [np.arange(frame.height)]
    for size in range(1, len(dims)):
        for subset in itertools.combinations(dims, size):
            keyed = frame.select(list(subset)).with_row_index("__row")
            for _, part in keyed.group_by(list(subset), maintain_order=True):
                slices.append(part["__row"].to_numpy())
    return slices
