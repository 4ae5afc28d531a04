"""Roles, each through what a user would use: a viewer cannot see records, upload or undo; an
analyst can, for its own scope only (upload rows outside it are rejected with that reason); an
admin can do everything. And every upload, undo, row-level view and download is audited."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from analytics import access, export, metrics
from analytics.access import LOCAL_ADMIN, AccessDenied, Principal
from analytics.cli import main
from analytics.filters import Filter
from analytics.ingest import IngestError, import_file, list_batches, quarantine_rows, undo_batch
from analytics.store import Store
from tests.access_world import A_CITIES, A_PROGRAMS, B_CITIES, B_PROGRAMS, A, B, placement, write_csv

SCOPE_REASON = "outside your upload scope"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(tmp_path / "roles.duckdb")
    access.invite(opened, "viewer@alder.edu", "viewer", universities=[A])
    access.invite(opened, "analyst@alder.edu", "analyst", universities=[A])
    access.invite(opened, "analyst@birch.edu", "analyst", universities=[B])
    access.invite(opened, "acme@acme.com", "analyst", employers=["ACME  Robotics"])
    return opened


def who(store: Store, email: str) -> Principal:
    found = access.by_email(store, email)
    assert found is not None
    return found


def mixed_file(folder: Path, a: int, b: int, name: str = "mixed.csv", seed: int = 3,
               employer: str | None = None) -> Path:
    """a rows of university A then b rows of B (different placement ids per file name)."""
    rng = random.Random(seed)
    rows = [placement(i, A, rng, program=A_PROGRAMS[0], city=A_CITIES[0], employer=employer)
            for i in range(a)]
    rows += [placement(i, B, rng, program=B_PROGRAMS[0], city=B_CITIES[0], employer=employer)
             for i in range(b)]
    for row in rows:
        row["placement_id"] = f"{name}-{row['placement_id']}"
    return write_csv(folder / name, rows)


def universities_of_batch(store: Store, batch_id: int) -> dict[str, int]:
    return dict(store.rows("SELECT university, count(*) FROM placements WHERE batch_id = ? GROUP BY 1",
                           [batch_id]))


# -- upload ---------------------------------------------------------------------------------------
def test_an_analysts_upload_rejects_rows_outside_its_scope_with_that_reason(store: Store,
                                                                          tmp_path: Path) -> None:
    report = import_file(store, mixed_file(tmp_path, 7, 5), principal=who(store, "analyst@alder.edu"),
                         uploader="analyst@alder.edu")
    counts = (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_duplicate)
    assert counts == (12, 7, 5, 0)
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    assert [r for r in report.rejected_reasons if SCOPE_REASON in r] == list(report.rejected_reasons)
    assert report.rejected_reasons[next(iter(report.rejected_reasons))] == 5
    assert report.batch_id is not None
    assert universities_of_batch(store, report.batch_id) == {A: 7}
    # The rejected rows are B's rows 8..12 of the file (header = line 1), kept with the reason.
    kept = quarantine_rows(store, report.batch_id, who(store, "analyst@alder.edu"))
    assert sorted(set(kept["row_number"].to_list())) == [9, 10, 11, 12, 13]
    assert set(kept["value"].to_list()) == {B}


def test_a_dry_run_by_an_analyst_reports_the_same_rejections(store: Store, tmp_path: Path) -> None:
    report = import_file(store, mixed_file(tmp_path, 4, 3), principal=who(store, "analyst@alder.edu"),
                         dry_run=True, preview_rows=10)
    assert (report.rows_loaded, report.rows_rejected) == (4, 3)
    problems = report.preview["problems"].to_list()
    assert problems[:4] == ["ok"] * 4 and all(SCOPE_REASON in p for p in problems[4:])


def test_an_admins_upload_is_unrestricted(store: Store, tmp_path: Path) -> None:
    report = import_file(store, mixed_file(tmp_path, 7, 5), principal=LOCAL_ADMIN)
    assert (report.rows_loaded, report.rows_rejected) == (12, 0)


def test_an_employer_scoped_analyst_may_upload_its_own_interns_from_any_university(
        store: Store, tmp_path: Path) -> None:
    acme = who(store, "acme@acme.com")
    ours = import_file(store, mixed_file(tmp_path, 3, 3, "acme.csv", employer="Acme Robotics"),
                       principal=acme, uploader=acme.email)
    theirs = import_file(store, mixed_file(tmp_path, 2, 2, "beta.csv", employer="Beta Analytics"),
                         principal=acme, uploader=acme.email)
    assert (ours.rows_loaded, ours.rows_rejected) == (6, 0)
    assert (theirs.rows_loaded, theirs.rows_rejected) == (0, 4)
    assert all(SCOPE_REASON in r for r in theirs.rejected_reasons)


def test_an_analyst_with_no_scope_can_load_nothing(store: Store, tmp_path: Path) -> None:
    nobody = Principal(email="empty@x.edu", name="Empty", role="analyst")
    report = import_file(store, mixed_file(tmp_path, 2, 2), principal=nobody, dry_run=True)
    assert (report.rows_loaded, report.rows_rejected) == (0, 4)


def test_a_viewer_cannot_upload(store: Store, tmp_path: Path) -> None:
    with pytest.raises(AccessDenied):
        import_file(store, mixed_file(tmp_path, 1, 0), principal=who(store, "viewer@alder.edu"),
                    dry_run=True)
    assert store.table_counts()["placements"] == 0


# -- batches and undo -----------------------------------------------------------------------------
def _three_batches(store: Store, folder: Path) -> tuple[int, int, int]:
    """The admin's mixed batch, the admin's A-only batch and A's analyst's own batch."""
    mixed = import_file(store, mixed_file(folder, 3, 3, "m.csv"), principal=LOCAL_ADMIN).batch_id
    a_only = import_file(store, mixed_file(folder, 3, 0, "a.csv"), principal=LOCAL_ADMIN).batch_id
    analyst = who(store, "analyst@alder.edu")
    own = import_file(store, mixed_file(folder, 2, 2, "own.csv"), principal=analyst,
                      uploader=analyst.email).batch_id
    assert mixed is not None and a_only is not None and own is not None
    return mixed, a_only, own


def test_the_batch_listing_shows_an_analyst_only_its_scopes_batches(store: Store, tmp_path: Path) -> None:
    mixed, a_only, own = _three_batches(store, tmp_path)

    def listed(email: str) -> list[int]:
        return sorted(list_batches(store, who(store, email))["batch_id"].to_list())

    assert listed("analyst@alder.edu") == sorted([a_only, own])
    assert listed("analyst@birch.edu") == []  # B's rows of the mixed batch do not make it B's
    assert listed("viewer@alder.edu") == []
    assert sorted(list_batches(store, LOCAL_ADMIN)["batch_id"].to_list()) == sorted([mixed, a_only, own])


def test_an_analyst_undoes_only_its_own_scopes_batches(store: Store, tmp_path: Path) -> None:
    mixed, a_only, own = _three_batches(store, tmp_path)
    analyst = who(store, "analyst@alder.edu")
    with pytest.raises(IngestError, match="no batch"):  # not even told it exists
        undo_batch(store, mixed, analyst)
    with pytest.raises(IngestError, match="no batch"):
        undo_batch(store, a_only, who(store, "analyst@birch.edu"))
    assert undo_batch(store, own, analyst).rows_removed == 2
    assert undo_batch(store, a_only, analyst).rows_removed == 3
    assert store.scalar("SELECT count(*) FROM placements WHERE batch_id = ?", [mixed]) == 6


def test_an_own_batch_outside_a_narrowed_scope_is_listed_but_not_undone(store: Store,
                                                                        tmp_path: Path) -> None:
    analyst = who(store, "analyst@alder.edu")
    batch = import_file(store, mixed_file(tmp_path, 3, 0), principal=analyst,
                        uploader=analyst.email).batch_id
    access.update(store, analyst.email, universities=[B])  # the admin moves the analyst to B
    moved = who(store, analyst.email)
    assert list_batches(store, moved)["batch_id"].to_list() == [batch]  # its own upload
    assert batch is not None
    with pytest.raises(AccessDenied, match="outside your scope"):
        undo_batch(store, batch, moved)
    assert store.scalar("SELECT count(*) FROM placements WHERE batch_id = ?", [batch]) == 3


def test_a_viewer_cannot_undo_and_the_admin_can_undo_anything(store: Store, tmp_path: Path) -> None:
    mixed, _a_only, _own = _three_batches(store, tmp_path)
    with pytest.raises(AccessDenied):
        undo_batch(store, mixed, who(store, "viewer@alder.edu"))
    assert undo_batch(store, mixed, LOCAL_ADMIN).rows_removed == 6


def test_rejected_rows_of_another_scopes_batch_are_not_served(store: Store, tmp_path: Path) -> None:
    birch = who(store, "analyst@birch.edu")
    theirs = import_file(store, mixed_file(tmp_path, 2, 2, "b.csv"), principal=birch,
                         uploader=birch.email).batch_id  # A's 2 rows rejected, kept in quarantine
    assert theirs is not None
    assert quarantine_rows(store, theirs, birch).height == 2
    assert quarantine_rows(store, theirs, LOCAL_ADMIN).height == 2
    assert quarantine_rows(store, theirs, who(store, "analyst@alder.edu")).is_empty()
    with pytest.raises(AccessDenied):
        quarantine_rows(store, theirs, who(store, "viewer@alder.edu"))


# -- records --------------------------------------------------------------------------------------
def test_records_a_viewer_none_an_analyst_its_own_an_admin_all(store: Store, tmp_path: Path) -> None:
    import_file(store, mixed_file(tmp_path, 4, 3), principal=LOCAL_ADMIN)
    with pytest.raises(AccessDenied):
        metrics.records(store, who(store, "viewer@alder.edu"))
    assert set(metrics.records(store, who(store, "analyst@alder.edu"))["university"]) == {A}
    assert metrics.records(store, who(store, "analyst@alder.edu")).height == 4
    # A filter naming the other university narrows to nothing; it never widens the scope.
    assert metrics.records(store, who(store, "analyst@alder.edu"), Filter(universities=(B,))).is_empty()
    assert metrics.records(store, LOCAL_ADMIN).height == 7


# -- the CLI, as each role ------------------------------------------------------------------------
def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_roles(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(store.path)
    store.close()
    file = str(mixed_file(tmp_path, 3, 2))
    db = ["--db", path]
    # A viewer: no records, no ingest, no undo -- each one line, exit 2.
    for argv in (["records", *db], ["ingest", file, *db], ["undo", "1", *db], ["rejected", "1", *db]):
        code, out, err = cli(capsys, *argv, "--as", "viewer@alder.edu")
        assert (code, out) == (2, ""), argv
        assert len(err.strip().splitlines()) == 1 and "not allowed" in err, (argv, err)
    # The analyst: its import loads A's 3 rows and rejects B's 2 (exit 1: some rows rejected).
    code, out, _ = cli(capsys, "ingest", file, *db, "--as", "analyst@alder.edu")
    assert code == 1 and "loaded 3" in out and "rejected 2" in out and SCOPE_REASON in out
    code, out, _ = cli(capsys, "batches", *db, "--json", "--as", "analyst@alder.edu")
    assert code == 0 and '"uploader": "analyst@alder.edu"' in out
    code, out, _ = cli(capsys, "batches", *db, "--json", "--as", "analyst@birch.edu")
    assert (code, out.strip()) == (0, "[]")
    code, out, err = cli(capsys, "undo", "1", *db, "--as", "analyst@birch.edu")
    assert code == 2 and "no batch 1" in err
    code, out, _ = cli(capsys, "undo", "1", *db, "--as", "analyst@alder.edu")
    assert code == 0 and "removed 3" in out
    # Unknown and disabled --as: one line, exit 2, never a fallback to the admin.
    code, out, err = cli(capsys, "metrics", *db, "--as", "nobody@x.edu")
    assert (code, out) == (2, "") and "not a user" in err
    assert cli(capsys, "users", "disable", "viewer@alder.edu", *db)[0] == 0
    code, out, err = cli(capsys, "--as", "viewer@alder.edu", "metrics", *db)
    assert (code, out) == (2, "") and "disabled" in err
    code, out, err = cli(capsys, "metrics", *db, "--as", "analyst@alder.edu", "--min-cell", "5")
    assert code == 2 and "--min-cell" in err
    # Commands that always act as the local admin refuse a global --as instead of ignoring it.
    code, out, err = cli(capsys, "--as", "analyst@alder.edu", "users", "list", *db)
    assert (code, out) == (2, "") and "--as is not accepted" in err


def test_cli_as_applies_the_principals_scope(store: Store, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import_file(store, mixed_file(tmp_path, 30, 20), principal=LOCAL_ADMIN)
    expected = metrics.overview(store, who(store, "viewer@alder.edu")).row(0, named=True)
    path = str(store.path)
    store.close()
    code, out, _ = cli(capsys, "metrics", "--db", path, "--json", "--as", "viewer@alder.edu")
    assert code == 0
    shown = json.loads(out)
    assert shown["placements"] == expected["placements"] == 30
    code, out, _ = cli(capsys, "metrics", "--db", path, "--json")
    assert json.loads(out)["placements"] == 50


# -- users and the audit log on the command line --------------------------------------------------
def test_cli_users_and_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    db = ["--db", str(tmp_path / "new.duckdb")]
    code, out, _ = cli(capsys, "users", "add", "Boss@Alder.edu", "--role", "admin", *db)
    assert code == 0 and "boss@alder.edu" in out  # `users add` may create the database
    assert cli(capsys, "users", "add", "v@alder.edu", "--role", "viewer", "--university", A, *db)[0] == 0
    code, _, err = cli(capsys, "users", "add", "v@alder.edu", "--role", "viewer", *db)
    assert code == 2 and "already a user" in err
    code, _, err = cli(capsys, "users", "add", "x@alder.edu", "--role", "owner", *db)
    assert code == 2 and "owner" in err
    assert cli(capsys, "users", "set", "v@alder.edu", "--role", "analyst", "--university", B, *db)[0] == 0
    code, _, err = cli(capsys, "users", "set", "ghost@alder.edu", "--role", "viewer", *db)
    assert code == 2 and "no user" in err
    assert cli(capsys, "users", "map-claim", "groups", "career-office", "--role", "viewer",
               "--university", A, *db)[0] == 0
    code, out, _ = cli(capsys, "users", "list", "--json", *db)
    users = {u["email"]: u for u in json.loads(out)}
    assert users["v@alder.edu"]["role"] == "analyst" and users["v@alder.edu"]["universities"] == [B]
    assert users["boss@alder.edu"]["role"] == "admin"
    assert cli(capsys, "users", "disable", "v@alder.edu", *db)[0] == 0
    code, out, _ = cli(capsys, "users", "list", *db)
    assert "disabled" in next(line for line in out.splitlines() if line.startswith("v@alder.edu"))
    assert cli(capsys, "users", "enable", "v@alder.edu", *db)[0] == 0
    code, out, _ = cli(capsys, "audit", "--json", *db)
    actions = [e["action"] for e in json.loads(out)]
    assert actions.count("invite") == 2 and actions.count("update user") == 3
    assert actions.count("map claim") == 1
    code, out, _ = cli(capsys, "audit", "--action", "invite", "--since", "2000-01-01", *db)
    assert code == 0 and len(out.strip().splitlines()) == 2
    code, out, _ = cli(capsys, "audit", "--principal", "nobody@x.edu", *db)
    assert (code, out.strip()) == (0, "No audit events match.")
    code, _, err = cli(capsys, "audit", "--since", "yesterday", *db)
    assert code == 2 and "date" in err


# -- audit writes ---------------------------------------------------------------------------------
def _events(store: Store, action: str) -> list[dict[str, object]]:
    return access.audit_log(store, action=action).to_dicts()


def test_uploads_undos_and_rejected_row_downloads_are_audited(store: Store, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    analyst = who(store, "analyst@alder.edu")
    report = import_file(store, mixed_file(tmp_path, 3, 2), principal=analyst, uploader=analyst.email)
    import_file(store, mixed_file(tmp_path, 3, 2, "dry.csv"), principal=analyst, dry_run=True)
    uploads = _events(store, "upload")
    assert len(uploads) == 1  # the dry run is not an upload
    assert uploads[0]["principal"] == analyst.email and uploads[0]["scope"] == A
    detail = str(uploads[0]["detail"])
    assert f"batch {report.batch_id}" in detail and "rejected 2" in detail
    assert report.batch_id is not None
    undo_batch(store, report.batch_id, analyst)
    undos = _events(store, "undo")
    assert len(undos) == 1 and undos[0]["principal"] == analyst.email
    assert f"batch {report.batch_id}" in str(undos[0]["detail"])
    path = str(store.path)
    store.close()
    code, _, _ = cli(capsys, "rejected", str(report.batch_id), "--db", path, "--as", analyst.email,
                     "--out", str(tmp_path / "rej.csv"))
    assert code == 0
    reopened = Store(path)
    try:
        rejected = _events(reopened, "rejected rows")
        assert len(rejected) == 1 and rejected[0]["principal"] == analyst.email
        assert "2 rows" in str(rejected[0]["detail"])
    finally:
        reopened.close()


def test_cli_records_are_audited_with_the_filter(store: Store, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import_file(store, mixed_file(tmp_path, 3, 2), principal=LOCAL_ADMIN)
    path = str(store.path)
    store.close()
    out = tmp_path / "records.json"
    code, _, _ = cli(capsys, "records", "--db", path, "--as", "analyst@alder.edu", "--format", "json",
                     "--out", str(out), "--where", "year=2023", "--where", "year=2024")
    assert code == 0
    reopened = Store(path)
    try:
        (event,) = _events(reopened, "records")
        assert event["principal"] == "analyst@alder.edu" and event["scope"] == A
        assert "2023" in str(event["filter"]) and "3 rows as json" in str(event["detail"])
    finally:
        reopened.close()


def test_every_download_is_audited_when_it_is_built(store: Store) -> None:
    viewer = who(store, "viewer@alder.edu")
    flt = Filter(term_years=(2024,))
    built: list[int] = []

    def build() -> bytes:
        built.append(1)
        return b"a,b\n1,2\n"

    download = export.audited(store, viewer, build, what="Summary by term (CSV)", flt=flt)
    assert _events(store, "export") == [] and built == []  # nothing until someone clicks
    assert download() == b"a,b\n1,2\n"
    (event,) = _events(store, "export")
    assert event["principal"] == viewer.email and event["scope"] == A
    assert "Summary by term (CSV)" in str(event["detail"]) and "2024" in str(event["filter"])
    # A row-level download by a viewer is refused even if a page offered it by mistake.
    records = export.audited(store, viewer, build, what="placements", action="records")
    with pytest.raises(AccessDenied):
        records()
    assert _events(store, "records") == [] and len(built) == 1


def test_university_view_refuses_another_university(store: Store, tmp_path: Path) -> None:
    import_file(store, mixed_file(tmp_path, 12, 12), principal=LOCAL_ADMIN)
    viewer = who(store, "viewer@alder.edu")
    assert metrics.options(store, viewer)["universities"] == [A]
    assert not metrics.university_view(store, viewer, A, min_cell=5).is_empty()
    with pytest.raises(AccessDenied):
        metrics.university_view(store, viewer, B, min_cell=5)
    assert not metrics.university_view(store, LOCAL_ADMIN, B, min_cell=5).is_empty()
