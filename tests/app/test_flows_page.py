"""AppTests of the Flows page: the sample (Sankey, link table, downloads, the role-family view),
an empty database, and a network too small to show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from analytics import metrics
from analytics import store as store_module
from analytics.access import LOCAL_ADMIN
from analytics.filters import Filter
from tests.app.test_pages import open_page, texts

TITLE = "Flows: from university to employer to outcome"


def sankey(app: AppTest) -> dict[str, Any]:
    (chart,) = [json.loads(e.proto.spec) for e in app.get("plotly_chart")]
    (trace,) = chart["data"]
    assert trace["type"] == "sankey"
    return dict(trace)


def test_flows_page_on_the_sample(sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "flows")
    assert not app.exception, app.exception
    assert app.title[0].value == TITLE
    trace = sankey(app)
    labels = trace["node"]["label"]
    # The same links as the metric (computed here by the metrics layer straight from the file).
    links = metrics.flows(store_module.open_store(sample_db_path), LOCAL_ADMIN, Filter(), "employer")
    # Links into the unlabelled node are the invisible ones that keep a node with nothing drawn
    # out of it (No offer, say) in its own column; they carry that node's own total.
    drawn = sorted((labels[s], labels[t], v) for s, t, v in
                   zip(trace["link"]["source"], trace["link"]["target"], trace["link"]["value"], strict=True)
                   if labels[t])
    assert drawn == sorted(links.select("source", "target", "n").iter_rows())
    assert "Northfield State University" in labels and "Converted" in labels
    assert "Other employers" in labels
    # The folding is explained, and the link table is there with its downloads.
    assert "are added together into the grey nodes" in texts(app)
    table = app.dataframe[0].value
    assert list(table.columns) == ["Step", "From", "To", "Eligible interns", "Folded"]
    assert len(table) == links.height
    assert {"Download CSV", "Download Excel"} <= {b.label for b in app.get("download_button")}


def test_flows_page_by_role_family(sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "flows")
    app.radio(key="flows_middle").set_value("Role family").run()
    assert not app.exception, app.exception
    labels = sankey(app)["node"]["label"]
    assert "software engineering" in labels and "Other employers" not in labels
    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["title"]["text"] == "Eligible interns from university to role family to outcome"


def test_flows_page_explains_an_empty_database(tmp_path: Path, use_db, app_factory) -> None:
    use_db(tmp_path / "empty.duckdb")
    app = open_page(app_factory(), "flows")
    assert not app.exception, app.exception
    assert "no placements yet" in app.info[0].value
    assert not app.get("plotly_chart")


def test_flows_page_on_a_network_too_small_to_show(tiny_db_path: Path, use_db, app_factory,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The tiny network has 9 eligible interns: under the default threshold of 10.
    use_db(tiny_db_path)
    app = open_page(app_factory(), "flows")
    assert not app.exception, app.exception
    assert not app.get("plotly_chart")
    assert f"fewer than {metrics.DEFAULT_MIN_CELL} eligible interns" in texts(app)


def test_flows_page_shows_converted_interns_a_year_on(sample_db_path: Path, use_db, app_factory) -> None:
    use_db(sample_db_path)
    app = open_page(app_factory(), "flows")
    assert not app.exception, app.exception
    labels = sankey(app)["node"]["label"]
    assert {"Stayed a year", "Left within a year", "Not yet known"} <= set(labels)
    assert '"not yet known" -- never counted as stayers or leavers' in texts(app).replace("\\", "")
    table = app.dataframe[0].value
    step = table[table["Step"] == "Converted to a year on"]
    # Every converted intern of the sample, as the Overview counts them (accepted offers).
    accepted = metrics.overview(store_module.open_store(sample_db_path), LOCAL_ADMIN)["accepted"][0]
    shown = sum(int(str(v).replace(",", "")) for v in step["Eligible interns"])
    assert set(step["From"]) == {"Converted"} and shown == accepted
