"""What every page shares: its header, the empty and no-match states, charts, tables, notes.

The rule every page follows: never an exception and never a blank page. An empty database offers
the sample data and the upload page; a filter that matches nothing, or too few students to show,
says so and offers to clear the filters.
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal

import plotly.graph_objects as go
import polars as pl
import pyarrow as pa
import streamlit as st
from streamlit.errors import StreamlitAPIException

from analytics import access, charts, export
from analytics.app import navigation, queries, sidebar, state
from analytics.filters import Filter

PLOTLY_CONFIG: Final[dict[str, Any]] = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
LOAD_SAMPLE_LABEL: Final = "Load sample data"
CLEAR_ALL_LABEL: Final = "Clear all filters"


# Label shown for each field a table or chart can be grouped by (DIMENSIONS allow-listed in schema).
DIMENSION_LABELS: Final[dict[str, str]] = {
    "Term": "term",
    "Term year": "term_year",
    "Season": "term_season",
    "University": "university",
    "Employer": "employer",
    "Role family": "role_family",
    "Degree level": "degree_level",
    "Work mode": "work_mode",
    "Paid": "paid",
    "Schedule": "schedule",
    "Academic credit": "academic_credit",
    "Structured training": "structured_training",
}

# The value columns of a summary_table, as the Data and Universities pages show them.
SUMMARY_VALUE_COLUMNS: Final = [
    export.Column("n", "Placements", "count"),
    export.Column("eligible", "Eligible interns", "count", flag="conversion_suppressed"),
    export.Column("offers", "Offers", "count", flag="conversion_suppressed"),
    export.Column("accepted", "Accepted", "count", flag="conversion_suppressed"),
    export.Column("conversion_rate", "Conversion rate", "rate", flag="conversion_suppressed"),
    export.Column("paid_share", "Paid share", "rate"),
    export.Column("median_hourly_pay", "Median hourly pay", "money"),
    export.Column("median_weeks", "Median weeks", "weeks"),
]

def header(title: str, intro: str) -> None:
    st.title(title)
    st.caption(intro)


def chart(fig: go.Figure, key: str | None = None) -> None:
    """A Plotly figure in our own theme (Streamlit's theme would override the palette)."""
    st.plotly_chart(fig, theme=None, config=PLOTLY_CONFIG, key=key, width="stretch")


def table(shown: export.Table, *, height: int | Literal["auto"] = "auto", key: str | None = None) -> None:
    st.dataframe(arrow(shown.shown), hide_index=True, width="stretch", height=height, key=key)


def arrow(frame: pl.DataFrame) -> pa.Table:
    """A table for st.dataframe as Arrow, with plain (32-bit offset) strings. Streamlit sends an
    Arrow table as it is, but converts a polars frame to pandas and back to Arrow first: that
    round trip was most of what a table cost a page run. (Polars' newest string layout is one
    the browser's Arrow reader may not know, hence the oldest layout and plain strings.)"""
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    return table.cast(pa.schema([
        pa.field(f.name, pa.string() if pa.types.is_large_string(f.type) else f.type, f.nullable)
        for f in table.schema
    ]))


def present(frame: pl.DataFrame, columns: list[export.Column]) -> export.Table:
    """A metrics table as shown: a missing number there always means too few records behind it."""
    return export.present(frame, columns, state.min_cell(), null_is_small=True)


def choose(label: str, options: list[Any], *, key: str, default: Any = None, **kwargs: Any) -> Any:
    """A selectbox whose remembered choice survives option changes: when a filter change removes
    the chosen value (an employer, a term, a currency), it falls back to `default` instead of
    failing or silently showing something else."""
    if not options:
        return None
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]
    return st.selectbox(label, options, key=key, **kwargs)


def amount(value: Any) -> str:
    """A count as shown: '1,234', or 'fewer than N' where the metrics layer blanked it."""
    return f"{int(value):,}" if value is not None else f"fewer than {state.min_cell()}"


