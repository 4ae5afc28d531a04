"""benchmarks/RESULTS.md: one section per benchmark, each rewritten only by its own benchmark."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(section: str, text: str, path: Path = RESULTS) -> None:
    """Replace the section headed `section` (e.g. "## Import") with `text`, or append it."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    start = current.find(section + "\n")
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(section))
        rest = current[end + 1:] if end >= 0 else ""
        updated = current[:start] + text.rstrip("\n") + "\n\n" + rest
    path.write_text(updated.rstrip("\n") + "\n")
