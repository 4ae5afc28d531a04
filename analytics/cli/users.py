"""`internships users ...` and `internships audit`: principals and the audit log, as the local admin.

    internships users add EMAIL --role ROLE [--university U ...] [--employer E ...] [--name NAME]
    internships users list [--json]
    internships users set EMAIL [--role R] [--university U ...] [--employer E ...]
    internships users disable EMAIL | users enable EMAIL
    internships users map-claim CLAIM VALUE --role R [--university U ...] [--employer E ...]
    internships audit [--since DATE] [--principal EMAIL] [--action A] [--json]

Whoever can run the command can open the database file, so the CLI is the local administrator
(that is how the first admin is invited). Every change is written to the audit log by
analytics.access itself.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from analytics import access
from analytics.access import LOCAL_ADMIN
from analytics.cli.base import UsageError, add_db, existing_store
from analytics.store import Store, open_store


def _store(args: argparse.Namespace, command: str) -> Store:
    # Inviting the first admin is the first thing a deployment does: `users add` may create
    # the database; every other command needs one that exists.
    return open_store(args.db) if command == "users add" else existing_store(args, command)


def _scope_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--university", action="append", default=None, metavar="U",
                        help="a university in the user's scope (repeatable)")
    parser.add_argument("--employer", action="append", default=None, metavar="E",
                        help="an employer in the user's scope (repeatable; matched like the "
                             "dashboard groups employer names: case and spacing ignored)")


def _managed(command: str, action: Any) -> int:
    try:
        action()
    except access.AccessError as error:
        raise UsageError(f"internships {command}: {error}") from None
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    store = _store(args, "users add")
    _managed("users add", lambda: access.invite(
        store, args.email, args.role, universities=args.university or (),
        employers=args.employer or (), name=args.name))
    who = access.by_email(store, args.email)
    assert who is not None
    print(f"Added {who.email} as {who.role}; scope: {who.describe_scope()}. "
          "They get access at their first login with this (verified) email.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(args, "users list")
    frame = access.principals(store, by=LOCAL_ADMIN)
    rows = [{**r, "universities": r["universities"] or [], "employers": r["employers"] or []}
            for r in frame.iter_rows(named=True)]
    if args.json:
        print(json.dumps(rows, default=str))
        return 0
    if not rows:
        print("No users yet. Add one with `internships users add EMAIL --role admin`.")
        return 0
    for r in rows:
        scope = "; ".join([*r["universities"], *(f"employer {e}" for e in r["employers"])])
        state = "disabled" if r["disabled"] else ("bound" if r["bound"] else "invited")
        scope_text = "the whole network" if r["role"] == "admin" else (scope or "nothing")
        print(f"{r['email']:<32} {r['role']:<8} {state:<8} scope: {scope_text}")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    store = _store(args, "users set")
    if args.role is None and args.university is None and args.employer is None:
        raise UsageError("internships users set: give --role, --university or --employer")
    _managed("users set", lambda: access.update(
        store, args.email, role=args.role, universities=args.university, employers=args.employer))
    who = access.by_email(store, args.email)
    print(f"{args.email.strip().lower()}: " + (f"{who.role}; scope: {who.describe_scope()}."
                                               if who is not None else "updated (disabled)."))
    return 0


def _switch(disabled: bool) -> Any:
    def run(args: argparse.Namespace) -> int:
        command = "users disable" if disabled else "users enable"
        store = _store(args, command)
        _managed(command, lambda: access.update(store, args.email, disabled=disabled))
        print(f"{args.email.strip().lower()} {'disabled' if disabled else 'enabled'}.")
        return 0
    return run


def cmd_map_claim(args: argparse.Namespace) -> int:
    store = _store(args, "users map-claim")
    _managed("users map-claim", lambda: access.map_claim(
        store, args.claim, args.value, args.role, universities=args.university or (),
        employers=args.employer or ()))
    print(f"Logins whose {args.claim!r} claim is {args.value!r} now get the role {args.role}.")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-01-31, got {text!r}") from None


def cmd_audit(args: argparse.Namespace) -> int:
    store = existing_store(args, "audit")
    if args.action is not None and args.action not in access.AUDIT_ACTIONS:
        raise UsageError(f"internships audit: unknown --action {args.action!r}; use one of "
                         f"{', '.join(access.AUDIT_ACTIONS)}")
    events = access.audit_log(store, by=LOCAL_ADMIN, since=args.since, principal=args.principal,
                              action=args.action)
    if args.json:
        print(json.dumps(events.to_dicts(), default=str))
        return 0
    if events.is_empty():
        print("No audit events match.")
        return 0
    for e in events.iter_rows(named=True):
        filt = f"  filter: {e['filter']}" if e["filter"] else ""
        print(f"{e['occurred_at']:%Y-%m-%d %H:%M:%S}  {e['principal']} ({e['role']})  "
              f"{e['action']}: {e['detail'] or ''}  [scope: {e['scope']}]{filt}")
    return 0


def register(subparsers: Any) -> None:
    """Add `users` (add, list, set, disable, enable, map-claim) and `audit`."""
    users = subparsers.add_parser("users", help="who may sign in, with which role and scope")
    actions = users.add_subparsers(dest="users_what", required=True,
                                   metavar="add|list|set|disable|enable|map-claim")
    p = actions.add_parser("add", help="invite a user by email")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--role", required=True, choices=access.ROLES)
    p.add_argument("--name", default=None)
    _scope_args(p)
    add_db(p)
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", help="every user, role and scope")
    add_db(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("set", help="change a user's role or scope (a given scope replaces the old)")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--role", choices=access.ROLES, default=None)
    _scope_args(p)
    add_db(p)
    p.set_defaults(handler=cmd_set)

    for name, disabled in (("disable", True), ("enable", False)):
        p = actions.add_parser(name, help=f"{name} a user's access")
        p.add_argument("email", metavar="EMAIL")
        add_db(p)
        p.set_defaults(handler=_switch(disabled))

    p = actions.add_parser("map-claim", help="trust one identity-provider claim for a role")
    p.add_argument("claim", metavar="CLAIM")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--role", required=True, choices=access.ROLES)
    _scope_args(p)
    add_db(p)
    p.set_defaults(handler=cmd_map_claim)

    p = subparsers.add_parser("audit", help="the audit log, newest first")
    add_db(p)
    p.add_argument("--since", type=_day, default=None, metavar="DATE", help="from this day on (YYYY-MM-DD)")
    p.add_argument("--principal", default=None, metavar="EMAIL")
    p.add_argument("--action", default=None, metavar="ACTION",
                   help=f"one of: {', '.join(access.AUDIT_ACTIONS)}")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_audit)
