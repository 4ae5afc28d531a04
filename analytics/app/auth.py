"""The login gate: who this browser session is, decided once per script run before any page.

- Local mode (no `[auth]` section in `.streamlit/secrets.toml`): one local admin, no login; the
  server binds to 127.0.0.1 (see the Makefile), so only this machine can reach it, and a visitor
  from another machine is refused anyway (`remote_in_local_mode`).
- Login mode (`[auth]` configured): Streamlit's `st.login` (OpenID Connect). The identity's
  (issuer, subject) is looked up in the store's principals (analytics.access.login); a login
  nobody invited sees a plain "no access yet" page and no data.
- Public mode (`INTERNSHIPS_PUBLIC=1` with login mode, or alone): visitors who are not signed in
  are the anonymous `PUBLIC` principal (network aggregates only, strictest disclosure).

The principal is re-read from the store on every run, so a role change or a disabled account
takes effect at the user's next click, not at their next login.
"""

from __future__ import annotations

import os
from typing import Any, Final

import streamlit as st

from analytics import access
from analytics.access import LOCAL_ADMIN, PUBLIC, Principal
from analytics.app import state

PUBLIC_ENV: Final = "INTERNSHIPS_PUBLIC"
_LOGGED_IN_KEY: Final = "_audited_login_subject"


def login_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an `[auth]` section (OpenID Connect)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own FileNotFoundError kinds
        return False


def public_mode() -> bool:
    return os.environ.get(PUBLIC_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


# Keys Streamlit itself adds to st.user next to the ID token's claims (streamlit/web/server/
# starlette/starlette_auth_routes.py: `dict(user, origin=..., is_logged_in=True, provider=...)`);
# they are not claims of the identity provider.
STREAMLIT_KEYS: Final = frozenset({"is_logged_in", "origin", "provider", "tokens"})


def _claims() -> dict[str, Any]:
    """The ID token's claims (iss, sub, email, email_verified, name, ...) as st.user holds them."""
    return {key: st.user[key] for key in st.user if key not in STREAMLIT_KEYS}


def verified(value: Any) -> bool:
    """`email_verified` as a provider sends it: a JSON boolean, though some send the string
    "true". Anything else (missing, "false", 0) is not verified: bool("false") would be True."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def visitor_ip() -> str | None:
    """The address this session's browser connects from; None when it is this machine (or
    unknown: AppTest has no connection)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def remote_in_local_mode() -> bool:
    """A visitor from another machine while no login is configured. `make run` binds the server
    to 127.0.0.1 so this cannot happen; if someone serves local mode on a network address
    anyway (`streamlit run --server.address 0.0.0.0`), other machines still get no local
    administrator. (A second line only: a proxy on this machine looks local.)"""
    return not login_configured() and not public_mode() and visitor_ip() is not None


def gate() -> Principal | None:
    """Set and return this session's principal; None when the page must show no data."""
    if not login_configured():
        who: Principal | None = PUBLIC if public_mode() else LOCAL_ADMIN
        if remote_in_local_mode():
            who = None
        state.set_principal(who)
        return who
    if not st.user.is_logged_in:
        who = PUBLIC if public_mode() else None
        state.set_principal(who)
        return who
    claims = _claims()
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject:
        # Every OpenID Connect ID token carries both; without them there is no identity to bind.
        state.set_principal(None)
        return None
    if st.session_state.get(_LOGGED_IN_KEY) != (issuer, subject):
        email, name = claims.get("email"), claims.get("name")
        who = access.login(state.store(), issuer=issuer, subject=subject,
                           email=str(email) if email else None,
                           email_verified=verified(claims.get("email_verified")),
                           name=str(name) if name else None, claims=claims)
        st.session_state[_LOGGED_IN_KEY] = (issuer, subject)
    else:
        who = access.by_identity(state.store(), issuer, subject)
    state.set_principal(who)
    return who


def login_screen() -> None:
    """Shown to visitors who are not signed in when the app is not public."""
    st.title("Internship outcomes")
    st.write("Sign in with your organisation's account to see your program's outcomes.")
    st.button("Log in", type="primary", icon=":material/login:", on_click=st.login, key="login")


def local_only_screen() -> None:
    """Shown to a visitor from another machine when the app runs in local mode."""
    st.title("This dashboard serves its own machine only")
    st.info("It runs in local mode (no login configured), where whoever uses it is the "
            "administrator, so it answers only on the machine it runs on. To share it, configure "
            "logins (README: \"Deploying for several users\").", icon=":material/lock:")


def refusal_screen() -> None:
    """The one page of a session without a principal: why there is nothing to see."""
    if remote_in_local_mode():
        local_only_screen()
    elif st.user.is_logged_in:
        no_access_screen()
    else:
        login_screen()


def no_access_screen() -> None:
    """Shown to a signed-in identity that nobody invited (or that was disabled): no data."""
    st.title("You have no access yet")
    email = st.user.get("email") if st.user.is_logged_in else None
    st.info(f"You are signed in{f' as {email}' if email else ''}, but no administrator has given "
            "this login access to the dashboard yet (or it was switched off). Ask an administrator "
            "of the dashboard to invite this address, then reload this page.",
            icon=":material/lock:")
    st.button("Log out", on_click=st.logout, icon=":material/logout:", key="logout_no_access")


def sidebar_identity(who: Principal) -> None:
    """Who is signed in, with logout; or the local-mode / public-mode note."""
    if not login_configured():
        if who.role == "public":
            st.sidebar.caption(":material/public: Public mode: network figures only.")
        else:
            st.sidebar.caption(":material/computer: Local mode: you are the local administrator "
                               "(no login; reachable from this machine only).")
        return
    if who.role == "public":
        st.sidebar.caption(":material/public: Public view: network figures only.")
        st.sidebar.button("Staff login", on_click=st.login, icon=":material/login:", key="login_public")
        return
    st.sidebar.caption(f":material/person: {who.name} · {who.role} · {who.describe_scope()}")
    st.sidebar.button("Log out", on_click=st.logout, icon=":material/logout:", key="logout")
