"""The staging query: SQL that parses, derives and validates every row of a source.

It reads the source's cells (c0, c1, ...) and yields one row per input row with every canonical
input field typed (`f_<field>`), one flag per rule (`b<k>`), `_ok` (no rule broken) and
`_blank` (an empty line). Three queries wrap it:

- `load_sql`: the rows to insert, with the derived fields and the batch id (negated for rejected
  rows, which the pipeline then moves out; see `pipeline`),
- `detail_sql`: for rejected rows only, their index in the file, the problems
  ({column, value, reason}) and the row's own cells as JSON,
- `preview_sql`: the first rows, parsed, with their problems.

Columns come in two ways. A column whose sample values are all already canonical (plain numbers,
ISO dates, true/false) is read typed by DuckDB's CSV reader, the fast path for canonical files;
a value it cannot cast sends that line to the fallback path (read as text). (DuckDB's reader
also takes `1e5` and `inf` as numbers; infinite and out-of-range values are then rejected like
the parsers' own.) Every other column
is read as text and goes through the parsers of `sqlvalues`: a cheap test on the raw cell picks
the canonical ones, the rest are trimmed, cleaned and parsed in full.

The first read of a file takes a shortcut (`inner_shortcut`): text, enum, season and currency
cells are loaded as written, with no per-row test. Afterwards each such column's distinct values
are tested once (`slow_values_sql`; a file has few distinct employers or degree levels, however
many rows), and the rows holding a value that fails the test are deleted and loaded again
through the full parsers. Ids are tested per row instead: a student id is stored only as its
keyed hash, which cannot be tested afterwards.

The query is nested SELECTs, one step each, so every value is worked on once. User text (column
names, default values) is only ever bound as a parameter; identifiers are the generated c0.. and
the schema's own field names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from typing import Any, Final

from analytics import schema
from analytics.ingest import fields as F
from analytics.ingest import sqlvalues as S
from analytics.ingest import values as V
from analytics.ingest.load import hmac_pads, pseudonym_message_sql
from analytics.ingest.mapping import Mapping, detect_day_first
from analytics.ingest.read import Row, parquet_typed

SQL_TYPES: Final = {f.name: f.sql_type for f in schema.INPUT_FIELDS}
# Fields whose default only fills in what the pay text itself did not say.
PAY_DEFAULTS: Final = ("pay_period", "currency")
MAX_VALUE_CHARS: Final = 500
# Kinds whose canonical value is the cell exactly as written (see `build`'s shortcut).
PASS_THROUGH_KINDS: Final = ("text", "enum", "season", "currency")
ID_FIELDS: Final = ("placement_id", "student_id")
# Kinds DuckDB's CSV reader can read typed, and the type and the sample test that allows it.
TYPED_KINDS: Final[dict[str, tuple[str, str]]] = {
    "number": ("DOUBLE", V.PLAIN_NUMBER_RE),
    "duration": ("DOUBLE", V.PLAIN_NUMBER_RE),
    "money": ("DOUBLE", "[0-9]{1,9}(?:[.][0-9]{1,6})?"),
    "amount": ("DOUBLE", "[0-9]{1,9}(?:[.][0-9]{1,6})?"),
    "salary": ("DOUBLE", "[0-9]{1,9}(?:[.][0-9]{1,6})?"),
    "date": ("DATE", "[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "year": ("INTEGER", "(19|20)[0-9]{2}"),
    "bool": ("BOOLEAN", "true|false|TRUE|FALSE|True|False"),
}


def _typed_candidates(columns: Sequence[str], mapping: Mapping) -> Iterator[tuple[int, str]]:
    """(column index, field kind) of the mapped columns whose field has a typed reading."""
    index_of = {name: i for i, name in enumerate(columns)}
    for target, column in mapping.field_columns().items():
        kind = F.KIND[target]
        if kind in TYPED_KINDS and column in index_of and target not in mapping.defaults:
            yield index_of[column], kind


def typed_columns(columns: Sequence[str], mapping: Mapping, samples: Sequence[Row]) -> dict[int, str]:
    """Column index -> DuckDB type, for mapped columns whose sample values are all canonical."""
    typed: dict[int, str] = {}
    for i, kind in _typed_candidates(columns, mapping):
        sql_type, pattern = TYPED_KINDS[kind]
        present = [row[i] for row in samples if i < len(row) and row[i] not in (None, "")]
        if present and all(re.fullmatch(pattern, value) for value in present if value is not None):
            typed[i] = sql_type
    return typed


def parquet_typed_columns(columns: Sequence[str], column_types: Sequence[str],
                          mapping: Mapping) -> dict[int, str]:
    """Column index -> DuckDB type, for mapped columns of a Parquet file that already holds the
    field's type (a year as INTEGER, a date as DATE, ...): read as they are, like a CSV's
    canonical columns, instead of written out as text and parsed back (most of the import's
    cost for a typed file). The same checks apply to them as to a CSV's typed columns."""
    typed: dict[int, str] = {}
    for i, kind in _typed_candidates(columns, mapping):
        sql_type = TYPED_KINDS[kind][0]
        if i < len(column_types) and parquet_typed(column_types[i], sql_type):
            typed[i] = sql_type
    return typed


