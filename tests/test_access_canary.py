"""Canaries: university B's program names, cities and student pseudonyms never reach A's viewer or
analyst through an export (CSV, Excel) or the command line with `--as` (metrics, compare,
records, batches, rejected). The same searches on the admin's output do find them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analytics import export, metrics
from analytics.access import LOCAL_ADMIN, Principal
from analytics.cli import main
from analytics.filters import Filter
from analytics.store import Store
from tests.access_world import A_PROGRAMS, ANALYST_A, VIEWER_A, B, build_world, canaries, leaked, user
from tests.test_access_property import figures


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("canary"))


@pytest.fixture
def store(world: Path) -> Any:
    opened = Store(world)
    yield opened
    opened.close()


def excel_text(data: bytes) -> str:
    """Every XML part of an .xlsx (cells live in sharedStrings.xml and the sheets)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "\n".join(book.read(name).decode("utf-8") for name in book.namelist()
                         if name.endswith(".xml"))


def exports(store: Store, who: Principal) -> dict[str, str]:
    """Every table the principal can see, as the CSV and Excel files the download buttons make."""
    frames: dict[str, pl.DataFrame] = {}
    for name, value in figures(store, who, Filter()).items():
        if isinstance(value, pl.DataFrame):
            frames[name] = value
        elif isinstance(value, tuple):
            frames.update({f"{name}[{i}]": v for i, v in enumerate(value) if isinstance(v, pl.DataFrame)})
    if who.role in ("analyst", "admin"):
        frames["records"] = metrics.records(store, who, limit=10_000)
    files: dict[str, str] = {}
    for name, frame in frames.items():
        table = export.present(frame, export.columns_for(frame), 10)
        files[f"{name}.csv"] = export.to_csv(table).decode("utf-8")
        files[f"{name}.xlsx"] = excel_text(export.to_excel(table, notes=[("Table", name)]))
    return files


@pytest.mark.parametrize("email", [VIEWER_A, ANALYST_A])
def test_no_export_of_a_user_of_a_holds_b(email: str, store: Store) -> None:
    b = canaries(store, B)
    files = exports(store, user(store, email))
    assert len(files) > 40
    assert {name: leaked(text, b) for name, text in files.items() if leaked(text, b)} == {}
    if email == ANALYST_A:  # the search finds what is there
        assert leaked(files["records.csv"], A_PROGRAMS) and leaked(files["records.xlsx"], A_PROGRAMS)


def test_the_admins_exports_hold_b(store: Store) -> None:
    files = exports(store, LOCAL_ADMIN)
    assert leaked(files["records.csv"], canaries(store, B))
    assert leaked(files["records.xlsx"], canaries(store, B))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli_outputs(world: Path, email: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    db = ["--db", str(world), "--as", email]
    commands = {
        "metrics": ["metrics", *db],
        "metrics --json": ["metrics", *db, "--json"],
        "metrics where B": ["metrics", *db, "--json", "--where", f"university={B}"],
        "compare": ["compare", "employers", *db],
        "compare --json": ["compare", "employers", *db, "--json"],
        "records csv": ["records", *db],
        "records json": ["records", *db, "--format", "json"],
        "batches": ["batches", *db, "--json"],
        "rejected 1": ["rejected", "1", *db],
    }
    seen = {}
    for name, argv in commands.items():
        code, out, err = run(capsys, *argv)
        seen[name] = f"exit {code}\n{out}\n{err}"
    return seen


@pytest.mark.parametrize("email", [VIEWER_A, ANALYST_A])
def test_no_cli_output_as_a_user_of_a_holds_b(email: str, world: Path, store: Store,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    b = canaries(store, B)
    seen = cli_outputs(world, email, capsys)
    assert {name: leaked(text, b) for name, text in seen.items() if leaked(text, b)} == {}
    assert seen["metrics --json"].startswith("exit 0")
    if email == ANALYST_A:
        assert seen["records csv"].startswith("exit 0")
        assert leaked(seen["records csv"], A_PROGRAMS) and leaked(seen["records json"], A_PROGRAMS)
    else:
        assert seen["records csv"].startswith("exit 2") and "not allowed" in seen["records csv"]


def test_the_admins_cli_records_hold_b(world: Path, store: Store,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "records", "--db", str(world))
    assert code == 0
    assert leaked(out, canaries(store, B))
