"""Typed, cached access to the metrics layer for the pages.

Each function here is one `analytics.metrics` call made through the result cache of `state`
(keyed by filter, database version and arguments) with the configured suppression threshold.
Pages call these and nothing else for numbers: no SQL, no metric logic.
"""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import polars as pl
import streamlit as st

from analytics import metrics
from analytics.app.state import metric, min_cell
from analytics.filters import Filter
from analytics.metrics import layout
from analytics.store import Store


def prepare_dashboards(store: Store) -> None:
    """Build the metrics' facts tables after an upload or undo, while the Upload page shows a
    spinner, rather than in the first dashboard view that follows; then write the change into
    the database file, so the server does not keep the rows it touched in memory for good."""
    metrics.refresh_facts(store)
    if not store.checkpoint():
        # Another write holds it off (the facts' background clustering that the first page run
        # after the change starts): retry once that is done, without keeping the upload waiting.
        threading.Thread(target=_checkpoint_later, args=(store,), name="checkpoint", daemon=True).start()


def _checkpoint_later(store: Store, attempts: int = 5) -> None:
    for _ in range(attempts):
        layout.wait(store, timeout=60)
        if store.checkpoint():
            return
        time.sleep(1.0)  # another writer (an import) is still going: a moment, then again


def _frame(name: str, *args: Any, **kwargs: Any) -> pl.DataFrame:
    return cast(pl.DataFrame, metric(name, *args, min_cell=min_cell(), **kwargs))


def overview(flt: Filter) -> pl.DataFrame:
    return _frame("overview", flt=flt)


def conversion_by(dimension: str, flt: Filter, method: str = "pooled") -> pl.DataFrame:
    return _frame("conversion_by", dimension, flt=flt, method=method)


def funnel(flt: Filter) -> pl.DataFrame:
    return _frame("funnel", flt=flt)


def pay_currencies(flt: Filter) -> pl.DataFrame:
    return _frame("pay_currencies", flt=flt)


def pay_by(dimension: str, flt: Filter, currency: str | None = None) -> pl.DataFrame:
    return _frame("pay_by", dimension, flt=flt, currency=currency)


def pay_distribution(flt: Filter, currency: str | None = None, bin_width: float = 2.0) -> pl.DataFrame:
    return _frame("pay_distribution", flt=flt, currency=currency, bin_width=bin_width)


def paid_share_by_term(flt: Filter) -> pl.DataFrame:
    return _frame("paid_share_by_term", flt=flt)


def pay_vs_conversion(flt: Filter, currency: str | None = None) -> pl.DataFrame:
    return _frame("pay_vs_conversion", flt=flt, currency=currency)


def duration_by(dimension: str, flt: Filter) -> pl.DataFrame:
    return _frame("duration_by", dimension, flt=flt)


def duration_distribution(flt: Filter) -> pl.DataFrame:
    return _frame("duration_distribution", flt=flt)


def schedule_mix(flt: Filter, by: str = "term_season") -> pl.DataFrame:
    return _frame("schedule_mix", flt=flt, by=by)


def credit_share_by(dimension: str, flt: Filter) -> pl.DataFrame:
    return _frame("credit_share_by", dimension, flt=flt)


def duration_vs_conversion(flt: Filter) -> pl.DataFrame:
    return _frame("duration_vs_conversion", flt=flt)


def employer_comparison(flt: Filter, limits: str = "exact") -> pl.DataFrame:
    return _frame("employer_comparison", flt=flt, limits=limits)


def employer_funnel(flt: Filter, limits: str = "exact"
                    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, float, pl.DataFrame]:
    """(employer comparison, funnel points, control limits, target, basis) from one computation."""
    return cast(tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, float, pl.DataFrame],
                metric("employer_funnel", flt=flt, min_cell=min_cell(), limits=limits))


def funnel_plot(flt: Filter, limits: str = "exact") -> tuple[pl.DataFrame, pl.DataFrame, float]:
    return cast(tuple[pl.DataFrame, pl.DataFrame, float],
                metric("funnel_plot", flt=flt, min_cell=min_cell(), limits=limits))


def flows(flt: Filter, middle: str = "employer") -> pl.DataFrame:
    return _frame("flows", flt=flt, middle=middle)


def university_view(university: str, flt: Filter) -> pl.DataFrame:
    return _frame("university_view", university, flt=flt)


def options() -> dict[str, list[Any]]:
    return cast(dict[str, list[Any]], metric("options"))


def records(flt: Filter, limit: int = 1000, offset: int = 0) -> pl.DataFrame:
    return _frame("records", flt=flt, limit=limit, offset=offset)


def record_count(flt: Filter) -> int:
    return int(metric("record_count", flt=flt, min_cell=min_cell()))


def summary_table(flt: Filter, by: tuple[str, ...]) -> pl.DataFrame:
    return _frame("summary_table", flt=flt, by=by)


# -- retention and the hiring timeline ---------------------------------------------------------
def missing_fields(fields: tuple[str, ...], flt: Filter) -> list[str]:
    """The fields no placement in scope has (so a page can name what it lacks)."""
    present = cast(dict[str, bool], metric("fields_present", fields, flt=flt))
    return [name for name in fields if not present.get(name)]


def data_date() -> Any:
    return metric("data_date")


def retention_by(dimension: str | None, flt: Filter) -> pl.DataFrame:
    return _frame("retention_by", dimension, flt=flt)


def retention_curve(dimension: str | None, flt: Filter) -> pl.DataFrame:
    return _frame("retention_curve", dimension, flt=flt)


def timeline_by(dimension: str | None, flt: Filter) -> pl.DataFrame:
    return _frame("timeline_by", dimension, flt=flt)


def timeline_distribution(interval: str, flt: Filter, bin_days: int = 7) -> pl.DataFrame:
    return _frame("timeline_distribution", interval, flt=flt, bin_days=bin_days)


# -- returning, evaluations, equity and the knowledge rate ------------------------------------
def returning_outcomes(flt: Filter) -> pl.DataFrame:
    return _frame("returning_outcomes", flt=flt)


def training_outcomes(flt: Filter) -> pl.DataFrame:
    return _frame("training_outcomes", flt=flt)


def rating_summary(flt: Filter) -> pl.DataFrame:
    return _frame("rating_summary", flt=flt)


def rating_distribution(flt: Filter) -> pl.DataFrame:
    return _frame("rating_distribution", flt=flt)


def conversion_by_rating(rating: str, flt: Filter) -> pl.DataFrame:
    return _frame("conversion_by_rating", rating, flt=flt)


def equity_by(dimension: str, flt: Filter) -> pl.DataFrame:
    return _frame("equity_by", dimension, flt=flt)


def knowledge_by(dimension: str, flt: Filter) -> pl.DataFrame:
    return _frame("knowledge_by", dimension, flt=flt)


def unknown_outcomes(flt: Filter, limit: int = 1000, offset: int = 0) -> pl.DataFrame:
    return _frame("unknown_outcomes", flt=flt, limit=limit, offset=offset)


def unknown_outcome_count(flt: Filter) -> int:
    return int(metric("unknown_outcome_count", flt=flt, min_cell=min_cell()))


@st.cache_data(show_spinner=False, ttl=3600)
def benchmarks() -> pl.DataFrame:
    """The national reference figures (a small CSV shipped with the code; read once an hour)."""
    return metrics.benchmarks()


def definitions() -> dict[str, str]:
    return dict(metrics.DEFINITIONS)
