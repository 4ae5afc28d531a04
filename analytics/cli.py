"""The `internships` command.

Every subcommand is a thin wrapper: it parses arguments, calls the package (store, sample,
metrics, ingest) and prints. Exit codes: 0 success, 1 partial (e.g. rows rejected), 2 bad
arguments or unreadable input; errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from analytics.store import Store, StoreError, database_exists, open_store, resolve_db_path

SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "sample" / "placements.csv"


class UsageError(Exception):
    """Bad arguments: reported on one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH",
                        help="database file (default: $INTERNSHIPS_DB or data/internships.duckdb)")


# -- init / generate / info -------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    from analytics.ingest.load import load_canonical_csv

    store = open_store(args.db)
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
    written = sample.write(args.rows, out, seed=args.seed)
    print(f"Wrote {written:,} placements to {out} (seed {args.seed}).")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    path = resolve_db_path(args.db)
    if not database_exists(path):
        raise UsageError(f"internships info: no database at {path}; run `internships init` first")
    store = open_store(path)
    counts = store.table_counts()
    batches = store.query(
        "SELECT batch_id, file_name, uploaded_at, rows_read, rows_loaded, rows_rejected, "
        "rows_duplicate, undone_at IS NOT NULL AS undone FROM batches ORDER BY batch_id"
    )
    if args.json:
        print(json.dumps({"database": str(path), "schema_version": store.schema_version(),
                          "tables": counts, "batches": batches.to_dicts()}, default=str))
        return 0
    print(f"Database: {path} (schema version {store.schema_version()})")
    for table, count in counts.items():
        print(f"  {table:<12} {count:>12,} rows")
    print(f"Batches: {batches.height}")
    for row in batches.iter_rows(named=True):
        undone = "  (undone)" if row["undone"] else ""
        print(f"  #{row['batch_id']} {row['file_name']} {row['uploaded_at']:%Y-%m-%d %H:%M}  "
              f"read {row['rows_read']:,}, loaded {row['rows_loaded']:,}, "
              f"rejected {row['rows_rejected']:,}, duplicate {row['rows_duplicate']:,}{undone}")
    return 0


def cmd_migrate_to_lake(args: argparse.Namespace) -> int:
    from analytics.store import LakeStore, is_lake_url
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
        print(f"  {table:<12} {rows:>12,} rows")
    print(f"Give every replica and importer the same pseudonym key: "
          f"INTERNSHIPS_PSEUDONYM_KEY_FILE={source}.key (or the INTERNSHIPS_PSEUDONYM_KEY it used).")
    return 0


# -- parser -----------------------------------------------------------------------------------
Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    from analytics.sample import DEFAULT_SEED

    parser = _Parser(prog="internships", description="Internship outcomes dashboard tools.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("init", help="create or migrate the database")
    _add_db(p)
    p.add_argument("--sample", action="store_true", help="load the shipped sample data if empty")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("generate", help="write generated placements to CSV or Parquet")
    p.add_argument("--rows", type=_positive_int, required=True)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, metavar="FILE.csv|FILE.parquet")
    p.set_defaults(handler=cmd_generate)

    p = sub.add_parser("info", help="row counts per table and the upload batches")
    _add_db(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("migrate-to-lake", help="copy a database file into an empty lake")
    _add_db(p)
    p.add_argument("--to", required=True, metavar="URL", help="ducklake:postgresql://user@host:port/db")
    p.add_argument("--data", metavar="PATH", help="the lake's data path: a directory or s3://bucket/prefix "
                   "(default: $INTERNSHIPS_LAKE_DATA)")
    p.set_defaults(handler=cmd_migrate_to_lake)

    # Imported here, not at the top: these modules import helpers from this one.
    from analytics import cli_metrics
    from analytics.ingest import cli as ingest_cli

    cli_metrics.register(sub)
    ingest_cli.register(sub, on_change=_prepare_dashboards)
    return parser


def _prepare_dashboards(store: Store) -> None:
    """Build the metrics' facts tables now, so the first page view after an import is fast."""
    from analytics import metrics

    if store.kind == "lake":
        return  # a lake's facts live in each replica's own cache, not in this short-lived process
    metrics.refresh_facts(store)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        return handler(args)
    except UsageError as error:
        print(str(error).splitlines()[0], file=sys.stderr)
        return 2
    except StoreError as error:
        print(f"internships: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("internships: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
