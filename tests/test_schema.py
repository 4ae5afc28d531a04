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
    ("amount", "period", "hours", "weeks", "expected"),
    [
        (20.0, "hour", None, None, 20.0),
        (800.0, "week", 40.0, None, 20.0),
        (800.0, "week", None, None, 20.0),  # 40 hours assumed when unknown
        (3466.67, "month", 40.0, None, 3466.67 * 12 / 52 / 40),
        (41600.0, "year", None, None, 20.0),
        (4000.0, "total", 20.0, 10.0, 20.0),
        (4000.0, "total", 20.0, None, None),
    ],
)
def test_hourly_pay_sql_matches_hand_worked_values(amount, period, hours, weeks, expected) -> None:
    assert schema.hourly_equivalent(amount, period, hours, weeks) == (
        pytest.approx(expected) if expected is not None else None
    )
    row = duckdb.connect().execute(
        f"SELECT {schema.HOURLY_PAY_SQL} FROM (SELECT true AS paid, ?::DOUBLE AS pay_amount, "
        "?::VARCHAR AS pay_period, ?::DOUBLE AS hours_per_week, ?::DOUBLE AS duration_weeks)",
        [amount, period, hours, weeks],
    ).fetchall()[0][0]
    assert row == (pytest.approx(expected) if expected is not None else None)


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
        "'hour' AS pay_period, 40.0 AS hours_per_week, 10.0 AS duration_weeks)"
    ).fetchall()[0][0]
    assert row is None