def shortcut_pays(columns: Sequence[str], mapping: Mapping, samples: Sequence[Row]) -> bool:
    """Whether the shortcut (see `build`) is likely to keep most rows: at most half the sample
    rows hold a pass-through cell that is not already canonical. When most rows would be loaded
    twice, going through the full parsers at once is quicker. Either way gives the same rows."""
    index_of = {name: i for i, name in enumerate(columns)}
    cells = [(f, index_of[c]) for f, c in mapping.field_columns().items()
             if c in index_of and F.KIND[f] in PASS_THROUGH_KINDS and f not in mapping.defaults]
    if not samples or not cells:
        return True

    def canonical(f: str, cell: str | None) -> bool:
        if cell is None:
            return True
        parsed = F.parse_field(f, cell)
        return parsed.ok and parsed.value == cell

    redone = sum(1 for row in samples
                 if not all(canonical(f, row[i] if i < len(row) else None) for f, i in cells))
    return redone * 2 <= len(samples)


@dataclass
class StagePlan:
    inner: str
    params: dict[str, Any]
    columns: list[str]
    field_columns: dict[str, str]  # field -> source column
    rules: list[tuple[str, str, str]] = field(default_factory=list)  # (label, value, reason) SQL
    has_row_numbers: bool = False
    typed: dict[int, str] = field(default_factory=dict)
    fast_employer: bool = False  # the employer column has a fast-path flag (`fast_employer`)
    # The same query with every pass-through field read straight from its column: right for
    # rows whose ids are fast (`_ids_ok`) and whose deferred cells hold no slow value, and much
    # cheaper (see `build`).
    inner_shortcut: str = ""
    deferred: dict[str, int] = field(default_factory=dict)  # field -> column index, see above
    student_column: int | None = None  # the index of the column feeding student_id

    def load_sql(self, mode: str = "all", slow: str = "", slow_fields: Sequence[str] = ()) -> str:
        """Every non-blank row: input fields, derived fields, and the batch id ($batch_id for
        accepted rows, -$batch_id for rejected ones).

        mode "shortcut": through `inner_shortcut`; rows whose ids it is not right for get
        $redo_id as their batch id. Rows it loaded with a deferred value that is not canonical
        (`slow_values_sql`) are to be deleted (`delete_slow_sql`); mode "redo" then loads again,
        through the full parsers, exactly the rows of those two kinds (`slow` names the table of
        slow values and `slow_fields` the fields that have any).
        """
        inputs = ", ".join(schema.INPUT_NAMES)
        derived_sql = dict(schema.DERIVED_SQL)
        if self.fast_employer:
            # A fast-path employer is already trimmed and free of control characters; unless
            # it holds a run of spaces, a tab, a line break or a no-break space, the schema's
            # whitespace-collapsing key is just its lower case (and a regex less per row).
            odd = " OR ".join(f"contains(employer, {w})" for w in
                              ("'  '", "chr(9)", "chr(10)", "chr(13)", "chr(160)"))
            derived_sql["employer_key"] = (
                f"CASE WHEN fast_employer AND NOT ({odd}) THEN lower(employer) "
                f"ELSE {schema.EMPLOYER_KEY_SQL} END"
            )
        # term_season is always one of the four seasons here, so its label is a lookup.
        labels = " ".join(f"WHEN {S.lit(season)} THEN {S.lit(season.capitalize() + ' ')}"
                          for season in schema.TERM_SEASONS)
        derived_sql["term"] = (f"CASE term_season {labels} END || CAST(term_year AS VARCHAR)")
        derived = ", ".join(f"{sql} AS {name}" for name, sql in derived_sql.items())
        batch = "CASE WHEN _ok THEN $batch_id ELSE -$batch_id END"
        if mode == "shortcut":
            return (f"SELECT {inputs}, {derived}, CASE WHEN NOT _ids_ok THEN $redo_id "
                    f"ELSE {batch} END AS batch_id FROM ({self.inner_shortcut}) WHERE NOT _blank")
        only = ""
        if mode == "redo":
            holds = [f"c{self.deferred[f]} IN (SELECT value FROM {slow} WHERE field = {S.lit(f)})"
                     for f in slow_fields]
            only = f" AND (NOT _ids_ok{''.join(' OR ' + h for h in holds)})"
        return f"SELECT {inputs}, {derived}, {batch} AS batch_id FROM ({self.inner}) WHERE NOT _blank{only}"

    def distinct_values_sql(self, target: str) -> str:
        """(field, value) for each distinct value of each deferred field among the rows of
        batch $b in `target`: what the shortcut loaded as written, each value once."""
        if not self.deferred:
            return "SELECT NULL::VARCHAR AS field, NULL::VARCHAR AS value LIMIT 0"
        return " UNION ALL ".join(
            f"SELECT {S.lit(f)} AS field, v AS value FROM (SELECT DISTINCT {f} AS v FROM {target} "
            "WHERE batch_id IN ($b, -$b))" for f in self.deferred)

    def slow_values_sql(self, distinct: str) -> str:
        """The (field, value) rows of the table `distinct` (see above) whose value fails the
        field's fast test: the shortcut had no right to load those as written. (A separate
        statement: a test written over a DISTINCT is pushed down into the scan, onto every row.)"""
        if not self.deferred:
            return f"SELECT field, value FROM {distinct}"
        return " UNION ALL ".join(
            f"SELECT field, value FROM {distinct} WHERE field = {S.lit(f)} AND value IS NOT NULL "
            f"AND NOT coalesce({S.fast(f, F.KIND[f], 'value')[0]}, false)" for f in self.deferred)

    def delete_slow_sql(self, target: str, slow: str, slow_fields: Sequence[str]) -> str:
        """Delete the rows of batch $b in `target` that hold a slow value (see above)."""
        holds = " OR ".join(f"{f} IN (SELECT value FROM {slow} WHERE field = {S.lit(f)})"
                            for f in slow_fields)
        return f"DELETE FROM {target} WHERE batch_id IN ($b, -$b) AND ({holds})"

    def _problems(self) -> str:
        entries = ", ".join(
            f"CASE WHEN b{k} THEN {{'column': CAST({label} AS VARCHAR), "
            f"'value': CAST({value} AS VARCHAR), 'reason': CAST({reason} AS VARCHAR)}} END"
            for k, (label, value, reason) in enumerate(self.rules)
        )
        return f"list_filter([{entries}], lambda e: e IS NOT NULL)"

    def _raw(self) -> str:
        """The row's cells as JSON, the student id as its pseudonym (it goes to the quarantine)."""
        cells = ", ".join(
            f"$h{i}, {student_cell(i) if i == self.student_column else as_text(f'c{i}', self.typed.get(i))}"
            for i in range(len(self.columns)))
        return f"json_object({cells})"

    def _numbered(self) -> str:
        # Rows stream in file order, so a running number is each row's index in the read.
        row = ", _row" if self.has_row_numbers else ""
        return f"SELECT *, row_number() OVER () - 1 AS _i{row} FROM ({self.inner})"

    def detail_sql(self) -> str:
        """Rejected rows: index in the read (`_i`), problems, and the row as JSON (`_raw`)."""
        row = ", _row" if self.has_row_numbers else ""
        return (
            f"SELECT _i{row}, {self._problems()} AS _problems, {self._raw()} AS _raw "
            f"FROM ({self._numbered()}) WHERE NOT _ok AND NOT _blank"
        )

    def preview_sql(self, limit: int) -> str:
        """The first rows (blank ones skipped), parsed, with their problems."""
        row = ", _row" if self.has_row_numbers else ""
        return (
            f"SELECT _i{row}, {', '.join(schema.INPUT_NAMES)}, {self._problems()} AS _problems "
            f"FROM ({self._numbered()}) WHERE NOT _blank LIMIT {int(limit)}"
        )


