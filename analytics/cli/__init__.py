"""The `internships` command.

Every subcommand is a thin wrapper: it parses arguments, calls the package (store, sample,
metrics, ingest) and prints. Exit codes: 0 success, 1 partial (e.g. rows rejected), 2 bad
arguments or unreadable input; errors are one line, never a traceback.

One module per group of subcommands, each registering its own: `data` (init, generate, info),
`metrics` (metrics, compare), `outcomes` (retention, timeline), `ingest` (ingest, batches, undo,
rejected), `lake` (migrate-to-lake), `records` (row-level export), `report` (HTML/PDF reports),
`users` (users ..., audit). They share only
`base` (and `records` reads `metrics`'s --where parser); this module imports them, never the
other way round.

The CLI acts as the local admin unless `--as EMAIL` (before or after the subcommand, on
metrics, compare, retention, timeline, records, report, ingest, batches, undo and rejected) names
a user: then it applies exactly that user's role, scope and disclosure. A refusal is one line, exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from analytics.access import AccessDenied
from analytics.cli import data as data_commands
from analytics.cli import ingest as ingest_commands
from analytics.cli import lake as lake_commands
from analytics.cli import metrics as metrics_commands
from analytics.cli import outcomes as outcome_commands
from analytics.cli import records as records_commands
from analytics.cli import report as report_commands
from analytics.cli import users as users_commands
from analytics.cli.base import SAMPLE_CSV, Parser, UsageError, add_as, check_as
from analytics.store import Store, StoreError

__all__ = ["SAMPLE_CSV", "UsageError", "build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]
# What a shell reports for a process ended by SIGPIPE (128 + 13): `internships info | head -3`.
EXIT_BROKEN_PIPE = 141


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="internships", description="Internship outcomes dashboard tools.")
    add_as(parser, everywhere=True)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    data_commands.register(sub)
    metrics_commands.register(sub)
    outcome_commands.register(sub)
    ingest_commands.register(sub, on_change=_prepare_dashboards)
    lake_commands.register(sub)
    records_commands.register(sub)
    report_commands.register(sub)
    users_commands.register(sub)
    return parser


def _prepare_dashboards(store: Store) -> None:
    """Build the metrics' facts tables now, so the first page view after an import is fast."""
    from analytics import metrics

    if store.kind == "lake":
        return  # a lake's facts live in each replica's own cache, not in this short-lived process
    metrics.refresh_facts(store)


def _silence_stdout() -> None:
    """The reader of our stdout went away (`| head`): point stdout at /dev/null so the
    interpreter's final flush does not print a second BrokenPipeError at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (a test's capture): nothing will flush at exit


def main(argv: Sequence[str] | None = None) -> int:
    # DuckDB's Python client imports pandas (and pyarrow) the first time a statement binds a
    # parameter, to recognise pandas values; no command here passes any. Keeping pandas out
    # saves about 0.3 s of CPU and 45 MB of every command (a third of a small import's start
    # cost). Put back afterwards, for callers in the same process (tests) that do need it.
    keep_out = "pandas" not in sys.modules
    if keep_out:
        sys.modules["pandas"] = None  # type: ignore[assignment]  # import pandas -> ImportError
    try:
        return _run(argv)
    finally:
        if keep_out and sys.modules.get("pandas", 0) is None:
            del sys.modules["pandas"]


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        check_as(args)
        handler: Handler = args.handler
        code = handler(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except UsageError as error:
        print(str(error).splitlines()[0], file=sys.stderr)
        return 2
    except AccessDenied as error:
        # The principal exists but its role or scope does not allow this: say so, exit 2.
        print(f"internships: not allowed: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    except StoreError as error:
        print(f"internships: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("internships: interrupted", file=sys.stderr)
        return 130