def number(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


RATE_COLUMNS: Final = ("offer_rate", "acceptance_rate", "conversion_rate")


def suppression_note(frame: pl.DataFrame, what: str = "groups", unit: str = "students") -> None:
    """Say how many rows the charts leave out and why. The gate hides a row for having fewer
    than the threshold, or as the complement that keeps such a row from being worked out from
    the total, so a hidden row may itself be large; and it may withhold only a visible row's
    rates (a group whose size shows but whose rates would give away a small one's)."""
    hidden = charts.hidden_groups(frame)
    if hidden:
        st.caption(f":material/visibility_off: {hidden} {what if hidden != 1 else what.rstrip('s')} "
                   f"not shown, to protect privacy: fewer than {state.min_cell()} {unit}, or hidden "
                   "with a smaller one so that it cannot be worked out from the total.")
    withheld = rates_withheld(frame)
    if withheld:
        st.caption(":material/visibility_off: The rates of " + ", ".join(withheld) + " are withheld "
                   "too: with them, a hidden group's rate could be worked out from the total.")


def rates_withheld(frame: pl.DataFrame) -> list[str]:
    """Visible rows (their size shown) whose every rate is hidden by the gate."""
    rates = [c for c in RATE_COLUMNS if c in frame.columns]
    if not rates or "group" not in frame.columns or "n" not in frame.columns:
        return []
    shown = frame.filter(pl.col("n").is_not_null() & ~pl.col("suppressed").fill_null(False)) \
        if "suppressed" in frame.columns else frame.filter(pl.col("n").is_not_null())
    return [str(g) for g in shown.filter(pl.all_horizontal(pl.col(rates).is_null()))["group"]]


def perturbation_note(frame: pl.DataFrame, what: str = "These figures") -> None:
    """Say so where a figure includes placements outside the viewer's own scope and carries the
    disclosure gate's bounded noise (its `perturbed` column)."""
    if "perturbed" in frame.columns and bool(frame["perturbed"].fill_null(False).any()):
        st.caption(f":material/blur_on: {what} include interns outside your own scope, so they are "
                   "perturbed: every count may be off by up to 2 and rates are rounded to 0.1 point "
                   "(see Methodology). The same figure always shows the same value.")


def _upload_link(label: str = "Upload a file") -> None:
    if not navigation.upload_available():
        return
    try:
        st.page_link(str(navigation.UPLOAD_PAGE), label=label, icon=":material/upload_file:")
    except (StreamlitAPIException, KeyError):
        # A page run on its own (outside st.navigation) cannot link to other pages.
        st.caption("Use the Upload page in the sidebar to load your own file.")


def empty_database() -> None:
    """The empty-database state: explain, and offer the sample and the upload page."""
    missing = state.missing_database()
    if missing is not None:
        st.warning(f"No database at {missing}. Loading the sample or uploading a file creates it "
                   f"there; or run `internships init --db {missing}` (check $INTERNSHIPS_DB if "
                   "you expected data here).", icon=":material/error:")
    st.info("The database has no placements yet. Load the sample data (5,000 generated IT "
            "internship placements) to explore the dashboard, or upload your own CSV, Excel or "
            "Parquet file.", icon=":material/database:")
    if not access.allowed(state.principal(), access.UPLOAD):
        st.caption("An analyst or administrator can load data.")
        return
    if st.button(LOAD_SAMPLE_LABEL, type="primary", icon=":material/download:", key="load_sample"):
        with st.spinner("Loading the sample data…"):
            loaded = state.load_sample()
        st.toast(f"Loaded {loaded:,} sample placements.")
        st.rerun()
    _upload_link()
    st.caption("From a terminal: `internships init --sample` does the same.")


def no_match(flt: Filter) -> None:
    st.warning(f"No placements match these filters ({flt.describe()}).", icon=":material/filter_alt:")
    st.button(CLEAR_ALL_LABEL, on_click=sidebar.clear, icon=":material/filter_alt_off:", key="clear_all")
    st.caption("Or loosen one filter in the sidebar.")


def too_few(flt: Filter) -> None:
    st.warning(f"This selection ({flt.describe()}) covers fewer than {state.min_cell()} students: too "
               "few to show without risking identifying someone. Widen the filters to see numbers.",
               icon=":material/visibility_off:")
    st.button(CLEAR_ALL_LABEL, on_click=sidebar.clear, icon=":material/filter_alt_off:", key="clear_all")


def ready(flt: Filter, *, allow_small: bool = False) -> dict[str, Any] | None:
    """The scope's overview row when there is something to show; otherwise explain why not,
    offer a way forward, and return None. (The states are decided on plain row counts, which
    are never shown: the overview's own counts are blanked when the scope is too small.)"""
    if not queries.record_count(Filter()):
        empty_database()
        return None
    if not queries.record_count(flt):
        no_match(flt)
        return None
    row: dict[str, Any] = queries.overview(flt).row(0, named=True)
    if row.get("suppressed") and not allow_small:
        too_few(flt)
        return None
    return row


def scope_line(flt: Filter, row: dict[str, Any]) -> None:
    placements = row.get("placements")
    amount = f"{int(placements):,} placements" if placements is not None else \
        f"fewer than {state.min_cell()} placements"
    st.caption(f":material/filter_alt: {flt.describe()} · {amount}")


def open_page(title: str, intro: str, *, eligibility: bool = True) -> tuple[Filter, dict[str, Any]] | None:
    """Every analysis page's opening: heading, the sidebar's filter, and the scope's overview row.

    Returns None (after explaining why and offering a way forward) when there is nothing to show.
    """
    header(title, intro)
    flt = sidebar.current()
    row = ready(flt)
    if row is None:
        return None
    scope_line(flt, row)
    if row.get("perturbed"):
        st.caption(":material/blur_on: Network figures: counts are perturbed by up to 2 and rates "
                   "rounded to 0.1 point, so no one student's outcome can be worked out by "
                   "subtracting one view from another (see Methodology).")
    if row.get("blocked"):
        blocked_note(flt)
    if eligibility:
        eligibility_note(row)
    return flt, row


def blocked_note(flt: Filter) -> None:
    st.info(f"Offers and conversion are not shown for this selection ({flt.describe()}): it picks a "
            "group that the comparison of its peers hides, because it or a neighbour covers fewer "
            f"than {state.min_cell()} students, and its figures would let anyone work out the "
            "hidden one by subtraction. Widen the filters to see them.",
            icon=":material/visibility_off:")


def eligibility_coverage_text(row: dict[str, Any]) -> str | None:
    """"eligibility known for 62% of placements" when it is not known for all; else None."""
    coverage = row.get("eligibility_coverage")
    if coverage is None or coverage >= 1.0:
        return None
    return f"eligibility known for {charts.pct(coverage)} of placements"


def eligibility_note(row: dict[str, Any]) -> None:
    coverage = eligibility_coverage_text(row)
    if coverage is not None:
        st.info(f"{coverage.capitalize()}: the rest come from files without an internship status "
                "(or without the final year for some rows), so whether they were eligible for a "
                "full-time offer is unknown and they are left out of offer and conversion rates. "
                "This is a gap in the data, not a privacy rule.", icon=":material/info:")
    basis = row.get("eligibility_basis")
    if basis in ("completed", "mixed"):
        where = "for this selection" if basis == "completed" else "in some of the uploads in this selection"
        st.info(f"Whether interns were in their final year is not recorded {where}, so there every "
                "completed internship counts as eligible for a full-time offer (NACE counts only "
                "graduating interns; rates may read lower than NACE's).", icon=":material/info:")


def benchmark_lines(frame: pl.DataFrame, metric: str, *, percent: bool = True,
                    limit: int = 2) -> list[charts.BenchmarkLine]:
    """National reference lines for one metric, newest first, labelled with source and year."""
    if frame.is_empty() or "metric" not in frame.columns:
        return []
    rows = frame.filter(pl.col("metric") == metric)
    if "year" in rows.columns:
        rows = rows.sort("year", descending=True, nulls_last=True)
    lines: list[charts.BenchmarkLine] = []
    for row in rows.head(limit).iter_rows(named=True):
        value = float(row["value"])
        shown_value = charts.pct(value, 0 if value * 100 == round(value * 100) else 1) if percent \
            else f"{value:,.2f}"
        lines.append(charts.BenchmarkLine(value=value, label=benchmark_label(row, shown_value)))
    return lines


def benchmark_label(row: dict[str, Any], shown_value: str) -> str:
    source = str(row.get("source") or "NACE")
    year = row.get("year")
    short = "NACE" if "NACE" in source.upper() else source
    # A figure without a year is guidance (e.g. the 50% conversion employers aim for).
    return f"{short} {year}: {shown_value}" if year else f"{short} guidance: {shown_value}"
