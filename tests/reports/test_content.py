"""The report builder's small parts: subjects, hidden rows named instead of tabled, benchmark
labels, which browser draws the charts."""

from __future__ import annotations

import polars as pl
import pytest

from analytics import charts, reports
from analytics.filters import Filter
from analytics.reports import content, images


def test_a_subject_narrows_the_filter_to_itself() -> None:
    flt = Filter(term_years=(2024,), universities=("Other U",))
    assert reports.Subject("university", "Alder").narrow(flt) == Filter(term_years=(2024,),
                                                                       universities=("Alder",))
    assert reports.Subject("employer", "Acme").narrow(flt).employers == ("Acme",)
    assert reports.NETWORK.narrow(flt) == flt
    assert reports.Subject("employer", "Acme & Co.").slug == "acme---co"


@pytest.mark.parametrize("kind, name", [("university", None), ("network", "X"), ("board", "X")])
def test_a_subject_needs_a_kind_and_a_name_that_fit(kind: str, name: str | None) -> None:
    with pytest.raises(ValueError):
        reports.Subject(kind, name)  # type: ignore[arg-type]


def test_many_hidden_rows_are_named_in_one_line_not_tabled() -> None:
    names = [f"Employer {i:02d}" for i in range(12)]
    frame = pl.DataFrame({"employer": names, "n": [50, 40, *[None] * 10],
                          "suppressed": [False, False, *[True] * 10]})
    kept, note = content._compact(frame, "employer", "employers", "eligible interns", 10)
    assert kept["employer"].to_list() == ["Employer 00", "Employer 01"]
    assert note.startswith("Not listed, each with fewer than 10 eligible interns")
    assert "10 employers: Employer 02, Employer 03" in note and note.endswith("Employer 11.")
    few = frame.head(2 + content.LISTED_HIDDEN)  # up to LISTED_HIDDEN hidden rows stay in the table
    assert content._compact(few, "employer", "employers", "eligible interns", 10) == (few, "")


def test_a_benchmark_is_the_newest_figure_with_source_and_year() -> None:
    bench = pl.DataFrame({"metric": ["conversion_rate", "conversion_rate", "conversion_target"],
                          "value": [0.619, 0.53, 0.5], "year": [2016, 2024, None],
                          "source": ["NACE 2016 report", "NACE 2024 survey", "NACE guidance"]})
    assert content.benchmark_text(bench, "conversion_rate") == "NACE 2024: 53.0%"
    assert content.benchmark_text(bench, "conversion_target") == "NACE guidance: 50.0%"
    assert content.benchmark_text(bench, "paid_share") == ""


def test_browser_path_overrides_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", "/opt/my/chrome")
    assert images.browser() == "/opt/my/chrome"
    drawn = images.render([charts.empty_figure("x")])
    assert drawn.images == () and drawn.unavailable == "no browser at BROWSER_PATH=/opt/my/chrome"
    monkeypatch.setenv("BROWSER_PATH", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert images.browser() is None
    assert "no Chromium was found" in str(images.render([charts.empty_figure("x")]).unavailable)
