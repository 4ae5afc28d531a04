"""Flows: where each university's eligible interns go (employers or role families), how it ends
(converted, offered but not accepted, no offer) and, for converted interns, how it went a year
on (stayed, left, reneged, not yet known), as a Sankey whose small links are folded into grey
"other" nodes; the link table shown and downloadable."""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl
import streamlit as st

from analytics import access, charts, export
from analytics.app import common, navigation, queries, state
from analytics.export import Column
from analytics.filters import Filter
from analytics.metrics.flows import RETAINED_DAYS, TOP_MIDDLES

MIDDLE_LABEL: Final = "Middle column"
MIDDLES: Final[dict[str, str]] = {"Employer": "employer", "Role family": "role_family"}
LAYERS: Final[dict[int, str]] = {1: "University to {middle}", 2: "{Middle} to outcome",
                                 3: "Converted to a year on"}
MIME_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINK_COLUMNS: Final = [
    Column("step", "Step"),
    Column("source", "From"),
    Column("target", "To"),
    Column("n", "Eligible interns", "count"),
    Column("note", "Folded"),
]


def _downloads(table: export.Table, flt: Filter, middle: str) -> None:
    who = state.principal()
    if who is None or not access.allowed(who, access.EXPORT):
        return
    current = state.store()  # resolved here: the download callable runs outside this script run
    what = f"flows by {middle.replace('_', ' ')}"
    notes = [("Filters", flt.describe()),
             ("Folding", f"Links with fewer than {state.min_cell()} eligible interns, and the links "
                         "needed to keep them from being worked out by subtraction, are added together "
                         "into the 'other' rows."),
             ("Exported", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))]
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("Download CSV", export.audited(current, who, lambda: export.to_csv(table),
                                                        what=f"{what} (CSV)", flt=flt),
                         file_name=f"flows-{middle}.csv", mime="text/csv", icon=":material/download:",
                         key="flows_csv", on_click="ignore")
    right.download_button("Download Excel",
                          export.audited(current, who, lambda: export.to_excel(table, sheet="Flows",
                                                                               notes=notes),
                                         what=f"{what} (Excel)", flt=flt),
                          file_name=f"flows-{middle}.xlsx", mime=MIME_XLSX, icon=":material/download:",
                          key="flows_xlsx", on_click="ignore")


def render() -> None:
    opened = common.open_page(
        "Flows: from university to employer to outcome",
        "Where each university's eligible interns went and how it ended: a full-time offer "
        "accepted (converted), an offer declined, no offer, or an outcome nobody recorded -- and, "
        "where the data has hire dates, whether converted interns stayed a year. The width of "
        "each band is the number of interns.",
    )
    if opened is None:
        return
    flt, _row = opened
    label = st.radio(MIDDLE_LABEL, list(MIDDLES), horizontal=True, key="flows_middle",
                     help="What the middle column of the diagram shows.")
    middle = MIDDLES[label or "Employer"]
    noun = label.lower() if label else "employer"
    links = queries.flows(flt, middle)
    if links.is_empty():
        st.info("There are no flows to show for this selection.", icon=":material/info:")
        return
    if not (~links["suppressed"]).any():
        st.info(f"Every flow in this selection describes fewer than {state.min_cell()} eligible "
                "interns: too few to show without risking identifying someone. Widen the filters.",
                icon=":material/visibility_off:")
        return
    title = f"Eligible interns from university to {noun} to outcome"
    common.chart(charts.sankey(links, title), key="flows_sankey")
    folds = links.filter(pl.col("folded"))
    hidden = int(folds["links"].sum() or 0) if not folds.is_empty() else 0
    if hidden:
        st.caption(f":material/visibility_off: {hidden} links with fewer than {state.min_cell()} eligible "
                   "interns, or needed to keep one from being worked out by subtraction, are added "
                   "together into the grey nodes. A grey node never holds a single small link.")
    if middle == "employer":
        st.caption(f"At most the {TOP_MIDDLES} employers with the most eligible interns are drawn; the "
                   "others are in the grey node too.")
    if (links["layer"] == 3).any():
        st.caption(f":material/schedule: A year on: converted interns who stayed at least "
                   f"{RETAINED_DAYS} days after the hire, left within them, or reneged (withdrew "
                   "before starting). Hires made less than a year before the data date, and hires "
                   "without a hire date, are \"not yet known\" -- never counted as stayers or "
                   "leavers. This column counts every converted intern, also those whose link "
                   "from a small group is in the grey node.")
    common.perturbation_note(links)

    st.subheader("The links")
    shown = links.with_columns(pl.col("layer").replace_strict(
        {k: v.format(middle=noun, Middle=noun.capitalize()) for k, v in LAYERS.items()},
        return_dtype=pl.String).alias("step"),
        pl.when(pl.col("folded") & (pl.col("links") > 1))
        .then(pl.format("{} small links added together", pl.col("links"))).otherwise(pl.lit(""))
        .alias("note"))
    table = common.present(shown, LINK_COLUMNS)
    common.table(table, key="flows_table", height=360)
    _downloads(table, flt, middle)


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("flows"):
    st.stop()
render()
