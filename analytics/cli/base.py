"""What every group of `internships` subcommands shares: the usage error, the parser class, the
argument helpers and the way a command opens its database.

This module imports nothing from the rest of `analytics.cli`, so each command module can import
it without a cycle (a cycle once loaded the CLI twice and let the other copy's UsageError escape
as a traceback).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from analytics.store import Store, database_exists, open_store, resolve_db_path

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "data" / "sample" / "placements.csv"


class UsageError(Exception):
    """Bad arguments or a missing input: reported on one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error raises UsageError (one line, exit 2) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def whole_number(text: str) -> int:
    """A count such as --rows or --min-cell: `1_000_000` and `1,000,000` are accepted; negative is not."""
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH",
                        help="database file (default: $INTERNSHIPS_DB or data/internships.duckdb)")


def existing_store(args: argparse.Namespace, command: str) -> Store:
    """The database of a read command. A path with no database is an error, never a new empty
    database: a typo in --db would otherwise show zeros as if they were the answer."""
    path = resolve_db_path(args.db)
    if not database_exists(path):
        raise UsageError(f"internships {command}: no database at {path}; "
                         "run `internships init` first")
    return open_store(path)
