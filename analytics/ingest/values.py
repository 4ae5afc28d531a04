"""Messy values, parsed: the pure-Python reference of every value parser the importer uses.

The importer runs these rules as SQL inside DuckDB (`analytics.ingest.sqlvalues`), so a million
rows cost no Python loop; this module is the readable statement of the same rules. The two are
kept identical by property tests (tests/ingest/test_values_properties.py) that feed both the same
generated strings. So the regular expressions below are shared by both and stick to the syntax
Python's `re` and DuckDB's RE2 read the same way: explicit ASCII classes (`[0-9]`, `[ ]`), no
look-around, no `\\b`, no `\\d` (Python's `\\d` also matches non-ASCII digits).

Every parser returns `Parsed(value, ok)`: `ok` is False when the text is present but not
understood (the row is then rejected with a reason); a value that means "unknown" (blank,
`Not provided`, `Immediately`, ...) parses to `None` with `ok` True.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from analytics import schema

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    value: T | None
    ok: bool = True


# -- cleaning ---------------------------------------------------------------------------------
# Trimmed from both ends of every value: spaces, tabs, line breaks, no-break and thin spaces, BOM.
TRIM_CHARS: Final = " \t\r\n\u00a0\u2007\u202f\ufeff"
# Values that mean "nothing recorded" in any column.
NULL_TOKENS: Final = frozenset({
    "na", "n/a", "n.a.", "#n/a", "null", "none", "nil", "nan", "-", "--", "---", "?",
    "not provided", "not specified", "not available", "not applicable", "not disclosed",
    "unknown", "tbd", "tba", "to be decided", "to be announced",
})
# Start dates such as "Immediately" say when, not which day: unknown as a date.
DATE_UNKNOWN_TOKENS: Final = frozenset({
    "immediately", "immediate", "asap", "as soon as possible", "flexible", "anytime", "any time",
    "rolling", "ongoing",
})


def clean(text: str | None) -> str | None:
    """Trim whitespace; blank and "nothing recorded" tokens become None."""
    if text is None:
        return None
    value = text.strip(TRIM_CHARS)
    if value == "" or value.lower() in NULL_TOKENS:
        return None
    return value


# -- text checks --------------------------------------------------------------------------------
MAX_TEXT_LENGTH: Final = 500
# Control characters (and, through them, binary junk) cannot be part of a name. Everything else
# is data: `@Home Networks`, `-Minus Co`, `=Ideas Ltd` and `<b>Bold</b> Corp` are stored as
# written. The risks such text carries are handled where they bite: exports defang cells a
# spreadsheet would run as formulas (analytics.export, rejected_csv) and pages render text as text.
CONTROL_RE: Final = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"


def text_problem(value: str | None) -> str | None:
    """Why a cleaned text value cannot be stored, or None when it is fine."""
    import re

    if value is None:
        return None
    if len(value) > MAX_TEXT_LENGTH:
        return f"longer than {MAX_TEXT_LENGTH} characters"
    if re.search(CONTROL_RE, value):
        return "contains control characters"
    return None


# -- numbers ----------------------------------------------------------------------------------
# A number as people write it: digits with optional thousands commas and a decimal part.
NUMBER_RE: Final = r"[0-9][0-9,]{0,14}(?:[.][0-9]{1,6})?"
PLAIN_NUMBER_RE: Final = r"[0-9]{1,15}(?:[.][0-9]{1,6})?"
MAX_AMOUNT: Final = 1e9


# `20,5` (one or two digits after the only comma) is a decimal comma, as in semicolon-separated
# European files; any other comma groups thousands (`5,000`, Indian `1,00,000`).
DECIMAL_COMMA_RE: Final = "[0-9]+,[0-9]{1,2}"


def to_number(token: str) -> float:
    import re

    if re.fullmatch(DECIMAL_COMMA_RE, token):
        return float(token.replace(",", "."))
    return float(token.replace(",", ""))


def parse_number(text: str | None) -> Parsed[float]:
    """The first number in the text (`40`, `40 hrs`, `1,200.5`); negatives keep their sign."""
    import re

    value = clean(text)
    if value is None:
        return Parsed(None)
    low = value.lower()
    match = re.search(f"(-?)[ ]*({NUMBER_RE})", low)
    if not match:
        return Parsed(None, False)
    number = to_number(match.group(2))
    return Parsed(-number if match.group(1) else number)


# -- money -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Money:
    paid: bool | None = None
    amount: float | None = None
    amount_max: float | None = None
    period: str | None = None
    currency: str | None = None
    ok: bool = True


UNPAID_TOKENS: Final = frozenset({
    "unpaid", "not paid", "no pay", "no stipend", "volunteer", "voluntary", "unpaid internship",
    "no",
})
UNKNOWN_PAY_TOKENS: Final = frozenset({
    "performance based", "performance-based", "negotiable", "competitive", "doe",
    "depends on experience", "as per company norms", "variable",
})
# Checked in order; the first pattern found names the currency.
CURRENCY_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    ("us[$]|usd", "USD"),
    ("ca[$]|c[$]|cad", "CAD"),
    ("au[$]|a[$]|aud", "AUD"),
    ("₹|inr|rupee|(^|[^a-z])rs[.]?([^a-z]|$)", "INR"),
    ("£|gbp", "GBP"),
    ("€|eur", "EUR"),
    ("[$]", "USD"),
)
# Checked in order; the first pattern found names the period the amount is for.
PERIOD_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    ("lump[ -]?sum|one[ -]?time|in total|total", "total"),
    ("hour|(/|per|an|a)[ ]*hr|hourly|/[ ]*h([^a-z]|$)", "hour"),
    ("week|/[ ]*wk", "week"),
    ("month|/[ ]*mo([^a-z]|$)|(^|[^a-z])p[.]?m[.]?([^a-z]|$)", "month"),
    ("year|annum|annual|/[ ]*yr|(^|[^a-z])p[.]?a[.]?([^a-z]|$)", "year"),
)
# The amount: a range `5,000-10,000` (the upper end may repeat the currency) or one number;
# `k` after a number means thousands.
AMOUNT_RE: Final = (
    f"[^0-9]{{0,6}}({NUMBER_RE})[ ]*(k?)"
    f"([ ]*(?:-|–|—|to)[ ]*[^0-9 ]{{0,4}}[ ]*({NUMBER_RE})[ ]*(k?))?"
)
# A minus before the first digit, perhaps after a currency (`-500`, `$-15.50`, `rs. -200`).
NEGATIVE_RE: Final = "^[^0-9]{0,6}-[ ]*[0-9]"


def _amount(token: str, thousands: str) -> float:
    return to_number(token) * (1000.0 if thousands == "k" else 1.0)


def detect_currency(low: str) -> str | None:
    import re

    for pattern, code in CURRENCY_PATTERNS:
        if re.search(pattern, low):
            return code
    return None


def detect_period(low: str) -> str | None:
    import re

    for pattern, period in PERIOD_PATTERNS:
        if re.search(pattern, low):
            return period
    return None


def parse_money(text: str | None) -> Money:
    """`$15.00`, `"$45,000"`, `₹ 5,000-10,000 /month`, `4000 Lump-Sum`, `Unpaid`, ..."""
    import re

    value = clean(text)
    if value is None:
        return Money()
    low = value.lower()
    if low in UNPAID_TOKENS:
        return Money(paid=False)
    if low in UNKNOWN_PAY_TOKENS:
        return Money()
    match = re.search(AMOUNT_RE, low)
    if not match:
        return Money(ok=False)
    sign = -1.0 if re.search(NEGATIVE_RE, low) else 1.0
    amount = sign * _amount(match.group(1), match.group(2))
    amount_max = _amount(match.group(4), match.group(5)) if match.group(3) else None
    if abs(amount) > MAX_AMOUNT or (amount_max is not None and amount_max > MAX_AMOUNT):
        return Money(ok=False)
    return Money(
        paid=amount > 0 or (amount_max is not None and amount_max > 0),
        amount=amount,
        amount_max=amount_max,
        period=detect_period(low),
        currency=detect_currency(low),
    )


ANNUAL_FACTOR: Final = {"hour": schema.HOURS_PER_YEAR, "week": 52.0, "month": 12.0}


def parse_salary(text: str | None) -> Parsed[float]:
    """An annual salary: `$45,000`, `270000`, `4,000 /month` (x 12). Zero means none offered."""
    money = parse_money(text)
    if not money.ok:
        return Parsed(None, False)
    if money.amount is None or money.amount == 0:
        return Parsed(None)
    factor = ANNUAL_FACTOR.get(money.period or "", 1.0)
    return Parsed(money.amount * factor)


# -- durations ---------------------------------------------------------------------------------
DURATION_RE: Final = (
    f"^({PLAIN_NUMBER_RE})[ ]*(?:(?:-|to)[ ]*{PLAIN_NUMBER_RE})?[ ]*"
    "(days?|d|weeks?|wks?|w|months?|mos?|m|years?|yrs?|y)?[.]?$"
)
WEEKS_PER_UNIT: Final = {"d": 1.0 / 7.0, "w": 1.0, "m": 52.0 / 12.0, "y": 52.0}


def parse_duration_weeks(text: str | None) -> Parsed[float]:
    """`3 Months` -> 13.0, `6Months` -> 26.0, `2 Weeks` -> 2.0, `16` -> 16.0 (weeks); a range keeps
    its lower end."""
    import re

    value = clean(text)
    if value is None:
        return Parsed(None)
    match = re.search(DURATION_RE, value.lower())
    if not match:
        return Parsed(None, False)
    number = float(match.group(1))
    unit = (match.group(2) or "w")[0]
    if unit == "d":
        return Parsed(number / 7.0)
    if unit == "m":
        return Parsed(number * 52.0 / 12.0)
    if unit == "y":
        return Parsed(number * 52.0)
    return Parsed(number)


# -- dates -------------------------------------------------------------------------------------
MONTHS: Final = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH_NAMES: Final = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)
MIN_YEAR, MAX_YEAR = 1950, 2100
MONTH_WORD: Final = "([a-z]{3,9})[.]?"
YEAR_2_OR_4: Final = "([0-9]{4}|[0-9]{2})"
DATE_ISO_RE: Final = "^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})([t ][0-9:.]*z?)?$"
DATE_NUMERIC_RE: Final = "^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]" + YEAR_2_OR_4 + "$"
DATE_DAY_MONTH_RE: Final = (
    "^([0-9]{1,2})(st|nd|rd|th)?[ -]*" + MONTH_WORD + "[ ,'’-]*" + YEAR_2_OR_4 + "$"
)
DATE_MONTH_DAY_RE: Final = (
    "^" + MONTH_WORD + "[ ]+([0-9]{1,2})(st|nd|rd|th)?[ ,]+([0-9]{4})$"
)
# Internshala's "starts between" window: `5 Jun - 4 Jul' 21`; the start is the first day.
DATE_WINDOW_RE: Final = (
    "^([0-9]{1,2})[ ]*" + MONTH_WORD + "[ ]*(?:-|–|to)[ ]*[0-9]{1,2}[ ]*" + MONTH_WORD
    + "[ ,'’-]*" + YEAR_2_OR_4 + "$"
)
DATE_YEAR_MONTH_RE: Final = "^([0-9]{4})[-/]?([0-9]{2})$"


def month_number(word: str) -> int | None:
    """`jun`, `june`, `sept` -> the month number; anything else None."""
    if len(word) < 3:
        return None
    try:
        index = MONTHS.index(word[:3])
    except ValueError:
        return None
    if MONTH_NAMES[index].startswith(word) or word == "sept":
        return index + 1
    return None


def full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2000 + year if year <= 69 else 1900 + year
    return year


def make_date(year: int, month: int | None, day: int) -> dt.date | None:
    if month is None or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str | None, *, day_first: bool = False) -> Parsed[dt.date]:
    """ISO, `5/18/2021` (month first unless the day is > 12 or day_first), `7 Jun'18`,
    `15 Jun' 21`, `June 7, 2018`, `202310` (October 2023); `Immediately` is unknown."""
    import re

    value = clean(text)
    if value is None:
        return Parsed(None)
    low = value.lower()
    if low in DATE_UNKNOWN_TOKENS:
        return Parsed(None)
    date: dt.date | None = None
    if m := re.search(DATE_ISO_RE, low):
        date = make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif m := re.search(DATE_NUMERIC_RE, low):
        first, second, year = int(m.group(1)), int(m.group(2)), full_year(m.group(3))
        if first > 12 or (day_first and second <= 12):
            date = make_date(year, second, first)
        else:
            date = make_date(year, first, second)
    elif m := re.search(DATE_DAY_MONTH_RE, low):
        date = make_date(full_year(m.group(4)), month_number(m.group(3)), int(m.group(1)))
    elif m := re.search(DATE_MONTH_DAY_RE, low):
        date = make_date(int(m.group(4)), month_number(m.group(1)), int(m.group(2)))
    elif m := re.search(DATE_WINDOW_RE, low):
        start_month, end_month = month_number(m.group(2)), month_number(m.group(3))
        year = full_year(m.group(4))
        # A window running over new year (`20 Dec - 5 Jan' 22`) starts the year before.
        if start_month is not None and end_month is not None and start_month > end_month:
            year -= 1
        date = make_date(year, start_month, int(m.group(1)))
    elif m := re.search(DATE_YEAR_MONTH_RE, low):
        date = make_date(int(m.group(1)), int(m.group(2)), 1)
    return Parsed(date, date is not None)


# -- booleans ----------------------------------------------------------------------------------
TRUE_TOKENS: Final = frozenset({
    "true", "t", "yes", "y", "1", "1.0", "x", "✓", "✔", "placed", "accepted", "offered",
    "offer", "hired", "converted", "paid", "received", "done", "checked",
})
FALSE_TOKENS: Final = frozenset({
    "false", "f", "no", "n", "0", "0.0", "not placed", "unplaced", "declined", "rejected",
    "reneged", "not accepted", "not offered", "no offer", "not hired", "unpaid", "not received",
    "unchecked",
})
# An outcome column ("Full-Time", "Continuing Education", ...) mapped to continuing_education.
CONTINUING_TRUE_TOKENS: Final = frozenset({
    "continuing education", "further study", "further studies", "grad school", "graduate school",
    "higher studies", "higher education",
})
CONTINUING_FALSE_TOKENS: Final = frozenset({
    "full-time", "full time", "part-time", "part time", "employed", "employment", "internship",
    "fellowship", "military", "service", "volunteer", "volunteering", "still seeking",
    "seeking employment", "not seeking", "entrepreneur", "self-employed",
})


# A reneged column says "reneged" for yes (elsewhere "reneged" means the offer was not kept, a
# no), and words for a kept acceptance for no.
RENEGED_TRUE_TOKENS: Final = frozenset({"reneged", "renege", "withdrew", "backed out"})
RENEGED_FALSE_TOKENS: Final = frozenset({"kept", "honored", "honoured", "started", "joined"})


def bool_tokens(field: str) -> tuple[frozenset[str], frozenset[str]]:
    if field == "continuing_education":
        return TRUE_TOKENS | CONTINUING_TRUE_TOKENS, FALSE_TOKENS | CONTINUING_FALSE_TOKENS
    if field == "reneged":
        return (TRUE_TOKENS | RENEGED_TRUE_TOKENS,
                (FALSE_TOKENS - RENEGED_TRUE_TOKENS) | RENEGED_FALSE_TOKENS)
    return TRUE_TOKENS, FALSE_TOKENS


def parse_bool(text: str | None, field: str = "") -> Parsed[bool]:
    """yes/no, y/n, true/false, 1/0, placed/not placed, accepted/declined, ..."""
    value = clean(text)
    if value is None:
        return Parsed(None)
    low = value.lower()
    true_tokens, false_tokens = bool_tokens(field)
    if low in true_tokens:
        return Parsed(True)
    if low in false_tokens:
        return Parsed(False)
    return Parsed(None, False)


# -- enumerations ------------------------------------------------------------------------------
# How people write each canonical enum value; keys are lower-cased with `_` and `-` as spaces.
ENUM_SYNONYMS: Final[dict[str, dict[str, str]]] = {
    "degree_level": {
        "associate": "associate", "associates": "associate", "associate's": "associate",
        "associate degree": "associate", "aa": "associate", "as": "associate", "aas": "associate",
        "bachelor": "bachelor", "bachelors": "bachelor", "bachelor's": "bachelor",
        "bachelor degree": "bachelor", "undergraduate": "bachelor", "undergrad": "bachelor",
        "ug": "bachelor", "ba": "bachelor", "bs": "bachelor", "bsc": "bachelor", "b.s.": "bachelor",
        "b.a.": "bachelor", "b.sc": "bachelor", "btech": "bachelor", "b.tech": "bachelor",
        "be": "bachelor", "b.e.": "bachelor", "bca": "bachelor", "bba": "bachelor",
        "master": "master", "masters": "master", "master's": "master", "master degree": "master",
        "graduate": "master", "postgraduate": "master", "pg": "master", "ms": "master",
        "m.s.": "master", "ma": "master", "m.a.": "master", "msc": "master", "m.sc": "master",
        "mba": "master", "mtech": "master", "m.tech": "master", "me": "master", "mca": "master",
        "doctoral": "doctoral", "doctorate": "doctoral", "phd": "doctoral", "ph.d.": "doctoral",
        "ph.d": "doctoral", "dphil": "doctoral", "other": "other", "certificate": "other",
        "diploma": "other", "non degree": "other", "non-degree": "other",
    },
    "student_status": {
        "student": "student", "current student": "student", "enrolled": "student",
        "continuing": "student", "recent graduate": "recent_graduate",
        "recent_graduate": "recent_graduate", "graduate": "recent_graduate",
        "graduated": "recent_graduate", "alumni": "recent_graduate", "alumnus": "recent_graduate",
        "alumna": "recent_graduate", "new grad": "recent_graduate",
    },
    "role_family": {
        **{family.lower(): family for family in schema.ROLE_FAMILIES},
        "software": "software engineering", "software development": "software engineering",
        "engineering": "software engineering", "swe": "software engineering",
        "data": "data & analytics", "data and analytics": "data & analytics",
        "analytics": "data & analytics", "data science": "data & analytics",
        "it support": "IT support & infrastructure", "infrastructure": "IT support & infrastructure",
        "it": "IT support & infrastructure", "security": "cybersecurity",
        "cyber security": "cybersecurity", "qa": "QA & testing", "testing": "QA & testing",
        "qa and testing": "QA & testing", "product": "product & project management",
        "project management": "product & project management",
        "product management": "product & project management",
        "product and project management": "product & project management",
    },
    "work_mode": {
        "onsite": "onsite", "on site": "onsite", "on-site": "onsite", "in person": "onsite",
        "in-person": "onsite", "in office": "onsite", "office": "onsite", "in-office": "onsite",
        "hybrid": "hybrid", "remote": "remote", "work from home": "remote", "wfh": "remote",
        "virtual": "remote", "online": "remote", "telecommute": "remote", "home": "remote",
        "work from anywhere": "remote", "fully remote": "remote",
    },
    "pay_period": {
        "hour": "hour", "hourly": "hour", "per hour": "hour", "hr": "hour", "/hr": "hour",
        "week": "week", "weekly": "week", "per week": "week", "month": "month",
        "monthly": "month", "per month": "month", "/month": "month", "year": "year",
        "yearly": "year", "annual": "year", "annually": "year", "per year": "year",
        "per annum": "year", "salary": "year", "total": "total", "lump sum": "total",
        "lump-sum": "total", "lumpsum": "total", "one time": "total", "one-time": "total",
        "stipend": "total",
    },
    "outcome_source": {
        "student survey": "student_survey", "survey": "student_survey",
        "student": "student_survey", "self report": "student_survey",
        "self reported": "student_survey", "student self report": "student_survey",
        "self-report": "student_survey", "self-reported": "student_survey",
        "student reported": "student_survey", "first destination survey": "student_survey",
        "employer report": "employer_report", "employer": "employer_report",
        "employer reported": "employer_report", "employer survey": "employer_report",
        "hr": "employer_report", "hr records": "employer_report",
        "third party": "third_party", "third-party": "third_party", "3rd party": "third_party",
        "linkedin": "third_party",
        "social media": "third_party", "faculty": "third_party", "faculty staff": "third_party",
        "faculty/staff": "third_party", "national student clearinghouse": "third_party",
        "clearinghouse": "third_party", "public records": "third_party", "other": "other",
    },
    "status": {
        "completed": "completed", "complete": "completed", "finished": "completed",
        "done": "completed", "in progress": "in_progress", "in_progress": "in_progress",
        "ongoing": "in_progress", "current": "in_progress", "active": "in_progress",
        "started": "in_progress", "withdrawn": "withdrawn", "withdrew": "withdrawn",
        "terminated": "withdrawn", "cancelled": "withdrawn", "canceled": "withdrawn",
        "dropped": "withdrawn", "left early": "withdrawn", "did not complete": "withdrawn",
    },
}
# Locations that say "remote" rather than naming a place (`Work From Home`).
MAX_REMOTE_LENGTH: Final = 40
REMOTE_LOCATIONS: Final = frozenset({
    "work from home", "wfh", "remote", "virtual", "online", "anywhere", "work from anywhere",
    "home", "remote (work from home)",
})


def enum_key(value: str) -> str:
    """Lower-cased, `_` as space, runs of spaces as one: the lookup key for ENUM_SYNONYMS."""
    import re

    return re.sub("[ ]+", " ", value.lower().replace("_", " ")).strip(" ")


def parse_enum(text: str | None, field: str) -> Parsed[str]:
    value = clean(text)
    if value is None:
        return Parsed(None)
    key = enum_key(value)
    synonyms = ENUM_SYNONYMS[field]
    found = synonyms.get(key)
    return Parsed(found, found is not None)


# -- ratings ----------------------------------------------------------------------------------
# `4`, `4.0`, `4/5`, `4 out of 5`, `4 stars`; the number must be a whole 1 to 5 (a 10-point
# score is not silently rescaled).
RATING_RE: Final = (
    "^([0-9]{1,3})(?:[.]0{1,3})?[ ]*(?:(?:/|out of|of)[ ]*5(?:[.]0{1,3})?)?[ ]*(?:stars?)?$"
)
# The usual five-point scales, worded (satisfaction, agreement, quality); keys as enum_key.
RATING_WORDS: Final[dict[str, int]] = {
    "very dissatisfied": 1, "dissatisfied": 2, "neutral": 3,
    "neither satisfied nor dissatisfied": 3, "satisfied": 4, "very satisfied": 5,
    "strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3, "agree": 4,
    "strongly agree": 5,
    "poor": 1, "fair": 2, "good": 3, "very good": 4, "excellent": 5,
}


def parse_rating(text: str | None) -> Parsed[int]:
    """`4`, `4/5`, `4 out of 5`, `Very satisfied` -> 1..5; anything else is not a rating."""
    import re

    value = clean(text)
    if value is None:
        return Parsed(None)
    key = enum_key(value)
    if key in RATING_WORDS:
        return Parsed(RATING_WORDS[key])
    m = re.search(RATING_RE, key)
    if not m:
        return Parsed(None, False)
    number = int(m.group(1))
    low, high = schema.RATING_RANGE
    return Parsed(number, True) if low <= number <= high else Parsed(None, False)


# -- terms -------------------------------------------------------------------------------------
SEASON_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    ("spring|(^|[^a-z])sp([^a-z]|$)", "spring"),
    ("summer|(^|[^a-z])su([^a-z]|$)", "summer"),
    ("fall|autumn|(^|[^a-z])fa([^a-z]|$)", "fall"),
    ("winter|(^|[^a-z])wi([^a-z]|$)", "winter"),
)
YEAR_IN_TEXT_RE: Final = "(^|[^0-9])((19|20)[0-9]{2})([^0-9]|$)"
TERM_CODE_RE: Final = "^([0-9]{4})([0-9]{2})$"


def season_of_month(month: int) -> str:
    """When an internship starting in this month runs: Jan-Apr spring, May-Jul summer,
    Aug-Nov fall, Dec winter."""
    if month <= 4:
        return "spring"
    if month <= 7:
        return "summer"
    if month <= 11:
        return "fall"
    return "winter"


def parse_term_season(text: str | None) -> Parsed[str]:
    """`Summer`, `Summer 2025`, `FA23`, `202310` (a year-month code: October -> fall)."""
    import re

    value = clean(text)
    if value is None:
        return Parsed(None)
    low = value.lower()
    if m := re.search(TERM_CODE_RE, low):
        month = int(m.group(2))
        return Parsed(season_of_month(month), True) if 1 <= month <= 12 else Parsed(None, False)
    for pattern, season in SEASON_PATTERNS:
        if re.search(pattern, low):
            return Parsed(season)
    return Parsed(None, False)


def year_in_text(text: str | None) -> int | None:
    """A four-digit year (1900-2099) written inside a term label such as `Summer 2025`."""
    import re

    value = clean(text)
    if value is None:
        return None
    if m := re.search(TERM_CODE_RE, value):
        return int(m.group(1))
    m = re.search(YEAR_IN_TEXT_RE, value)
    return int(m.group(2)) if m else None


def parse_year(text: str | None) -> Parsed[int]:
    """`2021`, `2021.0`, `Class of 2021`; outside 1950-2100 is not a year."""
    value = clean(text)
    if value is None:
        return Parsed(None)
    year = year_in_text(value)
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        return Parsed(None, False)
    return Parsed(year)


# -- currency ----------------------------------------------------------------------------------
CURRENCY_CODE_RE: Final = "^[a-z]{3}$"
COMMON_CURRENCIES: Final = ("USD", "INR", "GBP", "EUR", "CAD", "AUD")


def parse_currency(text: str | None) -> Parsed[str]:
    """An ISO 4217 code (`usd`, `INR`) or a symbol / name (`$`, `₹`, `rupees`)."""
    import re

    value = clean(text)
    if value is None:
        return Parsed(None)
    low = value.lower()
    found = detect_currency(low)
    if found is None and re.search(CURRENCY_CODE_RE, low):
        found = low.upper()
    return Parsed(found, found is not None)


# -- locations ---------------------------------------------------------------------------------
def is_remote_location(text: str | None) -> bool:
    value = clean(text)
    return (
        value is not None and len(value) <= MAX_REMOTE_LENGTH and enum_key(value) in REMOTE_LOCATIONS
    )
