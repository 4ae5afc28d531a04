"""Each real file imports with the mapping a person would choose; counts and values checked.

Expected values come from reading the files (quoted in each test), not from the importer.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from analytics.ingest import ImportReport, Mapping, import_file, quarantine_rows, rejected_csv
from analytics.store import Store
from tests.ingest.conftest import REAL

WEEKS_PER_MONTH = 52 / 12


def load(store: Store, name: str, *, mapping: bool = True) -> ImportReport:
    path = REAL / f"{name}.csv"
    saved = Mapping.from_json((REAL / f"{name}.mapping.json").read_text()) if mapping else None
    report = import_file(store, path, mapping=saved, uploader="test")
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    return report


def counted(report: ImportReport) -> tuple[int, int, int, int]:
    return report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_duplicate


def one(store: Store, where: str, params: list[Any]) -> dict[str, Any]:
    frame = store.query(f"SELECT * FROM placements WHERE {where}", params)
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def test_adithi_listings(store: Store) -> None:
    report = load(store, "adithi_internship")
    # 1,024 rows, of which 37 repeat an earlier row exactly (the file's README).
    assert counted(report) == (1024, 987, 0, 37)
    assert "cp1252" in report.source  # two stray Windows-1252 bytes in one title
    # `Java Development,SunbaseData,Work From Home,Immediately,6 Months,"30,000"` (twice)
    row = one(store, "employer = ? AND role = ?", ["SunbaseData", "Java Development"])
    assert row["city"] is None and row["work_mode"] == "remote"
    assert row["start_date"] is None and row["term"] is None  # Immediately: unknown
    assert row["duration_weeks"] == pytest.approx(26.0)
    assert (row["pay_amount"], row["pay_period"], row["currency"], row["paid"]) == \
        (30000.0, "month", "INR", True)
    assert row["country"] == "IN"
    # Counted from the file itself: distinct rows per location, blank stipend, "1 Week".
    with (REAL / "adithi_internship.csv").open(encoding="cp1252") as handle:
        distinct = {tuple(r) for r in list(csv.reader(handle))[1:]}
    remote = sum(1 for r in distinct if r[2] == "Work From Home")
    blank_pay = sum(1 for r in distinct if r[5] == "")
    one_week = sum(1 for r in distinct if r[4] == "1 Week")
    counts = store.query(
        "SELECT count(*) FILTER (work_mode = 'remote') AS remote, "
        "count(*) FILTER (pay_amount IS NULL) AS blank_pay, "
        "count(*) FILTER (pay_amount IS NULL AND paid IS NULL AND currency IS NULL) AS blank_unknown, "
        "count(*) FILTER (duration_weeks = 1.0) AS one_week FROM placements"
    ).row(0, named=True)
    assert counts == {"remote": remote, "blank_pay": blank_pay, "blank_unknown": blank_pay,
                      "one_week": one_week}
    title = store.scalar("SELECT role FROM placements WHERE role LIKE '%yojaka%'")
    assert title == "Software Development ?·V?“yojaka Tool"


def test_kinjal_padded_listings(store: Store) -> None:
    report = load(store, "kinjal_internship")
    assert counted(report) == (100, 100, 0, 0)
    assert set(report.unmapped_columns) == {
        "Internship details page link", "Internship organization page link", "Application deadline",
        "Number of applicants", "Number of openings"}
    # ` Marketing , BYJU'S The Learning App ,Bhuvanagiri, 15 Jun' 21 , 3 Months , 18000 /month`
    row = one(store, "city = ?", ["Bhuvanagiri"])
    assert (row["role"], row["employer"]) == ("Marketing", "BYJU'S The Learning App")
    assert row["start_date"] == dt.date(2021, 6, 15) and row["term"] == "Summer 2021"
    assert row["duration_weeks"] == pytest.approx(13.0)  # 3 Months
    assert (row["pay_amount"], row["pay_amount_max"], row["pay_period"], row["currency"]) == \
        (18000.0, None, "month", "INR")
    # ` Marketing , Nykaa ,Bangalore, 5 Jun - 4 Jul' 21 , 2 Months , 3500-5000 /month`
    row = one(store, "employer = ?", ["Nykaa"])
    assert row["start_date"] == dt.date(2021, 6, 5)
    assert (row["pay_amount"], row["pay_amount_max"]) == (3500.0, 5000.0)
    assert row["duration_weeks"] == pytest.approx(2 * WEEKS_PER_MONTH)
    # `Business Development (Sales), WWF India ,Work From Home,Immediately, 6 Weeks ,Unpaid`
    row = one(store, "employer = ?", ["WWF India"])
    assert (row["paid"], row["pay_amount"], row["duration_weeks"], row["work_mode"]) == \
        (False, None, 6.0, "remote")
    # ` Campus Ambassador , Fashion TV India ,Work From Home,Immediately, 3 Months ,Performance Based`
    row = one(store, "employer = ? AND role = ?", ["Fashion TV India", "Campus Ambassador"])
    assert (row["paid"], row["pay_amount"]) == (None, None)
    assert store.scalar("SELECT count(*) FROM placements WHERE work_mode = 'remote'") == 32
    # Padding is gone from every text value.
    padded = "SELECT count(*) FROM placements WHERE role <> trim(role) OR employer <> trim(employer)"
    assert store.scalar(padded) == 0


def test_abhishek_listings(store: Store) -> None:
    report = load(store, "abhishek_internships")
    # Two `Mobile App Development,NCFlexe| IIT Kanpur,...,10000-20000 /Month` rows differ only in
    # the unmapped posting dates: the second is the same placement again.
    assert counted(report) == (33, 32, 0, 1)
    assert report.unmapped_columns == ["Posted_On", "Last_Date"]  # headers had leading spaces
    # `Mobile App Development,Mono Graphics,Work From Home,Immediately,3 Months,5000-10000 /Month`
    row = one(store, "employer = ?", ["Mono Graphics"])
    assert row["duration_weeks"] == pytest.approx(13.0)
    assert (row["pay_amount"], row["pay_amount_max"], row["pay_period"], row["currency"]) == \
        (5000.0, 10000.0, "month", "INR")
    assert (row["city"], row["work_mode"]) == (None, "remote")
    # `Software Development,Pratham Education Foundation,...,Unpaid`
    row = one(store, "employer = ?", ["Pratham Education Foundation"])
    assert (row["paid"], row["pay_amount"]) == (False, None)
    # `Data Analytics,GoAir,Mumbai,Immediately,2 Months,4000 Lump-Sum`
    row = one(store, "employer = ?", ["GoAir"])
    assert (row["pay_amount"], row["pay_period"], row["paid"]) == (4000.0, "total", True)
    # `Virtual Prototype Development,Intel,Bangalore,Not Provided,Not Provided,Not provided`
    row = one(store, "employer = ?", ["Intel"])
    assert (row["start_date"], row["duration_weeks"], row["pay_amount"], row["paid"]) == \
        (None, None, None, None)
    # `Information Technology,CaratLane Trading Private Limited,Chennai,Immediately,6 Months,15000 /Month`
    row = one(store, "employer = ?", ["CaratLane Trading Private Limited"])
    assert (row["pay_amount"], row["pay_period"], row["duration_weeks"]) == (15000.0, "month", 26.0)


def test_njit_first_destinations(store: Store) -> None:
    report = load(store, "njit_sample_data")
    # Rows 1-4 have no employer (blank or a single space): rejected, kept with the reason.
    assert counted(report) == (7, 3, 4, 0)
    assert report.rejected_reasons == {"employer: employer is missing (required)": 4}
    assert sorted(report.rejected["row_number"].to_list()) == [2, 3, 4, 5]
    rows = store.query("SELECT * FROM placements ORDER BY placement_id").to_dicts()
    assert [r["employer"] for r in rows] == ["PSEG", "Scribeamerica", "Publicis Media Internship"]
    assert [r["placement_id"] for r in rows] == ["5", "6", "7"]
    assert all(r["continuing_education"] is True for r in rows)  # outcome: Continuing Education
    assert [r["degree_level"] for r in rows] == ["bachelor", "master", "bachelor"]
    assert rows[0]["university"] == "Ying Wu College of Computing"  # the `schoool` column
    assert (rows[0]["city"], rows[0]["region"], rows[0]["country"]) == ("Newark", "NJ", "USA")
    assert all(r["term_year"] == 2021 for r in rows)  # class_of


def test_njit_headers_are_mapped_without_help(store: Store) -> None:
    report = load(store, "njit_sample_data", mapping=False)
    assert report.mapping.columns["schoool"] == "university"  # misspelt header
    assert report.mapping.columns["class_of"] == "term_year"
    assert report.mapping.columns["salary"] == "offer_salary"


def test_9harshit_has_no_employer_so_every_row_is_rejected_and_kept(store: Store) -> None:
    report = load(store, "9harshit_Placement_Data_Full_Class")
    assert counted(report) == (215, 0, 215, 0)
    assert report.rejected_reasons == {"employer: employer is missing (required)": 215}
    assert any("employer" in w and "every row will be rejected" in w for w in report.warnings)
    assert store.table_counts()["placements"] == 0
    kept = quarantine_rows(store, report.batch_id)
    assert kept.height == 215
    # Line 2: `M,67,Others,91,Others,Commerce,58,Sci&Tech,No,55,Mkt&HR,58.8,1,270000`
    first = json.loads(kept.filter(kept["row_number"] == 2)["raw"][0])
    assert (first["status"], first["salary"], first["degree_t"]) == ("1", "270000", "Sci&Tech")
    lines = rejected_csv(kept).decode().splitlines()
    assert len(lines) == 216 and lines[0].startswith("row_number,problems,gender")


def test_9harshit_auto_mapping_reads_status_as_the_offer(store: Store) -> None:
    report = load(store, "9harshit_Placement_Data_Full_Class", mapping=False)
    # `status` holds 1/0, which no internship status reads as; as placed/not placed it is the offer.
    assert report.mapping.columns["status"] == "offer_extended"
    assert report.mapping.columns["salary"] == "offer_salary"
    assert report.mapping.columns["degree_t"] == "program"
    assert report.rows_rejected == 215


def test_the_person_mapping_and_the_suggestion_agree_where_the_headers_say_it(store: Store) -> None:
    for name in ("adithi_internship", "kinjal_internship", "abhishek_internships"):
        saved = json.loads((REAL / f"{name}.mapping.json").read_text())["columns"]
        report = import_file(store, REAL / f"{name}.csv", dry_run=True)
        assert {k: v for k, v in report.mapping.columns.items() if v} == \
            {k: v for k, v in saved.items() if v}, name


@pytest.mark.parametrize("path", sorted(REAL.glob("*.csv")), ids=lambda p: Path(p).stem)
def test_every_real_file_reads_with_the_suggested_mapping(store: Store, path: Path) -> None:
    report = import_file(store, path, dry_run=True)
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    assert report.rows_read > 0 and store.table_counts()["placements"] == 0
