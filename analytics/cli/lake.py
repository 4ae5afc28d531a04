"""`internships migrate-to-lake`: copy a database file into an empty lake (analytics.store.migrate)."""

from __future__ import annotations

import argparse
from typing import Any

from analytics.cli.base import UsageError, add_db
from analytics.store import LakeStore, is_lake_url, resolve_db_path


def cmd_migrate_to_lake(args: argparse.Namespace) -> int:
    from analytics.store.migrate import copy_to_lake

    if not is_lake_url(args.to):
        raise UsageError("internships migrate-to-lake: --to must be a lake URL "
                         "(ducklake:postgresql://user@host:port/database)")
    source = resolve_db_path(args.db)
    if is_lake_url(source) or not source.exists():
        raise UsageError(f"internships migrate-to-lake: no database file at {source}")
    lake = LakeStore(args.to, data_path=args.data)
    try:
        copied = copy_to_lake(source, lake)
    finally:
        lake.close()
    print(f"Copied {source} into {lake.location}:")
    for table, rows in copied.tables.items():
        print(f"  {table:<16} {rows:>12,} rows")
    print("Give every replica and importer the same pseudonym key: "
          f"INTERNSHIPS_PSEUDONYM_KEY_FILE={source}.key (or the INTERNSHIPS_PSEUDONYM_KEY it used).")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("migrate-to-lake", help="copy a database file into an empty lake")
    add_db(p)
    p.add_argument("--to", required=True, metavar="URL", help="ducklake:postgresql://user@host:port/db")
    p.add_argument("--data", metavar="PATH", help="the lake's data path: a directory or "
                   "s3://bucket/prefix (default: $INTERNSHIPS_LAKE_DATA)")
    p.set_defaults(handler=cmd_migrate_to_lake)
