"""Eligibility decided per upload at import (issue 12): the same interns are eligible in every
view, a recent graduate is eligible, and missing data shows as coverage, not as a privacy rule;
and a collapsed shrinkage gives no rank."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import metrics, stats
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.filters import Filter
from analytics.ingest import import_file
from analytics.store import Store
from tests.test_metrics import cohort, make_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    db = Store(tmp_path / "eligibility.duckdb")
    yield db
    db.close()


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _two_universities(store: Store, tmp_path: Path) -> None:
    # U1 records the final year: 70 final-year completed interns (35 accepted an offer) and 30
    # who are not in their final year. U2's file has no final-year column: 20 completed (8
    # accepted), so every completed internship there counts.
    u1 = [f"A{i},U1,Acme,completed,{'yes' if i < 70 else 'no'},{'yes' if i < 35 else 'no'}"
          for i in range(100)]
    u2 = [f"B{i},U2,Acme,completed,{'yes' if i < 8 else 'no'}" for i in range(20)]
    import_file(store, _csv(tmp_path / "u1.csv", "student_id,university,employer,status,final_year,"
                            "offer_accepted", u1))
    import_file(store, _csv(tmp_path / "u2.csv", "student_id,university,employer,status,offer_accepted", u2))


def test_the_basis_is_stored_per_upload(store: Store, tmp_path: Path) -> None:
    _two_universities(store, tmp_path)
    assert store.rows("SELECT file_name, eligibility_basis FROM batches ORDER BY batch_id") == [
        ("u1.csv", "final_year"), ("u2.csv", "completed")]


def test_grouping_does_not_change_who_is_eligible(store: Store, tmp_path: Path) -> None:
    _two_universities(store, tmp_path)
    alone = metrics.overview(store, ADMIN, Filter(universities=("U2",))).row(0, named=True)
    assert (alone["eligible"], alone["accepted"]) == (20, 8)
    grouped = {r["group"]: r for r in metrics.conversion_by(store, ADMIN, "university").iter_rows(named=True)}
    assert (grouped["U2"]["n"], grouped["U2"]["accepted"]) == (20, 8)
    assert (grouped["U1"]["n"], grouped["U1"]["accepted"]) == (70, 35)
    both = metrics.overview(store, ADMIN).row(0, named=True)
    assert (both["eligible"], both["accepted"]) == (90, 43)
    assert both["conversion_rate"] == pytest.approx(43 / 90)
    assert both["eligibility_basis"] == "mixed"
    assert both["eligibility_coverage"] == 1.0  # every row's eligibility can be told


def test_a_file_without_status_has_unknown_eligibility_and_says_so(store: Store, tmp_path: Path) -> None:
    rows = [f"C{i},U3,Acme,{'yes' if i < 5 else 'no'}" for i in range(30)]
    report = import_file(store, _csv(tmp_path / "u3.csv", "student_id,university,employer,offer_accepted",
                                     rows))
    assert report.eligibility_basis == "unknown"
    got = metrics.overview(store, ADMIN).row(0, named=True)
    assert got["eligibility_basis"] == "unknown"
    assert got["eligibility_known"] == 0 and got["eligibility_coverage"] == 0.0
    assert got["conversion_suppressed"] is True
    # Added to U1 and U2: 120 of 150 placements have a known eligibility (80%).
    _two_universities(store, tmp_path)
    got = metrics.overview(store, ADMIN).row(0, named=True)
    assert (got["eligible"], got["eligibility_known"]) == (90, 120)
    assert got["eligibility_coverage"] == pytest.approx(120 / 150)


def test_a_recent_graduate_is_eligible(store: Store, tmp_path: Path) -> None:
    # 12 completed recent graduates (all accepted), 12 completed students (accepted too, but not
    # graduating: not eligible), 12 recent graduates still interning (not completed).
    rows = ([f"D{i},Acme,completed,recent_graduate,yes" for i in range(12)]
            + [f"E{i},Acme,completed,student,yes" for i in range(12)]
            + [f"F{i},Acme,in_progress,recent_graduate,no" for i in range(12)])
    path = _csv(tmp_path / "s.csv", "student_id,employer,status,student_status,offer_accepted", rows)
    report = import_file(store, path)
    assert report.rows_loaded == 36
    assert report.eligibility_basis == "final_year"
    got = metrics.overview(store, ADMIN).row(0, named=True)
    assert (got["eligible"], got["accepted"]) == (12, 12)


def test_the_cli_and_upload_report_say_the_basis(store: Store, tmp_path: Path) -> None:
    from analytics.ingest.pipeline import ELIGIBILITY_BASES

    report = import_file(store, _csv(tmp_path / "x.csv", "employer,status", ["Acme,completed"]), dry_run=True)
    assert report.eligibility_basis == "completed"
    assert report.to_json()["eligibility_basis"] == "completed"
    assert "every completed internship counts" in ELIGIBILITY_BASES["completed"]


# -- a collapsed shrinkage gives no rank ------------------------------------------------------------
def test_employers_that_vary_no_more_than_chance_get_no_rank(tmp_path: Path) -> None:
    # 10 of 20 and 11 of 20 against 21/40: Q = 2 * 20 * 0.025^2 = 0.025 < (k - 1) mu(1 - mu) = 0.249
    rows = [*cohort(20, offers=10, accepted=10, employer="Alpha"),
            *cohort(20, offers=11, accepted=11, employer="Bravo")]
    store = make_store(tmp_path / "flat.duckdb", rows)
    try:
        got = metrics.employer_comparison(store, ADMIN)
        assert got["rank"].to_list() == [None, None]
        assert got["shrunk_conversion"].to_list() == pytest.approx([21 / 40, 21 / 40])
        basis = metrics.comparison_basis(store, ADMIN).row(0, named=True)
        assert basis["ranked"] is False and basis["tau2"] == 0.0
        assert basis["no_rank_reason"] == stats.NO_RANK_COLLAPSED
        # Asked for overdispersed limits with tau2 = 0: they are the normal ones, and say so.
        wide = metrics.comparison_basis(store, ADMIN, limits="overdispersed").row(0, named=True)
        assert wide["limits"] == "overdispersed" and wide["tau2"] == 0.0
    finally:
        store.close()
