"""The Employers page says which control limits it shows and why there is no rank; the Overview
shows eligibility coverage instead of a privacy message; the Methodology page explains both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analytics import stats
from tests.app.test_pages import open_page, texts
from tests.test_metrics import cohort, make_store


def _db(path: Path, rows: list[dict[str, Any]]) -> Path:
    make_store(path, rows).close()
    return path


def test_the_employers_page_names_its_limits_and_can_widen_them(tmp_path: Path, use_db, app_factory) -> None:
    rows = [*cohort(40, offers=32, accepted=30, employer="Alpha"),
            *cohort(40, offers=15, accepted=10, employer="Bravo"),
            *cohort(20, offers=14, accepted=12, employer="Charlie")]
    use_db(_db(tmp_path / "e.duckdb", rows))
    app = open_page(app_factory(), "employers")
    assert not app.exception, app.exception
    assert f"Limits shown: {stats.FUNNEL_METHOD_TEXT['exact']}." in texts(app)
    app.radio(key="employers_limits").set_value("overdispersed").run()
    assert not app.exception
    shown = texts(app)
    assert f"Limits shown: {stats.FUNNEL_METHOD_TEXT['overdispersed']}." in shown
    assert "Between-employer variance:" in shown


def test_a_collapsed_shrinkage_shows_no_rank_and_why(tmp_path: Path, use_db, app_factory) -> None:
    rows = [*cohort(20, offers=10, accepted=10, employer="Alpha"),
            *cohort(20, offers=11, accepted=11, employer="Bravo")]
    use_db(_db(tmp_path / "flat.duckdb", rows))
    app = open_page(app_factory(), "employers")
    assert not app.exception, app.exception
    assert any("between-employer variance estimated at 0" in i.value for i in app.info)
    ranking = next(d.value for d in app.dataframe if "Employer" in d.value.columns)
    assert "Rank" not in ranking.columns
    assert sorted(ranking["Employer"].tolist()) == ["Alpha", "Bravo"]


def test_missing_eligibility_is_coverage_not_privacy(tmp_path: Path, use_db, app_factory) -> None:
    # 30 placements whose file had no internship status, 20 with one: eligibility known for 40%.
    rows = [*cohort(30, offers=5, accepted=5, status=None, final_year=None, employer="Alpha"),
            *cohort(20, offers=10, accepted=8, employer="Bravo")]
    use_db(_db(tmp_path / "gap.duckdb", rows))
    app = open_page(app_factory(), "overview")
    assert not app.exception, app.exception
    assert any(i.value.startswith("Eligibility known for 40.0% of placements") for i in app.info)
    assert "This is a gap in the data, not a privacy rule." in texts(app) + "".join(i.value for i in app.info)


def test_the_methodology_page_explains_limits_and_eligibility(tmp_path: Path, sample_db_path: Path,
                                                              use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "methodology")
    assert not app.exception, app.exception
    shown = texts(app)
    assert "exact binomial" in shown and "between-employer variance" in shown
    assert "Eligibility is decided **per upload, at import**" in shown
    assert "no rank" in shown
