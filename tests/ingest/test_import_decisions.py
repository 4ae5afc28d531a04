"""Import decisions (issue 12, and "nothing raw leaves the import" of issue 11): real names are
data, a mis-mapped column is a mapping mistake, students are pseudonymised per university under
one recorded key, and no raw student id reaches the database or a rejected-rows download."""

from __future__ import annotations

import csv
import hmac
import io
import shutil
from pathlib import Path

import polars as pl
import pytest

from analytics import export
from analytics import store as store_module
from analytics.cli import main
from analytics.export import Column
from analytics.ingest import IngestError, Mapping, import_file, quarantine_rows, rejected_csv
from analytics.ingest.load import pseudonym_key
from analytics.store import Store
from tests.ingest.conftest import write

Capture = pytest.CaptureFixture[str]


# -- real names are data ----------------------------------------------------------------------------
REAL_NAMES = ("@Home Networks", "-Minus Co", "+Plus Inc", "=Ideas Ltd", "<b>Bold</b> Corp")


def test_real_names_are_stored_as_written_and_defanged_on_export(store: Store, tmp_path: Path) -> None:
    body = "".join(f"{name},Intern\n" for name in REAL_NAMES)
    report = import_file(store, write(tmp_path / "names.csv", "employer,role\n" + body))
    assert (report.rows_loaded, report.rows_rejected) == (5, 0)
    stored = [r[0] for r in store.rows("SELECT employer FROM placements ORDER BY employer")]
    assert stored == sorted(REAL_NAMES)
    # The export is where a formula would bite: every cell that starts like one gets an apostrophe.
    frame = store.query("SELECT employer, count(*) AS n FROM placements GROUP BY 1 ORDER BY 1")
    table = export.present(frame, [Column("employer", "Employer", "text"), Column("n", "N", "count")],
                           min_cell=1)
    rows = list(csv.reader(io.StringIO(export.to_csv(table).decode("utf-8-sig"))))
    written = sorted(row[0] for row in rows[1:])
    assert written == sorted(["'@Home Networks", "'-Minus Co", "'+Plus Inc", "'=Ideas Ltd",
                              "<b>Bold</b> Corp"])


def test_control_characters_are_still_rejected(store: Store, tmp_path: Path) -> None:
    report = import_file(store, write(tmp_path / "c.csv", "employer\nAc\x07me\nBeta\n"))
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert report.rejected_reasons == {"employer: contains control characters": 1}


# -- a mis-mapped column ----------------------------------------------------------------------------
START_YEAR = "Company,Start Year\nAcme,2022\nBeta,2023\n"


def test_a_column_whose_values_all_fail_is_set_aside_with_a_proposal(store: Store, tmp_path: Path) -> None:
    report = import_file(store, write(tmp_path / "y.csv", START_YEAR))
    # Suggested from the header as start_date (two values are too few to overrule it) ...
    assert [(p.column, p.mapped, p.failing, p.present, p.proposed) for p in report.mapping_proposals] \
        == [("Start Year", "start_date", 2, 2, "term_year")]
    # ... and instead of two rows rejected "not a valid date", both load without it.
    assert (report.rows_loaded, report.rows_rejected) == (2, 0)
    assert report.mapping.columns["Start Year"] is None
    assert store.rows("SELECT employer, start_date, term_year FROM placements ORDER BY 1") == [
        ("Acme", None, None), ("Beta", None, None)]
    assert any("they read as term_year" in w for w in report.warnings)


def test_the_proposed_field_takes_the_values(store: Store, tmp_path: Path) -> None:
    mapping = Mapping(columns={"Company": "employer", "Start Year": "term_year"})
    report = import_file(store, write(tmp_path / "y.csv", START_YEAR), mapping=mapping)
    assert report.mapping_proposals == []
    assert store.rows("SELECT employer, term_year FROM placements ORDER BY 1") == [
        ("Acme", 2022), ("Beta", 2023)]


def test_a_saved_mapping_gets_the_same_check(store: Store, tmp_path: Path) -> None:
    text = "Org,Paid?\n" + "".join(f"E{i},{'yes' if i % 2 else 'no'}\n" for i in range(10))
    mapping = Mapping(columns={"Org": "employer", "Paid?": "start_date"})
    report = import_file(store, write(tmp_path / "p.csv", text), mapping=mapping)
    assert [(p.column, p.proposed) for p in report.mapping_proposals] == [("Paid?", "paid")]
    assert report.rows_rejected == 0 and report.rows_loaded == 10


