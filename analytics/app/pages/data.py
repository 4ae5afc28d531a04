"""Data: the filtered placements as an aggregated table (row-level for analysts), downloadable as
CSV and Excel exactly as shown, suppression included."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import streamlit as st

from analytics import access, export
from analytics.app import common, navigation, queries, state
from analytics.export import Column
from analytics.filters import Filter

GROUP_LABEL: Final = "Group rows by"
ROW_LEVEL_LABEL: Final = "Row-level records (analysts)"
PAGE_LABEL: Final = "Page"
PAGE_SIZE: Final = 1000
GROUPS: Final = common.DIMENSION_LABELS
MIME_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _notes(flt: Filter, what: str) -> list[tuple[str, str]]:
    return [
        ("Table", what),
        ("Filter", flt.describe()),
        ("Query", "&".join(f"{k}={v}" for k, vs in flt.to_query_params().items() for v in vs) or "(none)"),
        ("Suppression", f"Cells describing fewer than {state.min_cell()} students read "
                        f"'fewer than {state.min_cell()}'; where a table shows a total, one more cell is "
                        "hidden so the first cannot be recovered by subtraction."),
        ("Exported", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Formula safety", "Text cells starting with = + - @, tab or carriage return carry a leading "
                           "apostrophe so spreadsheets do not run them."),
    ]


def _downloads(table: export.Table, stem: str, flt: Filter, what: str, key: str,
               action: str = "export") -> None:
    who = state.principal()
    if who is None or not access.allowed(who, access.EXPORT):
        return
    current = state.store()  # resolved here: the download callable runs outside this script run
    notes = _notes(flt, what)
    left, right, _ = st.columns([1, 1, 3])
    # Callables: the files are only built (and audited) when someone clicks, not on every rerun.
    left.download_button("Download CSV", export.audited(current, who, lambda: export.to_csv(table),
                                                        what=f"{what} (CSV)", flt=flt, action=action),
                         file_name=f"{stem}.csv", mime="text/csv", icon=":material/download:",
                         key=f"{key}_csv", on_click="ignore")
    right.download_button("Download Excel",
                          export.audited(current, who, lambda: export.to_excel(table, notes=notes),
                                         what=f"{what} (Excel)", flt=flt, action=action),
                          file_name=f"{stem}.xlsx", mime=MIME_XLSX, icon=":material/download:",
                          key=f"{key}_xlsx", on_click="ignore")


def render() -> None:
    opened = common.open_page(
        "Data: the filtered placements as a table",
        "Counts and rates for the placements selected in the sidebar, grouped as you choose. The "
        "downloads hold exactly the table shown, small cells suppressed.",
        eligibility=False,
    )
    if opened is None:
        return
    flt, row = opened
    _summary(flt, row)
    if not access.allowed(state.principal(), access.VIEW_RECORDS):
        return  # row-level records are for analysts and admins (their own scope): no toggle at all
    st.divider()
    if st.toggle(ROW_LEVEL_LABEL, key="data_row_level",
                 help="One row per placement, for analysts. Student ids are pseudonymised; the rows are "
                      "still personal data: store and share them accordingly."):
        _row_level(flt)


def _summary(flt: Filter, row: dict[str, Any]) -> None:
    chosen = st.multiselect(GROUP_LABEL, list(GROUPS), default=["Term"], key="data_group_by",
                            max_selections=3, placeholder="Choose one to three columns",
                            help="One row per combination of the chosen columns (up to three).")
    if not chosen:
        st.info("Choose one to three columns to group the placements by, for example Term.",
                icon=":material/table_rows:")
        return
    by = tuple(GROUPS[label] for label in chosen)
    summary = queries.summary_table(flt, by)
    columns = [Column(GROUPS[label], label) for label in chosen] + common.SUMMARY_VALUE_COLUMNS
    table = common.present(summary, columns)
    common.table(table, height=min(600, 38 + 35 * max(1, table.height)), key="data_summary")
    st.caption(f"{table.height:,} rows. Cells for fewer than {state.min_cell()} placements read "
               f"\"fewer than {state.min_cell()}\", and where a total would reveal one, another cell is "
               "hidden too. Pay medians are in the currency most paid placements use "
               f"({row.get('hourly_pay_currency') or 'none'}).")
    grouped = ", ".join(label.lower() for label in chosen)
    _downloads(table, "internship-outcomes-by-" + "-".join(by).replace("_", "-"), flt,
               f"Summary by {grouped}", "data_summary")


def _row_level(flt: Filter) -> None:
    total = queries.record_count(flt)
    pages = max(1, -(-total // PAGE_SIZE))
    if int(st.session_state.get("data_page", 1)) > pages:
        st.session_state["data_page"] = pages  # the filter shrank the result under this page
    page = int(st.number_input(PAGE_LABEL, min_value=1, max_value=pages, step=1, key="data_page",
                               help=f"{PAGE_SIZE:,} placements per page."))
    records = queries.records(flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    table = common.present(records, export.columns_for(records))
    first = (page - 1) * PAGE_SIZE + 1 if total else 0
    last = min(total, page * PAGE_SIZE)
    st.caption(f"Placements {first:,}–{last:,} of {total:,} (page {page} of {pages}). "
               "Row-level records are not suppressed; student ids are pseudonymised at import.")
    common.table(table, height=420, key="data_records")
    _audit_view(flt, page, records.height)
    _downloads(table, f"internship-placements-page-{page}", flt, f"Row-level placements, page {page}",
               "data_records", action="records")


def _audit_view(flt: Filter, page: int, rows: int) -> None:
    """A row-level view goes to the audit log once per filter and page shown (not on each rerun
    a widget elsewhere on the page causes)."""
    who = state.principal()
    seen = (flt, page)
    if who is None or st.session_state.get("_data_records_audited") == seen:
        return
    access.audit(state.store(), who, "records", flt=flt,
                 detail=f"Data page: row-level placements, page {page} ({rows:,} rows)")
    st.session_state["_data_records_audited"] = seen


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("data"):
    st.stop()
render()
