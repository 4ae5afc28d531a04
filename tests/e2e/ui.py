"""Driving a Streamlit page in Playwright: wait for the script to finish, read what a user sees.

Streamlit marks its root element `[data-testid="stApp"]` with `data-test-script-state`
("initial", "running", "notRunning", ...). Right after a click the attribute still reads
"notRunning" from the previous run, and a quick rerun may never show "running" at all (the
frontend batches the two updates), so that attribute alone cannot tell whether the rerun a click
caused has happened yet. An init script therefore counts the server's own "script finished"
messages on the app's websocket (`window.__stRunsFinished`); `rerun()` waits for that count to
grow, then for the state to read "notRunning" with no element of an older run left (flagged
`data-stale="true"`), and callers then wait for the element they mean to read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# Counts finished script runs: each ForwardMsg the server sends is a protobuf whose field 6,
# `script_finished`, is set (0 = finished, 3 = fragment finished; 2 = stopped early for a rerun,
# not counted) when a run ends. Only the message's top level is scanned.
RUN_COUNTER_JS = """(() => {
  window.__stRunsFinished = 0;
  const varint = (bytes, i) => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return [value, i];
  };
  const finishedStatus = (bytes) => {
    let i = 0;
    while (i < bytes.length) {
      let key, value;
      [key, i] = varint(bytes, i);
      const field = Math.floor(key / 8), wire = key % 8;
      if (wire === 0) { [value, i] = varint(bytes, i); if (field === 6) return value; }
      else if (wire === 2) { [value, i] = varint(bytes, i); i += value; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return -1;
    }
    return -1;
  };
  const count = (buffer) => {
    const status = finishedStatus(new Uint8Array(buffer));
    if (status === 0 || status === 3) window.__stRunsFinished += 1;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (event.data instanceof ArrayBuffer) count(event.data);
        else if (event.data instanceof Blob) event.data.arrayBuffer().then(count);
      });
    }
  };
})();"""

SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return window.__stRunsFinished > 0 && !!app
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale="true"]');
}"""

RERUN_SETTLED_JS = """(before) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return window.__stRunsFinished > before && !!app
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]');
}"""

EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
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
    """Wait until the script has finished its run and no element from an older run remains.

    The frontend draws the run's last elements a moment after the state turns "notRunning", so
    callers then wait for the element they mean to read (`shown`, `expect`, `figure`)."""
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
    """How many script runs of this page's session have finished so far."""
    return int(page.evaluate("window.__stRunsFinished"))


