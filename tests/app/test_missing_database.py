"""The app pointed at a database path with nothing there says so and creates nothing until a write."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics.store.lake import LAKE_DUCKDB, LAKE_INSTALL_MESSAGE
from tests.app.test_pages import metrics, open_page


def test_a_missing_database_is_named_and_not_created(tmp_path: Path, use_db, app_factory) -> None:
    missing = tmp_path / "typo.duckdb"
    use_db(missing)
    for page in ("overview", "employers", "pay"):
        app = open_page(app_factory(), page)
        assert not app.exception, app.exception
        assert f"No database at {missing}" in app.warning[0].value
        assert not missing.exists(), page


def test_loading_the_sample_creates_it_there(tmp_path: Path, use_db, app_factory) -> None:
    missing = tmp_path / "new.duckdb"
    use_db(missing)
    app = open_page(app_factory(), "overview")
    app.button(key="load_sample").click().run()
    assert not app.exception
    assert missing.exists()
    assert metrics(app)["Placements"] == "5,000"
    assert not [w for w in app.warning if "No database" in w.value]


def test_an_existing_empty_database_is_not_called_missing(tmp_path: Path, use_db, app_factory) -> None:
    from analytics.store import Store

    path = tmp_path / "empty.duckdb"
    Store(path).close()
    use_db(path)
    app = open_page(app_factory(), "overview")
    assert "no placements yet" in app.info[0].value
    assert not [w for w in app.warning if "No database" in w.value]


@pytest.mark.skipif(duckdb.__version__ == LAKE_DUCKDB, reason="the lake install can open a lake")
def test_a_lake_url_on_the_default_install_says_how_to_get_the_lake_install(use_db, app_factory) -> None:
    use_db("ducklake:postgresql://analyst@127.0.0.1:1/outcomes")
    app = open_page(app_factory(), "overview")
    assert not app.exception, app.exception
    assert [e.value for e in app.error] == [LAKE_INSTALL_MESSAGE.format(version=duckdb.__version__)]
