"""Every page opens in a real browser and shows its main chart or table; the Employers funnel plot
is drawn with its points and control limits (scenarios 1 and 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import facts, ui
from tests.e2e.server import AppServer

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class PageSpec:
    title: str  # the sidebar link
    path: str  # the URL path
    heading: str  # the start of the page's h1
    main: str  # "chart", "table" or "uploader"
    chart_title: str = ""  # the start of the main chart's title, when main == "chart"


PAGES = (
    # The default page lives at the site's root.
    PageSpec("Overview", "", "Internship outcomes overview", "chart",
             "Conversion funnel"),
    PageSpec("Conversion", "conversion", "Conversion", "chart", "Conversion rate by term"),
    PageSpec("Employers", "employers", "Employers", "chart",
             "Employers' conversion rate against cohort size"),
    PageSpec("Universities", "universities", "Universities", "chart", "Conversion rate by university"),
    PageSpec("Flows", "flows", "Flows", "chart", "Eligible interns from university to employer"),
    PageSpec("Retention", "retention", "Retention", "chart", "Converted hires still with the employer"),
    PageSpec("Hiring timeline", "timeline", "Hiring timeline", "chart", "How long each step takes"),
    PageSpec("Evaluations & returning", "evaluations", "Evaluations & returning interns", "chart",
             "Returning vs first-time interns"),
    PageSpec("Equity", "equity", "Equity", "chart", "Conversion rate by gender"),
    PageSpec("Pay", "pay", "Pay", "chart", "Hourly-equivalent pay by role family"),
    PageSpec("Durations", "durations", "Durations", "chart", "Internship length in weeks"),
    PageSpec("Data", "data", "Data", "table"),
    PageSpec("Knowledge rate", "knowledge", "Knowledge rate", "chart", "Knowledge rate by term"),
    PageSpec("Upload", "upload", "Upload", "uploader"),
    PageSpec("Methodology", "methodology", "Methodology", "table"),
)


EMPLOYERS = next(spec for spec in PAGES if spec.title == "Employers")


def test_navigation_lists_every_page(app: AppServer, page: Page) -> None:
    ui.open_page(page, app.url)
    expect(page.locator(ui.NAV_LINK).first).to_be_visible()
    # The local administrator may use every page, the Admin page included.
    assert ui.nav_titles(page) == [spec.title for spec in PAGES] + ["Admin"]


@pytest.mark.parametrize("spec", PAGES, ids=[spec.title.lower() for spec in PAGES])
def test_page_opens_without_error_and_shows_main_content(app: AppServer, page: Page, spec: PageSpec) -> None:
    ui.open_page(page, app.url, spec.path)
    heading = ui.shown(page, page.locator(f"{ui.MAIN} h1")).first
    expect(heading).to_contain_text(spec.heading)
    if spec.main == "chart":
        figure = ui.figure(page, spec.chart_title)
        assert any(trace["points"] > 0 for trace in figure["traces"]), figure
        expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    elif spec.main == "table":
        ui.shown(page, page.locator(ui.TABLE))
    else:
        ui.shown(page, page.locator('[data-testid="stFileUploader"]'))
    ui.assert_no_exception(page)
    errors = page.locator(ui.ERROR_ALERT)
    assert errors.count() == 0, errors.all_inner_texts()
    # The sidebar's link to this page is the one marked as current.
    expect(ui.nav_link(page, spec.title)).to_be_visible()
    assert ui.current_nav_title(page) == [spec.title]


def test_the_overview_also_answers_at_its_own_path(app: AppServer, page: Page) -> None:
    """A bookmark or a shared link to /overview (with a filter) opens the Overview with that
    filter, not a "Page not found" dialog over the default page."""
    ui.open_page(page, app.url, "overview", {"year": "2024"})
    heading = ui.shown(page, page.locator(f"{ui.MAIN} h1")).first
    expect(heading).to_contain_text("Internship outcomes overview")
    assert page.get_by_text("Page not found").count() == 0
    ui.assert_no_exception(page)
    assert "year=2024" in page.url


def test_employers_funnel_plot_has_points_and_control_limits(app: AppServer, page: Page) -> None:
    ui.open_page(page, app.url, "employers")
    traces = ui.figure(page, EMPLOYERS.chart_title)["traces"]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for trace in traces:
        by_name.setdefault(str(trace["name"]), []).append(trace)

    # Points: one marker per employer with at least MIN_CELL eligible interns (worked out from
    # the CSV files); smaller cohorts are suppressed and not drawn.
    point_traces = [t for t in traces if t["mode"] == "markers"]
    plotted = sum(int(t["points"]) for t in point_traces)
    cohorts = facts.employer_conversions(facts.app_rows())
    expected = sum(1 for n, _rate in cohorts.values() if n >= facts.MIN_CELL)
    assert plotted == expected, (plotted, expected)
    # Each point sits at its employer's cohort size and conversion rate.
    drawn = sorted((int(x), round(float(y), 6))
                   for t in point_traces for x, y in zip(t["x"], t["y"], strict=True))
    assert drawn == sorted(
        (n, round(rate, 6)) for n, rate in facts.employer_conversions(facts.app_rows()).values()
        if n >= facts.MIN_CELL
    )

    # Control limits: a lower and an upper line for 95% and for 99.8%.
    limit_names = [name for name in by_name if "control limit" in name.lower()]
    assert any("95%" in name and "99.8%" not in name for name in limit_names), list(by_name)
    assert any("99.8%" in name for name in limit_names), list(by_name)
    target = facts.overall_conversion(facts.app_rows())
    for name in limit_names:
        low, high = by_name[name]
        assert low["mode"] == high["mode"] == "lines"
        assert len(low["y"]) == len(high["y"]) > 1
        for lower, upper in zip(low["y"], high["y"], strict=True):
            assert lower <= target <= upper
        # The funnel narrows as cohorts grow.
        widths = [u - lo for lo, u in zip(low["y"], high["y"], strict=True)]
        assert widths[0] > widths[-1]
    # The 99.8% limits lie outside the 95% ones.
    wide = next(by_name[name] for name in limit_names if "99.8%" in name)
    narrow = next(by_name[name] for name in limit_names if "99.8%" not in name)
    assert all(w <= n for w, n in zip(wide[0]["y"], narrow[0]["y"], strict=True))
    assert all(w >= n for w, n in zip(wide[1]["y"], narrow[1]["y"], strict=True))
    # The overall rate the limits surround is the pooled conversion of every eligible intern.
    expect(page.locator(".js-plotly-plot").filter(has_text="Overall:").first).to_contain_text(
        f"Overall: {target * 100:.1f}%"
    )
    ui.assert_no_exception(page)
