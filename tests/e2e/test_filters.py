"""The shared sidebar filters: a change shows in the Overview's KPIs, and the URL carries the filter
to another page in another browser session (scenarios 2 and 3)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import facts, ui
from tests.e2e.server import AppServer

pytestmark = pytest.mark.e2e

UNIVERSITY = "Northfield State University"


def _paid(row: facts.Row) -> bool:
    return row["paid"] == "true"


def _conversion_text(rows: list[facts.Row]) -> str:
    return f"{facts.overall_conversion(rows) * 100:.1f}%"


def test_changing_a_sidebar_filter_changes_the_overview_kpis(app: AppServer, page: Page) -> None:
    rows = list(facts.app_rows())
    paid_rows = [row for row in rows if _paid(row)]
    ui.open_page(page, app.url)
    placements = ui.shown(page, ui.metric(page, "Placements")).locator('[data-testid="stMetricValue"]')
    conversion = ui.metric(page, "Conversion rate").locator('[data-testid="stMetricValue"]')
    expect(placements).to_have_text(f"{len(rows):,}")
    expect(conversion).to_have_text(_conversion_text(rows))

    paid = ui.widget(page, "Paid", "stRadio", within=ui.SIDEBAR)
    ui.choose_radio(page, paid, "Yes")

    # The numbers a user reads now describe paid internships only (counted from the CSV files).
    expect(placements).to_have_text(f"{len(paid_rows):,}")
    expect(conversion).to_have_text(_conversion_text(paid_rows))
    assert ui.checked_radio(paid) == "Yes"
    ui.assert_no_exception(page)


def test_a_link_with_filters_reopens_the_same_view_on_another_page(
    app: AppServer, page: Page, new_page: ui.PageFactory
) -> None:
    chosen = [row for row in facts.app_rows() if row["university"] == UNIVERSITY and _paid(row)]

    # Filter with the sidebar on the Overview; the address bar follows.
    ui.open_page(page, app.url)
    ui.shown(page, ui.metric(page, "Placements"))
    ui.add_to_multiselect(page, ui.widget(page, "University", "stMultiSelect", within=ui.SIDEBAR), UNIVERSITY)
    ui.choose_radio(page, ui.widget(page, "Paid", "stRadio", within=ui.SIDEBAR), "Yes")
    expect(page).to_have_url(re.compile(r"[?&]paid=yes"))
    query = parse_qs(urlsplit(page.url).query)
    assert query.get("university") == [UNIVERSITY], page.url
    expect(ui.metric(page, "Placements").locator('[data-testid="stMetricValue"]')).to_have_text(
        f"{len(chosen):,}"
    )

    # A colleague opens that link's filters on the Pay page, in a browser session of their own.
    other = new_page()
    ui.open_page(other, app.url, "pay", query)
    ui.wait_for_plotly(other)
    expect(other.locator(f"{ui.MAIN} h1").first).to_contain_text("Pay")
    university = ui.widget(other, "University", "stMultiSelect", within=ui.SIDEBAR)
    expect(university.locator(ui.TAG)).to_have_text([UNIVERSITY])
    assert ui.checked_radio(ui.widget(other, "Paid", "stRadio", within=ui.SIDEBAR)) == "Yes"
    # The page's numbers are for the same selection.
    expect(other.locator(ui.MAIN)).to_contain_text(f"{UNIVERSITY}, paid only · {len(chosen):,} placements")
    ui.assert_no_exception(other)
    # And the filter stays in this page's address, ready to be shared again.
    assert parse_qs(urlsplit(other.url).query).get("university") == [UNIVERSITY]
