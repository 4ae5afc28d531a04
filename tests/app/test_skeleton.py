from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import store as store_module

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")


@pytest.fixture(autouse=True)
def _release():
    yield
    store_module.close_all()


def test_overview_shows_the_sample_counts(sample_db_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("INTERNSHIPS_DB", str(sample_db_path))
    app = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not app.exception
    values = {m.label: m.value for m in app.metric}
    assert values["Placements"] == "5,000"
