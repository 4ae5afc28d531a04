"""Hostile values in the data stay harmless in the browser and in downloads (scenarios 6 and 7).

The `app` server's database holds twelve placements at an employer named
`<script>alert(1)</script>` and twelve at one named `=HYPERLINK("http://x","y")`
(tests/data/e2e/tricky_employers.csv): enough students for their numbers to be shown.
"""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import facts, ui
from tests.e2e.server import AppServer

pytestmark = pytest.mark.e2e

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INJECTED_SCRIPT_JS = """() => [...document.querySelectorAll('script')]
  .some((s) => (s.textContent || '').includes('alert(1)'))"""


def test_csv_export_neutralises_a_cell_that_begins_with_equals(app: AppServer, page: Page) -> None:
    ui.open_page(page, app.url, "data")
    group_by = ui.shown(page, ui.widget(page, "Group rows by", "stMultiSelect"))
    ui.add_to_multiselect(page, group_by, "Employer")
    expect(group_by.locator(ui.TAG)).to_have_text(["Term", "Employer"])
    expect(page.locator(ui.TABLE).first).to_be_visible()

    button = page.locator('[data-testid="stDownloadButton"]').filter(has_text="Download CSV").first
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    content = download.path().read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    header, body = table[0], table[1:]
    employer = header.index("Employer")
    placements = header.index("Placements")

    formula_rows = [row for row in body if "HYPERLINK" in row[employer]]
    # One group (Summer 2024) of twelve placements, its name defused with a leading apostrophe.
    shown = [(row[employer], row[placements]) for row in formula_rows]
    assert shown == [("'" + facts.FORMULA_EMPLOYER, "12")]
    # No text cell anywhere in the file can run as a formula when opened in a spreadsheet.
    risky = [cell for row in table for cell in row if cell.startswith(FORMULA_STARTS)
             and not _is_number(cell)]
    assert risky == []
    # Other names pass through unchanged, markup included.
    assert [row[placements] for row in body if row[employer] == facts.SCRIPT_EMPLOYER] == ["12"]
    ui.assert_no_exception(page)


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
    except ValueError:
        return False
    return True


def test_an_employer_named_like_a_script_shows_as_text(
    app: AppServer, page: Page, dialogs: list[str]
) -> None:
    # The employer's profile on the Employers page.
    ui.open_page(page, app.url, "employers")
    profile = ui.shown(page, ui.widget(page, "Employer profile", "stSelectbox"))
    ui.choose_in_selectbox(page, profile, facts.SCRIPT_EMPLOYER)
    expect(profile.locator('input[role="combobox"]')).to_have_value(facts.SCRIPT_EMPLOYER)
    heading = page.locator(f"{ui.MAIN} h3").filter(has_text="against the whole network")
    expect(heading).to_have_text(f"{facts.SCRIPT_EMPLOYER} against the whole network")
    expect(ui.metric(page, "Eligible interns").locator('[data-testid="stMetricValue"]')).to_have_text("12")
    ui.wait_for_plotly(page)
    ui.assert_no_exception(page)

    # The same employer chosen through a link's filter on the Overview.
    ui.open_page(page, app.url, "", {"employer": facts.SCRIPT_EMPLOYER})
    ui.shown(page, ui.metric(page, "Placements"))
    employer_filter = ui.widget(page, "Employer", "stMultiSelect", within=ui.SIDEBAR)
    expect(employer_filter.locator(ui.TAG)).to_have_text([facts.SCRIPT_EMPLOYER])
    expect(ui.metric(page, "Placements").locator('[data-testid="stMetricValue"]')).to_have_text("12")
    expect(page.locator(ui.MAIN)).to_contain_text(f"{facts.SCRIPT_EMPLOYER} · 12 placements")
    ui.assert_no_exception(page)

    assert not page.evaluate(INJECTED_SCRIPT_JS), "the employer's name was inserted as a <script> element"
    assert dialogs == []
