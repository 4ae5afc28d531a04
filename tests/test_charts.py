"""Charts: pure figures from hand-made metric frames (theme, titles, hover, suppression)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import pytest

from analytics import charts
from analytics.charts.base import add_benchmarks, new_figure


def _terms() -> pl.DataFrame:
    # Three terms; the middle one is suppressed (its numbers already nulled by the metrics layer).
    return pl.DataFrame({
        "group": ["Summer 2023", "Fall 2023", "Summer 2024"],
        "sort_key": [20232, 20233, 20242],
        "n": [40, None, 50],
        "offers": [28, None, 30],
        "accepted": [20, None, 25],
        "conversion_rate": [0.5, None, 0.5],
        "conversion_rate_low": [0.35, None, 0.37],
        "conversion_rate_high": [0.65, None, 0.63],
        "offer_rate": [0.7, None, 0.6],
        "offer_rate_low": [0.55, None, 0.46],
        "offer_rate_high": [0.82, None, 0.73],
        "acceptance_rate": [20 / 28, None, 25 / 30],
        "acceptance_rate_low": [0.5, None, 0.66],
        "acceptance_rate_high": [0.85, None, 0.93],
        "suppressed": [False, True, False],
    })


def _hovers(fig) -> list[str]:
    return [str(trace.hovertemplate) for trace in fig.data if trace.hovertemplate]


def test_rates_over_terms_draws_bands_and_lines_without_suppressed_terms() -> None:
    fig = charts.rates_over_terms(_terms(), rates=("conversion_rate", "offer_rate"),
                                  benchmarks=[charts.BenchmarkLine(0.53, "NACE 2024: 53%")])
    assert charts.figure_title(fig) == "Conversion rate by term, with 95% intervals"
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["Conversion rate", "Offer rate"]
    assert list(lines[0].x) == ["Summer 2023", "Summer 2024"]  # Fall 2023 is suppressed
    assert lines[0].line.color == charts.RATE_COLOURS["conversion_rate"]
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == 2
    # band polygon: highs forward, lows back
    assert list(bands[0].y) == [0.65, 0.63, 0.37, 0.35]
    # hover names the count and the interval
    custom = [list(row) for row in lines[0].customdata]
    # ... and ends with the term, the key a click on the point filters on
    assert custom[0] == ["50.0%", "95% CI 35.0–65.0%", "40", "Summer 2023"]
    assert "n = %{customdata[2]} eligible interns" in lines[0].hovertemplate
    assert fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.xaxis.title.text == "Term"
    assert "%" in fig.layout.yaxis.title.text
    # the benchmark line carries its source and year
    assert [a.text for a in fig.layout.annotations] == ["NACE 2024: 53%"]
    assert fig.layout.shapes[0].y0 == 0.53


def test_acceptance_hover_counts_offers() -> None:
    fig = charts.rates_over_terms(_terms(), rates=("acceptance_rate",))
    line = next(t for t in fig.data if t.mode == "lines+markers")
    assert [row[2] for row in line.customdata] == ["28", "30"]
    assert "offers" in line.hovertemplate


def test_every_figure_uses_the_theme_and_palette() -> None:
    fig = charts.rate_by_group(_terms(), title="Conversion rate by season")
    assert fig.layout.template.layout.colorway == charts.THEME.layout.colorway
    assert list(fig.layout.template.layout.colorway) == list(charts.PALETTE)
    assert fig.layout.template.layout.plot_bgcolor == "white"


def test_rate_by_group_error_bars_span_the_interval() -> None:
    fig = charts.rate_by_group(_terms(), title="t", overall=0.5)
    bar = fig.data[0]
    assert list(bar.x) == ["Summer 2023", "Summer 2024"]
    assert [round(v, 2) for v in bar.error_y.array] == [0.15, 0.13]
    assert [round(v, 2) for v in bar.error_y.arrayminus] == [0.15, 0.13]
    assert "All groups: 50.0%" in [a.text for a in fig.layout.annotations]


def test_all_suppressed_or_empty_gives_a_titled_message_not_a_blank() -> None:
    frame = _terms().with_columns(pl.lit(True).alias("suppressed"))
    fig = charts.rates_over_terms(frame)
    assert charts.figure_title(fig) == "Conversion rate by term, with 95% intervals"
    assert fig.data == ()
    assert "enough eligible interns" in fig.layout.annotations[0].text
    empty = charts.funnel(pl.DataFrame({"stage": [], "count": []}, schema={"stage": pl.String,
                                                                            "count": pl.Int64}))
    assert empty.layout.annotations[0].text.startswith("Nothing to show")


def test_hidden_groups_counts_suppressed_rows() -> None:
    assert charts.hidden_groups(_terms()) == 1
    assert charts.hidden_groups(pl.DataFrame({"group": ["a"]})) == 0


def test_funnel_shows_counts_and_shares() -> None:
    frame = pl.DataFrame({
        "stage": ["Completed", "Eligible", "Offered", "Accepted"],
        "count": [100, 60, 40, 30],
        "share_of_first": [1.0, 0.6, 0.4, 0.3],
        "share_of_previous": [1.0, 0.6, 40 / 60, 0.75],
    })
    fig = charts.funnel(frame)
    trace = fig.data[0]
    assert list(trace.y) == ["Completed", "Eligible", "Offered", "Accepted"]
    assert list(trace.x) == [100, 60, 40, 30]
    assert [list(r) for r in trace.customdata][3] == ["30.0%", "75.0%"]


def test_funnel_plot_marks_points_outside_the_limits_and_hovers_employer_n_rate_interval() -> None:
    points = pl.DataFrame({
        "employer": ["Acme", "Beta", "Gamma", "Tiny"],
        "n": [100, 50, 80, None],
        "conversion_rate": [0.8, 0.5, 0.2, None],
        "conversion_rate_low": [0.71, 0.37, 0.13, None],
        "conversion_rate_high": [0.87, 0.63, 0.3, None],
        "outside_95": [True, False, True, None],
        "suppressed": [False, False, False, True],
    })
    limits = pl.DataFrame({"n": [10, 100], "low_95": [0.19, 0.4], "high_95": [0.81, 0.6],
                           "low_998": [0.01, 0.35], "high_998": [0.99, 0.65]})
    fig = charts.funnel_plot(points, limits, 0.5, highlight="Beta")
    by_name = {t.name: t for t in fig.data}
    assert by_name["Above the 95% limit"].customdata[0][0] == "Acme"
    assert list(by_name["Below the 95% limit"].x) == [80]
    assert list(by_name["Within the 95% limits"].x) == [50]
    assert by_name["Above the 95% limit"].marker.symbol == "triangle-up"
    hover = by_name["Within the 95% limits"].hovertemplate
    assert "n = " in hover and "Conversion" in hover
    row = list(by_name["Within the 95% limits"].customdata[0])
    assert row == ["Beta", "50.0%", "95% CI 37.0–63.0%", "50", "Beta"]
    assert {"95% control limits", "99.8% control limits"} <= set(by_name)
    assert "Tiny" not in str([t.customdata for t in fig.data])
    assert fig.layout.xaxis.title.text.startswith("Eligible interns per employer")


def test_pay_ranges_and_histogram_label_units() -> None:
    pay = pl.DataFrame({"group": ["software engineering", "other"], "n": [30, 12],
                        "median_hourly_pay": [25.0, 18.0], "p25_hourly_pay": [21.0, 15.0],
                        "p75_hourly_pay": [29.0, 20.0], "suppressed": [False, False]})
    fig = charts.ranges(pay, median="median_hourly_pay", low="p25_hourly_pay", high="p75_hourly_pay",
                        title="Hourly-equivalent pay by role family", value_title="USD per hour",
                        unit="USD/h", benchmarks=[charts.BenchmarkLine(22.06, "NACE 2023: $22.06")])
    bar, dots = fig.data
    assert list(bar.base) == [15.0, 21.0]  # sorted by median, lowest first (drawn bottom-up)
    assert list(bar.x) == [5.0, 8.0]
    assert list(dots.x) == [18.0, 25.0]
    assert fig.layout.xaxis.title.text == "USD per hour"
    assert fig.layout.shapes[0].x0 == 22.06

    bins = pl.DataFrame({"bin_low": [10.0, 12.0, 14.0], "bin_high": [12.0, 14.0, 16.0], "count": [5, 0, 15]})
    hist = charts.histogram(bins, title="Pay distribution", x_title="USD per hour", unit="USD")
    assert list(hist.data[0].y) == [5, 15]
    assert [list(r) for r in hist.data[0].customdata][1] == ["14–16 USD", "15", "75.0%"]
    assert hist.layout.yaxis.title.text == "Placements (count)"


def test_paid_share_stacks_to_one_and_hovers_its_interval() -> None:
    frame = pl.DataFrame({"group": ["Summer 2024"], "sort_key": [1], "n": [40], "paid": [30],
                          "unpaid": [10], "paid_share": [0.75], "paid_share_low": [0.6],
                          "paid_share_high": [0.86], "suppressed": [False]})
    fig = charts.paid_share_over_terms(frame, [charts.BenchmarkLine(0.59, "NACE 2023: 59%")])
    assert fig.layout.barmode == "stack"
    assert [t.y[0] for t in fig.data] == [0.75, 0.25]
    assert [t.customdata[0][1] for t in fig.data] == ["30", "10"]
    # the unpaid share's interval mirrors the paid one: 1 - 0.86 to 1 - 0.6
    assert [t.customdata[0][3] for t in fig.data] == ["<br>95% CI 60.0–86.0%", "<br>95% CI 14.0–40.0%"]


def test_university_vs_network_has_both_series() -> None:
    frame = pl.DataFrame({
        "employer": ["Acme", "Beta"], "n_university": [20, 12],
        "conversion_university": [0.6, 0.5], "conversion_university_low": [0.39, 0.25],
        "conversion_university_high": [0.78, 0.75], "n_network": [200, 90],
        "conversion_network": [0.55, 0.45], "conversion_network_low": [0.48, 0.35],
        "conversion_network_high": [0.62, 0.55], "suppressed": [False, False],
    })
    fig = charts.university_vs_network(frame, "Northfield")
    assert [t.name for t in fig.data] == ["Whole network", "Northfield"]
    assert "Northfield" in charts.figure_title(fig)


def test_sparkline_values_follow_term_order() -> None:
    assert charts.sparkline_values(_terms(), "conversion_rate") == [0.5, 0.5]


def test_long_group_names_turn_bars_on_their_side_first_group_on_top() -> None:
    frame = pl.DataFrame({
        "group": ["Atlantic Metropolitan University", "Granite Valley University"], "sort_key": [0, 1],
        "n": [100, 80], "conversion_rate": [0.5, 0.6], "conversion_rate_low": [0.4, 0.49],
        "conversion_rate_high": [0.6, 0.7], "suppressed": [False, False],
    })
    fig = charts.rate_by_group(frame, title="Conversion rate by university", overall=0.55)
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert list(bar.y) == ["Atlantic Metropolitan University", "Granite Valley University"]
    assert list(fig.layout.yaxis.categoryarray) == ["Granite Valley University",
                                                   "Atlantic Metropolitan University"]
    assert fig.layout.xaxis.tickformat == ".0%"
    assert "%{y}" in bar.hovertemplate
    # the overall rate becomes a dotted vertical line, labelled above the plot
    assert fig.layout.shapes[0].x0 == 0.55 and fig.layout.shapes[0].line.dash == "dot"


def test_benchmark_labels_sit_outside_the_plot_and_apart() -> None:
    fig = charts.rates_over_terms(_terms(), benchmarks=[charts.BenchmarkLine(0.53, "NACE 2024: 53%"),
                                                        charts.BenchmarkLine(0.5, "NACE target: 50%")])
    notes = {a.text: a for a in fig.layout.annotations}
    assert notes["NACE 2024: 53%"].xref == "paper" and notes["NACE 2024: 53%"].x == 1.0
    assert notes["NACE target: 50%"].yshift < notes["NACE 2024: 53%"].yshift
    assert fig.layout.margin.r > 100


@pytest.mark.parametrize("subtitle", [None, "Since 2019, all universities"])
@pytest.mark.parametrize("x_title, y_title", [("", ""), ("Term", "Conversion rate")])
def test_a_new_figure_is_the_one_update_layout_would_build(subtitle: str | None, x_title: str,
                                                           y_title: str) -> None:
    # The second method: an empty figure given the same theme, title, size and axis titles
    # through update_layout, as plotly's documentation does it.
    expected = go.Figure()
    heading: dict[str, object] = {"text": "Conversion by term"}
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": 13, "color": charts.GREY}}
    expected.update_layout(template=charts.THEME, title=heading, height=380, xaxis_title=x_title,
                           yaxis_title=y_title)
    if subtitle:
        expected.update_layout(margin={"t": 110})
    built = new_figure("Conversion by term", x_title=x_title, y_title=y_title, height=380,
                              subtitle=subtitle)
    assert built.to_plotly_json() == expected.to_plotly_json()


@pytest.mark.parametrize("horizontal", [True, False])
def test_benchmark_lines_are_the_lines_plotly_own_helpers_draw(horizontal: bool) -> None:
    lines = [charts.BenchmarkLine(value=0.53, label="NACE 2024: 53%"),
             charts.BenchmarkLine(value=0.41, label="Overall 41%", dash="dot")]
    built = new_figure("Conversion")
    built.add_trace(go.Bar(x=["A", "B"], y=[0.4, 0.6]))
    add_benchmarks(built, lines, horizontal=horizontal)
    # The second method: the same figure with plotly's add_hline / add_vline for the lines.
    expected = new_figure("Conversion")
    expected.add_trace(go.Bar(x=["A", "B"], y=[0.4, 0.6]))
    for line in sorted(lines, key=lambda b: b.value):
        style = {"color": charts.BENCHMARK_COLOUR, "dash": line.dash, "width": 1.3}
        if horizontal:
            expected.add_hline(y=line.value, line=style)
        else:
            expected.add_vline(x=line.value, line=style)
    shapes = built.to_plotly_json()["layout"]["shapes"]
    assert shapes == expected.to_plotly_json()["layout"]["shapes"]
    assert len(built.layout.annotations) == 2  # each line still carries its label
