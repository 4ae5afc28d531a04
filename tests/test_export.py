"""Export: tables exactly as shown, suppression obeyed, formula injection neutralised."""

from __future__ import annotations

import io

import openpyxl
import polars as pl
import pytest

from analytics import export
from analytics.export import Column


def _summary() -> pl.DataFrame:
    return pl.DataFrame({
        "group": ["=HYPERLINK(\"http://x\")", "Beta", "-Gamma", "@Delta", "\tTab", "\rCR", "+Plus"],
        "n": [1200, None, 15, 20, 30, 40, 50],
        "conversion_rate": [0.5321, None, 0.4, None, 0.25, 0.5, 1.0],
        "median_hourly_pay": [22.456, None, 18.0, 19.5, 20.0, 21.0, 1234.5],
        "suppressed": [False, True, False, False, False, False, False],
    })


COLUMNS = [
    Column("group", "Employer", "text"),
    Column("n", "Eligible interns", "count"),
    Column("conversion_rate", "Conversion rate", "rate"),
    Column("median_hourly_pay", "Median hourly pay", "money"),
]


def test_present_formats_and_shows_suppressed_cells_as_fewer_than_n() -> None:
    table = export.present(_summary(), COLUMNS, min_cell=10)
    assert table.shown.columns == ["Employer", "Eligible interns", "Conversion rate", "Median hourly pay"]
    rows = table.shown.rows()
    assert rows[0] == ("=HYPERLINK(\"http://x\")", "1,200", "53.2%", "22.46")
    # the suppressed row keeps its label; every number reads "fewer than 10"
    assert rows[1] == ("Beta", "fewer than 10", "fewer than 10", "fewer than 10")
    # a value that is simply unknown (not suppressed) reads n/a
    assert rows[3][2] == "n/a"
    assert rows[6][3] == "1,234.50"


def test_csv_is_the_shown_table_with_text_cells_neutralised() -> None:
    table = export.present(_summary(), COLUMNS, min_cell=10)
    data = export.to_csv(table)
    assert data.startswith("\ufeff".encode())
    frame = pl.read_csv(io.BytesIO(data[3:]), infer_schema=False)
    assert frame.columns == table.shown.columns
    employers = frame["Employer"].to_list()
    assert employers == ["'=HYPERLINK(\"http://x\")", "Beta", "'-Gamma", "'@Delta", "'\tTab", "'\rCR",
                         "'+Plus"]
    # numbers exactly as on screen; suppressed cells as on screen
    assert frame.row(0) == ("'=HYPERLINK(\"http://x\")", "1,200", "53.2%", "22.46")
    assert frame.row(1)[1:] == ("fewer than 10",) * 3
    # the hidden values appear nowhere in the file
    assert b"0.4" not in data.replace(b"40.0%", b"")


def test_csv_never_contains_the_suppressed_numbers() -> None:
    frame = pl.DataFrame({"group": ["a", "b"], "n": [7, 993], "suppressed": [True, False]})
    # The metrics layer nulls hidden counts; even if a count slipped through, present() hides it.
    table = export.present(frame, [Column("group", "Group"), Column("n", "Placements", "count")], 10)
    text = export.csv_text(table)
    assert "7" not in text.replace("fewer than 10", "")
    assert "993" in text


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_neutralise_every_dangerous_prefix(text: str) -> None:
    assert export.neutralise(text) == "'" + text
    assert export.neutralise("Acme " + text) == "Acme " + text


def test_excel_matches_the_screen_numbers_as_numbers_text_neutralised() -> None:
    table = export.present(_summary(), COLUMNS, min_cell=10)
    data = export.to_excel(table, notes=[("Filter", "All placements"), ("Suppression", "fewer than 10")])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Data"]
    assert [c.value for c in sheet[1]] == table.shown.columns
    first = [c for c in sheet[2]]
    assert first[0].value == "'=HYPERLINK(\"http://x\")"
    assert first[0].data_type == "s"
    assert first[1].value == 1200 and first[1].number_format == "#,##0"
    assert first[2].value == pytest.approx(0.5321) and first[2].number_format == "0.0%"
    assert first[3].value == pytest.approx(22.456) and first[3].number_format == "#,##0.00"
    assert [c.value for c in sheet[3]] == ["Beta", "fewer than 10", "fewer than 10", "fewer than 10"]
    assert sheet.cell(row=4, column=1).value == "'-Gamma"
    assert sheet.cell(row=5, column=3).value == "n/a"
    assert book["About"]["A1"].value == "Filter"
    # no cell anywhere is a formula
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_row_level_columns_take_kinds_from_types() -> None:
    import datetime as dt

    frame = pl.DataFrame({"employer": ["=cmd"], "term_year": [2024], "paid": [True],
                          "hourly_pay": [21.5], "start_date": [dt.date(2024, 6, 1)]})
    columns = export.columns_for(frame)
    assert [c.kind for c in columns] == ["text", "int", "bool", "number", "date"]
    table = export.present(frame, columns, 10)
    assert table.shown.row(0) == ("=cmd", "2024", "yes", "21.5", "2024-06-01")
    assert export.csv_text(table).splitlines()[1] == "'=cmd,2024,yes,21.5,2024-06-01"
