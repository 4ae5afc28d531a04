"""What the Retention and Hiring timeline pages share: the message naming the fields a page needs
when the data lacks them, and the CSV / Excel downloads of a shown table (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import streamlit as st

from analytics import access, export, schema
from analytics.app import queries, state
from analytics.filters import Filter

MIME_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def lacks_fields(page: str, needed: Sequence[str], required: Sequence[str], flt: Filter) -> bool:
    """True (after saying so) when none of the placements in scope has the `required` fields.
    The message names every field the page reads, so an analyst knows what to add to a file."""
    missing = queries.missing_fields(tuple(required), flt)
    if not missing:
        return False
    names = ", ".join(f"`{name}`" for name in missing)
    wanted = "; ".join(f"`{name}`: {schema.FIELD_BY_NAME[name].description.lower()}" for name in needed)
    st.info(f"{page} needs fields this selection's data does not have: no placement has {names}. "
            f"The page reads {wanted}. Add them to a file (the Upload page maps headers such as "
            "'Date hired' or 'Offer made on' to them) to see this page.",
            icon=":material/data_alert:")
    return True


def downloads(table: export.Table, stem: str, flt: Filter, what: str, key: str) -> None:
    """CSV and Excel of exactly the table shown, built and audited when someone clicks."""
    who = state.principal()
    if who is None or not access.allowed(who, access.EXPORT):
        return
    current = state.store()  # resolved here: the download callable runs outside this script run
    notes = [("Table", what), ("Filter", flt.describe()),
             ("Suppression", f"Cells describing fewer than {state.min_cell()} students read "
                             f"'fewer than {state.min_cell()}'."),
             ("Exported", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))]
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("Download CSV", export.audited(current, who, lambda: export.to_csv(table),
                                                        what=f"{what} (CSV)", flt=flt),
                         file_name=f"{stem}.csv", mime="text/csv", icon=":material/download:",
                         key=f"{key}_csv", on_click="ignore")
    right.download_button("Download Excel",
                          export.audited(current, who, lambda: export.to_excel(table, notes=notes),
                                         what=f"{what} (Excel)", flt=flt),
                          file_name=f"{stem}.xlsx", mime=MIME_XLSX, icon=":material/download:",
                          key=f"{key}_xlsx", on_click="ignore")
