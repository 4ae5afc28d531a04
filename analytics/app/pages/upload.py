"""Upload: bring in a CSV, TSV, Excel or Parquet file, map its columns, see what would be rejected
and why, load it as one batch, and undo any batch.

Thin: every decision is in analytics.ingest (reading, mapping, parsing, validation, loading);
this page collects choices and shows results. A check (a dry run of the whole import) runs once
per file and mapping and is remembered for the session; loading runs the import again inside
one transaction.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import polars as pl
import streamlit as st

from analytics import export, schema
from analytics.access import AccessDenied, Principal
from analytics.app import navigation, queries, state
from analytics.app.state import store, writable_store
from analytics.ingest import (
    ELIGIBILITY_BASES,
    FileError,
    ImportReport,
    IngestError,
    Inspection,
    Mapping,
    MappingError,
    import_file,
    inspect_file,
    list_batches,
    quarantine_rows,
    rejected_csv,
    undo_batch,
    uploads,
)
from analytics.store import resolve_db_path

# Widget labels (the browser tests find widgets by these).
UPLOAD_LABEL: Final = "Choose a CSV, TSV, Excel or Parquet file"
MAPPING_FILE_LABEL: Final = "Reuse a saved mapping (JSON)"
CURRENCY_LABEL: Final = "Currency when the file does not say"
PERIOD_LABEL: Final = "Pay period when the file does not say"
DATE_ORDER_LABEL: Final = "Dates like 05/06/2021 are"
DOWNLOAD_MAPPING_LABEL: Final = "Download this mapping (JSON)"
DOWNLOAD_REJECTED_LABEL: Final = "Download rejected rows (CSV)"
LOAD_LABEL: Final = "Load into the database"
UNDO_SELECT_LABEL: Final = "Batch to undo"
UNDO_LABEL: Final = "Undo this batch"
HISTORY_REJECTED_SELECT_LABEL: Final = "Rejected rows of batch"
HISTORY_REJECTED_LABEL: Final = "Download this batch's rejected rows (CSV)"

NOT_IMPORTED: Final = "(not imported)"
NO_DEFAULT: Final = "(none)"
FILE_TYPES: Final = ["csv", "tsv", "txt", "xlsx", "parquet"]
CURRENCIES: Final = [NO_DEFAULT, "USD", "INR", "GBP", "EUR", "CAD", "AUD"]
PERIODS: Final = [NO_DEFAULT, *schema.PAY_PERIODS]
DATE_ORDERS: Final = {"auto": "worked out from the file", "month_first": "month first (US)",
                      "day_first": "day first"}
PREVIEW_ROWS: Final = 20
SHOWN_REJECTED: Final = 500


@st.cache_resource(show_spinner=False)
def _upload_directory(db: str) -> Path:
    """This server's upload directory for the database; the first call (the server's first
    Upload page run) deletes what an earlier server process left behind."""
    directory = uploads.upload_dir(db)
    uploads.sweep(directory, None)
    return directory


def _directory() -> Path:
    directory = _upload_directory(str(resolve_db_path()))
    uploads.sweep(directory)  # files of sessions gone for an hour: their tabs were closed
    return directory


def _upload_key(uploaded: Any) -> str:
    return hashlib.sha256(uploaded.getvalue()).hexdigest()[:16]


def _forget_saved() -> None:
    """Delete this session's saved upload (replaced, removed from the page, or imported)."""
    saved: dict[str, str] = st.session_state.setdefault("upload_saved", {})
    for old in saved.values():
        uploads.discard(old)
    saved.clear()
    for inspection in st.session_state.pop("upload_inspections", {}).values():
        inspection.close()


def _uploaded_path(uploaded: Any, key: str) -> Path:
    """The upload as a private file for the importer, written once per upload (and again if a
    sweep deleted it meanwhile)."""
    saved: dict[str, str] = st.session_state.setdefault("upload_saved", {})
    if key not in saved or not Path(saved[key]).exists():
        _forget_saved()  # one upload at a time per session
        saved[key] = str(uploads.save(_directory(), uploaded.getvalue(),
                                      Path(uploaded.name).suffix or ".csv"))
    uploads.touch(Path(saved[key]))
    return Path(saved[key])


