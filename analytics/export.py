"""Tables as shown on screen, and their CSV and Excel downloads.

`present` turns a metrics frame into the table a page shows: labelled columns, formatted values,
and every suppressed cell reading "fewer than N". The downloads are made from that same table, so
a file holds exactly what the reader saw (suppression included: the metrics layer has already
removed the hidden numbers, and nothing here can bring them back).

Spreadsheet formula injection: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return can run as a formula when the file is opened in Excel or LibreOffice (OWASP,
"CSV Injection"). Every exported text cell like that gets a leading apostrophe, which the
spreadsheet shows as plain text. Numbers are written as numbers and need no such guard.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import polars as pl

from analytics import access
from analytics.access import Principal
from analytics.store import Store

# interval: a rate's 95% interval as text, read from the `<source>_low` and `<source>_high` columns.
Kind = Literal["text", "count", "int", "rate", "money", "weeks", "number", "bool", "date", "interval"]
NUMERIC_KINDS: Final[frozenset[str]] = frozenset({"count", "int", "rate", "money", "weeks", "number"})
DANGEROUS_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
NOT_AVAILABLE: Final = "n/a"

# Excel number formats that reproduce the on-screen text of each kind.
EXCEL_FORMATS: Final[dict[str, str]] = {
    "count": "#,##0",
    "int": "0",
    "rate": "0.0%",
    "money": "#,##0.00",
    "weeks": "0.0",
    "number": "General",
}


@dataclass(frozen=True)
class Column:
    """One column of a shown table: where its values come from, its header and how it reads."""

    source: str
    label: str
    kind: Kind = "text"
    flag: str = "suppressed"  # the boolean column that marks this column's cells as hidden


@dataclass(frozen=True)
class Table:
    """A table exactly as shown: `shown` (all text, as on screen) and, cell for cell, the raw
    values behind it (`raw`, None where the screen shows "fewer than N" or "n/a")."""

    shown: pl.DataFrame
    raw: dict[str, list[Any]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return self.shown.height


def fewer_than(min_cell: int) -> str:
    return f"fewer than {min_cell}"


def format_value(value: Any, kind: str) -> str:
    """The on-screen text of one value."""
    if kind == "interval":
        low, high = value if isinstance(value, tuple) else (None, None)
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
            return NOT_AVAILABLE
        return f"{float(low) * 100:.1f}–{float(high) * 100:.1f}%"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    if kind == "count":
        return f"{int(value):,}"
    if kind == "int":
        return str(int(value))
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind == "money":
        return f"{float(value):,.2f}"
    if kind == "weeks":
        return f"{float(value):.1f}"
    if kind == "number":
        return f"{float(value):g}"
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return str(value)


def kind_of(dtype: pl.DataType) -> Kind:
    """A sensible kind for a raw column (row-level records)."""
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "number"
    if dtype in (pl.Date, pl.Datetime):
        return "date"
    return "text"


def columns_for(frame: pl.DataFrame, labels: dict[str, str] | None = None) -> list[Column]:
    """Columns for every field of a frame, kinds from their types (for row-level tables)."""
    labels = labels or {}
    return [Column(name, labels.get(name, name), kind_of(frame.schema[name]))
            for name in frame.columns if name != "suppressed"]


def present(frame: pl.DataFrame, columns: Sequence[Column], min_cell: int, *,
            null_is_small: bool = False) -> Table:
    """The table to show: chosen columns, labelled and formatted; the numbers of a suppressed row
    read "fewer than N" (its text columns, the group labels, stay).

    `null_is_small`: in a metrics table a missing number means fewer than min_cell records stood
    behind it (the metrics layer blanks medians and rates resting on too few), so it reads
    "fewer than N" too; in row-level records a missing value is just unknown ("n/a").
    """
    hidden = fewer_than(min_cell)
    flags: dict[str, list[bool]] = {}
    for column in columns:
        if column.flag not in flags:
            flags[column.flag] = (frame[column.flag].fill_null(False).to_list()
                                  if column.flag in frame.columns else [False] * frame.height)
    shown: dict[str, list[str]] = {}
    raw: dict[str, list[Any]] = {}
    kinds: dict[str, str] = {}
    for column in columns:
        if column.kind == "interval":
            low, high = f"{column.source}_low", f"{column.source}_high"
            if low not in frame.columns or high not in frame.columns:
                continue
            values: list[Any] = list(zip(frame[low].to_list(), frame[high].to_list(), strict=True))
        elif column.source in frame.columns:
            values = frame[column.source].to_list()
        else:
            continue
        texts: list[str] = []
        raws: list[Any] = []
        for value, is_hidden in zip(values, flags[column.flag], strict=True):
            text = format_value(value, column.kind)
            if column.kind != "text" and (is_hidden or (null_is_small and text == NOT_AVAILABLE)):
                texts.append(hidden)
                raws.append(None)
            else:
                texts.append(text)
                raws.append(None if text == NOT_AVAILABLE or column.kind == "interval" else value)
        shown[column.label] = texts
        raw[column.label] = raws
        kinds[column.label] = column.kind
    return Table(shown=pl.DataFrame(shown, schema=dict.fromkeys(shown, pl.String)), raw=raw,
                 kinds=kinds)


def neutralise(text: str) -> str:
    """Prefix an apostrophe to a text cell a spreadsheet would otherwise run as a formula."""
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def _is_numeric_cell(text: str, kind: str) -> bool:
    return kind in NUMERIC_KINDS and text != NOT_AVAILABLE and not text.startswith("fewer than")


def csv_text(table: Table) -> str:
    """The shown table as CSV text; text cells neutralised, numbers exactly as on screen."""
    columns = {}
    for label in table.shown.columns:
        kind = table.kinds.get(label, "text")
        columns[label] = [text if _is_numeric_cell(text, kind) else neutralise(text)
                          for text in table.shown[label].to_list()]
    safe = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    safe = safe.rename({label: neutralise(label) for label in safe.columns})
    return safe.write_csv()


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads "–" and accented names correctly."""
    return ("\ufeff" + csv_text(table)).encode("utf-8")


