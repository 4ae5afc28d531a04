"""The value parsers of `analytics.ingest.values`, as DuckDB SQL expressions.

Each function takes the SQL text of an input expression (a column of the staging query, never
user text) and returns the SQL text of the parsed value. The patterns, token lists and
arithmetic are those of `values`, so both give the same answer for every string; property tests
hold them to it. Every expression starts with a cheap fast path for values already in canonical
form (a plain number, an ISO date, a canonical enum value), so a clean million-row file mostly
skips the regular expressions.

Constants from `values` are written into the SQL as quoted literals (they are code, not data);
everything that comes from a user's file or choices is bound as a parameter by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from analytics.ingest import values as V
from analytics.schema import RATING_RANGE, TERM_SEASONS


def lit(text: str) -> str:
    """A SQL string literal for a constant defined in this package."""
    return "'" + text.replace("'", "''") + "'"


def is_in(x: str, tokens: Iterable[str]) -> str:
    """`x` is one of the tokens. Not `x IN (...)`: DuckDB plans a long IN list as a join that
    runs on every row, even inside a CASE branch no row takes."""
    items = sorted(set(tokens))
    if len(items) <= 12 and x.isidentifier():
        return "(" + " OR ".join(f"{x} = {lit(t)}" for t in items) + ")"
    return f"list_contains([{', '.join(lit(t) for t in items)}], {x})"


def struct(**fields: str) -> str:
    return "{" + ", ".join(f"{lit(name)}: {sql}" for name, sql in fields.items()) + "}"


# -- cleaning -----------------------------------------------------------------------------------
def trimmed(x: str) -> str:
    return f"nullif(trim({x}, {lit(V.TRIM_CHARS)}), '')"


def clean(t: str) -> str:
    """Over an already trimmed value: "nothing recorded" tokens become NULL."""
    longest = max(len(token) for token in V.NULL_TOKENS)
    return (
        f"CASE WHEN length({t}) <= {longest} AND {is_in(f'lower({t})', V.NULL_TOKENS)} "
        f"THEN NULL ELSE {t} END"
    )


def text_problem(v: str) -> str:
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN length({v}) > {V.MAX_TEXT_LENGTH} "
        f"THEN {lit(f'longer than {V.MAX_TEXT_LENGTH} characters')} "
        f"WHEN regexp_matches({v}, {lit(V.CONTROL_RE)}) THEN 'contains control characters' "
        "END"
    )


# -- numbers ------------------------------------------------------------------------------------
def to_number(token: str) -> str:
    # TRY_CAST: a CASE may evaluate this on rows whose pattern did not match (empty token).
    return (f"CASE WHEN regexp_full_match({token}, {lit(V.DECIMAL_COMMA_RE)}) "
            f"THEN TRY_CAST(replace({token}, ',', '.') AS DOUBLE) "
            f"ELSE TRY_CAST(replace({token}, ',', '') AS DOUBLE) END")


_FAST_NUMBER = lit(V.PLAIN_NUMBER_RE)


def number(v: str) -> str:
    pattern = lit(f"(-?)[ ]*({V.NUMBER_RE})")
    m = f"regexp_extract(lower({v}), {pattern}, ['sign', 'num'])"
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN regexp_full_match({v}, {_FAST_NUMBER}) THEN CAST({v} AS DOUBLE) "
        f"WHEN {m}.num = '' THEN NULL "
        f"ELSE CASE WHEN {m}.sign <> '' THEN -1.0 ELSE 1.0 END * {to_number(f'{m}.num')} END"
    )


# -- money --------------------------------------------------------------------------------------
_FAST_AMOUNT = lit("[0-9]{1,9}(?:[.][0-9]{1,6})?")
_NO_MONEY = struct(paid="NULL::BOOLEAN", amount="NULL::DOUBLE", amount_max="NULL::DOUBLE",
                   period="NULL::VARCHAR", currency="NULL::VARCHAR", ok="true")


def _first_match(low: str, patterns: tuple[tuple[str, str], ...]) -> str:
    whens = " ".join(f"WHEN regexp_matches({low}, {lit(p)}) THEN {lit(out)}" for p, out in patterns)
    return f"CASE {whens} END"


def detect_currency(low: str) -> str:
    return _first_match(low, V.CURRENCY_PATTERNS)


def detect_period(low: str) -> str:
    return _first_match(low, V.PERIOD_PATTERNS)


def money(v: str) -> str:
    """A struct {paid, amount, amount_max, period, currency, ok}; NULL when the value is NULL."""
    low = f"lower({v})"
    m = f"regexp_extract({low}, {lit(V.AMOUNT_RE)}, ['num', 'k', 'range', 'num2', 'k2'])"
    thousands = f"CASE WHEN {m}.k = 'k' THEN 1000.0 ELSE 1.0 END"
    sign = f"CASE WHEN regexp_matches({low}, {lit(V.NEGATIVE_RE)}) THEN -1.0 ELSE 1.0 END"
    amount = f"({sign} * ({to_number(f'{m}.num')} * {thousands}))"
    amount_max = (
        f"(CASE WHEN {m}.range <> '' THEN {to_number(f'{m}.num2')} "
        f"* CASE WHEN {m}.k2 = 'k' THEN 1000.0 ELSE 1.0 END END)"
    )
    parsed = struct(
        paid=f"({amount} > 0 OR coalesce({amount_max} > 0, false))",
        amount=amount,
        amount_max=amount_max,
        period=detect_period(low),
        currency=detect_currency(low),
        ok="true",
    )
    too_big = f"(abs({amount}) > {V.MAX_AMOUNT} OR coalesce({amount_max} > {V.MAX_AMOUNT}, false))"
    fast = f"CAST({v} AS DOUBLE)"
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN regexp_full_match({v}, {_FAST_AMOUNT}) THEN "
        + struct(paid=f"{fast} > 0", amount=fast, amount_max="NULL::DOUBLE",
                 period="NULL::VARCHAR", currency="NULL::VARCHAR", ok="true")
        + f" WHEN {is_in(low, V.UNPAID_TOKENS)} THEN "
        + struct(paid="false", amount="NULL::DOUBLE", amount_max="NULL::DOUBLE",
                 period="NULL::VARCHAR", currency="NULL::VARCHAR", ok="true")
        + f" WHEN {is_in(low, V.UNKNOWN_PAY_TOKENS)} THEN {_NO_MONEY}"
        + f" WHEN NOT regexp_matches({low}, {lit(V.AMOUNT_RE)}) OR {too_big} THEN "
        + struct(paid="NULL::BOOLEAN", amount="NULL::DOUBLE", amount_max="NULL::DOUBLE",
                 period="NULL::VARCHAR", currency="NULL::VARCHAR", ok="false")
        + f" ELSE {parsed} END"
    )


def salary(m: str, *, amount: str | None = None, period: str | None = None) -> str:
    """Over a money struct: the annual amount (x 12 a month, x 2080 an hour); 0 means none.
    `amount` / `period` give the parts directly instead (a typed column has no struct)."""
    amount = amount or f"{m}.amount"
    period = period or f"{m}.period"
    factor = " ".join(f"WHEN {lit(p)} THEN {f!r}" for p, f in V.ANNUAL_FACTOR.items())
    return (
        f"CASE WHEN {amount} IS NULL OR {amount} = 0 THEN NULL "
        f"ELSE {amount} * CASE {period} {factor} ELSE 1.0 END END"
    )


# -- durations ----------------------------------------------------------------------------------
def duration_weeks(v: str) -> str:
    low = f"lower({v})"
    m = f"regexp_extract({low}, {lit(V.DURATION_RE)}, ['num', 'unit'])"
    n = f"TRY_CAST({m}.num AS DOUBLE)"
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN regexp_full_match({v}, {_FAST_NUMBER}) THEN CAST({v} AS DOUBLE) "
        f"WHEN NOT regexp_matches({low}, {lit(V.DURATION_RE)}) THEN NULL "
        f"ELSE CASE left({m}.unit, 1) WHEN 'd' THEN {n} / 7.0 WHEN 'm' THEN {n} * 52.0 / 12.0 "
        f"WHEN 'y' THEN {n} * 52.0 ELSE {n} END END"
    )


# -- dates --------------------------------------------------------------------------------------
def month_number(word: str) -> str:
    months = "[" + ", ".join(lit(m) for m in V.MONTHS) + "]"
    names = "[" + ", ".join(lit(m) for m in V.MONTH_NAMES) + "]"
    index = f"list_position({months}, left({word}, 3))"
    return (
        f"CASE WHEN length({word}) >= 3 AND coalesce({index}, 0) > 0 "
        f"AND (starts_with({names}[{index}], {word}) OR {word} = 'sept') THEN {index} END"
    )


def full_year(text: str) -> str:
    y = f"TRY_CAST({text} AS INTEGER)"
    return (
        f"CASE WHEN length({text}) = 2 THEN CASE WHEN {y} <= 69 THEN 2000 + {y} ELSE 1900 + {y} END "
        f"ELSE {y} END"
    )


def make_date(year: str, month: str, day: str) -> str:
    return (
        f"CASE WHEN {month} IS NOT NULL AND {year} BETWEEN {V.MIN_YEAR} AND {V.MAX_YEAR} "
        f"THEN TRY_CAST(printf('%04d-%02d-%02d', {year}, {month}, {day}) AS DATE) END"
    )


def _group(low: str, pattern: str, index: int) -> str:
    return f"regexp_extract({low}, {lit(pattern)}, {index})"


def _int(text: str) -> str:
    return f"TRY_CAST({text} AS INTEGER)"


def date(v: str, *, day_first: bool) -> str:
    low = f"lower({v})"

    def g(pattern: str, index: int) -> str:
        return _group(low, pattern, index)

    iso = make_date(_int(g(V.DATE_ISO_RE, 1)), _int(g(V.DATE_ISO_RE, 2)), _int(g(V.DATE_ISO_RE, 3)))
    first, second = _int(g(V.DATE_NUMERIC_RE, 1)), _int(g(V.DATE_NUMERIC_RE, 2))
    numeric_year = full_year(g(V.DATE_NUMERIC_RE, 3))
    day_first_sql = "true" if day_first else "false"
    numeric = (
        f"CASE WHEN {first} > 12 OR ({day_first_sql} AND {second} <= 12) "
        f"THEN {make_date(numeric_year, second, first)} "
        f"ELSE {make_date(numeric_year, first, second)} END"
    )
    day_month = make_date(full_year(g(V.DATE_DAY_MONTH_RE, 4)),
                          month_number(g(V.DATE_DAY_MONTH_RE, 3)), _int(g(V.DATE_DAY_MONTH_RE, 1)))
    month_day = make_date(_int(g(V.DATE_MONTH_DAY_RE, 4)),
                          month_number(g(V.DATE_MONTH_DAY_RE, 1)), _int(g(V.DATE_MONTH_DAY_RE, 2)))
    start_month = month_number(g(V.DATE_WINDOW_RE, 2))
    end_month = month_number(g(V.DATE_WINDOW_RE, 3))
    window_year = (
        f"({full_year(g(V.DATE_WINDOW_RE, 4))} - CASE WHEN {start_month} > {end_month} THEN 1 ELSE 0 END)"
    )
    window = make_date(window_year, start_month, _int(g(V.DATE_WINDOW_RE, 1)))
    year_month = make_date(_int(g(V.DATE_YEAR_MONTH_RE, 1)), _int(g(V.DATE_YEAR_MONTH_RE, 2)), "1")
    fast = f"TRY_CAST({v} AS DATE)"
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN "
        f"CASE WHEN year({fast}) BETWEEN {V.MIN_YEAR} AND {V.MAX_YEAR} THEN {fast} END "
        f"WHEN {is_in(low, V.DATE_UNKNOWN_TOKENS)} THEN NULL "
        f"WHEN regexp_matches({low}, {lit(V.DATE_ISO_RE)}) THEN {iso} "
        f"WHEN regexp_matches({low}, {lit(V.DATE_NUMERIC_RE)}) THEN {numeric} "
        f"WHEN regexp_matches({low}, {lit(V.DATE_DAY_MONTH_RE)}) THEN {day_month} "
        f"WHEN regexp_matches({low}, {lit(V.DATE_MONTH_DAY_RE)}) THEN {month_day} "
        f"WHEN regexp_matches({low}, {lit(V.DATE_WINDOW_RE)}) THEN {window} "
        f"WHEN regexp_matches({low}, {lit(V.DATE_YEAR_MONTH_RE)}) THEN {year_month} "
        "END"
    )


def date_unknown(v: str) -> str:
    """True when the value is a "when" word such as `Immediately` (unknown, not an error)."""
    return is_in(f"lower({v})", V.DATE_UNKNOWN_TOKENS)


# -- booleans, enums, terms, currency, locations ---------------------------------------------
def boolean(v: str, field: str) -> str:
    true_tokens, false_tokens = V.bool_tokens(field)
    low = f"lower({v})"
    return (
        f"CASE WHEN {v} IS NULL THEN NULL WHEN {is_in(low, true_tokens)} THEN true "
        f"WHEN {is_in(low, false_tokens)} THEN false END"
    )


def enum_key(v: str) -> str:
    return f"trim(regexp_replace(lower(replace({v}, '_', ' ')), '[ ]+', ' ', 'g'), ' ')"


def enum(v: str, field: str) -> str:
    synonyms = V.ENUM_SYNONYMS[field]
    canonical = sorted(set(synonyms.values()))
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(out)}" for k, out in synonyms.items())
    return (
        f"CASE WHEN {v} IS NULL THEN NULL WHEN {is_in(v, canonical)} THEN {v} "
        f"ELSE CASE {enum_key(v)} {whens} END END"
    )


def rating(v: str) -> str:
    """The rating 1..5 (values.parse_rating), NULL when the text is not one."""
    key = enum_key(v)
    whens = " ".join(f"WHEN {lit(k)} THEN {n}" for k, n in V.RATING_WORDS.items())
    number = _int(_group(key, V.RATING_RE, 1))
    low, high = RATING_RANGE
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"ELSE CASE {key} {whens} ELSE CASE WHEN regexp_matches({key}, {lit(V.RATING_RE)}) "
        f"AND {number} BETWEEN {low} AND {high} THEN {number} END END END"
    )


def term_season(v: str) -> str:
    low = f"lower({v})"
    month = _int(_group(low, V.TERM_CODE_RE, 2))
    seasons = " ".join(
        f"WHEN regexp_matches({low}, {lit(p)}) THEN {lit(s)}" for p, s in V.SEASON_PATTERNS
    )
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN regexp_matches({low}, {lit(V.TERM_CODE_RE)}) THEN "
        f"CASE WHEN {month} BETWEEN 1 AND 12 THEN {season_of_month(month)} END "
        f"{seasons} END"
    )


def season_of_month(month: str) -> str:
    return (
        f"CASE WHEN {month} <= 4 THEN 'spring' WHEN {month} <= 7 THEN 'summer' "
        f"WHEN {month} <= 11 THEN 'fall' ELSE 'winter' END"
    )


def year_in_text(v: str) -> str:
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN regexp_matches({v}, {lit(V.TERM_CODE_RE)}) THEN {_int(_group(v, V.TERM_CODE_RE, 1))} "
        f"WHEN regexp_matches({v}, {lit(V.YEAR_IN_TEXT_RE)}) "
        f"THEN {_int(_group(v, V.YEAR_IN_TEXT_RE, 2))} END"
    )


def year(v: str) -> str:
    y = year_in_text(v)
    return (
        f"CASE WHEN regexp_full_match({v}, '(19|20)[0-9]{{2}}') AND CAST({v} AS INTEGER) "
        f"BETWEEN {V.MIN_YEAR} AND {V.MAX_YEAR} THEN CAST({v} AS INTEGER) "
        f"WHEN {y} BETWEEN {V.MIN_YEAR} AND {V.MAX_YEAR} THEN {y} END"
    )


def currency(v: str) -> str:
    low = f"lower({v})"
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN {is_in(v, V.COMMON_CURRENCIES)} THEN {v} "
        f"ELSE coalesce({detect_currency(low)}, "
        f"CASE WHEN regexp_matches({low}, {lit(V.CURRENCY_CODE_RE)}) THEN upper({low}) END) END"
    )


def is_remote_location(v: str) -> str:
    return (
        f"coalesce(length({v}) <= {V.MAX_REMOTE_LENGTH} "
        f"AND {is_in(enum_key(v), V.REMOTE_LOCATIONS)}, false)"
    )


# -- fast paths -----------------------------------------------------------------------------------
# A fast test looks at the raw cell and is true only when the cell is already clean (no padding,
# not a "nothing recorded" token) and its value is what the full parser would return, computed
# more cheaply. Cells failing it take the full path; a false "no" only costs time.
_BOOL_FAST_TRUE = ("true", "TRUE", "True", "t", "T", "yes", "Yes", "YES", "y", "Y", "1")
_BOOL_FAST_FALSE = ("false", "FALSE", "False", "f", "F", "no", "No", "NO", "n", "N", "0")
_REGEX_SPECIAL = set(".^$*+?()[]{}|\\")


def _regex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in _REGEX_SPECIAL else ch for ch in text)


_WS_CLASS = "[" + "".join(_regex_escape(ch) if ch != "\t" else "\\t" for ch in V.TRIM_CHARS)
_WS_CLASS = _WS_CLASS.replace("\r", "\\r").replace("\n", "\\n") + "]"
_NULL_ALTERNATIVES = "|".join(_regex_escape(t) for t in sorted(V.NULL_TOKENS))
# Anything that might need trimming, is a "nothing recorded" token, or could be a text problem.
TEXT_SLOW_RE: Final = (
    f"(?i)^{_WS_CLASS}|{_WS_CLASS}$|[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
    f"|^({_NULL_ALTERNATIVES})$"
)
# ... and for locations, words that may make one mean "remote" (the full path checks exactly).
REMOTE_WORDS_RE: Final = "remote|home|wfh|virtual|online|anywhere"
LOCATION_SLOW_RE: Final = TEXT_SLOW_RE + "|" + REMOTE_WORDS_RE
# The same test over a whole row's text cells joined by U+001F: one regex call per row instead
# of one per cell (the call, not the text, is what costs). Cell boundaries are ^, $ and U+001F;
# a U+001F inside a cell shows up as one separator too many (see `row_text_slow`).
_START, _END = "(^|\\x1f)", "(\\x1f|$)"
ROW_SLOW_RE: Final = (
    f"(?i){_START}{_WS_CLASS}|{_WS_CLASS}{_END}|[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1e\\x7f-\\x9f]"
    f"|{_START}({_NULL_ALTERNATIVES}){_END}|\\x1f\\x1f"
)


def row_text_slow(cells: list[str], *, locations: bool) -> str:
    """True when any of the row's text cells may need more than the fast path."""
    joined = f"concat_ws(chr(31), {', '.join(cells)})"
    present = " + ".join(f"CAST({c} IS NOT NULL AS INTEGER)" for c in cells)
    pattern = ROW_SLOW_RE + ("|" + REMOTE_WORDS_RE if locations else "")
    separators = f"(length({joined}) - length(replace({joined}, chr(31), '')))"
    return f"(regexp_matches({joined}, {lit(pattern)}) OR {separators} <> ({present}) - 1)"


