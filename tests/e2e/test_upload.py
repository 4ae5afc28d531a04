"""The Upload page in a real browser: a real, messy CSV goes through mapping, validation, loading
and undo, with its rows showing up on (and leaving) the Overview; an unreadable file gets a clear
message (scenarios 5 and 8).

The upload runs against `fresh_app`, a server on its own copy of the sample, so loading and
undoing never change what the other tests see, whatever order they run in.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e import facts, ui
from tests.e2e.server import AppServer

pytestmark = pytest.mark.e2e

UPLOAD_LABEL = "Choose a CSV, TSV, Excel or Parquet file"
LOAD_LABEL = "Load into the database"
UNDO_SELECT_LABEL = "Batch to undo"
UNDO_LABEL = "Undo this batch"
REAL_FILE = facts.REAL_DATA / "kinjal_internship.csv"
# Columns of that file and the field a person would map each to (tests/data/real/README.md).
EXPECTED_MAPPING = {
    "Internship organization": "employer",
    "Internship name": "role",
    "Duration": "duration_weeks",
    "Stipend": "pay_amount",
}
SUCCESS = '[data-testid="stAlertContentSuccess"]'
LONG_MS = 120_000  # checking and loading a file can take a while on a busy 2-core machine


def _placements(page: Page) -> Locator:
    return ui.metric(page, "Placements").locator('[data-testid="stMetricValue"]')


def _upload(page: Page, path: str) -> None:
    uploader = ui.shown(page, ui.widget(page, UPLOAD_LABEL, "stFileUploader"))
    ui.rerun(page, lambda: uploader.locator('input[type="file"]').set_input_files(path), timeout=LONG_MS)


def test_upload_a_real_messy_csv_load_it_and_undo_it(fresh_app: AppServer, page: Page) -> None:
    with REAL_FILE.open(newline="", encoding="utf-8") as handle:
        rows_in_file = sum(1 for _ in csv.DictReader(handle))
    before = len(facts.sample_rows())

    ui.open_page(page, fresh_app.url)
    expect(ui.shown(page, _placements(page))).to_have_text(f"{before:,}")

    # Upload: the columns are mapped to fields without the user's help.
    ui.go_to(page, "Upload")
    _upload(page, str(REAL_FILE))
    for column, field in EXPECTED_MAPPING.items():
        box = ui.shown(page, ui.widget(page, column, "stSelectbox"), timeout=LONG_MS)
        expect(box.locator('input[role="combobox"]')).to_have_value(field)

    # The validation report accounts for every row of the file.
    read = ui.number(ui.metric_value(page, "Rows read"))
    would_load = int(ui.number(ui.metric_value(page, "Would load")))
    rejected = ui.number(ui.metric_value(page, "Rejected"))
    duplicate = ui.number(ui.metric_value(page, "Duplicate"))
    assert read == rows_in_file
    assert would_load + rejected + duplicate == read
    assert would_load > 0
    ui.assert_no_exception(page)

    # Confirm: the rows are loaded as a new batch, which the history lists.
    load = page.get_by_role("button", name=LOAD_LABEL)
    expect(load).to_be_enabled()
    load.click()
    success = ui.shown(page, page.locator(SUCCESS).filter(has_text="loaded"), timeout=LONG_MS)
    message = success.first.inner_text()
    found = re.search(r"loaded ([\d,]+) as batch (\d+)", message)
    assert found, message
    loaded, batch = int(found.group(1).replace(",", "")), int(found.group(2))
    assert loaded == would_load
    record = ui.wait_for_table_row(page, {"batch": str(batch), "state": "loaded"})
    assert record["file"] == REAL_FILE.name
    assert ui.number(record["loaded"]) == loaded

    # Its rows are on the Overview.
    ui.go_to(page, "Overview")
    expect(_placements(page)).to_have_text(f"{before + loaded:,}")

    # Undo: the batch's rows leave again, and the history says so.
    ui.go_to(page, "Upload")
    undo_box = ui.shown(page, ui.widget(page, UNDO_SELECT_LABEL, "stSelectbox"))
    ui.choose_in_selectbox(page, undo_box, f"#{batch} {REAL_FILE.name} ({loaded:,} rows)")
    page.get_by_role("button", name=UNDO_LABEL).click()
    undone = ui.shown(page, page.locator(SUCCESS).filter(has_text=f"Undid batch {batch}"), timeout=LONG_MS)
    expect(undone).to_contain_text(f"removed {loaded:,} placements")
    ui.wait_for_table_row(page, {"batch": str(batch), "file": REAL_FILE.name, "state": "undone"})
    ui.go_to(page, "Overview")
    expect(_placements(page)).to_have_text(f"{before:,}")
    ui.assert_no_exception(page)


@pytest.mark.parametrize("path", list(facts.UNREADABLE), ids=[p.stem for p in facts.UNREADABLE])
def test_an_unreadable_file_gets_a_clear_message(app: AppServer, page: Page, path: Path) -> None:
    ui.open_page(page, app.url, "upload")
    _upload(page, str(path))
    error = ui.shown(page, page.locator(ui.ERROR_ALERT), timeout=LONG_MS).first
    # The message names the file and says what is wrong with it, in words, not a traceback.
    expect(error).to_contain_text(path.name)
    expect(error).to_contain_text(re.compile(facts.UNREADABLE[path], re.IGNORECASE))
    ui.assert_no_exception(page)
    # Nothing of the import goes further: no mapping editor, no report, no load button.
    expect(page.get_by_role("button", name=LOAD_LABEL)).to_have_count(0)
    expect(page.get_by_text("Validation report")).to_have_count(0)
