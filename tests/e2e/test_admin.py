"""The Admin page in a real browser (local mode: the local administrator): invite a user through
the form, see it listed and in the audit log, and download the audit log as CSV with a
formula-looking value defused.

Runs against `fresh_app` (its own copy of the sample), since inviting changes the database.
"""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import ui
from tests.e2e.server import AppServer

pytestmark = pytest.mark.e2e

# A valid address that a spreadsheet would run as a formula if written as is.
FORMULA_EMAIL = "=1+2@evil.example"
SUCCESS = '[data-testid="stAlertContentSuccess"]'


def test_admin_invites_a_user_and_downloads_the_audit_log_formula_safe(fresh_app: AppServer,
                                                                        page: Page) -> None:
    ui.open_page(page, fresh_app.url, "admin")
    expect(page.locator(f"{ui.MAIN} h1")).to_contain_text("Admin: users and the audit log")
    email = ui.shown(page, ui.widget(page, "Email", "stTextInput"))
    email.locator("input").fill(FORMULA_EMAIL)
    # The form's widgets cause no rerun until it is submitted; the role is left at viewer.
    expect(ui.widget(page, "Role", "stSelectbox").locator('input[role="combobox"]')).to_have_value("viewer")
    ui.rerun(page, page.get_by_role("button", name="Invite").click)
    expect(page.locator(SUCCESS)).to_contain_text(f"Invited {FORMULA_EMAIL} as viewer")
    ui.wait_for_table_row(page, {"Email": FORMULA_EMAIL, "Role": "viewer", "Has signed in": "no"})
    ui.wait_for_table_row(page, {"Principal": "local", "Action": "invite",
                                 "Detail": f"{FORMULA_EMAIL} as viewer"})

    button = page.locator('[data-testid="stDownloadButton"]').filter(has_text="Download CSV")
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("audit-log-"), download.suggested_filename
    rows = list(csv.DictReader(io.StringIO(download.path().read_bytes().decode("utf-8-sig"))))
    invites = [row for row in rows if row["Action"] == "invite"]
    # Exactly as shown, but defused: the cell starts with an apostrophe, not with "=".
    assert [row["Detail"] for row in invites] == [f"'{FORMULA_EMAIL} as viewer"]
    assert invites[0]["Principal"] == "local" and invites[0]["Scope"] == "the whole network"
    assert not [cell for row in rows for cell in row.values() if cell.startswith(("=", "+", "@"))]
    ui.assert_no_exception(page)
