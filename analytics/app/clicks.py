"""Charts you can click: a click on a bar or point narrows the page's filter to that group.

Every clickable figure carries, as the last element of each point's customdata, the key of the
group the point stands for (a term label, an employer's display name, a university, a role
family...); `chart` draws the figure with Streamlit's selection events and, when a point is
clicked, turns that key into a narrower Filter (`narrow`) and hands it to the sidebar, which
shows it in its widgets and writes it to the URL like any other filter. The way back is the
sidebar (each filter can be removed, "Clear filters" removes all) and the "Back" button the
chart offers after a click.

The click is handled in the selection callback, which Streamlit runs before the next script run:
the sidebar widgets can then be set before they are drawn. The chart's key carries a generation
number that every click-filter moves on, so the next run draws a fresh chart without the old
selection (a selection left on the new figure would keep re-filtering and highlight a point that
may no longer be there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import plotly.graph_objects as go
import streamlit as st

from analytics import schema
from analytics.app import common, queries, sidebar
from analytics.filters import Filter

GENERATION_KEY: Final = "_click_generation"
PREVIOUS_KEY: Final = "_click_previous"  # the filter before the last click, for "Back"
APPLIED_KEY: Final = "_click_applied"  # the filter the last click made
BACK_LABEL: Final = "Undo click"
UNKNOWN: Final = "unknown"  # the metrics layer's label for a missing value: nothing to filter on
_YES_NO: Final = {"yes": True, "no": False}
_ENUMS: Final[Mapping[str, tuple[str, ...]]] = {
    "term_season": schema.TERM_SEASONS,
    "role_family": schema.ROLE_FAMILIES,
    "degree_level": schema.DEGREE_LEVELS,
    "work_mode": schema.WORK_MODES,
}
_ENUM_FIELDS: Final = {
    "term_season": "term_seasons",
    "role_family": "role_families",
    "degree_level": "degree_levels",
    "work_mode": "work_modes",
}
_BOOLEAN_FIELDS: Final = frozenset({"paid", "academic_credit", "structured_training", "returning_intern"})
# What the caption under a clickable chart calls the group a click filters on.
NOUNS: Final[Mapping[str, str]] = {
    "term": "term",
    "term_year": "year",
    "term_season": "season",
    "university": "university",
    "employer": "employer",
    "role_family": "role family",
    "degree_level": "degree level",
    "work_mode": "work mode",
    "paid": "group",
    "schedule": "schedule",
    "academic_credit": "group",
    "structured_training": "group",
    "returning_intern": "group",
}


def narrow(flt: Filter, dimension: str, key: str) -> Filter | None:
    """The filter narrowed to the clicked group `key` of `dimension` (a group label as the
    metrics layer writes it), or None when the group cannot be filtered on (an 'unknown' group,
    a label that is not a value of the dimension)."""
    text = str(key).strip()
    if not text or text.lower() == UNKNOWN:
        return None
    if dimension == "term":
        season, _, year = text.rpartition(" ")
        if season.lower() not in schema.TERM_SEASONS or not year.isdigit():
            return None
        return flt.replace(term_years=(int(year),), term_seasons=(season.lower(),))
    if dimension == "term_year":
        return flt.replace(term_years=(int(text),)) if text.isdigit() else None
    if dimension == "university":
        return flt.replace(universities=(text,))
    if dimension == "employer":
        return flt.replace(employers=(text,))
    if dimension in _ENUMS:
        by_lower = {value.lower(): value for value in _ENUMS[dimension]}
        value = by_lower.get(text.lower())
        return flt.replace(**{_ENUM_FIELDS[dimension]: (value,)}) if value is not None else None
    if dimension in _BOOLEAN_FIELDS:
        flag = _YES_NO.get(text.lower())
        return flt.replace(**{dimension: flag}) if flag is not None else None
    if dimension == "schedule":
        return flt.replace(schedule=text.lower()) if text.lower() in schema.SCHEDULES else None
    return None


def clicked_keys(event: Any) -> list[str]:
    """The group keys (last customdata element) of the points a selection event holds."""
    if not event:
        return []
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return []
    keys: list[str] = []
    for point in points or []:
        custom = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(custom, list | tuple) and custom and custom[-1] is not None:
            keys.append(str(custom[-1]))
    return keys


def _generation() -> int:
    value = st.session_state.get(GENERATION_KEY, 0)
    return value if isinstance(value, int) else 0


def _on_select(chart_key: str, dimension: str) -> None:
    keys = clicked_keys(st.session_state.get(chart_key))
    if not keys:
        return
    before = sidebar.current()
    narrowed = narrow(before, dimension, keys[0])
    if narrowed is None or narrowed == before:
        return
    sidebar.apply(narrowed, queries.options())
    st.session_state[PREVIOUS_KEY] = before
    st.session_state[APPLIED_KEY] = narrowed
    st.session_state[GENERATION_KEY] = _generation() + 1


def _back() -> None:
    previous = st.session_state.get(PREVIOUS_KEY)
    if isinstance(previous, Filter):
        sidebar.apply(previous, queries.options())
    st.session_state[PREVIOUS_KEY] = None
    st.session_state[APPLIED_KEY] = None
    st.session_state[GENERATION_KEY] = _generation() + 1


def chart(fig: go.Figure, key: str, dimension: str) -> None:
    """Draw `fig` (its points' customdata ending with the group key of `dimension`) so that a
    click on a point narrows the page's filter to that group."""
    chart_key = f"{key}_{_generation()}"
    st.plotly_chart(
        fig,
        theme=None,
        config=common.PLOTLY_CONFIG,
        key=chart_key,
        width="stretch",
        on_select=lambda: _on_select(chart_key, dimension),
        selection_mode="points",
    )
    applied = st.session_state.get(APPLIED_KEY)
    if isinstance(applied, Filter) and applied == sidebar.current():
        left, right = st.columns([3, 1])
        left.caption(
            f":material/ads_click: Filtered by a click to {applied.describe()}. The sidebar "
            "shows the filter; remove it there, or undo the click."
        )
        right.button(BACK_LABEL, on_click=_back, icon=":material/undo:", key=f"{key}_back")
    else:
        st.caption(
            f":material/ads_click: Click a {NOUNS.get(dimension, 'group')} in the chart to "
            "filter the page to it."
        )
