"""Reports to send: HTML and PDF for the network, a university or an employer.

One builder (`content.build`) from the same metric functions (with the principal, so the same
disclosure) and the same figures as the pages; `images` draws every chart in one Chromium
session; `html` writes a self-contained document; `pdf` prints it with WeasyPrint. `make` does
all of it and writes the report to the audit log, for the app's download and the CLI alike.

    data = reports.make(store, principal, reports.Subject("university", "Alder University"),
                        Filter(term_years=(2024,)), fmt="pdf")
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

from analytics import access, metrics
from analytics.access import Principal
from analytics.filters import Filter
from analytics.reports import html, images, pdf
from analytics.reports.content import ALL, NETWORK, Progress, Report, Subject, build
from analytics.store import Store

ReportFormat = Literal["html", "pdf"]
FORMATS: Final[tuple[ReportFormat, ...]] = ("html", "pdf")
MIME: Final[dict[str, str]] = {"html": "text/html", "pdf": "application/pdf"}


@dataclass(frozen=True)
class Made:
    """A finished report: its bytes, what it held, and whether its charts were drawn."""

    data: bytes
    report: Report
    charts: int  # charts drawn as images (0 when no browser could draw them)
    unavailable: str | None  # why the charts are missing, if they are

    def file_name(self, subject: Subject, fmt: ReportFormat) -> str:
        return f"internships-report-{subject.slug}-{self.report.generated_at[:10]}.{fmt}"


def make(store: Store, principal: Principal, subject: Subject = NETWORK, flt: Filter = ALL, *,
         fmt: ReportFormat = "pdf", min_cell: int = metrics.DEFAULT_MIN_CELL,
         now: dt.datetime | None = None, progress: Progress | None = None) -> Made:
    """Build, draw and write one report for `principal`, and audit it (who, scope, filter, what).
    Needs the export permission (viewers, analysts and admins; not public visitors)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; use html or pdf")
    access.require(principal, access.EXPORT, "make a report")
    step = progress or (lambda _text: None)
    # HTML keeps vector SVG; the PDF gets bitmaps, which every reader (and pypdf) sees as images.
    image_format: images.Format = "svg" if fmt == "html" else "jpeg"
    # Chromium starts while the metrics run (its start-up is most of a chart batch's time).
    with images.Drawer(image_format) as drawer:
        report = build(store, principal, subject, flt, min_cell=min_cell, now=now, progress=step)
        figures = report.charts
        if figures:
            step(f"Drawing {len(figures)} charts")
        drawn = drawer.draw([c.figure for c in figures], [c.height for c in figures])
    document = html.render(report, drawn.images, image_format, drawn.unavailable)
    if fmt == "pdf":
        step("Writing the PDF")
        data = pdf.to_pdf(document)
    else:
        data = document.encode("utf-8")
    access.audit(store, principal, "report", flt=subject.narrow(flt),
                 detail=f"report ({fmt}, {len(data):,} bytes): {report.subject}; "
                        f"{len(drawn.images)} of {len(figures)} charts drawn")
    return Made(data=data, report=report, charts=len(drawn.images), unavailable=drawn.unavailable)


__all__ = ["FORMATS", "MIME", "NETWORK", "Made", "Report", "ReportFormat", "Subject", "build", "make"]