def _scope_rule(scope: tuple[Sequence[str], Sequence[str]], params: dict[str, Any],
                header: Callable[[str], str], raw: Callable[[str], str]) -> tuple[str, str, str, str]:
    """The rule of an analyst's upload: the row's university or employer must be in its scope
    (the same test as access.own_condition, on the parsed values). An empty scope rejects all."""
    universities, employers = (sorted(set(scope[0])), sorted(set(scope[1])))
    params["scope_universities"] = universities
    params["scope_employers"] = employers
    key = schema.EMPLOYER_KEY_SQL.replace("(employer)", "(f_employer)")
    assert key != schema.EMPLOYER_KEY_SQL, "EMPLOYER_KEY_SQL no longer reads (employer)"
    inside = (f"coalesce(list_contains(CAST($scope_universities AS VARCHAR[]), f_university), false) "
              f"OR coalesce(list_contains(CAST($scope_employers AS VARCHAR[]), {key}), false)")
    allowed = "; ".join([*universities, *(f"employer {e}" for e in employers)]) or "nothing"
    field_name = "university" if universities or not employers else "employer"
    return (f"NOT ({inside})", header(field_name), raw(field_name),
            S.lit(f"outside your upload scope (you may upload for {allowed})"))


# What a rejected row shows for a student id that gave no pseudonym (it cleaned to nothing).
WITHHELD_ID: Final = "(student id withheld)"


