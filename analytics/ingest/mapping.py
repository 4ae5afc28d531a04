"""Header mapping: which column of a file feeds which canonical field.

Suggestions come from the schema's names and synonyms (plus a few the importer knows from real
files), matched exactly after normalising (`Start_Date`, ` Company`, `InternshipName`), then as
whole words inside a longer header (`Start date of internship`), then by spelling (`schoool`).
A suggestion is dropped when the column's values do not parse as that field (a `status` column
of 1/0 is not an internship status; it may well be an offer flag). The user can override any
entry; a mapping saves to JSON and applies to the next file with the same headers.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping as AbcMapping
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from analytics import schema
from analytics.ingest import fields as F
from analytics.ingest import values as V

DateOrder = Literal["auto", "month_first", "day_first"]
DATE_ORDERS: Final[tuple[str, ...]] = ("auto", "month_first", "day_first")
MAPPING_VERSION: Final = 1

# Header names seen in real files that the schema's synonyms do not cover.
EXTRA_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "city": ("location", "internship location", "job location", "work location", "place"),
    "employer": ("company name", "org", "organization name", "organisation name", "employer name",
                 "hiring organization", "recruiter"),
    "role": ("internship title", "designation", "job role", "role name", "position name"),
    "university": ("school name", "institute", "university college"),
    "pay_amount": ("stipend amount", "monthly stipend", "hourly pay", "hourly wage", "pay amount",
                   "wage rate", "hourly rate"),
    "hours_per_week": ("hours week", "hrs week", "weekly hours"),
    "final_year": ("final year",),
    "offer_salary": ("ctc", "salary offered", "offer amount"),
    "term_year": ("class of",),
    "duration_weeks": ("duration weeks", "internship length"),
}
# Header words that mark a column as a link or free-text note, never a field's value.
NOT_A_FIELD_WORDS: Final = frozenset({"link", "url", "href", "page", "website"})
# Pay headers that say what period or currency the amounts are in.
PERIOD_HINTS: Final = (("hourly", "hour"), ("per hour", "hour"), ("weekly", "week"),
                       ("monthly", "month"), ("per month", "month"), ("annual", "year"),
                       ("yearly", "year"), ("salary", "year"))
CURRENCY_HINTS: Final = (("usd", "USD"), ("inr", "INR"), ("rupee", "INR"), ("gbp", "GBP"),
                         ("eur", "EUR"), ("cad", "CAD"), ("aud", "AUD"))
MIN_SCORE: Final = 0.55
FUZZY_RATIO: Final = 0.88


class MappingError(ValueError):
    """A mapping that cannot be used; the message says which entry and why."""


def normalise(header: str) -> str:
    """`Start_Date`, ` start-date `, `StartDate` -> `start date`."""
    text = header.strip(V.TRIM_CHARS)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return text.strip()


def _names(field_name: str) -> list[str]:
    spec = schema.FIELD_BY_NAME[field_name]
    names = [field_name, *spec.synonyms, *EXTRA_SYNONYMS.get(field_name, ())]
    return list(dict.fromkeys(normalise(n) for n in names if normalise(n)))


_NAME_INDEX: Final[dict[str, list[str]]] = {f: _names(f) for f in schema.INPUT_NAMES}
# Normalised name -> field, for headers that name a field outright (the first field wins).
_EXACT: Final[dict[str, str]] = {}
for _field, _names_of_field in _NAME_INDEX.items():
    for _name in _names_of_field:
        _EXACT.setdefault(_name, _field)


def _contains_words(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


def header_score(header: str, field_name: str) -> float:
    """How well a header names a field: 1 exact, ~0.9 misspelt, 0.7-0.8 contains it, 0 not."""
    norm = normalise(header)
    if not norm:
        return 0.0
    words = set(norm.split())
    best = 0.0
    for name in _NAME_INDEX[field_name]:
        if norm == name:
            return 1.0
        if min(len(norm), len(name)) >= 4:
            matcher = difflib.SequenceMatcher(None, norm, name)
            # The cheap upper bounds first: most pairs are nowhere near each other.
            if matcher.real_quick_ratio() >= FUZZY_RATIO and matcher.quick_ratio() >= FUZZY_RATIO:
                ratio = matcher.ratio()
                if ratio >= FUZZY_RATIO:
                    best = max(best, 0.95 * ratio)
        if words & NOT_A_FIELD_WORDS:
            continue
        if len(name) >= 4 and _contains_words(norm, name):
            # The head of the phrase says what it is: `Location of internship` is a location.
            head = 0.05 if norm.startswith(name + " ") else 0.0
            best = max(best, 0.7 + 0.1 * len(name) / len(norm) + head)
        elif len(norm) >= 4 and _contains_words(name, norm):
            best = max(best, 0.6)
    return best


def values_fit(field_name: str, samples: Sequence[str | None], *, day_first: bool = False,
               exact: bool = False) -> bool:
    """Do the column's sample values parse as this field? True when there are few values.

    A header that names the field exactly keeps it unless no value at all fits (then the
    values say otherwise, like a `status` column of 1/0); a looser match needs most to fit.
    """
    present = [s for s in samples if s is not None and V.clean(s) is not None][:200]
    if len(present) < 3:
        return True
    if F.KIND[field_name] == "text":
        links = sum(1 for s in present if re.match(r"\s*(https?://|www\.)", s, re.IGNORECASE))
        return links < len(present) if exact else links * 2 < len(present)
    parsed = sum(1 for s in present if F.parse_field(field_name, s, day_first=day_first).ok)
    return parsed > 0 if exact else parsed * 2 >= len(present)


@dataclass
class Mapping:
    """Source column -> canonical field (None: not imported), plus defaults and the date order.

    `defaults` gives a value (written as in a cell) for fields the file leaves blank or lacks,
    e.g. {"currency": "INR", "pay_period": "month"} for rupee stipends written without a unit.
    """

    columns: dict[str, str | None] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    date_order: str = "auto"

    def field_columns(self) -> dict[str, str]:
        """Canonical field -> the source column feeding it."""
        return {target: column for column, target in self.columns.items() if target}

    def unmapped(self) -> list[str]:
        return [column for column, target in self.columns.items() if not target]

    def to_dict(self) -> dict[str, Any]:
        return {"version": MAPPING_VERSION, "columns": dict(self.columns),
                "defaults": dict(self.defaults), "date_order": self.date_order}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Mapping:
        if not isinstance(data, AbcMapping):
            raise MappingError("a mapping is a JSON object with 'columns' (and optionally "
                               "'defaults' and 'date_order')")
        columns = data.get("columns", {})
        defaults = data.get("defaults", {})
        date_order = data.get("date_order", "auto")
        if not isinstance(columns, AbcMapping) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in columns.items()
        ):
            raise MappingError("'columns' must map column names to field names (or null)")
        if not isinstance(defaults, AbcMapping) or not all(
            isinstance(k, str) and isinstance(v, str | int | float | bool) for k, v in defaults.items()
        ):
            raise MappingError("'defaults' must map field names to values")
        mapping = cls(
            columns={k: (v or None) for k, v in columns.items()},
            defaults={k: _default_text(v) for k, v in defaults.items()},
            date_order=str(date_order),
        )
        mapping.check()
        return mapping

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise MappingError(f"not valid JSON ({error.msg} at line {error.lineno})") from None
        return cls.from_dict(data)

    def check(self) -> None:
        """Raise MappingError for unknown fields, a field fed twice, or unusable defaults."""
        fed: dict[str, str] = {}
        for column, target in self.columns.items():
            if target is None:
                continue
            if target not in schema.INPUT_NAMES:
                raise MappingError(f"column {column!r} maps to {target!r}, which is not a field "
                                   f"(fields: {', '.join(schema.INPUT_NAMES)})")
            if target in fed:
                raise MappingError(f"columns {fed[target]!r} and {column!r} both map to {target!r}; "
                                   "a field takes one column")
            fed[target] = column
        for target, value in self.defaults.items():
            if target not in schema.INPUT_NAMES:
                raise MappingError(f"default for {target!r}: not a field")
            if target in ("placement_id", "student_id"):
                raise MappingError(f"default for {target!r}: ids cannot have a default")
            parsed = F.parse_field(target, value)
            if not parsed.ok or parsed.value is None:
                raise MappingError(f"default for {target!r}: {value!r} is not a valid value")
        if self.date_order not in DATE_ORDERS:
            raise MappingError(f"date_order must be one of {', '.join(DATE_ORDERS)}, "
                               f"not {self.date_order!r}")


def _default_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def suggest(columns: Sequence[str], samples: Sequence[Sequence[str | None]] = (),
            *, taken: AbcMapping[str, str] | None = None) -> dict[str, str | None]:
    """Best field for each column (None when nothing fits), one column per field.

    `samples` are data rows (cells in column order) used to check values fit; `taken` maps
    fields already fed by a saved mapping to their column, so suggestions leave them alone.
    """
    taken_fields = dict(taken or {})
    taken_columns = set(taken_fields.values())
    candidates: list[tuple[float, int, str]] = []
    for index, column in enumerate(columns):
        if column in taken_columns:
            continue
        column_values = [row[index] if index < len(row) else None for row in samples]
        exact = _EXACT.get(normalise(column))
        if exact is not None and exact not in taken_fields and values_fit(
                exact, column_values, day_first=detect_day_first(column_values), exact=True):
            # The header names a field outright (and its values agree): nothing scores higher.
            candidates.append((1.0, index, exact))
            continue
        for field_name in schema.INPUT_NAMES:
            if field_name in taken_fields:
                continue
            score = header_score(column, field_name)
            if score >= MIN_SCORE and values_fit(field_name, column_values,
                                                 day_first=detect_day_first(column_values),
                                                 exact=score >= 1.0):
                candidates.append((score, index, field_name))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    result: dict[str, str | None] = {column: None for column in columns}
    used_fields: set[str] = set(taken_fields)
    used_columns: set[int] = set()
    for _score, index, field_name in candidates:
        if index in used_columns or field_name in used_fields:
            continue
        result[columns[index]] = field_name
        used_columns.add(index)
        used_fields.add(field_name)
    return result


def suggest_defaults(columns: AbcMapping[str, str | None]) -> dict[str, str]:
    """Pay period / currency a pay header states (`Hourly pay`, `Stipend (INR)`)."""
    defaults: dict[str, str] = {}
    for column, target in columns.items():
        if target != "pay_amount":
            continue
        norm = f" {normalise(column)} "
        for hint, period in PERIOD_HINTS:
            if f" {hint} " in norm:
                defaults["pay_period"] = period
                break
        for hint, code in CURRENCY_HINTS:
            if f" {hint} " in norm:
                defaults["currency"] = code
                break
    return defaults


def detect_day_first(samples: Sequence[str | None]) -> bool:
    """True when the column's numeric dates are day-first (some `18/05/2021`, none `5/18/2021`)."""
    day_first = month_first = False
    for sample in samples:
        value = V.clean(sample)
        if value is None:
            continue
        m = re.search(V.DATE_NUMERIC_RE, value.lower())
        if not m:
            continue
        first, second = int(m.group(1)), int(m.group(2))
        day_first = day_first or first > 12
        month_first = month_first or second > 12
    return day_first and not month_first


