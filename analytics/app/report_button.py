"""The "Download report" widget of the Overview, Employers and Universities pages.

One call per page: `offer(flt, subject, key=...)`. The reader picks HTML or PDF and presses
"Download report"; the report is made there and then, under a progress indicator
(`st.status`, one line per step: figures, charts, PDF), as the signed-in principal with the
page's threshold, and written to the audit log (analytics.reports.make does both). The finished
file waits in the session behind a "Save" download button until the filter or subject changes.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from analytics import access, reports
from analytics.app import state
from analytics.filters import Filter

BUTTON_LABEL: Final = "Download report"
FORMAT_LABEL: Final = "Report format"
FORMAT_CHOICES: Final[dict[str, reports.ReportFormat]] = {"PDF": "pdf", "HTML": "html"}


def _session_key(key: str) -> str:
    return f"report_file_{key}"


def offer(flt: Filter, subject: reports.Subject = reports.NETWORK, *, key: str) -> None:
    """The widget; shows nothing to a principal who may not export (public visitors)."""
    who = state.principal()
    if who is None or not access.allowed(who, access.EXPORT):
        return
    with st.expander(":material/picture_as_pdf: Report of this view (HTML or PDF)"):
        st.caption("A file to send: the figures, charts and tables of this selection, its filter, the "
                   "data version and the methodology, with the same privacy rules as this page.")
        left, right = st.columns([1, 2])
        with left:
            label = st.radio(FORMAT_LABEL, list(FORMAT_CHOICES), horizontal=True, key=f"{key}_format")
        fmt = FORMAT_CHOICES[label or "PDF"]
        wanted = (fmt, subject, flt, state.data_version())
        held = st.session_state.get(_session_key(key))
        with right:
            if st.button(BUTTON_LABEL, key=f"{key}_make", icon=":material/description:", type="primary"):
                held = _make(who, subject, flt, fmt, wanted)
                st.session_state[_session_key(key)] = held
        if held is not None and held[0] == wanted:
            _, data, name, note = held
            st.download_button(f"Save {name}", data, file_name=name, mime=reports.MIME[fmt],
                               icon=":material/download:", key=f"{key}_save", on_click="ignore")
            if note:
                st.caption(note)


def _make(who: access.Principal, subject: reports.Subject, flt: Filter, fmt: reports.ReportFormat,
          wanted: tuple[object, ...]) -> tuple[tuple[object, ...], bytes, str, str]:
    with st.status("Making the report…", expanded=True) as status:
        made = reports.make(state.store(), who, subject, flt, fmt=fmt, min_cell=state.min_cell(),
                            progress=lambda text: status.write(f"{text}…"))
        status.update(label=f"Report ready ({len(made.data) // 1024:,} KB)", state="complete",
                      expanded=False)
    note = "" if made.unavailable is None else \
        f"Charts are missing from this report ({made.unavailable}); its tables carry the figures."
    return wanted, made.data, made.file_name(subject, fmt), note
