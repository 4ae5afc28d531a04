"""The bad-input corpus (tests/data/bad, written by make_corpus.py): every file either fails with
a clear file-level message, or loads exactly the rows it should and rejects the others with the
row number, column and reason, and rows read = loaded + rejected + duplicate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from analytics.ingest import FileError, ImportReport, import_file
from analytics.store import Store
from tests.ingest.conftest import BAD

WPM = 52 / 12  # weeks per month


@dataclass(frozen=True)
class Expect:
    read: int
    loaded: int
    rejected: int = 0
    duplicate: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rejected_rows: dict[int, str] = field(default_factory=dict)  # row number -> reason (part)
    query: str = ""  # over the loaded placements, ordered
    rows: list[tuple[Any, ...]] = field(default_factory=list)


HEADER_FIELDS = "placement_id, employer, role, start_date, end_date, hours_per_week, pay_amount, pay_period"

UNREADABLE: dict[str, str] = {
    "empty.csv": "the file is empty",
    "whitespace_only.csv": "the file is empty",
    "header_only.csv": "header row but no data rows",
    "binary.csv": "binary data, not text",
    "pdf_renamed.csv": "this is a PDF document, not a table",
    "old_excel.csv": "old-style Excel .xls",
    "wrapped_rows.csv": "every line is wrapped in one pair of quotes",
    "duplicate_headers.csv": "columns 1 and 3 of the header on line 1 are both named 'Employer'",
    "no_header.csv": "looks like data, not column names",
    "wrong_delimiter_count.csv": "8 of 9 rows do not split into the header's 3 columns",
    "corrupt.parquet": "cannot read this Parquet file",
    "not_really.xlsx": "cannot read this Excel file",
    "excel_header_only.xlsx": "header row but no data rows",
}

CASES: dict[str, Expect] = {
    "ragged_rows.csv": Expect(
        read=4, loaded=2, rejected=2,
        reasons={"row has fewer fields than the header": 1, "row has more fields than the header": 1},
        rejected_rows={3: "fewer fields", 4: "more fields"},
        query="SELECT placement_id FROM placements ORDER BY 1", rows=[("P1",), ("P4",)]),
    "broken_quote.csv": Expect(
        read=3, loaded=2, rejected=1, rejected_rows={3: "broken quoting"},
        query="SELECT employer FROM placements ORDER BY 1", rows=[("Acme",), ("Gamma",)]),
    "unterminated_quote.csv": Expect(
        # The quote opened on line 4 never closes: the rest of the file is that one bad record.
        read=3, loaded=2, rejected=1, rejected_rows={4: "broken quoting"},
        query="SELECT employer FROM placements ORDER BY 1", rows=[("Acme",), ("Beta",)]),
    "nul_bytes.csv": Expect(
        read=3, loaded=2, rejected=1, reasons={"employer: contains control characters": 1},
        rejected_rows={3: "control characters"},
        query="SELECT employer FROM placements ORDER BY 1", rows=[("Acme",), ("Gamma",)]),
    "very_long_field.csv": Expect(
        read=2, loaded=1, rejected=1, reasons={"employer: longer than 500 characters": 1},
        rejected_rows={3: "longer than 500"}),
    "empty_header_name.csv": Expect(
        read=2, loaded=2, query="SELECT employer, role FROM placements ORDER BY 1",
        rows=[("Acme", "Data Intern"), ("Beta", "QA Intern")]),
    "blank_lines.csv": Expect(
        # Empty lines and a line of bare commas are not rows.
        read=2, loaded=2, query="SELECT placement_id FROM placements ORDER BY 1", rows=[("P1",), ("P2",)]),
    "title_rows.csv": Expect(
        read=2, loaded=1, rejected=1, reasons={"end_date: ends before it starts": 1},
        rejected_rows={5: "ends before it starts"},  # header on line 3, P2 on line 5
        query="SELECT placement_id FROM placements", rows=[("P1",)]),
    "semicolon.csv": Expect(
        read=2, loaded=2, query="SELECT employer, pay_amount FROM placements ORDER BY 1",
        rows=[("Acme", 20.5), ("Beta, Inc", 18.0)]),  # `20,5` is a decimal comma
    "tab.tsv": Expect(
        read=2, loaded=2, query="SELECT employer, hours_per_week FROM placements ORDER BY 1",
        rows=[("Acme", 40.0), ("Beta", 20.0)]),
    "pipe.csv": Expect(
        read=2, loaded=2, query="SELECT employer, hours_per_week FROM placements ORDER BY 1",
        rows=[("Acme", 40.0), ("Beta", 20.0)]),
    "utf8_bom.csv": Expect(
        read=1, loaded=1, query="SELECT employer, city FROM placements", rows=[("Zürich Labs", "Zürich")]),
    "utf16le_bom.csv": Expect(
        read=2, loaded=2, query="SELECT employer, city FROM placements ORDER BY 1",
        rows=[("Café Müller", "München"), ("Société Générale", "Paris")]),
    "utf16be_bom.csv": Expect(
        read=1, loaded=1, query="SELECT employer, city FROM placements",
        rows=[("Société Générale", "Paris")]),
    "utf16le_no_bom.csv": Expect(
        read=1, loaded=1, query="SELECT employer, city FROM placements",
        rows=[("Naïve Systems", "Montréal")]),
    "cp1252.csv": Expect(
        read=2, loaded=2,
        query="SELECT employer, role, pay_amount, pay_period, currency FROM placements ORDER BY 3",
        rows=[("Müller “Tech”", "QA Intern", 900.0, "month", None),
              ("Société Générale", "Analyst – Data", 1200.0, "month", "EUR")]),
    "latin1_undefined_bytes.csv": Expect(
        # 0x81 is undefined in Windows-1252: read as a Latin-1 control character, so rejected.
        read=2, loaded=1, rejected=1, reasons={"employer: contains control characters": 1},
        query="SELECT employer FROM placements", rows=[("Beta é",)]),
    "crlf.csv": Expect(
        read=2, loaded=2, query="SELECT employer, role FROM placements ORDER BY 1",
        rows=[("Acme", "Data Intern"), ("Beta", "QA Intern")]),
    "type_errors.csv": Expect(
        read=5, loaded=1, rejected=4,
        reasons={"hours_per_week: not a number": 1, "start_date: not a valid date": 1,
                 "pay_amount: not a recognisable amount": 1,
                 "pay_period: not a known pay period (hour, week, month, year, total)": 1},
        rejected_rows={2: "not a number", 3: "not a valid date", 4: "not a recognisable amount",
                       5: "not a known pay period"},
        query="SELECT placement_id FROM placements", rows=[("P5",)]),
    "impossible_dates.csv": Expect(
        # 30 Feb, 31 Apr, month 13 and the year 1850 are not dates; 29 Feb 2024 is.
        read=5, loaded=1, rejected=4, reasons={"start_date: not a valid date": 4},
        rejected_rows=dict.fromkeys((2, 3, 4, 5), "not a valid date"),
        query="SELECT placement_id, start_date FROM placements", rows=[("P5", dt.date(2024, 2, 29))]),
    "negative_pay.csv": Expect(
        read=3, loaded=1, rejected=2, reasons={"pay_amount: pay is negative": 2},
        rejected_rows={2: "pay is negative", 3: "pay is negative"},
        query="SELECT placement_id FROM placements", rows=[("P3",)]),
    "end_before_start.csv": Expect(
        # Ending on the day it starts is fine.
        read=2, loaded=1, rejected=1, reasons={"end_date: ends before it starts": 1},
        query="SELECT placement_id, duration_weeks FROM placements", rows=[("P2", 0.0)]),
    "hours_out_of_range.csv": Expect(
        read=4, loaded=2, rejected=2, reasons={"hours_per_week: hours per week outside 0 to 80": 2},
        rejected_rows={2: "outside 0 to 80", 3: "outside 0 to 80"},
        query="SELECT placement_id, hours_per_week, schedule FROM placements ORDER BY 1",
        rows=[("P3", 80.0, "full_time"), ("P4", 0.0, "part_time")]),
    "duration_out_of_range.csv": Expect(
        # 200 weeks and 3 years (156) are over 104; 2 years is exactly 104.
        read=4, loaded=2, rejected=2, reasons={"duration_weeks: duration outside 0 to 104 weeks": 2},
        query="SELECT employer, duration_weeks FROM placements ORDER BY 1",
        rows=[("Delta", 104.0), ("Gamma", 104.0)]),
    "accepted_without_offer.csv": Expect(
        read=4, loaded=3, rejected=1, reasons={"offer_accepted: offer accepted but no offer extended": 1},
        rejected_rows={2: "offer accepted but no offer extended"},
        query="SELECT employer, offer_extended, offer_accepted FROM placements ORDER BY 1",
        # Beta: an accepted offer implies the offer.
        rows=[("Beta", True, True), ("Delta", False, False), ("Gamma", True, False)]),
    "bad_enums.csv": Expect(
        read=5, loaded=1, rejected=4,
        rejected_rows={2: "not a known degree level", 3: "not a known work mode", 4: "not a known status",
                       6: "not a known role family"},
        query="SELECT employer, degree_level, work_mode, status, role_family FROM placements",
        rows=[("Delta", "bachelor", "onsite", "in_progress", "networking")]),
    # Formula-looking and markup-looking names are stored as written: exports defang them.
    "formula_injection.csv": Expect(
        read=5, loaded=5, query="SELECT employer FROM placements ORDER BY 1",
        rows=[("+SUM(A1:A9)",), ("-2+3",), ('=HYPERLINK("http://evil.example","click")',), ("@cmd",),
              ("Plain Co",)]),
    "html_script.csv": Expect(
        read=5, loaded=5, query="SELECT employer FROM placements ORDER BY 1",
        rows=[("3 < 4 Analytics",), ("<b>Bold Co</b>",), ("<script>alert(1)</script>",), ("AT&T",),
              ("R&D <Labs> Ltd",)]),
    "sql_like.csv": Expect(
        # Stored as written: values are bound parameters, never SQL.
        read=3, loaded=3, query="SELECT employer FROM placements ORDER BY 1",
        rows=[("'; DELETE FROM batches; --",), ("1 OR 1=1",), ("Robert'); DROP TABLE placements;--",)]),
    "sql_like_header.csv": Expect(
        read=1, loaded=1, query="SELECT employer, role FROM placements", rows=[("Acme", "Data Intern")]),
    "messy_money.csv": Expect(
        read=15, loaded=14, rejected=1, reasons={"pay_amount: not a recognisable amount": 1},
        rejected_rows={16: "not a recognisable amount"},  # `free pizza`
        query="SELECT employer, paid, pay_amount, pay_amount_max, pay_period, currency FROM placements "
              "ORDER BY 1",
        rows=[("A", True, 15.0, None, None, "USD"), ("B", True, 45000.0, None, None, "USD"),
              ("C", True, 5000.0, 10000.0, "month", "INR"), ("D", True, 15000.0, None, "month", None),
              ("E", True, 4000.0, None, "total", None), ("F", True, 30000.0, None, "month", "INR"),
              ("G", False, None, None, None, None), ("H", None, None, None, None, None),
              ("I", None, None, None, None, None), ("J", True, 12.5, None, "hour", "GBP"),
              ("K", True, 900.0, None, "week", "EUR"), ("L", True, 60000.0, 70000.0, "year", "USD"),
              ("M", True, 45000.0, None, None, None), ("N", False, 0.0, None, None, None)]),
    "messy_durations.csv": Expect(
        read=10, loaded=9, rejected=1, reasons={"duration_weeks: not a recognisable duration": 1},
        query="SELECT employer, round(duration_weeks, 4) FROM placements ORDER BY 1",
        rows=[("A", 13.0), ("B", 26.0), ("C", 2.0), ("D", 1.0), ("E", 16.0), ("F", round(90 / 7, 4)),
              ("G", 52.0), ("H", None), ("J", 10.0)]),
    "messy_dates.csv": Expect(
        read=10, loaded=9, rejected=1, reasons={"start_date: not a valid date": 1},
        rejected_rows={11: "not a valid date"},  # `yesterday`
        query="SELECT employer, start_date, term FROM placements ORDER BY 1",
        rows=[("A", dt.date(2021, 6, 5), "Summer 2021"), ("B", dt.date(2021, 5, 18), "Summer 2021"),
              ("C", dt.date(2018, 6, 7), "Summer 2018"), ("D", dt.date(2021, 6, 15), "Summer 2021"),
              ("E", dt.date(2023, 10, 1), "Fall 2023"), ("F", None, None), ("G", None, None),
              ("H", dt.date(2018, 6, 7), "Summer 2018"), ("I", dt.date(2021, 6, 5), "Summer 2021")]),
    "day_first_dates.csv": Expect(
        # 18/05 and 31/12 can only be day first, so 05/06 is 5 June too.
        read=3, loaded=3, query="SELECT employer, start_date FROM placements ORDER BY 1",
        rows=[("A", dt.date(2021, 5, 18)), ("B", dt.date(2021, 6, 5)), ("C", dt.date(2020, 12, 31))]),
    "messy_booleans.csv": Expect(
        read=5, loaded=4, rejected=1, reasons={"paid: not a yes/no value": 1}, rejected_rows={6: "yes/no"},
        query="SELECT employer, paid, offer_extended, offer_accepted, final_year FROM placements ORDER BY 1",
        rows=[("A", True, True, True, True), ("B", False, False, None, False),
              ("C", True, True, False, True), ("D", False, False, False, False)]),
    "whitespace_padding.csv": Expect(
        read=2, loaded=2, query="SELECT employer, role, city, work_mode FROM placements ORDER BY 1",
        rows=[("Acme Corp", "Data Intern", None, "remote"), ("Beta", "QA Intern", "Pune", None)]),
    "employer_variants.csv": Expect(
        read=5, loaded=5, query="SELECT employer_key, count(*) FROM placements GROUP BY 1 ORDER BY 1",
        rows=[("acme corp", 4), ("beta llc", 1)]),
    "terms.csv": Expect(
        read=6, loaded=4, rejected=2,
        reasons={"term_season: not a known term season (spring, summer, fall, winter)": 1,
                 "term_year: not a year between 1950 and 2100": 1},
        query="SELECT employer, term FROM placements ORDER BY 1",
        rows=[("A", "Summer 2025"), ("B", "Fall 2023"), ("C", "Fall 2023"), ("D", "Spring 2024")]),
    "duplicate_ids.csv": Expect(
        # P1 and P2 come again: the first of each is kept.
        read=5, loaded=3, duplicate=2, query="SELECT placement_id, employer FROM placements ORDER BY 1",
        rows=[("P1", "Acme"), ("P2", "Beta"), ("P3", "Gamma")]),
    "no_employer_column.csv": Expect(
        read=2, loaded=0, rejected=2, reasons={"employer: employer is missing (required)": 2}),
    "excel_title_rows.xlsx": Expect(
        # Title on sheet rows 1-2, header on row 4: the rejected rows are sheet rows 7 and 8.
        read=4, loaded=2, rejected=2,
        reasons={"Company: employer is missing (required)": 1, "Hourly pay: pay is negative": 1},
        rejected_rows={7: "employer is missing", 8: "pay is negative"},
        query="SELECT employer, role, start_date, pay_amount, pay_period, paid FROM placements ORDER BY 1",
        rows=[("Acme", "Data Intern", dt.date(2024, 6, 3), 21.5, "hour", True),
              ("Beta", "QA Intern", dt.date(2024, 6, 10), 19.0, "hour", True)]),
    "typed.parquet": Expect(
        read=3, loaded=2, rejected=1, reasons={"employer: employer is missing (required)": 1},
        query="SELECT employer, start_date, hours_per_week, paid, term FROM placements ORDER BY 1",
        rows=[("Acme", dt.date(2024, 6, 3), 40.0, True, "Summer 2024"),
              ("Beta", dt.date(2024, 6, 10), 20.0, False, "Summer 2024")]),
    "late_messy_values.csv": Expect(
        # Canonical for the first thousand rows (read typed), then `40 hrs`, `3 Jun'24`, `yes`
        # (read again as text and parsed) and `abc` (rejected, on its own line number).
        read=1200, loaded=1199, rejected=1, reasons={"hours_per_week: not a number": 1},
        rejected_rows={1181: "not a number"},
        query="SELECT placement_id, hours_per_week, start_date, paid FROM placements "
              "WHERE placement_id IN ('P01100', 'P01150', 'P01190') ORDER BY 1",
        rows=[("P01100", 40.0, dt.date(2024, 6, 3), True), ("P01150", 40.0, dt.date(2024, 6, 3), True),
              ("P01190", 40.0, dt.date(2024, 6, 3), True)]),
}


def corpus_files() -> list[str]:
    return sorted(p.name for p in BAD.iterdir() if p.name != "make_corpus.py")


def test_the_corpus_is_complete() -> None:
    files = corpus_files()
    assert len(files) >= 40
    assert sorted([*UNREADABLE, *CASES]) == files  # every file has an expectation


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_files_get_a_clear_message(store: Store, name: str) -> None:
    with pytest.raises(FileError) as error:
        import_file(store, BAD / name)
    message = str(error.value)
    assert message.startswith(f"{name}: ") and UNREADABLE[name] in message
    assert "Traceback" not in message and "\n" not in message
    assert store.table_counts() == {"placements": 0, "batches": 0, "quarantine": 0}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_file_loads_and_rejects_exactly_what_it_should(store: Store, name: str) -> None:
    expect = CASES[name]
    report: ImportReport = import_file(store, BAD / name)
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_duplicate) == \
        (expect.read, expect.loaded, expect.rejected, expect.duplicate)
    if expect.reasons:
        assert report.rejected_reasons == expect.reasons
    for row_number, reason in expect.rejected_rows.items():
        reasons = report.rejected.filter(report.rejected["row_number"] == row_number)["reason"].to_list()
        assert any(reason in r for r in reasons), (row_number, reasons)
    # The database agrees with the report, and every rejected row is kept with its reasons.
    counts = store.table_counts()
    assert counts["placements"] == expect.loaded
    kept = store.scalar("SELECT count(DISTINCT row_number) FROM quarantine WHERE batch_id = ?",
                        [report.batch_id])
    assert kept == expect.rejected
    ledger = store.rows("SELECT rows_read, rows_loaded, rows_rejected, rows_duplicate FROM batches")
    assert ledger == [(expect.read, expect.loaded, expect.rejected, expect.duplicate)]
    if expect.query:
        assert store.rows(expect.query) == expect.rows


def test_an_over_long_line_is_rejected_alone(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "over_long_line.csv"
    path.write_text("employer,role\nAcme,Data Intern\nBeta," + "x" * 2_100_000 + "\nGamma,IT Intern\n")
    report = import_file(store, path)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 2, 1)
    assert report.rejected_reasons == {"line is longer than 2,000,000 bytes": 1}
    assert report.rejected["row_number"].to_list() == [3]
    assert store.rows("SELECT employer FROM placements ORDER BY 1") == [("Acme",), ("Gamma",)]


def test_a_first_line_longer_than_a_megabyte_is_not_a_table(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "first_line_too_long.csv"
    path.write_text("employer" + ",x" * 600_000 + "\nAcme\n")
    with pytest.raises(FileError, match=r"first_line_too_long\.csv: the first line is longer than 1024 KB"):
        import_file(store, path)
