"""Static chart images: every figure of a report drawn by kaleido in ONE Chromium session.

kaleido 1.x drives a headless Chromium (the system one: /usr/bin/chromium, or `BROWSER_PATH`).
Starting Chromium takes seconds, drawing one more figure a fraction of one, so a report's
figures are drawn in a batch through one `kaleido.Kaleido`. MathJax is switched off (it would be
fetched from a CDN) and plotly.js comes from the installed plotly package: no network is used.

Without a usable Chromium, `render` returns no images and the reason in words; the report is
still made, with its tables standing in for the charts (content.Report keeps a table beside
every chart for that reason).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import plotly.graph_objects as go

BROWSER_ENV: Final = "BROWSER_PATH"
CANDIDATES: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
WIDTH: Final = 900  # px at 96 dpi: the A4 text width is about 680 px, so charts are drawn larger
TIMEOUT_S: Final = 120.0
Format = Literal["svg", "png"]


@dataclass(frozen=True)
class Images:
    """One image per figure, in order (bytes of SVG or PNG), or none and why not."""

    images: tuple[bytes, ...] = ()
    unavailable: str | None = None


def browser() -> str | None:
    """The Chromium kaleido will use: $BROWSER_PATH when set (even if wrong: that is the
    operator's choice, and the reason is reported), else the first on PATH."""
    chosen = os.environ.get(BROWSER_ENV, "").strip()
    if chosen:
        return chosen
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render(figures: Sequence[go.Figure], fmt: Format = "svg", *,
           heights: Sequence[int] | None = None) -> Images:
    """Draw every figure in one Chromium session. Never raises for a missing or broken browser:
    the reason comes back in `unavailable`."""
    if not figures:
        return Images()
    path = browser()
    if path is None:
        return Images(unavailable=f"no Chromium was found (install chromium, or set ${BROWSER_ENV})")
    if not Path(path).exists():
        return Images(unavailable=f"no browser at {BROWSER_ENV}={path}")
    sizes = list(heights) if heights is not None else [int(f.layout.height or 440) for f in figures]
    outcome: list[Any] = []

    # kaleido is asyncio code; a thread of its own keeps its event loop away from any loop the
    # caller (Streamlit's script thread, a test) may run.
    def run() -> None:
        try:
            outcome.append(asyncio.run(_draw(list(figures), fmt, sizes, path)))
        except Exception as error:  # any failure of the browser: report it, make the report anyway
            outcome.append(error)

    worker = threading.Thread(target=run, name="report-images", daemon=True)
    worker.start()
    worker.join(TIMEOUT_S + 30)
    if not outcome:
        return Images(unavailable="Chromium did not finish drawing the charts in time")
    result = outcome[0]
    if isinstance(result, Exception):
        first = (str(result).strip().splitlines() or [type(result).__name__])[0]
        return Images(unavailable=f"Chromium could not draw the charts ({first[:200]})")
    return Images(images=tuple(result))


async def _draw(figures: list[go.Figure], fmt: Format, heights: list[int], path: str) -> list[bytes]:
    import kaleido  # imported here: only a report with charts needs it

    scale = 2 if fmt == "png" else 1  # crisp bitmaps in print; SVG scales by itself
    drawn: list[bytes] = []
    async with kaleido.Kaleido(n=1, timeout=TIMEOUT_S, mathjax=False, path=path) as session:
        for figure, height in zip(figures, heights, strict=True):
            opts = {"format": fmt, "width": WIDTH, "height": height, "scale": scale}
            drawn.append(bytes(await session.calc_fig(figure, opts=opts)))
    return drawn
