"""The page list, in the order the sidebar shows it, and the shared sidebar."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import streamlit as st

from analytics import access
from analytics.access import Principal
from analytics.app import auth, sidebar, state
from analytics.store import StoreError

PAGES_DIR: Final = Path(__file__).parent / "pages"
UPLOAD_PAGE: Final = PAGES_DIR / "upload.py"

# (file, title, icon, url path, the action it needs), grouped into the sidebar's sections.
SECTIONS: Final[dict[str, tuple[tuple[str, str, str, str, str], ...]]] = {
    "Outcomes": (
        ("overview.py", "Overview", ":material/dashboard:", "overview", access.VIEW),
        ("conversion.py", "Conversion", ":material/trending_up:", "conversion", access.VIEW),
        ("employers.py", "Employers", ":material/business:", "employers", access.VIEW),
        ("universities.py", "Universities", ":material/school:", "universities", access.EXPORT),
        ("flows.py", "Flows", ":material/account_tree:", "flows", access.EXPORT),
        ("retention.py", "Retention", ":material/groups:", "retention", access.EXPORT),
        ("timeline.py", "Hiring timeline", ":material/event:", "timeline", access.EXPORT),
        ("evaluations.py", "Evaluations & returning", ":material/reviews:", "evaluations", access.EXPORT),
        ("equity.py", "Equity", ":material/diversity_3:", "equity", access.EXPORT),
    ),
    "Pay and time": (
        ("pay.py", "Pay", ":material/payments:", "pay", access.EXPORT),
        ("durations.py", "Durations", ":material/schedule:", "durations", access.EXPORT),
    ),
    "Data": (
        ("data.py", "Data", ":material/table_view:", "data", access.EXPORT),
        ("knowledge.py", "Knowledge rate", ":material/fact_check:", "knowledge", access.EXPORT),
        ("upload.py", "Upload", ":material/upload_file:", "upload", access.UPLOAD),
        ("methodology.py", "Methodology", ":material/menu_book:", "methodology", access.VIEW),
    ),
    "Administration": (
        ("admin.py", "Admin", ":material/admin_panel_settings:", "admin", access.MANAGE),
    ),
}
# The action each page needs, by url path: the pages check it again themselves (`allow`).
PAGE_ACTIONS: Final = {entry[3]: entry[4] for entries in SECTIONS.values() for entry in entries}
DEFAULT_PATH: Final = "overview"  # st.navigation reports the default page's url path as ""
# Streamlit serves the default page at "/" only, so a link or bookmark to /overview would meet a
# "Page not found" dialog. The default page therefore gets an internal path of its own and the
# Overview is registered a second time, hidden, at /overview (a page's identity is its path).
_DEFAULT_INTERNAL_PATH: Final = "home"


def action_for(url_path: str) -> str:
    """The action a page needs; an unknown page needs the strictest one."""
    return PAGE_ACTIONS.get(url_path or DEFAULT_PATH, access.MANAGE)


def _page(file_name: str, title: str, icon: str, url_path: str) -> st.Page:
    default = url_path == DEFAULT_PATH
    return st.Page(PAGES_DIR / file_name, title=title, icon=icon,
                   url_path=_DEFAULT_INTERNAL_PATH if default else url_path, default=default)


def registered() -> list[st.Page]:
    """Every page whose file exists, whoever asks. All are registered with st.navigation so that
    a page opened by URL is that page (and refuses itself via `allow`), never a silent fallback
    to the default page that would hide the refusal."""
    listed = [_page(file_name, title, icon, url_path)
              for entries in SECTIONS.values()
              for file_name, title, icon, url_path, _action in entries
              if (PAGES_DIR / file_name).exists()]
    alias = [st.Page(PAGES_DIR / file_name, title=title, icon=icon, url_path=url_path)
             for entries in SECTIONS.values()
             for file_name, title, icon, url_path, _action in entries
             if url_path == DEFAULT_PATH and (PAGES_DIR / file_name).exists()]
    return listed + alias


def pages(who: Principal | None) -> dict[str, list[st.Page]]:
    """The pages this principal may use (and whose file exists), in sidebar order. Public
    visitors (and viewers) are never offered a page they would be refused."""
    sections: dict[str, list[st.Page]] = {}
    for section, entries in SECTIONS.items():
        for file_name, title, icon, url_path, action in entries:
            if (PAGES_DIR / file_name).exists() and access.allowed(who, action):
                sections.setdefault(section, []).append(_page(file_name, title, icon, url_path))
    return sections


def sidebar_links(who: Principal) -> None:
    """The sidebar's page list: links to the allowed pages only, by section (st.navigation
    itself is hidden, since it would list every registered page)."""
    with st.sidebar.container(key="page_links"):
        for section, entries in pages(who).items():
            st.caption(section)
            for entry in entries:
                st.page_link(entry, label=entry.title, icon=entry.icon)


def upload_available() -> bool:
    """Is there an Upload page this session may use? (Pages link to it only then.)"""
    return UPLOAD_PAGE.exists() and access.allowed(state.principal(), access.UPLOAD)


# Pages the sidebar filters do not apply to: the filters are kept, not shown.
UNFILTERED: Final = frozenset({"upload", "methodology", "admin"})


def allow(url_path: str) -> bool:
    """A page's own check (a page opened by URL is not trusted to be one the sidebar listed):
    True when this session's principal may use it; else a plain "not allowed" and no widget."""
    who = state.principal()
    if access.allowed(who, action_for(url_path)):
        return True
    st.error("You are not allowed to use this page. Ask an administrator if you need it.",
             icon=":material/block:")
    return False


def run() -> None:
    try:
        with state.one_data_version():
            _run()
    except StoreError as error:
        # A database this process cannot open (a lake URL on the default install, which has no
        # lake store; a file another process holds) is one line on the page, not a traceback.
        st.error(str(error))


def _run() -> None:
    who = auth.gate()
    if who is None:
        # Nothing to navigate: not signed in (login mode), or signed in without access.
        st.navigation([st.Page(auth.refusal_screen, title="Internship outcomes", url_path="welcome")]).run()
        return
    page = st.navigation(registered(), position="hidden")
    sidebar_links(who)
    allowed_here = access.allowed(who, action_for(page.url_path))
    # A refused page gets no filters either (they would list the options of the data).
    sidebar.render(show=allowed_here and page.url_path not in UNFILTERED)
    auth.sidebar_identity(who)
    page.run()
