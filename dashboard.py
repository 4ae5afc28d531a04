"""Entry point: page config, navigation and the shared sidebar. Run with `streamlit run dashboard.py`."""

from __future__ import annotations

import streamlit as st

# `startup` is imported for its effect: every library the pages use, imported whole before any
# session's script goes on (the first sessions after a restart arrive together).
from analytics.app import navigation, startup  # noqa: F401

st.set_page_config(page_title="Internship outcomes", page_icon=":bar_chart:", layout="wide")
navigation.run()
