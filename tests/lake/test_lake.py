"""The lake store (DuckLake on PostgreSQL + Parquet) as its users meet it: replicas that see each
other's uploads and undos without a restart, imports that run at the same time, an import killed
mid-load, a copy of an embedded database, and a bucket instead of a directory.

Every lake here is a fresh PostgreSQL database on the session's server (see tests/conftest.py)
with its data in a temporary directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from analytics import access, metrics, sample
from analytics.access import LOCAL_ADMIN as ADMIN
from analytics.cli import main as cli_main
from analytics.ingest import import_file, quarantine_rows, undo_batch
from analytics.ingest.load import KEY_ENV_VAR, load_canonical_csv
from analytics.ingest.pipeline import PAUSE_ENV_VAR
from analytics.store import DATA_ENV_VAR, LakeStore, Store, StoreError, postgres_conninfo
from analytics.store.lake import lake_ddl
from tests.conftest import REPO, SAMPLE_CSV
from tests.lake.battery import assert_same_answers, every_metric

REAL = REPO / "tests" / "data" / "real"
MESSY = REAL / "njit_sample_data.csv"  # 7 rows, 4 of which the importer rejects (a quarantine)

NewLake = Callable[[], tuple[str, Path]]


def generated(path: Path, rows: int, seed: int, prefix: str) -> Path:
    """A generated file whose placement ids start with `prefix` (so two files never overlap)."""
    raw = path.with_suffix(".raw.csv")
    sample.write(rows, raw, seed=seed)
    frame = pl.read_csv(raw, infer_schema=False)
    frame.with_columns((pl.lit(prefix) + pl.col("placement_id")).alias("placement_id")).write_csv(path)
    raw.unlink()
    return path


def ledger_is_consistent(store: Store) -> None:
    """Rows read = loaded + rejected + duplicate for every batch; a live batch's placements are
    exactly its rows_loaded; an undone one has none; no placement is stored twice."""
    rows = store.rows(
        "SELECT b.batch_id, b.rows_read, b.rows_loaded, b.rows_rejected, b.rows_duplicate, "
        "b.undone_at IS NOT NULL, (SELECT count(*) FROM placements p WHERE p.batch_id = b.batch_id) "
        "FROM batches b ORDER BY b.batch_id"
    )
    for batch, read, loaded, rejected, duplicate, undone, stored in rows:
        assert read == loaded + rejected + duplicate, batch
        assert stored == (0 if undone else loaded), batch
    assert store.scalar("SELECT count(*) - count(DISTINCT placement_id) FROM placements") == 0


def test_the_lake_url_is_read_in_both_spellings() -> None:
    url = "ducklake:postgresql://ana:s3cr%27t@db.example.org:6543/outcomes"
    expected = "dbname=outcomes host=db.example.org port=6543 user=ana password='s3cr\\'t'"
    assert postgres_conninfo(url) == expected
    # A URL that went through pathlib (as --db and $INTERNSHIPS_DB do) has lost a slash.
    assert postgres_conninfo(str(Path(url))) == expected
    assert postgres_conninfo("ducklake:postgres:dbname=x host=h") == "dbname=x host=h"
    with pytest.raises(StoreError, match="names no database"):
        postgres_conninfo("ducklake:postgresql://ana:pw@host")
    with pytest.raises(StoreError) as error:
        postgres_conninfo("ducklake:mysql://ana:pw@host/db")
    assert "pw" not in str(error.value)


def test_migrations_are_adapted_to_what_ducklake_takes() -> None:
    assert lake_ddl("CREATE TABLE t (id BIGINT PRIMARY KEY, x VARCHAR NOT NULL DEFAULT 'a')") == [
        "CREATE TABLE t (id BIGINT, x VARCHAR NOT NULL DEFAULT 'a')"]
    assert lake_ddl("CREATE SEQUENCE IF NOT EXISTS ids START 1") == []
    assert lake_ddl("ALTER TABLE p ADD COLUMN IF NOT EXISTS k INTEGER DEFAULT CAST(random() AS INTEGER)") == [
        "ALTER TABLE p ADD COLUMN IF NOT EXISTS k INTEGER",
        "UPDATE p SET k = CAST(random() AS INTEGER) WHERE k IS NULL"]
    assert lake_ddl("ALTER TABLE p ADD COLUMN n INTEGER DEFAULT 0") == [
        "ALTER TABLE p ADD COLUMN n INTEGER DEFAULT 0"]


def test_a_replica_sees_another_replicas_upload_and_undo_without_a_restart(new_lake: NewLake) -> None:
    url, data = new_lake()
    first = LakeStore(url, data_path=str(data))
    second = LakeStore(url)  # the data path is the lake's own: later replicas need not repeat it
    try:
        seen_empty = second.data_version()
        assert metrics.overview(second, ADMIN, min_cell=0)["placements"][0] == 0
        sample_batch = load_canonical_csv(first, SAMPLE_CSV)
        assert second.data_version() != seen_empty
        assert metrics.overview(second, ADMIN, min_cell=0)["placements"][0] == 5000

        report = import_file(second, MESSY)  # an upload on the other replica
        assert report.rows_loaded > 0 and report.rows_rejected > 0
        assert report.batch_id != sample_batch
        assert metrics.overview(first, ADMIN, min_cell=0)["placements"][0] == 5000 + report.rows_loaded
        assert first.scalar("SELECT count(*) FROM quarantine WHERE batch_id = ?",
                            [report.batch_id]) > 0

        undone = undo_batch(second, sample_batch)
        assert undone.rows_removed == 5000
        assert metrics.overview(first, ADMIN, min_cell=0)["placements"][0] == report.rows_loaded
        assert first.rows("SELECT batch_id FROM batches WHERE undone_at IS NOT NULL") == [(sample_batch,)]
        assert_same_answers(every_metric(first), every_metric(second))
        ledger_is_consistent(first)
        # Every row got its disclosure cell key although the lake has no expression defaults.
        keys = first.rows("SELECT count(*) FILTER (WHERE record_key IS NULL), min(record_key), "
                          "max(record_key), count(DISTINCT record_key) FROM placements")
        assert keys[0][0] == 0 and keys[0][1] >= 0 and keys[0][2] <= 255 and keys[0][3] > 1
    finally:
        first.close()
        second.close()


def test_a_replicas_script_run_sees_one_state_and_its_next_run_sees_new_uploads(new_lake: NewLake) -> None:
    url, data = new_lake()
    uploader = LakeStore(url, data_path=str(data))
    replica = LakeStore(url)
    try:
        sample_batch = load_canonical_csv(uploader, SAMPLE_CSV)
        with replica.one_data_version() as version:
            assert metrics.overview(replica, ADMIN, min_cell=0)["placements"][0] == 5000
            report = import_file(uploader, MESSY)  # committed while the replica's run goes on
            # The run keeps one version: its answers all come from the same data.
            assert replica.data_version() == version
            assert metrics.overview(replica, ADMIN, min_cell=0)["placements"][0] == 5000
        with replica.one_data_version() as next_version:  # the replica's next script run
            assert next_version != version
            assert metrics.overview(replica, ADMIN, min_cell=0)["placements"][0] == 5000 + report.rows_loaded
            # A query the lake's views cannot answer (quarantine is read in rowid order) still
            # gets its answer, the same as the uploader's.
            assert report.batch_id is not None
            rejected = quarantine_rows(replica, report.batch_id)
            assert rejected.height > 0
            assert rejected.equals(quarantine_rows(uploader, report.batch_id))
            # An undo in this run, on this replica: it sees its own write at once.
            assert undo_batch(replica, sample_batch).rows_removed == 5000
            assert replica.data_version() != next_version
            assert metrics.overview(replica, ADMIN, min_cell=0)["placements"][0] == report.rows_loaded
        assert metrics.overview(uploader, ADMIN, min_cell=0)["placements"][0] == report.rows_loaded
        # Logins and the audit log commit snapshots but change no data: the version stays.
        before = replica.data_version()
        with uploader.transaction(changes_data=False) as cur:
            cur.execute("INSERT INTO audit_log (event_id, occurred_at, principal, action) "
                        "VALUES ('e1', current_timestamp, 'a@example.org', 'login')")
        assert replica.data_version() == before
    finally:
        uploader.close()
        replica.close()


def test_imports_at_once_load_every_row_once(new_lake: NewLake, tmp_path: Path) -> None:
    """Two different files and one of them a second time, all at once, from three processes:
    no lock error, each file's rows once (the repeated upload finds the first one), a consistent
    ledger. Without the writers taking turns, the repeat would check for itself in a snapshot
    from before the first upload committed, and load every row again."""
    url, data = new_lake()
    files = [generated(tmp_path / f"{name}.csv", 4000, seed, name)
             for seed, name in ((1, "A"), (2, "B"))]
    env = {**os.environ, "INTERNSHIPS_DB": url, DATA_ENV_VAR: str(data)}
    LakeStore(url, data_path=str(data)).close()  # created before they race
    imports = [subprocess.Popen([sys.executable, "-m", "analytics.cli", "ingest", str(f)], cwd=REPO,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for f in (*files, files[0])]
    results = [p.communicate(timeout=300) for p in imports]
    for process, (_out, err) in zip(imports, results, strict=True):
        assert process.returncode in (0, 1), err  # 1: some generated rows are rejected, by design
        assert "lock" not in err.lower() and "conflict" not in err.lower(), err
    store = LakeStore(url)
    try:
        batches = store.rows("SELECT file_name, rows_read, rows_loaded FROM batches ORDER BY file_name")
        assert [b[0] for b in batches] == ["A.csv", "B.csv"]
        assert all(read == 4000 for _, read, _ in batches)
        assert store.table_counts()["placements"] == sum(loaded for *_, loaded in batches)
        assert store.scalar("SELECT count(*) FROM placements WHERE placement_id LIKE 'A%'") == batches[0][2]
        ledger_is_consistent(store)
    finally:
        store.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_an_import_killed_mid_load_leaves_the_lake_as_before(new_lake: NewLake) -> None:
    url, data = new_lake()
    store = LakeStore(url, data_path=str(data))
    try:
        import_file(store, MESSY)
        before_counts, before_answers = store.table_counts(), every_metric(store)
        before_ledger = store.rows("SELECT * FROM batches ORDER BY batch_id")
        process = subprocess.Popen(
            [sys.executable, "-m", "analytics.cli", "ingest", str(SAMPLE_CSV), "--db", url],
            cwd=REPO, env={**os.environ, PAUSE_ENV_VAR: "60"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # every row written to Parquet, not committed
            assert line.startswith("ingest: rows written for batch"), line + process.stderr.read()
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == -signal.SIGKILL
        assert store.table_counts() == before_counts
        assert store.rows("SELECT * FROM batches ORDER BY batch_id") == before_ledger
        assert_same_answers(every_metric(store), before_answers)
        # and the lake takes the same file normally now
        assert import_file(store, SAMPLE_CSV).rows_loaded == 5000
        ledger_is_consistent(store)
    finally:
        store.close()


def test_migrate_to_lake_keeps_every_metric(new_lake: NewLake, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(KEY_ENV_VAR)  # the file pseudonymises with its own key file
    db = tmp_path / "office.duckdb"
    embedded = Store(db)
    load_canonical_csv(embedded, SAMPLE_CSV)
    assert import_file(embedded, MESSY).rows_rejected > 0
    undone = import_file(embedded, REAL / "adithi_internship.csv")
    assert undone.batch_id is not None
    undo_batch(embedded, undone.batch_id)
    expected, counts = every_metric(embedded), embedded.table_counts()
    ledger = embedded.rows("SELECT * FROM batches ORDER BY batch_id")
    quarantine = embedded.rows("SELECT * FROM quarantine ORDER BY ALL")
    embedded.close()

    url, data = new_lake()
    assert cli_main(["migrate-to-lake", "--db", str(db), "--to", url, "--data", str(data)]) == 0
    assert f"INTERNSHIPS_PSEUDONYM_KEY_FILE={db}.key" in capsys.readouterr().out
    monkeypatch.setenv("INTERNSHIPS_PSEUDONYM_KEY_FILE", f"{db}.key")
    lake = LakeStore(url)
    try:
        assert lake.table_counts() == counts
        assert lake.rows("SELECT * FROM batches ORDER BY batch_id") == ledger
        assert lake.rows("SELECT * FROM quarantine ORDER BY ALL") == quarantine
        assert_same_answers(every_metric(lake), expected)
        # New uploads continue the ledger (no batch id is drawn twice).
        again = import_file(lake, REAL / "adithi_internship.csv")
        assert again.batch_id is not None and again.batch_id > max(row[0] for row in ledger)
        assert lake.rows("SELECT count(*) FROM placements WHERE batch_id = ?", [again.batch_id]) == [
            (undone.rows_loaded,)]
        # A second migration into the same lake is refused rather than doubling the data.
        assert cli_main(["migrate-to-lake", "--db", str(db), "--to", url]) == 2
        assert "not empty" in capsys.readouterr().err
    finally:
        lake.close()


def test_the_lake_needs_the_shared_pseudonym_key(new_lake: NewLake, monkeypatch: pytest.MonkeyPatch) -> None:
    url, data = new_lake()
    monkeypatch.delenv(KEY_ENV_VAR)
    store = LakeStore(url, data_path=str(data))
    try:
        with pytest.raises(StoreError, match="INTERNSHIPS_PSEUDONYM_KEY"):
            import_file(store, SAMPLE_CSV)
        assert store.table_counts()["placements"] == 0
    finally:
        store.close()


def test_a_lake_in_an_s3_bucket(new_lake: NewLake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    from tests.lake.postgres import free_port

    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                            ("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT_URL", endpoint)):
            monkeypatch.setenv(name, value)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="outcomes")
        url, _ = new_lake()
        store = LakeStore(url, data_path="s3://outcomes/lake/")
        try:
            # Enough rows to be written as Parquet (DuckLake keeps a handful inline in its catalog).
            report = import_file(store, generated(tmp_path / "s3.csv", 2000, 3, "S"))
            assert report.rows_loaded > 1900
            assert metrics.overview(store, ADMIN, min_cell=0)["placements"][0] == report.rows_loaded
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="outcomes").get("Contents", [])]
            assert any(k.startswith("lake/") and k.endswith(".parquet") for k in keys), keys
        finally:
            store.close()
        reopened = LakeStore(url)  # the bucket is the lake's own data path
        try:
            assert reopened.table_counts()["placements"] == report.rows_loaded
        finally:
            reopened.close()
    finally:
        server.stop()


def test_principals_and_the_audit_log_are_shared_by_the_replicas(new_lake: NewLake) -> None:
    """An invitation on one replica lets the person log in on another; two replicas inviting the
    same email at the same moment make one principal (the other is told it exists); logins and
    audit events change no data version, so no replica's caches are thrown away."""
    url, data = new_lake()
    first, second = LakeStore(url, data_path=str(data)), LakeStore(url)
    try:
        load_canonical_csv(first, SAMPLE_CSV)
        versions = first.data_version(), second.data_version()
        outcomes: list[str] = []

        def invite(store: Store) -> None:
            try:
                access.invite(store, "Ana@Example.org", "analyst", universities=["North University"])
                outcomes.append("invited")
            except access.AccessError as error:
                outcomes.append(f"refused: {error}")

        threads = [threading.Thread(target=invite, args=(s,)) for s in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes)[0] == "invited" and sorted(outcomes)[1].startswith("refused"), outcomes
        assert first.scalar("SELECT count(*) FROM principals WHERE email = 'ana@example.org'") == 1

        who = access.login(second, issuer="https://id.example.org", subject="ana-1",
                           email="ana@example.org", email_verified=True)
        assert who is not None and who.role == "analyst"
        bound = access.by_identity(first, "https://id.example.org", "ana-1")
        assert bound is not None and bound.email == "ana@example.org"
        access.audit(first, who, "export", detail="conversion.csv")
        events = access.audit_log(second)
        assert {"invite", "login", "export"} <= set(events["action"].to_list())
        assert (first.data_version(), second.data_version()) == versions
    finally:
        first.close()
        second.close()
