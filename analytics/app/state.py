"""Process-wide resources and the result cache shared by every browser session.

The store is one `st.cache_resource` per server process. Metric results are `st.cache_data`
entries keyed by (metric, database file, data version, arguments): the filter is part of the
arguments, and the data version is bumped by every write (`Store.transaction`), so an upload or
undo makes every cached answer stale at once without anyone having to clear anything. Only
aggregated frames are cached (the metrics layer never returns a raw multi-million-row frame).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import streamlit as st

from analytics.access import AccessDenied, Principal
from analytics.metrics import layout
from analytics.stats import DEFAULT_MIN_CELL
from analytics.store import Store, database_exists, open_store, resolve_db_path

MIN_CELL_ENV: Final = "INTERNSHIPS_MIN_CELL"


@st.cache_resource(show_spinner=False)
def _open(path: str) -> Store:
    return open_store(path)


def missing_database() -> Path | None:
    """The configured database path when no database is there yet, else None."""
    path = resolve_db_path()
    return None if database_exists(path) else path


def store() -> Store:
    """The one Store of this server process; each script thread reads through its own cursor.

    Reading never creates the database: pointed at a path with nothing there (a typo in
    $INTERNSHIPS_DB), the pages read an empty in-memory database and say the file is missing,
    instead of creating an empty file that looks like the real answer."""
    return _open(":memory:" if missing_database() else str(resolve_db_path()))


def writable_store() -> Store:
    """The store an upload or the sample button writes to; creates the database if need be."""
    return _open(str(resolve_db_path()))


def data_version() -> int:
    """Bumped by every write; part of every cache key (read once per script run, see
    `one_data_version`)."""
    return store().data_version()


@contextmanager
def one_data_version() -> Iterator[int]:
    """Around a whole script run (navigation.run): the data version is read once at its start
    and every cache key, facts check and selection cache of the run uses that one number, so a
    page's 30 to 100 metric calls do not each ask the database (in the lake store each ask is a
    catalog round trip). The next run reads it afresh: an upload anywhere shows at the next run."""
    with store().one_data_version() as version:
        yield version


def min_cell() -> int:
    """The suppression threshold: $INTERNSHIPS_MIN_CELL, else the metrics layer's default."""
    text = os.environ.get(MIN_CELL_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_MIN_CELL


PRINCIPAL_KEY: Final = "principal"


def principal() -> Principal | None:
    """Who this browser session is: set by the login gate (auth.py); None until it has run or
    when the login has no access. Every metric call carries it."""
    found = st.session_state.get(PRINCIPAL_KEY)
    return found if isinstance(found, Principal) else None


def set_principal(who: Principal | None) -> None:
    st.session_state[PRINCIPAL_KEY] = who


def cache_key(name: str, db: str, version: int, who: Principal, args: tuple[Any, ...],
              kwargs: tuple[tuple[str, Any], ...]) -> str:
    """The result cache's key: the repr of everything the answer depends on. The arguments are
    str, int, float, bool, None, tuples of them, and frozen dataclasses (Principal, Filter)
    whose repr names every field, so equal reprs mean equal arguments. (Streamlit's own hashing
    of a dataclass deep-copies it through dataclasses.asdict, which cost 7% of the server's
    interpreter-lock time under 20 sessions.)"""
    return repr((name, db, version, who, args, kwargs))


@st.cache_data(show_spinner=False, max_entries=1000, ttl=6 * 3600)
def _cached_metric(key: str, _name: str, _who: Principal, _args: tuple[Any, ...],
                   _kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """Run analytics.metrics.<name> for `who`. Only `key` (cache_key: metric, database, data
    version, principal, arguments) keys the cache; Streamlit does not hash the arguments whose
    names start with "_", which are what `key` was made from."""
    from analytics import metrics

    function = getattr(metrics, _name)
    accepted = inspect.signature(function).parameters
    # min_cell is passed everywhere; a metric that does not suppress (options) just ignores it.
    options = {k: v for k, v in _kwargs if k in accepted or k != "min_cell"}
    return function(store(), _who, *_args, **options)


def cached(name: str, db: str, version: int, who: Principal, args: tuple[Any, ...],
           kwargs: tuple[tuple[str, Any], ...]) -> Any:
    """One metric through the result cache (two principals never share an answer, nor two data
    versions)."""
    return _cached_metric(cache_key(name, db, version, who, args, kwargs), name, who, args, kwargs)


def metric(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call a metrics function through the cache, as this session's principal (the store is
    passed for you). Without a principal nothing is computed: AccessDenied."""
    who = principal()
    if who is None:
        raise AccessDenied("You are not signed in, or your login has no access yet.")
    current = store()
    version = current.data_version()
    result = cached(name, str(current.path), version, who, args, tuple(sorted(kwargs.items())))
    # The server keeps the facts clustered by term (checked once per data version, rewritten in
    # the background when an import left them mixed): a speed layer, like the cache above.
    layout.maintain(current, version)
    return result


def load_sample() -> int:
    """Load the shipped sample into an empty database (the empty-state button). Returns rows."""
    from analytics.cli import SAMPLE_CSV
    from analytics.ingest.load import load_canonical_csv

    current = writable_store()
    if not current.table_counts()["placements"]:
        load_canonical_csv(current, SAMPLE_CSV)
    return int(current.table_counts()["placements"])
