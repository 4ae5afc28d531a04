"""Breakdown charts: pure figures from hand-made metric frames (suppressed rows never drawn, the
population as a line, the 65% target, empty states)."""

from __future__ import annotations

import polars as pl

from analytics import charts


def _equity() -> pl.DataFrame:
    return pl.DataFrame({
        "group": ["all eligible interns", "female", "male", "nonbinary"],
        "sort_key": [-1, 0, 0, 0],
        "population": [True, False, False, False],
        "n": [124, 40, 50, None],
        "offer_rate": [0.64, 0.6, 0.7, None], "offer_rate_low": [0.55, 0.45, 0.56, None],
        "offer_rate_high": [0.72, 0.73, 0.81, None],
        "conversion_rate": [0.48, 0.5, 0.5, None], "conversion_rate_low": [0.4, 0.35, 0.36, None],
        "conversion_rate_high": [0.57, 0.65, 0.64, None],
        "currency": ["USD"] * 4, "median_hourly_pay": [22.0, 20.0, 24.0, None],
        "suppressed": [False, False, False, True], "pay_suppressed": [False, False, False, True],
    })


def test_rates_against_population_draws_groups_and_the_population_as_a_line() -> None:
    fig = charts.rates_against_population(_equity(), ("conversion_rate",), title="Conversion by gender")
    assert charts.figure_title(fig) == "Conversion by gender"
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 1 and list(bars[0].x) == ["female", "male"]  # no population bar, no hidden
    labels = [a.text for a in fig.layout.annotations]
    assert "All eligible interns: 48.0%" in labels
    assert any(shape.y0 == 0.48 for shape in fig.layout.shapes)


def test_rates_against_population_takes_an_overall_rate_for_frames_without_one() -> None:
    frame = _equity().filter(~pl.col("population")).drop("population")
    fig = charts.rates_against_population(frame, ("conversion_rate",), title="t", overall=0.3)
    assert "All eligible interns: 30.0%" in [a.text for a in fig.layout.annotations]


def test_pay_by_group_hides_suppressed_pay_and_marks_the_population_median() -> None:
    fig = charts.pay_by_group(_equity(), title="Pay by gender")
    assert list(fig.data[0].x) == ["female", "male"]
    assert list(fig.data[0].y) == [20.0, 24.0]
    assert "All interns: 22.00 USD" in [a.text for a in fig.layout.annotations]
    assert fig.layout.yaxis.title.text == "Median hourly pay (USD)"


def test_rating_charts_draw_shown_rows_only_and_say_why_when_empty() -> None:
    bars = pl.DataFrame({"rating": ["intern_rating"] * 3 + ["supervisor_rating"] * 2,
                         "label": ["Intern"] * 3 + ["Supervisor"] * 2, "score": [3, 4, 5, 4, 5],
                         "count": [10, 20, 15, None, None], "share": [10 / 45, 20 / 45, 15 / 45, None, None],
                         "suppressed": [False, False, False, True, True]})
    fig = charts.rating_distribution(bars)
    assert [t.name for t in fig.data] == ["Intern"]
    assert list(fig.data[0].x) == ["3", "4", "5"]
    empty = charts.rating_distribution(bars.filter(pl.col("suppressed")))
    assert "enough students" in empty.layout.annotations[0].text
    means = pl.DataFrame({"rating": ["intern_rating"], "label": ["Intern"], "n": [12], "mean": [4.0],
                          "mean_low": [3.39], "mean_high": [4.61], "suppressed": [False]})
    fig = charts.rating_means(means)
    assert list(fig.data[0].x) == [4.0]
    assert abs(fig.data[0].error_x.array[0] - 0.61) < 1e-9
    assert tuple(fig.layout.xaxis.range) == (1, 5)


def test_knowledge_rates_colour_the_groups_under_the_target() -> None:
    frame = pl.DataFrame({"group": ["Summer 2023", "Summer 2024", "Fall 2024"], "sort_key": [1, 2, 3],
                          "n": [60, 200, None], "knowledge_rate": [1 / 3, 1.0, None],
                          "knowledge_rate_low": [0.22, 0.98, None], "knowledge_rate_high": [0.46, 1.0, None],
                          "suppressed": [False, False, True]})
    fig = charts.knowledge_rates(frame, 0.65, title="Knowledge by term")
    assert list(fig.data[0].x) == ["Summer 2023", "Summer 2024"]
    colours = list(fig.data[0].marker.color)
    assert colours[0] != colours[1]  # the term under 65% stands out
    assert "NACE minimum: 65%" in [a.text for a in fig.layout.annotations]
