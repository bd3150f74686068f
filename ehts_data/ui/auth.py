"""Sign-in through Streamlit's own OpenID Connect (`st.login`), the signed-in person's grant,
navigation per role, session expiry, and the audit log's entries for what people do.

Sign-in is on only when `.streamlit/secrets.toml` has an `[auth]` section; without it the
dashboard runs as a single-user tool on one's own machine (local mode) and says so.
"""

from __future__ import annotations

import time

import streamlit as st

from ehts_data import access, config, explore, scorecard, site, state, text

_GRANT = "ehts_grant"
_SIGNED_IN = "ehts_signed_in_logged"
_LAST_PAGE = "ehts_last_page"


def auth_configured() -> bool:
    """True when secrets.toml has an [auth] section (people sign in)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def grant() -> access.Grant | None:
    """The signed-in person's grant for this session (None in local mode)."""
    return st.session_state.get(_GRANT)


def is_public() -> bool:
    """Publication mode for this session: EHTS_PUBLIC, or a board member signed in."""
    g = grant()
    return config.public_mode() or (g is not None and g.public)


def audit(action: str, detail: str = "") -> None:
    """Append an entry for the signed-in person (nothing in local mode but ingest and publish,
    which the commands record)."""
    g = grant()
    if g is None:
        return
    state.audit(state.path_for(config.db_path()), g.who, g.role, action, detail)


def who() -> tuple[str, str | None] | None:
    g = grant()
    return None if g is None else (g.who, g.role)


def refuse(message: str) -> None:
    """Stop the run with a refusal, recorded in the audit log."""
    audit("refused", message)
    st.error(f"Refused: {message}.", icon=":material/block:")
    st.stop()


def _claims() -> dict:
    return {key: st.user.get(key) for key in ("email", "sub", "name", "roles", "exp", "iat")}


def sign_in() -> access.Grant | None:
    """Local mode: a badge, and None. With [auth]: the sign-in screen until a person has signed
    in; a refusal for a person the access file does not know; the person's grant otherwise
    (expired sessions are signed out)."""
    if not auth_configured():
        st.session_state.pop(_GRANT, None)
        # body text colour, not a caption: the grey caption fails the contrast check
        st.sidebar.markdown(":material/lock_open: Local mode — no sign-in")
        return None
    if not st.user.is_logged_in:
        st.session_state.pop(_GRANT, None)
        _no_pages()
        st.title("EHTS Insight")
        st.markdown("Sign in with your council account to see the dashboard.")
        if st.button("Sign in", type="primary", icon=":material/login:"):
            st.login()
        st.stop()
    claims = _claims()
    try:
        known = access.resolve(
            access.load(known_owners=_kpi_owners(), known_localities=_store_localities()),
            claims,
        )
    except access.AccessFileError as exc:
        _no_pages()
        st.error(f"The access file cannot be used: {exc}")
        _sign_out_button()
        st.stop()
    if known is None:
        st.session_state.pop(_GRANT, None)
        _no_pages()
        st.title("No access")
        st.error(
            f"You are signed in as {claims.get('email') or claims.get('sub')}, but this "
            "dashboard has not been opened to you. Ask the council's analyst team for access."
        )
        _sign_out_button()
        st.stop()
    st.session_state[_GRANT] = known
    if access.session_expired(claims, time.time(), config.session_max_seconds()):
        audit("session expired", f"signed in at {claims.get('iat')}")
        st.session_state.pop(_GRANT, None)
        st.logout()
        st.stop()
    marker = f"{known.who}:{claims.get('iat')}"
    if st.session_state.get(_SIGNED_IN) != marker:
        st.session_state[_SIGNED_IN] = marker
        audit("sign-in", f"token issued at {claims.get('iat')}")
    with st.sidebar:
        st.markdown(f":material/person: {text.for_markdown(known.name)} · {known.role}")
        _sign_out_button()
    return known


def _no_pages() -> None:
    """No navigation at all (without this, Streamlit would list the pages/ folder)."""
    st.navigation([st.Page(_nothing, title="EHTS Insight", default=True)], position="hidden")


def _nothing() -> None:
    """The only page before sign-in: what sign_in draws around it."""


def _kpi_owners() -> set[str] | None:
    """The KPI owners the scorecard registry names, which the access file's `owners` must be
    among (None when the registry cannot be read: the Scorecard page says why)."""
    try:
        return {kpi.owner for kpi in scorecard.load().kpi if kpi.owner}
    except scorecard.RegistryError:
        return None


def _store_localities() -> set[str] | None:
    """The localities of the extract loaded now, which a coordinator's localities must be
    among (None before the first ingest: nothing to check against)."""
    from ehts_data.ui import data  # data imports this module: imported when first needed

    con = data.current_store().con
    if con is None:
        return None
    return set(explore.localities(con).locality_id)


def _sign_out_button() -> None:
    if st.sidebar.button("Sign out", icon=":material/logout:", key="sign_out"):
        audit("sign-out")
        st.session_state.pop(_GRANT, None)
        st.logout()
        st.stop()


def navigation(signed_in: access.Grant | None):
    """st.navigation over the page registry: as ever in local mode; with sign-in, every page's
    address still exists, but only the pages the role may open are listed, and the others
    refuse with a message."""
    if signed_in is None:
        return st.navigation(
            {
                section: [
                    st.Page(
                        p.file, title=p.title, icon=p.icon, default=p.default, url_path=p.url_path
                    )
                    for p in pages
                ]
                for section, pages in site.sections().items()
            }
        )
    allowed = [
        p for ps in site.sections(signed_in=True).values() for p in ps if signed_in.may(p.roles)
    ]
    entries = {}
    for section, pages in site.sections(signed_in=True).items():
        for p in pages:
            if signed_in.may(p.roles):
                target = p.file
            else:
                target = _refusal(p, allowed[0] if allowed else None)
            entries.setdefault(section, []).append(
                st.Page(
                    target,
                    title=p.title,
                    icon=p.icon,
                    default=p.default,
                    url_path=p.url_path if not p.default else None,
                )
            )
    page = st.navigation(entries, position="hidden")
    with st.sidebar:
        for section, pages in site.sections(signed_in=True).items():
            shown = [p for p in pages if signed_in.may(p.roles)]
            if shown:
                st.markdown(f"**{section}**")
                for p in shown:
                    st.page_link(p.file, label=p.title, icon=p.icon)
    return page


def _refusal(page: site.Page, home: site.Page | None):
    def refused() -> None:
        if page.default and home is not None:
            st.switch_page(home.file)
        refuse(f"your role may not open {page.title}")

    refused.__name__ = f"refused_{page.id}"
    return refused


def page_opened(title: str, filters_described: str) -> None:
    """Record a page opened (once per page and filters in a session)."""
    seen = (title, filters_described)
    if grant() is not None and st.session_state.get(_LAST_PAGE) != seen:
        st.session_state[_LAST_PAGE] = seen
        audit("page", f"{title} · {filters_described}")
