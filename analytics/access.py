"""Who may see and do what: principals, roles, scopes, logins and the audit log.

One question, asked in one place: `allowed(principal, action)` ("may this actor do this?"), and
its row-level half answered in SQL where the data is queried: `row_conditions(principal)` is the
condition every metric's WHERE clause carries, so a listing is filtered where it is read and no
caller can forget it.

- A **principal** is who is asking: an identity (OIDC issuer + subject, email, name), a role and
  a scope (universities and/or employers). Principals live in the store's own tables, keyed by
  (issuer, subject) once bound; an admin invites by email and the first login with that verified
  email binds the identity. Nothing in a login's claims is trusted unless an admin mapped that
  claim (`claim_roles`).
- **Roles**: viewer (aggregates of its scope and network benchmarks), analyst (viewer + upload,
  undo, rejected rows and row-level records, own scope only), admin (everything; the whole network
  by name). `public` is the anonymous visitor of public mode: network aggregates only.
- **Scope**: an empty scope means no rows, never "no restriction". Only admins see the network's
  placements by name; everyone else reaches placements outside their scope only as network
  aggregates, which pass the disclosure gate's perturbation.
- **Audit**: every login, upload, undo, row-level view, export and report is appended to
  `audit_log` (who, when, scope, filter, detail). Appending does not change the data version,
  so it never invalidates the dashboards' caches.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from analytics import schema
from analytics.store import Store

if TYPE_CHECKING:
    import polars as pl

Role = Literal["public", "viewer", "analyst", "admin"]
ROLES: Final[tuple[Role, ...]] = ("viewer", "analyst", "admin")
SCOPE_KINDS: Final = ("university", "employer")

# Every action the product knows, and the roles that may take it. This table is the whole
# permission model: pages, the CLI and the metrics all ask `allowed`, never a role name.
VIEW: Final = "view"                   # aggregates of the principal's scope, network benchmarks
EXPORT: Final = "export"               # download aggregated tables, charts and reports
VIEW_RECORDS: Final = "view_records"   # row-level placements and rejected rows (own scope)
UPLOAD: Final = "upload"
UNDO: Final = "undo"
MANAGE: Final = "manage_principals"
READ_AUDIT: Final = "read_audit"
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "public": frozenset({VIEW}),
    "viewer": frozenset({VIEW, EXPORT}),
    "analyst": frozenset({VIEW, EXPORT, VIEW_RECORDS, UPLOAD, UNDO}),
    "admin": frozenset({VIEW, EXPORT, VIEW_RECORDS, UPLOAD, UNDO, MANAGE, READ_AUDIT}),
}
ACTIONS: Final = frozenset().union(*PERMISSIONS.values())


class AccessDenied(PermissionError):
    """The principal may not do this; the message says what and why, in plain words."""


class AccessError(ValueError):
    """A bad request to manage principals (unknown role, duplicate email, unknown user...)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking. Immutable and hashable, so it can be part of a cache key."""

    email: str
    name: str
    role: Role
    universities: tuple[str, ...] = ()
    employers: tuple[str, ...] = ()  # employer keys (trimmed, case-folded names)
    principal_id: int | None = None
    issuer: str | None = field(default=None, compare=False)
    subject: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.role not in PERMISSIONS:
            raise AccessError(f"unknown role {self.role!r}; choose one of {', '.join(ROLES)}")
        object.__setattr__(self, "universities", tuple(sorted(set(self.universities))))
        object.__setattr__(self, "employers", tuple(sorted({employer_key(e) for e in self.employers})))

    @property
    def whole_network(self) -> bool:
        """Admins see every placement by name; nobody else does."""
        return self.role == "admin"

    @property
    def label(self) -> str:
        return f"{self.name or self.email} ({self.role})"

    def describe_scope(self) -> str:
        if self.whole_network:
            return "the whole network"
        if self.role == "public":
            return "network aggregates only (public)"
        parts = [*self.universities, *(f"employer {e}" for e in self.employers)]
        return "; ".join(parts) if parts else "nothing (no scope granted)"


LOCAL_ADMIN: Final = Principal(email="local", name="Local administrator", role="admin")
PUBLIC: Final = Principal(email="public", name="Public visitor", role="public")


def employer_key(name: str) -> str:
    """The grouping key of an employer name, as the loader computes employer_key in SQL
    (schema.EMPLOYER_KEY_SQL): trimmed, inner white space folded, lower-cased."""
    return " ".join(str(name).replace("\u00a0", " ").split()).lower()


# ================================================================================================
# The one question
# ================================================================================================
def allowed(principal: Principal | None, action: str) -> bool:
    """May this principal take this action? (Row-level limits are `row_conditions`.)"""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return principal is not None and action in PERMISSIONS[principal.role]


def require(principal: Principal | None, action: str, what: str | None = None) -> Principal:
    """The principal, if it may take the action; else AccessDenied with a plain reason."""
    if principal is None:
        raise AccessDenied("You are not signed in, or your login has no access yet.")
    if not allowed(principal, action):
        raise AccessDenied(f"{principal.label} may not {what or action.replace('_', ' ')}.")
    return principal


def row_conditions(principal: Principal, *, network: bool = False) -> tuple[list[str], list[Any]]:
    """SQL conditions (AND-ed, with bound parameters) limiting rows to what the principal may read.

    network=False: the principal's own scope (admins: everything; an empty scope: nothing).
    network=True (and always for public visitors): every placement, for network aggregates, which
    the disclosure gate perturbs wherever they include placements outside the own scope. Works on
    `placements` and on the metrics' facts table alike (both have `university` and `employer_key`)."""
    if not isinstance(principal, Principal):
        raise TypeError(f"expected a Principal, got {type(principal).__name__}")
    if principal.whole_network or network or principal.role == "public":
        return [], []  # public visitors read the network, always through perturbation
    own, params = own_condition(principal)
    return [own], params


