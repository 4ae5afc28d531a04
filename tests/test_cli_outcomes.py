"""`internships retention` and `internships timeline`: hand-worked figures in text and JSON, the
threshold, acting as a user, and perturbed network cells passed through rounded and marked."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analytics import access, stats
from analytics import store as store_module
from analytics.cli import main
from analytics.cli import outcomes as outcome_commands
from analytics.cli.metrics import _prepare as prepare
from analytics.filters import Filter
from analytics.metrics import retention
from tests.test_metrics import make_store, row

HIRED = dt.date(2024, 1, 1)
RECENT = dt.date(2025, 7, 1)
END = dt.date(2024, 8, 9)


@pytest.fixture(autouse=True)
def _release_databases() -> Iterator[None]:
    yield
    store_module.close_all()


def hire(days: int | None, hired: dt.date = HIRED) -> dict[str, Any]:
    left = hired + dt.timedelta(days=days) if days is not None else None
    return row(offer_extended=True, offer_accepted=True, hire_date=hired, separation_date=left)


def offer(i: int) -> dict[str, Any]:
    """Offer i of 12: offered 5 (i + 1) days after the internship ended; a 7-day deadline for
    the first six (exploding), 21 days for the others; decided 3 days after the offer; the
    first ten accepted, offer 0 reneged."""
    offered = END + dt.timedelta(days=5 * (i + 1))
    return row(
        end_date=END,
        offer_extended=True,
        offer_accepted=i < 10,
        offer_date=offered,
        offer_deadline=offered + dt.timedelta(days=7 if i < 6 else 21),
        decision_date=offered + dt.timedelta(days=3),
        reneged=(i == 0) if i < 10 else None,
        university="Timeline U",
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Twelve hires on 2024-01-01 (three left at 30, 90 and 300 days), eight more on 2025-07-01:
    # followed to 2026-01-01, the recent ones are censored at 184 days.
    rows = [hire(d) for d in (30, 90, 300)] + [hire(None) for _ in range(9)]
    rows += [hire(None, RECENT) for _ in range(8)]
    rows += [offer(i) for i in range(12)]
    path = tmp_path_factory.mktemp("cli_outcomes") / "o.duckdb"
    make_store(path, rows).close()
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    out = run([*argv, "--json"], capsys)
    assert len(out.strip().splitlines()) == 1
    loaded: dict[str, Any] = json.loads(out)
    return loaded


def test_retention_json_and_text_by_hand(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "retention",
        "--db",
        str(db),
        "--as-of",
        "2026-01-01",
        "--min-cell",
        "5",
        "--where",
        "university=North University",
    ]
    got = run_json(argv, capsys)
    assert got["as_of"] == "2026-01-01" and got["min_cell"] == 5 and got["by"] is None
    (overall,) = got["groups"]
    # 20 at risk; 1 event at 30 (19/20), 1 at 90 (18/19); the 8 recent hires censored at 184
    # (18 -> 10 at risk); 1 event at 300 (9/10). Nine still followed at 365 days, none at five years.
    assert (overall["hires"], overall["left"], overall["at_risk_1y"]) == (20, 3, 9)
    assert overall["survival_1y"] == pytest.approx(19 / 20 * 18 / 19 * 9 / 10)
    assert overall["survival_5y"] is None and not overall["perturbed"] and not overall["suppressed"]
    text = run(argv, capsys)
    assert "20 hires, 3 left; at 1 year: 81.0%" in text
    assert "9 still followed" in text and "at 5 years: - (fewer than 5 followed that long)" in text


def test_retention_under_the_default_threshold(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Nine followed at a year is under 10: the one-year survival is not shown; the 20 hires are.
    got = run_json(["retention", "--db", str(db), "--as-of", "2026-01-01"], capsys)
    (overall,) = got["groups"]
    assert overall["hires"] == 20 and overall["survival_1y"] is None and overall["at_risk_1y"] is None
    # By returning status every hire is "unknown": one group, the same figures.
    text = run(["retention", "--db", str(db), "--as-of", "2026-01-01", "--by", "returning_intern"], capsys)
    assert "unknown: 20 hires, 3 left; at 1 year: - (fewer than 10 followed that long)" in text


def test_retention_acts_as_the_user_named(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for email, university in (("v@timeline.edu", "Timeline U"), ("v@north.edu", "North University")):
        assert (
            main(["users", "add", email, "--role", "viewer", "--university", university, "--db", str(db)])
            == 0
        )
    capsys.readouterr()
    # North University's viewer sees its 20 hires exactly (its own scope: not perturbed).
    got = run_json(["retention", "--db", str(db), "--as-of", "2026-01-01", "--as", "v@north.edu"], capsys)
    assert got["groups"][0]["hires"] == 20 and not got["groups"][0]["perturbed"]
    # Timeline U has no hire with a hire date: nothing to follow, so nothing is shown.
    got = run_json(["retention", "--db", str(db), "--as-of", "2026-01-01", "--as", "v@timeline.edu"], capsys)
    (nothing,) = got["groups"]
    assert nothing["suppressed"] and nothing["hires"] is None and nothing["survival_1y"] is None
    assert main(["retention", "--db", str(db), "--as-of", "July"]) == 2
    assert "--as-of expects a date" in capsys.readouterr().err


def test_timeline_json_and_text_by_hand(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["timeline", "--db", str(db), "--min-cell", "5", "--where", "university=Timeline U"]
    got = run_json(argv, capsys)
    (offers,) = got["groups"]
    assert offers["offers"] == 12 and offers["n_to_offer"] == 12
    # Days to offer 5, 10, ..., 60: median (30 + 35) / 2; quartiles at positions 2.75 and 8.25.
    assert offers["median_to_offer"] == 32.5
    assert offers["p25_to_offer"] == pytest.approx(18.75) and offers["p75_to_offer"] == pytest.approx(46.25)
    assert offers["median_to_deadline"] == 14.0 and offers["median_to_decision"] == 3.0
    assert (offers["exploding"], offers["with_deadline"]) == (6, 12)
    assert offers["exploding_share"] == pytest.approx(0.5)
    low, high = stats.wilson_interval(1, 10)
    assert offers["renege_rate"] == pytest.approx(0.1)
    assert (offers["renege_rate_low"], offers["renege_rate_high"]) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    text = run(argv, capsys)
    assert "12 offers" in text and "end to offer 32.5 days (quartiles 18.75 to 46.25, n = 12)" in text
    assert f"reneged 10.0% ({low * 100:.1f}% to {high * 100:.1f}%) of 10 accepted offers" in text
    # At the default threshold six exploding offers are too few to show their share.
    got = run_json(["timeline", "--db", str(db), "--where", "university=Timeline U"], capsys)
    assert got["groups"][0]["exploding_share"] is None and got["groups"][0]["offers"] == 12


def test_network_cells_come_perturbed_rounded_and_marked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No CLI user is a public visitor, so the command is made to act as one: its JSON must be
    exactly what the gate released to the public -- perturbed, survival rounded to 0.1 point."""
    rows = [hire(None if i % 3 == 0 else 20 + 9 * i) for i in range(40)]
    path = tmp_path / "network.duckdb"
    make_store(path, rows).close()

    def as_public(args: Any, command: str) -> Any:
        flt, min_cell, store, _who = prepare(args, command)
        return flt, min_cell, store, access.PUBLIC

    monkeypatch.setattr(outcome_commands, "_prepare", as_public)
    got = run_json(["retention", "--db", str(path), "--as-of", "2026-01-01"], capsys)
    (shown,) = got["groups"]
    store = store_module.open_store(path)
    expected = retention.retention_by(store, access.PUBLIC, None, Filter(), as_of=dt.date(2026, 1, 1))
    assert shown["perturbed"] is True
    assert shown["survival_1y"] == expected["survival_1y"][0]
    for key in ("survival_1y", "survival_1y_low", "survival_1y_high"):
        assert shown[key] is not None and math.isclose(shown[key], round(shown[key], 3))
    assert abs(shown["hires"] - 40) <= 2
    assert "* perturbed network cell" in run(
        ["retention", "--db", str(path), "--as-of", "2026-01-01"], capsys
    )


def test_where_returning_filters_and_bad_values_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [hire(None) for _ in range(12)]
    rows += [{**hire(30), "returning_intern": True} for _ in range(11)]
    path = tmp_path / "returning.duckdb"
    make_store(path, rows).close()
    argv = ["retention", "--db", str(path), "--as-of", "2026-01-01"]
    # The eleven returning interns all left after 30 days; the twelve others have no returning
    # status, so `returning=no` selects nobody.
    (returning,) = run_json([*argv, "--where", "returning=yes"], capsys)["groups"]
    assert returning["hires"] == 11 and returning["left"] == 11 and returning["survival_1y"] is None
    assert run_json([*argv, "--where", "returning=no"], capsys)["groups"][0]["suppressed"]
    assert main([*argv, "--where", "returning=maybe"]) == 2
    assert "--where returning= expects yes or no" in capsys.readouterr().err
