"""The shared sidebar of filters, kept in step with the URL's query parameters.

The widgets live in the entry script (rendered before the page), so their values survive moving
between pages. The URL is the shareable copy of the same state: on a session's first run the
filter is read from `st.query_params` (so a copied link reopens the same view, on any page), and
on every run the query parameters are rewritten from the filter (so page changes, which may drop
the query string, and filter changes always leave a link that reproduces the view). The filter is
also kept in the session, so pages that hide the filters (Upload, Methodology) keep it for the
next page that shows them. The URL <-> filter mapping is `Filter.to_query_params` /
`from_query_params`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import streamlit as st

from analytics.app import queries
from analytics.filters import PARAM_KEYS, Filter

SEEDED_KEY: Final = "_filters_seeded"
FILTER_KEY: Final = "_filter"

# Sidebar widgets: (filter field, widget key, label, options key in metrics.options()).
MULTI: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("term_years", "flt_year", "Term year", "term_years"),
    ("term_seasons", "flt_season", "Season", "term_seasons"),
    ("universities", "flt_university", "University", "universities"),
    ("employers", "flt_employer", "Employer", "employers"),
    ("role_families", "flt_role_family", "Role family", "role_families"),
    ("degree_levels", "flt_degree", "Degree level", "degree_levels"),
    ("work_modes", "flt_work_mode", "Work mode", "work_modes"),
)
ANY: Final = "Any"
# Single-choice filters: (filter field, widget key, label, {choice: filter value}).
CHOICES: Final[tuple[tuple[str, str, str, dict[str, Any]], ...]] = (
    ("paid", "flt_paid", "Paid", {ANY: None, "Yes": True, "No": False}),
    ("schedule", "flt_schedule", "Schedule", {ANY: None, "Full-time": "full_time", "Part-time": "part_time"}),
    ("academic_credit", "flt_credit", "Academic credit", {ANY: None, "Yes": True, "No": False}),
    ("structured_training", "flt_training", "Structured training", {ANY: None, "Yes": True, "No": False}),
    ("returning_intern", "flt_returning", "Returning intern", {ANY: None, "Yes": True, "No": False}),
)
HELP: Final[dict[str, str]] = {
    "Paid": "Only paid, or only unpaid, internships.",
    "Schedule": "Full-time means 35 or more hours a week.",
    "Academic credit": "Internships taken for academic credit.",
    "Structured training": "Internships that included training or mentoring activities.",
    "Returning intern": "Interns who had interned at the same employer before.",
}
CLEAR_LABEL: Final = "Clear filters"


def _pretty(value: Any) -> str:
    text = str(value)
    return text[:1].upper() + text[1:] if text and text[0].islower() else text


def _match(values: Sequence[Any], options: Sequence[Any]) -> list[Any]:
    """Keep the values that are options, matching text case-insensitively (URLs get retyped)."""
    by_text = {str(o).strip().lower(): o for o in options}
    kept: list[Any] = []
    for value in values:
        option = by_text.get(str(value).strip().lower())
        if option is not None and option not in kept:
            kept.append(option)
    return kept


def _choice_for(mapping: dict[str, Any], value: Any) -> str:
    for choice, mapped in mapping.items():
        if mapped == value and (value is None or type(mapped) is type(value)):
            return choice
    return ANY


def restore(flt: Filter, options: dict[str, list[Any]]) -> None:
    """Give every widget that has no state (first run, or back from a page without filters) the
    value `flt` holds; values that are not options in the database are dropped."""
    for field, key, _label, options_key in MULTI:
        if key not in st.session_state:
            st.session_state[key] = _match(getattr(flt, field), options.get(options_key, []))
    for field, key, _label, mapping in CHOICES:
        if key not in st.session_state:
            st.session_state[key] = _choice_for(mapping, getattr(flt, field))


def apply(flt: Filter, options: dict[str, list[Any]]) -> None:
    """Set every widget to `flt` (a callback, e.g. a chart click, so it runs before the widgets
    are drawn); values that are not options in the database are dropped."""
    for field, key, _label, options_key in MULTI:
        st.session_state[key] = _match(getattr(flt, field), options.get(options_key, []))
    for field, key, _label, mapping in CHOICES:
        st.session_state[key] = _choice_for(mapping, getattr(flt, field))
    st.session_state[FILTER_KEY] = flt


def clear() -> None:
    """Reset every filter (a button callback, so it runs before the widgets are drawn)."""
    for _field, key, _label, _options in MULTI:
        st.session_state[key] = []
    for _field, key, _label, _mapping in CHOICES:
        st.session_state[key] = ANY
    st.session_state[FILTER_KEY] = Filter()


def url_filter() -> Filter:
    """The filter the current URL asks for."""
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    return Filter.from_query_params(params)


def _sync_url(flt: Filter) -> None:
    wanted = flt.to_query_params()
    for key in PARAM_KEYS.values():
        current = st.query_params.get_all(key)
        target = wanted.get(key, [])
        if current == target:
            continue
        if target:
            st.query_params[key] = target
        elif key in st.query_params:
            del st.query_params[key]


def _sanitise(options: dict[str, list[Any]]) -> None:
    """Drop selections that are no longer options (the data changed under the session)."""
    for _field, key, _label, options_key in MULTI:
        if key in st.session_state:
            st.session_state[key] = _match(st.session_state[key], options.get(options_key, []))
    for _field, key, _label, mapping in CHOICES:
        if st.session_state.get(key) not in mapping:
            st.session_state[key] = ANY


def render(show: bool = True) -> Filter:
    """Draw the filters in the sidebar and return the filter they describe.

    With `show=False` (pages the filters do not apply to, such as Upload) the widgets are not
    drawn; the filter is kept in the session and the URL, and the widgets get it back on the
    next page that shows them."""
    options = queries.options()
    if not st.session_state.get(SEEDED_KEY):
        # A session's first run: the URL says what to show (a copied link reopens its view).
        st.session_state[FILTER_KEY] = url_filter()
        st.session_state[SEEDED_KEY] = True
    saved = st.session_state.get(FILTER_KEY)
    saved = saved if isinstance(saved, Filter) else Filter()
    if not show:
        with st.sidebar:
            st.caption(f":material/filter_alt: Filters on the analysis pages: {saved.describe()}.")
        _sync_url(saved)
        return saved
    restore(saved, options)
    _sanitise(options)
    values: dict[str, Any] = {}
    with st.sidebar:
        st.header("Filters", divider="gray")
        for field, key, label, options_key in MULTI:
            formatter: Callable[[Any], str] = str if field in ("term_years", "universities", "employers") \
                else _pretty
            chosen = st.multiselect(label, options.get(options_key, []), key=key, format_func=formatter,
                                    placeholder="All")
            values[field] = tuple(chosen)
        for field, key, label, mapping in CHOICES:
            choice = st.radio(label, list(mapping), key=key, horizontal=True, help=HELP.get(label))
            values[field] = mapping[choice or ANY]
        flt = Filter(**values)
        st.button(CLEAR_LABEL, on_click=clear, disabled=flt.is_empty(), icon=":material/filter_alt_off:",
                  width="stretch")
    _sync_url(flt)
    st.session_state[FILTER_KEY] = flt
    return flt


def current() -> Filter:
    """The filter of this run: the sidebar's, or the URL's when a page runs on its own."""
    flt = st.session_state.get(FILTER_KEY)
    return flt if isinstance(flt, Filter) else url_filter()
