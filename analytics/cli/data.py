"""`internships init`, `internships generate`, `internships info`: the database and sample data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from analytics.cli.base import SAMPLE_CSV, UsageError, add_db, existing_store, whole_number
from analytics.store import open_store


def cmd_init(args: argparse.Namespace) -> int:
    from analytics.ingest.load import load_canonical_csv

    store = open_store(args.db)  # init is the command that creates the database
    print(f"Database ready: {store.path} (schema version {store.schema_version()})")
    if args.sample:
        if store.table_counts()["placements"]:
            print("Placements already present; sample not loaded again.")
        else:
            batch_id = load_canonical_csv(store, SAMPLE_CSV)
            print(f"Loaded sample data as batch {batch_id}: "
                  f"{store.table_counts()['placements']:,} placements.")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from analytics import sample

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"internships generate: --out must end in .csv or .parquet, not {out.name!r}")
    seed = sample.DEFAULT_SEED if args.seed is None else args.seed
    written = sample.write(args.rows, out, seed=seed)
    print(f"Wrote {written:,} placements to {out} (seed {seed}).")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    store = existing_store(args, "info")
    counts = store.table_counts()
    batches = store.query(
        "SELECT batch_id, file_name, uploaded_at, rows_read, rows_loaded, rows_rejected, "
        "rows_duplicate, undone_at IS NOT NULL AS undone FROM batches ORDER BY batch_id"
    )
    if args.json:
        print(json.dumps({"database": str(store.path), "schema_version": store.schema_version(),
                          "tables": counts, "batches": batches.to_dicts()}, default=str))
        return 0
    print(f"Database: {store.path} (schema version {store.schema_version()})")
    for table, count in counts.items():
        print(f"  {table:<12} {count:>12,} rows")
    print(f"Batches: {batches.height}")
    for row in batches.iter_rows(named=True):
        undone = "  (undone)" if row["undone"] else ""
        print(f"  #{row['batch_id']} {row['file_name']} {row['uploaded_at']:%Y-%m-%d %H:%M}  "
              f"read {row['rows_read']:,}, loaded {row['rows_loaded']:,}, "
              f"rejected {row['rows_rejected']:,}, duplicate {row['rows_duplicate']:,}{undone}")
    return 0


def register(subparsers: Any) -> None:
    """Add init, generate and info."""
    p = subparsers.add_parser("init", help="create or migrate the database")
    add_db(p)
    p.add_argument("--sample", action="store_true", help="load the shipped sample data if empty")
    p.set_defaults(handler=cmd_init)

    p = subparsers.add_parser("generate", help="write generated placements to CSV or Parquet")
    p.add_argument("--rows", type=whole_number, required=True)
    # No default read from the generator here: that would load numpy and Polars for every command.
    p.add_argument("--seed", type=int, help="random seed (default: the generator's, so the same "
                   "rows every time)")
    p.add_argument("--out", required=True, metavar="FILE.csv|FILE.parquet")
    p.set_defaults(handler=cmd_generate)

    p = subparsers.add_parser("info", help="row counts per table and the upload batches")
    add_db(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_info)
