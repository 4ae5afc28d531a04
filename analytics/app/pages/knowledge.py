"""Knowledge rate: how many eligible interns have a known offer outcome, by where the outcome
came from and by cohort, against NACE's 65% minimum -- and, for analysts, the list of their own
scope's eligible placements whose outcome is unknown, to follow up."""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import access, charts, export, metrics
from analytics.app import breakdowns, common, navigation, queries, state
from analytics.export import Column
from analytics.filters import Filter

FOLLOW_UP_LABEL: Final = "Placements with an unknown outcome (analysts)"
PREVIEW_ROWS: Final = 1000
KNOWLEDGE_COLUMNS: Final = [
    Column("n", "Eligible interns", "count"),
    Column("known_outcome", "Known outcome", "count"),
    Column("knowledge_rate", "Knowledge rate", "rate"),
    Column("knowledge_rate", "95% interval", "interval"),
    Column("below_target", "Under 65%", "bool"),
]


def _section(flt: Filter, dimension: str, label: str, key: str) -> None:
    frame = queries.knowledge_by(dimension, flt)
    if dimension == "outcome_source" and not breakdowns.recorded(frame, "not recorded"):
        breakdowns.needs_fields(["outcome_source"], "The knowledge rate by source")
    common.chart(charts.knowledge_rates(frame, metrics.KNOWLEDGE_TARGET,
                                        title=f"Knowledge rate by {label.lower()}, with 95% intervals",
                                        group_title=label), key=f"{key}_chart")
    common.suppression_note(frame, "groups", "eligible interns")
    if dimension == "term":  # by source, 'not recorded' is unknown by definition: no warning
        breakdowns.knowledge_groups_warning(frame, "terms")
    table = common.present(frame, [Column("group", label), *KNOWLEDGE_COLUMNS])
    common.table(table, key=f"{key}_table")
    breakdowns.downloads(table, f"knowledge-rate-by-{dimension.replace('_', '-')}", flt,
                         f"Knowledge rate by {label.lower()}", key)


def _follow_up(flt: Filter) -> None:
    total = queries.unknown_outcome_count(flt)
    if not total:
        st.success("Every eligible placement of your scope in this selection has a known outcome.",
                   icon=":material/task_alt:")
        return
    rows = queries.unknown_outcomes(flt, limit=PREVIEW_ROWS)
    table = common.present(rows, export.columns_for(rows))
    st.caption(f"{total:,} eligible placements of your own scope have no recorded offer outcome"
               f"{f'; the first {PREVIEW_ROWS:,} are shown' if total > PREVIEW_ROWS else ''}. Student "
               "ids are pseudonymised; the rows are personal data.")
    common.table(table, height=360, key="knowledge_unknown")
    _audit_view(flt, rows.height)
    breakdowns.downloads(table, "unknown-outcomes", flt, "Eligible placements with an unknown outcome",
                         "knowledge_unknown", action="records")


def _audit_view(flt: Filter, rows: int) -> None:
    """The row-level view goes to the audit log once per filter (not on every rerun)."""
    who = state.principal()
    if who is None or st.session_state.get("_knowledge_unknown_audited") == flt:
        return
    access.audit(state.store(), who, "records", flt=flt,
                 detail=f"Knowledge rate page: placements with an unknown outcome ({rows:,} rows)")
    st.session_state["_knowledge_unknown_audited"] = flt


def render() -> None:
    opened = common.open_page(
        "Knowledge rate: how much of the outcome is known",
        "The share of eligible interns whose offer outcome is recorded, by source and by term. NACE "
        "asks first-destination figures to rest on at least 65%; below that a rate says more about "
        "who answered than about who was hired.",
    )
    if opened is None:
        return
    flt, row = opened
    rate = common.number(row, "knowledge_rate")
    if rate is not None and not metrics.below_target(rate):
        st.success(f"Known outcome for {charts.pct(rate)} of the eligible interns in this selection "
                   f"({breakdowns.TARGET_TEXT}).", icon=":material/task_alt:")
    breakdowns.knowledge_warning(row, "The offer and conversion rates of this selection")
    st.subheader("By source of the outcome")
    st.caption("Where each known outcome came from; placements without a source are mostly those "
               "whose outcome is unknown.")
    _section(flt, "outcome_source", "Source", "knowledge_source")
    st.subheader("By term")
    _section(flt, "term", "Term", "knowledge_term")
    if access.allowed(state.principal(), access.VIEW_RECORDS):
        st.divider()
        if st.toggle(FOLLOW_UP_LABEL, key="knowledge_follow_up",
                     help="One row per eligible placement of your own scope with no recorded offer "
                          "outcome, to follow up with the student or employer."):
            _follow_up(flt)


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("knowledge"):
    st.stop()
render()