def own_condition(principal: Principal, *, alias: str = "") -> tuple[str, list[Any]]:
    """One SQL boolean: is this row inside the principal's own scope? ('TRUE' for admins).
    `alias` qualifies the columns (`p` gives p.university) inside a correlated subquery."""
    if principal.whole_network:
        return "TRUE", []
    if alias and not alias.isidentifier():
        raise ValueError(f"not an SQL alias: {alias!r}")
    at = f"{alias}." if alias else ""
    parts: list[str] = []
    params: list[Any] = []
    if principal.universities:
        parts.append(f"{at}university IN ({', '.join('?' for _ in principal.universities)})")
        params.extend(principal.universities)
    if principal.employers:
        parts.append(f"{at}employer_key IN ({', '.join('?' for _ in principal.employers)})")
        params.extend(principal.employers)
    if not parts:
        return "FALSE", []
    return "(" + " OR ".join(parts) + ")", params


def may_undo(store: Store, principal: Principal, batch_id: int) -> bool:
    """An analyst may undo a batch only when every row it brought in lies in its own scope."""
    if not allowed(principal, UNDO):
        return False
    if principal.whole_network:
        return True
    own, params = own_condition(principal)
    outside = store.scalar(
        f"SELECT count(*) FROM placements WHERE batch_id = ? AND NOT coalesce({own}, false)",
        [batch_id, *params])
    mine = store.scalar("SELECT count(*) FROM batches WHERE batch_id = ? AND uploader = ?",
                        [batch_id, principal.email])
    inside = store.scalar(f"SELECT count(*) FROM placements WHERE batch_id = ? AND {own}",
                          [batch_id, *params])
    # A batch with no rows left (all rejected) is its uploader's to clear.
    return int(outside or 0) == 0 and (int(inside or 0) > 0 or int(mine or 0) > 0)


def upload_scope(principal: Principal) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """What an import by this principal may bring in: None for no restriction (admins), else
    (universities, employer keys); a row must match one of them, as in `own_condition`.
    Raises AccessDenied for a principal that may not upload at all."""
    require(principal, UPLOAD, "upload placements")
    if principal.whole_network:
        return None
    return principal.universities, principal.employers


def batch_condition(principal: Principal) -> tuple[str, list[Any]]:
    """One SQL boolean over a `batches` row: may this principal see the batch (in the batch
    listing, and its rejected rows)? Admins: every batch. Analysts: the batches they uploaded,
    and those whose rows all lie in their own scope (the batches `may_undo` allows). Others:
    none. A batch mixing in another scope's rows stays hidden: its file name, counts and
    rejected rows describe placements the analyst may not read."""
    if principal.whole_network:
        return "TRUE", []
    if not allowed(principal, VIEW_RECORDS):
        return "FALSE", []
    own, params = own_condition(principal, alias="p")
    sql = (
        "(batches.uploader = ? OR ("
        f"EXISTS (SELECT 1 FROM placements p WHERE p.batch_id = batches.batch_id AND {own}) "
        "AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.batch_id = batches.batch_id "
        f"AND NOT coalesce({own}, false))))")
    return sql, [principal.email, *params, *params]


