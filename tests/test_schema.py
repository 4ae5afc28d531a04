from __future__ import annotations

import duckdb
import pytest

from analytics import schema


def test_required_field_is_employer_and_every_name_is_unique() -> None:
    names = [f.name for f in schema.FIELDS]
    assert len(names) == len(set(names))
    assert schema.REQUIRED == ("employer",)
    assert "batch_id" in names and "hourly_pay" in names


def test_enums_match_the_data_contract() -> None:
    assert schema.FIELD_BY_NAME["work_mode"].enum == ("onsite", "hybrid", "remote")
    assert schema.FIELD_BY_NAME["pay_period"].enum == ("hour", "week", "month", "year", "total")
    assert "software engineering" in schema.FIELD_BY_NAME["role_family"].enum


def test_synonyms_are_unambiguous() -> None:
    seen: dict[str, str] = {}
    for field in schema.INPUT_FIELDS:
        for synonym in (field.name, *field.synonyms):
            key = synonym.lower()
            assert key not in seen or seen[key] == field.name, f"{synonym} maps to two fields"
            seen[key] = field.name


# Hourly equivalents worked out by hand with the 12twenty convention.
@pytest.mark.parametrize(
    ("amount", "period", "hours", "weeks", "currency", "expected"),
    [
        (20.0, "hour", None, None, "USD", 20.0),
        (800.0, "week", 40.0, None, "USD", 20.0),
        (800.0, "week", None, None, "USD", 20.0),  # 40 hours assumed when unknown
        (3466.67, "month", 40.0, None, "USD", 3466.67 * 12 / 52 / 40),
        (41600.0, "year", None, None, "USD", 20.0),
        (4000.0, "total", 20.0, 10.0, "USD", 20.0),
        (4000.0, "total", 20.0, None, "USD", None),
        # No period: not hourly by default. 45,000 reads only as a year (as a month it would be
        # 259.62 an hour, as a week 1,125); 2,000 could be a week (50/h), a month (11.54/h) or a
        # lump sum: no figure. 20 reads only as an hour (as a week it would be 0.50/h).
        (45000.0, None, None, None, "USD", 45000.0 / 2080),
        (2000.0, None, None, None, None, None),
        (20.0, None, None, None, None, 20.0),
        (5.0, None, None, None, "GBP", 5.0),
        (100.01, None, None, None, "USD", None),
        (15000.0, None, None, None, None, 15000.0 / 2080),
        (250001.0, None, None, None, "USD", None),
        # Rupee amounts without a period are not guessed (a 9,000 stipend is usually monthly).
        (9000.0, None, None, None, "INR", None),
        (50.0, None, None, None, "INR", None),
    ],
)
def test_hourly_pay_sql_matches_hand_worked_values(amount, period, hours, weeks, currency, expected) -> None:
    assert schema.hourly_equivalent(amount, period, hours, weeks, currency) == (
        pytest.approx(expected) if expected is not None else None
    )
    row = duckdb.connect().execute(
        f"SELECT {schema.HOURLY_PAY_SQL} FROM (SELECT true AS paid, ?::DOUBLE AS pay_amount, "
        "?::VARCHAR AS pay_period, ?::DOUBLE AS hours_per_week, ?::DOUBLE AS duration_weeks, "
        "?::VARCHAR AS currency)",
        [amount, period, hours, weeks, currency],
    ).fetchall()[0][0]
    assert row == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("amount", "period", "weeks", "currency", "note"),
    [
        (20.0, "hour", None, "USD", None),
        (45000.0, None, None, "USD", schema.NOTE_ASSUMED_YEAR),
        (20.0, None, None, None, schema.NOTE_ASSUMED_HOUR),
        (2000.0, None, None, "USD", schema.NOTE_NO_PERIOD),
        (9000.0, None, None, "INR", schema.NOTE_NO_PERIOD_CURRENCY),
        (4000.0, "total", None, "USD", schema.NOTE_NO_DURATION),
        (4000.0, "total", 10.0, "USD", None),
    ],
)
def test_the_pay_note_says_what_was_assumed_or_why_there_is_no_figure(amount, period, weeks, currency,
                                                                     note) -> None:
    row = duckdb.connect().execute(
        f"SELECT {schema.PAY_NOTE_SQL} FROM (SELECT true AS paid, ?::DOUBLE AS pay_amount, "
        "?::VARCHAR AS pay_period, ?::DOUBLE AS duration_weeks, ?::VARCHAR AS currency)",
        [amount, period, weeks, currency],
    ).fetchall()[0][0]
    assert row == note
    # The note and the figure agree: "period assumed" exactly when a figure exists with no period.
    hourly = schema.hourly_equivalent(amount, period, None, weeks, currency)
    assert (note is not None and note.startswith("period assumed")) == (period is None and hourly is not None)


def test_a_pay_range_uses_its_lower_end() -> None:
    assert schema.PAY_RANGE_END == "lower"
    row = duckdb.connect().execute(
        f"SELECT {schema.HOURLY_PAY_SQL} FROM (SELECT true AS paid, 20.0 AS pay_amount, "
        "30.0 AS pay_amount_max, 'hour' AS pay_period, 40.0 AS hours_per_week, "
        "NULL::DOUBLE AS duration_weeks, 'USD' AS currency)"
    ).fetchall()[0][0]
    assert row == 20.0


def test_derived_term_schedule_and_employer_key() -> None:
    row = duckdb.connect().execute(
        f"SELECT {schema.TERM_SQL}, {schema.SCHEDULE_SQL}, {schema.EMPLOYER_KEY_SQL} FROM (SELECT "
        "'summer' AS term_season, 2025 AS term_year, 20.0 AS hours_per_week, "
        "'  Acme \tCorp  ' AS employer)"
    ).fetchall()[0]
    assert row == ("Summer 2025", "part_time", "acme corp")


def test_unpaid_has_no_hourly_pay() -> None:
    row = duckdb.connect().execute(
        f"SELECT {schema.HOURLY_PAY_SQL} FROM (SELECT false AS paid, 0.0 AS pay_amount, "
        "'hour' AS pay_period, 40.0 AS hours_per_week, 10.0 AS duration_weeks, 'USD' AS currency)"
    ).fetchall()[0][0]
    assert row is None
