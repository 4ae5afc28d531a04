"""A report as one self-contained HTML document (CSS paged media for print and WeasyPrint).

Charts are embedded: inline SVG for the HTML file, JPEG data URIs for the PDF (so a PDF reader,
and a test, sees exactly one image per chart). Nothing refers to the network. Every piece of
text passes `escape`: an employer called `<script>` is a name, not markup.

Paged media: A4, a running footer with the subject and "page N of M", table headers repeated on
every page a table spans (`thead { display: table-header-group }`), rows never split across
pages, headings kept with what follows, the title page on a page of its own.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from html import escape
from typing import Final

from analytics import export
from analytics.reports.content import Block, Chart, Report, Section
from analytics.reports.images import Format

CSS: Final = """
@page {
  size: A4;
  margin: 16mm 15mm 18mm 15mm;
  @bottom-left { content: string(subject); font-size: 8pt; color: #6b6b6b; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #6b6b6b; }
}
html { font-family: "DejaVu Sans", "Source Sans Pro", Arial, sans-serif; font-size: 9.5pt;
       color: #262730; line-height: 1.35; }
body { margin: 0 auto; max-width: 190mm; }
h1 { font-size: 20pt; margin: 0 0 4mm 0; string-set: subject content(); line-height: 1.15; }
h2 { font-size: 14pt; margin: 7mm 0 2mm 0; break-after: avoid; color: #0b3d61;
     border-bottom: 1px solid #b0c4d4; padding-bottom: 1mm; }
h3 { font-size: 10.5pt; margin: 5mm 0 1.5mm 0; break-after: avoid; }
p { margin: 1.2mm 0 2mm 0; }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; color: #0072B2; font-size: 9pt;
          margin-top: 0; }
.title-page { break-after: page; }
dl.facts { display: grid; grid-template-columns: 42mm auto; margin: 0 0 5mm 0; gap: 0.8mm 3mm; }
dl.facts dt { font-weight: bold; color: #444; }
dl.facts dd { margin: 0; }
.status { border-left: 4px solid #D55E00; background: #fdf1e9; padding: 3mm 4mm; font-size: 11pt; }
.unavailable { border-left: 4px solid #E69F00; background: #fdf6e3; padding: 2mm 3mm; }
.note { color: #555; font-size: 8.5pt; }
section.part { break-before: page; }
section.part.small { break-before: auto; }
figure { margin: 3mm 0 4mm 0; break-inside: avoid; }
figure img, figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 8.5pt; color: #555; margin-top: 1mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm 0; font-size: 8.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { text-align: left; background: #eef3f7; border-bottom: 1.5px solid #8aa5bb; padding: 1.2mm 1.5mm;
     vertical-align: bottom; }
td { border-bottom: 0.5px solid #d8dee4; padding: 1mm 1.5mm; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
td.hidden { color: #8a5a00; font-style: italic; }
table.dense { font-size: 7.4pt; }
table.dense th, table.dense td { padding: 0.8mm 1mm; }
table.kpis td:first-child { font-weight: bold; }
table.kpis td:nth-child(2) { white-space: nowrap; }
nav.toc h3 { margin-top: 6mm; }
nav.toc ol { margin: 0; padding-left: 5mm; }
nav.toc li { margin: 0.6mm 0; }
nav.toc a { color: inherit; text-decoration: none; }
nav.toc a::after { content: leader(".") " " target-counter(attr(href), page); color: #6b6b6b; }
table.kpis td:nth-child(2) { font-size: 10pt; }
"""

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>\s*", re.IGNORECASE)
_NUMERIC_KINDS: Final = export.NUMERIC_KINDS | {"interval"}


def _table(block: Block, *, css_class: str = "") -> str:
    shown = block.table.shown
    if shown.is_empty():
        return (f"<h3>{escape(block.title)}</h3><p class=\"note\">No rows to show for this "
                "selection.</p>")
    head = "".join(f"<th>{escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for values in shown.iter_rows():
        cells = []
        for column, value in zip(shown.columns, values, strict=True):
            text = "" if value is None else str(value)
            kind = block.table.kinds.get(column, "text")
            classes = []
            if kind in _NUMERIC_KINDS:
                classes.append("num")
            if text.startswith("fewer than"):
                classes.append("hidden")
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = f"<p class=\"note\">{escape(block.note)}</p>" if block.note else ""
    if not css_class and shown.width > 6:
        css_class = "dense"  # many columns: a smaller type keeps them inside the page
    cls = f' class="{css_class}"' if css_class else ""
    return (f"<h3>{escape(block.title)}</h3><table{cls}><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{note}")


def _figure(chart: Chart, image: bytes | None, fmt: Format, unavailable: str | None) -> str:
    if image is None:
        why = unavailable or "the chart could not be drawn"
        return (f"<p class=\"unavailable\">Chart \u201c{escape(chart.title)}\u201d not drawn: "
                f"{escape(why)}. The table below carries its figures.</p>")
    if fmt == "svg":
        svg = _XML_DECLARATION.sub("", image.decode("utf-8"))
        body = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(chart.title)}" ', 1)
    else:
        data = base64.b64encode(image).decode("ascii")
        body = f'<img src="data:image/{fmt};base64,{data}" alt="{escape(chart.title)}">'
    return f"<figure class=\"chart\">{body}</figure>"


def _section(section: Section, images: dict[int, bytes], fmt: Format, unavailable: str | None,
             first_chart: int, *, new_page: bool = False, anchor: str = "") -> str:
    parts = [f"<h2 id=\"{anchor}\">{escape(section.heading)}</h2>" if anchor
             else f"<h2>{escape(section.heading)}</h2>"]
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    for offset, chart in enumerate(section.charts):
        parts.append(_figure(chart, images.get(first_chart + offset), fmt, unavailable))
    parts += [_table(b) for b in section.blocks]
    parts += [f"<p class=\"note\">{escape(n)}</p>" for n in section.notes]
    size = "part" if section.charts or new_page else "part small"
    return f"<section class=\"{size}\">{''.join(parts)}</section>"


def render(report: Report, images: Sequence[bytes] = (), fmt: Format = "svg",
           unavailable: str | None = None) -> str:
    """The whole document. `images` are the report's charts in order (report.charts), drawn in
    `fmt`; empty with `unavailable` saying why when no browser could draw them."""
    drawn = dict(enumerate(images))
    facts = [
        ("Scope", report.subject),
        ("Filter", report.filter_text),
        ("Data", f"version {report.data_version}; newest upload {report.data_date}"),
        ("Generated at", report.generated_at),
        ("Generated for", report.generated_for),
        ("Privacy threshold", f"figures on fewer than {report.min_cell} students are suppressed"),
    ]
    title = ["<section class=\"title-page\">",
             "<p class=\"kicker\">Internship outcomes report</p>",
             f"<h1>{escape(report.subject)}</h1>",
             "<dl class=\"facts\">" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>"
                                             for k, v in facts) + "</dl>"]
    if report.status != "ok":
        title.append(f"<p class=\"status\">{escape(report.status_text)}</p>")
    if unavailable and report.charts:
        title.append(f"<p class=\"unavailable\">Charts are not drawn in this report: {escape(unavailable)}. "
                     "Tables stand in for them.</p>")
    if report.kpis is not None:
        title.append(_table(report.kpis, css_class="kpis"))
    title += [f"<p class=\"note\">{escape(n)}</p>" for n in report.kpi_notes]
    parts = [*report.sections, *report.methodology]
    # The contents: in print, each heading's page number (CSS target-counter); on screen, links.
    title.append("<nav class=\"toc\"><h3>Contents</h3><ol>" + "".join(
        f"<li><a href=\"#part{i}\">{escape(p.heading)}</a></li>" for i, p in enumerate(parts))
        + "</ol></nav>")
    title.append("</section>")
    body = ["".join(title)]
    index = 0
    for i, section in enumerate(report.sections):
        body.append(_section(section, drawn, fmt, unavailable, index, anchor=f"part{i}"))
        index += len(section.charts)
    for i, section in enumerate(report.methodology, start=len(report.sections)):
        body.append(_section(section, drawn, fmt, unavailable, index, new_page=True, anchor=f"part{i}"))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"generator\" content=\"internship-outcomes\">"
            f"<title>{escape(report.title)}</title><style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")