def rerun(page: Page, action: Callable[[], object], timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Do `action` (a widget interaction) and wait for the rerun it causes to finish."""
    before = runs(page)
    action()
    try:
        page.wait_for_function(RERUN_SETTLED_JS, arg=before, timeout=timeout)
    except PlaywrightTimeoutError:
        state = page.evaluate(
            "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
        )
        raise AssertionError(
            f"No finished rerun within {timeout / 1000:.0f} s of the interaction (runs before: {before}, "
            f"now: {runs(page)}, script state: {state})"
        ) from None


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


# -- sidebar and navigation -------------------------------------------------------------------
# The sidebar lists only the pages the session's role may use, as st.page_link links (Streamlit's
# own navigation is hidden: it would list every registered page). The current page's link is
# drawn bold, with a shaded background.
NAV_LINK = f'{SIDEBAR} [data-testid="stPageLink-NavLink"]'
NAV_LABEL = '[data-testid="stMarkdownContainer"]'
CURRENT_NAV_JS = f"""() => [...document.querySelectorAll('{NAV_LINK}')]
  .filter((a) => Number(getComputedStyle(a.querySelector('{NAV_LABEL} p')).fontWeight) >= 600)
  .map((a) => a.querySelector('{NAV_LABEL}').innerText.trim())"""


def nav_link(page: Page, title: str) -> Locator:
    """The sidebar's link to the page titled `title` (its icon is text too, so match the
    label element rather than the link's whole text)."""
    label_re = re.compile(rf"^\s*{re.escape(title)}\s*$")
    return page.locator(NAV_LINK).filter(has=page.locator(NAV_LABEL).filter(has_text=label_re))


def nav_titles(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(f"{NAV_LINK} {NAV_LABEL}").all_inner_texts()]


def current_nav_title(page: Page) -> list[str]:
    """The titles of the links drawn as the current page (one, on any page the sidebar lists)."""
    titles: list[str] = page.evaluate(CURRENT_NAV_JS)
    return titles


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
    """Pick `option` from a Streamlit selectbox and wait for the rerun (none when it is already
    the chosen option: picking it again changes nothing)."""
    if selectbox_value(box) == option:
        return
    rerun(page, lambda: _pick_option(page, box, option))
    expect(box.locator('input[role="combobox"]')).to_have_value(option)


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


# -- Plotly -----------------------------------------------------------------------------------
# Trace arrays may be plain arrays or typed arrays (Plotly ships numeric columns as binary).
PLOTLY_FIGURES_JS = """() => {
  const list = (a) => (Array.isArray(a) ? a : (ArrayBuffer.isView(a) ? Array.from(a) : null));
  return [...document.querySelectorAll('.js-plotly-plot')].map((el) => ({
    title: (el.layout && el.layout.title && (el.layout.title.text ?? el.layout.title)) || '',
    traces: (el.data || []).map((t) => {
      // A Sankey's data points are its links.
      const x = list(t.x), y = list(t.y), values = list(t.values) || list(t.link && t.link.value);
      return {
        name: t.name ?? '',
        type: t.type ?? 'scatter',
        mode: t.mode ?? '',
        points: (x || y || values || []).length,
        x: x || [],
        y: y || [],
        text: list(t.text) || (t.text ?? ''),
        customdata: list(t.customdata) || [],
      };
    }),
  }));
}"""


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


FIGURE_READY_JS = """(prefix) => !!document.querySelector('[data-testid="stException"]')
  || [...document.querySelectorAll('.js-plotly-plot')].some((el) => {
    const title = (el.layout && el.layout.title && (el.layout.title.text ?? el.layout.title)) || '';
    return String(title).startsWith(prefix) && (el.data || []).length > 0;
  })"""


def figure(page: Page, title_prefix: str, timeout: float = DEFAULT_TIMEOUT_MS) -> dict[str, Any]:
    """Wait for the Plotly figure whose title starts with `title_prefix` to be drawn with data,
    and return it (title and traces). Charts are drawn one by one, so wait for this one."""
    page.wait_for_function(FIGURE_READY_JS, arg=title_prefix, timeout=timeout)
    assert_no_exception(page)
    matching = [f for f in plotly_figures(page) if str(f["title"]).startswith(title_prefix)]
    assert len(matching) == 1, [f["title"] for f in plotly_figures(page)]
    return matching[0]


# -- dataframes -------------------------------------------------------------------------------
TABLE_ROW_JS = """([match]) => {
  if (document.querySelector('[data-testid="stException"]')) return {exception: true};
  for (const frame of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    const header = [...frame.querySelectorAll('table thead th')].map((c) => (c.textContent || '').trim());
    if (!Object.keys(match).every((name) => header.includes(name))) continue;
    for (const tr of frame.querySelectorAll('table tbody tr')) {
      const cells = [...tr.querySelectorAll('td')].map((c) => (c.textContent || '').trim());
      const row = Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
      if (Object.entries(match).every(([name, value]) => row[name] === value)) return row;
    }
  }
  return null;
}"""


def wait_for_table_row(page: Page, match: Mapping[str, str],
                       timeout: float = DEFAULT_TIMEOUT_MS) -> dict[str, str]:
    """Wait until some st.dataframe on the page shows a row whose cells under the given column
    headers read as given, and return that row ({header: text}). The grid fills its cells a
    moment after the script run ends, hence the wait."""
    handle = page.wait_for_function(TABLE_ROW_JS, arg=[dict(match)], timeout=timeout)
    row: dict[str, Any] = handle.json_value()
    assert_no_exception(page)
    return {str(k): str(v) for k, v in row.items()}