def may_see_batch(store: Store, principal: Principal, batch_id: int) -> bool:
    """Does `batch_condition` let this principal see this batch?"""
    condition, params = batch_condition(principal)
    return bool(store.scalar(
        f"SELECT count(*) FROM batches WHERE batch_id = ? AND {condition}", [batch_id, *params]))


# ================================================================================================
# Principals in the store
# ================================================================================================
def _normal_email(email: str) -> str:
    text = str(email).strip().lower()
    if "@" not in text or text.startswith("@") or text.endswith("@") or any(c.isspace() for c in text):
        raise AccessError(f"not an email address: {email!r}")
    return text


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise AccessError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


def _load(store: Store, where: str, params: Sequence[Any]) -> Principal | None:
    rows = store.rows(
        f"SELECT principal_id, email, name, role, issuer, subject, disabled FROM principals "
        f"WHERE {where}", list(params))
    if not rows:
        return None
    principal_id, email, name, role, issuer, subject, disabled = rows[0]
    if disabled:
        return None
    scopes = store.rows("SELECT kind, value FROM principal_scopes WHERE principal_id = ?",
                        [principal_id])
    return Principal(
        email=email, name=name or email, role=role, principal_id=int(principal_id),
        universities=tuple(v for k, v in scopes if k == "university"),
        employers=tuple(v for k, v in scopes if k == "employer"),
        issuer=issuer, subject=subject,
    )


def by_email(store: Store, email: str) -> Principal | None:
    """The enabled principal with this email, or None."""
    return _load(store, "email = ?", [_normal_email(email)])


def by_identity(store: Store, issuer: str, subject: str) -> Principal | None:
    """The enabled principal bound to this login identity, or None."""
    return _load(store, "issuer = ? AND subject = ?", [issuer, subject])


def invite(store: Store, email: str, role: str, *, universities: Iterable[str] = (),
           employers: Iterable[str] = (), name: str | None = None,
           by: Principal = LOCAL_ADMIN) -> Principal:
    """Add a principal by email (bound to an identity at its first verified login)."""
    require(by, MANAGE, "manage users")
    email = _normal_email(email)
    role = _check_role(role)
    with store.transaction(changes_data=False) as cur:
        if cur.execute("SELECT count(*) FROM principals WHERE email = ?", [email]).fetchall()[0][0]:
            raise AccessError(f"{email} is already a user; use `users set` to change it")
        principal_id = int(cur.execute(
            "SELECT coalesce(max(principal_id), 0) + 1 FROM principals").fetchall()[0][0])
        cur.execute("INSERT INTO principals (principal_id, email, name, role, created_at, invited_by) "
                    "VALUES (?, ?, ?, ?, current_timestamp, ?)",
                    [principal_id, email, name, role, by.email])
        _write_scopes(cur, principal_id, universities, employers)
        _append(cur, by, "invite", detail=f"{email} as {role}")
    found = by_email(store, email)
    assert found is not None
    return found


def update(store: Store, email: str, *, role: str | None = None,
           universities: Iterable[str] | None = None, employers: Iterable[str] | None = None,
           disabled: bool | None = None, by: Principal = LOCAL_ADMIN) -> None:
    """Change a principal's role, scope (replaced as a whole) or disabled flag."""
    require(by, MANAGE, "manage users")
    email = _normal_email(email)
    with store.transaction(changes_data=False) as cur:
        rows = cur.execute("SELECT principal_id FROM principals WHERE email = ?", [email]).fetchall()
        if not rows:
            raise AccessError(f"no user {email}; add one with `users add`")
        principal_id = int(rows[0][0])
        changes: list[str] = []
        if role is not None:
            cur.execute("UPDATE principals SET role = ? WHERE principal_id = ?",
                        [_check_role(role), principal_id])
            changes.append(f"role {role}")
        if disabled is not None:
            cur.execute("UPDATE principals SET disabled = ? WHERE principal_id = ?",
                        [disabled, principal_id])
            changes.append("disabled" if disabled else "enabled")
        if universities is not None or employers is not None:
            kept = cur.execute("SELECT kind, value FROM principal_scopes WHERE principal_id = ?",
                               [principal_id]).fetchall()
            unis = list(universities) if universities is not None else \
                [v for k, v in kept if k == "university"]
            emps = list(employers) if employers is not None else [v for k, v in kept if k == "employer"]
            cur.execute("DELETE FROM principal_scopes WHERE principal_id = ?", [principal_id])
            _write_scopes(cur, principal_id, unis, emps)
            changes.append(f"scope {'; '.join([*unis, *emps]) or 'none'}")
        _append(cur, by, "update user", detail=f"{email}: {', '.join(changes) or 'no change'}")


