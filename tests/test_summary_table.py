"""summary_table carries the median hourly pay its contract promises (the Data page shows it)."""

from __future__ import annotations

import csv
from pathlib import Path

from analytics import metrics, schema
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.ingest.load import load_canonical_csv
from analytics.store import Store


def test_summary_table_has_median_hourly_pay(empty_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "pay.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(schema.INPUT_NAMES))
        writer.writeheader()
        # 11 paid placements in Summer 2024 at 10, 11, ..., 20 USD an hour: the median is 15.
        for i in range(11):
            row = dict.fromkeys(schema.INPUT_NAMES, "")
            row.update({"placement_id": f"P{i}", "student_id": f"S{i}", "employer": "Acme",
                        "term_season": "summer", "term_year": "2024", "paid": "true",
                        "pay_amount": str(10 + i), "pay_period": "hour", "currency": "USD",
                        "duration_weeks": "10", "status": "completed"})
            writer.writerow(row)
    load_canonical_csv(empty_store, path)
    table = metrics.summary_table(empty_store, ADMIN, by=("term",))
    assert table["term"].to_list() == ["Summer 2024"]
    assert table["n"].to_list() == [11]
    assert table["median_hourly_pay"].to_list() == [15.0]
    assert table["median_weeks"].to_list() == [10.0]
