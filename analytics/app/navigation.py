"""The page list, in the order the sidebar shows it."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).parent / "pages"


def run() -> None:
    pages = [
        st.Page(PAGES_DIR / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
    ]
    st.navigation(pages).run()
