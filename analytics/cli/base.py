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

from analytics import access
from analytics.access import LOCAL_ADMIN, Principal
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


def add_as(parser: argparse.ArgumentParser, *, everywhere: bool = False) -> None:
    """`--as EMAIL`: act as that principal (its scope, role and disclosure), not the local admin.
    Also accepted before the subcommand (`internships --as EMAIL metrics`, `everywhere` on the
    top-level parser); SUPPRESS keeps a subcommand from overwriting the global value with its
    own default. A command that was not given this option refuses a global --as (`check_as`)."""
    parser.add_argument("--as", dest="as_email", metavar="EMAIL", default=argparse.SUPPRESS,
                        help="act as this user: see exactly what they see (default: local admin)")
    if not everywhere:
        parser.set_defaults(accepts_as=True)


def check_as(args: argparse.Namespace) -> None:
    """A global --as on a command that always acts as the local admin (users, audit, init...)
    is an error, not silently ignored."""
    if getattr(args, "as_email", None) is not None and not getattr(args, "accepts_as", False):
        raise UsageError(f"internships {args.command}: --as is not accepted here "
                         "(this command always acts as the local administrator)")


def acting(args: argparse.Namespace, store: Store, command: str) -> Principal:
    """Who this command acts as: the local admin, or the enabled user named by --as. An unknown
    or disabled user is a one-line usage error (exit 2), never a fallback to the admin."""
    email = getattr(args, "as_email", None)
    if email is None:
        return LOCAL_ADMIN
    try:
        found = access.by_email(store, email)
    except access.AccessError as error:
        raise UsageError(f"internships {command}: --as: {error}") from None
    if found is not None:
        return found
    known = store.scalar("SELECT count(*) FROM principals WHERE email = ?",
                         [str(email).strip().lower()])
    why = "is disabled" if known else "is not a user (add one with `internships users add`)"
    raise UsageError(f"internships {command}: --as {email}: {why}")
