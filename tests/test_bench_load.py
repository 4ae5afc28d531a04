"""The load test's own logic (benchmarks/bench_load.py): which pages it walks, its user model,
its CPU reading and where its two modes write. The whole benchmark against a server is smoke-
tested in tests/e2e/test_load_client.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

from analytics.app import navigation
from benchmarks import bench_load
from benchmarks.results import write_section


def test_the_crowd_walks_every_dashboard_page_the_sidebar_lists() -> None:
    # Upload is the analyst's session and Admin manages users; every other listed page is walked
    # (the default page as "", the path Streamlit serves it at).
    listed = [entry[3] for entries in navigation.SECTIONS.values() for entry in entries]
    expected = {"" if path == navigation.DEFAULT_PATH else path for path in listed} - {"upload", "admin"}
    assert set(bench_load.PAGES) == expected
    assert len(bench_load.PAGES) == len(set(bench_load.PAGES)) == 14


def test_think_times_are_seeded_and_lie_between_half_and_one_and_a_half_the_mean() -> None:
    first = bench_load.Reader(10.0, seed=7)
    again = bench_load.Reader(10.0, seed=7)
    other = bench_load.Reader(10.0, seed=8)
    drawn = [first.think_time() for _ in range(500)]
    assert drawn == [again.think_time() for _ in range(500)]
    assert drawn != [other.think_time() for _ in range(500)]
    assert all(5.0 <= t <= 15.0 for t in drawn)
    # Uniform on [5, 15]: the mean of 500 draws is within 1 s of 10 (its standard error is 0.13).
    assert abs(sum(drawn) / len(drawn) - 10.0) < 1.0
    arrivals = [bench_load.Reader(10.0, seed=s).arrival() for s in range(200)]
    assert all(0.0 <= t <= 10.0 for t in arrivals) and max(arrivals) - min(arrivals) > 5.0


def test_saturation_mode_has_no_pause_at_all() -> None:
    reader = bench_load.Reader(0.0, seed=1)
    assert reader.arrival() == 0.0
    assert {reader.think_time() for _ in range(10)} == {0.0}


def test_cpu_seconds_agrees_with_the_process_own_clock() -> None:
    before = bench_load.cpu_seconds(os.getpid())
    spin_until = time.process_time() + 0.3
    while time.process_time() < spin_until:  # burn some CPU so the two readings must move
        pass
    # /proc counts in clock ticks (10 ms): both readings of this process's CPU agree to a few ticks.
    assert abs(bench_load.cpu_seconds(os.getpid()) - time.process_time()) < 0.1
    assert bench_load.cpu_seconds(os.getpid()) - before >= 0.25


def _result(think: float) -> dict[str, object]:
    return {
        "sessions": 2, "think_s": think, "pages": 14, "page_runs": 36, "errors": 0, "problems": [],
        "median_s": 0.2, "p95_s": 0.9, "max_s": 1.5, "elapsed_s": 60.0, "runs_per_s": 0.7,
        "crowd_cpu_s": 9.0, "cpu_per_run_s": 0.2, "solo_cpu_per_run_s": (0.15, 0.05), "solo_runs": 18,
        "rss_before_mb": 400.0, "rss_before_now_mb": 410.0, "rss_after_now_mb": 460.0,
        "rss_peak_mb": 500.0, "rss_after_mb": 450.0, "upload": {}, "uploading": True,
        "load_average": (1.0, 2.0),
    }


def test_the_saturation_run_never_overwrites_the_headline_with_think_time(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    headline = bench_load.report(_result(10.0), 1_000_000, "python -m benchmarks.bench_load")
    saturation = bench_load.report(_result(0.0), 1_000_000, "python -m benchmarks.bench_load --think 0")
    write_section(bench_load.SECTION, headline, results)
    write_section(bench_load.SATURATION_SECTION, saturation, results)
    text = results.read_text()
    assert text.count(bench_load.SECTION + "\n") == 1 and bench_load.SATURATION_SECTION in text
    assert "think time drawn uniformly from 5 to 15 s" in text
    assert "no think time" in text
    # Only the headline claims the users' targets; the saturation run is capacity.
    assert "**met**" in headline and "**met**" not in saturation
