"""Fixtures for the import tests: a fresh database per test, and the data folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.store import Store

DATA = Path(__file__).resolve().parents[1] / "data"
BAD = DATA / "bad"
REAL = DATA / "real"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    db = Store(tmp_path / "ingest.duckdb")
    yield db
    db.close()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
