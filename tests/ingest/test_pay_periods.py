"""Pay with no period (issue 12): not hourly by default; a period is assumed only where the amount
makes one plausible, marked with the rule; implausible hourly equivalents are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics import schema
from analytics.ingest import Mapping, import_file
from analytics.store import Store
from tests.ingest.conftest import write

PAY = ("employer,pay\n"
       "A,\"$45,000\"\n"      # a year: 45,000 / 2080 = 21.634...
       "B,2000\n"             # a week (50/h)? a month (11.54/h)? a lump sum? no figure
       "C,$22.50\n"           # an hour
       "D,\"₹ 9,000\"\n"       # rupees: not guessed
       "E,$800 per week\n")   # a period given: 800 / 40 = 20


def test_amounts_without_a_period(store: Store, tmp_path: Path) -> None:
    report = import_file(store, write(tmp_path / "pay.csv", PAY))
    assert (report.rows_loaded, report.rows_rejected) == (5, 0)
    rows = store.rows("SELECT employer, pay_period, hourly_pay, pay_note FROM placements ORDER BY 1")
    assert rows == [
        ("A", None, pytest.approx(45000 / 2080), schema.NOTE_ASSUMED_YEAR),
        ("B", None, None, schema.NOTE_NO_PERIOD),
        ("C", None, 22.5, schema.NOTE_ASSUMED_HOUR),
        ("D", None, None, schema.NOTE_NO_PERIOD_CURRENCY),
        ("E", "week", 20.0, None),
    ]
    # The report says so, once per note, with how many amounts it concerns.
    assert f"1 pay amount: {schema.NOTE_NO_PERIOD}." in report.warnings
    assert f"1 pay amount: {schema.NOTE_ASSUMED_YEAR}." in report.warnings
    assert any("Pay period when the file does not say" in w for w in report.warnings)


def test_the_upload_pages_default_period_still_decides(store: Store, tmp_path: Path) -> None:
    mapping = Mapping(columns={"employer": "employer", "pay": "pay_amount"},
                      defaults={"pay_period": "month", "currency": "INR"})
    path = write(tmp_path / "pay.csv", "employer,pay\nB,2000\nE,$800 per week\n")
    import_file(store, path, mapping=mapping)
    rows = store.rows("SELECT employer, pay_period, currency, hourly_pay, pay_note "
                      "FROM placements ORDER BY 1")
    # 2,000 a month = 2000 * 12 / 52 / 40 = 11.538... INR an hour; the week stays a week.
    assert rows == [("B", "month", "INR", pytest.approx(2000 * 12 / 52 / 40), None),
                    ("E", "week", "USD", 20.0, None)]


def test_implausible_hourly_equivalents_are_rejected_with_the_reason(store: Store, tmp_path: Path) -> None:
    text = ("employer,pay,hours_per_week\n"
            "A,\"$90,000 per month\",40\n"  # 90000 * 12 / 52 / 40 = 519.2 an hour: over 500
            "B,$10 per week,40\n"          # 10 / 40 = 0.25 an hour: under 0.5
            "C,$20 per week,40\n"          # 20 / 40 = 0.5 exactly: kept
            "D,$500/hr,40\n")              # 500 exactly: kept
    report = import_file(store, write(tmp_path / "odd.csv", text))
    assert (report.rows_loaded, report.rows_rejected) == (2, 2)
    assert report.rejected_reasons == {
        "pay: pay works out at over 500 an hour in its currency (check the amount and its period)": 1,
        "pay: pay works out at under 0.5 an hour in its currency (check the amount and its period)": 1,
    }
    assert store.rows("SELECT employer, hourly_pay FROM placements ORDER BY 1") == [("C", 0.5), ("D", 500.0)]