def test_a_few_bad_values_are_bad_rows_not_a_mapping_mistake(store: Store, tmp_path: Path) -> None:
    # 1 of 10 values fails (10%): that row is rejected, the column stays mapped.
    text = "employer,start_date\n" + "".join(f"E{i},2024-06-{i + 1:02d}\n" for i in range(9)) + "E9,2023\n"
    report = import_file(store, write(tmp_path / "d.csv", text))
    assert report.mapping_proposals == []
    assert (report.rows_loaded, report.rows_rejected) == (9, 1)


def test_with_no_field_that_fits_the_rows_are_rejected_and_the_mapping_questioned(
        store: Store, tmp_path: Path) -> None:
    mapping = Mapping(columns={"employer": "employer", "when": "start_date"})
    report = import_file(store, write(tmp_path / "w.csv", "employer,when\nA,soonish\nB,later on\n"),
                         mapping=mapping)
    assert [(p.column, p.proposed) for p in report.mapping_proposals] == [("when", None)]
    assert (report.rows_loaded, report.rows_rejected) == (0, 2)
    assert any("check the mapping" in w for w in report.warnings)


def test_the_cli_report_names_the_mistake_and_the_fix(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path / "y.csv", START_YEAR)
    code = main(["ingest", str(path), "--db", str(tmp_path / "cli.duckdb")])
    store_module.close_all()
    out = capsys.readouterr().out
    assert code == 0
    assert "read 2 rows, loaded 2 as batch 1, rejected 0" in out
    assert ("mapping mistake: Column 'Start Year' is mapped to start_date, but 2 of its 2 values "
            "checked are not a valid start date; they read as term_year.") in out
    assert 'fix: save the mapping with "Start Year": "term_year"' in out


# -- students at two universities; the key's fingerprint ---------------------------------------------
def test_the_same_id_at_two_universities_is_two_students(store: Store, tmp_path: Path) -> None:
    text = "student_id,university,employer\n12345,North U,Acme\n12345,South U,Acme\n12345, north u ,Beta\n"
    import_file(store, write(tmp_path / "u.csv", text))
    key = pseudonym_key(store)
    north = hmac.new(key, b"north u\x1f12345", "sha256").hexdigest()
    south = hmac.new(key, b"south u\x1f12345", "sha256").hexdigest()
    assert store.rows("SELECT employer, student_id FROM placements ORDER BY employer, university") == [
        ("Acme", north), ("Acme", south), ("Beta", north)]
    assert store.scalar("SELECT count(DISTINCT student_id) FROM placements") == 2


def test_the_database_records_the_key_fingerprint(store: Store, tmp_path: Path) -> None:
    import_file(store, write(tmp_path / "a.csv", "student_id,employer\nS1,Acme\n"))
    key = (tmp_path / "ingest.duckdb.key").read_bytes()
    expected = hmac.new(key, b"internships pseudonym key fingerprint v1", "sha256").hexdigest()[:16]
    assert store.rows("SELECT fingerprint FROM pseudonym_key") == [(expected,)]
    # A dry run records nothing; a second import keeps the one fingerprint.
    import_file(store, write(tmp_path / "b.csv", "student_id,employer\nS2,Beta\n"))
    assert store.rows("SELECT fingerprint FROM pseudonym_key") == [(expected,)]


def test_a_database_copied_without_its_key_is_refused(tmp_path: Path, capsys: Capture) -> None:
    first = tmp_path / "first.duckdb"
    original = Store(first)
    import_file(original, write(tmp_path / "a.csv", "student_id,employer\nS1,Acme\n"))
    original.close()
    copy = tmp_path / "copy" / "first.duckdb"
    copy.parent.mkdir()
    shutil.copy(first, copy)  # the key file (first.duckdb.key) stays behind
    later = write(tmp_path / "b.csv", "student_id,employer\nS1,Beta\n")
    copied = Store(copy)
    try:
        with pytest.raises(IngestError, match="not the key this database's student ids were made with"):
            import_file(copied, later)
        assert copied.table_counts()["placements"] == 1  # nothing loaded, nothing re-keyed
    finally:
        copied.close()
    code = main(["ingest", str(later), "--db", str(copy)])
    store_module.close_all()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("internships ingest: b.csv: not imported: the pseudonym key (")
    # With its key file back, the import goes through and S1 is the same student as before.
    shutil.copy(f"{first}.key", f"{copy}.key")
    assert main(["ingest", str(later), "--db", str(copy)]) == 0
    store_module.close_all()
    check = Store(copy)
    try:
        assert check.scalar("SELECT count(DISTINCT student_id) FROM placements") == 1
    finally:
        check.close()


