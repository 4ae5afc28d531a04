"""The outcome fields beyond the first wave (DESIGN.md): header synonyms, messy values, the
rules that reject a row (with its row, column, value and reason), round trips through both
stores, and the migration that gives an existing database the new columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from analytics import schema
from analytics.ingest import import_file, inspect_file
from analytics.ingest import values as V
from analytics.ingest.fields import parse_field
from analytics.store import SCHEMA_VERSION, Store
from tests.ingest.conftest import write

# A file as a career office might keep it: its own headers, its own ways of writing values.
HEADER = ("Company,Student,Returning,Offer made on,Respond by,Acceptance date,Accepted,Reneged,"
          "Date hired,Date left,Sign-on bonus,Source,Intern satisfaction,Supervisor evaluation,Sex,"
          "Race/Ethnicity,First gen")
MESSY = "\n".join([
    HEADER,
    'Acme,S1,yes,2024-08-20,09/03/2024,"Aug 30, 2024",yes,no,2025-07-01,,"$5,000",Student survey,'
    "4/5,Very satisfied,F,Hispanic or Latino,Y",
    "Acme,S2,No,15 Aug'24,2024-08-29,2024-08-29,yes,Reneged,,,,Employer,5,4 out of 5,M,White,n",
    "Beta,S3,1,2023-09-01,2023-09-10,2023-09-05,accepted,0,2024-06-03,2025-01-31,2500,LinkedIn,3,"
    "Neutral,Woman,Asian,true",
    "Beta,S4,,,,,,,,,,,,,,,",
]) + "\n"


def test_headers_people_write_map_to_the_new_fields(tmp_path: Path) -> None:
    inspection = inspect_file(write(tmp_path / "messy.csv", MESSY), "messy.csv")
    assert {column: field for column, field in inspection.mapping.columns.items() if field} == {
        "Company": "employer", "Student": "student_id", "Returning": "returning_intern",
        "Offer made on": "offer_date", "Respond by": "offer_deadline",
        "Acceptance date": "decision_date", "Accepted": "offer_accepted", "Reneged": "reneged",
        "Date hired": "hire_date", "Date left": "separation_date", "Sign-on bonus": "signing_bonus",
        "Source": "outcome_source", "Intern satisfaction": "intern_rating",
        "Supervisor evaluation": "supervisor_rating", "Sex": "gender",
        "Race/Ethnicity": "ethnicity", "First gen": "first_generation",
    }


def _rows(store: Store) -> dict[str, dict[str, object]]:
    names = ", ".join(schema.OUTCOME_FIELDS)
    frame = store.query(f"SELECT employer, offer_accepted, {names} FROM placements ORDER BY placement_id")
    by_key: dict[str, dict[str, object]] = {}
    for row in frame.iter_rows(named=True):
        # Rows told apart by values written into the file (the ids are pseudonyms).
        key = f"{row['employer']}:{row['signing_bonus'] or row['gender'] or '-'}"
        by_key[key] = row
    return by_key


def test_messy_values_are_stored_typed(store: Store, tmp_path: Path) -> None:
    report = import_file(store, write(tmp_path / "messy.csv", MESSY))
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (4, 4, 0), report.summary()
    rows = _rows(store)
    first = rows["Acme:5000.0"]
    assert first == {
        "employer": "Acme", "offer_accepted": True, "returning_intern": True,
        "offer_date": dt.date(2024, 8, 20), "offer_deadline": dt.date(2024, 9, 3),
        "decision_date": dt.date(2024, 8, 30), "reneged": False, "hire_date": dt.date(2025, 7, 1),
        "separation_date": None, "signing_bonus": 5000.0, "outcome_source": "student_survey",
        "intern_rating": 4, "supervisor_rating": 5, "gender": "F",
        "ethnicity": "Hispanic or Latino", "first_generation": True,
    }
    second = rows["Acme:M"]
    assert (second["returning_intern"], second["offer_date"], second["reneged"],
            second["outcome_source"], second["intern_rating"], second["supervisor_rating"],
            second["first_generation"]) == (False, dt.date(2024, 8, 15), True, "employer_report", 5, 4, False)
    third = rows["Beta:2500.0"]
    assert (third["returning_intern"], third["hire_date"], third["separation_date"],
            third["outcome_source"], third["intern_rating"], third["supervisor_rating"]) == (
        True, dt.date(2024, 6, 3), dt.date(2025, 1, 31), "third_party", 3, 3)
    blank = rows["Beta:-"]
    assert all(blank[name] is None for name in schema.OUTCOME_FIELDS)


# Each line breaks exactly one rule; the reason names what was expected.
BAD = [
    ("Acme,S1,,,,,,,,,,,6,,,,", "Intern satisfaction", "6", "not a rating from 1 to 5"),
    ("Acme,S1,,,,,,,,,,,4.5/5,,,,", "Intern satisfaction", "4.5/5", "not a rating from 1 to 5"),
    ("Acme,S1,,,,,,,,,,,,8/10,,,", "Supervisor evaluation", "8/10", "not a rating from 1 to 5"),
    ("Acme,S1,maybe,,,,,,,,,,,,,,", "Returning", "maybe", "not a yes/no value"),
    ("Acme,S1,,2024-13-45,,,,,,,,,,,,,", "Offer made on", "2024-13-45", "not a valid date"),
    ("Acme,S1,,,,,,,,,,carrier pigeon,,,,,", "Source", "carrier pigeon",
     "not a known outcome source (student_survey, employer_report, third_party, other)"),
    ("Acme,S1,,,,,,,,,-500,,,,,,", "Sign-on bonus", "-500", "signing bonus is negative"),
    ("Acme,S1,,2024-08-20,2024-08-10,,,,,,,,,,,,", "Respond by", "2024-08-10",
     "offer deadline is before the offer date"),
    ("Acme,S1,,2024-08-20,,2024-08-19,yes,,,,,,,,,,", "Acceptance date", "2024-08-19",
     "decision date is before the offer date"),
    ("Acme,S1,,,,,yes,,2025-07-01,2025-06-01,,,,,,,", "Date left", "2025-06-01",
     "separation date is before the hire date"),
    ("Acme,S1,,,,,yes,,,2025-06-01,,,,,,,", "Date left", "2025-06-01",
     "separation date without a hire date"),
    ("Acme,S1,,,,,no,yes,,,,,,,,,", "Reneged", "yes", "reneged, but the offer was not accepted"),
    ("Acme,S1,,,,,yes,yes,2025-07-01,,,,,,,,", "Reneged", "yes", "reneged, but has a hire date"),
    ("Acme,S1,,,,,no,,2025-07-01,,,,,,,,", "Date hired", "2025-07-01",
     "hire date given, but the offer was not accepted"),
]


@pytest.mark.parametrize(("line", "column", "value", "reason"), BAD, ids=[b[3][:40] for b in BAD])
def test_a_bad_value_rejects_the_row_naming_row_column_and_expectation(
        store: Store, tmp_path: Path, line: str, column: str, value: str, reason: str) -> None:
    good = "Beta,S9,,,,,,,,,,,,,,,"
    report = import_file(store, write(tmp_path / "bad.csv", f"{HEADER}\n{good}\n{line}\n"))
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    rejected = store.rows("SELECT row_number, column_name, value, reason FROM quarantine")
    assert len(rejected) == 1
    row_number, got_column, got_value, got_reason = rejected[0]
    assert (row_number, got_column, got_value) == (3, column, value)
    assert got_reason.startswith(reason)


@pytest.mark.parametrize(("text", "expected"), [
    ("4", 4), (" 4 ", 4), ("4.0", 4), ("4/5", 4), ("4 / 5", 4), ("4 out of 5", 4), ("5 stars", 5),
    ("1 star", 1), ("Very satisfied", 5), ("very_dissatisfied", 1), ("Neutral", 3),
    ("Strongly agree", 5), ("Disagree", 2), ("Excellent", 5), ("Poor", 1), ("N/A", None), ("", None),
])
def test_ratings_read_the_ways_people_write_them(text: str, expected: int | None) -> None:
    parsed = V.parse_rating(text)
    assert parsed.ok and parsed.value == expected


@pytest.mark.parametrize("text", ["0", "6", "10", "4.5", "8/10", "4/10", "great!", "-3", "3 of 4"])
def test_anything_else_is_not_a_rating(text: str) -> None:
    assert not V.parse_rating(text).ok


@pytest.mark.parametrize(("text", "expected"), [
    ("Reneged", True), ("renege", True), ("yes", True), ("Y", True), ("withdrew", True),
    ("no", False), ("kept", False), ("0", False), ("false", False),
])
def test_a_reneged_column_reads_reneged_as_yes(text: str, expected: bool) -> None:
    assert parse_field("reneged", text).value is expected
    # ... while elsewhere "reneged" says the offer was not kept.
    assert parse_field("offer_accepted", "reneged").value is False


@pytest.mark.parametrize(("text", "expected"), [
    ("Student survey", "student_survey"), ("self-reported", "student_survey"),
    ("EMPLOYER", "employer_report"), ("HR records", "employer_report"),
    ("LinkedIn", "third_party"), ("National Student Clearinghouse", "third_party"),
    ("third_party", "third_party"), ("Other", "other"),
])
def test_outcome_sources_and_their_synonyms(text: str, expected: str) -> None:
    assert parse_field("outcome_source", text).value == expected


def test_round_trip_through_each_store(new_store: Callable[[], Store], tmp_path: Path) -> None:
    store = new_store()
    store.migrate()
    report = import_file(store, write(tmp_path / "messy.csv", MESSY))
    assert report.rows_loaded == 4
    rows = _rows(store)
    assert rows["Acme:5000.0"]["decision_date"] == dt.date(2024, 8, 30)
    assert rows["Acme:M"]["reneged"] is True
    assert rows["Beta:2500.0"]["separation_date"] == dt.date(2025, 1, 31)


def test_an_existing_database_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    # A database as version 6 left it: the placements table without the new columns.
    old = Store(path)
    old.migrate()
    old.rows("INSERT INTO placements (placement_id, employer) VALUES ('p1', 'Acme')")
    for name in schema.OUTCOME_FIELDS:
        old.rows(f"ALTER TABLE placements DROP COLUMN {name}")
    old.rows("DELETE FROM schema_version WHERE version = 7")
    assert old.schema_version() == 6
    old.close()

    store = Store(path)
    assert store.migrate() == SCHEMA_VERSION == 7
    columns = {name: kind for name, kind in store.rows(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'placements'")}
    for name in schema.OUTCOME_FIELDS:
        assert columns[name] == schema.FIELD_BY_NAME[name].sql_type
    # The old row is kept, with the new fields unknown; a new file fills them.
    assert store.rows("SELECT employer, hire_date, intern_rating FROM placements") == [("Acme", None, None)]
    report = import_file(store, write(tmp_path / "messy.csv", MESSY))
    assert report.rows_loaded == 4
    assert store.scalar("SELECT count(*) FROM placements WHERE intern_rating IS NOT NULL") == 3
    store.close()
