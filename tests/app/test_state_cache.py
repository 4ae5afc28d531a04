"""The metric result cache (analytics/app/state.py) never serves one principal's answer to
another, nor an answer from before the data changed; and one selection written two ways is one
entry. Each cached answer is checked against the metric computed directly, without the cache."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from analytics import metrics
from analytics.access import LOCAL_ADMIN, Principal
from analytics.app import queries, state
from analytics.filters import Filter
from analytics.ingest.load import load_canonical_csv
from tests.app.conftest import TINY_ROWS, write_tiny_csv

# Two principals who must get different counts: the network's administrator, and an analyst of a
# university the tiny network does not have (whose own scope is empty).
OUTSIDER = Principal(email="analyst@elsewhere.edu", name="", role="analyst",
                     universities=("Elsewhere University",))
# The same analyst as seen through another login: only the identity provider's fields differ.
OUTSIDER_OTHER_LOGIN = Principal(email="analyst@elsewhere.edu", name="", role="analyst",
                                 universities=("Elsewhere University",), issuer="https://idp.test",
                                 subject="42")


def _copy(tiny_db_path: Path, tmp_path: Path) -> Path:
    """The tiny database and its pseudonym key (an import refuses a database without its key)."""
    path = tmp_path / "cache.duckdb"
    shutil.copyfile(tiny_db_path, path)
    key = Path(f"{tiny_db_path}.key")
    if key.exists():
        shutil.copyfile(key, Path(f"{path}.key"))
    return path


def _count(who: Principal, flt: Filter, path: Path) -> int:
    store = state.store()
    return int(state.cached("record_count", str(path), store.data_version(), who, (),
                            (("flt", flt),)))


def _direct(who: Principal, flt: Filter) -> int:
    return metrics.record_count(state.store(), who, flt)


def test_two_principals_never_share_an_answer(tiny_db_path: Path, tmp_path: Path,
                                              use_db: Callable[[Path], None]) -> None:
    path = _copy(tiny_db_path, tmp_path)
    use_db(path)
    everything = Filter()
    # The administrator asks first and fills the cache; the outsider then asks the same question.
    admin_count = _count(LOCAL_ADMIN, everything, path)
    outsider_count = _count(OUTSIDER, everything, path)
    assert admin_count == _direct(LOCAL_ADMIN, everything) == len(TINY_ROWS)
    assert outsider_count == _direct(OUTSIDER, everything) == 0
    # And the other way round, on a selection nobody asked yet.
    year = Filter(term_years=(2025,))
    assert _count(OUTSIDER, year, path) == 0
    assert _count(LOCAL_ADMIN, year, path) == sum(1 for row in TINY_ROWS if row[0] == 2025)
    # Principals are told apart by every field, the login's identity included.
    assert state.cache_key("record_count", str(path), 1, OUTSIDER, (), ()) != \
        state.cache_key("record_count", str(path), 1, OUTSIDER_OTHER_LOGIN, (), ())


def test_an_upload_makes_every_cached_answer_stale(tiny_db_path: Path, tmp_path: Path,
                                                   use_db: Callable[[Path], None]) -> None:
    path = _copy(tiny_db_path, tmp_path)
    use_db(path)
    before = _count(LOCAL_ADMIN, Filter(), path)
    assert before == len(TINY_ROWS)
    # Another batch of the same 13 rows under new ids, loaded through the importer.
    more = write_tiny_csv(tmp_path / "more.csv")
    more.write_text(more.read_text().replace("T0", "U0").replace("S0", "R0"))
    load_canonical_csv(state.writable_store(), more)
    queries.prepare_dashboards(state.writable_store())  # as the Upload page does after a load
    after = _count(LOCAL_ADMIN, Filter(), path)
    assert after == _direct(LOCAL_ADMIN, Filter()) == 2 * len(TINY_ROWS)


def test_one_selection_written_two_ways_is_one_entry() -> None:
    # Filter normalises its values, so the same selection keys the same entry...
    assert state.cache_key("overview", "db", 3, LOCAL_ADMIN, (), (("flt", Filter(term_years=(2024,))),)) == \
        state.cache_key("overview", "db", 3, LOCAL_ADMIN, (), (("flt", Filter(term_years=("2024",))),))
    # ...and a different value, type or version never does.
    base = state.cache_key("pay_by", "db", 3, LOCAL_ADMIN, ("employer",), (("currency", None),))
    for other in (
        state.cache_key("pay_by", "db", 4, LOCAL_ADMIN, ("employer",), (("currency", None),)),
        state.cache_key("pay_by", "db", 3, LOCAL_ADMIN, ("university",), (("currency", None),)),
        state.cache_key("pay_by", "db", 3, LOCAL_ADMIN, ("employer",), (("currency", "None"),)),
        state.cache_key("pay_by", "other.duckdb", 3, LOCAL_ADMIN, ("employer",), (("currency", None),)),
    ):
        assert other != base
