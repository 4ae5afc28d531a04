"""How each canonical field is parsed: its kind, its Python parser and its rejection reason."""

from __future__ import annotations

from typing import Any, Final, Literal

from analytics import schema
from analytics.ingest import values as V

Kind = Literal["text", "enum", "season", "year", "date", "duration", "number", "bool", "money",
               "amount", "salary", "currency", "rating"]

KIND: Final[dict[str, Kind]] = {
    "placement_id": "text", "student_id": "text", "university": "text", "program": "text",
    "degree_level": "enum", "student_status": "enum", "final_year": "bool", "employer": "text",
    "employer_industry": "text", "role": "text", "role_family": "enum", "city": "text",
    "region": "text", "country": "text", "work_mode": "enum", "term_season": "season",
    "term_year": "year", "start_date": "date", "end_date": "date", "duration_weeks": "duration",
    "hours_per_week": "number", "paid": "bool", "pay_amount": "money", "pay_amount_max": "amount",
    "pay_period": "enum", "currency": "currency", "academic_credit": "bool",
    "structured_training": "bool", "status": "enum", "offer_extended": "bool",
    "offer_accepted": "bool", "continuing_education": "bool", "offer_salary": "salary",
    "returning_intern": "bool", "offer_date": "date", "offer_deadline": "date",
    "decision_date": "date", "reneged": "bool", "hire_date": "date", "separation_date": "date",
    "signing_bonus": "amount", "outcome_source": "enum", "intern_rating": "rating",
    "supervisor_rating": "rating", "gender": "text", "ethnicity": "text",
    "first_generation": "bool",
}
assert set(KIND) == set(schema.INPUT_NAMES), "every input field needs a parser"

LOCATION_FIELDS: Final = ("city", "region", "country")

# The reason a value that does not parse is rejected with, per kind.
PARSE_REASON: Final[dict[Kind, str]] = {
    "enum": "not a known value",  # replaced per field below
    "season": "not a known term season (spring, summer, fall, winter)",
    "year": f"not a year between {V.MIN_YEAR} and {V.MAX_YEAR}",
    "date": "not a valid date",
    "duration": "not a recognisable duration",
    "number": "not a number",
    "bool": "not a yes/no value",
    "money": "not a recognisable amount",
    "amount": "not a recognisable amount",
    "salary": "not a recognisable amount",
    "currency": "not a currency code",
    "rating": "not a rating from 1 to 5 (such as 4, 4/5 or Very satisfied)",
}


def label(field_name: str) -> str:
    return field_name.replace("_", " ")


def parse_reason(field_name: str) -> str:
    kind = KIND[field_name]
    if kind == "enum":
        allowed = ", ".join(schema.FIELD_BY_NAME[field_name].enum)
        return f"not a known {label(field_name)} ({allowed})"
    return PARSE_REASON[kind]


def parse_field(field_name: str, text: str | None, *, day_first: bool = False) -> V.Parsed[Any]:
    """Parse one cell as this field (the Python reference of the SQL the importer runs)."""
    kind = KIND[field_name]
    if kind == "text":
        value = V.clean(text)
        if field_name in LOCATION_FIELDS and V.is_remote_location(value):
            return V.Parsed(None)
        return V.Parsed(value, V.text_problem(value) is None)
    if kind == "enum":
        return V.parse_enum(text, field_name)
    if kind == "season":
        return V.parse_term_season(text)
    if kind == "year":
        return V.parse_year(text)
    if kind == "date":
        return V.parse_date(text, day_first=day_first)
    if kind == "duration":
        return V.parse_duration_weeks(text)
    if kind == "number":
        return V.parse_number(text)
    if kind == "bool":
        return V.parse_bool(text, field_name)
    if kind in ("money", "amount"):
        money = V.parse_money(text)
        return V.Parsed(money.amount if kind == "amount" else money, money.ok)
    if kind == "salary":
        return V.parse_salary(text)
    if kind == "rating":
        return V.parse_rating(text)
    return V.parse_currency(text)
