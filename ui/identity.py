"""Who is using this session: one user (no sign-in configured), a user signed in with Streamlit's OpenID Connect
(st.login, configured in .streamlit/secrets.toml [auth]), or a user named by a trusted reverse proxy's header
(data/identity/settings.json "user_header"; the header wins when both are configured).

Tests replace `request_headers`: streamlit.testing's AppTest cannot send request headers (st.context.headers
comes from the browser's connection, which AppTest does not simulate), while its `user` and `secrets` reach
st.user and st.secrets, so the OpenID Connect path is tested as it runs.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from scaling_core.storage.identity import LOCAL, USER_LIMIT, Identity, identity_settings


def request_headers() -> Mapping[str, str]:
    """The headers of the request that opened this session (the seam tests replace)."""
    return st.context.headers


def oidc_configured() -> bool:
    """Whether sign-in with OpenID Connect is configured (an [auth] section in .streamlit/secrets.toml)."""
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


def current_identity() -> Identity:
    """This session's identity (LOCAL, the single user, when no sign-in is configured)."""
    settings = identity_settings()
    if settings.user_header:
        user = _user_id(request_headers().get(settings.user_header))
        return Identity(user, "header", user in settings.admins)
    if oidc_configured():
        signed_in = bool(st.user.get("is_logged_in"))
        user = _user_id(st.user.get("email") or st.user.get("sub")) if signed_in else None
        return Identity(user, "oidc", user in settings.admins)
    return LOCAL


def _user_id(value: object) -> str | None:
    """A user id as the rule compares it (lower case, trimmed), or None when absent or unusable."""
    if not isinstance(value, str) or not value.strip() or len(value) > USER_LIMIT:
        return None
    return value.strip().lower()


def identity_line(identity: Identity) -> str:
    """One line saying who the session acts as and what that allows."""
    if identity.mode == "single-user":
        return (
            "Single-user mode: no sign-in is configured, so everyone who opens this app acts as one user "
            "(README: Sign-in)."
        )
    how = "signed in" if identity.mode == "oidc" else "named by the proxy"
    if identity.signed_in:
        return f"You are {identity.user} ({how}{', admin' if identity.is_admin else ''})."
    return "Not signed in: you can browse and save, but results saved now have no owner to delete them."


def sign_in_controls(identity: Identity) -> None:
    """Sign in / sign out buttons when sign-in is through OpenID Connect (a proxy signs people in elsewhere)."""
    if identity.mode != "oidc":
        return
    if identity.signed_in:
        if st.button("Sign out", key="sign_out"):
            st.logout()
    elif st.button("Sign in", key="sign_in"):
        st.login()


def signed_in_reason(identity: Identity, action: str) -> str | None:
    """Why `action` is disabled for this identity (None when it is allowed)."""
    if identity.may_change_shared:
        return None
    return f"Sign in to {action}: the whole team shares it, so this app lets only signed-in users change it."
