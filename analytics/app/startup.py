"""Everything the pages import, imported once, before any session's script goes further.

Streamlit runs each session's script in its own thread, and the first runs after a restart
arrive together. Left to the pages, the heavy libraries are first imported inside those threads,
and some code looks a module up in sys.modules without importing it: plotly's
`get_module("pandas", should_load=False)` then finds a pandas another thread is still
initialising, and the page fails with "partially initialized module 'pandas' has no attribute
'Series'". dashboard.py imports this module before anything else; Python holds this module's
import lock while the imports below run, so the other sessions wait here until every library
is whole, and never see one half-built.
"""

from __future__ import annotations

# The libraries Streamlit, plotly and polars import lazily while a page renders (found by
# diffing sys.modules before and after a run of every page).
import numpy  # noqa: F401
import pandas  # noqa: F401
import PIL.Image  # noqa: F401
import plotly.graph_objects as go
import plotly.io
import plotly.offline
import plotly.tools  # noqa: F401
import polars  # noqa: F401
import pyarrow
import pyarrow.compute
import pyarrow.ipc
import pyarrow.pandas_compat  # noqa: F401

# The modules the page scripts share (pages are executed, not imported, so nothing else loads
# these before the first page run).
from analytics import charts, export, metrics  # noqa: F401
from analytics.app import common, kpis, queries, sidebar, state  # noqa: F401

# The metrics package imports a metric's module when the name is first asked for (so that a CLI
# import need not load them); the server asks for every one now, for the reason above.
for _name in metrics.__all__:
    getattr(metrics, _name)


def _warm_plotly() -> None:
    """Build and serialise one figure of every trace type the charts use: plotly loads each
    trace class, its validators and its JSON encoder on first use."""
    figure = go.Figure(
        [go.Bar(x=[1], y=[1]), go.Scatter(x=[1], y=[1]), go.Funnel(x=[1], y=["a"])],
        layout=go.Layout(template=charts.THEME),
    )
    figure.update_layout(title="warm-up")
    figure.to_json()


_warm_plotly()


def _freeze_startup_objects() -> None:
    """Move everything imported so far out of the garbage collector's sight (gc.freeze).

    A full collection walks every tracked object: the ~140,000 these imports create (modules,
    classes, plotly's validators, pandas, polars) cost it 65-80 ms of CPU each time, holding the
    interpreter lock, for objects that live as long as the process anyway. Streamlit's default
    runs one after every script run (the project's config turns that off, runner.postScriptGC;
    a server started without it still gets this), and Python's own collector runs full ones as
    objects accumulate. Frozen, they are never walked; what a run creates (and any cycle it
    leaves) is still collected. The collection first drops the garbage the imports left, so
    nothing dead is frozen."""
    import gc

    gc.collect()
    gc.freeze()


_freeze_startup_objects()
