"""Calibration of the generator against DESIGN.md's reference figures, on 100,000 rows.

The expected figures are computed here with plain Polars expressions, independently of the
metrics module, straight from the NACE definitions.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analytics import sample, schema

CS_LIKE = ("software engineering", "data & analytics", "cybersecurity")


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    df = sample.sample_frame(100_000)
    hourly = [
        schema.hourly_equivalent(a, p, h, w) if paid and a is not None else None
        for a, p, h, w, paid in zip(df["pay_amount"], df["pay_period"], df["hours_per_week"],
                                    df["duration_weeks"], df["paid"], strict=True)
    ]
    return df.with_columns(hourly_pay=pl.Series(hourly, dtype=pl.Float64))


@pytest.fixture(scope="module")
def eligible(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(
        (pl.col("status") == "completed") & pl.col("final_year") & ~pl.col("continuing_education")
    )


def test_conversion_and_offer_rates_match_nace(eligible: pl.DataFrame) -> None:
    offers = eligible["offer_extended"].fill_null(False).sum()
    accepted = eligible["offer_accepted"].fill_null(False).sum()
    assert offers / eligible.height == pytest.approx(0.67, abs=0.03)
    assert accepted / eligible.height == pytest.approx(0.53, abs=0.03)


def test_hourly_pay_of_paid_bachelors_and_cs_premium(frame: pl.DataFrame) -> None:
    usd_bachelor = frame.filter(pl.col("paid") & (pl.col("currency") == "USD")
                                & (pl.col("degree_level") == "bachelor"))
    assert usd_bachelor["hourly_pay"].mean() == pytest.approx(22.06, abs=1.5)
    cs = usd_bachelor.filter(pl.col("role_family").is_in(CS_LIKE))["hourly_pay"].mean()
    rest = usd_bachelor.filter(~pl.col("role_family").is_in(CS_LIKE))["hourly_pay"].mean()
    assert cs > rest + 2


def test_durations_schedules_and_flags(frame: pl.DataFrame) -> None:
    summer = frame.filter(pl.col("term_season") == "summer")
    assert 10 <= summer["duration_weeks"].median() <= 12
    semester_part_time = frame.filter(pl.col("term_season").is_in(["fall", "spring"])
                                      & (pl.col("hours_per_week") < 35))
    assert semester_part_time.height > 10_000
    assert 0 < (~frame["paid"]).sum() < frame.height * 0.4
    assert frame["academic_credit"].sum() > 1000
    assert frame["structured_training"].sum() > 1000


def test_spread_of_universities_employers_and_terms(frame: pl.DataFrame, eligible: pl.DataFrame) -> None:
    assert frame["university"].n_unique() >= 6
    assert frame["employer"].n_unique() >= 40
    small = eligible.group_by("employer").len().filter(pl.col("len") < 10)
    assert small.height >= 3
    assert frame["term_year"].min() == 2019 and frame["term_year"].max() == 2025


def test_outcomes_depend_on_the_inputs(eligible: pl.DataFrame) -> None:
    def conversion(df: pl.DataFrame) -> float:
        return float(df["offer_accepted"].fill_null(False).mean() or 0.0)

    assert conversion(eligible.filter(pl.col("paid"))) > conversion(eligible.filter(~pl.col("paid"))) + 0.05
    assert conversion(eligible.filter(pl.col("structured_training"))) > conversion(
        eligible.filter(~pl.col("structured_training"))) + 0.03


def test_generator_is_deterministic_and_chunk_independent(tmp_path: Path) -> None:
    a = sample.sample_frame(3000, seed=7)
    b = sample.sample_frame(3000, seed=7)
    assert a.equals(b)
    assert not a.equals(sample.sample_frame(3000, seed=8))


def test_accepted_offers_imply_offers_and_dates_are_ordered(frame: pl.DataFrame) -> None:
    assert frame.filter(pl.col("offer_accepted") & ~pl.col("offer_extended")).height == 0
    assert frame.filter(pl.col("end_date") < pl.col("start_date")).height == 0


def test_shipped_sample_is_the_generator_output_in_canonical_layout() -> None:
    shipped = pl.read_csv(Path(__file__).parent.parent / "data" / "sample" / "placements.csv",
                          infer_schema_length=0)
    assert shipped.columns == list(schema.INPUT_NAMES)
    assert shipped.height == 5000
