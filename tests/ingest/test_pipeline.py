"""The import as a whole: one transaction, the ledger, the quarantine, duplicates, the same file
twice, undo, dry runs, and the fast (typed) path agreeing with the text path."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from analytics import schema
from analytics.ingest import (
    IngestError,
    Mapping,
    MappingError,
    import_file,
    inspect_file,
    list_batches,
    quarantine_rows,
    rejected_csv,
    undo_batch,
)
from analytics.ingest.load import load_canonical_csv
from analytics.store import Store
from tests.ingest.conftest import REAL, write

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "placements.csv"


def counts(store: Store) -> dict[str, int]:
    return store.table_counts()


def test_the_ledger_records_the_upload(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "two.csv", "Company,Stipend\nAcme,$20/hr\nBeta,abc\n")
    report = import_file(store, path, uploader="ana")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.batch_id) == (2, 1, 1, 1)
    row = list_batches(store).row(0, named=True)
    assert row["file_name"] == "two.csv" and row["uploader"] == "ana"
    assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (row["rows_read"], row["rows_loaded"], row["rows_rejected"], row["rows_duplicate"]) == (2, 1, 1, 0)
    mapping = json.loads(store.scalar("SELECT mapping FROM batches"))
    assert mapping["columns"] == {"Company": "employer", "Stipend": "pay_amount"}
    assert store.scalar("SELECT batch_id FROM placements") == 1
    # The rejected row is kept: its number, column, value, reason and the whole row.
    assert store.rows("SELECT row_number, column_name, value, reason, raw FROM quarantine") == [
        (3, "Stipend", "abc", "not a recognisable amount", '{"Company":"Beta","Stipend":"abc"}')]


def test_the_same_file_again_loads_nothing_and_says_so(store: Store) -> None:
    path = REAL / "abhishek_internships.csv"
    first = import_file(store, path)
    version = store.data_version()
    again = import_file(store, path)
    assert again.already_imported_as == first.batch_id and again.batch_id is None
    assert (again.rows_read, again.rows_loaded, again.rows_rejected, again.rows_duplicate) == (33, 0, 0, 33)
    assert "already imported as batch 1" in again.summary()
    assert counts(store) == {"placements": 32, "batches": 1, "quarantine": 0}
    assert store.data_version() == version  # nothing written


def test_rows_already_stored_are_duplicates_not_loaded_twice(store: Store, tmp_path: Path) -> None:
    import_file(store, write(tmp_path / "a.csv", "placement_id,employer\nP1,Acme\nP2,Beta\n"))
    second = write(tmp_path / "b.csv", "placement_id,employer\nP2,Beta\nP3,Gamma\nP3,Gamma\n")
    report = import_file(store, second)
    assert (report.rows_read, report.rows_loaded, report.rows_duplicate) == (3, 1, 2)
    assert store.rows("SELECT placement_id, batch_id FROM placements ORDER BY 1") == [
        ("P1", 1), ("P2", 1), ("P3", 2)]


def test_undo_removes_exactly_that_batch(store: Store, tmp_path: Path) -> None:
    import_file(store, write(tmp_path / "a.csv", "placement_id,employer\nP1,Acme\nP2,Beta\n"))
    second = import_file(store, write(tmp_path / "b.csv",
                                      "placement_id,employer,pay_amount\nP3,Gamma,1\nP4,Delta,x\n"))
    result = undo_batch(store, second.batch_id or 0)
    assert (result.batch_id, result.file_name, result.rows_removed) == (2, "b.csv", 1)
    assert store.rows("SELECT placement_id FROM placements ORDER BY 1") == [("P1",), ("P2",)]
    ledger = list_batches(store).sort("batch_id")
    assert ledger["state"].to_list() == ["loaded", "undone"]
    assert quarantine_rows(store, 2).height == 1  # the record of what was rejected stays
    with pytest.raises(IngestError, match="already undone"):
        undo_batch(store, 2)
    with pytest.raises(IngestError, match="there is no batch 9"):
        undo_batch(store, 9)


def test_after_undo_the_same_file_can_be_imported_again(store: Store) -> None:
    path = REAL / "njit_sample_data.csv"
    first = import_file(store, path)
    undo_batch(store, first.batch_id or 0)
    again = import_file(store, path)
    assert again.already_imported_as is None and again.batch_id == 2 and again.rows_loaded == 3
    assert store.scalar("SELECT count(*) FROM placements") == 3


def test_a_dry_run_leaves_no_trace(store: Store) -> None:
    version = store.data_version()
    report = import_file(store, REAL / "kinjal_internship.csv", dry_run=True, preview_rows=5)
    assert (report.rows_read, report.rows_loaded, report.batch_id, report.dry_run) == (100, 100, None, True)
    assert counts(store) == {"placements": 0, "batches": 0, "quarantine": 0}
    assert store.data_version() == version
    assert report.preview.height == 5 and report.preview["problems"].to_list() == ["ok"] * 5
    assert report.preview["role"][0] == "COVID Emergency Langar Sewa Delivery Assistance"
    assert report.preview["row_number"].to_list() == [2, 3, 4, 5, 6]


def test_a_dry_run_sees_what_is_already_stored(store: Store, tmp_path: Path) -> None:
    import_file(store, write(tmp_path / "a.csv", "placement_id,employer\nP1,Acme\n"))
    second = write(tmp_path / "b.csv", "placement_id,employer\nP1,Acme\nP2,Beta\n")
    report = import_file(store, second, dry_run=True)
    assert (report.rows_loaded, report.rows_duplicate) == (1, 1)
    assert import_file(store, tmp_path / "a.csv", dry_run=True).already_imported_as == 1


def test_a_failure_mid_import_leaves_the_database_as_it_was(store: Store, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import_file(store, write(tmp_path / "a.csv", "placement_id,employer\nP1,Acme\n"))
    before = counts(store)
    from analytics.ingest import pipeline

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "_quarantine", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(store, write(tmp_path / "b.csv", "placement_id,employer\nP2,Beta\nP3,\n"))
    assert counts(store) == before


def test_rejected_rows_download_is_safe_to_open_in_a_spreadsheet(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", 'employer,role,hours_per_week\n"=cmd()",Data,forty\n'
                 "Acme,-1+1,x\n@Home,Dev,40\n")
    report = import_file(store, path)
    assert report.rows_loaded == 1  # `@Home` is a name, not a formula: it loads as written
    assert store.rows("SELECT employer FROM placements") == [("@Home",)]
    data = rejected_csv(report.rejected).decode()
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["row_number", "problems", "employer", "role", "hours_per_week"]
    assert rows[1] == ["2", "hours_per_week: not a number", "'=cmd()", "Data", "forty"]
    assert rows[2] == ["3", "hours_per_week: not a number", "Acme", "'-1+1", "x"]
    assert rejected_csv(quarantine_rows(store, 1)) == data.encode()


def test_a_saved_mapping_applies_to_the_next_file(store: Store, tmp_path: Path) -> None:
    first = inspect_file(write(tmp_path / "a.csv", "Org,Pay,Notes\nAcme,500,x\n"))
    try:
        assert first.mapping.columns == {"Org": "employer", "Pay": "pay_amount", "Notes": None}
    finally:
        first.close()
    edited = Mapping(columns={"Org": "employer", "Pay": "pay_amount", "Notes": "role"},
                     defaults={"currency": "INR", "pay_period": "month"})
    saved = Mapping.from_json(edited.to_json())
    assert saved == edited
    second = write(tmp_path / "b.csv", "org , PAY,notes\nBeta,700,Intern\n")
    report = import_file(store, second, mapping=saved)
    assert report.mapping.columns == {"org": "employer", "PAY": "pay_amount", "notes": "role"}
    assert store.rows("SELECT employer, role, pay_amount, pay_period, currency FROM placements") == [
        ("Beta", "Intern", 700.0, "month", "INR")]


def test_a_default_fills_only_blanks_and_pay_text_wins(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", "employer,pay,country\nA,$20/hr,\nB,3000,IN\nC,,\n")
    mapping = Mapping(columns={"employer": "employer", "pay": "pay_amount", "country": "country"},
                      defaults={"currency": "INR", "pay_period": "month", "country": "US"})
    import_file(store, path, mapping=mapping)
    query = "SELECT employer, pay_amount, pay_period, currency, country FROM placements ORDER BY 1"
    assert store.rows(query) == [
        ("A", 20.0, "hour", "USD", "US"), ("B", 3000.0, "month", "INR", "IN"), ("C", None, None, None, "US")]


def test_an_unusable_mapping_is_refused_with_the_reason(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", "a,b\n1,2\n")
    with pytest.raises(MappingError, match="both map to 'employer'"):
        import_file(store, path, mapping=Mapping(columns={"a": "employer", "b": "employer"}))
    with pytest.raises(MappingError, match="not a field"):
        Mapping.from_json('{"columns": {"a": "boss"}}')
    with pytest.raises(MappingError, match="'fortnight' is not a valid value"):
        Mapping.from_json('{"columns": {}, "defaults": {"pay_period": "fortnight"}}')
    with pytest.raises(MappingError, match="not valid JSON"):
        Mapping.from_json("{")


def test_student_ids_are_pseudonymised_and_consistent(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", "student_id,employer,role\nS-123,Acme,Dev\nS-123,Beta,QA\n")
    import_file(store, path)
    ids = [r[0] for r in store.rows("SELECT student_id FROM placements")]
    assert ids[0] == ids[1] and "S-123" not in ids[0] and len(ids[0]) == 64
    assert not store.rows("SELECT 1 FROM quarantine")
    # Placement ids are derived from the pseudonymised student, employer, role and term.
    assert all(p.startswith("h") for (p,) in store.rows("SELECT placement_id FROM placements"))


def test_the_sample_loads_through_the_importer_unchanged(store: Store) -> None:
    batch = load_canonical_csv(store, SAMPLE)
    assert batch == 1
    ledger = list_batches(store).row(0, named=True)
    assert (ledger["rows_read"], ledger["rows_loaded"], ledger["rows_rejected"], ledger["uploader"]) == \
        (5000, 5000, 0, "sample")
    with SAMPLE.open() as handle:
        first = next(csv.DictReader(handle))
    row = store.query("SELECT * FROM placements WHERE placement_id = ?",
                      [first["placement_id"]]).row(0, named=True)
    assert row["employer"] == first["employer"]
    assert row["term"] == f"{first['term_season'].title()} {first['term_year']}"
    assert row["pay_amount"] == float(first["pay_amount"]) and row["student_id"] != first["student_id"]
    assert load_canonical_csv(store, SAMPLE) == 1  # already imported: the same batch


def test_typed_fast_path_and_text_path_agree(store: Store, tmp_path: Path) -> None:
    """The first 1,000 rows decide which columns DuckDB reads typed; the same values read as text
    (here: behind a padded copy of each value) must land identically."""
    with SAMPLE.open() as handle:
        rows = list(csv.DictReader(handle))[:1200]
    fast = tmp_path / "fast.csv"
    slow = tmp_path / "slow.csv"
    for path, padding in ((fast, ""), (slow, " ")):
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(schema.INPUT_NAMES))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (f"{padding}{v}{padding}" if v else v) for k, v in row.items()})
    import_file(store, fast)
    other = Store(tmp_path / "other.duckdb")
    (tmp_path / "other.duckdb.key").write_bytes((tmp_path / "ingest.duckdb.key").read_bytes())
    try:
        import_file(other, slow)
        columns = ", ".join(f.name for f in schema.FIELDS if f.name != "batch_id")
        a = store.query(f"SELECT {columns} FROM placements ORDER BY placement_id")
        b = other.query(f"SELECT {columns} FROM placements ORDER BY placement_id")
        assert a.height == 1200 and a.equals(b)
    finally:
        other.close()


def test_a_typed_parquet_file_lands_as_the_same_values_written_as_text(store: Store,
                                                                     tmp_path: Path) -> None:
    """A Parquet file whose columns hold the fields' own types is read as it is, not written out
    as text and parsed back: the result must be what the text path gives for the same values,
    rows rejected included (here: hours of 90, a NaN pay as pandas writes a missing one, a
    float32 column)."""
    import polars as pl

    types = {"DOUBLE": pl.Float64, "INTEGER": pl.Int32, "DATE": pl.Date, "BOOLEAN": pl.Boolean}
    text = pl.read_csv(SAMPLE, infer_schema_length=0).head(300)
    typed = pl.read_csv(SAMPLE, n_rows=300, schema_overrides={
        f.name: types[f.sql_type] for f in schema.INPUT_FIELDS if f.sql_type in types})
    typed = typed.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(90.0).otherwise(pl.col("hours_per_week"))
        .alias("hours_per_week"),
        pl.when(pl.int_range(pl.len()) == 5).then(float("nan")).otherwise(pl.col("pay_amount"))
        .alias("pay_amount"),
        pl.col("duration_weeks").cast(pl.Float32))
    assert typed["pay_amount"][5] != typed["pay_amount"][5]  # NaN, not null
    # The same cells as text: what each typed value reads as when written out (NaN as `nan`).
    as_text = typed.with_columns(pl.all().cast(pl.String))
    assert as_text["pay_amount"][5] == "NaN" or as_text["pay_amount"][5].lower() == "nan"
    typed.write_parquet(tmp_path / "typed.parquet")
    as_text.write_parquet(tmp_path / "text.parquet")
    fast = import_file(store, tmp_path / "typed.parquet")
    other = Store(tmp_path / "other.duckdb")
    (tmp_path / "other.duckdb.key").write_bytes((tmp_path / "ingest.duckdb.key").read_bytes())
    try:
        slow = import_file(other, tmp_path / "text.parquet")
        assert (fast.rows_loaded, fast.rows_rejected) == (slow.rows_loaded, slow.rows_rejected) == (299, 1)
        assert fast.rejected_reasons == slow.rejected_reasons
        columns = ", ".join(f.name for f in schema.FIELDS if f.name not in ("batch_id", "record_key"))
        a = store.query(f"SELECT {columns} FROM placements ORDER BY placement_id")
        b = other.query(f"SELECT {columns} FROM placements ORDER BY placement_id")
        assert a.height == 299 and a.equals(b)
        nan_row = text["placement_id"][5]
        assert store.scalar("SELECT pay_amount FROM placements WHERE placement_id = ?", [nan_row]) is None
    finally:
        other.close()


def test_rows_the_shortcut_cannot_take_land_as_the_full_parsers_leave_them(store: Store,
                                                                           tmp_path: Path) -> None:
    """Most cells are canonical and loaded as written; scattered ones are not (padding, synonyms,
    placeholders, a remote city, a padded student id, the same odd value on several rows). The
    result must be what the full parsers give for every row: here, the same file with every
    cell padded, which sends every row through them."""
    with SAMPLE.open() as handle:
        rows = list(csv.DictReader(handle))[:1200]
    for i, row in enumerate(rows):
        if i % 7 == 0:
            row["employer"] = f"  {row['employer']}"
        if i % 11 == 0:
            row["degree_level"] = {"bachelor": "BS", "master": "Masters"}.get(row["degree_level"],
                                                                          row["degree_level"])
        if i % 13 == 0:
            row["student_id"] = f"{row['student_id']} "
        if i % 17 == 0:
            row["city"] = "Remote"
        if i % 19 == 0:
            row["role"] = "n/a"
        if i % 23 == 0:
            row["work_mode"] = "On-Site"
        if i == 500:
            row["employer"] = "N/A"  # no employer: rejected either way
    mixed, padded = tmp_path / "mixed.csv", tmp_path / "padded.csv"
    for path, padding in ((mixed, ""), (padded, " ")):
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(schema.INPUT_NAMES))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: (f"{padding}{v}{padding}" if v else v) for k, v in row.items()})
    report = import_file(store, mixed)
    other = Store(tmp_path / "other.duckdb")
    (tmp_path / "other.duckdb.key").write_bytes((tmp_path / "ingest.duckdb.key").read_bytes())
    try:
        full = import_file(other, padded)
        assert (report.rows_loaded, report.rows_rejected) == (full.rows_loaded, full.rows_rejected)
        assert report.rows_rejected == 1 and report.rows_loaded + report.rows_duplicate == 1199
        columns = ", ".join(f.name for f in schema.FIELDS if f.name != "batch_id")
        a = store.query(f"SELECT {columns} FROM placements ORDER BY placement_id")
        b = other.query(f"SELECT {columns} FROM placements ORDER BY placement_id")
        assert a.equals(b)
        # The odd values were parsed, not loaded as written.
        remote = a.filter(a["city"].is_null() & (a["work_mode"] == "remote")).height
        assert remote >= 1200 // 17 - 1
        assert set(a["degree_level"].drop_nulls()) <= set(schema.DEGREE_LEVELS)
        assert not a["employer"].str.starts_with(" ").any() and "n/a" not in set(a["role"])
    finally:
        other.close()


def test_the_low_level_loader_and_the_importer_store_the_same_rows(store: Store, tmp_path: Path) -> None:
    """Benchmarks and fixtures load with insert_placements; an upload of the same file must give
    the same rows, pseudonyms and derived fields included."""
    from analytics.ingest.load import canonical_csv_source, insert_placements, new_batch, pseudonym_key

    other = Store(tmp_path / "low.duckdb")
    (tmp_path / "low.duckdb.key").write_bytes(pseudonym_key(store))
    try:
        source, params = canonical_csv_source(SAMPLE)
        with other.transaction() as cur:
            batch = new_batch(cur, file_name="s.csv", sha256=None, uploader=None, mapping_json=None)
            assert insert_placements(cur, source, batch, pseudonym_key(other), params) == 5000
        import_file(store, SAMPLE)
        columns = ", ".join(f.name for f in schema.FIELDS if f.name != "batch_id")
        low = other.query(f"SELECT {columns} FROM placements ORDER BY placement_id")
        imported = store.query(f"SELECT {columns} FROM placements ORDER BY placement_id")
        assert low.equals(imported)
    finally:
        other.close()


def test_a_windows_1252_byte_after_the_first_megabyte_rereads_the_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    lines = ["employer,role"] + [f"Employer {i},Role {i}" for i in range(60_000)] + ["Caf\xe9 Ltd,Chef"]
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    assert path.stat().st_size > 1 << 20  # beyond what the sniffer reads
    report = import_file(store, path)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (60_001, 60_001, 0)
    assert "cp1252" in report.source
    assert store.scalar("SELECT employer FROM placements WHERE role = 'Chef'") == "Café Ltd"


def test_pseudonyms_are_standard_hmac_sha256(store: Store, tmp_path: Path) -> None:
    import hmac

    from analytics.ingest.load import pseudonym_key

    import_file(store, write(tmp_path / "f.csv", "student_id,employer,university\n  S-42 ,Acme,\n"
                             "S-43,Acme, State U \n"))
    key = pseudonym_key(store)
    # The message is the university (trimmed, lower case), U+001F, then the trimmed id.
    expected = {hmac.new(key, b"\x1fS-42", "sha256").hexdigest(),
                hmac.new(key, b"state u\x1fS-43", "sha256").hexdigest()}
    assert {r[0] for r in store.rows("SELECT student_id FROM placements")} == expected


def test_the_shortcut_is_taken_only_when_most_sample_rows_are_canonical() -> None:
    """Either way the rows are the same (tests above); this is only about not loading most rows
    twice: a file whose cells mostly need cleaning goes through the full parsers at once."""
    from analytics.ingest.stage import shortcut_pays

    columns = ["employer", "degree_level", "city"]
    mapping = Mapping(columns={c: c for c in columns})
    canonical: list[str | None] = ["Acme", "bachelor", "Boston"]
    blank_city: list[str | None] = ["Acme", "bachelor", None]
    padded: list[str | None] = ["Acme ", "bachelor", "Boston"]
    odd: list[str | None] = [" Acme", "BS", "Remote"]
    clean = [canonical] * 8 + [odd] * 2
    messy = [blank_city] * 4 + [padded] * 6
    assert shortcut_pays(columns, mapping, clean)
    assert not shortcut_pays(columns, mapping, messy)
    assert shortcut_pays(columns, mapping, [])  # nothing to go by


def test_of_rows_repeating_an_id_the_first_in_the_file_is_kept_in_a_large_file(
        store: Store, tmp_path: Path) -> None:
    # Large enough to be read in many chunks by both threads, which finish in any order: the
    # load does not keep the file's order, so the first of two rows must be told another way.
    rows = 300_000
    lines = ["placement_id,employer"] + [f"P{i},Employer {i % 50}" for i in range(rows)]
    lines.insert(rows, "P7,Last Inc")  # P7 again, near the end, under another employer
    lines.insert(3, "P250000,Early Ltd")  # P250000 first near the top, again in its place
    path = write(tmp_path / "big.csv", "\n".join(lines) + "\n")
    report = import_file(store, path)
    assert (report.rows_read, report.rows_loaded, report.rows_duplicate) == (rows + 2, rows, 2)
    assert store.rows("SELECT placement_id, employer FROM placements "
                      "WHERE placement_id IN ('P7', 'P250000') ORDER BY 1") == [
        ("P250000", "Early Ltd"), ("P7", "Employer 7")]


def test_a_parquet_columns_own_type_is_kept_only_where_it_converts_without_loss() -> None:
    from analytics.ingest import mapping as M
    from analytics.ingest import stage

    columns = ["term_year", "start_date", "hours_per_week", "paid", "pay_amount", "employer"]
    mapping = M.resolve(columns)
    found = stage.parquet_typed_columns(
        columns, ["BIGINT", "DATE", "FLOAT", "BOOLEAN", "VARCHAR", "VARCHAR"], mapping)
    # A BIGINT year could overflow INTEGER and text goes through the parsers: both read as text.
    assert found == {1: "DATE", 2: "DOUBLE", 3: "BOOLEAN"}