def student_cell(index: int) -> str:
    """SQL, over a staged row, for the student id cell as it may be kept: its pseudonym."""
    return f"CASE WHEN c{index} IS NULL THEN NULL ELSE coalesce(f_student, {S.lit(WITHHELD_ID)}) END"


def as_text(column: str, sql_type: str | None) -> str:
    """A cell as the text it was written as: typed cells were canonical, so writing them back
    (whole numbers without `.0`) gives the file's text."""
    if sql_type is None:
        return column
    if sql_type == "DOUBLE":
        return (f"CASE WHEN {column} = round({column}) AND abs({column}) < 1e15 "
                f"THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) ELSE CAST({column} AS VARCHAR) END")
    return f"CAST({column} AS VARCHAR)"


def hmac_sql(student: str, university: str, key: bytes) -> tuple[str, dict[str, Any]]:
    """The pseudonym of `student` at `university` (HMAC-SHA256 as hex, RFC 2104), with named
    parameters; the same pseudonym as `analytics.ingest.load.hmac_sql` gives."""
    opad, ipad = hmac_pads(key)
    message = pseudonym_message_sql(student, university)
    sql = (
        f"CASE WHEN {student} IS NULL THEN NULL ELSE "
        f"sha256($hmac_opad::BLOB || unhex(sha256($hmac_ipad::BLOB || encode({message})))) END"
    )
    return sql, {"hmac_opad": opad, "hmac_ipad": ipad}


def bind(sql: str, params: AbcMapping[str, Any]) -> dict[str, Any]:
    """The parameters a statement uses (DuckDB refuses unused named parameters)."""
    used = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return {name: value for name, value in params.items() if name in used}


def _full_parser(kind: str, field_name: str, v: str) -> str:
    if kind == "enum":
        return S.enum(v, field_name)
    if kind == "season":
        return S.term_season(v)
    if kind == "year":
        return S.year(v)
    if kind == "duration":
        return S.duration_weeks(v)
    if kind == "number":
        return S.number(v)
    if kind == "bool":
        return S.boolean(v, field_name)
    if kind == "rating":
        return S.rating(v)
    return S.currency(v)


def _more(parts: list[str]) -> str:
    return ", " + ", ".join(parts) if parts else ""


def _day_first(mapping: Mapping, samples: Sequence[Row], index: int) -> bool:
    if mapping.date_order == "day_first":
        return True
    if mapping.date_order == "month_first":
        return False
    return detect_day_first([row[index] if index < len(row) else None for row in samples])


