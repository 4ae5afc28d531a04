"""Shared fixtures: temporary databases (embedded and lake), one loaded with the shipped sample."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

from analytics import store as store_module
from analytics.ingest.load import KEY_ENV_VAR, load_canonical_csv
from analytics.store import LakeStore, Store
from tests.fixture_rows import make_store
from tests.lake.postgres import PostgresServer, find_bin

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


# -- which tests need the lake install ----------------------------------------------------------
# The lake store runs on DuckDB 1.5.5 (the `lake` extra), the rest on the default install's 2.0;
# one process cannot import both. So every lake test carries the marker `lake`: `make test` runs
# `-m "not lake"` in .venv and `-m lake` in .venv-lake. A test is a lake test when it lives in
# tests/lake/, asks for a lake fixture, or is the lake param of `new_store` (marked there).
LAKE_DIR = REPO / "tests" / "lake"
LAKE_FIXTURES = frozenset({"postgres", "new_lake"})


def _lake_run(config: pytest.Config) -> bool:
    return str(config.getoption("markexpr", "")).strip() == "lake"


@pytest.hookimpl(tryfirst=True)  # before -m selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LAKE_DIR in Path(str(item.fspath)).parents or LAKE_FIXTURES & set(
                getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.lake)


def pytest_collection_finish(session: pytest.Session) -> None:
    # A lake run that finds nothing to run has lost the lake tests: fail it rather than pass.
    if _lake_run(session.config) and not session.items:
        raise pytest.UsageError("-m lake selected no tests: the lake tests were not collected")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    # In the lake run a skipped lake test (no PostgreSQL, a missing module) is a failure: the
    # lake half of `make test` must not pass by running nothing.
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _lake_run(item.config) and item.get_closest_marker("lake"):
        report.outcome = "failed"
        report.longrepr = f"a lake test was skipped in the lake run: {report.longrepr}"


# -- the two stores ------------------------------------------------------------------------------
# Tests that take `new_store` run once on each store. The lake needs a PostgreSQL server: one per
# test session, started on first use (so a run of embedded-only tests never starts one).
LAKE_KEY = "lake tests' shared pseudonym secret"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = find_bin()
    if bin_dir is None:
        pytest.fail("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)")
    server = PostgresServer(bin_dir)
    yield server
    server.stop()


@pytest.fixture
def new_lake(postgres: PostgresServer, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Callable[[], tuple[str, Path]]:
    """A fresh lake each call: (its URL, its data directory). Sets the shared pseudonym key."""
    monkeypatch.setenv(KEY_ENV_VAR, LAKE_KEY)
    count = itertools.count()

    def make() -> tuple[str, Path]:
        data = tmp_path / f"lake-data-{next(count)}"
        data.mkdir()
        return postgres.new_database(), data

    return make


@pytest.fixture(params=["embedded", pytest.param("lake", marks=pytest.mark.lake)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Makes empty stores of one kind (the test runs once per kind); closes them at the end."""
    stores: list[Store] = []
    make_lake: Callable[[], tuple[str, Path]] | None = (
        request.getfixturevalue("new_lake") if request.param == "lake" else None
    )

    def make() -> Store:
        if make_lake is None:
            store: Store = Store(tmp_path / f"store{len(stores)}.duckdb")
        else:
            url, data = make_lake()
            store = LakeStore(url, data_path=str(data))
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def hand_built(tmp_path: Path) -> Iterator[Callable[[list[dict[str, Any]]], Store]]:
    """Builds embedded stores holding the given hand-built rows (through the real loader, see
    tests/fixture_rows.py); closed at the end of the test."""
    stores: list[Store] = []

    def build(rows: list[dict[str, Any]]) -> Store:
        store = make_store(tmp_path / f"hand{len(stores)}.duckdb", rows)
        stores.append(store)
        return store

    yield build
    for store in stores:
        store.close()
    store_module.close_all()
