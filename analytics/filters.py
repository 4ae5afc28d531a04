"""The filter object: which placements a metric looks at, rendered to parameterised SQL.

A `Filter` is immutable and hashable, so pages can use it (with the store's data version) as a
cache key. It renders to a WHERE clause whose values are always bound parameters: a university
called `x' OR 1=1 --` is just a name that matches nothing. Column names come from this module
only, never from the caller.

Values are normalised on construction (deduplicated, sorted, enum values lower-cased where the
store keeps them lower-case) so two filters that select the same rows compare equal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from analytics import schema

# Query-parameter keys (st.query_params), one per filter field.
PARAM_KEYS: Final[dict[str, str]] = {
    "term_years": "year",
    "term_seasons": "season",
    "universities": "university",
    "employers": "employer",
    "role_families": "role_family",
    "degree_levels": "degree",
    "work_modes": "work_mode",
    "paid": "paid",
    "schedule": "schedule",
    "academic_credit": "credit",
    "structured_training": "training",
    "returning_intern": "returning",
}
_TRUE_WORDS: Final = frozenset({"yes", "true", "1", "y", "t"})
_FALSE_WORDS: Final = frozenset({"no", "false", "0", "n", "f"})
_ROLE_FAMILY_BY_LOWER: Final = {r.lower(): r for r in schema.ROLE_FAMILIES}

# The employer filter matches display names through the same normalisation the loader used for
# employer_key, evaluated by DuckDB itself so Unicode case folding is identical on both sides.
_EMPLOYER_KEYS_SQL: Final = (
    f"employer_key IN (SELECT {schema.EMPLOYER_KEY_SQL} "
    "FROM (SELECT unnest(CAST(? AS VARCHAR[])) AS employer))"
)


def _strings(values: Iterable[Any] | str | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = (values,)
    return tuple(sorted({str(v) for v in values}))


def _lower_strings(values: Iterable[Any] | str | None) -> tuple[str, ...]:
    return tuple(sorted({v.strip().lower() for v in _strings(values)}))


def _role_families(values: Iterable[Any] | str | None) -> tuple[str, ...]:
    # Role families are stored with their enum's capitals ("IT support & infrastructure").
    return tuple(sorted({_ROLE_FAMILY_BY_LOWER.get(v.strip().lower(), v) for v in _strings(values)}))


def _years(values: Iterable[Any] | int | None) -> tuple[int, ...]:
    if values is None:
        return ()
    if isinstance(values, int | str):
        values = (values,)
    return tuple(sorted({int(v) for v in values}))


def _parse_bool(text: str) -> bool | None:
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


@dataclass(frozen=True)
class Filter:
    """Which placements to look at. Empty tuples and None mean "no restriction"."""

    term_years: tuple[int, ...] = ()
    term_seasons: tuple[str, ...] = ()
    universities: tuple[str, ...] = ()
    employers: tuple[str, ...] = ()  # display names; matched case/space-insensitively via employer_key
    role_families: tuple[str, ...] = ()
    degree_levels: tuple[str, ...] = ()
    work_modes: tuple[str, ...] = ()
    paid: bool | None = None
    schedule: str | None = None  # 'full_time' | 'part_time'
    academic_credit: bool | None = None
    structured_training: bool | None = None
    returning_intern: bool | None = None  # had interned at this employer before

    def __post_init__(self) -> None:
        # Normalise so that equal selections are equal (and hash equal) as cache keys.
        normalised: dict[str, Any] = {
            "term_years": _years(self.term_years),
            "term_seasons": _lower_strings(self.term_seasons),
            "universities": _strings(self.universities),
            "employers": _strings(self.employers),
            "role_families": _role_families(self.role_families),
            "degree_levels": _lower_strings(self.degree_levels),
            "work_modes": _lower_strings(self.work_modes),
            "schedule": self.schedule.strip().lower() if isinstance(self.schedule, str) else None,
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)
        for name in ("paid", "academic_credit", "structured_training", "returning_intern"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise TypeError(f"Filter.{name} must be True, False or None, not {value!r}")

    # -- SQL -----------------------------------------------------------------------------------
    def conditions(self) -> tuple[list[str], list[Any]]:
        """The WHERE conditions (to be AND-ed) and their bound parameters, in order."""
        parts: list[str] = []
        params: list[Any] = []

        def add_in(column: str, values: tuple[Any, ...]) -> None:
            if values:
                parts.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)

        add_in("term_year", self.term_years)
        add_in("term_season", self.term_seasons)
        add_in("university", self.universities)
        if self.employers:
            parts.append(_EMPLOYER_KEYS_SQL)
            params.append(list(self.employers))
        add_in("role_family", self.role_families)
        add_in("degree_level", self.degree_levels)
        add_in("work_mode", self.work_modes)
        for column in ("paid", "schedule", "academic_credit", "structured_training", "returning_intern"):
            value = getattr(self, column)
            if value is not None:
                parts.append(f"{column} = ?")
                params.append(value)
        return parts, params

    def where(self) -> tuple[str, list[Any]]:
        """("WHERE a IN (?) AND ...", params), or ("", []) when nothing is filtered."""
        parts, params = self.conditions()
        if not parts:
            return "", []
        return "WHERE " + " AND ".join(parts), params

    # -- conveniences ----------------------------------------------------------------------------
    def replace(self, **changes: Any) -> Filter:
        return dataclasses.replace(self, **changes)

    def is_empty(self) -> bool:
        return self == Filter()

    def to_query_params(self) -> dict[str, list[str]]:
        """The filter as st.query_params (only the fields that are set; booleans as yes/no)."""
        out: dict[str, list[str]] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            key = PARAM_KEYS[field.name]
            if isinstance(value, tuple):
                if value:
                    out[key] = [str(v) for v in value]
            elif isinstance(value, bool):
                out[key] = ["yes" if value else "no"]
            elif value is not None:
                out[key] = [str(value)]
        return out

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | list[str]]) -> Filter:
        """Rebuild a filter from query parameters, silently ignoring values that cannot be valid
        (a year that is not a number, an unknown season or enum value, a boolean that is not
        yes/no). Free-text fields (universities, employers) are kept as given."""

        def values(key: str) -> list[str]:
            raw = params.get(key)
            if raw is None:
                return []
            return [raw] if isinstance(raw, str) else [str(v) for v in raw]

        def enum(key: str, allowed: Iterable[str]) -> tuple[str, ...]:
            by_lower = {a.lower(): a for a in allowed}
            return tuple(by_lower[v.strip().lower()] for v in values(key) if v.strip().lower() in by_lower)

        def boolean(key: str) -> bool | None:
            parsed = [b for b in (_parse_bool(v) for v in values(key)) if b is not None]
            return parsed[-1] if parsed else None

        years = tuple(int(v) for v in values("year") if v.strip().lstrip("-").isdigit())
        schedules = enum("schedule", schema.SCHEDULES)
        return cls(
            term_years=years,
            term_seasons=enum("season", schema.TERM_SEASONS),
            universities=tuple(v for v in values("university") if v),
            employers=tuple(v for v in values("employer") if v),
            role_families=enum("role_family", schema.ROLE_FAMILIES),
            degree_levels=enum("degree", schema.DEGREE_LEVELS),
            work_modes=enum("work_mode", schema.WORK_MODES),
            paid=boolean("paid"),
            schedule=schedules[-1] if schedules else None,
            academic_credit=boolean("credit"),
            structured_training=boolean("training"),
            returning_intern=boolean("returning"),
        )

    def describe(self) -> str:
        """Human text for the scope, e.g. "Summer 2024-2025, paid only"."""
        parts: list[str] = []
        seasons = " / ".join(s.capitalize() for s in self.term_seasons)
        years = _describe_years(self.term_years)
        when = " ".join(p for p in (seasons, years) if p)
        if when:
            parts.append(when)
        for values, plural in (
            (self.universities, "universities"),
            (self.employers, "employers"),
            (self.role_families, "role families"),
            (self.degree_levels, "degree levels"),
            (self.work_modes, "work modes"),
        ):
            if len(values) == 1:
                parts.append(values[0])
            elif 1 < len(values) <= 3:
                parts.append(", ".join(values))
            elif values:
                parts.append(f"{len(values)} {plural}")
        if self.paid is not None:
            parts.append("paid only" if self.paid else "unpaid only")
        if self.schedule is not None:
            parts.append(self.schedule.replace("_", "-"))
        if self.academic_credit is not None:
            parts.append("for academic credit" if self.academic_credit else "not for credit")
        if self.structured_training is not None:
            parts.append("with structured training" if self.structured_training
                         else "without structured training")
        if self.returning_intern is not None:
            parts.append("returning interns" if self.returning_intern else "first-time interns")
        return ", ".join(parts) if parts else "All placements"


def _describe_years(years: tuple[int, ...]) -> str:
    if not years:
        return ""
    if len(years) > 1 and years == tuple(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)
