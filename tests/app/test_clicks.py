"""Click to filter: which filter a clicked group key becomes, and how keys are read from a
Streamlit selection event (the browser test tests/e2e/test_clicks.py clicks for real)."""

from __future__ import annotations

from analytics.app.clicks import clicked_keys, narrow
from analytics.filters import Filter

PAID = Filter(paid=True)


def test_a_term_becomes_its_year_and_season_keeping_the_other_filters() -> None:
    summer = Filter(paid=True, term_years=(2024,), term_seasons=("summer",))
    assert narrow(PAID, "term", "Summer 2024") == summer
    # A click narrows: a term already chosen among several becomes the only one.
    both = Filter(term_years=(2023, 2024), term_seasons=("summer", "fall"))
    assert narrow(both, "term", "Fall 2023") == Filter(term_years=(2023,), term_seasons=("fall",))


def test_each_dimension_maps_to_its_filter_field() -> None:
    assert narrow(PAID, "term_year", "2021") == Filter(paid=True, term_years=(2021,))
    assert narrow(PAID, "employer", "Acme Corp") == Filter(paid=True, employers=("Acme Corp",))
    assert narrow(PAID, "university", "Northfield State University") == Filter(
        paid=True, universities=("Northfield State University",))
    assert narrow(PAID, "role_family", "it support & infrastructure") == Filter(
        paid=True, role_families=("IT support & infrastructure",))
    assert narrow(PAID, "work_mode", "remote") == Filter(paid=True, work_modes=("remote",))
    assert narrow(PAID, "degree_level", "master") == Filter(paid=True, degree_levels=("master",))
    assert narrow(PAID, "schedule", "part_time") == Filter(paid=True, schedule="part_time")
    # Booleans arrive as the metrics layer's yes/no labels, and replace the current choice.
    assert narrow(PAID, "paid", "no") == Filter(paid=False)
    assert narrow(PAID, "structured_training", "yes") == Filter(paid=True, structured_training=True)


def test_groups_that_cannot_be_filtered_on_change_nothing() -> None:
    assert narrow(PAID, "university", "unknown") is None  # missing values have no filter
    assert narrow(PAID, "term", "Someday 2024") is None
    assert narrow(PAID, "term_year", "n/a") is None
    assert narrow(PAID, "role_family", "astrology") is None
    assert narrow(PAID, "paid", "maybe") is None
    assert narrow(PAID, "duration_band", "8 to 12 weeks") is None


def test_keys_are_the_last_customdata_element_of_the_selected_points() -> None:
    event = {"selection": {"points": [
        {"curve_number": 1, "x": "Summer 2024", "customdata": ["50.0%", "95% CI", "40", "Summer 2024"]},
        {"curve_number": 0, "x": "band"},  # the interval band: no customdata, not a group
    ], "point_indices": [3]}}
    assert clicked_keys(event) == ["Summer 2024"]
    assert clicked_keys({"selection": {"points": []}}) == []
    assert clicked_keys(None) == []
    assert clicked_keys({"unexpected": 1}) == []
