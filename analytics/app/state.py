"""Process-wide resources shared by every browser session."""

from __future__ import annotations

import streamlit as st

from analytics.store import Store, open_store


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """The one Store of this server process; each script thread reads through its own cursor."""
    return open_store()
