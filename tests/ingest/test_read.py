"""Reading: delimiter, encoding and header detection, and the file-level refusals."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from analytics.ingest.read import FileError, find_header, open_source
from tests.ingest.conftest import BAD, REAL, write


@pytest.mark.parametrize(("name", "delimiter", "encoding", "columns"), [
    ("semicolon.csv", ";", "utf-8", ["employer", "role", "pay_amount"]),
    ("tab.tsv", "\t", "utf-8", ["employer", "role", "hours_per_week"]),
    ("pipe.csv", "|", "utf-8", ["employer", "role", "hours_per_week"]),
    ("utf8_bom.csv", ",", "utf-8-sig", ["employer", "city"]),
    ("utf16le_bom.csv", ",", "utf-16", ["employer", "city"]),
    ("utf16le_no_bom.csv", ",", "utf-16-le", ["employer", "city"]),
    ("cp1252.csv", ",", "cp1252", ["employer", "role", "pay_amount"]),
])
def test_delimiters_and_encodings(name: str, delimiter: str, encoding: str, columns: list[str]) -> None:
    source = open_source(BAD / name)
    try:
        assert (source.delimiter, source.encoding, source.columns) == (delimiter, encoding, columns)
    finally:
        source.close()


def test_real_headers_are_trimmed_and_sampled() -> None:
    source = open_source(REAL / "abhishek_internships.csv")
    try:
        assert source.columns == ["Internship_Name", "Company", "Location", "Start_Date", "Duration",
                                  "Stipend", "Posted_On", "Last_Date"]
        assert len(source.sample_rows) == 33
        assert source.sample_rows[0][1] == "CaratLane Trading Private Limited"
        assert source.describe() == "CSV, comma-separated, utf-8, header on line 1, 8 columns"
    finally:
        source.close()


def test_title_lines_above_the_header_are_skipped() -> None:
    rows = [["Report"], [], ["employer", "role", "pay"], ["Acme", "Dev", "1"], ["Beta", "QA", "2"]]
    assert find_header(rows) == 2
    assert find_header([["employer", "role", "pay"], ["Acme", "Dev", "1", "extra"]]) == 0
    source = open_source(BAD / "title_rows.csv")
    try:
        assert source.header_row == 3 and source.warnings == ["Skipped 2 line(s) above the header (line 3)."]
    finally:
        source.close()


def test_excel_title_rows_and_row_numbers() -> None:
    source = open_source(BAD / "excel_title_rows.xlsx")
    try:
        assert (source.kind, source.header_row) == ("excel", 4)
        assert source.columns == ["Company", "Job Title", "Start Date", "Hourly pay", "Paid"]
        assert source.sample_rows[0] == ["Acme", "Data Intern", "2024-06-03 00:00:00", "21.5", "true"]
    finally:
        source.close()


def test_an_empty_header_name_gets_a_placeholder(tmp_path: Path) -> None:
    source = open_source(write(tmp_path / "f.csv", "employer,,role\nAcme,x,Dev\n"))
    try:
        assert source.columns == ["employer", "column 2", "role"]
        assert "Column 2 has no name" in source.warnings[0]
    finally:
        source.close()


def test_a_utf16_file_is_read_through_a_utf8_copy(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "employer\nSociété\n".encode("utf-16-le"))
    source = open_source(path)
    try:
        assert source.read_path is not None and source.read_path.read_text("utf-8") == "employer\nSociété\n"
        copy = source.read_path
    finally:
        source.close()
    assert not copy.exists()  # temporary copies go with the source


def test_a_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"nope\.csv: cannot open the file"):
        open_source(tmp_path / "nope.csv")
