"""The canonical placement record: one row = one internship placement.

Everything that needs to know the shape of a placement (the store's DDL, the importer's header
mapping and parsers, the metrics, the sample generator) reads it from here, so the record is
defined once. See DESIGN.md, "Data contract".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

SqlType = Literal["VARCHAR", "BOOLEAN", "DOUBLE", "INTEGER", "DATE", "BIGINT", "TIMESTAMP"]


@dataclass(frozen=True)
class Field:
    name: str
    sql_type: SqlType
    description: str
    enum: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = field(default=())


DEGREE_LEVELS: Final = ("associate", "bachelor", "master", "doctoral", "other")
STUDENT_STATUSES: Final = ("student", "recent_graduate")
ROLE_FAMILIES: Final = (
    "software engineering",
    "data & analytics",
    "IT support & infrastructure",
    "cybersecurity",
    "networking",
    "QA & testing",
    "product & project management",
    "other",
)
WORK_MODES: Final = ("onsite", "hybrid", "remote")
TERM_SEASONS: Final = ("spring", "summer", "fall", "winter")
PAY_PERIODS: Final = ("hour", "week", "month", "year", "total")
STATUSES: Final = ("completed", "in_progress", "withdrawn")
SCHEDULES: Final = ("full_time", "part_time")
# Where an offer outcome came from (NACE first-destination sources, grouped).
OUTCOME_SOURCES: Final = ("student_survey", "employer_report", "third_party", "other")
# Evaluations of the internship are on a 1-5 scale (1 worst).
RATING_RANGE: Final = (1, 5)

FULL_TIME_HOURS: Final = 35.0
DEFAULT_HOURS_PER_WEEK: Final = 40.0
HOURS_PER_YEAR: Final = 2080.0

# Input fields: what a file in the canonical layout carries (and what uploads are mapped to).
INPUT_FIELDS: Final[tuple[Field, ...]] = (
    Field("placement_id", "VARCHAR", "Unique id; derived from a hash of the natural key when absent",
          synonyms=("id", "placement", "record id", "internship id", "application id")),
    Field("student_id", "VARCHAR", "Student identifier, pseudonymised at import with a keyed hash",
          synonyms=("student", "student number", "student no", "learner id", "emplid")),
    Field("university", "VARCHAR", "University or school",
          synonyms=("school", "college", "institution", "university name", "campus")),
    Field("program", "VARCHAR", "Programme of study / major",
          synonyms=("major", "programme", "course", "field of study", "discipline",
                    "specialisation", "specialization", "degree_t")),
    Field("degree_level", "VARCHAR", "Degree level", enum=DEGREE_LEVELS,
          synonyms=("degree", "level", "degree type", "education level", "qualification")),
    Field("student_status", "VARCHAR", "Student or recent graduate", enum=STUDENT_STATUSES,
          synonyms=("enrollment status", "enrolment status", "student type")),
    Field("final_year", "BOOLEAN", "Graduating within the next year (eligible for a full-time offer)",
          synonyms=("graduating", "final year student", "senior", "graduating senior")),
    Field("employer", "VARCHAR", "Employer name (required)",
          synonyms=("company", "company name", "organization", "organisation", "employer name",
                    "internship organization", "host organization", "firm", "business")),
    Field("employer_industry", "VARCHAR", "Employer industry",
          synonyms=("industry", "sector", "company industry")),
    Field("role", "VARCHAR", "Role or internship title",
          synonyms=("position", "job title", "title", "internship title", "internship name",
                    "internship", "position title", "job", "profile")),
    Field("role_family", "VARCHAR", "Role family", enum=ROLE_FAMILIES,
          synonyms=("job family", "role category", "function", "category")),
    Field("city", "VARCHAR", "City", synonyms=("town", "location city", "position city")),
    Field("region", "VARCHAR", "State / province / region",
          synonyms=("state", "province", "position state", "county")),
    Field("country", "VARCHAR", "Country", synonyms=("nation", "position country")),
    Field("work_mode", "VARCHAR", "Onsite, hybrid or remote", enum=WORK_MODES,
          synonyms=("mode", "work arrangement", "remote", "modality", "work type")),
    Field("term_season", "VARCHAR", "Season of the term", enum=TERM_SEASONS,
          synonyms=("season", "semester", "session")),
    Field("term_year", "INTEGER", "Year of the term",
          synonyms=("year", "academic year", "class of", "cohort", "grad year")),
    Field("start_date", "DATE", "Start date",
          synonyms=("start", "starts", "from", "begin date", "date started",
                    "start date of internship")),
    Field("end_date", "DATE", "End date",
          synonyms=("end", "ends", "to", "finish date", "date ended", "completion date")),
    Field("duration_weeks", "DOUBLE", "Duration in weeks",
          synonyms=("duration", "length", "weeks", "duration in weeks", "internship duration")),
    Field("hours_per_week", "DOUBLE", "Hours worked per week",
          synonyms=("hours", "weekly hours", "hours per week", "hrs per week")),
    Field("paid", "BOOLEAN", "Whether the internship was paid",
          synonyms=("is paid", "paid internship", "compensated")),
    Field("pay_amount", "DOUBLE", "Pay amount (lower end of a range)",
          synonyms=("pay", "stipend", "wage", "hourly pay", "pay rate", "compensation",
                    "salary amount", "rate", "amount")),
    Field("pay_amount_max", "DOUBLE", "Upper end of a pay range",
          synonyms=("max pay", "pay max", "stipend max")),
    Field("pay_period", "VARCHAR", "Period the pay amount is for", enum=PAY_PERIODS,
          synonyms=("per", "pay frequency", "pay unit", "period")),
    Field("currency", "VARCHAR", "ISO 4217 currency code",
          synonyms=("curr", "currency code", "ccy")),
    Field("academic_credit", "BOOLEAN", "Taken for academic credit",
          synonyms=("credit", "for credit", "credit bearing", "academic credits")),
    Field("structured_training", "BOOLEAN", "Included training or mentoring",
          synonyms=("training", "mentoring", "mentorship", "structured program")),
    Field("status", "VARCHAR", "Completed, in progress or withdrawn", enum=STATUSES,
          synonyms=("internship status", "completion status", "state of internship")),
    Field("offer_extended", "BOOLEAN", "A full-time (return) offer was made",
          synonyms=("offer", "offered", "return offer", "full time offer", "job offer",
                    "placed", "placement status")),
    Field("offer_accepted", "BOOLEAN", "The full-time offer was accepted",
          synonyms=("accepted", "offer accepted", "acceptance", "hired", "converted")),
    Field("continuing_education", "BOOLEAN", "Chose further study instead of work",
          synonyms=("cont edu", "further study", "grad school", "continuing ed")),
    Field("offer_salary", "DOUBLE", "Annual full-time salary offered",
          synonyms=("salary", "full time salary", "annual salary", "starting salary")),
    # -- outcome fields beyond the first wave (DESIGN.md); databases made before them gain them
    # as their last columns (store migration 7). All optional.
    Field("returning_intern", "BOOLEAN", "Had interned at this employer before",
          synonyms=("returning", "returning student", "return intern", "repeat intern",
                    "previous intern", "interned before", "prior intern", "returner")),
    Field("offer_date", "DATE", "Date the full-time offer was made",
          synonyms=("date of offer", "offer made", "offer made on", "offer made date",
                    "offer extended date", "date offered", "offer extended on")),
    Field("offer_deadline", "DATE", "Date by which the offer had to be answered",
          synonyms=("offer expiry", "offer expiry date", "offer expiration",
                    "offer expiration date", "decision deadline", "respond by",
                    "response deadline", "offer deadline date")),
    Field("decision_date", "DATE", "Date the intern answered the offer (accepted or declined)",
          synonyms=("date of decision", "response date", "offer response date", "decided on",
                    "offer decision date", "acceptance date", "date accepted", "answer date")),
    Field("reneged", "BOOLEAN", "Accepted the full-time offer, then withdrew before starting",
          synonyms=("renege", "reneged offer", "rescinded acceptance", "withdrew acceptance",
                    "backed out", "renege flag")),
    Field("hire_date", "DATE", "Full-time start date of a converted intern",
          synonyms=("date hired", "hired on", "date of hire", "employment start date",
                    "full time start date", "full-time start date")),
    Field("separation_date", "DATE", "Date a converted intern left the employer",
          synonyms=("separation", "termination date", "date left", "left on", "exit date",
                    "leaving date", "employment end date", "end of employment")),
    Field("signing_bonus", "DOUBLE", "Signing bonus with the offer (same currency as the pay)",
          synonyms=("sign on bonus", "sign-on bonus", "signing bonus amount", "joining bonus",
                    "bonus")),
    Field("outcome_source", "VARCHAR", "Where the offer outcome came from", enum=OUTCOME_SOURCES,
          synonyms=("source", "data source", "source of outcome", "knowledge source",
                    "information source", "reported by", "outcome reported by")),
    Field("intern_rating", "INTEGER", "The intern's 1-5 evaluation of the internship",
          synonyms=("intern evaluation", "student rating", "intern satisfaction", "satisfaction",
                    "student evaluation", "intern score", "rating", "student satisfaction")),
    Field("supervisor_rating", "INTEGER", "The supervisor's 1-5 evaluation of the intern",
          synonyms=("supervisor evaluation", "employer rating", "manager rating",
                    "supervisor score", "employer evaluation", "performance rating",
                    "mentor rating", "supervisor rating of intern")),
    Field("gender", "VARCHAR", "Gender, as reported (equity breakdowns only)",
          synonyms=("sex", "gender identity")),
    Field("ethnicity", "VARCHAR", "Race / ethnicity, as reported (equity breakdowns only)",
          synonyms=("race", "race ethnicity", "race/ethnicity", "ethnic group",
                    "ethnic background")),
    Field("first_generation", "BOOLEAN", "First in the family to attend college (equity only)",
          synonyms=("first gen", "first generation student", "first-generation", "firstgen",
                    "first generation college student", "first gen student")),
)
# The fields above added with migration 7, in the order they were added.
OUTCOME_FIELDS: Final = (
    "returning_intern", "offer_date", "offer_deadline", "decision_date", "reneged", "hire_date",
    "separation_date", "signing_bonus", "outcome_source", "intern_rating", "supervisor_rating",
    "gender", "ethnicity", "first_generation",
)

# Derived fields: computed at load time, from the input fields, by the SQL below.
DERIVED_FIELDS: Final[tuple[Field, ...]] = (
    Field("employer_key", "VARCHAR", "Employer name trimmed and case-folded, for grouping"),
    Field("term", "VARCHAR", "Term label such as 'Summer 2025'"),
    Field("schedule", "VARCHAR", "full_time when hours_per_week >= 35, else part_time",
          enum=SCHEDULES),
    Field("hourly_pay", "DOUBLE", "Pay normalised to an hourly equivalent (12twenty convention); "
          "a range uses its lower end (see PAY_RANGE_END)"),
    # (Databases made before it gain it as their last column, store migration 5; every insert
    # names its columns, so the position does not matter.)
    Field("pay_note", "VARCHAR", "How the hourly figure was made when the file gave no pay period: "
          "the period assumed and the rule, or why there is none"),
    Field("batch_id", "BIGINT", "The upload that brought the row in"),
)

FIELDS: Final[tuple[Field, ...]] = INPUT_FIELDS + DERIVED_FIELDS
FIELD_BY_NAME: Final[dict[str, Field]] = {f.name: f for f in FIELDS}
INPUT_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in INPUT_FIELDS)
REQUIRED: Final = ("employer",)

# The smallest cell released (k, DESIGN.md "Disclosure"): every metric's default, and the
# CLI's and the app's. Here, in the data contract's leaf module, so reading it imports nothing.
DEFAULT_MIN_CELL: Final = 10

# Fields a filter, a breakdown or a ranking may group by. Identifiers reach SQL only from here.
DIMENSIONS: Final[tuple[str, ...]] = (
    "term", "term_year", "term_season", "employer", "university", "role_family", "degree_level",
    "work_mode", "paid", "schedule", "academic_credit", "structured_training", "program",
    "country", "currency", "student_status",
)


def _hours(col: str = "hours_per_week") -> str:
    return f"coalesce(nullif({col}, 0), {DEFAULT_HOURS_PER_WEEK})"


# SQL expressions for the derived fields, over a relation holding the input fields.
EMPLOYER_KEY_SQL: Final = (
    "nullif(lower(regexp_replace(trim(employer), '[\\s\\x{00a0}]+', ' ', 'g')), '')"
)
TERM_SQL: Final = (
    "CASE WHEN term_season IS NOT NULL AND term_year IS NOT NULL "
    "THEN upper(term_season[1]) || term_season[2:] || ' ' || CAST(term_year AS VARCHAR) END"
)
SCHEDULE_SQL: Final = (
    f"CASE WHEN hours_per_week IS NULL THEN NULL "
    f"WHEN hours_per_week >= {FULL_TIME_HOURS} THEN 'full_time' ELSE 'part_time' END"
)
# -- pay: the hourly equivalent --------------------------------------------------------------
# A pay range (`5,000-10,000`) keeps both ends (pay_amount, pay_amount_max); its hourly figure
# uses the lower end, the amount the intern can count on. Stated once, here.
PAY_RANGE_END: Final = "lower"
# An hourly equivalent outside these bounds (in its own currency) is not a wage but a mistake:
# the importer rejects the row with the reason.
MIN_HOURLY_PAY: Final = 0.5
MAX_HOURLY_PAY: Final = 500.0
# A pay amount with no period is not hourly by default. The period is assumed only where the
# amount makes one period plausible, in currencies where an intern's hourly rate is tens of units
# (or when no currency is given): 5 to 100 reads only as an hourly rate (as a week, a month or a
# year it would be under 2.50 an hour), 15,000 to 250,000 only as a year's salary (as an hour, a
# week or a month it would be over 80 an hour). Anything else (2,000: a week? a month? a lump
# sum?) gets no hourly figure, and the note says why.
DOLLAR_LIKE_CURRENCIES: Final = ("USD", "GBP", "EUR", "CAD", "AUD", "NZD", "CHF", "SGD")
HOURLY_AMOUNTS: Final = (5.0, 100.0)
ANNUAL_AMOUNTS: Final = (15_000.0, 250_000.0)
NOTE_ASSUMED_HOUR: Final = ("period assumed: hour (no period given; 5 to 100 reads only as an "
                            "hourly rate)")
NOTE_ASSUMED_YEAR: Final = ("period assumed: year (no period given; 15,000 to 250,000 reads only "
                            "as an annual salary)")
NOTE_NO_PERIOD: Final = ("no hourly figure: no pay period given, and the amount could be per "
                         "week, per month or a lump sum")
NOTE_NO_PERIOD_CURRENCY: Final = ("no hourly figure: no pay period given, and periods are not "
                                  "guessed for amounts in this currency")
NOTE_NO_DURATION: Final = "no hourly figure: a lump sum needs the internship's length"


def _dollar_like(currency: str) -> str:
    listed = ", ".join(f"'{c}'" for c in DOLLAR_LIKE_CURRENCIES)
    return f"({currency} IS NULL OR {currency} IN ({listed}))"


def hourly_pay_sql(column: Callable[[str], str] = str) -> str:
    """SQL for the hourly equivalent; `column` renames the input fields (the importer's staged
    rows call them f_<field>). The last two branches are the assumed periods (see above)."""
    c = column
    hours = f"coalesce(nullif({c('hours_per_week')}, 0), {DEFAULT_HOURS_PER_WEEK})"
    period, amount = c("pay_period"), c("pay_amount")
    unknown = f"{period} IS NULL AND {_dollar_like(c('currency'))}"
    return (
        f"CASE WHEN {c('paid')} IS FALSE OR {amount} IS NULL THEN NULL "
        f"WHEN {period} = 'hour' THEN {amount} "
        f"WHEN {period} = 'week' THEN {amount} / {hours} "
        f"WHEN {period} = 'month' THEN {amount} * 12 / 52 / {hours} "
        f"WHEN {period} = 'year' THEN {amount} / {HOURS_PER_YEAR} "
        f"WHEN {period} = 'total' AND {c('duration_weeks')} > 0 "
        f"THEN {amount} / ({c('duration_weeks')} * {hours}) "
        f"WHEN {unknown} AND {amount} BETWEEN {HOURLY_AMOUNTS[0]} AND {HOURLY_AMOUNTS[1]} THEN {amount} "
        f"WHEN {unknown} AND {amount} BETWEEN {ANNUAL_AMOUNTS[0]} AND {ANNUAL_AMOUNTS[1]} "
        f"THEN {amount} / {HOURS_PER_YEAR} END"
    )


HOURLY_PAY_SQL: Final = hourly_pay_sql()
def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


PAY_NOTE_SQL: Final = (
    "CASE WHEN paid IS FALSE OR pay_amount IS NULL THEN NULL "
    f"WHEN pay_period = 'total' AND NOT coalesce(duration_weeks > 0, false) THEN {_text(NOTE_NO_DURATION)} "
    "WHEN pay_period IS NOT NULL THEN NULL "
    f"WHEN NOT {_dollar_like('currency')} THEN {_text(NOTE_NO_PERIOD_CURRENCY)} "
    f"WHEN pay_amount BETWEEN {HOURLY_AMOUNTS[0]} AND {HOURLY_AMOUNTS[1]} THEN {_text(NOTE_ASSUMED_HOUR)} "
    f"WHEN pay_amount BETWEEN {ANNUAL_AMOUNTS[0]} AND {ANNUAL_AMOUNTS[1]} THEN {_text(NOTE_ASSUMED_YEAR)} "
    f"ELSE {_text(NOTE_NO_PERIOD)} END"
)
DERIVED_SQL: Final[dict[str, str]] = {
    "employer_key": EMPLOYER_KEY_SQL,
    "term": TERM_SQL,
    "schedule": SCHEDULE_SQL,
    "hourly_pay": HOURLY_PAY_SQL,
    "pay_note": PAY_NOTE_SQL,
}


def assumed_period(amount: float | None, period: str | None, currency: str | None) -> str | None:
    """The period taken for an amount written without one (the rule above), or None."""
    if period is not None or amount is None:
        return None
    if currency is not None and currency not in DOLLAR_LIKE_CURRENCIES:
        return None
    if HOURLY_AMOUNTS[0] <= amount <= HOURLY_AMOUNTS[1]:
        return "hour"
    if ANNUAL_AMOUNTS[0] <= amount <= ANNUAL_AMOUNTS[1]:
        return "year"
    return None


def hourly_equivalent(
    amount: float,
    period: str | None,
    hours_per_week: float | None = None,
    duration_weeks: float | None = None,
    currency: str | None = None,
) -> float | None:
    """Python twin of HOURLY_PAY_SQL, used by the sample generator and as a test oracle."""
    hours = hours_per_week or DEFAULT_HOURS_PER_WEEK
    period = period or assumed_period(amount, period, currency)
    if period == "hour":
        return amount
    if period == "week":
        return amount / hours
    if period == "month":
        return amount * 12 / 52 / hours
    if period == "year":
        return amount / HOURS_PER_YEAR
    if period == "total" and duration_weeks:
        return amount / (duration_weeks * hours)
    return None


def placements_ddl(table: str = "placements") -> str:
    columns = ",\n  ".join(f"{f.name} {f.sql_type}" for f in FIELDS)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {columns}\n)"


def term_label(season: str, year: int) -> str:
    return f"{season.capitalize()} {year}"
