"""Fixtures for the AppTests: point the app at a database, with fresh Streamlit caches."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import schema
from analytics import store as store_module
from analytics.ingest.load import load_canonical_csv
from analytics.store import Store

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = str(REPO / "dashboard.py")
TIMEOUT = 120

# A tiny network whose KPIs are worked out by hand in test_pages.py. Columns: term_year,
# status, final_year, continuing_education, offer_extended, offer_accepted, paid, hourly pay,
# duration_weeks, hours_per_week, employer. Every row is a different student.
TINY_ROWS: tuple[tuple[Any, ...], ...] = (
    (2024, "completed", True, False, True, True, True, 20.0, 10, 40, "Acme"),
    (2024, "completed", True, False, True, False, True, 22.0, 10, 40, "Acme"),
    (2024, "completed", True, False, False, False, True, 24.0, 12, 40, "Beta"),
    (2024, "completed", False, False, False, False, False, None, 12, 20, "Beta"),
    (2024, "in_progress", True, False, None, None, True, 30.0, 10, 40, "Acme"),
    (2024, "completed", True, True, False, False, False, None, 8, 40, "Beta"),
    (2025, "completed", True, False, True, True, True, 26.0, 12, 40, "Acme"),
    (2025, "completed", True, False, True, True, True, 28.0, 12, 40, "Acme"),
    (2025, "completed", True, False, True, False, True, 18.0, 10, 20, "Beta"),
    (2025, "completed", True, False, False, False, False, None, 12, 40, "Beta"),
    (2025, "completed", True, False, None, None, True, 21.0, 11, 40, "Acme"),
    (2025, "withdrawn", True, False, None, None, False, None, 6, 40, "Beta"),
    (2025, "completed", True, False, True, True, True, 25.0, 12, 40, "Acme"),
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_tiny_csv(path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(schema.INPUT_NAMES))
        writer.writeheader()
        for i, (year, status, final, cont, offer, accepted, paid, pay, weeks, hours, employer) in \
                enumerate(TINY_ROWS):
            row = dict.fromkeys(schema.INPUT_NAMES, "")
            row.update({
                "placement_id": f"T{i:03d}", "student_id": f"S{i:03d}", "university": "Test University",
                "degree_level": "bachelor", "employer": employer, "role_family": "software engineering",
                "work_mode": "onsite", "term_season": "summer", "term_year": str(year),
                "duration_weeks": str(weeks), "hours_per_week": str(hours), "paid": _text(paid),
                "pay_amount": _text(pay), "pay_period": "hour" if pay is not None else "",
                "currency": "USD" if pay is not None else "", "academic_credit": "false",
                "structured_training": "true", "status": status, "final_year": _text(final),
                "continuing_education": _text(cont), "offer_extended": _text(offer),
                "offer_accepted": _text(accepted),
            })
            writer.writerow({k: _text(v) if not isinstance(v, str) else v for k, v in row.items()})
    return path


@pytest.fixture(scope="session")
def tiny_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    path = folder / "tiny.duckdb"
    store = Store(path)
    try:
        load_canonical_csv(store, write_tiny_csv(folder / "tiny.csv"))
    finally:
        store.close()
    return path


def _clear() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    store_module.close_all()


@pytest.fixture
def use_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Point the app at a database file, with empty Streamlit caches; release it afterwards."""

    def use(path: Path) -> None:
        _clear()
        monkeypatch.setenv("INTERNSHIPS_DB", str(path))

    yield use
    _clear()


@pytest.fixture
def app_factory() -> Callable[[], AppTest]:
    def make() -> AppTest:
        return AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)

    return make