def _write_scopes(cur: Any, principal_id: int, universities: Iterable[str],
                  employers: Iterable[str]) -> None:
    # Employer keys are computed by the same SQL the loader uses, so they match exactly.
    for university in sorted({str(u).strip() for u in universities if str(u).strip()}):
        cur.execute("INSERT INTO principal_scopes (principal_id, kind, value) VALUES (?, 'university', ?)",
                    [principal_id, university])
    for employer in sorted({str(e) for e in employers if str(e).strip()}):
        cur.execute(
            "INSERT INTO principal_scopes (principal_id, kind, value) "
            f"SELECT DISTINCT ?, 'employer', {schema.EMPLOYER_KEY_SQL} FROM (SELECT ? AS employer) "
            "WHERE NOT EXISTS (SELECT 1 FROM principal_scopes WHERE principal_id = ? AND kind = 'employer' "
            f"AND value = (SELECT {schema.EMPLOYER_KEY_SQL} FROM (SELECT ? AS employer)))",
            [principal_id, employer, principal_id, employer])


def principals(store: Store, *, by: Principal = LOCAL_ADMIN) -> pl.DataFrame:
    """Every principal: email, name, role, universities, employers, disabled, bound, created_at,
    last_login. Admins only."""
    require(by, MANAGE, "list users")
    return store.query("""
        SELECT p.email, p.name, p.role,
               list(s.value ORDER BY s.value) FILTER (WHERE s.kind = 'university') AS universities,
               list(s.value ORDER BY s.value) FILTER (WHERE s.kind = 'employer') AS employers,
               p.disabled, p.subject IS NOT NULL AS bound, p.created_at, p.last_login
        FROM principals p LEFT JOIN principal_scopes s USING (principal_id)
        GROUP BY ALL ORDER BY p.email""")


def map_claim(store: Store, claim: str, value: str, role: str, *, universities: Iterable[str] = (),
              employers: Iterable[str] = (), by: Principal = LOCAL_ADMIN) -> None:
    """Trust one identity-provider claim explicitly: a login whose `claim` equals (or lists)
    `value` is given `role` and this scope, even uninvited. Without such a rule, claims such as
    `groups` or `role` are ignored."""
    require(by, MANAGE, "map login claims")
    role = _check_role(role)
    with store.transaction(changes_data=False) as cur:
        cur.execute("DELETE FROM claim_roles WHERE claim = ? AND value = ?", [claim, value])
        cur.execute("INSERT INTO claim_roles VALUES (?, ?, ?, ?, ?)",
                    [claim, value, role, json.dumps(sorted(set(universities))),
                     json.dumps(sorted({employer_key(e) for e in employers}))])
        _append(cur, by, "map claim", detail=f"{claim}={value} -> {role}")


def login(store: Store, *, issuer: str, subject: str, email: str | None, email_verified: bool,
          name: str | None = None, claims: Mapping[str, Any] | None = None) -> Principal | None:
    """The principal for an OpenID Connect login, or None (no access yet, or disabled).

    (issuer, subject) identifies a bound principal. An unbound invitation binds to the first
    login whose *verified* email matches it. Otherwise a claim an admin mapped may grant access.
    Every attempt is audited."""
    email_text = (email or "").strip().lower()
    who = Principal(email=email_text or f"{subject}@{issuer}", name=name or email_text, role="public")
    with store.transaction(changes_data=False) as cur:
        rows = cur.execute("SELECT principal_id, disabled FROM principals WHERE issuer = ? AND subject = ?",
                           [issuer, subject]).fetchall()
        if not rows and email_text and email_verified:
            rows = cur.execute(
                "SELECT principal_id, disabled FROM principals WHERE email = ? AND subject IS NULL",
                [email_text]).fetchall()
            if rows:
                cur.execute("UPDATE principals SET issuer = ?, subject = ? WHERE principal_id = ?",
                            [issuer, subject, rows[0][0]])
        if not rows:
            rows = _from_claims(cur, issuer, subject, email_text, name, claims or {})
        if not rows:
            _append(cur, who, "login refused", detail="no access granted yet")
            return None
        principal_id, disabled = rows[0]
        if disabled:
            _append(cur, who, "login refused", detail="disabled")
            return None
        cur.execute("UPDATE principals SET last_login = current_timestamp, "
                    "name = coalesce(?, name) WHERE principal_id = ?", [name, principal_id])
    principal = _load(store, "principal_id = ?", [principal_id])
    if principal is not None:
        audit(store, principal, "login", detail=f"{issuer}")
    return principal


