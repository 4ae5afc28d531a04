"""Static chart images: every figure of a report drawn by kaleido in ONE Chromium session.

kaleido 1.x drives a headless Chromium (the system one: /usr/bin/chromium, or `BROWSER_PATH`).
Starting Chromium takes seconds, drawing one more figure a fraction of one, so a report's
figures are drawn in a batch through one `kaleido.Kaleido`. MathJax is switched off (it would be
fetched from a CDN) and plotly.js comes from the installed plotly package: no network is used.

Without a usable Chromium, `Drawer.draw` (and `render`) return no images and the reason in
words; the report is still made, with its tables standing in for the charts (content.Report
keeps a table beside every chart for that reason).
"""

from __future__ import annotations

import asyncio
import os
import queue
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
# SVG for HTML; JPEG for the PDF: WeasyPrint embeds a JPEG as it is, where it would re-encode a
# PNG (a second or more per report), and at twice the size the charts print crisply.
Format = Literal["svg", "png", "jpeg"]


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


class Drawer:
    """A Chromium session started now, in a thread of its own, that draws figures later: a
    report starts it before computing its figures, so the browser's start-up (seconds) overlaps
    the metrics instead of following them. `draw` may be called once; `close` ends the session
    (a context manager does both)."""

    def __init__(self, fmt: Format = "svg") -> None:
        self.fmt: Format = fmt
        self._inbox: queue.Queue[tuple[list[go.Figure], list[int]] | None] = queue.Queue()
        self._outbox: queue.Queue[list[bytes] | BaseException] = queue.Queue()
        self.path = browser()
        self.unavailable: str | None = None
        if self.path is None:
            self.unavailable = f"no Chromium was found (install chromium, or set ${BROWSER_ENV})"
        elif not Path(self.path).exists():
            self.unavailable = f"no browser at {BROWSER_ENV}={self.path}"
        self._thread: threading.Thread | None = None
        if self.unavailable is None:
            # kaleido is asyncio code; a thread of its own keeps its event loop away from any loop
            # the caller (Streamlit's script thread, a test) may run.
            self._thread = threading.Thread(target=self._run, name="report-images", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # any failure of the browser: reported by draw()
            self._outbox.put(error)

    async def _serve(self) -> None:
        import kaleido  # imported here: only a report with charts needs it

        loop = asyncio.get_running_loop()
        async with kaleido.Kaleido(n=1, timeout=TIMEOUT_S, mathjax=False, path=self.path) as session:
            job = await loop.run_in_executor(None, self._inbox.get)
            if job is None:
                return
            self._outbox.put(await _draw(session, *job, self.fmt))

    def draw(self, figures: Sequence[go.Figure], heights: Sequence[int] | None = None) -> Images:
        """Every figure, in order; never raises for a missing or broken browser (the reason is in
        `unavailable`). A failure is retried once in a fresh session: kaleido's page sometimes
        loses a race on a busy machine ("kaleido_scopes is not defined")."""
        if not figures:
            return Images()
        if self._thread is None:
            return Images(unavailable=self.unavailable)
        sizes = list(heights) if heights is not None else [int(f.layout.height or 440) for f in figures]
        self._inbox.put((list(figures), sizes))
        result = self._result()
        if isinstance(result, BaseException):
            again = Drawer(self.fmt)
            again._inbox.put((list(figures), sizes))
            result = again._result()
        if isinstance(result, BaseException):
            first = (str(result).strip().splitlines() or [type(result).__name__])[0]
            return Images(unavailable=f"Chromium could not draw the charts ({first[:200]})")
        return Images(images=tuple(result))

    def _result(self) -> list[bytes] | BaseException:
        try:
            return self._outbox.get(timeout=TIMEOUT_S + 30)
        except queue.Empty:
            return TimeoutError("Chromium did not finish drawing the charts in time")

    def close(self) -> None:
        """End the session (it waits for a draw that never comes otherwise)."""
        if self._thread is not None and self._thread.is_alive():
            self._inbox.put(None)
            self._thread.join(timeout=30)

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def render(figures: Sequence[go.Figure], fmt: Format = "svg", *,
           heights: Sequence[int] | None = None) -> Images:
    """Draw every figure in one Chromium session (started now)."""
    if not figures:
        return Images()
    with Drawer(fmt) as drawer:
        return drawer.draw(figures, heights)


async def _draw(session: Any, figures: list[go.Figure], heights: list[int], fmt: Format) -> list[bytes]:
    # Bitmaps at twice the size, crisp in print; SVG scales by itself.
    scale = 1 if fmt == "svg" else 2
    drawn: list[bytes] = []
    for figure, height in zip(figures, heights, strict=True):
        opts = {"format": fmt, "width": WIDTH, "height": height, "scale": scale}
        drawn.append(bytes(await session.calc_fig(figure, opts=opts)))
    return drawn
