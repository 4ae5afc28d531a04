"""Entry point: page config, navigation and the shared sidebar. Run with `streamlit run dashboard.py`."""

from __future__ import annotations

import streamlit as st

from analytics.app import navigation

st.set_page_config(page_title="Internship outcomes", page_icon=":bar_chart:", layout="wide")
navigation.run()
