"""HTML to PDF with WeasyPrint, offline: only `data:` URIs may be fetched (the report embeds its
images), so a report never reaches the network, or a local file, while it is printed."""

from __future__ import annotations

import logging


def to_pdf(html: str) -> bytes:
    import weasyprint  # imported here: it loads pango, which only a PDF needs
    from weasyprint.urls import URLFetcher

    # WeasyPrint logs every CSS property it does not know at WARNING; a report is not the place.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    pdf = document.write_pdf()
    if not isinstance(pdf, bytes):  # write_pdf() with no target returns the bytes
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf
