"""Startup leaves the per-run garbage collection little to walk, and still collects what runs
leave behind (Streamlit runs gc.collect(2) after every script run)."""

from __future__ import annotations

import json
import subprocess
import sys

# Run in a fresh interpreter: the test process has imported (and frozen) whatever it likes.
PROBE = """
import gc, json, weakref
import analytics.app.startup
frozen = gc.get_freeze_count()
walked = len(gc.get_objects())

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a  # a reference cycle: only the collector frees it
alive = weakref.ref(a)
del a, b
gc.collect(2)
print(json.dumps({"frozen": frozen, "walked": walked, "cycle_freed": alive() is None}))
"""


def test_startup_freezes_its_imports_and_a_later_cycle_is_still_collected() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                          timeout=120)
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    # The libraries' objects (plotly, pandas, polars, ...) are out of the full collection's walk:
    # what is left for it is a small fraction of what the imports made.
    assert probe["frozen"] > 50_000
    assert probe["walked"] < probe["frozen"] / 10
    # Garbage made after startup is still freed by the collection Streamlit runs after a script.
    assert probe["cycle_freed"] is True