def _with_progress(work: Callable[[Callable[[float, str], None]], Any], text: str) -> Any:
    """Run `work(progress)` in a worker thread and show its progress here; re-raise its error."""
    state: dict[str, Any] = {"fraction": 0.0, "message": text}

    def progress(fraction: float, message: str) -> None:
        state["fraction"], state["message"] = fraction, message

    def run() -> None:
        try:
            state["result"] = work(progress)
        except BaseException as error:  # handed back to the script thread below
            state["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    bar = st.progress(0.0, text=text)
    while worker.is_alive():
        bar.progress(min(max(float(state["fraction"]), 0.0), 1.0), text=str(state["message"]))
        worker.join(0.2)
    bar.empty()
    if "error" in state:
        raise state["error"]
    return state.get("result")


def _inspection(key: str, path: Path, name: str, saved: Mapping | None) -> Inspection:
    cache: dict[str, Inspection] = st.session_state.setdefault("upload_inspections", {})
    cache_key = f"{key}:{saved.to_json(indent=None) if saved else ''}"
    if cache_key not in cache:
        for old in cache.values():
            old.close()
        cache.clear()
        cache[cache_key] = inspect_file(path, name, saved)
    return cache[cache_key]


def _saved_mapping(key: str) -> Mapping | None:
    uploaded = st.file_uploader(MAPPING_FILE_LABEL, type=["json"], key=f"mapping_file_{key}",
                                help="A mapping downloaded from this page earlier, for a file "
                                     "with the same columns.")
    if uploaded is None:
        return None
    try:
        return Mapping.from_json(uploaded.getvalue().decode("utf-8", errors="replace"))
    except MappingError as error:
        st.error(f"That mapping cannot be used: {error}")
        return None


def _mapping_editor(file_key: str, inspection: Inspection) -> Mapping:
    """One selectbox per column (pre-set from the suggestion), the defaults and the date order."""
    suggested = inspection.mapping
    # Keyed by the suggestion too: applying a saved mapping starts the editor afresh from it.
    key = f"{file_key}_{hashlib.sha256(suggested.to_json().encode()).hexdigest()[:8]}"
    options = [NOT_IMPORTED, *schema.INPUT_NAMES]
    st.caption("Each column of the file feeds one field (or none). Suggestions come from the "
               "column names and checked against the values; change any of them.")
    columns: dict[str, str | None] = {}
    grid = st.columns(3)
    widgets: dict[str, str] = st.session_state.setdefault("upload_map_widgets", {})
    widgets.clear()
    for index, column in enumerate(inspection.columns):
        target = suggested.columns.get(column)
        widgets[column] = f"map_{key}_{index}"
        choice = grid[index % 3].selectbox(
            column, options, index=options.index(target) if target else 0,
            key=widgets[column],
        )
        columns[column] = None if choice == NOT_IMPORTED else choice
    left, middle, right = st.columns(3)
    currency = left.selectbox(
        CURRENCY_LABEL, CURRENCIES, key=f"currency_{key}",
        index=CURRENCIES.index(suggested.defaults.get("currency", NO_DEFAULT))
        if suggested.defaults.get("currency", NO_DEFAULT) in CURRENCIES else 0,
        help="For amounts written without a symbol or code (e.g. rupee stipends).")
    period = middle.selectbox(
        PERIOD_LABEL, PERIODS, key=f"period_{key}",
        index=PERIODS.index(suggested.defaults.get("pay_period", NO_DEFAULT))
        if suggested.defaults.get("pay_period", NO_DEFAULT) in PERIODS else 0,
        help="For amounts without '/month', 'per hour', 'lump sum' and the like.")
    orders = list(DATE_ORDERS)
    order = right.selectbox(DATE_ORDER_LABEL, orders, format_func=DATE_ORDERS.__getitem__,
                            index=orders.index(suggested.date_order), key=f"dates_{key}")
    defaults = {k: v for k, v in suggested.defaults.items() if k not in ("currency", "pay_period")}
    if currency != NO_DEFAULT:
        defaults["currency"] = currency
    if period != NO_DEFAULT:
        defaults["pay_period"] = period
    return Mapping(columns=columns, defaults=defaults, date_order=order)


def _who() -> Principal:
    """This session's principal (the page is only reached by one allowed to upload)."""
    who = state.principal()
    assert who is not None, "the Upload page runs only for a principal allowed to upload"
    return who


def _check(key: str, path: Path, name: str, mapping: Mapping) -> ImportReport:
    checks: dict[str, ImportReport] = st.session_state.setdefault("upload_checks", {})
    current = store()  # resolved here: the worker thread has no Streamlit context
    who = _who()
    # The principal is part of the key: an analyst's check rejects rows outside its scope.
    cache_key = f"{key}:{mapping.to_json(indent=None)}:{current.data_version()}:{who.email}"
    if cache_key not in checks:
        checks.clear()
        checks[cache_key] = _with_progress(
            lambda progress: import_file(current, path, file_name=name, mapping=mapping,
                                         dry_run=True, preview_rows=PREVIEW_ROWS, progress=progress,
                                         principal=who),
            "Checking every row",
        )
    return checks[cache_key]


def _preview(report: ImportReport) -> None:
    fed = [f for f in schema.INPUT_NAMES
           if f in report.mapping.field_columns() or f in report.mapping.defaults
           or (not report.preview.is_empty() and report.preview[f].null_count() < report.preview.height)]
    if report.preview.is_empty():
        return
    st.subheader("Parsed values")
    st.caption(f"The first {report.preview.height} rows as they would be stored (student ids "
               "already pseudonymised).")
    st.dataframe(report.preview.select(["row_number", "problems", *fed]), hide_index=True,
                 width="stretch")


def _report(report: ImportReport) -> None:
    st.subheader("Validation report")
    if report.already_imported_as is not None:
        st.warning(report.summary())
        return
    cols = st.columns(4)
    cols[0].metric("Rows read", f"{report.rows_read:,}")
    cols[1].metric("Would load", f"{report.rows_loaded:,}")
    cols[2].metric("Rejected", f"{report.rows_rejected:,}")
    cols[3].metric("Duplicate", f"{report.rows_duplicate:,}")
    st.caption(f"{report.source}. Rows read = loaded + rejected + duplicate. A duplicate has the "
               "placement id of a stored row or of an earlier row of this file.")
    if report.unmapped_columns:
        st.caption("Not imported: " + ", ".join(report.unmapped_columns))
    if report.eligibility_basis:
        st.caption(f"Eligibility: {ELIGIBILITY_BASES[report.eligibility_basis]}.")
    for warning in report.warnings:
        st.warning(warning)
    _proposals(report)
    if report.rejected_reasons:
        st.markdown("**Top reasons for rejection**")
        reasons = pl.DataFrame({"reason": list(report.rejected_reasons),
                                "rows": list(report.rejected_reasons.values())})
        st.dataframe(reasons.head(10), hide_index=True, width="stretch")
        st.markdown("**Rejected rows**")
        shown = report.rejected.select("row_number", "column", "value", "reason").head(SHOWN_REJECTED)
        # An empty or all-space cell would show as nothing (or "None"): say which it was.
        shown = shown.with_columns(
            pl.when(pl.col("value").is_null()).then(pl.lit("(empty)"))
            .when(pl.col("value").str.strip_chars() == "").then(pl.lit("(only spaces)"))
            .otherwise(pl.col("value")).alias("value"))
        st.dataframe(shown, hide_index=True, width="stretch")
        if report.rejected.height > SHOWN_REJECTED:
            st.caption(f"Showing {SHOWN_REJECTED:,} problems; the download has every one kept "
                       "by the check.")
        st.download_button(DOWNLOAD_REJECTED_LABEL,
                           export.audited(store(), _who(), lambda: rejected_csv(report.rejected),
                                          what=f"rejected rows of the check of {report.file}",
                                          action="rejected rows"),
                           file_name=f"{Path(report.file).stem}-rejected.csv", mime="text/csv",
                           icon=":material/download:", on_click="ignore",
                           key=f"rejected_{report.sha256[:12]}")


def _use_field(widget_key: str, field_name: str) -> None:
    st.session_state[widget_key] = field_name


def _proposals(report: ImportReport) -> None:
    """One button per mis-mapped column that another field fits: map it there."""
    widgets: dict[str, str] = st.session_state.get("upload_map_widgets", {})
    for proposal in report.mapping_proposals:
        if proposal.proposed is None or proposal.column not in widgets:
            continue
        st.button(f"Map {proposal.column!r} to {proposal.proposed}", icon=":material/swap_horiz:",
                  key=f"propose_{widgets[proposal.column]}", on_click=_use_field,
                  args=(widgets[proposal.column], proposal.proposed))


def _load(key: str, path: Path, name: str, mapping: Mapping, report: ImportReport) -> None:
    disabled = report.already_imported_as is not None or report.rows_read == 0
    if report.rows_loaded == 0 and not disabled:
        st.info("No row would load. Loading still records the batch and keeps the rejected rows "
                "with their reasons.")
    if st.button(LOAD_LABEL, type="primary", disabled=disabled, key=f"load_{key}"):
        current = writable_store()
        who = _who()
        # The ledger names the uploader by email: access.may_undo lets an analyst clear its own.
        uploader = "upload page" if who.whole_network and who.email == "local" else who.email
        try:
            done: ImportReport = _with_progress(
                lambda progress: import_file(current, path, file_name=name, mapping=mapping,
                                             uploader=uploader, progress=progress, principal=who),
                "Loading",
            )
        except (FileError, MappingError, IngestError) as error:
            st.error(str(error))
            return
        if done.rows_loaded:
            with st.spinner("Updating the dashboards"):
                queries.prepare_dashboards(current)
        st.session_state["upload_last"] = done.summary()
        st.session_state.pop("upload_checks", None)
        # Imported: the raw file goes now; the page remembers what became of it.
        _forget_saved()
        if done.batch_id is not None:
            st.session_state.setdefault("upload_imported", {})[key] = (done.batch_id, done.rows_read)
        st.rerun()


def _history() -> None:
    st.subheader("Upload history")
    batches = list_batches(store(), _who())  # only the batches this principal may see
    if batches.is_empty():
        st.caption("No uploads yet.")
        return
    shown = batches.select(
        pl.col("batch_id").alias("batch"), pl.col("file_name").alias("file"),
        pl.col("uploaded_at").alias("uploaded"), "uploader", pl.col("rows_read").alias("read"),
        pl.col("rows_loaded").alias("loaded"), pl.col("rows_rejected").alias("rejected"),
        pl.col("rows_duplicate").alias("duplicate"), "state",
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    labels = {int(r["batch_id"]): f"#{r['batch_id']} {r['file_name']} ({r['rows_loaded']:,} rows)"
              for r in batches.iter_rows(named=True)}
    active = [int(b) for b, s in zip(batches["batch_id"], batches["state"], strict=True) if s == "loaded"]
    left, right = st.columns(2)
    with left:
        if active:
            chosen = st.selectbox(UNDO_SELECT_LABEL, active, format_func=labels.__getitem__,
                                  key="undo_batch")
            if st.button(UNDO_LABEL, key="undo_button"):
                try:
                    result = undo_batch(store(), int(chosen), _who())
                except (IngestError, AccessDenied) as error:
                    st.error(str(error))
                else:
                    with st.spinner("Updating the dashboards"):
                        queries.prepare_dashboards(store())
                    st.session_state["upload_last"] = (
                        f"Undid batch {result.batch_id} ({result.file_name}): removed "
                        f"{result.rows_removed:,} placements.")
                    st.session_state.pop("upload_checks", None)
                    imported = st.session_state.get("upload_imported", {})
                    for file_key in [k for k, (b, _n) in imported.items() if b == result.batch_id]:
                        del imported[file_key]  # the same file may be imported again
                    st.rerun()
        else:
            st.caption("Every batch has been undone.")
    with right:
        with_rejects = [int(b) for b, n in zip(batches["batch_id"], batches["rows_rejected"], strict=True)
                        if n]
        if with_rejects:
            store_now, who_now = store(), _who()  # the download runs outside this script run
            chosen_rejects = st.selectbox(HISTORY_REJECTED_SELECT_LABEL, with_rejects,
                                          format_func=labels.__getitem__, key="history_rejects")
            st.download_button(
                HISTORY_REJECTED_LABEL,
                export.audited(
                    store(), _who(),
                    lambda: rejected_csv(quarantine_rows(store_now, int(chosen_rejects), who_now)),
                    what=f"rejected rows of batch {chosen_rejects}", action="rejected rows"),
                file_name=f"batch-{chosen_rejects}-rejected.csv", mime="text/csv",
                icon=":material/download:", on_click="ignore", key="history_rejects_download",
            )


def _imported(name: str, batch: tuple[int, int]) -> None:
    """The state after this session loaded the file: its raw copy is gone, so say what became of
    it instead of checking it again."""
    batch_id, rows = batch
    st.subheader("Validation report")
    st.warning(ImportReport(file=name, sha256="", rows_read=rows,
                            already_imported_as=batch_id).summary())
    st.button(LOAD_LABEL, type="primary", disabled=True, key="load_imported")


def render() -> None:
    if not navigation.allow("upload"):
        return
    st.title("Upload placements")
    st.caption("Import a CSV, TSV, Excel (.xlsx) or Parquet file: map its columns, check every "
               "row, then load it as one batch. Rejected rows are kept with their reasons, the "
               "same file is never loaded twice, and any batch can be undone.")
    if "upload_last" in st.session_state:
        st.success(st.session_state.pop("upload_last"))
    uploaded = st.file_uploader(UPLOAD_LABEL, type=FILE_TYPES, key="upload_file")
    if uploaded is None:
        _forget_saved()  # removed from the page (or never chosen): no raw file stays behind
        _directory()
    elif _upload_key(uploaded) in st.session_state.get("upload_imported", {}):
        _imported(uploaded.name, st.session_state["upload_imported"][_upload_key(uploaded)])
    else:
        key = _upload_key(uploaded)
        path = _uploaded_path(uploaded, key)
        saved = _saved_mapping(key)
        try:
            inspection = _inspection(key, path, uploaded.name, saved)
        except (FileError, MappingError) as error:
            st.error(str(error))
        else:
            st.caption(inspection.source.describe())
            with st.expander("The file as read (first rows)"):
                st.dataframe(inspection.sample(PREVIEW_ROWS), hide_index=True, width="stretch")
            st.subheader("Map the columns")
            mapping = _mapping_editor(key, inspection)
            st.download_button(DOWNLOAD_MAPPING_LABEL, mapping.to_json(),
                               file_name=f"{Path(uploaded.name).stem}-mapping.json",
                               mime="application/json", icon=":material/download:",
                               on_click="ignore", key=f"mapping_download_{key}")
            try:
                mapping.check()
            except MappingError as error:
                st.error(f"Fix the mapping first: {error}")
            else:
                try:
                    report = _check(key, path, uploaded.name, mapping)
                except (FileError, MappingError, IngestError) as error:
                    st.error(str(error))
                else:
                    _preview(report)
                    _report(report)
                    _load(key, path, uploaded.name, mapping, report)
    st.divider()
    _history()


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("upload"):
    st.stop()
render()
