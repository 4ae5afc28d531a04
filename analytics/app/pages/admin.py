"""Admin: who may use the dashboard (invite, change role and scope, disable or enable) and the
audit log, with filters and a CSV download. Administrators only. The page only collects input:
every change and every read goes through analytics.access, which checks the permission and
writes the audit log itself."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import polars as pl
import streamlit as st

from analytics import access, export
from analytics.access import Principal
from analytics.app import common, navigation, queries, state
from analytics.store import Store

INVITE_TITLE: Final = "Invite a user"
EDIT_TITLE: Final = "Change a user"
AUDIT_TITLE: Final = "Audit log"
EMAIL_LABEL: Final = "Email"
ROLE_LABEL: Final = "Role"
UNIVERSITIES_LABEL: Final = "Universities"
EMPLOYERS_LABEL: Final = "Employers"
INVITE_LABEL: Final = "Invite"
USER_LABEL: Final = "User"
DISABLED_LABEL: Final = "Disabled (cannot sign in)"
SAVE_LABEL: Final = "Save changes"
SINCE_LABEL: Final = "Since"
WHO_LABEL: Final = "Principal (email)"
ACTION_LABEL: Final = "Action"
ANY: Final = "Any"
DONE_KEY: Final = "_admin_done"
ROLE_HELP: Final = (
    "**viewer**: aggregates of its scope and network benchmarks, aggregated downloads. "
    "**analyst**: a viewer who also uploads and undoes its own scope's files and sees its scope's "
    "row-level records. **admin**: everything, the whole network by name, manages users."
)
SCOPE_HELP: Final = (
    "What the user sees in detail. Choose from the data or type a name not loaded yet. No "
    "university and no employer means no placements at all (never \"everything\")."
)
USER_COLUMNS: Final = [
    export.Column("email", "Email"),
    export.Column("name", "Name"),
    export.Column("role", "Role"),
    export.Column("universities", "Universities"),
    export.Column("employers", "Employers"),
    export.Column("disabled", "Disabled", "bool"),
    export.Column("bound", "Has signed in", "bool"),
    export.Column("created_at", "Invited (UTC)"),
    export.Column("last_login", "Last sign-in (UTC)"),
]


def _done(message: str) -> None:
    """Keep a success message across the rerun that redraws the tables with the change."""
    st.session_state[DONE_KEY] = message
    st.rerun()


def _scope_widgets(key: str, options: dict[str, list[Any]], universities: list[str],
                   employers: list[str]) -> tuple[list[str], list[str]]:
    """Two multiselects (universities, employers) offering the data's values plus the current
    ones, so a scope for data not loaded yet can be typed in and an existing one is kept."""
    # A scope holds employer keys (trimmed, lower-cased names): show the data's own spelling.
    by_key = {access.employer_key(name): name for name in options.get("employers", [])}
    shown_employers = [by_key.get(e, e) for e in employers]
    left, right = st.columns(2)
    chosen_unis = left.multiselect(
        UNIVERSITIES_LABEL, sorted({*options.get("universities", []), *universities}),
        default=universities, key=f"{key}_universities", accept_new_options=True, help=SCOPE_HELP)
    chosen_emps = right.multiselect(
        EMPLOYERS_LABEL, sorted({*options.get("employers", []), *shown_employers}),
        default=shown_employers, key=f"{key}_employers", accept_new_options=True, help=SCOPE_HELP)
    return list(chosen_unis), list(chosen_emps)


AUDIT_LABELS: Final = {"occurred_at": "When (UTC)", "principal": "Principal", "role": "Role",
                       "action": "Action", "scope": "Scope", "filter": "Filter", "detail": "Detail"}
TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"


def _readable(frame: pl.DataFrame) -> pl.DataFrame:
    """Times to the second and empty text cells blank (not "n/a"), as shown and downloaded."""
    return frame.with_columns(
        *[pl.col(c).dt.strftime(TIME_FORMAT) for c, t in frame.schema.items() if isinstance(t, pl.Datetime)],
        *[pl.col(c).fill_null("") for c, t in frame.schema.items() if t == pl.String],
    )


def _users(store: Store, who: Principal, options: dict[str, list[Any]]) -> pl.DataFrame:
    users = access.principals(store, by=who)
    st.subheader("Users")
    if users.is_empty():
        st.info("Nobody is invited yet. Invite the first users below (or from a terminal: "
                "`internships users add EMAIL --role admin`).", icon=":material/group_add:")
        return users
    by_key = {access.employer_key(name): name for name in options.get("employers", [])}
    shown = _readable(users.with_columns(
        pl.col("employers").list.eval(pl.element().replace(by_key)),
    ).with_columns(pl.col("universities", "employers").list.join("; ")))
    common.table(export.present(shown, USER_COLUMNS, state.min_cell()), key="admin_users")
    return users


def _invite(store: Store, who: Principal, options: dict[str, list[Any]]) -> None:
    st.subheader(INVITE_TITLE)
    st.caption("The invitation binds to the first sign-in whose verified email matches it.")
    with st.form("admin_invite", clear_on_submit=False, border=True):
        left, right = st.columns([3, 1])
        email = left.text_input(EMAIL_LABEL, key="admin_invite_email", placeholder="name@university.edu")
        role = right.selectbox(ROLE_LABEL, list(access.ROLES), key="admin_invite_role", help=ROLE_HELP)
        universities, employers = _scope_widgets("admin_invite", options, [], [])
        submitted = st.form_submit_button(INVITE_LABEL, type="primary", icon=":material/person_add:")
    if submitted:
        try:
            added = access.invite(store, email, str(role), universities=universities,
                                  employers=employers, by=who)
        except (access.AccessError, access.AccessDenied) as error:
            st.error(str(error), icon=":material/error:")
            return
        _done(f"Invited {added.email} as {added.role}: {added.describe_scope()}.")


def _edit(store: Store, who: Principal, users: pl.DataFrame, options: dict[str, list[Any]]) -> None:
    if users.is_empty():
        return
    st.subheader(EDIT_TITLE)
    emails = users["email"].to_list()
    email = st.selectbox(USER_LABEL, emails, key="admin_edit_user")
    if email is None:
        return
    row = users.filter(pl.col("email") == email).row(0, named=True)
    key = f"admin_edit_{emails.index(email)}"
    with st.form(key, border=True):
        left, right = st.columns([1, 2])
        role = left.selectbox(ROLE_LABEL, list(access.ROLES), index=list(access.ROLES).index(row["role"]),
                              key=f"{key}_role", help=ROLE_HELP)
        disabled = right.toggle(DISABLED_LABEL, value=bool(row["disabled"]), key=f"{key}_disabled")
        universities, employers = _scope_widgets(key, options, list(row["universities"] or []),
                                                 list(row["employers"] or []))
        submitted = st.form_submit_button(SAVE_LABEL, type="primary", icon=":material/save:")
    if submitted:
        try:
            access.update(store, email, role=str(role), universities=universities, employers=employers,
                          disabled=bool(disabled), by=who)
        except (access.AccessError, access.AccessDenied) as error:
            st.error(str(error), icon=":material/error:")
            return
        _done(f"Saved {email}.")


def _audit(store: Store, who: Principal) -> None:
    st.subheader(AUDIT_TITLE)
    st.caption("Every sign-in (and refused sign-in), upload, undo, row-level view, export, report "
               "and change of a user, newest first. Entries are never changed or removed.")
    since_col, who_col, action_col = st.columns(3)
    since = since_col.date_input(SINCE_LABEL, value=None, key="admin_audit_since", format="YYYY-MM-DD")
    principal = who_col.text_input(WHO_LABEL, key="admin_audit_principal", placeholder="Anyone")
    action = action_col.selectbox(ACTION_LABEL, [ANY, *access.AUDIT_ACTIONS], key="admin_audit_action")
    log = access.audit_log(store, by=who, since=since if isinstance(since, dt.date) else None,
                           principal=principal.strip() or None,
                           action=None if action in (None, ANY) else str(action))
    readable = _readable(log)
    table = export.present(readable, export.columns_for(readable, AUDIT_LABELS), state.min_cell())
    if table.height:
        common.table(table, height=min(600, 38 + 35 * table.height), key="admin_audit")
    st.caption(f"{table.height:,} entries{' (the newest 10,000)' if table.height >= 10_000 else ''}.")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    st.download_button("Download CSV", lambda: export.to_csv(table), file_name=f"audit-log-{stamp}.csv",
                       mime="text/csv", icon=":material/download:", key="admin_audit_csv",
                       disabled=not table.height,
                       on_click=lambda: access.audit(store, who, "export", detail="audit log CSV"))


def render() -> None:
    common.header("Admin: users and the audit log",
                  "Who may use the dashboard, with which role and scope, and what everyone did.")
    who = state.principal()
    assert who is not None  # navigation.allow admitted this session
    done = st.session_state.pop(DONE_KEY, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    store = state.writable_store()
    options = queries.options()
    users = _users(store, who, options)
    _invite(store, who, options)
    _edit(store, who, users, options)
    st.divider()
    _audit(store, who)


# The page checks again: opened by URL, it may not be one the sidebar offered.
if not navigation.allow("admin"):
    st.stop()
render()
