"""Driving a Streamlit page in Playwright: wait for the script to finish, read what a user sees.

Streamlit marks its root element `[data-testid="stApp"]` with `data-test-script-state`
("initial", "running", "notRunning", ...). Right after a click the attribute can still read
"notRunning" from the previous run, so waiting for it alone races the rerun. An init script
therefore counts every switch to "running" (`window.__stRuns`); `rerun()` waits for that count to
grow and then for the state to settle. Elements left over from the previous run are flagged
`data-stale="true"` until the new run replaces them, so "settled" also means none is stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect

RUN_COUNTER_JS = """
window.__stRuns = 0;
new MutationObserver((mutations) => {
  for (const m of mutations) {
    if (m.target.getAttribute('data-test-script-state') === 'running') window.__stRuns += 1;
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
"""

SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale="true"]');
}"""

RERUN_SETTLED_JS = """(before) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return window.__stRuns > before && !!app
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]');
}"""

EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
PLOTLY = '.js-plotly-plot'
TABLE = '[data-testid="stDataFrame"], [data-testid="stTable"], [data-testid="stDataFrameResizable"]'
MAIN = '[data-testid="stMain"]'
# Streamlit 1.67 draws its widgets with React Aria: a multiselect's chosen values are tags, a
# radio's options are labels marked data-selected="true" when chosen.
TAG = '[data-testid="stMultiSelectTagsContainer"] [data-tag]'
RADIO_OPTION = 'label[data-testid="stRadioOption"]'
SIDEBAR = '[data-testid="stSidebar"]'

DEFAULT_TIMEOUT_MS = 45_000

# Opens a page in a fresh browser context (the `new_page` fixture).
PageFactory = Callable[[], Page]


def wait_settled(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until the script has finished its run and no element from an older run remains."""
    page.wait_for_function(SETTLED_JS, timeout=timeout)


def open_page(page: Page, base_url: str, path: str = "", query: Mapping[str, Any] | None = None,
              timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Load `base_url/path?query` in the browser and wait for the first script run to finish."""
    url = f"{base_url}/{path.lstrip('/')}"
    if query:
        url += "?" + urlencode(query, doseq=True)
    page.goto(url)
    wait_settled(page, timeout)


def runs(page: Page) -> int:
    return int(page.evaluate("window.__stRuns"))


def rerun(page: Page, action: Callable[[], object], timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Do `action` (a widget interaction) and wait for the rerun it causes to finish."""
    before = runs(page)
    action()
    page.wait_for_function(RERUN_SETTLED_JS, arg=before, timeout=timeout)


def shown(page: Page, locator: Locator, timeout: float = DEFAULT_TIMEOUT_MS) -> Locator:
    """Wait until `locator` is visible and return it; if the page shows an exception instead,
    fail at once with the exception's text rather than after the whole timeout."""
    expect(locator.first.or_(page.locator(EXCEPTION).first)).to_be_visible(timeout=timeout)
    assert_no_exception(page)
    return locator


def assert_no_exception(page: Page) -> None:
    exceptions = page.locator(EXCEPTION)
    if exceptions.count():
        raise AssertionError(f"The page shows an exception:\n{exceptions.first.inner_text()}")
    # Streamlit prints uncaught errors as stException; a page that catches them and shows a
    # traceback in text would still be a bug for a user.
    text = main_text(page)
    assert "Traceback (most recent call last)" not in text, text


def main_text(page: Page) -> str:
    return page.locator(MAIN).inner_text()


def page_text(page: Page) -> str:
    return page.locator("body").inner_text()


# -- sidebar and navigation -------------------------------------------------------------------
def nav_link(page: Page, title: str) -> Locator:
    """The sidebar navigation link to the page titled `title` (its icon is text too, so match
    the label element rather than the link's whole text)."""
    return page.locator(f'[data-testid="stSidebarNav"] a:has(span[label="{title}"])')


def nav_titles(page: Page) -> list[str]:
    labels = page.locator('[data-testid="stSidebarNav"] a span[label]')
    return [str(label.get_attribute("label")) for label in labels.all()]


def go_to(page: Page, title: str) -> None:
    """Click a page's link in the sidebar navigation and wait for that page to finish."""
    rerun(page, nav_link(page, title).click)


# -- reading widgets --------------------------------------------------------------------------
def metric(page: Page, label: str) -> Locator:
    """The KPI card whose label is `label` (exact, ignoring surrounding space)."""
    label_re = re.compile(rf"^\s*{re.escape(label)}\s*$", re.IGNORECASE)
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').filter(has_text=label_re)
    ).first


def metric_value(page: Page, label: str) -> str:
    card = metric(page, label)
    expect(card).to_be_visible()
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def metric_labels(page: Page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stMetricLabel"]').all_inner_texts()]


def number(text: str) -> float:
    """The first number in a displayed value: '5,024' -> 5024, '53.1%' -> 53.1."""
    found = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
    if not found:
        raise AssertionError(f"No number in {text!r}")
    return float(found.group(0).replace(",", ""))


def widget(page: Page, label: str, testid: str, *, within: str = "body") -> Locator:
    """A widget (`stSelectbox`, `stMultiSelect`, ...) found by its visible label."""
    label_re = re.compile(rf"^\s*{re.escape(label)}\s*$", re.IGNORECASE)
    return page.locator(within).locator(f'[data-testid="{testid}"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]').filter(has_text=label_re)
    ).first


def _pick_option(page: Page, box: Locator, option: str) -> None:
    """Type `option` into the widget's search box (long option lists are virtualised, so an
    option far down is not in the DOM until searched for) and click the matching option."""
    field = box.locator('input[role="combobox"]')
    field.click()
    field.fill(option)
    page.locator('[role="listbox"] [role="option"]').filter(
        has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")
    ).first.click()


def choose_in_selectbox(page: Page, box: Locator, option: str) -> None:
    """Pick `option` from a Streamlit selectbox and wait for the rerun."""
    rerun(page, lambda: _pick_option(page, box, option))


def add_to_multiselect(page: Page, box: Locator, option: str) -> None:
    """Add `option` to a Streamlit multiselect and wait for the rerun."""
    def pick() -> None:
        _pick_option(page, box, option)
        # Close the dropdown so it does not cover the page for the next interaction.
        page.keyboard.press("Escape")

    rerun(page, pick)


def choose_radio(page: Page, group: Locator, option: str) -> None:
    """Click a Streamlit radio option by its text and wait for the rerun."""
    rerun(page, group.locator(RADIO_OPTION).filter(
        has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")).click)


def checked_radio(group: Locator) -> str:
    checked = group.locator(f'{RADIO_OPTION}[data-selected="true"]')
    return checked.inner_text().strip()


def selectbox_value(box: Locator) -> str:
    return box.locator('input[role="combobox"]').input_value().strip()


def multiselect_values(box: Locator) -> list[str]:
    return [t.strip() for t in box.locator(TAG).all_inner_texts()]


def options_of(page: Page, box: Locator) -> list[str]:
    """The options a selectbox or multiselect offers (opens and closes its dropdown)."""
    box.locator('input[role="combobox"]').click()
    listbox = page.locator('[role="listbox"]')
    expect(listbox).to_be_visible()
    texts = [t.strip() for t in listbox.locator('[role="option"]').all_inner_texts()]
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    return texts


# -- Plotly -----------------------------------------------------------------------------------
PLOTLY_FIGURES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map((el) => ({
  title: (el.layout && el.layout.title && (el.layout.title.text ?? el.layout.title)) || '',
  traces: (el.data || []).map((t) => ({
    name: t.name ?? '',
    type: t.type ?? 'scatter',
    mode: t.mode ?? '',
    points: Array.isArray(t.x) ? t.x.length : (Array.isArray(t.y) ? t.y.length
            : (Array.isArray(t.values) ? t.values.length : 0)),
    x: Array.isArray(t.x) ? t.x.slice(0, 5000) : [],
    y: Array.isArray(t.y) ? t.y.slice(0, 5000) : [],
    text: Array.isArray(t.text) ? t.text.slice(0, 5000) : (t.text ?? ''),
    customdata: Array.isArray(t.customdata) ? t.customdata.slice(0, 5000) : [],
  })),
}))"""


def plotly_figures(page: Page) -> list[dict[str, Any]]:
    """Every Plotly figure on the page: its title and traces (name, type, mode, points, x, y)."""
    figures: list[dict[str, Any]] = page.evaluate(PLOTLY_FIGURES_JS)
    return figures


def wait_for_plotly(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until at least one Plotly chart has been drawn with data (failing at once, with the
    error's text, if the page shows an exception instead)."""
    page.wait_for_function(
        "() => !!document.querySelector('[data-testid=\"stException\"]')"
        " || [...document.querySelectorAll('.js-plotly-plot')].some((el) => (el.data || []).length > 0)",
        timeout=timeout,
    )
    assert_no_exception(page)