def fast(field: str, kind: str, c: str) -> tuple[str, str]:
    """(test, value) SQL over a raw cell `c` for the field's fast path."""
    if kind == "text":
        pattern = LOCATION_SLOW_RE if field in ("city", "region", "country") else TEXT_SLOW_RE
        return (f"(length({c}) BETWEEN 1 AND {V.MAX_TEXT_LENGTH} "
                f"AND NOT regexp_matches({c}, {lit(pattern)}))"), c
    if kind in ("number", "duration"):
        return f"regexp_full_match({c}, {_FAST_NUMBER})", f"CAST({c} AS DOUBLE)"
    if kind in ("money", "amount", "salary"):
        value = f"CAST({c} AS DOUBLE)"
        return f"regexp_full_match({c}, {_FAST_AMOUNT})", struct(
            paid=f"{value} > 0", amount=value, amount_max="NULL::DOUBLE",
            period="NULL::VARCHAR", currency="NULL::VARCHAR", ok="true")
    if kind == "date":
        value = f"TRY_CAST({c} AS DATE)"
        return (f"regexp_full_match({c}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')",
                f"CASE WHEN year({value}) BETWEEN {V.MIN_YEAR} AND {V.MAX_YEAR} THEN {value} END")
    if kind == "year":
        value = f"CAST({c} AS INTEGER)"
        return (f"regexp_full_match({c}, '(19|20)[0-9]{{2}}')",
                f"CASE WHEN {value} BETWEEN {V.MIN_YEAR} AND {V.MAX_YEAR} THEN {value} END")
    if kind == "bool":
        return (f"{is_in(c, _BOOL_FAST_TRUE + _BOOL_FAST_FALSE)}",
                f"{is_in(c, _BOOL_FAST_TRUE)}")
    if kind == "enum":
        return f"{is_in(c, set(V.ENUM_SYNONYMS[field].values()))}", c
    if kind == "season":
        return f"{is_in(c, TERM_SEASONS)}", c
    if kind == "rating":
        digits = [str(n) for n in range(RATING_RANGE[0], RATING_RANGE[1] + 1)]
        return f"{is_in(c, digits)}", f"CAST({c} AS INTEGER)"
    if kind == "currency":
        return f"{is_in(c, V.COMMON_CURRENCIES)}", c
    raise ValueError(f"no fast path for {kind}")
