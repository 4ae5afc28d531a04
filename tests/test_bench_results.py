"""benchmarks/results.py: each benchmark rewrites its own section of RESULTS.md and no other."""

from __future__ import annotations

from pathlib import Path

from benchmarks.results import write_section

DOC = "# Benchmark results\n\nIntro.\n\n## Metrics\n\nold metrics\n\n## Pages\n\npages\n"


def test_a_section_is_replaced_and_the_others_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text(DOC)
    write_section("## Metrics", "## Metrics\n\nnew metrics\n", path)
    assert path.read_text() == DOC.replace("old metrics", "new metrics")
    write_section("## Pages", "## Pages\n\nnew pages\n", path)
    assert path.read_text().endswith("## Pages\n\nnew pages\n")
    assert "new metrics" in path.read_text()


def test_a_missing_section_or_file_is_added(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    write_section("## Import", "## Import\n\n1.41x\n", path)
    assert path.read_text() == "# Benchmark results\n\n## Import\n\n1.41x\n"
    write_section("## Pages", "## Pages\n\nfast\n", path)
    assert path.read_text() == "# Benchmark results\n\n## Import\n\n1.41x\n\n## Pages\n\nfast\n"
