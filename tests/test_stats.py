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
    limits = stats.funnel_limits(0.5, [100, 25, 0])
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
    limits = stats.funnel_limits(0.9, [4, 400])
    # n = 4: 0.9 + 1.96 * 0.15 = 1.194 -> clipped to 1; 99.8% low 0.9 - 3.09 * 0.15 = 0.4365
    assert limits["high_95"][0] == 1.0
    assert limits["low_998"][0] == pytest.approx(0.9 - Z998 * 0.15)
    assert limits["high_95"][1] - limits["low_95"][1] < limits["high_95"][0] - limits["low_95"][0]


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
