"""The value parsers on the values people actually write (each answer worked out by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.ingest import values as V
from analytics.ingest.fields import parse_field


@pytest.mark.parametrize(("text", "expected"), [
    ("$15.00", V.Money(True, 15.0, None, None, "USD")),
    ('"$45,000"', V.Money(True, 45000.0, None, None, "USD")),
    ("₹ 5,000-10,000 /month", V.Money(True, 5000.0, 10000.0, "month", "INR")),
    ("15000 /Month", V.Money(True, 15000.0, None, "month", None)),
    ("4000 Lump-Sum", V.Money(True, 4000.0, None, "total", None)),
    ("₹ 30,000 /month +  Incentives", V.Money(True, 30000.0, None, "month", "INR")),
    ("Unpaid", V.Money(False)),
    ("Performance Based", V.Money()),
    ("Not provided", V.Money()),
    ("$15-$20/hr", V.Money(True, 15.0, 20.0, "hour", "USD")),
    ("£12.50 per hour", V.Money(True, 12.5, None, "hour", "GBP")),
    ("Rs. 8000 per month", V.Money(True, 8000.0, None, "month", "INR")),
    ("45k", V.Money(True, 45000.0)),
    ("1,00,000 p.a.", V.Money(True, 100000.0, None, "year", None)),
    ("20,5", V.Money(True, 20.5)),
    ("0", V.Money(False, 0.0)),
    ("-500", V.Money(False, -500.0)),
    ("$-15.50", V.Money(False, -15.5, None, None, "USD")),
    ("co-op 5,000", V.Money(True, 5000.0)),
    ("free pizza", V.Money(ok=False)),
    ("9999999999", V.Money(ok=False)),
    ("  ", V.Money()),
])
def test_money(text: str, expected: V.Money) -> None:
    assert V.parse_money(text) == expected


@pytest.mark.parametrize(("text", "weeks"), [
    ("3 Months", 13.0), ("6Months", 26.0), ("2 Weeks", 2.0), ("1 Week", 1.0), ("16 weeks", 16.0),
    (" 1 Month ", 52 / 12), ("2-3 months", 2 * 52 / 12), ("10", 10.0), ("90 days", 90 / 7),
    ("1 year", 52.0), ("Not Provided", None),
])
def test_durations(text: str, weeks: float | None) -> None:
    parsed = V.parse_duration_weeks(text)
    assert parsed.ok and parsed.value == (pytest.approx(weeks) if weeks is not None else None)


def test_a_duration_that_says_nothing_is_an_error() -> None:
    assert V.parse_duration_weeks("a while") == V.Parsed(None, False)


@pytest.mark.parametrize(("text", "expected"), [
    ("2021-06-05", dt.date(2021, 6, 5)),
    ("2021-06-05 00:00:00", dt.date(2021, 6, 5)),
    ("5/18/2021", dt.date(2021, 5, 18)),
    ("18/05/2021", dt.date(2021, 5, 18)),  # 18 cannot be a month
    ("7 Jun'18", dt.date(2018, 6, 7)),
    (" 15 Jun' 21 ", dt.date(2021, 6, 15)),
    ("June 7, 2018", dt.date(2018, 6, 7)),
    ("Sept 3, 2020", dt.date(2020, 9, 3)),
    ("7-jun-2018", dt.date(2018, 6, 7)),
    (" 5 Jun - 4 Jul' 21 ", dt.date(2021, 6, 5)),  # starts within that window: its first day
    ("20 Dec - 5 Jan' 22", dt.date(2021, 12, 20)),  # the window runs over new year
    ("202310", dt.date(2023, 10, 1)),
    ("Immediately", None),
    ("Not specified", None),
])
def test_dates(text: str, expected: dt.date | None) -> None:
    assert V.parse_date(text) == V.Parsed(expected, True)


@pytest.mark.parametrize("text", ["2021-02-30", "31/04/2021", "2021-13-01", "1850-06-01", "yesterday",
                                  "13/13/2021"])
def test_impossible_dates_are_errors(text: str) -> None:
    assert V.parse_date(text) == V.Parsed(None, False)


def test_ambiguous_numeric_dates_follow_the_columns_order() -> None:
    assert V.parse_date("05/06/2021").value == dt.date(2021, 5, 6)
    assert V.parse_date("05/06/2021", day_first=True).value == dt.date(2021, 6, 5)
    assert V.parse_date("5/18/2021", day_first=True).value == dt.date(2021, 5, 18)  # 18 is the day


@pytest.mark.parametrize(("text", "field", "expected"), [
    ("yes", "paid", True), ("N", "paid", False), ("TRUE", "paid", True), ("0", "paid", False),
    ("placed", "offer_extended", True), ("Not Placed", "offer_extended", False),
    ("accepted", "offer_accepted", True), ("declined", "offer_accepted", False),
    ("Continuing Education", "continuing_education", True), ("Full-Time", "continuing_education", False),
    ("", "paid", None),
])
def test_booleans(text: str, field: str, expected: bool | None) -> None:
    assert V.parse_bool(text, field) == V.Parsed(expected, True)


def test_an_outcome_word_is_only_a_boolean_for_continuing_education() -> None:
    assert V.parse_bool("Continuing Education", "paid") == V.Parsed(None, False)
    assert V.parse_bool("maybe", "paid") == V.Parsed(None, False)


@pytest.mark.parametrize(("text", "field", "expected"), [
    ("Bachelor's", "degree_level", "bachelor"), ("MS", "degree_level", "master"),
    ("Ph.D.", "degree_level", "doctoral"), ("Work From Home", "work_mode", "remote"),
    ("On-site", "work_mode", "onsite"), ("in_progress", "status", "in_progress"),
    ("Ongoing", "status", "in_progress"), ("Lump Sum", "pay_period", "total"),
    ("IT Support & Infrastructure", "role_family", "IT support & infrastructure"),
    ("recent graduate", "student_status", "recent_graduate"),
])
def test_enums(text: str, field: str, expected: str) -> None:
    assert V.parse_enum(text, field) == V.Parsed(expected, True)


def test_every_canonical_enum_value_reads_as_itself() -> None:
    from analytics import schema

    for spec in schema.INPUT_FIELDS:
        for value in spec.enum:
            if spec.name != "term_season":
                assert V.parse_enum(value, spec.name) == V.Parsed(value, True), (spec.name, value)


@pytest.mark.parametrize(("text", "season", "year"), [
    ("Summer 2025", "summer", 2025), ("FA23", "fall", None), ("202310", "fall", 2023),
    ("Spring", "spring", None), ("autumn 2019", "fall", 2019),
])
def test_terms(text: str, season: str, year: int | None) -> None:
    assert V.parse_term_season(text) == V.Parsed(season, True)
    assert V.year_in_text(text) == year


def test_years() -> None:
    assert V.parse_year("2021").value == 2021
    assert V.parse_year("2021.0").value == 2021
    assert V.parse_year("Class of 2019").value == 2019
    assert V.parse_year("1850") == V.Parsed(None, False)


def test_salary_is_annual_and_zero_means_none() -> None:
    assert V.parse_salary("$45,000").value == 45000.0
    assert V.parse_salary("4,000 /month").value == 48000.0
    assert V.parse_salary("0") == V.Parsed(None, True)


def test_whitespace_and_nothing_recorded() -> None:
    assert V.clean("\t Acme \u00a0") == "Acme"
    assert V.clean("N/A") is None and V.clean(" - ") is None and V.clean("") is None


@pytest.mark.parametrize(("text", "problem"), [
    # Real names are data: stored as written (exports defang formulas, pages render text as text).
    ("@Home Networks", None), ("-Minus Co", None), ("+Plus Inc", None), ("=Ideas Ltd", None),
    ("<b>Bold</b> Corp", None), ('=HYPERLINK("http://x","y")', None), ("<script>alert(1)</script>", None),
    # What cannot be a name: control characters (binary junk), and absurd lengths.
    ("a\x00b", "contains control characters"), ("Acme\x1b[31m", "contains control characters"),
    ("x" * 501, "longer than 500 characters"),
    ("AT&T", None), ("3 < 4 Analytics", None), ("Robert'); DROP TABLE placements;--", None),
])
def test_text_problems(text: str, problem: str | None) -> None:
    assert V.text_problem(text) == problem


def test_work_from_home_is_no_city_but_remote() -> None:
    assert parse_field("city", "Work From Home") == V.Parsed(None, True)
    assert V.is_remote_location(" work  from home ")
    assert not V.is_remote_location("Homestead")
