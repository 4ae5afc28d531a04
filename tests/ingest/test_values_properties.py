"""Property tests (hypothesis) for the value parsers.

1. The importer's SQL (the staging query of analytics.ingest.stage, run in DuckDB) gives the same
   answer as the pure-Python reference (analytics.ingest.values) for every generated string:
   realistic values (amounts with currencies, periods and ranges; dates in every format; yes/no
   words) and arbitrary text.
2. Round trips: a number, a duration or a date written the ways people write them parses back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.ingest import sqlvalues as S
from analytics.ingest import stage
from analytics.ingest import values as V
from analytics.ingest.fields import KIND, parse_field, parse_reason
from analytics.ingest.mapping import Mapping

KEY = b"k" * 32
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " ,.-/'$₹£€:;()+=@<>?#&_\t\u00a0’–é"
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


# -- strategies ------------------------------------------------------------------------------
free_text = st.text(alphabet=ALPHABET, max_size=24)
pad = st.sampled_from(["", " ", "  ", "\t", "\u00a0"])
case = st.sampled_from([str, str.lower, str.upper, str.title])


def _thousands(n: int) -> str:
    return f"{n:,}"


number_text = st.one_of(
    st.integers(0, 10**9).map(str),
    st.integers(0, 10**9).map(_thousands),
    st.decimals(0, 100_000, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.integers(0, 99).map(lambda n: f"{n},{n % 10}"),
)


@st.composite
def money_text(draw: st.DrawFn) -> str:
    currency = draw(st.sampled_from(["", "$", "₹ ", "£", "€", "Rs. ", "INR ", "USD ", "C$", "-"]))
    low = draw(number_text)
    k = draw(st.sampled_from(["", "", "k"]))
    separator = draw(st.sampled_from(["-", " - ", " to ", "–"]))
    upper = draw(st.one_of(st.just(""), number_text.map(lambda n: f"{separator}{n}")))
    period = draw(st.sampled_from(["", " /month", " /Month", " per hour", "/hr", " a week", " p.a.",
                                   " Lump-Sum", " per annum", " /month +  Incentives", " monthly"]))
    text = f"{currency}{low}{k}{upper}{period}"
    return draw(pad) + draw(case)(text) + draw(pad)


tokens = st.sampled_from(sorted(V.NULL_TOKENS | V.UNPAID_TOKENS | V.UNKNOWN_PAY_TOKENS
                                | V.DATE_UNKNOWN_TOKENS | V.TRUE_TOKENS | V.FALSE_TOKENS
                                | V.CONTINUING_TRUE_TOKENS | V.CONTINUING_FALSE_TOKENS
                                | V.RENEGED_TRUE_TOKENS | V.RENEGED_FALSE_TOKENS))
messy_money = st.one_of(money_text(), tokens.map(str.title), free_text)


@st.composite
def date_text(draw: st.DrawFn) -> str:
    day = draw(st.dates(dt.date(1900, 1, 1), dt.date(2150, 12, 31)))
    month = V.MONTH_NAMES[day.month - 1]
    form = draw(st.sampled_from([
        day.isoformat(), f"{day.month}/{day.day}/{day.year}", f"{day.day}/{day.month}/{day.year}",
        f"{day.day:02d}/{day.month:02d}/{day.year % 100:02d}", f"{day.day} {month[:3]}'{day.year % 100:02d}",
        f"{day.day} {month[:3]}' {day.year % 100:02d}", f"{month.title()} {day.day}, {day.year}",
        f"{day.day}-{month[:3]}-{day.year}", f"{day.year}{day.month:02d}",
        f"{day.day} {month[:3]} - {day.day} {V.MONTH_NAMES[day.month % 12][:3]}' {day.year % 100:02d}",
        f"{day.year}-{day.month:02d}-{day.day:02d} 10:30:00",
        f"{day.year}-{day.month:02d}-{(day.day + 27) % 40:02d}",
    ]))
    return draw(pad) + draw(case)(form) + draw(pad)


messy_date = st.one_of(date_text(), tokens.map(str.title), free_text,
                       st.from_regex(r"[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}", fullmatch=True))
duration_text = st.builds(
    lambda n, unit, p1, p2: f"{p1}{n}{unit}{p2}",
    st.one_of(st.integers(0, 400).map(str), st.decimals(0, 40, places=1).map(str)),
    st.sampled_from(["", " Months", "Months", " month", " Weeks", " week", " wks", " days", " Years",
                     " yr", "-3 months", " to 6 weeks", " m", " mos."]),
    pad, pad,
)
bool_text = st.one_of(tokens.flatmap(lambda t: case.map(lambda c: c(t))), free_text)
enum_text = st.one_of(
    st.sampled_from(sorted({k for syn in V.ENUM_SYNONYMS.values() for k in syn})).flatmap(
        lambda t: st.tuples(case, pad).map(
            lambda cp: cp[1] + cp[0](t).replace(" ", "_" if len(t) % 2 else " "))),
    free_text,
)
term_text = st.one_of(
    st.builds(lambda s, y, sep: f"{s}{sep}{y}",
              st.sampled_from(["Summer", "fall", "FA", "Spring", "SP", "winter", "Autumn", "monsoon"]),
              st.integers(1900, 2150), st.sampled_from([" ", "", "-", " '"])),
    st.from_regex(r"(19|20|21)[0-9]{2}(0[0-9]|1[0-9])", fullmatch=True),
    free_text,
)
year_text = st.one_of(st.integers(1800, 2200).map(str), st.integers(1900, 2100).map(lambda y: f"{y}.0"),
                      st.integers(1900, 2100).map(lambda y: f"Class of {y}"), free_text)
currency_text = st.one_of(st.sampled_from(["usd", "INR", "$", "₹", "rupees", "gbp", "EUR", "C$", "xyz",
                                           "US$"]),
                          free_text)
location_text = st.one_of(st.sampled_from(["Work From Home", " work  from home ", "WFH", "Remote", "Pune",
                                           "Homestead", "online", "Work_From_Home"]), free_text)
plain_text = st.one_of(free_text, st.sampled_from(["=SUM(A1)", "<b>x</b>", "-2+3", "@me", " N/A ", "Acme\x07",
                                                   "x" * 501, "AT&T", "Caf\u00e9\u0085"]))


# -- SQL versus the Python reference --------------------------------------------------------------
def sql_parse(con: duckdb.DuckDBPyConnection, field: str, texts: list[str],
              day_first: bool = False) -> dict[str, tuple[Any, bool]]:
    """Run the staging SQL for one column mapped to `field` over `texts`: (value, ok) per text."""
    con.execute("CREATE OR REPLACE TEMP TABLE src AS SELECT unnest($v::VARCHAR[]) AS c0", {"v": texts})
    mapping = Mapping(columns={"col": field}, date_order="day_first" if day_first else "month_first")
    plan = stage.build("SELECT c0 FROM src", {}, ["col"], mapping, KEY)
    kind = KIND[field]
    if kind == "text":
        value = f"tp_{field}" if field not in ("city", "region", "country") else f"p_{field}"
        reason = f"tp_{field}"
    elif kind in ("money", "amount", "salary"):
        value = f"m_{field}"
        reason = S.lit(parse_reason(field))
    else:
        value = f"p_{field}"
        reason = S.lit(parse_reason(field))
    flag = next(k for k, (label, _v, r) in enumerate(plan.rules) if label == "$h0" and r == reason)
    sql = f"SELECT c0, {value}, b{flag} FROM ({plan.inner})"
    rows = con.execute(sql, stage.bind(sql, plan.params)).fetchall()
    return {text: (result, not bad) for text, result, bad in rows}


def python_parse(field: str, text: str, day_first: bool = False) -> tuple[Any, bool]:
    parsed = parse_field(field, text, day_first=day_first)
    kind = KIND[field]
    if kind == "text":
        if field in ("city", "region", "country"):
            return parsed.value, parsed.ok
        return V.text_problem(V.clean(text)), parsed.ok
    if kind in ("money", "amount", "salary"):
        money = V.parse_money(text)
        if V.clean(text) is None:
            return None, True
        return {"paid": money.paid, "amount": money.amount, "amount_max": money.amount_max,
                "period": money.period, "currency": money.currency, "ok": money.ok}, money.ok
    return parsed.value, parsed.ok


def check(con: duckdb.DuckDBPyConnection, field: str, texts: list[str], day_first: bool = False) -> None:
    got = sql_parse(con, field, texts, day_first)
    for text in texts:
        assert got[text] == python_parse(field, text, day_first), (field, text)


@SETTINGS
@given(texts=st.lists(messy_money, min_size=1, max_size=30))
def test_money_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    check(con, "pay_amount", texts)


@SETTINGS
@given(texts=st.lists(messy_money, min_size=1, max_size=30))
def test_salary_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    got = sql_parse(con, "offer_salary", texts)
    for text in texts:  # the struct is the money parser's; the annual figure is checked below
        assert got[text][1] == V.parse_salary(text).ok, text


@SETTINGS
@given(texts=st.lists(messy_date, min_size=1, max_size=30), day_first=st.booleans())
def test_dates_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str], day_first: bool) -> None:
    check(con, "start_date", texts, day_first)


@SETTINGS
@given(texts=st.lists(st.one_of(duration_text, free_text), min_size=1, max_size=30))
def test_durations_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    check(con, "duration_weeks", texts)


@SETTINGS
@given(texts=st.lists(st.one_of(number_text, duration_text, free_text), min_size=1, max_size=30))
def test_numbers_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    check(con, "hours_per_week", texts)


rating_text = st.one_of(
    st.builds(lambda n, tail, p1, p2: f"{p1}{n}{tail}{p2}", st.integers(0, 12).map(str),
              st.sampled_from(["", ".0", "/5", " / 5", " out of 5", " of 5", "/10", " stars", " star",
                               ".5", "/5.0", "x"]), pad, pad),
    st.sampled_from(sorted(V.RATING_WORDS)).flatmap(lambda t: st.tuples(case, pad).map(
        lambda cp: cp[1] + cp[0](t).replace(" ", "_" if len(t) % 2 else " "))),
    free_text,
)


@SETTINGS
@given(texts=st.lists(rating_text, min_size=1, max_size=30),
       field=st.sampled_from(["intern_rating", "supervisor_rating"]))
def test_ratings_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str], field: str) -> None:
    check(con, field, texts)


@SETTINGS
@given(texts=st.lists(bool_text, min_size=1, max_size=30),
       field=st.sampled_from(["paid", "offer_accepted", "continuing_education", "reneged",
                              "returning_intern", "first_generation"]))
def test_booleans_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str], field: str) -> None:
    check(con, field, texts)


@SETTINGS
@given(texts=st.lists(enum_text, min_size=1, max_size=30),
       field=st.sampled_from(["degree_level", "student_status", "role_family", "work_mode", "pay_period",
                              "status", "outcome_source"]))
def test_enums_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str], field: str) -> None:
    check(con, field, texts)


@SETTINGS
@given(texts=st.lists(term_text, min_size=1, max_size=30))
def test_terms_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    check(con, "term_season", texts)


@SETTINGS
@given(texts=st.lists(year_text, min_size=1, max_size=30))
def test_years_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    check(con, "term_year", texts)


@SETTINGS
@given(texts=st.lists(currency_text, min_size=1, max_size=30))
def test_currencies_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    check(con, "currency", texts)


@SETTINGS
@given(texts=st.lists(st.one_of(location_text, plain_text), min_size=1, max_size=30))
def test_text_and_locations_sql_matches_python(con: duckdb.DuckDBPyConnection, texts: list[str]) -> None:
    check(con, "employer", texts)
    check(con, "city", texts)


# -- round trips ---------------------------------------------------------------------------------
@given(n=st.integers(0, 10**8),
       symbol=st.sampled_from([("$", "USD"), ("₹ ", "INR"), ("£", "GBP"), ("", None)]),
       period=st.sampled_from([(" /month", "month"), (" per hour", "hour"), ("", None),
                               (" Lump-Sum", "total")]),
       grouped=st.booleans())
def test_an_amount_written_any_way_reads_back(n: int, symbol: tuple[str, str | None],
                                              period: tuple[str, str | None], grouped: bool) -> None:
    written = f"{symbol[0]}{n:,}{period[0]}" if grouped else f"{symbol[0]}{n}{period[0]}"
    money = V.parse_money(written)
    assert (money.amount, money.currency, money.period, money.paid) == (float(n), symbol[1], period[1], n > 0)


@given(low=st.integers(1, 10**6), extra=st.integers(0, 10**6),
       separator=st.sampled_from(["-", " - ", " to ", "–"]))
def test_a_range_keeps_both_ends(low: int, extra: int, separator: str) -> None:
    money = V.parse_money(f"₹ {low:,}{separator}{low + extra:,} /month")
    assert (money.amount, money.amount_max, money.period, money.currency) == \
        (float(low), float(low + extra), "month", "INR")


@given(n=st.integers(0, 104), unit=st.sampled_from([("Weeks", 1.0), ("Months", 52 / 12), ("Years", 52.0)]),
       space=st.sampled_from(["", " "]))
def test_a_duration_reads_back_in_weeks(n: int, unit: tuple[str, float], space: str) -> None:
    assert V.parse_duration_weeks(f"{n}{space}{unit[0]}").value == pytest.approx(n * unit[1])


@given(day=st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31)))
def test_a_date_reads_back_from_every_format(day: dt.date) -> None:
    month = V.MONTH_NAMES[day.month - 1]
    assert V.parse_date(day.isoformat()).value == day
    assert V.parse_date(f"{day.month}/{day.day}/{day.year}").value == day
    assert V.parse_date(f"{day.day}/{day.month}/{day.year}", day_first=True).value == day
    assert V.parse_date(f"{month.title()} {day.day}, {day.year}").value == day
    if 2000 <= day.year <= 2069:  # two-digit years read as 20xx up to 69
        assert V.parse_date(f"{day.day} {month[:3].title()}'{day.year % 100:02d}").value == day
        assert V.parse_date(f" {day.day} {month[:3].title()}' {day.year % 100:02d} ").value == day


@given(text=st.text(max_size=40))
def test_clean_never_leaves_padding_or_a_nothing_token(text: str) -> None:
    value = V.clean(text)
    if value is not None:
        assert value == value.strip(V.TRIM_CHARS) and value != ""
        assert value.lower() not in V.NULL_TOKENS


@given(text=st.text(max_size=40))
def test_parsers_never_raise(text: str) -> None:
    for field in KIND:
        parse_field(field, text)
