"""Reading: turn an uploaded file into a table of text cells DuckDB can scan, or say why not.

CSV / TSV: the delimiter (`,` `;` tab `|`), the encoding (UTF-8 with or without byte-order mark,
UTF-16, Windows-1252 / Latin-1) and the header row (title lines above it are skipped) are found
here from the first megabyte; DuckDB then reads the whole file with those settings, every column
as text, and sets rows it cannot split (ragged rows, broken quoting, over-long lines) aside with
their line numbers instead of guessing. Excel `.xlsx` (first sheet with data, title rows above
the header skipped) and Parquet are read into the same shape.

Problems that make the whole file unusable (empty, binary, no header, duplicate column names,
header only) raise `FileError` with a message that names the file and says what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from analytics.ingest import values as V

Kind = Literal["csv", "excel", "parquet"]
Row = list[str | None]

SNIFF_BYTES: Final = 1 << 20
SNIFF_ROWS: Final = 1000
HEADER_SEARCH_ROWS: Final = 20
DELIMITERS: Final = (",", ";", "\t", "|")
DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MAX_LINE_BYTES: Final = 2_000_000
# Magic numbers of files people upload by mistake, and what to tell them.
MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"PK\x03\x04", "xlsx"),
    (b"PAR1", "parquet"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel .xls (save it as .xlsx or CSV)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3", "a SQLite database"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)


class FileError(Exception):
    """The file cannot be read as a table. The message names the file and says why."""


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    # Windows-1252 leaves five bytes undefined; read those as Latin-1 rather than fail.
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start:error.end].decode("latin-1"), error.end


codecs.register_error("internships_latin1", _latin1_fallback)


@dataclass
class Source:
    """A readable table: what DuckDB scans, and what the header said."""

    file_name: str
    path: Path
    kind: Kind
    columns: list[str]
    header_row: int  # the header's line (CSV) or row (Excel) number, 1-based; data starts below
    encoding: str = "utf-8"
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)
    sample_rows: list[Row] = field(default_factory=list)
    read_path: Path | None = None  # a transcoded or converted copy, when one was needed
    has_row_numbers: bool = False  # the relation carries each row's own number as `_row`
    column_types: list[str] = field(default_factory=list)  # a Parquet file's own column types
    _workdir: Path | None = None

    @property
    def identifiers(self) -> list[str]:
        """The names the columns go by in SQL: c0, c1, ... (never the file's own text)."""
        return [f"c{i}" for i in range(len(self.columns))]

    def describe(self) -> str:
        if self.kind == "csv":
            delimiter = DELIMITER_NAMES.get(self.delimiter or ",", repr(self.delimiter))
            return (f"CSV, {delimiter}-separated, {self.encoding}, header on line {self.header_row}, "
                    f"{len(self.columns)} columns")
        if self.kind == "excel":
            return f"Excel, header on row {self.header_row}, {len(self.columns)} columns"
        return f"Parquet, {len(self.columns)} columns"

    def relation(self, rejects: str | None = None,
                 types: dict[int, str] | None = None) -> tuple[str, dict[str, Any]]:
        """SQL for the table (columns c0.., as text unless `types` gives a DuckDB type for the
        column; `_row` when the source knows its row numbers) and its parameters. A Parquet
        column given a type is read as the file stores it (`parquet_typed` allows only types that
        convert without loss), with NaN as a missing value, as its text `nan` would read.

        `rejects` names the temporary tables DuckDB fills with rows it cannot read (CSV only).
        """
        names = self.identifiers
        if self.kind == "csv":
            types = types or {}
            allowed = {"VARCHAR", "DOUBLE", "DATE", "INTEGER", "BOOLEAN"}
            columns = "{" + ", ".join(
                f"'{n}': '{types.get(i, 'VARCHAR') if types.get(i) in allowed else 'VARCHAR'}'"
                for i, n in enumerate(names)
            ) + "}"
            store = (f", store_rejects = true, rejects_table = '{rejects}_errors', "
                     f"rejects_scan = '{rejects}_scans'") if rejects else ", ignore_errors = true"
            sql = (
                "SELECT * FROM read_csv($src_path, delim = $src_delim, quote = '\"', escape = '\"', "
                "header = true, skip = $src_skip, auto_detect = false, "
                f"strict_mode = true, max_line_size = {MAX_LINE_BYTES}, columns = {columns}{store})"
            )
            path = self.read_path or self.path
            return sql, {"src_path": str(path), "src_delim": self.delimiter or ",",
                         "src_skip": self.header_row - 1}
        path = self.read_path or self.path
        extra = ", _row" if self.has_row_numbers else ""
        types = types or {}
        casts = ", ".join(_parquet_cell(n, types.get(i)) for i, n in enumerate(names))
        alias = ", ".join(names) + extra
        return (f"SELECT {casts}{extra} FROM read_parquet($src_path) AS src({alias})",
                {"src_path": str(path)})

    def close(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def workdir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="internships-ingest-"))
        return self._workdir

    def transcode(self, encoding: str) -> None:
        """Re-read a text file in another encoding: write a UTF-8 copy for DuckDB to scan."""
        target = self.workdir() / f"{uuid.uuid4().hex}.csv"
        _transcode(self.path, target, encoding)
        self.read_path = target
        self.encoding = encoding