def build(relation: str, relation_params: AbcMapping[str, Any], columns: list[str],
          mapping: Mapping, key: bytes, *, samples: Sequence[Row] = (),
          typed: AbcMapping[int, str] | None = None, has_row_numbers: bool = False,
          scope: tuple[Sequence[str], Sequence[str]] | None = None) -> StagePlan:
    """The staging query over `relation` (which yields c0.., typed where `typed` says, and
    `_row` when the source knows its row numbers). `scope` (universities, employer keys), when
    given, rejects every row that matches neither (access.upload_scope: an analyst's upload)."""
    typed = dict(typed or {})
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
        if field_name == "student_id" and field_name in col_of:
            # A problem's value is kept in the quarantine: never the raw id, only its pseudonym.
            return student_cell(col_of[field_name])
        if field_name in col_of:
            i = col_of[field_name]
            return f"left({as_text(f'c{i}', typed.get(i))}, {MAX_VALUE_CHARS})"
        return "NULL::VARCHAR"

    # Fields with a value source: a column, or a default written as a cell would be.
    substituted = {f: v for f, v in mapping.defaults.items() if f not in PAY_DEFAULTS}
    fed = sorted(set(col_of) | set(substituted), key=schema.INPUT_NAMES.index)
    typed_fields = {f for f in fed if f in col_of and col_of[f] in typed}
    text_fed = [f for f in fed if f not in typed_fields]

    # 1. a fast test per text cell (already canonical?); 2. trim and 3. clean the cells that
    # fail it (`s_<field>`, with defaults in blank cells); 4. parse: the fast value from the raw
    # cell, or the full parser from `s_`. Cells on the fast path only ever travel as column
    # references: a CASE that passes a string through copies it, which costs more per row than
    # the parsing it skips. `s_` is NULL on fast rows, and so are the subexpressions DuckDB lifts
    # out of the parsers' CASE branches to run on every row, at next to no cost.
    fast_parts: list[str] = []
    trim_parts: list[str] = []
    slow_parts: list[str] = []
    raw_cell: dict[str, str] = {}
    text_cells = [f for f in text_fed if F.KIND[f] == "text" and f in col_of]
    # Fields whose canonical value is the cell as written; the shortcut loads them as written.
    shortcut_fields = [f for f in text_fed if F.KIND[f] in PASS_THROUGH_KINDS
                       and f in col_of and f not in substituted]
    # The ids are checked on every row: a student id is hashed before it is stored, so its
    # stored value could not be checked afterwards. The other fields are checked afterwards,
    # once per distinct value (`StagePlan.slow_values_sql`): there are few of those.
    ids = [f for f in shortcut_fields if f in ID_FIELDS]
    deferred = {f: col_of[f] for f in shortcut_fields if f not in ID_FIELDS}
    ids_ok = " AND ".join(
        f"({raw} IS NULL OR coalesce({S.fast(f, 'text', raw)[0]}, false))"
        for f in ids for raw in [f"c{col_of[f]}"]
    )

    def text_slow(cells: list[str]) -> list[str]:
        if not cells:
            return []
        locations = any(f in F.LOCATION_FIELDS for f in cells)
        return [S.row_text_slow([f"c{col_of[f]}" for f in cells], locations=locations) + " AS _text_slow"]

    row_parts = [*text_slow(text_cells), f"{ids_ok or 'true'} AS _ids_ok"]
    quick_row_parts = [*text_slow([f for f in text_cells if f not in shortcut_fields]),
                       f"{ids_ok or 'true'} AS _ids_ok"]
    # The shortcut's version of a part, by part: the cell as written, nothing to clean.
    quick: dict[str, str] = {}
    for f in text_fed:
        kind = F.KIND[f]
        if f in col_of:
            c = raw_cell[f] = f"c{col_of[f]}"
            if kind == "text":
                # The row-level test covers padding, tokens and control characters.
                test = f"(length({c}) BETWEEN 1 AND {V.MAX_TEXT_LENGTH} AND NOT _text_slow)"
            else:
                test, _value = S.fast(f, kind, c)
            fast_parts.append(f"coalesce({test}, false) AS fast_{f}")
            trim_parts.append(f"CASE WHEN fast_{f} THEN NULL ELSE {S.trimmed(c)} END AS t_{f}")
            cleaned = S.clean(f"t_{f}")
            if f in shortcut_fields:
                quick[fast_parts[-1]] = f"({c} IS NOT NULL) AS fast_{f}"
                quick[trim_parts[-1]] = f"NULL::VARCHAR AS t_{f}"
        else:
            raw_cell[f] = "NULL::VARCHAR"
            fast_parts.append(f"false AS fast_{f}")
            trim_parts.append(f"NULL::VARCHAR AS t_{f}")
            cleaned = "NULL::VARCHAR"
        if f in substituted:
            params[f"dflt_{f}"] = substituted[f]
            cleaned = f"coalesce({cleaned}, $dflt_{f}::VARCHAR)"
        slow_parts.append(f"CASE WHEN fast_{f} THEN NULL ELSE {cleaned} END AS s_{f}")
        if f in shortcut_fields:
            quick[slow_parts[-1]] = f"NULL::VARCHAR AS s_{f}"
    for f in PAY_DEFAULTS:
        if f in mapping.defaults:
            params[f"dp_{f}"] = str(F.parse_field(f, mapping.defaults[f]).value)

    parse_parts: list[str] = []
    bad: dict[str, str] = {}  # field -> SQL condition "present but did not parse"
    text_problems: list[str] = []

    def either(f: str, full: str) -> str:
        _test, value = S.fast(f, F.KIND[f], raw_cell[f])
        return f"CASE WHEN fast_{f} THEN {value} ELSE {full} END"

    def present(f: str) -> str:
        """The cell holds a value (fast, or something left after cleaning)."""
        return f"(fast_{f} OR s_{f} IS NOT NULL)"

    # The parts of each pay field's money value: a struct from the parser, or for a typed column
    # (a plain number, no currency or period written) the column itself.
    money: dict[str, dict[str, str]] = {}
    for f in typed_fields:
        c = f"c{col_of[f]}"
        kind = F.KIND[f]
        if kind in ("money", "amount", "salary"):
            money[f] = {"amount": c, "amount_max": "NULL::DOUBLE", "period": "NULL::VARCHAR",
                        "currency": "NULL::VARCHAR", "paid": f"({c} > 0)"}
            # DuckDB's reader also takes `1e5` and `inf`: hold such values to the parser's limits.
            bad[f] = f"(NOT isfinite({c}) OR abs({c}) > {V.MAX_AMOUNT})"
        elif kind == "date":
            parse_parts.append(f"{c} AS p_{f}")
            bad[f] = f"(year({c}) NOT BETWEEN {V.MIN_YEAR} AND {V.MAX_YEAR})"
        elif kind == "year":
            parse_parts.append(f"{c} AS p_{f}")
            bad[f] = f"({c} NOT BETWEEN {V.MIN_YEAR} AND {V.MAX_YEAR})"
        elif kind in ("number", "duration"):
            parse_parts.append(f"{c} AS p_{f}")
            bad[f] = f"(NOT isfinite({c}))"
        else:  # bool
            parse_parts.append(f"{c} AS p_{f}")

    for f in text_fed:
        slow, cell = f"s_{f}", raw_cell[f]
        kind = F.KIND[f]
        if kind == "text":
            if f in F.LOCATION_FIELDS:
                parse_parts.append(f"{S.is_remote_location(slow)} AS rm_{f}")
                if f in shortcut_fields:
                    quick[parse_parts[-1]] = f"false AS rm_{f}"
                parse_parts.append(f"CASE WHEN fast_{f} THEN {cell} "
                                   f"WHEN {S.is_remote_location(slow)} THEN NULL ELSE {slow} END AS p_{f}")
            else:
                parse_parts.append(f"CASE WHEN fast_{f} THEN {cell} ELSE {slow} END AS p_{f}")
            if f in shortcut_fields:
                quick[parse_parts[-1]] = f"{cell} AS p_{f}"
            parse_parts.append(f"{S.text_problem(slow)} AS tp_{f}")
            if f in shortcut_fields:
                quick[parse_parts[-1]] = f"NULL::VARCHAR AS tp_{f}"
            text_problems.append(f)
            continue
        if kind in ("money", "amount", "salary"):
            parse_parts.append(f"{either(f, S.money(slow))} AS m_{f}")
            money[f] = {part: f"m_{f}.{part}"
                        for part in ("amount", "amount_max", "period", "currency", "paid")}
            bad[f] = f"({present(f)} AND NOT m_{f}.ok)"
            continue
        if kind == "date":
            day_first = _day_first(mapping, samples, col_of[f]) if f in col_of else False
            parse_parts.append(f"{either(f, S.date(slow, day_first=day_first))} AS p_{f}")
            bad[f] = (f"({present(f)} AND p_{f} IS NULL "
                      f"AND NOT coalesce({S.date_unknown(slow)}, false))")
            continue
        parse_parts.append(f"{either(f, _full_parser(kind, f, slow))} AS p_{f}")
        if f in shortcut_fields:
            quick[parse_parts[-1]] = f"{cell} AS p_{f}"
        bad[f] = f"({present(f)} AND p_{f} IS NULL)"

    # 4. combine into the canonical fields (pay text, remote locations, dates -> term/duration).
    def p(f: str) -> str:
        return f"p_{f}" if f in fed else f"NULL::{SQL_TYPES[f]}"

    final: dict[str, str] = {}
    for f in schema.INPUT_NAMES:
        if f not in ("placement_id", "student_id") and F.KIND[f] not in ("money", "amount", "salary"):
            final[f] = p(f)
    remote_flags = [f"rm_{f}" for f in F.LOCATION_FIELDS if f in text_fed]
    if remote_flags:
        final["work_mode"] = (f"coalesce({p('work_mode')}, "
                              f"CASE WHEN {' OR '.join(remote_flags)} THEN 'remote' END)")
    def first(*options: str) -> str:
        """coalesce over the options that can hold a value (a coalesce copies strings)."""
        real = [o for o in options if not o.startswith("NULL::")]
        if not real:
            return options[0]
        return real[0] if len(real) == 1 else f"coalesce({', '.join(real)})"

    null_money = {"amount": "NULL::DOUBLE", "amount_max": "NULL::DOUBLE", "period": "NULL::VARCHAR",
                  "currency": "NULL::VARCHAR", "paid": "NULL::BOOLEAN"}
    pay = money.get("pay_amount", null_money)
    final["pay_amount"] = pay["amount"]
    final["pay_amount_max"] = first(money.get("pay_amount_max", null_money)["amount"], pay["amount_max"])
    has_pay = f"({final['pay_amount']} IS NOT NULL OR {final['pay_amount_max']} IS NOT NULL)"
    for f, part in (("pay_period", "period"), ("currency", "currency")):
        fallback = first(pay[part], f"$dp_{f}::VARCHAR" if f in mapping.defaults else "NULL::VARCHAR")
        final[f] = p(f) if fallback.startswith("NULL::") else \
            first(p(f), f"CASE WHEN {has_pay} THEN {fallback} END")
    final["paid"] = first(p("paid"), pay["paid"])
    salary = money.get("offer_salary")
    final["offer_salary"] = (S.salary("", amount=salary["amount"], period=salary["period"])
                             if salary else "NULL::DOUBLE")
    final["signing_bonus"] = money.get("signing_bonus", null_money)["amount"]
    if "offer_accepted" in fed:
        final["offer_extended"] = first(p("offer_extended"),
                                        f"CASE WHEN {p('offer_accepted')} THEN true END")
    start, end = p("start_date"), p("end_date")
    if "start_date" in fed and "end_date" in fed:
        final["duration_weeks"] = first(p("duration_weeks"), f"CASE WHEN {end} >= {start} "
                                        f"THEN date_diff('day', {start}, {end}) / 7.0 END")
    if "start_date" in fed:
        final["term_season"] = first(p("term_season"), f"CASE WHEN {start} IS NOT NULL "
                                     f"THEN {S.season_of_month(f'month({start})')} END")
    season_year = S.year_in_text("s_term_season") if "term_season" in text_fed else "NULL::INTEGER"
    final["term_year"] = (
        f"CAST(coalesce({p('term_year')}, CASE WHEN {season_year} BETWEEN {V.MIN_YEAR} AND "
        f"{V.MAX_YEAR} THEN {season_year} END, year({start})) AS INTEGER)"
    )
    # Combined fields get a working name (f_...), so a layer never reads what it defines.
    combine = ", ".join(f"{sql} AS f_{name}" for name, sql in final.items())

    # 5. ids (pseudonymised student, derived placement id) and the rules.
    if "student_id" in fed:
        student_sql, student_params = hmac_sql("p_student_id", "f_university", key)
        params.update(student_params)
    else:
        student_sql = "NULL::VARCHAR"
    natural = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in (
        "f_student", "f_employer", "f_role", "f_term_season", "f_term_year", "f_start_date"))
    every = ", ".join(f"coalesce(CAST(f_{c} AS VARCHAR), '')" for c in schema.INPUT_NAMES
                      if c not in ("placement_id", "student_id"))
    # With a student id, a placement is that student at that employer in that term; without
    # one, only a row identical in every field is the same placement again.
    placement = (
        f"coalesce({p('placement_id')}, CASE WHEN f_student IS NOT NULL "
        f"THEN 'h' || left(sha256(concat_ws('|', {natural})), 20) "
        f"ELSE 'r' || left(sha256(concat_ws('|', {every})), 20) END)"
    )

    rules: list[tuple[str, str, str, str]] = []  # (condition, column label, value, reason)
    # Rules the shortcut's own values cannot break (a failing value sends its row to the full
    # parsers): by index in `rules`.
    unbreakable: set[int] = set()
    for f in text_problems:
        if f in shortcut_fields:
            unbreakable.add(len(rules))
        rules.append((f"tp_{f} IS NOT NULL", header(f), raw(f), f"tp_{f}"))
    for f, condition in bad.items():
        if f in shortcut_fields:
            unbreakable.add(len(rules))
        rules.append((condition, header(f), raw(f), S.lit(F.parse_reason(f))))
    pay_label = "pay_amount" if "pay_amount" in col_of else "pay_amount_max"
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
        ("f_pay_amount < 0 OR f_pay_amount_max < 0", header(pay_label), raw(pay_label),
         S.lit("pay is negative")),
        ("f_pay_amount_max < f_pay_amount AND f_pay_amount >= 0", header(pay_label), raw(pay_label),
         S.lit("pay range ends below where it starts")),
        ("f_paid = false AND f_pay_amount > 0",
         header("paid") if "paid" in col_of else header("pay_amount"),
         raw("paid") if "paid" in col_of else raw("pay_amount"),
         S.lit("marked unpaid but has a pay amount")),
        # Plausibility of the hourly equivalent (schema.MIN_HOURLY_PAY / MAX_HOURLY_PAY).
        (f"f_hourly > {schema.MAX_HOURLY_PAY}", header(pay_label), raw(pay_label),
         S.lit(f"pay works out at over {schema.MAX_HOURLY_PAY:g} an hour in its currency "
               "(check the amount and its period)")),
        (f"f_hourly >= 0 AND f_hourly < {schema.MIN_HOURLY_PAY}", header(pay_label), raw(pay_label),
         S.lit(f"pay works out at under {schema.MIN_HOURLY_PAY:g} an hour in its currency "
               "(check the amount and its period)")),
        ("f_offer_salary < 0", header("offer_salary"), raw("offer_salary"), S.lit("salary is negative")),
        ("f_offer_accepted AND f_offer_extended = false", header("offer_accepted"),
         raw("offer_accepted"), S.lit("offer accepted but no offer extended")),
        # The outcome fields beyond the first wave: a timeline runs forwards, a renege or a
        # hire follows an accepted offer.
        ("f_signing_bonus < 0", header("signing_bonus"), raw("signing_bonus"),
         S.lit("signing bonus is negative")),
        ("f_offer_deadline < f_offer_date", header("offer_deadline"), raw("offer_deadline"),
         S.lit("offer deadline is before the offer date")),
        ("f_decision_date < f_offer_date", header("decision_date"), raw("decision_date"),
         S.lit("decision date is before the offer date")),
        ("f_separation_date < f_hire_date", header("separation_date"), raw("separation_date"),
         S.lit("separation date is before the hire date")),
        ("f_separation_date IS NOT NULL AND f_hire_date IS NULL", header("separation_date"),
         raw("separation_date"), S.lit("separation date without a hire date")),
        ("f_reneged AND f_offer_accepted = false", header("reneged"), raw("reneged"),
         S.lit("reneged, but the offer was not accepted")),
        ("f_reneged AND f_hire_date IS NOT NULL", header("reneged"), raw("reneged"),
         S.lit("reneged, but has a hire date (a renege withdraws before starting)")),
        ("f_hire_date IS NOT NULL AND f_offer_accepted = false", header("hire_date"),
         raw("hire_date"), S.lit("hire date given, but the offer was not accepted")),
    ]
    if scope is not None:
        rules.append(_scope_rule(scope, params, header, raw))
    hourly = schema.hourly_pay_sql(lambda name: f"f_{name}")
    flag_parts = [f"coalesce({condition}, false) AS b{k}" for k, (condition, *_r) in enumerate(rules)]
    quick.update({flag_parts[k]: f"false AS b{k}" for k in unbreakable})
    ok = "NOT (" + " OR ".join(f"b{k}" for k in range(len(rules))) + ")"
    blank = "(" + " AND ".join(f"c{i} IS NULL" for i in range(len(columns))) + ")"
    typed_out = ", ".join(
        f"CAST(f_{name} AS {SQL_TYPES[name]}) AS {name}" for name in schema.INPUT_NAMES
        if name not in ("placement_id", "student_id")
    )
    def assemble(quickly: bool) -> str:
        def parts(full: list[str]) -> str:
            return _more([quick.get(part, part) for part in full] if quickly else full)

        rows = _more(quick_row_parts if quickly else row_parts)
        return f"""
SELECT *, {ok} AS _ok FROM (
  SELECT *, {placement} AS placement_id, f_student AS student_id, {typed_out}{parts(flag_parts)},
         {blank} AS _blank
  FROM (
    SELECT *, {student_sql} AS f_student, {hourly} AS f_hourly
    FROM (
      SELECT *, {combine}
      FROM (
        SELECT *{parts(parse_parts)}
        FROM (
          SELECT *{parts(slow_parts)}
          FROM (
            SELECT *{parts(trim_parts)}
            FROM (SELECT *{parts(fast_parts)} FROM (SELECT *{rows} FROM ({relation}) AS src))
          )
        )
      )
    )
  )
)"""

    # The shortcut takes every pass-through cell as written: choosing per row between the raw
    # cell and a cleaned value (a CASE) copies every string, and cleaning costs more still.
    # It is right for the rows whose ids pass their fast test (`_ids_ok`) and whose other
    # pass-through cells hold no value that fails it (checked after loading, per value).
    return StagePlan(
        inner=assemble(quickly=False), inner_shortcut=assemble(quickly=True), params=params,
        columns=columns, deferred=deferred,
        field_columns=field_columns,
        rules=[(label, value, reason) for _c, label, value, reason in rules],
        has_row_numbers=has_row_numbers, typed=typed,
        fast_employer="employer" in text_fed and "employer" in col_of,
        student_column=col_of.get("student_id"),
    )
