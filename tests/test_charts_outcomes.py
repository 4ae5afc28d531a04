"""The retention and timeline figures: what they draw, and what they leave out."""

from __future__ import annotations

import polars as pl
import pytest

from analytics import charts


def curve(groups: dict[str, list[float]]) -> pl.DataFrame:
    rows = []
    for k, (group, values) in enumerate(groups.items()):
        for month, value in enumerate(values):
            rows.append({"group": group, "sort_key": k, "month": month, "years": month / 12,
                         "survival": value, "survival_low": value - 0.05 if month else None,
                         "survival_high": min(1.0, value + 0.05) if month else None,
                         "at_risk": 100 - month})
    return pl.DataFrame(rows)


def test_survival_curves_draw_a_step_line_and_a_band_per_group() -> None:
    fig = charts.survival_curves(curve({"yes": [1.0, 0.9, 0.8], "no": [1.0, 0.7]}), title="Retention")
    lines = [t for t in fig.data if t.mode == "lines"]
    bands = [t for t in fig.data if t.fill == "toself"]
    assert [t.name for t in lines] == ["yes", "no"]
    assert all(t.line.shape == "hv" for t in lines) and len(bands) == 2
    assert list(lines[0].y) == [1.0, 0.9, 0.8]
    # The band runs along the upper limits and back along the lower ones (month 0: the value).
    assert list(bands[1].y) == pytest.approx([1.0, 0.75, 0.65, 1.0])
    assert charts.figure_title(charts.survival_curves(curve({}), title="Retention")) == "Retention"


def test_survival_at_a_horizon_leaves_out_suppressed_groups() -> None:
    frame = pl.DataFrame({"group": ["A", "B"], "sort_key": [0, 1], "survival_1y": [0.7, None],
                          "survival_1y_low": [0.6, None], "survival_1y_high": [0.8, None],
                          "at_risk_1y": [50, None], "suppressed": [False, True]})
    fig = charts.survival_at(frame, "1y", title="At one year", group_title="Group")
    assert list(fig.data[0].x) == ["A"] and list(fig.data[0].y) == [0.7]
    assert fig.data[0].error_y.array[0] == pytest.approx(0.1)
    assert fig.data[0].error_y.arrayminus[0] == pytest.approx(0.1)


def test_timeline_ranges_skip_intervals_without_figures() -> None:
    row = {"median_to_offer": 25.0, "p25_to_offer": 17.0, "p75_to_offer": 35.0, "n_to_offer": 100,
           "median_to_deadline": None, "median_to_decision": 10.0, "p25_to_decision": 7.0,
           "p75_to_decision": 14.0, "n_to_decision": 90}
    fig = charts.timeline_ranges(row, title="Steps")
    medians = fig.data[1]
    assert list(medians.y) == ["Offer to decision", "Internship end to offer"]
    assert list(medians.x) == [10.0, 25.0]
    assert list(fig.data[0].base) == [7.0, 17.0] and list(fig.data[0].x) == [7.0, 18.0]


def test_an_employer_whose_outcomes_are_all_hidden_stays_in_the_employer_column() -> None:
    """Seen on the sample as a university viewer: Falcon's one outcome link was suppressed, so it
    had no link out and Plotly drew it among the outcomes. It now has one invisible link, to an
    invisible node, of its own (shown) total; nothing of its outcomes is drawn."""
    frame = pl.DataFrame({
        "layer": [1, 1, 2, 2, 2],
        "source": ["U1", "U1", "Acme", "Acme", "Falcon"],
        "target": ["Acme", "Falcon", "Converted", "No offer", "Not shown (small groups)"],
        "n": [30, 12, 18, 12, None],
        "links": [1, 1, 1, 1, 2],
        "folded": [False, False, False, False, True],
        "other_source": [False] * 5,
        "suppressed": [False, False, False, False, True],
        "perturbed": [False] * 5,
    })
    (trace,) = charts.sankey(frame, "Flows").data
    labels = list(trace.node.label)
    out_of_falcon = [(labels[t], v, c) for s, t, v, c in zip(
        trace.link.source, trace.link.target, trace.link.value, trace.link.color, strict=True)
        if labels[s] == "Falcon"]
    assert out_of_falcon == [("", 12, charts.flows.INVISIBLE)]
    assert trace.node.color[labels.index("")] == charts.flows.INVISIBLE
    assert "Not shown (small groups)" not in labels  # the hidden fold is not drawn at all
    # The outcome nodes (the last column) need no such link.
    sources = {labels[s] for s in trace.link.source}
    assert not {"Converted", "No offer"} & sources


def test_without_a_stranded_node_no_invisible_link_is_added() -> None:
    frame = pl.DataFrame({
        "layer": [1, 2, 2], "source": ["U1", "Acme", "Acme"],
        "target": ["Acme", "Converted", "No offer"], "n": [30, 18, 12], "links": [1, 1, 1],
        "folded": [False] * 3, "other_source": [False] * 3, "suppressed": [False] * 3,
        "perturbed": [False] * 3,
    })
    (trace,) = charts.sankey(frame, "Flows").data
    assert "" not in list(trace.node.label) and list(trace.link.value) == [30, 18, 12]