# -- nothing raw leaves the import ------------------------------------------------------------------
RAW_IDS = ("RAWID-0001", "RAWID-0002", "RAWID-0003", "RAWID-0004", "RAWID-0005")


def _every_text_value(store: Store) -> list[str]:
    values: list[str] = []
    tables = store.rows("SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE data_type = 'VARCHAR' AND table_schema = 'main'")
    assert {t for t, _c in tables} >= {"placements", "quarantine", "batches", "pseudonym_key"}
    for table, column in tables:
        values += [str(v) for (v,) in store.rows(f'SELECT "{column}" FROM "{table}" '
                                                 f'WHERE "{column}" IS NOT NULL')]
    return values


def test_no_raw_student_id_in_the_database_or_the_downloads(tmp_path: Path, capsys: Capture) -> None:
    text = (
        "student_id,university,employer,hours_per_week\n"
        "RAWID-0001,North U,Acme,40\n"              # loads
        "RAWID-0002,North U,Acme,forty\n"           # rejected: hours not a number
        "RAWID-0003,North U,,40\n"                  # rejected: employer missing
        '"RAWID-0004\x07",North U,Beta,40\n'        # rejected: the id itself is bad
        "RAWID-0005,North U,Gamma,40,extra,cells\n"  # rejected: does not split into columns
    )
    path = write(tmp_path / "ids.csv", text)
    db = tmp_path / "ids.duckdb"
    assert main(["ingest", str(path), "--db", str(db)]) == 1
    assert main(["rejected", "1", "--db", str(db), "--out", str(tmp_path / "rejected.csv")]) == 0
    assert main(["rejected", "1", "--db", str(db)]) == 0
    cli_download = capsys.readouterr().out
    store_module.close_all()
    store = Store(db)
    try:
        assert store.table_counts()["quarantine"] >= 4
        report = import_file(store, path, dry_run=True)  # the Upload page's check
        page_download = rejected_csv(report.rejected).decode()
        history_download = rejected_csv(quarantine_rows(store, 1)).decode()
        everything = [*_every_text_value(store), page_download, history_download, cli_download,
                      (tmp_path / "rejected.csv").read_text(), str(report.rejected.to_dicts()),
                      str(report.preview.to_dicts())]
    finally:
        store.close()
    leaks = sorted({raw for raw in RAW_IDS for value in everything if raw in value})
    assert leaks == []
    # The rejected rows still say which rows failed and why, with the pseudonym in the id column.
    rows = list(csv.DictReader(io.StringIO(history_download)))
    assert [r["row_number"] for r in rows] == ["3", "4", "5", "6"]
    key = (tmp_path / "ids.duckdb.key").read_bytes()
    assert rows[0]["student_id"] == hmac.new(key, b"north u\x1fRAWID-0002", "sha256").hexdigest()


def test_the_search_would_find_a_raw_id(store: Store) -> None:
    """The leak search itself can fail: a raw id written to the quarantine is found."""
    store.cursor().execute("INSERT INTO quarantine (batch_id, row_number, reason, raw) "
                           "VALUES (1, 2, 'x', '{\"student_id\": \"RAWID-0001\"}')")
    assert any("RAWID-0001" in v for v in _every_text_value(store))


def test_rejected_rows_without_student_ids_keep_their_text(store: Store, tmp_path: Path) -> None:
    report = import_file(store, write(tmp_path / "r.csv", "employer,role\nAcme,Dev\nBeta,QA,extra\n"))
    frame = quarantine_rows(store, report.batch_id or 0)
    assert frame.filter(pl.col("column").is_null())["value"].to_list() == ["Beta,QA,extra"]