def resolve(columns: Sequence[str], samples: Sequence[Sequence[str | None]] = (),
            saved: Mapping | None = None) -> Mapping:
    """The mapping for a file: the saved mapping's entries where its columns match (by name,
    ignoring case, spacing and punctuation), suggestions for the rest."""
    entries: dict[str, str | None] = {}
    explicit: dict[str, str] = {}
    if saved is not None:
        by_norm = {normalise(k): v for k, v in saved.columns.items()}
        for column in columns:
            key = column if column in saved.columns else normalise(column)
            if column in saved.columns or key in by_norm:
                target = saved.columns.get(column, by_norm.get(key))
                entries[column] = target
                if target:
                    explicit[target] = column
    suggested = suggest([c for c in columns if c not in entries],
                        [[row[i] if i < len(row) else None for i, c in enumerate(columns)
                          if c not in entries] for row in samples],
                        taken=explicit)
    merged = {column: entries[column] if column in entries else suggested.get(column)
              for column in columns}
    defaults = dict(saved.defaults) if saved is not None else suggest_defaults(merged)
    mapping = Mapping(columns=merged, defaults=defaults,
                      date_order=saved.date_order if saved is not None else "auto")
    mapping.check()
    return mapping


# -- mapping mistakes -------------------------------------------------------------------------
# A column is mis-mapped when at least this share of its (non-blank) sample values fail its field.
MISMATCH_SHARE: Final = 0.9
# Kinds tried as the column's real field, most specific first (a year also reads as a number).
_PROPOSAL_KINDS: Final = ("year", "season", "date", "enum", "bool", "rating", "currency",
                          "duration", "number", "money", "amount", "salary")


