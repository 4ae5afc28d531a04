"""Which terms the Overview's KPI cards compare, and how a change reads (pure helpers)."""

from __future__ import annotations

import polars as pl

from analytics.app import kpis
from analytics.filters import Filter


def _terms(rows: list[tuple[str, int, int | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"group": pl.String, "sort_key": pl.Int64, "n": pl.Int64,
                                      "suppressed": pl.Boolean}, orient="row")


TERMS = _terms([
    ("Summer 2023", 20232, 200, False),
    ("Fall 2023", 20233, 40, False),
    ("Summer 2024", 20242, 220, False),
    ("Fall 2024", 20243, 45, False),
    ("Winter 2024", 20244, None, True),  # suppressed: never compared
    ("unknown", 10**9, 12, False),
])


def test_parse_term() -> None:
    assert kpis.parse_term("Summer 2025") == ("summer", 2025)
    assert kpis.parse_term("unknown") is None
    assert kpis.parse_term("Summer") is None


def test_candidates_are_terms_with_the_same_season_a_year_earlier_latest_first() -> None:
    assert kpis.candidates(TERMS) == ["Fall 2024", "Summer 2024"]


def test_default_skips_a_small_latest_term() -> None:
    # Fall 2024 has 45 eligible interns against Summer 2024's 220: the arrows follow the summer.
    assert kpis.default_term(TERMS) == "Summer 2024"


def test_comparison_narrows_the_filter_to_each_term() -> None:
    flt = Filter(universities=("Test U",), term_years=(2023, 2024))
    comparison = kpis.comparable_terms(TERMS, flt, "Fall 2024")
    assert comparison is not None
    assert (comparison.latest, comparison.previous) == ("Fall 2024", "Fall 2023")
    assert comparison.latest_filter == Filter(universities=("Test U",), term_years=(2024,),
                                              term_seasons=("fall",))
    assert comparison.previous_filter.term_years == (2023,)
    # an unknown choice falls back to the default
    fallback = kpis.comparable_terms(TERMS, flt, "Spring 1999")
    assert fallback is not None and fallback.latest == "Summer 2024"
    assert kpis.comparable_terms(_terms([("Summer 2024", 1, 50, False)]), flt) is None


def test_changes_read_in_points_and_units() -> None:
    assert kpis.points(0.5, 1 / 3) == "+16.7 pts"
    assert kpis.points(0.40, 0.45) == "-5.0 pts"
    assert kpis.points(None, 0.4) is None
    assert kpis.difference(7, 6) == "+1"
    assert kpis.difference(22.5, 21.97, digits=2, unit="USD") == "+0.53 USD"
    assert kpis.difference(float("nan"), 1.0) is None
    assert kpis.relative(110, 100) == "+10.0%"
