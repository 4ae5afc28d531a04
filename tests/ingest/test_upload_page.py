"""The Upload page in Streamlit's AppTest: upload, mapping editor, report, load, history, undo.

The page file is run on its own (AppTest.from_file) against a temporary database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics import store as store_module
from analytics.access import LOCAL_ADMIN, Principal
from analytics.app import state
from analytics.store import Store
from tests.ingest.conftest import BAD, REAL

PAGE = str(Path(__file__).resolve().parents[2] / "analytics" / "app" / "pages" / "upload.py")


def _clear() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    store_module.close_all()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    _clear()
    path = tmp_path / "page.duckdb"
    monkeypatch.setenv("INTERNSHIPS_DB", str(path))
    yield path
    _clear()


def page(who: Principal = LOCAL_ADMIN) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=120)
    # Run on its own, the page has no login gate before it: set the session's principal as the
    # gate would (local mode: the local admin). Without a principal it refuses itself.
    app.session_state[state.PRINCIPAL_KEY] = who
    app.run()
    assert not app.exception
    return app


def upload(app: AppTest, path: Path, mime: str = "text/csv") -> AppTest:
    app.file_uploader(key="upload_file").set_value((path.name, path.read_bytes(), mime))
    app.run()
    assert not app.exception, app.exception
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def button(app: AppTest, label: str) -> st.testing.v1.element_tree.Button:  # type: ignore[name-defined]
    return next(b for b in app.button if b.label == label)


def counts(path: Path) -> dict[str, int]:
    store_module.close_all()
    store = Store(path)
    try:
        return store.table_counts()
    finally:
        store.close()


def test_the_page_on_its_own_without_a_principal_refuses_itself(db: Path) -> None:
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not app.exception
    assert "not allowed" in app.error[0].value
    assert not app.get("file_uploader")


def test_the_empty_page_offers_an_upload(db: Path) -> None:
    app = page()
    assert [t.value for t in app.title] == ["Upload placements"]
    assert [u.label for u in app.file_uploader] == ["Choose a CSV, TSV, Excel or Parquet file"]
    assert "No uploads yet." in [c.value for c in app.caption]


def test_upload_check_load_and_the_same_file_again(db: Path) -> None:
    app = upload(page(), REAL / "abhishek_internships.csv")
    labels = {s.label: s.value for s in app.selectbox}
    assert labels["Company"] == "employer" and labels["Stipend"] == "pay_amount"
    assert labels["Posted_On"] == "(not imported)"
    assert metrics(app) == {"Rows read": "33", "Would load": "32", "Rejected": "0", "Duplicate": "1"}
    assert "Not imported: Posted_On, Last_Date" in [c.value for c in app.caption]
    assert [d.label for d in app.get("download_button")] == ["Download this mapping (JSON)"]
    button(app, "Load into the database").click()
    app.run()
    assert not app.exception
    assert [s.value for s in app.success] == [
        "abhishek_internships.csv: read 33 rows, loaded 32 as batch 1, rejected 0, duplicate 1."]
    history = app.dataframe[-1].value
    assert history["file"].tolist() == ["abhishek_internships.csv"]
    assert history["state"].tolist() == ["loaded"]
    # The check runs again on the same upload: already imported, and the button is off.
    assert any("already imported as batch 1" in w.value for w in app.warning)
    assert button(app, "Load into the database").disabled
    assert counts(db)["placements"] == 32


def test_rejected_rows_are_listed_with_a_download(db: Path) -> None:
    app = upload(page(), REAL / "njit_sample_data.csv")
    assert metrics(app) == {"Rows read": "7", "Would load": "3", "Rejected": "4", "Duplicate": "0"}
    tables = [d.value for d in app.dataframe]
    reasons = next(t for t in tables if "reason" in t.columns and "rows" in t.columns)
    assert reasons.to_dict("records") == [{"reason": "employer: employer is missing (required)", "rows": 4}]
    rejected = next(t for t in tables if "row_number" in t.columns and "column" in t.columns)
    assert rejected["row_number"].tolist() == [2, 3, 4, 5]
    # Two cells held only spaces and two nothing: the table says which, not "None".
    assert rejected["value"].tolist() == ["(only spaces)", "(only spaces)", "(empty)", "(empty)"]
    assert "Download rejected rows (CSV)" in [d.label for d in app.get("download_button")]


def test_changing_the_mapping_changes_the_check(db: Path) -> None:
    app = upload(page(), REAL / "kinjal_internship.csv")
    preview = next(d.value for d in app.dataframe if "problems" in d.value.columns)
    assert "currency" not in preview.columns  # rupee stipends are written without a symbol
    currency = next(s.key for s in app.selectbox if s.label == "Currency when the file does not say")
    app.selectbox(key=currency).set_value("INR")
    app.run()
    preview = next(d.value for d in app.dataframe if "problems" in d.value.columns)
    assert preview.loc[preview["employer"] == "BYJU'S The Learning App", "currency"].eq("INR").all()
    # Two columns feeding one field cannot be checked until fixed.
    app.selectbox(key=next(s.key for s in app.selectbox if s.label == "Duration")).set_value("employer")
    app.run()
    assert any("Fix the mapping first" in e.value and "both map to 'employer'" in e.value for e in app.error)


def test_a_saved_mapping_is_applied(db: Path) -> None:
    app = upload(page(), REAL / "adithi_internship.csv")
    mapping_file = REAL / "adithi_internship.mapping.json"
    uploader = next(u for u in app.file_uploader if u.label == "Reuse a saved mapping (JSON)")
    uploader.set_value((mapping_file.name, mapping_file.read_bytes(), "application/json"))
    app.run()
    assert not app.exception
    values = {s.label: s.value for s in app.selectbox}
    assert values["Currency when the file does not say"] == "INR"
    assert values["Pay period when the file does not say"] == "month"
    assert metrics(app) == {"Rows read": "1,024", "Would load": "987", "Rejected": "0", "Duplicate": "37"}


def test_undo_from_the_history(db: Path) -> None:
    app = upload(page(), REAL / "abhishek_internships.csv")
    button(app, "Load into the database").click()
    app.run()
    app.selectbox(key="undo_batch").set_value(1)
    button(app, "Undo this batch").click()
    app.run()
    assert not app.exception
    assert [s.value for s in app.success] == [
        "Undid batch 1 (abhishek_internships.csv): removed 32 placements."]
    assert app.dataframe[-1].value["state"].tolist() == ["undone"]
    assert counts(db) == {"placements": 0, "batches": 1, "quarantine": 0}


def test_an_unreadable_file_is_explained(db: Path) -> None:
    app = upload(page(), BAD / "binary.csv")
    assert [e.value for e in app.error] == [
        "binary.csv: the file holds binary data, not text. Upload a CSV, Excel (.xlsx) or Parquet file."]


def test_excel_with_title_rows(db: Path) -> None:
    app = upload(page(), BAD / "excel_title_rows.xlsx",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert metrics(app) == {"Rows read": "4", "Would load": "2", "Rejected": "2", "Duplicate": "0"}
    assert "Excel, header on row 4, 5 columns" in [c.value for c in app.caption]


# -- uploaded files do not outlive their use (issue 11: nothing raw leaves the import) ---------------
def _saved_files(db: Path) -> list[Path]:
    from analytics.ingest import uploads

    return sorted(uploads.upload_dir(db).glob("upload-*"))


def test_the_uploaded_file_is_deleted_once_imported(db: Path) -> None:
    app = upload(page(), REAL / "abhishek_internships.csv")
    [saved] = _saved_files(db)
    assert saved.read_bytes() == (REAL / "abhishek_internships.csv").read_bytes()
    assert saved.stat().st_mode & 0o777 == 0o600
    button(app, "Load into the database").click()
    app.run()
    assert not app.exception
    assert _saved_files(db) == []
    # The page still says what became of the file, without a copy of it.
    assert any("already imported as batch 1" in w.value for w in app.warning)
    assert button(app, "Load into the database").disabled
    app.run()
    assert _saved_files(db) == []
    # Undone, the same upload can be checked (and so is saved) again.
    app.selectbox(key="undo_batch").set_value(1)
    button(app, "Undo this batch").click()
    app.run()
    assert len(_saved_files(db)) == 1
    assert metrics(app)["Would load"] == "32"


def test_a_replaced_or_removed_upload_is_deleted(db: Path) -> None:
    app = upload(page(), REAL / "abhishek_internships.csv")
    [first] = _saved_files(db)
    upload(app, REAL / "njit_sample_data.csv")
    [second] = _saved_files(db)
    assert second != first and not first.exists()
    assert second.read_bytes() == (REAL / "njit_sample_data.csv").read_bytes()
    app.file_uploader(key="upload_file").set_value(None)
    app.run()
    assert not app.exception
    assert _saved_files(db) == []


def test_leftovers_go_at_server_start_and_abandoned_files_after_an_hour(db: Path) -> None:
    import os
    import time

    from analytics.ingest import uploads

    directory = uploads.upload_dir(db)
    leftover = uploads.save(directory, b"student_id\nRAW-1\n", ".csv")
    page()  # the server's first Upload page run
    assert not leftover.exists()
    # A file another session stopped using two hours ago goes; one used a minute ago stays.
    old = uploads.save(directory, b"student_id\nRAW-2\n", ".csv")
    recent = uploads.save(directory, b"student_id\nRAW-3\n", ".csv")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    os.utime(recent, (time.time() - 60, time.time() - 60))
    page()
    assert not old.exists() and recent.exists()


def test_a_mis_mapped_column_is_proposed_and_fixed_with_one_click(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "years.csv"
    path.write_text("Company,Start Year\nAcme,2022\nBeta,2023\n")
    app = upload(page(), path)
    assert {s.label: s.value for s in app.selectbox}["Start Year"] == "start_date"
    assert metrics(app) == {"Rows read": "2", "Would load": "2", "Rejected": "0", "Duplicate": "0"}
    assert any("they read as term_year" in w.value for w in app.warning)
    button(app, "Map 'Start Year' to term_year").click()
    app.run()
    assert not app.exception
    assert {s.label: s.value for s in app.selectbox}["Start Year"] == "term_year"
    assert not any("they read as" in w.value for w in app.warning)
    preview = next(d.value for d in app.dataframe if "problems" in d.value.columns)
    assert preview["term_year"].tolist() == [2022, 2023]
