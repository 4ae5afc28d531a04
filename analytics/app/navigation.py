"""The page list, in the order the sidebar shows it, and the shared sidebar."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import streamlit as st

from analytics import access
from analytics.access import Principal
from analytics.app import auth, sidebar, state

PAGES_DIR: Final = Path(__file__).parent / "pages"
UPLOAD_PAGE: Final = PAGES_DIR / "upload.py"

# (file, title, icon, url path, the action it needs), grouped into the sidebar's sections.
SECTIONS: Final[dict[str, tuple[tuple[str, str, str, str, str], ...]]] = {
    "Outcomes": (
        ("overview.py", "Overview", ":material/dashboard:", "overview", access.VIEW),
        ("conversion.py", "Conversion", ":material/trending_up:", "conversion", access.VIEW),
        ("employers.py", "Employers", ":material/business:", "employers", access.VIEW),
        ("universities.py", "Universities", ":material/school:", "universities", access.EXPORT),
    ),
    "Pay and time": (
        ("pay.py", "Pay", ":material/payments:", "pay", access.EXPORT),
        ("durations.py", "Durations", ":material/schedule:", "durations", access.EXPORT),
    ),
    "Data": (
        ("data.py", "Data", ":material/table_view:", "data", access.EXPORT),
        ("upload.py", "Upload", ":material/upload_file:", "upload", access.UPLOAD),
        ("methodology.py", "Methodology", ":material/menu_book:", "methodology", access.VIEW),
    ),
    "Administration": (
        ("admin.py", "Admin", ":material/admin_panel_settings:", "admin", access.MANAGE),
    ),
}
# The action each page needs, by url path: the pages check it again themselves (`allow`).
PAGE_ACTIONS: Final = {entry[3]: entry[4] for entries in SECTIONS.values() for entry in entries}


def pages(who: Principal) -> dict[str, list[st.Page]]:
    """The pages this principal may use (and whose file exists), in sidebar order. Public
    visitors (and viewers) never see a page they would be refused."""
    sections: dict[str, list[st.Page]] = {}
    for section, entries in SECTIONS.items():
        for file_name, title, icon, url_path, action in entries:
            path = PAGES_DIR / file_name
            if not path.exists() or not access.allowed(who, action):
                continue
            sections.setdefault(section, []).append(
                st.Page(path, title=title, icon=icon, url_path=url_path, default=file_name == "overview.py")
            )
    return sections


def upload_available() -> bool:
    return UPLOAD_PAGE.exists()


# Pages the sidebar filters do not apply to: the filters are kept, not shown.
UNFILTERED: Final = frozenset({"upload", "methodology", "admin"})


def allow(url_path: str) -> bool:
    """A page's own check (a page opened by URL is not trusted to be one the sidebar listed):
    True when this session's principal may use it; else a plain "not allowed" and no widget."""
    who = state.principal()
    action = PAGE_ACTIONS.get(url_path, access.MANAGE)
    if access.allowed(who, action):
        return True
    st.error("You are not allowed to use this page. Ask an administrator if you need it.",
             icon=":material/block:")
    return False


def run() -> None:
    who = auth.gate()
    if who is None:
        # Nothing to navigate: not signed in (login mode), or signed in without access.
        st.navigation([st.Page(auth.no_access_screen if st.user.is_logged_in else auth.login_screen,
                               title="Internship outcomes", url_path="welcome")]).run()
        return
    page = st.navigation(pages(who))
    sidebar.render(show=page.url_path not in UNFILTERED)
    auth.sidebar_identity(who)
    page.run()