@dataclass(frozen=True)
class Proposal:
    """A column whose values (nearly) all fail the field it is mapped to."""

    column: str
    mapped: str
    failing: int  # sample values that fail `mapped`
    present: int  # non-blank sample values
    proposed: str | None  # the field whose parser accepts the values, when one does

    def message(self) -> str:
        head = (f"Column {self.column!r} is mapped to {self.mapped}, but {self.failing:,} of its "
                f"{self.present:,} values checked are not a valid {F.label(self.mapped)}")
        if self.proposed is None:
            return head + ": check the mapping (no other field fits these values either)."
        return (head + f"; they read as {self.proposed}. The column was left out of this import "
                f"rather than rejecting every row: map it to {self.proposed} to import it.")

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "mapped": self.mapped, "failing": self.failing,
                "present": self.present, "proposed": self.proposed}


def _fits(field_name: str, values: Sequence[str], day_first: bool) -> int:
    return sum(1 for v in values if F.parse_field(field_name, v, day_first=day_first).ok)


def mapping_mistakes(mapping: Mapping, columns: Sequence[str],
                     samples: Sequence[Sequence[str | None]]) -> list[Proposal]:
    """Mapped columns whose sample values (nearly) all fail their field, each with the field
    its values fit instead (preferring one the header names, then the most specific kind)."""
    fed = mapping.field_columns()
    proposals: list[Proposal] = []
    for index, column in enumerate(columns):
        target = mapping.columns.get(column)
        if not target or F.KIND[target] == "text":
            continue  # text takes almost anything: failing values there are bad cells, not a mix-up
        present = [v for row in samples if index < len(row)
                   for v in [row[index]] if v is not None and V.clean(v) is not None][:200]
        if len(present) < 2:
            continue
        day_first = (mapping.date_order == "day_first"
                     or (mapping.date_order == "auto" and detect_day_first(present)))
        failing = len(present) - _fits(target, present, day_first)
        if failing < MISMATCH_SHARE * len(present):
            continue
        best: tuple[float, int, str] | None = None
        for name in schema.INPUT_NAMES:
            kind = F.KIND[name]
            if name == target or kind not in _PROPOSAL_KINDS or (name in fed and fed[name] != column):
                continue
            if _fits(name, present, day_first) < MISMATCH_SHARE * len(present):
                continue
            rank = (header_score(column, name), -_PROPOSAL_KINDS.index(kind), name)
            if best is None or rank[:2] > best[:2]:
                best = rank
        proposals.append(Proposal(column=column, mapped=target, failing=failing,
                                  present=len(present), proposed=best[2] if best else None))
    return proposals


def set_aside(mapping: Mapping, proposals: Sequence[Proposal]) -> Mapping:
    """The mapping without the columns a proposal has another field for (they are not imported)."""
    aside = {p.column for p in proposals if p.proposed is not None}
    if not aside:
        return mapping
    return Mapping(columns={c: (None if c in aside else t) for c, t in mapping.columns.items()},
                   defaults=dict(mapping.defaults), date_order=mapping.date_order)
