"""Shared fixtures: temporary databases, one loaded with the shipped sample."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import store as store_module
from analytics.ingest.load import load_canonical_csv
from analytics.store import Store

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CSV = REPO / "data" / "sample" / "placements.csv"
REAL_DATA = REPO.parent / "shared" / "data" / "real"


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "test.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the shipped 5,000-row sample, built once per test session."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    store = Store(path)
    load_canonical_csv(store, SAMPLE_CSV)
    store.close()
    return path


@pytest.fixture
def sample_store(sample_db_path: Path) -> Iterator[Store]:
    store = store_module.open_store(sample_db_path)
    yield store
    store_module.close_all()
