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


# -- the outcome fields beyond the first wave (NACE figures in data/benchmarks.csv) -------------
def _rates(df: pl.DataFrame) -> tuple[float, float]:
    offers = float(df["offer_extended"].fill_null(False).sum())
    return offers / df.height, float(df["offer_accepted"].fill_null(False).sum()) / offers


def test_returning_interns_are_offered_and_accept_far_more(eligible: pl.DataFrame) -> None:
    returning_offer, returning_accept = _rates(eligible.filter(pl.col("returning_intern")))
    first_offer, _ = _rates(eligible.filter(~pl.col("returning_intern")))
    assert returning_offer == pytest.approx(0.90, abs=0.04)
    assert returning_accept == pytest.approx(0.90, abs=0.04)
    assert first_offer == pytest.approx(0.435, abs=0.04)


def test_in_person_interns_are_offered_and_convert_more_than_hybrid(eligible: pl.DataFrame) -> None:
    def offer_and_conversion(mode: str) -> tuple[float, float]:
        group = eligible.filter(pl.col("work_mode") == mode)
        offer, acceptance = _rates(group)
        return offer, offer * acceptance

    onsite, hybrid = offer_and_conversion("onsite"), offer_and_conversion("hybrid")
    assert onsite[0] == pytest.approx(0.719, abs=0.04) and onsite[1] == pytest.approx(0.585, abs=0.05)
    assert hybrid[0] == pytest.approx(0.562, abs=0.04) and hybrid[1] == pytest.approx(0.46, abs=0.04)


def test_hiring_timeline_and_reneges(frame: pl.DataFrame) -> None:
    days = frame.select(
        to_offer=(pl.col("offer_date") - pl.col("end_date")).dt.total_days(),
        to_deadline=(pl.col("offer_deadline") - pl.col("offer_date")).dt.total_days(),
        to_decision=(pl.col("decision_date") - pl.col("offer_date")).dt.total_days(),
    )
    assert 21 <= days["to_offer"].median() <= 29  # NACE 2023: about 25 days to an offer
    assert 8 <= days["to_decision"].median() <= 14  # and about 11 to accept
    exploding = (days["to_deadline"].drop_nulls() < 14).mean()
    assert 0.1 <= exploding <= 0.3
    accepted = frame.filter(pl.col("offer_accepted"))
    assert 0.01 <= accepted["reneged"].mean() <= 0.06  # a few percent renege
    # Only offers have a timeline; a renege has no hire; nothing is dated after the data date.
    assert frame.filter(pl.col("offer_date").is_not_null() & ~pl.col("offer_extended")).height == 0
    assert frame.filter(pl.col("reneged") & pl.col("hire_date").is_not_null()).height == 0
    as_of = sample.SAMPLE_AS_OF.astype(object)
    for column in ("offer_date", "decision_date", "hire_date", "separation_date"):
        assert frame[column].max() <= as_of


def test_converted_hires_stay_about_as_long_as_nace_reports(frame: pl.DataFrame) -> None:
    # Hires with a full year of follow-up: the share still there a year on (no censoring).
    as_of = sample.SAMPLE_AS_OF.astype(object)
    hires = frame.filter(pl.col("hire_date").is_not_null()
                         & ((pl.lit(as_of) - pl.col("hire_date")).dt.total_days() >= 366))
    left = ((pl.col("separation_date") - pl.col("hire_date")).dt.total_days() < 365).fill_null(False)
    stayed = 1.0 - hires.select(left.mean()).item()
    assert stayed == pytest.approx(0.70, abs=0.05)  # NACE: 71.4% of own interns (2019)
    trained = hires.filter(pl.col("structured_training")).select(left.mean()).item()
    untrained = hires.filter(~pl.col("structured_training")).select(left.mean()).item()
    assert untrained > trained + 0.03


def test_evaluations_equity_fields_and_sources(frame: pl.DataFrame) -> None:
    ratings = frame["intern_rating"].drop_nulls()
    assert set(ratings.unique()) <= {1, 2, 3, 4, 5} and ratings.len() > 30_000
    trained = frame.filter(pl.col("structured_training"))["intern_rating"].mean()
    untrained = frame.filter(~pl.col("structured_training"))["intern_rating"].mean()
    assert trained > untrained + 0.2  # type: ignore[operator]
    # One student, one gender, ethnicity and first-generation status across placements.
    per_student = frame.group_by("student_id").agg(
        pl.col("gender").n_unique(), pl.col("ethnicity").n_unique(), pl.col("first_generation").n_unique())
    assert per_student.select(pl.max_horizontal("gender", "ethnicity", "first_generation").max()).item() == 1
    assert set(frame["outcome_source"].drop_nulls().unique()) == set(schema.OUTCOME_SOURCES)
