"""The page list, in the order the sidebar shows it, and the shared sidebar."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import streamlit as st

from analytics.app import sidebar

PAGES_DIR: Final = Path(__file__).parent / "pages"
UPLOAD_PAGE: Final = PAGES_DIR / "upload.py"

# (file, title, icon, url path), grouped into the sidebar's sections.
SECTIONS: Final[dict[str, tuple[tuple[str, str, str, str], ...]]] = {
    "Outcomes": (
        ("overview.py", "Overview", ":material/dashboard:", "overview"),
        ("conversion.py", "Conversion", ":material/trending_up:", "conversion"),
        ("employers.py", "Employers", ":material/business:", "employers"),
        ("universities.py", "Universities", ":material/school:", "universities"),
    ),
    "Pay and time": (
        ("pay.py", "Pay", ":material/payments:", "pay"),
        ("durations.py", "Durations", ":material/schedule:", "durations"),
    ),
    "Data": (
        ("data.py", "Data", ":material/table_view:", "data"),
        ("upload.py", "Upload", ":material/upload_file:", "upload"),
        ("methodology.py", "Methodology", ":material/menu_book:", "methodology"),
    ),
}


def pages() -> dict[str, list[st.Page]]:
    """Every page whose file exists (the upload page arrives with the import feature)."""
    sections: dict[str, list[st.Page]] = {}
    for section, entries in SECTIONS.items():
        for file_name, title, icon, url_path in entries:
            path = PAGES_DIR / file_name
            if not path.exists():
                continue
            sections.setdefault(section, []).append(
                st.Page(path, title=title, icon=icon, url_path=url_path, default=file_name == "overview.py")
            )
    return sections


def upload_available() -> bool:
    return UPLOAD_PAGE.exists()


# Pages the sidebar filters do not apply to: the filters are kept, not shown.
UNFILTERED: Final = frozenset({"upload", "methodology"})


def run() -> None:
    page = st.navigation(pages())
    sidebar.render(show=page.url_path not in UNFILTERED)
    page.run()