def _from_claims(cur: Any, issuer: str, subject: str, email: str, name: str | None,
                 claims: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    for claim, value, role, unis, emps in cur.execute(
            "SELECT claim, value, role, universities, employers FROM claim_roles "
            "ORDER BY claim, value").fetchall():
        got = claims.get(claim)
        values = got if isinstance(got, list | tuple) else [got]
        if value not in [str(v) for v in values if v is not None] or not email:
            continue
        if cur.execute("SELECT count(*) FROM principals WHERE email = ?", [email]).fetchall()[0][0]:
            return []  # that email belongs to another identity: never take it over
        principal_id = int(cur.execute(
            "SELECT coalesce(max(principal_id), 0) + 1 FROM principals").fetchall()[0][0])
        cur.execute("INSERT INTO principals (principal_id, email, name, role, issuer, subject, "
                    "created_at, invited_by) VALUES (?, ?, ?, ?, ?, ?, current_timestamp, ?)",
                    [principal_id, email, name, role, issuer, subject, f"claim {claim}={value}"])
        _write_scopes(cur, principal_id, json.loads(unis or "[]"), json.loads(emps or "[]"))
        return [(principal_id, False)]
    return []


# ================================================================================================
# The audit log
# ================================================================================================
AUDIT_ACTIONS: Final = ("login", "login refused", "upload", "undo", "records", "rejected rows",
                        "export", "report", "invite", "update user", "map claim")


def _filter_text(flt: Any) -> str | None:
    if flt is None:
        return None
    describe = getattr(flt, "describe", None)
    to_params = getattr(flt, "to_query_params", None)
    if callable(describe) and callable(to_params):
        return f"{describe()} {json.dumps(to_params(), sort_keys=True)}"
    return str(flt)


def _append(cur: Any, principal: Principal, action: str, *, flt: Any = None,
            detail: str | None = None) -> None:
    cur.execute(
        "INSERT INTO audit_log (event_id, occurred_at, principal, role, action, scope, filter, detail) "
        "VALUES (?, current_timestamp, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, principal.email, principal.role, action, principal.describe_scope(),
         _filter_text(flt), detail])


def audit(store: Store, principal: Principal, action: str, *, flt: Any = None,
          detail: str | None = None) -> None:
    """Append one event (who, when, scope, filter, what). Does not bump the data version."""
    with store.transaction(changes_data=False) as cur:
        _append(cur, principal, action, flt=flt, detail=detail)


def audit_log(store: Store, *, by: Principal = LOCAL_ADMIN, since: date | datetime | None = None,
              principal: str | None = None, action: str | None = None,
              limit: int = 10_000) -> pl.DataFrame:
    """Audit events, newest first: occurred_at, principal, role, action, scope, filter, detail.
    Admins only."""
    require(by, READ_AUDIT, "read the audit log")
    conditions: list[str] = []
    params: list[Any] = []
    if since is not None:
        conditions.append("occurred_at >= ?")
        params.append(since)
    if principal:
        conditions.append("principal = ?")
        params.append(principal.strip().lower())
    if action:
        conditions.append("action = ?")
        params.append(action)
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    return store.query(
        f"SELECT occurred_at, principal, role, action, scope, filter, detail FROM audit_log {where} "
        "ORDER BY occurred_at DESC, event_id LIMIT ?", [*params, int(limit)])


__all__ = [
    "ACTIONS", "EXPORT", "LOCAL_ADMIN", "MANAGE", "PERMISSIONS", "PUBLIC", "READ_AUDIT", "ROLES",
    "UNDO", "UPLOAD", "VIEW", "VIEW_RECORDS", "AccessDenied", "AccessError", "Principal", "allowed",
    "audit", "audit_log", "batch_condition", "by_email", "by_identity", "employer_key", "invite",
    "login", "map_claim", "may_see_batch", "may_undo", "own_condition", "principals", "require",
    "row_conditions", "update", "upload_scope",
]