def to_excel(table: Table, *, sheet: str = "Data", notes: Sequence[tuple[str, str]] = ()) -> bytes:
    """The shown table as an .xlsx workbook: numbers as numbers with formats that reproduce the
    on-screen text, every other cell as neutralised text; `notes` (e.g. the filter and the
    suppression rule) go on a second sheet so the data sheet stays exactly as shown."""
    import xlsxwriter  # imported here: only a download needs it

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    header = workbook.add_format({"bold": True, "bottom": 1})
    formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in EXCEL_FORMATS.items()}
    right = workbook.add_format({"align": "right"})
    worksheet = workbook.add_worksheet(sheet)
    for col, label in enumerate(table.shown.columns):
        kind = table.kinds.get(label, "text")
        worksheet.write_string(0, col, neutralise(label), header)
        texts = table.shown[label].to_list()
        raws = table.raw.get(label, [None] * len(texts))
        width = len(label)
        for row, (text, value) in enumerate(zip(texts, raws, strict=True), start=1):
            width = max(width, len(text))
            if _is_numeric_cell(text, kind) and value is not None:
                worksheet.write_number(row, col, float(value), formats[kind])
            elif kind in NUMERIC_KINDS:
                worksheet.write_string(row, col, neutralise(text), right)
            else:
                worksheet.write_string(row, col, neutralise(text))
        worksheet.set_column(col, col, min(60, width + 2))
    worksheet.freeze_panes(1, 0)
    if notes:
        about = workbook.add_worksheet("About")
        for row, (key, value) in enumerate(notes):
            about.write_string(row, 0, neutralise(key), header)
            about.write_string(row, 1, neutralise(value))
        about.set_column(0, 0, 24)
        about.set_column(1, 1, 100)
    workbook.close()
    return buffer.getvalue()


def audited(store: Store, principal: Principal, build: Callable[[], bytes], *, what: str,
            flt: Any = None, action: str = "export") -> Callable[[], bytes]:
    """A download's file, built when someone asks for it, and written to the audit log then (who,
    scope, filter, what, how many bytes). `action` is "export" for aggregated tables, "records"
    for row-level placements and "rejected rows" for an upload's rejected rows: the roles allowed
    each are checked here too, so a page that offers a download by mistake still cannot serve it."""
    needs = {"export": access.EXPORT, "records": access.VIEW_RECORDS,
             "rejected rows": access.VIEW_RECORDS}
    if action not in needs:
        raise ValueError(f"unknown download action {action!r}")

    def build_and_record() -> bytes:
        access.require(principal, needs[action], f"download {what}")
        data = build()
        access.audit(store, principal, action, flt=flt, detail=f"download: {what} ({len(data):,} bytes)")
        return data

    return build_and_record
