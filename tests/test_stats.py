"""Intervals, funnel limits, shrinkage and suppression against worked values."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from analytics import stats

Z95 = 1.959963984540054  # standard normal 97.5% point (published tables: 1.96)
Z998 = 3.090232306167813  # 99.9% point (published tables: 3.0902)


def wilson_by_quadratic(x: int, n: int, z: float) -> tuple[float, float]:
    """Independent form: the roots p of (x/n - p)^2 = z^2 p (1 - p) / n."""
    a = n + z * z
    b = -(2 * x + z * z)
    c = x * x / n
    disc = math.sqrt(b * b - 4 * a * c)
    return ((-b - disc) / (2 * a), (-b + disc) / (2 * a))


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I,
# method 3 (Wilson score interval without continuity correction).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE)
def test_wilson_matches_newcombe_table(x: int, n: int, low: float, high: float) -> None:
    got = stats.wilson_interval(x, n)
    assert got[0] == pytest.approx(low, abs=5e-5)
    assert got[1] == pytest.approx(high, abs=5e-5)


@pytest.mark.parametrize(("x", "n"), [(81, 263), (0, 7), (7, 7), (3, 10), (500, 1000), (1, 2)])
def test_wilson_matches_the_quadratic_form(x: int, n: int) -> None:
    low, high = wilson_by_quadratic(x, n, Z95)
    got = stats.wilson_interval(x, n)
    assert got[0] == pytest.approx(max(low, 0.0), abs=1e-12)
    assert got[1] == pytest.approx(min(high, 1.0), abs=1e-12)


def test_wilson_other_confidence_and_undefined() -> None:
    low, high = wilson_by_quadratic(81, 263, Z998)
    assert stats.wilson_interval(81, 263, confidence=0.998) == pytest.approx((low, high), abs=1e-12)
    assert all(math.isnan(v) for v in stats.wilson_interval(0, 0))
    with pytest.raises(ValueError):
        stats.wilson_interval(5, 3)


def test_wilson_columns_vectorised_agree_and_null_for_empty() -> None:
    frame = pl.DataFrame({"x": [81, 0, 3], "n": [263, 0, 10]})
    out = stats.wilson_columns(frame, "x", "n", "rate")
    assert out["rate"].to_list()[0] == pytest.approx(81 / 263)
    assert out["rate_low"][0] == pytest.approx(0.2553, abs=5e-5)
    assert out["rate_high"][0] == pytest.approx(0.3662, abs=5e-5)
    assert out.row(1) == (0, 0, None, None, None)
    assert out["rate_low"][2] == pytest.approx(wilson_by_quadratic(3, 10, Z95)[0], abs=1e-12)


def test_wilson_arrays_give_the_expressions_values_to_the_last_bit() -> None:
    # The gate computes rates with the numpy form; the Polars form is the reference. Every size
    # up to 60 with every count, plus large cohorts and missing values.
    small = [(x, n) for n in range(0, 61) for x in range(0, n + 1)]
    large = [(x, n) for n in (999, 12_345, 1_000_003) for x in (0, 1, n // 3, n - 1, n)]
    rows = [*small, *large, (None, 10), (3, None), (None, None)]
    frame = pl.DataFrame({"x": [r[0] for r in rows], "n": [r[1] for r in rows]},
                         schema={"x": pl.Int64, "n": pl.Int64})
    expected = frame.with_columns(stats.wilson_exprs(pl.col("x"), pl.col("n"), "r"))
    got = stats.wilson_arrays(stats.nan_filled(frame["x"]), stats.nan_filled(frame["n"]))
    for column, values in zip(("r", "r_low", "r_high"), got, strict=True):
        series = pl.Series(column, values, nan_to_null=True)
        assert series.is_null().to_list() == expected[column].is_null().to_list()
        assert series.drop_nulls().to_list() == expected[column].drop_nulls().to_list()  # exact


def test_zero_filled_and_nan_filled_read_missing_values() -> None:
    series = pl.Series([3, None, 0], dtype=pl.Int64)
    assert stats.zero_filled(series).tolist() == [3.0, 0.0, 0.0]
    assert [v if not math.isnan(v) else None for v in stats.nan_filled(series).tolist()] == [3.0, None, 0.0]


@pytest.mark.parametrize("target", [0.03, 0.46, 0.5, 0.97])
def test_lower_half_of_the_binomial_cdf_is_the_same_prefix_past_the_median(target: float) -> None:
    for n in (1, 7, 40, 333, 20_000):
        first, full = stats.binomial_cdf(n, target)
        first_half, half = stats.binomial_cdf(n, target, lower_half=True)
        assert first_half == first
        assert half.tolist() == full[: len(half)].tolist()  # the same running sums, bit for bit
        assert half[-1] >= 0.5  # past the median: every lower tail below 1/2 is found in it


def test_z_and_t_values_match_tables() -> None:
    assert stats.z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert stats.z_value(0.998) == pytest.approx(3.090232, abs=1e-6)
    # Student t, two-sided 95%: df 1 -> 12.706, 2 -> 4.303, 5 -> 2.571, 10 -> 2.228, 30 -> 2.042
    for df, value in [(1, 12.7062), (2, 4.3027), (5, 2.5706), (10, 2.2281), (30, 2.0423)]:
        assert stats.t_value(df) == pytest.approx(value, abs=1e-4)
    assert stats.t_value(3, confidence=0.99) == pytest.approx(5.8409, abs=1e-4)


def test_mean_interval_by_hand() -> None:
    # rates 0.5 and 0.45: mean 0.475, sd 0.0353553, half = 12.7062 * 0.0353553 / sqrt(2) = 0.317655
    mean, low, high = stats.mean_interval([0.5, 0.45])
    assert mean == pytest.approx(0.475)
    assert low == pytest.approx(0.475 - 0.317655, abs=1e-5)
    assert high == pytest.approx(0.475 + 0.317655, abs=1e-5)
    single = stats.mean_interval([0.3])
    assert single[0] == pytest.approx(0.3) and math.isnan(single[1])
    assert all(math.isnan(v) for v in stats.mean_interval([]))


def test_funnel_limits_spiegelhalter_normal_approximation() -> None:
    limits = stats.funnel_limits(0.5, [100, 25, 0], method="normal")
    # 0.5 +- 1.96 * sqrt(0.25 / 100) = 0.5 +- 0.0979982; 99.8%: 0.5 +- 3.0902 * 0.05 = 0.5 +- 0.154512
    first = limits.row(0, named=True)
    assert first["n"] == 100
    assert first["low_95"] == pytest.approx(0.5 - Z95 * 0.05, abs=1e-12)
    assert first["low_95"] == pytest.approx(0.4020, abs=5e-5)
    assert first["high_95"] == pytest.approx(0.5980, abs=5e-5)
    assert first["low_998"] == pytest.approx(0.3455, abs=5e-5)
    assert first["high_998"] == pytest.approx(0.6545, abs=5e-5)
    # n = 25: se = 0.1 -> 95% (0.304, 0.696), 99.8% (0.191, 0.809)
    second = limits.row(1, named=True)
    assert (second["low_95"], second["high_95"]) == pytest.approx((0.5 - Z95 * 0.1, 0.5 + Z95 * 0.1))
    assert (second["low_998"], second["high_998"]) == pytest.approx((0.5 - Z998 * 0.1, 0.5 + Z998 * 0.1))
    assert limits.row(2)[1:] == (None, None, None, None)


def test_funnel_limits_clip_to_unit_interval_and_narrow_with_n() -> None:
    limits = stats.funnel_limits(0.9, [4, 400], method="normal")
    # n = 4: 0.9 + 1.96 * 0.15 = 1.194 -> clipped to 1; 99.8% low 0.9 - 3.09 * 0.15 = 0.4365
    assert limits["high_95"][0] == 1.0
    assert limits["low_998"][0] == pytest.approx(0.9 - Z998 * 0.15)
    assert limits["high_95"][1] - limits["low_95"][1] < limits["high_95"][0] - limits["low_95"][0]


# -- exact binomial funnel limits (issue 12): checked against tails computed here with math.comb ------
def _cdf(x: int, n: int, p: float) -> float:
    """P(X <= x), X ~ Binomial(n, p), summed term by term."""
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x + 1)) if x >= 0 else 0.0


def _spiegelhalter_lower(n: int, p: float, tail: float) -> float:
    """The interpolated lower limit, worked from the definition with math.comb."""
    r = next(r for r in range(n + 1) if _cdf(r, n, p) >= tail)
    alpha = (_cdf(r, n, p) - tail) / (_cdf(r, n, p) - _cdf(r - 1, n, p))
    return max((r - alpha) / n, 0.0)


def test_exact_limits_of_the_issues_examples() -> None:
    # n = 10 at 0.53: P(X <= 1) = 0.006457, P(X <= 2) = 0.036556, so r = 2 and
    # alpha = (0.036556 - 0.025) / (0.036556 - 0.006457) = 0.383939: limit (2 - 0.383939) / 10 = 0.161606
    limits = stats.funnel_limits(0.53, [10, 12]).rows(named=True)
    assert limits[0]["low_95"] == pytest.approx(_spiegelhalter_lower(10, 0.53, 0.025), abs=1e-12)
    assert limits[0]["low_95"] == pytest.approx(0.161606, abs=1e-6)
    # 2 of 10 (P(X <= 2) = 0.037 > 0.025) is inside; the normal approximation put it below 0.221.
    assert limits[0]["low_95"] < 0.2
    assert stats.funnel_limits(0.53, [10], method="normal")["low_95"][0] == pytest.approx(0.2207, abs=1e-4)
    # 1 of 12: P(X <= 1) = 0.0017 > 0.001, inside the 99.8% limits.
    assert _cdf(1, 12, 0.53) == pytest.approx(0.0017, abs=1e-4)
    assert limits[1]["low_998"] < 1 / 12
    # The upper limit mirrors the lower one on the failures: 1 - lower(n, 1 - p).
    assert limits[0]["high_95"] == pytest.approx(1 - _spiegelhalter_lower(10, 0.47, 0.025), abs=1e-12)


def _flags(method: str, target: float, sizes: range) -> dict[tuple[int, int, str], bool]:
    flags = {}
    for row in stats.funnel_limits(target, list(sizes), method=method).iter_rows(named=True):
        n = row["n"]
        for x in range(n + 1):
            for label in ("95", "998"):
                flags[(n, x, f"below_{label}")] = x / n < row[f"low_{label}"]
                flags[(n, x, f"above_{label}")] = x / n > row[f"high_{label}"]
    return flags


def _exact_tests(target: float, sizes: range) -> dict[tuple[int, int, str], bool]:
    tests = {}
    for n in sizes:
        for x in range(n + 1):
            lower, upper = _cdf(x, n, target), 1.0 - _cdf(x - 1, n, target)
            for label, tail in (("95", 0.025), ("998", 0.001)):
                tests[(n, x, f"below_{label}")] = lower < tail
                tests[(n, x, f"above_{label}")] = upper < tail
    return tests


@pytest.mark.parametrize("target", [0.53, 0.2, 0.9])
def test_exact_limits_flag_exactly_the_cohorts_the_exact_tail_test_flags(target: float) -> None:
    sizes = range(10, 61)
    truth = _exact_tests(target, sizes)
    exact = _flags("exact", target, sizes)
    assert [cell for cell in truth if exact[cell] != truth[cell]] == []


def test_the_normal_approximation_misclassifies_73_cells_the_exact_limits_do_not() -> None:
    # The issue's count over n = 10..60 at 0.53 (both sides, both levels).
    sizes = range(10, 61)
    truth = _exact_tests(0.53, sizes)
    normal = _flags("normal", 0.53, sizes)
    assert sum(normal[cell] != truth[cell] for cell in truth) == 73


def test_exact_limits_for_large_cohorts_approach_the_normal_ones() -> None:
    exact = stats.funnel_limits(0.53, [100_000]).row(0, named=True)
    normal = stats.funnel_limits(0.53, [100_000], method="normal").row(0, named=True)
    for column in ("low_95", "high_95", "low_998", "high_998"):
        assert exact[column] == pytest.approx(normal[column], abs=2e-5)


def test_overdispersed_limits_add_the_between_group_variance() -> None:
    # 0.5 +- 1.959964 * sqrt(0.25 / 25 + 0.01) = 0.5 +- 1.959964 * 0.1414214 = 0.5 +- 0.2771808
    row = stats.funnel_limits(0.5, [25], method="overdispersed", tau2=0.01).row(0, named=True)
    assert (row["low_95"], row["high_95"]) == pytest.approx((0.5 - 0.2771808, 0.5 + 0.2771808), abs=1e-6)
    assert row["high_998"] == pytest.approx(0.5 + 3.090232 * 0.1414214, abs=1e-6)
    # tau2 = 0 is the normal approximation; the variant needs a tau2
    zero = stats.funnel_limits(0.5, [25], method="overdispersed", tau2=0.0)
    assert zero.equals(stats.funnel_limits(0.5, [25], method="normal"))
    with pytest.raises(ValueError, match="tau2"):
        stats.funnel_limits(0.5, [25], method="overdispersed")
    with pytest.raises(ValueError, match="method"):
        stats.funnel_limits(0.5, [25], method="poisson")  # type: ignore[arg-type]
    # the overdispersed z: (0.75 - 0.5) / sqrt(0.25 / 40 + 0.01) = 0.25 / 0.1274755 = 1.961161
    assert stats.funnel_z([30], [40], 0.5, tau2=0.01)[0] == pytest.approx(1.961161, abs=1e-6)


def test_funnel_z_by_hand() -> None:
    # 30 of 40 against 0.5: (0.75 - 0.5) / sqrt(0.25 / 40) = 0.25 / 0.0790569 = 3.162278
    z = stats.funnel_z([30, 0], [40, 0], 0.5)
    assert z[0] == pytest.approx(3.162278, abs=1e-6)
    assert math.isnan(z[1])


def test_shrinkage_method_of_moments_worked_example() -> None:
    # Groups (x, n) = (10, 20), (30, 40), (5, 40); by hand:
    # mu = 45/100 = 0.45, raw = 0.5, 0.75, 0.125
    # Q = 20 * 0.05^2 + 40 * 0.3^2 + 40 * 0.325^2 = 0.05 + 3.6 + 4.225 = 7.875
    # tau2 = (Q - 2 * 0.2475) / (100 - 3600/100 - 2) = 7.38 / 62 = 0.1190323
    # M = 0.2475 / 0.1190323 - 1 = 1.0792683; alpha = 0.4856707, beta = 0.5935976
    shrunk, alpha, beta = stats.shrink_rates([10, 30, 5], [20, 40, 40])
    assert alpha == pytest.approx(0.4856707, rel=1e-6)
    assert beta == pytest.approx(0.5935976, rel=1e-6)
    assert shrunk[0] == pytest.approx(10.4856707 / 21.0792683, rel=1e-6)
    assert shrunk[1] == pytest.approx(30.4856707 / 41.0792683, rel=1e-6)
    assert shrunk[2] == pytest.approx(5.4856707 / 41.0792683, rel=1e-6)


def test_shrinkage_moves_small_cohorts_more_than_large_ones() -> None:
    x = np.array([5, 450, 300, 2, 120])
    n = np.array([5, 500, 600, 10, 200])
    shrunk, alpha, beta = stats.shrink_rates(x, n)
    raw = x / n
    pooled = x.sum() / n.sum()
    moved = np.abs(shrunk - raw)
    assert alpha > 0 and beta > 0
    # the 5-of-5 employer moves more than the 450-of-500 one, though both are above the mean
    assert moved[0] > moved[1]
    assert moved[3] > moved[2]  # 2-of-10 moves more than 300-of-600
    # every estimate lies between its raw rate and the pooled rate
    assert np.all((shrunk - raw) * (shrunk - pooled) <= 1e-12)
    # the perfect small cohort no longer tops the ranking
    assert np.argmax(shrunk) == 1


def test_shrinkage_edge_cases() -> None:
    # no between-group variance beyond chance: everyone gets the pooled rate
    shrunk, alpha, beta = stats.shrink_rates([5, 10], [10, 20])
    assert shrunk.tolist() == [0.5, 0.5] and math.isinf(alpha) and math.isinf(beta)
    # a single group cannot be shrunk
    shrunk, alpha, beta = stats.shrink_rates([3], [4])
    assert shrunk.tolist() == [0.75] and alpha == beta == 0.0
    # an empty group gets the pooled rate
    shrunk, _, _ = stats.shrink_rates([10, 30, 5, 0], [20, 40, 40, 0])
    assert shrunk[3] == pytest.approx(0.45)
    with pytest.raises(ValueError):
        stats.shrink_rates([3], [2])


def test_between_variance_and_when_shrinkage_gives_no_rank() -> None:
    # The worked example above: tau2 = 7.38 / 62 = 0.1190323; the rates may be ranked.
    assert stats.between_variance([10, 30, 5], [20, 40, 40]) == pytest.approx(0.1190323, rel=1e-6)
    ranked = stats.shrinkage([10, 30, 5], [20, 40, 40])
    assert ranked.rankable and ranked.tau2 == pytest.approx(0.1190323, rel=1e-6)
    assert ranked.rates.tolist() == stats.shrink_rates([10, 30, 5], [20, 40, 40])[0].tolist()
    # 5 of 10 and 10 of 20: Q = 0 < (k - 1) mu(1 - mu), so tau2 = 0 and every rate is 0.5.
    collapsed = stats.shrinkage([5, 10], [10, 20])
    assert collapsed.tau2 == 0.0 and not collapsed.rankable
    assert collapsed.no_rank_reason == stats.NO_RANK_COLLAPSED
    assert "between-employer variance estimated at 0" in collapsed.no_rank_reason
    # 6 of 10 and 10 of 20: mu = 16/30, Q = 0.0667 < (k - 1) mu(1 - mu) = 0.2489: within chance.
    mu = 16 / 30
    q = 10 * (0.6 - mu) ** 2 + 20 * (0.5 - mu) ** 2
    assert q < mu * (1 - mu)
    assert not stats.shrinkage([6, 10], [10, 20]).rankable
    single = stats.shrinkage([3], [4])
    assert single.tau2 is None and single.no_rank_reason == stats.NO_RANK_TOO_FEW


def _hidden(frame: pl.DataFrame) -> list[bool]:
    return frame["suppressed"].to_list()


def test_suppress_hides_small_cells_and_one_complement() -> None:
    frame = pl.DataFrame({"g": ["a", "b", "c", "d"], "n": [3, 50, 12, 40], "rate": [0.1, 0.2, 0.3, 0.4]})
    out = stats.suppress(frame, "n", min_cell=10)
    assert _hidden(out) == [True, False, True, False]  # 3 is small; 12 is the smallest other cell
    assert out["n"].to_list() == [None, 50, None, 40]
    assert out["rate"].to_list() == [None, 0.2, None, 0.4]
    assert out["g"].to_list() == ["a", "b", "c", "d"]
    # without a total nothing can be subtracted: only the small cell goes
    assert _hidden(stats.suppress(frame, "n", min_cell=10, total=False)) == [True, False, False, False]


def test_suppress_hidden_cells_must_add_up_to_min_cell() -> None:
    # 3 and 4 are both hidden but together describe 7 < 10 students: one more cell goes
    frame = pl.DataFrame({"n": [3, 4, 50, 60]})
    assert _hidden(stats.suppress(frame, min_cell=10)) == [True, True, True, False]
    # zero counts are cells too (a lone hidden zero could be recovered as total - rest)
    assert _hidden(stats.suppress(pl.DataFrame({"n": [0, 50, 60]}), min_cell=10)) == [True, True, False]
    # nothing small, nothing hidden; everything small, everything hidden
    assert _hidden(stats.suppress(pl.DataFrame({"n": [10, 11]}), min_cell=10)) == [False, False]
    assert _hidden(stats.suppress(pl.DataFrame({"n": [1, 2]}), min_cell=10)) == [True, True]


def test_suppress_cross_table_protects_every_margin() -> None:
    # 2x2 table with margins shown elsewhere: one small cell forces the whole square.
    frame = pl.DataFrame({"a": ["x", "x", "y", "y"], "b": ["p", "q", "p", "q"], "n": [3, 20, 30, 40]})
    out = stats.suppress(frame, "n", min_cell=10, dims=("a", "b"))
    assert _hidden(out) == [True, True, True, True]
    # 2x3: the small cell, its row partner and its column partner, then the fourth corner
    frame = pl.DataFrame({"a": ["x", "x", "x", "y", "y", "y"], "b": ["p", "q", "r"] * 2,
                          "n": [3, 20, 25, 30, 40, 50]})
    out = stats.suppress(frame, "n", min_cell=10, dims=("a", "b"))
    assert _hidden(out) == [True, True, False, True, True, False]


def test_suppress_keeps_existing_flags_and_chosen_columns() -> None:
    frame = pl.DataFrame({"n": [50, 60, 70], "m": [1.0, 2.0, 3.0], "suppressed": [True, False, False]})
    out = stats.suppress(frame, "n", min_cell=10, value_cols=["n"])
    assert _hidden(out) == [True, True, False]  # already flagged row needs a complement too
    assert out["n"].to_list() == [None, None, 70]
    assert out["m"].to_list() == [1.0, 2.0, 3.0]
    empty = stats.suppress(pl.DataFrame({"n": []}, schema={"n": pl.Int64}))
    assert empty.columns == ["n", "suppressed"] and empty.height == 0
