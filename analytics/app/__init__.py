"""The Streamlit layer: pages, widgets and session state. Thin: no SQL, no metric logic."""
