"""What the breakdown pages share (Evaluations & returning, Equity, Knowledge rate), and the
knowledge-rate warning every page with offer or conversion figures shows.

NACE asks first-destination figures to rest on a known outcome for at least 65% of the eligible
interns; `knowledge_warning` says so wherever a shown figure rests on less."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

import polars as pl
import streamlit as st

from analytics import access, charts, export, metrics
from analytics.app import state
from analytics.filters import Filter

MIME_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TARGET_TEXT: Final = f"NACE asks for at least {charts.pct(metrics.KNOWLEDGE_TARGET, 0)}"


def knowledge_warning(row: dict[str, Any], what: str = "These offer and conversion rates") -> None:
    """A warning when the selection's knowledge rate (an overview row) is under NACE's 65%."""
    rate = row.get("knowledge_rate")
    if metrics.below_target(rate):
        st.warning(f"{what} rest on a known outcome for only {charts.pct(rate)} of the eligible "
                   f"interns ({TARGET_TEXT}): unknown outcomes count as no offer, so the rates may "
                   "read low. See the Knowledge rate page for where outcomes are missing.",
                   icon=":material/help:")


def knowledge_groups_warning(frame: pl.DataFrame, what: str = "groups") -> None:
    """A warning naming the shown groups of a conversion table whose knowledge rate is under 65%."""
    if "knowledge_rate" not in frame.columns:
        return
    low = [f"{g} ({charts.pct(r)})" for g, r in zip(frame["group"].to_list(),
                                                   frame["knowledge_rate"].to_list(), strict=True)
           if metrics.below_target(r)]
    if low:
        listed = ", ".join(low[:6]) + (f" and {len(low) - 6} more" if len(low) > 6 else "")
        st.warning(f"Known outcome under {charts.pct(metrics.KNOWLEDGE_TARGET, 0)} of eligible interns "
                   f"in these {what}: {listed} ({TARGET_TEXT}); their rates may read low.",
                   icon=":material/help:")


def needs_fields(fields: Sequence[str], what: str) -> None:
    """The message for data without the fields a section needs (a gap, not a privacy rule)."""
    names = ", ".join(f"`{f}`" for f in fields)
    st.info(f"{what} needs {names} in the data, and no placement in this selection has "
            f"{'it' if len(fields) == 1 else 'them'}. Upload a file with "
            f"{'this column' if len(fields) == 1 else 'these columns'} to see it.",
            icon=":material/dataset:")


def recorded(frame: pl.DataFrame, missing_label: str) -> bool:
    """Does a grouped frame hold any group other than the 'not recorded' one?"""
    return "group" in frame.columns and bool((frame["group"] != missing_label).any())


def notes(flt: Filter, what: str) -> list[tuple[str, str]]:
    return [
        ("Table", what),
        ("Filter", flt.describe()),
        ("Suppression", f"Cells describing fewer than {state.min_cell()} students read "
                        f"'fewer than {state.min_cell()}'; where a table shows a total, one more cell is "
                        "hidden so the first cannot be recovered by subtraction."),
        ("Exported", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]


def downloads(table: export.Table, stem: str, flt: Filter, what: str, key: str,
              action: str = "export") -> None:
    """CSV and Excel of a table exactly as shown, built on click and audited (`action`:
    'export' for aggregates, 'records' for row-level lists)."""
    who = state.principal()
    needs = access.VIEW_RECORDS if action == "records" else access.EXPORT
    if who is None or not access.allowed(who, needs) or table.height == 0:
        return
    current = state.store()  # resolved here: the download callable runs outside this script run
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("Download CSV", export.audited(current, who, lambda: export.to_csv(table),
                                                        what=f"{what} (CSV)", flt=flt, action=action),
                         file_name=f"{stem}.csv", mime="text/csv", icon=":material/download:",
                         key=f"{key}_csv", on_click="ignore")
    right.download_button("Download Excel",
                          export.audited(current, who,
                                         lambda: export.to_excel(table, notes=notes(flt, what)),
                                         what=f"{what} (Excel)", flt=flt, action=action),
                          file_name=f"{stem}.xlsx", mime=MIME_XLSX, icon=":material/download:",
                          key=f"{key}_xlsx", on_click="ignore")


CONVERSION_COLUMNS: Final = [
    export.Column("n", "Eligible interns", "count"),
    export.Column("offers", "Offers", "count"),
    export.Column("accepted", "Accepted", "count"),
    export.Column("offer_rate", "Offer rate", "rate"),
    export.Column("offer_rate", "Offer 95% interval", "interval"),
    export.Column("acceptance_rate", "Acceptance rate", "rate"),
    export.Column("conversion_rate", "Conversion rate", "rate"),
    export.Column("conversion_rate", "Conversion 95% interval", "interval"),
]


def retention_columns(group: str, *, left: bool = False) -> list[export.Column]:
    """A retention table's columns (hires followed and Kaplan-Meier survival at 1 and 5 years);
    `left`: also the hires who left by the data date (the Retention page's own table)."""
    return [
        export.Column("group", group),
        export.Column("hires", "Hires followed", "count"),
        *([export.Column("left", "Left by the data date", "count")] if left else []),
        export.Column("at_risk_1y", "Followed 1 year", "count"),
        export.Column("survival_1y", "Still there at 1 year", "rate"),
        export.Column("survival_1y", "95% interval (1 year)", "interval"),
        export.Column("at_risk_5y", "Followed 5 years", "count"),
        export.Column("survival_5y", "Still there at 5 years", "rate"),
        export.Column("survival_5y", "95% interval (5 years)", "interval"),
    ]
