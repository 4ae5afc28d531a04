"""The staging query: one SQL statement that parses, derives and validates every row of a source.

It reads the source's text cells (c0, c1, ...) and returns one row per input row with every
canonical input field typed, `_ok` (no rule broken), `_blank` (an empty line), and, for rejected
rows only, `_problems` (a list of {column, value, reason}) and `_raw` (the row's cells as JSON).
It is built as nested SELECTs, one step each (trim, clean, parse, combine, check), so every value
is parsed once and DuckDB streams the file through it in parallel.

User text (column names, default values) is only ever bound as a parameter; the identifiers are
the generated c0.. and the schema's own field names.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from typing import Any, Final

from analytics import schema
from analytics.ingest import fields as F
from analytics.ingest import sqlvalues as S
from analytics.ingest.mapping import Mapping, detect_day_first
from analytics.ingest.read import Row

SQL_TYPES: Final = {f.name: f.sql_type for f in schema.INPUT_FIELDS}
# Fields whose default only fills in what the pay text itself did not say.
PAY_DEFAULTS: Final = ("pay_period", "currency")
MAX_VALUE_CHARS: Final = 500


@dataclass
class StagePlan:
    sql: str
    params: dict[str, Any]
    columns: list[str]
    field_columns: dict[str, str]  # field -> source column
    day_first: dict[str, bool] = field(default_factory=dict)


def hmac_sql(column: str, key: bytes) -> tuple[str, dict[str, Any]]:
    """HMAC-SHA256(key, column) as hex (RFC 2104), with named parameters."""
    import hashlib

    block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block)
    opad = bytes(b ^ 0x5C for b in block)
    sql = (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE "
        f"sha256($hmac_opad::BLOB || unhex(sha256($hmac_ipad::BLOB || encode({column})))) END"
    )
    return sql, {"hmac_opad": opad, "hmac_ipad": ipad}


def _more(parts: list[str]) -> str:
    return ", " + ", ".join(parts) if parts else ""


def _day_first(mapping: Mapping, samples: list[Row], index: int) -> bool:
    if mapping.date_order == "day_first":
        return True
    if mapping.date_order == "month_first":
        return False
    return detect_day_first([row[index] if index < len(row) else None for row in samples])


def build(relation: str, relation_params: AbcMapping[str, Any], columns: list[str],
          mapping: Mapping, key: bytes, *, samples: list[Row] | None = None,
          has_row_numbers: bool = False) -> StagePlan:
    """The staging SELECT over `relation` (which yields c0.. as text, and `_row` if known)."""
    params: dict[str, Any] = dict(relation_params)
    index_of = {name: i for i, name in enumerate(columns)}
    field_columns = {f: c for f, c in mapping.field_columns().items() if c in index_of}
    col_of = {f: index_of[c] for f, c in field_columns.items()}
    for i, name in enumerate(columns):
        params[f"h{i}"] = name

    def header(field_name: str) -> str:
        """The column label a problem is reported under: the file's header, else the field."""
        if field_name in col_of:
            return f"$h{col_of[field_name]}"
        return S.lit(field_name)

    def raw(field_name: str) -> str:
        if field_name in col_of:
            return f"left(c{col_of[field_name]}, {MAX_VALUE_CHARS})"
        return "NULL::VARCHAR"

    # Fields with a value source: a column, or a default written as a cell would be.
    substituted = {f: v for f, v in mapping.defaults.items() if f not in PAY_DEFAULTS}
    fed = sorted(set(col_of) | set(substituted), key=schema.INPUT_NAMES.index)

    # 1. a fast test per cell (already canonical?); 2. trim and clean the cells that fail it,
    # putting defaults in blank cells; 3. parse: the fast value, or the full parser.
    fast_parts: list[str] = []
    trim_parts: list[str] = []
    clean_parts: list[str] = []
    for f in fed:
        kind = F.KIND[f]
        if f in col_of:
            c = f"c{col_of[f]}"
            test, _value = S.fast(f, kind, c)
            fast_parts.append(f"coalesce({test}, false) AS fast_{f}")
            trim_parts.append(f"CASE WHEN fast_{f} THEN {c} ELSE {S.trimmed(c)} END AS t_{f}")
            cleaned = f"CASE WHEN fast_{f} THEN t_{f} ELSE {S.clean(f't_{f}')} END"
        else:
            fast_parts.append(f"false AS fast_{f}")
            trim_parts.append(f"NULL::VARCHAR AS t_{f}")
            cleaned = "NULL::VARCHAR"
        if f in substituted:
            params[f"dflt_{f}"] = substituted[f]
            cleaned = f"coalesce({cleaned}, $dflt_{f}::VARCHAR)"
        clean_parts.append(f"{cleaned} AS v_{f}")
    for f in PAY_DEFAULTS:
        if f in mapping.defaults:
            params[f"dp_{f}"] = str(F.parse_field(f, mapping.defaults[f]).value)

    day_first = {f: _day_first(mapping, samples or [], col_of[f]) for f in fed
                 if F.KIND[f] == "date" and f in col_of}
    parse_parts: list[str] = []
    bad: dict[str, str] = {}  # field -> SQL condition "present but did not parse"
    text_problems: list[str] = []

    def either(f: str, full: str) -> str:
        _test, value = S.fast(f, F.KIND[f], f"v_{f}")
        return f"CASE WHEN v_{f} IS NULL THEN NULL WHEN fast_{f} THEN {value} ELSE {full} END"

    for f in fed:
        v = f"v_{f}"
        kind = F.KIND[f]
        if kind == "text":
            if f in F.LOCATION_FIELDS:
                remote = f"(NOT fast_{f} AND {S.is_remote_location(v)})"
                parse_parts.append(f"{remote} AS rm_{f}")
                parse_parts.append(f"CASE WHEN {remote} THEN NULL ELSE {v} END AS p_{f}")
            else:
                parse_parts.append(f"{v} AS p_{f}")
            parse_parts.append(f"CASE WHEN fast_{f} THEN NULL ELSE {S.text_problem(v)} END AS tp_{f}")
            text_problems.append(f)
            continue
        if kind in ("money", "amount", "salary"):
            parse_parts.append(f"{either(f, S.money(v))} AS m_{f}")
            bad[f] = f"({v} IS NOT NULL AND NOT m_{f}.ok)"
            continue
        if kind == "date":
            parse_parts.append(f"{either(f, S.date(v, day_first=day_first.get(f, False)))} AS p_{f}")
            bad[f] = f"({v} IS NOT NULL AND p_{f} IS NULL AND NOT {S.date_unknown(v)})"
            continue
        expression = {
            "enum": lambda: S.enum(v, f),
            "season": lambda: S.term_season(v),
            "year": lambda: S.year(v),
            "duration": lambda: S.duration_weeks(v),
            "number": lambda: S.number(v),
            "bool": lambda: S.boolean(v, f),
            "currency": lambda: S.currency(v),
        }[kind]()
        parse_parts.append(f"{either(f, expression)} AS p_{f}")
        bad[f] = f"({v} IS NOT NULL AND p_{f} IS NULL)"

    # 4. combine into the canonical fields (pay text, remote locations, dates -> term/duration).
    def p(f: str) -> str:
        return f"p_{f}" if f in fed else f"NULL::{SQL_TYPES[f]}"

    final: dict[str, str] = {}
    for f in schema.INPUT_NAMES:
        if f in ("placement_id", "student_id"):
            final[f] = p(f)
        elif F.KIND[f] not in ("money", "amount", "salary"):
            final[f] = p(f)
    remote = [f"rm_{f}" for f in F.LOCATION_FIELDS if f in fed]
    if remote:
        final["work_mode"] = (f"coalesce({p('work_mode')}, "
                              f"CASE WHEN {' OR '.join(remote)} THEN 'remote' END)")
    pay = "m_pay_amount" if "pay_amount" in fed else None
    final["pay_amount"] = f"{pay}.amount" if pay else "NULL::DOUBLE"
    final["pay_amount_max"] = (
        f"coalesce({'m_pay_amount_max.amount' if 'pay_amount_max' in fed else 'NULL::DOUBLE'}, "
        f"{f'{pay}.amount_max' if pay else 'NULL::DOUBLE'})"
    )
    has_pay = f"({final['pay_amount']} IS NOT NULL OR {final['pay_amount_max']} IS NOT NULL)"
    for f, part in (("pay_period", "period"), ("currency", "currency")):
        from_text = f"{pay}.{part}" if pay else "NULL::VARCHAR"
        fallback = f"$dp_{f}::VARCHAR" if f in mapping.defaults else "NULL::VARCHAR"
        final[f] = f"coalesce({p(f)}, CASE WHEN {has_pay} THEN coalesce({from_text}, {fallback}) END)"
    final["paid"] = f"coalesce({p('paid')}, {pay}.paid)" if pay else p("paid")
    final["offer_salary"] = S.salary("m_offer_salary") if "offer_salary" in fed else "NULL::DOUBLE"
    final["offer_extended"] = (
        f"coalesce({p('offer_extended')}, CASE WHEN {p('offer_accepted')} THEN true END)"
    )
    start, end = p("start_date"), p("end_date")
    final["duration_weeks"] = (
        f"coalesce({p('duration_weeks')}, CASE WHEN {end} >= {start} "
        f"THEN date_diff('day', {start}, {end}) / 7.0 END)"
    )
    final["term_season"] = (
        f"coalesce({p('term_season')}, CASE WHEN {start} IS NOT NULL "
        f"THEN {S.season_of_month(f'month({start})')} END)"
    )
    season_year = S.year_in_text("v_term_season") if "term_season" in fed else "NULL::INTEGER"
    final["term_year"] = (
        f"CAST(coalesce({p('term_year')}, CASE WHEN {season_year} BETWEEN 1950 AND 2100 "
        f"THEN {season_year} END, year({start})) AS INTEGER)"
    )
    # Combined fields are computed under a working name, then renamed, so a layer never
    # reads a column it is itself defining.
    combine = ", ".join(f"{sql} AS f_{name}" for name, sql in final.items()
                        if name not in ("placement_id", "student_id"))

    # 5. ids (pseudonymised student, derived placement id) and the rules.
    student_sql, student_params = hmac_sql("v_student_id", key) if "student_id" in fed else ("NULL::VARCHAR", {})
    params.update(student_params)
    natural = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in (
        "f_student", "f_employer", "f_role", "f_term_season", "f_term_year", "f_start_date"))
    every = ", ".join(f"coalesce(CAST(f_{c} AS VARCHAR), '')" for c in schema.INPUT_NAMES
                      if c not in ("placement_id", "student_id"))
    placement = (
        f"coalesce({p('placement_id')}, CASE WHEN f_student IS NOT NULL "
        f"THEN 'h' || left(sha256(concat_ws('|', {natural})), 20) "
        f"ELSE 'r' || left(sha256(concat_ws('|', {every})), 20) END)"
    )

    rules: list[tuple[str, str, str, str]] = []  # (condition, column label, value, reason)
    for f in text_problems:
        rules.append((f"tp_{f} IS NOT NULL", header(f), raw(f), f"tp_{f}"))
    for f, condition in bad.items():
        rules.append((condition, header(f), raw(f), S.lit(F.parse_reason(f))))
    rules += [
        ("f_employer IS NULL", header("employer"), raw("employer"),
         S.lit("employer is missing (required)")),
        ("f_end_date < f_start_date", header("end_date"), raw("end_date"),
         S.lit("ends before it starts")),
        ("f_hours_per_week < 0 OR f_hours_per_week > 80", header("hours_per_week"),
         raw("hours_per_week"), S.lit("hours per week outside 0 to 80")),
        ("f_duration_weeks < 0 OR f_duration_weeks > 104",
         header("duration_weeks") if "duration_weeks" in col_of else S.lit("duration_weeks (from the dates)"),
         raw("duration_weeks"), S.lit("duration outside 0 to 104 weeks")),
        ("f_pay_amount < 0 OR f_pay_amount_max < 0",
         header("pay_amount") if "pay_amount" in col_of else header("pay_amount_max"),
         raw("pay_amount") if "pay_amount" in col_of else raw("pay_amount_max"),
         S.lit("pay is negative")),
        ("f_pay_amount_max < f_pay_amount AND f_pay_amount >= 0",
         header("pay_amount") if "pay_amount" in col_of else header("pay_amount_max"),
         raw("pay_amount") if "pay_amount" in col_of else raw("pay_amount_max"),
         S.lit("pay range ends below where it starts")),
        ("f_paid = false AND f_pay_amount > 0", header("paid") if "paid" in col_of else header("pay_amount"),
         raw("paid") if "paid" in col_of else raw("pay_amount"),
         S.lit("marked unpaid but has a pay amount")),
        ("f_offer_salary < 0", header("offer_salary"), raw("offer_salary"), S.lit("salary is negative")),
        ("f_offer_accepted AND f_offer_extended = false", header("offer_accepted"), raw("offer_accepted"),
         S.lit("offer accepted but no offer extended")),
    ]
    flags = ", ".join(f"coalesce({condition}, false) AS b{k}" for k, (condition, *_rest) in enumerate(rules))
    ok = "NOT (" + " OR ".join(f"b{k}" for k in range(len(rules))) + ")"
    entries = ", ".join(
        f"CASE WHEN b{k} THEN {{'column': CAST({label} AS VARCHAR), 'value': CAST({value} AS VARCHAR), "
        f"'reason': CAST({reason} AS VARCHAR)}} END"
        for k, (_c, label, value, reason) in enumerate(rules)
    )
    raw_json = "json_object(" + ", ".join(f"$h{i}, c{i}" for i in range(len(columns))) + ")"
    blank = f"coalesce({', '.join(f'c{i}' for i in range(len(columns)))}) IS NULL"

    typed = [
        f"CAST(f_{name} AS {SQL_TYPES[name]}) AS {name}" for name in schema.INPUT_NAMES
        if name not in ("placement_id", "student_id")
    ]
    row = ", _row" if has_row_numbers else ""
    ids = f"{student_sql} AS f_student"
    sql = f"""
SELECT placement_id, student_id, {', '.join(n for n in schema.INPUT_NAMES if n not in ('placement_id', 'student_id'))},
       _ok, _blank,
       CASE WHEN NOT _ok THEN list_filter([{entries}], lambda e: e IS NOT NULL) END AS _problems,
       CASE WHEN NOT _ok THEN {raw_json} END AS _raw{row}
FROM (
  SELECT *, {ok} AS _ok
  FROM (
    SELECT *, {placement} AS placement_id, f_student AS student_id, {', '.join(typed)}, {flags},
           {blank} AS _blank
    FROM (
      SELECT *, {ids}
      FROM (
        SELECT *, {combine}
        FROM (
          SELECT *{_more(parse_parts)}
          FROM (
            SELECT *{_more(clean_parts)}
            FROM (
              SELECT *{_more(trim_parts)}
              FROM (SELECT *{_more(fast_parts)} FROM ({relation}) AS src)
            )
          )
        )
      )
    )
  )
)"""
    return StagePlan(sql=sql, params=params, columns=columns, field_columns=field_columns,
                     day_first=day_first)
