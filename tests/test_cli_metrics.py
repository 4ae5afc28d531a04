"""`internships metrics` and `internships compare employers`: exit codes, JSON keys, suppression."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analytics import store as store_module
from analytics.cli import main
from tests.test_metrics import employer_rows, make_store, overview_rows

REQUIRED_KEYS = {
    "placements", "employers", "eligible", "offers", "accepted", "offer_rate", "acceptance_rate",
    "conversion_rate", "knowledge_rate", "paid_share", "median_hourly_pay", "hourly_pay_currency",
    "median_duration_weeks",
}


@pytest.fixture(autouse=True)
def _release_databases() -> Iterator[None]:
    yield
    store_module.close_all()


@pytest.fixture(scope="module")
def overview_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "overview.duckdb"
    make_store(path, overview_rows()).close()
    return path


@pytest.fixture(scope="module")
def employers_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "employers.duckdb"
    make_store(path, employer_rows()).close()
    return path


def _no_nan(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"JSON must not contain {constant}")
    return json.loads(text, parse_constant=refuse)


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1  # one object
    loaded: dict[str, Any] = _no_nan(out)
    return loaded


def test_metrics_json_has_the_promised_keys_and_hand_worked_values(overview_db, capsys) -> None:
    got = run_json(["metrics", "--db", str(overview_db), "--json"], capsys)
    assert set(got) >= REQUIRED_KEYS
    # 6 offers at min_cell 10: the offers and the offer rate are hidden with the acceptance rate
    assert (got["placements"], got["employers"], got["eligible"], got["offers"], got["accepted"]) == (
        15, 2, 10, None, 4)
    assert got["offer_rate"] is None
    assert got["conversion_rate"] == pytest.approx(0.4)
    assert got["knowledge_rate"] == pytest.approx(0.9)
    # 11 of 14 paid: the 3 unpaid are under min_cell 10, and the share would give them away
    assert got["paid_share"] is None
    assert got["median_duration_weeks"] == pytest.approx(12.0)
    assert got["hourly_pay_currency"] == "USD"
    # default min_cell 10: 6 offers -> no acceptance rate; 9 USD pay records -> no median pay
    assert got["acceptance_rate"] is None
    assert got["median_hourly_pay"] is None
    assert got["min_cell"] == 10 and got["filter"] == "All placements"
    for key in ("conversion_rate", "knowledge_rate"):
        assert 0.0 <= got[key] <= 1.0


def test_metrics_min_cell_option_and_environment(overview_db, capsys, monkeypatch) -> None:
    got = run_json(["metrics", "--db", str(overview_db), "--json", "--min-cell", "0"], capsys)
    assert got["acceptance_rate"] == pytest.approx(4 / 6)
    assert got["median_hourly_pay"] == pytest.approx(22.0)
    monkeypatch.setenv("INTERNSHIPS_MIN_CELL", "11")
    got = run_json(["metrics", "--db", str(overview_db), "--json"], capsys)
    assert got["min_cell"] == 11 and got["eligible"] is None and got["conversion_rate"] is None


def test_metrics_where_filters_and_suppresses(overview_db, capsys) -> None:
    got = run_json(["metrics", "--db", str(overview_db), "--json", "--min-cell", "0",
                    "--where", "employer=ACME corp", "--where", "year=2024"], capsys)
    assert got["placements"] == 6 and got["eligible"] == 6 and got["accepted"] == 3
    assert got["filter"] == "2024, ACME corp"
    # 6 placements under the default threshold: nothing but nulls and the flag
    got = run_json(["metrics", "--db", str(overview_db), "--json", "--where", "employer=acme corp"], capsys)
    assert got["suppressed"] is True
    assert all(got[k] is None for k in REQUIRED_KEYS)
    got = run_json(["metrics", "--db", str(overview_db), "--json", "--min-cell", "0",
                    "--where", "paid=no", "--where", "credit=yes"], capsys)
    assert got["placements"] == 2 and got["paid_share"] == 0.0


def test_hostile_where_value_is_just_a_value(overview_db, capsys) -> None:
    got = run_json(["metrics", "--db", str(overview_db), "--json", "--min-cell", "0",
                    "--where", "university=x' OR 1=1 --"], capsys)
    assert got["placements"] == 0 and got["conversion_rate"] is None


def test_metrics_text_output(overview_db, capsys) -> None:
    assert main(["metrics", "--db", str(overview_db), "--min-cell", "0"]) == 0
    out = capsys.readouterr().out
    assert "Conversion rate   40.0%" in out
    assert "median 22.00 USD" in out and "1 other currency not mixed in" in out
    assert main(["metrics", "--db", str(overview_db)]) == 0
    assert "fewer than 10 paid records" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "fragment"), [
    (["metrics", "--where", "foo=1"], "unknown --where field 'foo'"),
    (["metrics", "--where", "year=twenty"], "expects a year"),
    (["metrics", "--where", "paid=maybe"], "expects yes or no"),
    (["metrics", "--where", "season=monsoon"], "must be one of spring, summer, fall, winter"),
    (["metrics", "--where", "university"], "FIELD=VALUE"),
    (["metrics", "--where", "year="], "needs a value"),
    (["metrics", "--min-cell", "-3"], "--min-cell"),
    (["compare"], "employers"),
    (["compare", "universities"], "invalid choice"),
    (["compare", "employers", "--where", "degree=phd"], "must be one of"),
])
def test_bad_arguments_exit_2_with_one_line(overview_db, argv, fragment, capsys) -> None:
    assert main([*argv, "--db", str(overview_db)] if argv[0] == "metrics" or len(argv) > 2
                else argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1


def test_missing_database_exits_2(tmp_path: Path, capsys) -> None:
    for argv in (["metrics"], ["compare", "employers"]):
        assert main([*argv, "--db", str(tmp_path / "absent.duckdb"), "--json"]) == 2
        assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "absent.duckdb").exists()


def test_compare_employers_json(employers_db, capsys) -> None:
    got = run_json(["compare", "employers", "--db", str(employers_db), "--json"], capsys)
    assert got["target_conversion"] == pytest.approx(60 / 110)
    names = [e["employer"] for e in got["employers"]]
    assert names == ["Delta", "Alpha", "Charlie", "Bravo"]  # by shrunk conversion
    alpha = got["employers"][1]
    for key in ("n", "offers", "accepted", "offer_rate", "acceptance_rate", "conversion_rate",
                "conversion_rate_low", "conversion_rate_high", "z_score", "outside_95",
                "outside_998", "shrunk_conversion", "rank", "median_hourly_pay",
                "hourly_pay_currency", "median_weeks", "suppressed"):
        assert key in alpha
    assert (alpha["n"], alpha["accepted"], alpha["outside_95"], alpha["outside_998"]) == (40, 30, True, False)
    # with a higher threshold the small employers are suppressed, with nulls in the JSON
    got = run_json(["compare", "employers", "--db", str(employers_db), "--json", "--min-cell", "15"],
                   capsys)
    hidden = {e["employer"] for e in got["employers"] if e["suppressed"]}
    assert hidden == {"Delta", "Charlie"}  # 10 < 15, and 20 is the complementary cell
    assert all(e["conversion_rate"] is None and e["n"] is None
               for e in got["employers"] if e["suppressed"])


def test_compare_employers_text(employers_db, capsys) -> None:
    assert main(["compare", "employers", "--db", str(employers_db), "--min-cell", "15"]) == 0
    out = capsys.readouterr().out
    assert "Alpha" in out and "fewer than 15" in out and "outside" in out


def test_runs_as_a_process_without_tracebacks(overview_db) -> None:
    ok = subprocess.run([sys.executable, "-m", "analytics.cli", "metrics", "--db", str(overview_db),
                         "--json"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert set(_no_nan(ok.stdout)) >= REQUIRED_KEYS
    bad = subprocess.run([sys.executable, "-m", "analytics.cli", "metrics", "--db", str(overview_db),
                          "--where", "year=soon"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
