"""Hand-built placements into a store through the real loader, so derived fields (employer_key,
term, schedule, hourly pay, record keys, pseudonyms) are the store's own. Shared by the metrics
tests and the disclosure attack suite; each keeps its own `row()` defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from analytics import schema
from analytics.ingest.load import insert_placements, new_batch, pseudonym_key
from analytics.store import Store

POLARS_TYPES: dict[str, Any] = {
    "VARCHAR": pl.String, "BOOLEAN": pl.Boolean, "DOUBLE": pl.Float64, "INTEGER": pl.Int32,
    "DATE": pl.Date, "BIGINT": pl.Int64, "TIMESTAMP": pl.Datetime,
}


def insert(store: Store, rows: list[dict[str, Any]]) -> None:
    """Load `rows` (canonical field names; missing fields null) as one batch."""
    frame = pl.DataFrame(
        [{f.name: r.get(f.name) for f in schema.INPUT_FIELDS} for r in rows],
        schema={f.name: POLARS_TYPES[f.sql_type] for f in schema.INPUT_FIELDS},
    )
    with store.transaction() as cur:
        batch = new_batch(cur, file_name="fixture.csv", sha256=None, uploader="test",
                          mapping_json=None)
        cur.register("fixture_rows", frame.to_arrow())
        try:
            insert_placements(cur, "fixture_rows", batch, pseudonym_key(store))
        finally:
            cur.unregister("fixture_rows")


def make_store(path: Path, rows: list[dict[str, Any]]) -> Store:
    store = Store(path)
    insert(store, rows)
    return store
