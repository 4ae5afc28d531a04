"""Evaluations & returning: do returning interns convert more than first-time ones, does
structured training go with more hires, how did interns and supervisors rate the internships,
and does the rating go with conversion -- each rate with its n and 95% interval."""

from __future__ import annotations

from typing import Any, Final

import polars as pl
import streamlit as st

from analytics import charts, metrics
from analytics.app import breakdowns, common, navigation, queries, state
from analytics.export import Column
from analytics.filters import Filter

RATES: Final = ("offer_rate", "acceptance_rate", "conversion_rate")
RATING_CHOICES: Final = {label: column for column, label in metrics.RATINGS.items()}


def _trait(flt: Filter, frame: pl.DataFrame, *, title: str, field: str, what: str, stem: str,
           key: str) -> None:
    if not breakdowns.recorded(frame, "not recorded"):
        breakdowns.needs_fields([field], what)
        return
    common.chart(charts.rates_against_population(frame, RATES, title=title, group_title=what),
                 key=f"{key}_chart")
    common.suppression_note(frame, "groups", "eligible interns")
    common.perturbation_note(frame)
    breakdowns.knowledge_groups_warning(frame)
    table = common.present(frame, [Column("group", what), *breakdowns.CONVERSION_COLUMNS])
    common.table(table, key=f"{key}_table")
    breakdowns.downloads(table, stem, flt, title, key)


RETENTION_COLUMNS: Final = breakdowns.retention_columns("Structured training")


def _training_retention(flt: Filter) -> None:
    """Do hires who had structured training stay longer? (Kaplan-Meier, the Retention page's.)"""
    frame = queries.retention_by("structured_training", flt)
    if frame.is_empty() or not bool(frame["hires"].fill_null(1).gt(0).any()):
        return  # no hire dates: the Retention page names the fields it needs
    st.markdown("**Retention of converted hires, with and without structured training**")
    common.chart(charts.survival_at(frame, "1y", title="Hires still there one year after the hire, by "
                                    "structured training", group_title="Structured training"),
                 key="training_retention_chart")
    common.suppression_note(frame, "groups", "hires")
    table = common.present(frame, RETENTION_COLUMNS)
    common.table(table, key="training_retention_table")
    breakdowns.downloads(table, "retention-by-structured-training", flt,
                         "Retention by structured training", "training_retention")


def _ratings(flt: Filter, row: dict[str, Any]) -> None:
    summary = queries.rating_summary(flt)
    if summary.is_empty():
        breakdowns.needs_fields(list(metrics.RATINGS), "Evaluations")
        return
    distribution = queries.rating_distribution(flt)
    common.chart(charts.rating_means(summary), key="ratings_means")
    common.chart(charts.rating_distribution(distribution), key="ratings_distribution")
    if bool(distribution["suppressed"].any()):
        st.caption(f":material/visibility_off: A rating's bars are shown only when every score given "
                   f"has at least {state.min_cell()} students: with the mean and its interval beside "
                   "them, a smaller bar could be worked out from the others.")
    common.perturbation_note(summary)
    table = common.present(summary, [Column("label", "Rating"), Column("n", "Ratings", "count"),
                                     Column("mean", "Mean (1-5)", "money"),
                                     Column("mean_low", "95% interval from", "money"),
                                     Column("mean_high", "95% interval to", "money")])
    common.table(table, key="ratings_table")
    breakdowns.downloads(table, "internship-ratings", flt, "Mean ratings", "ratings")

    st.subheader("Conversion by rating")
    label = st.radio("Rating", list(RATING_CHOICES), horizontal=True, key="ratings_conversion_by")
    rating = RATING_CHOICES[label or next(iter(RATING_CHOICES))]
    frame = queries.conversion_by_rating(rating, flt)
    overall = common.number(row, "conversion_rate")
    common.chart(charts.rates_against_population(
        frame, ("conversion_rate",), title=f"Conversion rate by {label.lower() if label else 'rating'}, "
                                           "with 95% intervals",
        group_title="Score (1-5)", overall=overall), key="ratings_conversion_chart")
    common.suppression_note(frame, "scores", "eligible interns")
    table = common.present(frame, [Column("group", "Score"), *breakdowns.CONVERSION_COLUMNS])
    common.table(table, key="ratings_conversion_table")
    breakdowns.downloads(table, f"conversion-by-{rating.replace('_', '-')}", flt,
                         f"Conversion by {label or rating}", "ratings_conversion")


def render() -> None:
    opened = common.open_page(
        "Evaluations & returning interns",
        "Offers and hires of returning and first-time interns, with and without structured "
        "training, and how interns and supervisors rated the internships -- every rate with its "
        "number of eligible interns and 95% interval.",
    )
    if opened is None:
        return
    flt, row = opened
    breakdowns.knowledge_warning(row)

    st.subheader("Returning vs first-time interns")
    st.caption("NACE finds returning interns offered a full-time job far more often than first-time "
               "interns (about 90% against 43.5%).")
    _trait(flt, queries.returning_outcomes(flt), title="Returning vs first-time interns: rates with "
           "95% intervals", field="returning_intern", what="Returning intern", stem="returning-interns",
           key="returning")

    st.subheader("Structured training")
    _trait(flt, queries.training_outcomes(flt), title="With and without structured training: rates "
           "with 95% intervals", field="structured_training", what="Structured training",
           stem="structured-training", key="training")

    _training_retention(flt)

    st.subheader("Evaluations")
    _ratings(flt, row)


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("evaluations"):
    st.stop()
render()
