"""Charts you can click: a click on a point or bar filters the page and the URL to that group, and
the numbers change to the group's (counted from the CSV files); "Undo click" and the sidebar undo it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e import facts, ui
from tests.e2e.server import AppServer

pytestmark = pytest.mark.e2e

TERMS_TITLE = "Conversion rate by term, with 95% intervals"
FUNNEL_TITLE = "Employers' conversion rate against cohort size"

# The centre of the index-th drawn point (scrolled into view) of the first trace named `name` of
# the figure titled `prefix`, in page coordinates: markers and bars are SVG paths tagged `.point`.
POINT_JS = """([prefix, name, index]) => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    const title = (el.layout && el.layout.title && (el.layout.title.text ?? el.layout.title)) || '';
    if (!String(title).startsWith(prefix)) continue;
    const curve = (el.data || []).findIndex((t) => t.name === name);
    if (curve < 0) return null;
    const traces = el.querySelectorAll('.scatterlayer .trace, .barlayer .trace');
    const points = traces[curve] ? traces[curve].querySelectorAll('.point') : [];
    const point = points[index];
    if (!point) return null;
    point.scrollIntoView({block: 'center', inline: 'center'});
    const box = point.getBoundingClientRect();
    return {x: box.x + box.width / 2, y: box.y + box.height / 2,
            key: el.data[curve].customdata[index].at(-1)};
  }
  return null;
}"""


def click_point(page: Page, prefix: str, name: str, index: int) -> str:
    """Click a chart's point like a user and wait for the rerun; returns the point's group key."""
    ui.figure(page, prefix)
    handle = page.wait_for_function(POINT_JS, arg=[prefix, name, index])
    point = handle.json_value()
    page.mouse.move(point["x"], point["y"])
    ui.rerun(page, lambda: page.mouse.click(point["x"], point["y"]))
    return str(point["key"])


def placements(page: Page) -> Locator:
    return ui.metric(page, "Placements").locator('[data-testid="stMetricValue"]')


def test_a_click_on_a_term_filters_the_overview_and_the_url(app: AppServer, page: Page) -> None:
    rows = facts.app_rows()
    ui.open_page(page, app.url)
    expect(placements(page)).to_have_text(f"{len(rows):,}")

    term = click_point(page, TERMS_TITLE, "Conversion rate", 2)
    season, year = term.split()
    chosen = [r for r in rows if r["term_season"] == season.lower() and r["term_year"] == year]
    assert 0 < len(chosen) < len(rows)
    # The page's numbers are now the clicked term's, counted from the CSV files.
    expect(placements(page)).to_have_text(f"{len(chosen):,}")
    expect(ui.metric(page, "Conversion rate").locator('[data-testid="stMetricValue"]')).to_have_text(
        f"{facts.overall_conversion(chosen) * 100:.1f}%")
    # ... the URL carries the filter like any other, and the sidebar shows it.
    query = parse_qs(urlsplit(page.url).query)
    assert query.get("year") == [year] and query.get("season") == [season.lower()], page.url
    years = ui.widget(page, "Term year", "stMultiSelect", within=ui.SIDEBAR)
    expect(years.locator(ui.TAG)).to_have_text([year])
    expect(page.locator(ui.MAIN)).to_contain_text("Filtered by a click")

    # The way back: the button restores the view before the click.
    ui.rerun(page, lambda: page.get_by_role("button", name="Undo click").click())
    expect(placements(page)).to_have_text(f"{len(rows):,}")
    assert "year" not in parse_qs(urlsplit(page.url).query), page.url
    ui.assert_no_exception(page)


def test_a_click_on_an_employer_point_narrows_the_employers_page(app: AppServer, page: Page) -> None:
    ui.open_page(page, app.url, "employers")
    employer = click_point(page, FUNNEL_TITLE, "Within the 95% limits", 0)
    key = " ".join(employer.split()).lower()
    n, _rate = facts.employer_conversions(facts.app_rows())[key]
    chosen = [r for r in facts.app_rows() if " ".join(r["employer"].split()).lower() == key]
    assert parse_qs(urlsplit(page.url).query).get("employer") == [employer], page.url
    box = ui.widget(page, "Employer", "stMultiSelect", within=ui.SIDEBAR)
    expect(box.locator(ui.TAG)).to_have_text([employer])
    # The scope line and the funnel plot now describe that one employer.
    expect(page.locator(ui.MAIN)).to_contain_text(f"{employer} · {len(chosen):,} placements")
    traces = ui.figure(page, FUNNEL_TITLE)["traces"]
    drawn = [(int(x), t["name"]) for t in traces if t["mode"] == "markers" for x in t["x"]]
    assert [x for x, _name in drawn] == [n], drawn
    # The sidebar clears it like any filter.
    ui.rerun(page, lambda: page.locator(ui.SIDEBAR).get_by_role("button", name="Clear filters").click())
    assert "employer" not in parse_qs(urlsplit(page.url).query), page.url
    ui.assert_no_exception(page)


def test_a_click_on_a_bar_filters_the_conversion_page_to_that_group(app: AppServer, page: Page) -> None:
    ui.open_page(page, app.url, "conversion")
    ui.choose_in_selectbox(page, ui.widget(page, "Break down by", "stSelectbox"), "Role family")
    family = click_point(page, "Conversion rate by role family", "Conversion rate", 0)
    chosen = [r for r in facts.app_rows() if r["role_family"] == family]
    assert parse_qs(urlsplit(page.url).query).get("role_family") == [family], page.url
    # The page now covers that role family's placements only (counted from the CSV files).
    expect(page.locator(ui.MAIN)).to_contain_text(f"· {len(chosen):,} placements")
    traces = ui.figure(page, "Conversion rate by role family")["traces"]
    # ... and its chart has the one bar left: the clicked group's (names on whichever axis).
    groups = [v for t in traces for v in [*t["x"], *t["y"]] if isinstance(v, str)]
    assert groups == [family], traces
    ui.assert_no_exception(page)
