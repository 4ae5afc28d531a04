"""Issue 11, case 1 in the app: the Employers page's profile picker and a hidden employer.

The comparison hides Tiny (3 eligible) and, as its complement, Comp (12). Whatever the picker
offers, the profile of an employer the comparison hid must show no figure about it (cards, roles
table, trend chart), or overview - visible employers - Comp gives Tiny.

On 7c8cc45: picking Comp showed "Eligible interns 12" and "Conversion rate (employer) 50.0%", its
roles table (12 placements, 12 eligible) and its trend line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from analytics import metrics
from tests.app.test_pages import open_page
from tests.disclosure_support import ADMIN, MIN_CELL, make_store
from tests.test_disclosure_attacks import hidden_pair_rows

FEWER = re.compile(r"fewer than \d+")


def figures_in(text: Any) -> bool:
    """Does a shown text carry a number (other than the 'fewer than 10' note)?"""
    return bool(re.search(r"\d", FEWER.sub("", str(text or ""))))


def test_profile_of_a_hidden_employer_shows_no_figures(tmp_path: Path, use_db, app_factory) -> None:
    path = tmp_path / "pair.duckdb"
    store = make_store(path, hidden_pair_rows())
    hidden = set(metrics.employer_comparison(store, ADMIN, min_cell=MIN_CELL)
                 .filter(pl.col("suppressed"))["employer"].to_list())
    store.close()
    assert hidden == {"Comp", "Tiny"}
    use_db(path)
    app = open_page(app_factory(), "employers")
    assert not app.exception
    options = app.selectbox(key="employer_profile").options
    assert {"Big One", "Big Two"} <= set(options)
    leaks: dict[str, list[str]] = {}
    for name in sorted(hidden & set(options)):
        app.selectbox(key="employer_profile").set_value(name).run()
        assert not app.exception
        shown = [f"card {m.label}: {m.value}" for m in app.metric if figures_in(m.value)]
        for frame in app.dataframe[1:]:  # [0] is the ranking; the rest belong to the profile
            for record in frame.value.to_dict("records"):
                shown += [f"table {k}: {v}" for k, v in record.items()
                          if k not in ("Role family",) and figures_in(v)]
        for element in app.get("plotly_chart"):
            spec = json.loads(element.proto.spec)
            for trace in spec.get("data", []):
                if trace.get("name") == name and any(y is not None for y in trace.get("y", []) or []):
                    shown.append(f"chart {spec['layout']['title']['text']}: {trace.get('y')}")
        if shown:
            leaks[name] = shown
    assert leaks == {}
