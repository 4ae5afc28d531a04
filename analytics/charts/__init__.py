"""Plotly figures: pure functions from the metrics layer's Polars frames to figures.

One theme for every chart (`THEME`), a colour-blind-safe palette (Okabe & Ito, 2008), titles
that say what is shown, axis labels with units, and hover text that always carries the count a
number rests on and, for rates, its 95% interval. Suppressed rows (fewer than min_cell
students) are never drawn: the disclosure gate has already nulled their numbers, and a chart
must not hint at them either. No Streamlit here, so the figures can be tested and reused by a
report.

Split by subject: `base` (theme, palette, formatting, building blocks), `conversion`, `pay`,
`durations`, `breakdowns`, `flows`. Callers use `from analytics import charts` and the names below.
"""

from analytics.charts.base import (
    BENCHMARK_COLOUR,
    BLACK,
    BLUE,
    GREEN,
    GREY,
    LONG_LABEL,
    ORANGE,
    PALETTE,
    PURPLE,
    RATE_COLOURS,
    RATE_DENOMINATORS,
    RATE_LABELS,
    SKY,
    THEME,
    VERMILLION,
    YELLOW,
    BenchmarkLine,
    count,
    empty_figure,
    figure_title,
    hidden_groups,
    interval_text,
    money,
    pct,
    shown,
    sparkline_values,
)
from analytics.charts.breakdowns import (
    knowledge_rates,
    pay_by_group,
    rates_against_population,
    rating_distribution,
    rating_means,
)
from analytics.charts.conversion import (
    compare_over_terms,
    funnel,
    funnel_plot,
    rate_by_group,
    rates_by_group,
    rates_over_terms,
    university_vs_network,
)
from analytics.charts.durations import schedule_mix, share_by_group
from analytics.charts.flows import sankey
from analytics.charts.outcomes import (
    days_histogram,
    share_dots,
    survival_at,
    survival_curves,
    timeline_ranges,
)
from analytics.charts.pay import histogram, paid_share_over_terms, pay_vs_conversion, ranges

__all__ = [
    "BENCHMARK_COLOUR",
    "BLACK",
    "BLUE",
    "GREEN",
    "GREY",
    "LONG_LABEL",
    "ORANGE",
    "PALETTE",
    "PURPLE",
    "RATE_COLOURS",
    "RATE_DENOMINATORS",
    "RATE_LABELS",
    "SKY",
    "THEME",
    "VERMILLION",
    "YELLOW",
    "BenchmarkLine",
    "compare_over_terms",
    "count",
    "days_histogram",
    "empty_figure",
    "figure_title",
    "funnel",
    "funnel_plot",
    "hidden_groups",
    "histogram",
    "interval_text",
    "knowledge_rates",
    "money",
    "paid_share_over_terms",
    "pay_by_group",
    "pay_vs_conversion",
    "pct",
    "ranges",
    "rate_by_group",
    "rates_against_population",
    "rates_by_group",
    "rates_over_terms",
    "rating_distribution",
    "rating_means",
    "sankey",
    "schedule_mix",
    "share_by_group",
    "share_dots",
    "shown",
    "sparkline_values",
    "survival_at",
    "survival_curves",
    "timeline_ranges",
    "university_vs_network",
]
