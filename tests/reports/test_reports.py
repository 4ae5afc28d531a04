"""Reports: what a PDF or HTML report says, for whom, and what it leaves out.

The world is tests/access_world.py's two universities (A and B, loaded by the admin), three of
its users, plus a small employer of its own (under the threshold) and an employer whose name is
markup. PDFs are read back with pypdf (text per page, images per page); each report file is made
once per module and shared by the tests that read it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pypdf
import pytest

from analytics import access, reports
from analytics.access import LOCAL_ADMIN
from analytics.cli import main
from analytics.filters import Filter
from analytics.ingest.load import load_canonical_csv
from analytics.reports import content
from analytics.store import Store
from tests.access_world import (
    VIEWER_A,
    A,
    B,
    build_world,
    canaries,
    leaked,
    placement,
    user,
    write_csv,
)

SMALL = "Tiny Startup Ltd"  # 6 students: every figure of it is hidden
MARKUP = "Acme <Robotics> & Sons"
NOBODY = "nobody@nowhere.edu"
HAS_CHROMIUM = shutil.which("chromium") is not None or Path("/usr/bin/chromium").exists()
needs_chromium = pytest.mark.skipif(not HAS_CHROMIUM, reason="needs a Chromium to draw charts")


def extra_rows() -> list[dict[str, str]]:
    """Six placements at a small employer and twelve at an employer whose name is markup, all of
    university A, 2024, with new student ids."""
    import random

    rng = random.Random(99)
    rows = []
    for i in range(18):
        row = placement(900 + i, A, rng, program="Alder Data Craft", city="Alderport",
                        employer=SMALL if i < 6 else MARKUP, student=f"AX{i:04d}")
        row["term_year"] = "2024"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    path = build_world(folder)
    store = Store(path)
    try:
        load_canonical_csv(store, write_csv(folder / "extra.csv", extra_rows()))
        access.invite(store, NOBODY, "viewer", universities=["Nowhere University"])
    finally:
        store.close()
    return path


@pytest.fixture
def store(world: Path) -> Any:
    opened = Store(world)
    yield opened
    opened.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def image_count(data: bytes) -> int:
    """Distinct images in the file (WeasyPrint shares one resource dictionary between pages, so
    each page lists every image: count each object once)."""
    seen: set[tuple[int, int]] = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for image in page.images:
            ref = image.indirect_reference
            assert ref is not None
            seen.add((ref.idnum, ref.generation))
    return len(seen)


def line_with(text: str, start: str) -> str:
    found = [line for line in text.splitlines() if line.strip().startswith(start)]
    assert found, f"no line starting {start!r} in:\n{text}"
    return found[0]


# -- the viewer of A's university report, from the command line ----------------------------------
@pytest.fixture(scope="module")
def viewer_pdf(world: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    out = tmp_path_factory.mktemp("out") / "alder.pdf"
    capture = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(capture):
        code = main(["report", "--db", str(world), "--as", VIEWER_A, "--university", A,
                     "--where", "year=2024", "--format", "pdf", "--out", str(out)])
    assert code == 0
    return out.read_bytes(), capture.getvalue()


def test_the_pdf_states_scope_filter_data_and_reader_on_page_one(viewer_pdf: tuple[bytes, str],
                                                                 store: Store) -> None:
    data, printed = viewer_pdf
    assert data.startswith(b"%PDF")
    assert "Report written" in printed
    first = pages(data)[0]
    assert f"University: {A}" in first
    assert line_with(first, "Filter").endswith(f"2024, {A}")
    assert f"version {store.data_version()}" in first
    assert VIEWER_A in line_with(first, "Generated for")
    assert re.search(r"Generated at\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC", first)


def test_the_kpis_equal_metrics_json_and_a_hand_count(viewer_pdf: tuple[bytes, str], world: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "metrics", "--db", str(world), "--as", VIEWER_A, "--where",
                       f"university={A}", "--where", "year=2024", "--json")
    assert code == 0
    shown = json.loads(out)
    first = pages(viewer_pdf[0])[0]
    for label, key in (("Offer rate", "offer_rate"), ("Acceptance rate", "acceptance_rate"),
                       ("Conversion rate", "conversion_rate"), ("Knowledge rate", "knowledge_rate"),
                       ("Paid share", "paid_share")):
        expected = f"{shown[key] * 100:.1f}%" if shown[key] is not None else "fewer than 10"
        assert expected in line_with(first, label), label
    for label, key in (("Placements", "placements"), ("Eligible interns", "eligible"),
                       ("Offers", "offers"), ("Accepted offers", "accepted")):
        assert line_with(first, label).split()[len(label.split())] == f"{shown[key]:,}", label
    assert f"{shown['median_hourly_pay']:.2f} USD" in line_with(first, "Median hourly pay")
    # Independently, from the rows the world was made of (every row is a completed internship of
    # a student not continuing education, one student each): A's 2024 placements.
    from tests.access_world import world_rows

    rows = [r for r in world_rows() + extra_rows() if r["university"] == A and r["term_year"] == "2024"]
    eligible = [r for r in rows if r["final_year"] == "true"]
    accepted = [r for r in eligible if r["offer_accepted"] == "true"]
    assert shown["placements"] == len(rows) and shown["eligible"] == len(eligible)
    assert f"{len(accepted) / len(eligible) * 100:.1f}%" in line_with(first, "Conversion rate")


def test_the_pdf_has_the_methodology_and_one_image_per_chart(viewer_pdf: tuple[bytes, str],
                                                            store: Store) -> None:
    data, printed = viewer_pdf
    text = "\n".join(pages(data))
    assert "Methodology" in text and "Funnel-plot limits" in text and "Eligibility basis" in text
    planned = content.build(store, user(store, VIEWER_A), reports.Subject("university", A),
                            Filter(term_years=(2024,))).charts
    assert len(planned) >= 5
    assert image_count(data) == len(planned)
    assert f"{len(planned)} charts" in printed


def test_a_report_for_a_viewer_of_a_holds_nothing_of_b(viewer_pdf: tuple[bytes, str], store: Store,
                                                       tmp_path: Path) -> None:
    b = [B, *canaries(store, B)]
    viewer = user(store, VIEWER_A)
    network = reports.make(store, viewer, reports.NETWORK, fmt="html").data
    assert leaked("\n".join(pages(viewer_pdf[0])), b) == []
    assert leaked(network, b) == []
    assert A in network.decode()  # the search finds what is there
    # The admin's network report names B (its universities table), so the search can find it.
    admin = reports.make(store, LOCAL_ADMIN, reports.NETWORK, fmt="html").data
    assert B in admin.decode()


def test_a_suppressed_employer_reads_fewer_than_10_in_the_pdf(store: Store) -> None:
    made = reports.make(store, LOCAL_ADMIN, reports.NETWORK, fmt="pdf")
    text = "\n".join(pages(made.data))
    # The employer column wraps long names: the row is the name, then its cells.
    assert re.search(r"Tiny\s+Startup\s+Ltd\s+fewer than 10 fewer than 10", text), text
    assert re.search(r"Acme\s+Robotics\s+\d+ \d+\.\d%", text)  # a shown employer has numbers
    assert re.search(r"\d+ employers? with fewer than 10 eligible interns (is|are) not drawn", text)


def test_names_are_escaped_and_the_html_needs_no_network(store: Store) -> None:
    html = reports.make(store, LOCAL_ADMIN, reports.Subject("university", A), fmt="html").data.decode()
    assert "Acme &lt;Robotics&gt; &amp; Sons" in html and "<Robotics>" not in html
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "@import" not in html


def test_every_report_is_audited(world: Path, store: Store, capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path) -> None:
    before = access.audit_log(store, principal=VIEWER_A, action="report").height
    code, _, _ = run(capsys, "report", "--db", str(world), "--as", VIEWER_A, "--format", "html",
                     "--out", str(tmp_path / "r.html"))
    assert code == 0
    log = access.audit_log(store, principal=VIEWER_A, action="report")
    assert log.height == before + 1
    assert log["scope"][0] == A and "html" in log["detail"][0]


# -- empty scope, no Chromium, bad arguments ------------------------------------------------------
def test_an_empty_scope_says_so_on_page_one(world: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "empty.pdf"
    code, _, err = run(capsys, "report", "--db", str(world), "--as", NOBODY, "--format", "pdf",
                             "--out", str(out))
    assert code == 0, err
    first = pages(out.read_bytes())[0]
    assert "No placements in this scope and filter" in first
    assert f"{NOBODY}, viewer; scope: Nowhere University" in " ".join(first.split())
    assert image_count(out.read_bytes()) == 0
    assert "Traceback" not in err


def test_without_chromium_the_report_has_tables_and_says_so(store: Store,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    made = reports.make(store, LOCAL_ADMIN, reports.Subject("university", A), fmt="pdf")
    assert made.charts == 0 and made.unavailable is not None
    assert "/nonexistent/chromium" in made.unavailable
    assert image_count(made.data) == 0
    text = pages(made.data)
    assert "Charts are not drawn in this report" in text[0]
    everything = "\n".join(text)
    assert "Conversion by term" in everything and "Funnel stages" in everything
    assert "not drawn" in everything
    html = reports.make(store, LOCAL_ADMIN, reports.Subject("university", A), fmt="html").data.decode()
    assert "<svg" not in html and "<img" not in html and "Tables stand in for them" in html


@needs_chromium
def test_with_chromium_the_html_embeds_each_chart_as_svg(store: Store) -> None:
    made = reports.make(store, LOCAL_ADMIN, reports.Subject("university", A), fmt="html")
    html = made.data.decode()
    assert made.unavailable is None
    assert html.count('<svg role="img"') == len(made.report.charts) == made.charts


@pytest.mark.parametrize("argv, message", [
    (["--university", A, "--employer", "Acme Robotics"], "not allowed with argument"),
    (["--network", "--university", A], "not allowed with argument"),
    (["--format", "docx"], "invalid choice"),
    (["--where", "colour=blue"], "unknown --where field"),
])
def test_bad_arguments_are_one_line_exit_2(argv: list[str], message: str, world: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    base = ["report", "--db", str(world), "--out", str(tmp_path / "r.pdf")]
    if "--format" not in argv:
        base += ["--format", "pdf"]
    code, _, err = run(capsys, *base, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.pdf").exists()


def test_an_unwritable_out_is_refused_before_any_work(world: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "--db", str(world), "--format", "pdf", "--out",
                       str(tmp_path / "missing" / "r.pdf"))
    assert code == 2 and "no such folder" in err
    code, _, err = run(capsys, "report", "--db", str(world), "--as", "stranger@x.org", "--format",
                       "pdf", "--out", str(tmp_path / "r.pdf"))
    assert code == 2 and "not a user" in err


def test_an_employer_report_is_about_that_employer(store: Store) -> None:
    made = reports.make(store, LOCAL_ADMIN, reports.Subject("employer", "Acme Robotics"), fmt="html")
    html = made.data.decode()
    assert "<h1>Employer: Acme Robotics</h1>" in html
    assert "Acme Robotics" in made.report.filter_text
    assert "Employers compared" not in html  # one employer has no peers to rank in its own report
    from analytics import metrics

    row = metrics.overview(store, LOCAL_ADMIN, Filter(employers=("Acme Robotics",))).row(0, named=True)
    assert f"<td>{row['placements']:,}</td>" in html


def test_a_public_visitor_gets_no_report(store: Store) -> None:
    with pytest.raises(access.AccessDenied):
        reports.make(store, access.PUBLIC, fmt="html")