# -- opening ---------------------------------------------------------------------------------
def open_source(path: Path, file_name: str | None = None) -> Source:
    """Work out what the file is and how to read it; raise FileError when it cannot be read."""
    name = file_name or path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:
        raise FileError(f"{name}: cannot open the file ({error.strerror or error}).") from None
    if size == 0 or not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise FileError(f"{name}: the file is empty.")
    for magic, kind in MAGIC:
        if head.startswith(magic):
            if kind == "xlsx":
                return _open_excel(path, name)
            if kind == "parquet":
                return _open_parquet(path, name)
            raise FileError(f"{name}: this is {kind}, not a table. Upload a CSV, Excel (.xlsx) "
                            "or Parquet file.")
    return _open_csv(path, name, head, complete=size <= SNIFF_BYTES)


def _utf16_without_bom(head: bytes) -> str | None:
    probe = head[:4096]
    if len(probe) < 8:
        return None
    even, odd = probe[0::2], probe[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _detect_encoding(head: bytes, complete: bool) -> tuple[str, bool]:
    """(encoding, needs a UTF-8 copy for DuckDB)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16, True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8", False
    except UnicodeDecodeError:
        return "cp1252", True


def _decode(data: bytes, encoding: str) -> str:
    errors = "internships_latin1" if encoding == "cp1252" else "replace"
    return data.decode(encoding, errors=errors)


def _transcode(source: Path, target: Path, encoding: str) -> None:
    errors = "internships_latin1" if encoding == "cp1252" else "replace"
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    with source.open("rb") as inp, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := inp.read(1 << 22):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\f")
    return controls > 0.05 * max(len(text), 1)


def _parse_rows(text: str, delimiter: str, limit: int) -> list[tuple[int, Row]]:
    """(physical line number, cells) for the first `limit` rows; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text.replace("\x00", ""), newline=""), delimiter=delimiter,
                        quotechar='"', doublequote=True, strict=False)
    rows: list[tuple[int, Row]] = []
    start_line = 1
    try:
        for cells in reader:
            line = start_line
            start_line = reader.line_num + 1
            if not cells or (all(not c.strip(V.TRIM_CHARS) for c in cells) and len(cells) <= 1):
                continue
            rows.append((line, list(cells)))
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _choose_delimiter(text: str) -> tuple[str, list[tuple[int, Row]]]:
    best: tuple[float, int, int] = (-1.0, 0, 0)
    chosen = ","
    chosen_rows: list[tuple[int, Row]] = []
    for rank, delimiter in enumerate(DELIMITERS):
        rows = _parse_rows(text, delimiter, 60)
        if not rows:
            continue
        counts = Counter(len(cells) for _, cells in rows)
        modal, freq = counts.most_common(1)[0]
        share = freq / len(rows)
        score = (share if modal > 1 else 0.0, modal, -rank)
        if score > best:
            best, chosen, chosen_rows = score, delimiter, rows
    return chosen, chosen_rows


def find_header(rows: Sequence[Row]) -> int | None:
    """Index of the header row: the first row whose filled cells sit over most of the filled
    cells of the rows below it. A title line above the header covers too few."""
    for index in range(min(len(rows), HEADER_SEARCH_ROWS)):
        filled = {j for j, cell in enumerate(rows[index]) if cell and cell.strip(V.TRIM_CHARS)}
        if not filled:
            continue
        below = [
            j for row in rows[index + 1:index + 31]
            for j, cell in enumerate(row) if cell and cell.strip(V.TRIM_CHARS)
        ]
        if not below:
            return index
        covered = sum(1 for j in below if j in filled)
        if covered > 0.5 * len(below):
            return index
    return None


def _looks_like_data(cell: str) -> bool:
    value = V.clean(cell)
    if value is None:
        return False
    if re.fullmatch(f"-?{V.NUMBER_RE}", value):
        return True
    parsed = V.parse_date(value)
    return parsed.value is not None


