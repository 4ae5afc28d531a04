"""Issue 11, case 7 on the Upload page: nothing raw stays behind an upload.

A file with raw student ids (three rows rejected) is uploaded; once it is imported, or the
upload is abandoned (removed from the uploader), no file holding a raw id may be left in the
temporary directory, and the page's rejected-rows table and download show no raw id.

On 7c8cc45: the uploaded file (internships-upload-*.csv) stayed in the temporary directory after
the import and after the upload was removed. The page's own rejected-rows table showed only the
failing cells (no raw id there); the quarantine and its download did (test_disclosure_attacks,
case 7).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import store as store_module
from tests.ingest.test_upload_page import button, page, upload
from tests.test_disclosure_attacks import messy_file


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    st.cache_data.clear()
    st.cache_resource.clear()
    store_module.close_all()
    path = tmp_path / "page.duckdb"
    monkeypatch.setenv("INTERNSHIPS_DB", str(path))
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()
    store_module.close_all()


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's temporary directory, private to this test (AppTest runs the page in-process)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def raw_file(tmp_path: Path) -> tuple[Path, list[str]]:
    source = tmp_path / f"messy-{uuid.uuid4().hex[:8]}.csv"
    return source, messy_file(source)


def holding(folder: Path, ids: list[str]) -> list[str]:
    """Files under `folder` holding any raw id."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and any(sid.encode() in path.read_bytes() for sid in ids):
            found.append(path.name)
    return found


def stored_views(app: AppTest, header: list[str]) -> list[str]:
    """The page's tables as text, except the sample of the uploaded file itself (its own columns,
    shown to the uploader before the mapping): that is the analyst's own file, not stored data."""
    return [str(frame.value.to_dict("records")) for frame in app.dataframe
            if list(frame.value.columns) != header]


def test_an_imported_upload_leaves_no_raw_file_and_shows_no_raw_id(db: Path, temp_dir: Path,
                                                                   tmp_path: Path) -> None:
    source, ids = raw_file(tmp_path)
    header = source.read_text().splitlines()[0].split(",")
    app = upload(page(), source)
    shown = stored_views(app, header)
    button(app, "Load into the database").click()
    app.run()
    assert not app.exception
    assert any("rejected 3" in s.value for s in app.success)
    shown += stored_views(app, header)
    assert [sid for sid in ids if any(sid in text for text in shown)] == []
    assert holding(temp_dir, ids) == []


def test_an_abandoned_upload_leaves_no_raw_file(db: Path, temp_dir: Path, tmp_path: Path) -> None:
    source, ids = raw_file(tmp_path)
    app = upload(page(), source)
    app.file_uploader(key="upload_file").set_value(None)
    app.run()
    assert not app.exception
    assert holding(temp_dir, ids) == []
