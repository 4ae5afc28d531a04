"""Overview: what is in the database."""

from __future__ import annotations

import streamlit as st

from analytics.app.state import store

st.title("Internship outcomes")
counts = store().query(
    "SELECT count(*) AS placements, count(DISTINCT employer_key) AS employers, "
    "count(DISTINCT term) AS terms FROM placements"
).row(0, named=True)
if not counts["placements"]:
    st.info("The database is empty. Load the sample with `internships init --sample`, or upload a file.")
cols = st.columns(3)
cols[0].metric("Placements", f"{counts['placements']:,}")
cols[1].metric("Employers", f"{counts['employers']:,}")
cols[2].metric("Terms", f"{counts['terms']:,}")