def _check_header(name: str, header: Row, what: str) -> tuple[list[str], list[str]]:
    """Column display names from the header cells, and warnings; FileError when unusable."""
    names: list[str] = []
    warnings: list[str] = []
    for index, cell in enumerate(header):
        text = (cell or "").strip(V.TRIM_CHARS)
        if not text:
            text = f"column {index + 1}"
            warnings.append(f"Column {index + 1} has no name in the header; it is shown as {text!r}.")
        names.append(text)
    seen: dict[str, int] = {}
    for index, text in enumerate(names):
        key = text.lower()
        if key in seen:
            raise FileError(
                f"{name}: columns {seen[key] + 1} and {index + 1} of the header on {what} are both "
                f"named {text!r}. Rename one of them and upload again."
            )
        seen[key] = index
    real = [cell for cell in header if cell and cell.strip(V.TRIM_CHARS)]
    data_like = [cell for cell in real if _looks_like_data(cell)]
    if real and len(data_like) * 2 >= len(real) and len(data_like) >= 1:
        raise FileError(
            f"{name}: the first row ({what}) looks like data, not column names "
            f"(e.g. {data_like[0].strip()!r}). Add a header row naming the columns."
        )
    return names, warnings


def _open_csv(path: Path, name: str, head: bytes, complete: bool) -> Source:
    encoding, needs_copy = _detect_encoding(head, complete)
    text = _decode(head, encoding)
    if not complete:
        # The sample ends mid-line; drop the partial last line.
        cut = text.rfind("\n")
        text = text[:cut + 1] if cut > 0 else text
    text = text.lstrip("\ufeff")
    if _looks_binary(text):
        raise FileError(f"{name}: the file holds binary data, not text. Upload a CSV, Excel (.xlsx) "
                        "or Parquet file.")
    if "\n" not in text and not complete:
        raise FileError(f"{name}: the first line is longer than {SNIFF_BYTES // 1024} KB; "
                        "this does not look like a table.")
    delimiter, rows = _choose_delimiter(text)
    if not rows:
        raise FileError(f"{name}: the file is empty.")
    cells_only = [cells for _, cells in rows]
    header_index = find_header(cells_only)
    if header_index is None:
        raise FileError(f"{name}: no header row found in the first {HEADER_SEARCH_ROWS} rows.")
    header_line, header = rows[header_index]
    if len(header) == 1:
        _check_wrapped_rows(name, text, header[0] or "")
    columns, warnings = _check_header(name, header, f"line {header_line}")
    if header_index > 0:
        warnings.append(f"Skipped {header_index} line(s) above the header (line {header_line}).")
    all_rows = _parse_rows(text, delimiter, SNIFF_ROWS + header_index + 1)
    data = [cells for line, cells in all_rows if line > header_line]
    if not data and complete:
        raise FileError(f"{name}: the file has a header row but no data rows.")
    source = Source(
        file_name=name, path=path, kind="csv", columns=columns, header_row=header_line,
        encoding=encoding, delimiter=delimiter, warnings=warnings,
        sample_rows=[_fit(cells, len(columns)) for cells in data],
    )
    if needs_copy:
        source.transcode(encoding)
    return source


def _check_wrapped_rows(name: str, text: str, header: str) -> None:
    """A one-column header holding delimiters means each line was wrapped in quotes."""
    for delimiter in DELIMITERS:
        if delimiter in header and header.count(delimiter) >= 1:
            lines = [line for line in text.splitlines()[:50] if line.strip()]
            wrapped = [line for line in lines if line.strip().startswith('"') and delimiter in line]
            if len(wrapped) * 2 >= len(lines):
                raise FileError(
                    f"{name}: every line is wrapped in one pair of quotes, so each row reads as a "
                    f"single value. Remove the quotes around each line (or export the file again "
                    f"as plain CSV) and upload it again."
                )


def _fit(cells: Sequence[str | None], width: int) -> Row:
    row: Row = list(cells[:width])
    return row + [None] * (width - len(row))


# -- Excel ------------------------------------------------------------------------------------
def _first_used_row(path: Path, sheet: str) -> int:
    """Sheet row number (1-based) of the first row holding a value: calamine starts there."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = book[sheet]
        for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if any(cell is not None and str(cell).strip() for cell in row):
                return number
            if number > 10_000:
                break
        return 1
    finally:
        book.close()


def _open_excel(path: Path, name: str) -> Source:
    import fastexcel
    import polars as pl

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as error:  # fastexcel raises its own hierarchy and plain errors
        raise FileError(f"{name}: cannot read this Excel file ({str(error).splitlines()[0]}).") from None
    frame: pl.DataFrame | None = None
    sheet_name = ""
    warnings: list[str] = []
    for sheet in reader.sheet_names:
        try:
            loaded = reader.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
        except Exception as error:
            warnings.append(f"Sheet {sheet!r} could not be read ({str(error).splitlines()[0]}).")
            continue
        if loaded.height and any(loaded[c].drop_nulls().len() for c in loaded.columns):
            frame, sheet_name = loaded, sheet
            break
    if frame is None:
        raise FileError(f"{name}: the workbook has no sheet with data.")
    if len(reader.sheet_names) > 1:
        warnings.append(f"Read the sheet {sheet_name!r}; the workbook's other sheets were not read.")
    offset = _first_used_row(path, sheet_name)
    rows: list[Row] = [list(r) for r in frame.head(HEADER_SEARCH_ROWS + 31).iter_rows()]
    header_index = find_header(rows)
    if header_index is None:
        raise FileError(f"{name}: no header row found in the first {HEADER_SEARCH_ROWS} rows.")
    header_row = offset + header_index
    header = rows[header_index]
    # Columns right of the header's last name keep data only if it is there.
    columns, header_warnings = _check_header(name, _trim_trailing(header), f"row {header_row}")
    warnings.extend(header_warnings)
    if header_index > 0:
        warnings.append(f"Skipped {header_index} row(s) above the header (row {header_row}).")
    width = len(columns)
    extra = [c for c in frame.columns[width:] if frame.slice(header_index + 1)[c].drop_nulls().len()]
    if extra:
        warnings.append(f"{len(extra)} column(s) right of the header hold values but have no name; "
                        "they were not read.")
    body = frame.slice(header_index + 1).select(frame.columns[:width])
    body = body.rename({old: f"c{i}" for i, old in enumerate(body.columns)})
    body = body.with_columns(
        pl.int_range(header_row + 1, header_row + 1 + body.height, dtype=pl.Int64).alias("_row")
    )
    cells = [f"c{i}" for i in range(width)]
    body = body.filter(~pl.all_horizontal(pl.col(c).is_null() for c in cells)) if cells else body
    if body.height == 0:
        raise FileError(f"{name}: the sheet {sheet_name!r} has a header row but no data rows.")
    source = Source(
        file_name=name, path=path, kind="excel", columns=columns, header_row=header_row,
        warnings=warnings, has_row_numbers=True,
        sample_rows=[list(r) for r in body.select(cells).head(SNIFF_ROWS).iter_rows()],
    )
    target = source.workdir() / f"{uuid.uuid4().hex}.parquet"
    body.write_parquet(target)
    source.read_path = target
    return source


def _trim_trailing(header: Row) -> Row:
    cells = list(header)
    while cells and not (cells[-1] or "").strip():
        cells.pop()
    return cells


# -- Parquet ----------------------------------------------------------------------------------
# The file's types each typed field may be read from as they are: the same type, or one that
# widens to it without loss. Anything else (text, BIGINT years, timestamps) is read as text and
# goes through the parsers, as a CSV cell would.
PARQUET_TYPED: Final[dict[str, frozenset[str]]] = {
    "DOUBLE": frozenset({"DOUBLE", "FLOAT"}),
    "INTEGER": frozenset({"INTEGER", "SMALLINT", "TINYINT"}),
    "DATE": frozenset({"DATE"}),
    "BOOLEAN": frozenset({"BOOLEAN"}),
}


def parquet_typed(column_type: str, sql_type: str) -> bool:
    """Whether a Parquet column of `column_type` may be read typed as `sql_type`."""
    return column_type in PARQUET_TYPED.get(sql_type, frozenset())


def _parquet_cell(name: str, sql_type: str | None) -> str:
    if sql_type is None:
        return f"CAST({name} AS VARCHAR) AS {name}"
    if sql_type == "DOUBLE":  # pandas writes a missing float as NaN: missing, as the text path reads it
        return f"CASE WHEN isnan({name}) THEN NULL ELSE CAST({name} AS DOUBLE) END AS {name}"
    return f"CAST({name} AS {sql_type}) AS {name}"


def _open_parquet(path: Path, name: str) -> Source:
    import duckdb

    try:
        con = duckdb.connect()
        try:
            described = con.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(path)}).fetchall()
            width = len(described)
            names = ", ".join(f"c{i}" for i in range(width))
            casts = ", ".join(f"CAST(c{i} AS VARCHAR)" for i in range(width))
            sample = con.execute(
                f"SELECT {casts} FROM read_parquet($p) AS src({names}) LIMIT {SNIFF_ROWS}",
                {"p": str(path)},
            ).fetchall()
            count = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(path)}).fetchall()
        finally:
            con.close()
    except duckdb.Error as error:
        raise FileError(f"{name}: cannot read this Parquet file ({str(error).splitlines()[0]}).") from None
    columns, warnings = _check_header(name, [str(row[0]) for row in described], "its schema")
    if not count[0][0]:
        raise FileError(f"{name}: the file has columns but no rows.")
    return Source(file_name=name, path=path, kind="parquet", columns=columns, header_row=1,
                  warnings=warnings, sample_rows=[list(r) for r in sample],
                  column_types=[str(row[1]) for row in described])
