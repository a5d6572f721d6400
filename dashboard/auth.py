"""Sign-in and roles in the dashboard: who is here, and what they may see.

Sign-in is Streamlit's own OpenID Connect (``st.login`` / ``st.user`` /
``st.logout``), configured by an ``[auth]`` section in ``.streamlit/secrets.toml``
(see ``.streamlit/secrets.example.toml``; Microsoft Entra ID as
``[auth.microsoft]``). Roles come from the access file
(:mod:`ete_metrics.protect.access`).

- **Sign-in configured** (``[auth]`` present): a visitor who is not signed in sees
  only the sign-in page; a signed-in email that is not in the access file sees only
  the no-access page. Neither loads any data.
- **Sign-in off** (no ``[auth]``): local single-user mode, the visitor is a
  director (:func:`ete_metrics.protect.access.local_access`) and every page shows a banner
  saying sign-in is off. Set ``ETE_REQUIRE_SIGN_IN=1`` on a server to refuse to run
  without ``[auth]`` instead.

``app.py`` calls :func:`gate` before the navigation and the filters;
:func:`dashboard.data.load_data` calls :func:`require_access` and loads only the
regions the user may see. Every sign-in (once per session), import and export
is written to the audit trail (:mod:`ete_metrics.data.audit`).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import sqlalchemy as sa
import streamlit as st

from dashboard.escape import markdown_literal
from ete_metrics import config
from ete_metrics.data import audit, db
from ete_metrics.errors import ConfigError, EteError, InputError
from ete_metrics.protect.access import (
    Access,
    AccessList,
    access_file_path,
    local_access,
    parse_access,
    parse_email,
    preview_choices,
)

LOGGER = logging.getLogger(__name__)

#: Session-state key: the email whose sign-in was recorded in this session.
SIGN_IN_RECORDED_KEY = "_ete_sign_in_recorded"

#: Session-state key: what a director previews the dashboard as (a label of :func:`previews`).
PREVIEW_KEY = "ete_preview_as"
#: Session-state key: the preview last written to the audit trail in this session.
PREVIEW_RECORDED_KEY = "_ete_preview_recorded"
#: The preview choice meaning "no preview: my own view".
OWN_VIEW = "My own view"

#: Shown on every page when sign-in is off.
SIGN_IN_OFF_BANNER = (
    "Sign-in is off: there is no [auth] section in .streamlit/secrets.toml, so this app runs in "
    "local single-user mode and shows everything, as a director. Configure sign-in before "
    "anyone else can reach it (README: Sign-in and roles)."
)

#: Display names of common OpenID Connect providers (the ``[auth.<name>]`` sections).
PROVIDER_NAMES = {"microsoft": "Microsoft", "google": "Google", "okta": "Okta", "auth0": "Auth0"}

SIGNED_IN = "signed_in"
LOCAL = "local"
SIGNED_OUT = "signed_out"
DENIED = "denied"
MISCONFIGURED = "misconfigured"


@dataclass(frozen=True)
class Resolution:
    """Who the visitor is and what they may see (or why they may see nothing).

    Attributes
    ----------
    state : str
        ``local`` (sign-in off), ``signed_in``, ``signed_out``, ``denied`` (email not in
        the access file) or ``misconfigured`` (``message`` says what to fix).
    access : Access or None
        Set for ``local`` and ``signed_in`` only.
    email : str or None
        The signed-in email, when there is one.
    message : str
        For ``misconfigured``: the problem.
    """

    state: str
    access: Access | None = None
    email: str | None = None
    message: str = ""


def auth_settings() -> Mapping[str, Any] | None:
    """Return the ``[auth]`` section of the app's secrets, or None when sign-in is off."""
    try:
        secrets = st.secrets
        if not secrets.load_if_toml_exists():
            return None
        section = secrets.get("auth")
    except Exception:  # noqa: BLE001 - unreadable secrets: treated as "no [auth]"
        LOGGER.exception("Could not read the secrets")
        return None
    if isinstance(section, Mapping) and len(section):
        return section
    return None


def sign_in_providers(section: Mapping[str, Any]) -> list[str | None]:
    """The providers to offer: the ``[auth.<name>]`` sections, or None for a flat ``[auth]``."""
    named: list[str | None] = [str(k) for k, v in section.items() if isinstance(v, Mapping)]
    if "client_id" in section or not named:
        named.append(None)
    return named


def _require_sign_in() -> bool:
    return os.environ.get("ETE_REQUIRE_SIGN_IN", "").strip().lower() in {"1", "true", "yes"}


def signed_in_email() -> str | None:
    """The email of the signed-in user (``email`` claim, else an email-like
    ``preferred_username`` as Entra ID sends), read by the access file's one rule
    (:func:`ete_metrics.protect.access.parse_email`); None when nobody is signed in or
    no claim is an email address (an empty or blank one is not)."""
    user = st.user
    if not user.get("is_logged_in"):
        return None
    for claim in ("email", "preferred_username", "upn"):
        try:
            return parse_email(user.get(claim))
        except InputError:
            continue
    return None


# Keyed on the file's path and (mtime, size): an edited access file is read again at the
# next rerun; the four most recent versions are kept.
@st.cache_resource(show_spinner=False, max_entries=4)
def _parsed_access(path: str, stamp: tuple[int, int]) -> AccessList:
    """The access file, parsed once per version of the file (path, mtime, size)."""
    del stamp  # part of the cache key only
    text = Path(path).read_text(encoding="utf-8")
    return parse_access(text, source=path)


def read_access() -> AccessList:
    """Read the access file (cached until it changes).

    Raises
    ------
    ConfigError
        The file is missing, unreadable or invalid; the message says what to fix.
    """
    path = access_file_path()
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ConfigError(
            f"The access file {path} does not exist. Copy access.example.toml to it and list "
            "who may see what (or set ETE_ACCESS_FILE to its path)."
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot read the access file {path}: {exc.strerror}.") from None
    try:
        return _parsed_access(str(path), (status.st_mtime_ns, status.st_size))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the access file {path}: {exc}.") from None


def resolve_access() -> Resolution:
    """Work out who the visitor is and what they may see; renders nothing.

    Returns
    -------
    Resolution
    """
    section = auth_settings()
    if section is None:
        if _require_sign_in():
            return Resolution(
                MISCONFIGURED,
                message="ETE_REQUIRE_SIGN_IN is set but .streamlit/secrets.toml has no [auth] "
                "section: configure sign-in (README: Sign-in and roles).",
            )
        return Resolution(LOCAL, access=local_access())
    email = signed_in_email()
    if email is None:
        if st.user.get("is_logged_in"):
            return Resolution(
                MISCONFIGURED,
                message="You are signed in, but the identity provider sent no email address. "
                "Ask the administrator to add the 'email' scope or claim.",
            )
        return Resolution(SIGNED_OUT)
    try:
        listed = read_access()
    except ConfigError as exc:
        return Resolution(MISCONFIGURED, email=email, message=str(exc))
    try:
        access = listed.resolve(email)
    except InputError:  # not in the file: no access
        return Resolution(DENIED, email=email)
    return Resolution(SIGNED_IN, access=access, email=email)


# One engine (connection pool) per database URL for the server's life: an engine holds
# connections, not data, so nothing makes it stale. (Not dashboard.data.shared_engine,
# which imports this module.)
@functools.lru_cache(maxsize=8)
def _audit_engine(url: str) -> sa.Engine:
    return db.make_engine(url)


def audit_engine(url: str | None = None) -> sa.Engine:
    """The engine the audit trail is written to: the app's database, or ``url``."""
    return _audit_engine(url or config.database_url())


def now_utc() -> datetime:
    """The time an audit event happens (UTC)."""
    return datetime.now(UTC)


def _record_sign_in(resolution: Resolution) -> None:
    """Record a sign-in (or a refused one) once per session and email."""
    if resolution.state not in (SIGNED_IN, DENIED) or resolution.email is None:
        return
    marker = f"{resolution.state}:{resolution.email}"
    if st.session_state.get(SIGN_IN_RECORDED_KEY) == marker:
        return
    audit.record_sign_in(
        audit_engine(), occurred_at=now_utc(), email=resolution.email, access=resolution.access
    )
    st.session_state[SIGN_IN_RECORDED_KEY] = marker


def _provider_label(provider: str | None) -> str:
    if provider is None:
        return "Sign in"
    return f"Sign in with {PROVIDER_NAMES.get(provider.lower(), provider.capitalize())}"


def _sign_in_page() -> None:
    st.title("ETE Outcomes")
    st.markdown(
        "Education, Training and Employment programme for people on probation. "
        "Sign in with your organisation's account to see the programme's figures."
    )
    section = auth_settings() or {}
    for provider in sign_in_providers(section):
        st.button(
            _provider_label(provider),
            type="primary",
            icon=":material/login:",
            key=f"sign_in_{provider or 'default'}",
            on_click=st.login,
            args=(provider,) if provider is not None else (),
        )


def _sign_out_button(key: str) -> None:
    st.button("Sign out", key=key, icon=":material/logout:", on_click=st.logout)


def render_gate(resolution: Resolution) -> None:
    """Render the page of a visitor without access: sign-in, no-access or a setup problem.

    Parameters
    ----------
    resolution : Resolution
        From :func:`resolve_access`, with no ``access``.
    """
    if resolution.state == SIGNED_OUT:
        _sign_in_page()
        return
    st.title("ETE Outcomes")
    if resolution.state == DENIED:
        st.error(
            f"You are signed in as {markdown_literal(resolution.email)}, but you have no access to the ETE "
            "Outcomes dashboard. Ask the programme's data manager to add you to the access list.",
            icon=":material/block:",
        )
    else:
        st.error(
            "The dashboard cannot decide what you may see, so it shows nothing: "
            f"{markdown_literal(resolution.message)}",
            icon=":material/error:",
        )
    if resolution.email is not None:
        _sign_out_button("sign_out_gate")


def _gate_page() -> None:
    render_gate(resolve_access())


def gate(url_paths: Iterable[str] = ()) -> Access:
    """Return the visitor's access, or show the sign-in / no-access page alone and stop.

    Called by ``app.py`` before ``st.navigation``: without access the only page is the
    gate, so no other page (and no data) can be reached. Records the sign-in.

    Parameters
    ----------
    url_paths : iterable of str
        The app's page paths (``funnels``, ``regions``...): a link to one of them shows
        the gate too (instead of Streamlit's "page not found").

    Returns
    -------
    Access
        The visitor's own access (not previewed: :func:`preview_control` does that).
    """
    resolution = _recorded_access()
    if resolution.access is None:
        pages = [st.Page(_gate_page, title="Sign in", icon=":material/login:", url_path="sign-in",
                         default=True)]
        pages += [
            st.Page(_gate_page, title="Sign in", icon=":material/login:", url_path=path)
            for path in dict.fromkeys(url_paths)
            if path and path != "sign-in"
        ]
        page = st.navigation(pages, position="hidden")
        page.run()
        st.stop()
    return resolution.access


def _recorded_access() -> Resolution:
    """The visitor's access, its sign-in recorded in the audit trail (the page stops if it cannot be)."""
    resolution = resolve_access()
    _record_gated(resolution)
    return resolution


def _record_gated(resolution: Resolution) -> None:
    try:
        _record_sign_in(resolution)
    except EteError as exc:  # no unaudited access: the audit trail must be writable
        st.error(
            "Your sign-in could not be recorded in the audit trail, so nothing is shown: "
            f"{markdown_literal(exc)}",
            icon=":material/error:",
        )
        st.stop()


def require_access() -> Access:
    """Return the visitor's access, or render the gate and stop (for any data path).

    :func:`dashboard.data.load_data` calls this, so a page run on its own is gated too.

    Returns
    -------
    Access
        What the visitor's pages work with: for a director previewing another role,
        that role's access (:func:`previewed`).
    """
    resolution = _recorded_access()
    if resolution.access is None:
        render_gate(resolution)
        st.stop()
        raise AssertionError("unreachable: st.stop() raises")
    return previewed(resolution.access)


def previews() -> dict[str, Access]:
    """What a director may preview the dashboard as (:func:`ete_metrics.protect.access.preview_choices`).

    From the access file when there is a readable one, else a lead of each region and a stakeholder.
    """
    try:
        listed = read_access()
    except ConfigError:
        listed = None
    return preview_choices(listed, config.regions())


def previewed(real: Access) -> Access:
    """The access the pages work with: ``real``, or for a director the role being previewed.

    A preview is only ever honoured for a director (:attr:`Access.can_preview`): for
    anyone else a preview in the session is dropped, so a lead or a stakeholder cannot
    widen what they see whatever the session holds. A director's preview must be one of
    :func:`previews` now: any other (someone since removed from the access file, an
    empty or unknown user) shows nothing but a way out (:func:`_refuse_preview`), never
    the director's own figures in its place.
    """
    label = st.session_state.get(PREVIEW_KEY)
    if not real.can_preview:
        if label is not None:
            del st.session_state[PREVIEW_KEY]
        return real
    if label is None or label == OWN_VIEW:
        return real
    chosen = previews().get(label) if isinstance(label, str) else None
    if chosen is None:
        _refuse_preview(label)
    return real.preview_as(chosen)


def _refuse_preview(label: object) -> NoReturn:
    """Show that a preview is not one that may be seen, with a button ending it, and stop."""
    st.error(
        f"The preview as {markdown_literal(str(label))} is not one you may see: it is not a regional "
        "lead or stakeholder of the access file (removed from it, or never in it), so nothing is "
        "shown. End the preview to see your own view, then choose another.",
        icon=":material/block:",
    )
    st.button("End the preview", key="end_preview", on_click=_end_preview,
              icon=":material/visibility_off:")
    st.stop()
    raise AssertionError("unreachable: st.stop() raises")


def _end_preview() -> None:
    st.session_state[PREVIEW_KEY] = OWN_VIEW


def preview_control(real: Access, *, banner: bool = True, notices: list[str] | None = None) -> Access:
    """For a director: the sidebar's "Preview as" choice, the preview banner and its audit record.

    Called by ``app.py`` once per run, before the data is loaded. Renders nothing for
    anyone else.

    Parameters
    ----------
    real : Access
        The visitor's own access (:func:`resolve_access`, not previewed).
    banner : bool
        Say on the page that this is a preview (not on the presentation, which has no banners).
    notices : list of str, optional
        Where to add that saying (the page shows the notices together); the button ending
        the preview is then in the sidebar, under the choice.

    Returns
    -------
    Access
        What the pages show: ``real``, or the previewed role's access.
    """
    if not real.can_preview:
        return real
    choices = previews()
    if st.session_state.get(PREVIEW_KEY) not in (OWN_VIEW, *choices):
        st.session_state[PREVIEW_KEY] = OWN_VIEW  # a choice that has left the access file
    with st.sidebar:
        st.selectbox(
            "Preview as",
            [OWN_VIEW, *choices],
            key=PREVIEW_KEY,
            help="See the dashboard as a regional lead or a stakeholder sees it: their regions, "
            "their audience, their pages. For directors only; recorded in the audit trail.",
        )
    label = st.session_state[PREVIEW_KEY]
    access = real if label == OWN_VIEW else real.preview_as(choices[label])
    _record_preview(real, None if label == OWN_VIEW else access, label)
    if label != OWN_VIEW and banner:
        said = (f"**Preview**: you are seeing the dashboard as {markdown_literal(label)} sees it "
                f"({markdown_literal(access.describe())}). This is not your own view.")
        if notices is None:
            st.warning(said, icon=":material/visibility:")
            st.button("End the preview", key="end_preview", on_click=_end_preview,
                      icon=":material/visibility_off:")
        else:
            notices.append(said)
            st.sidebar.button("End the preview", key="end_preview", on_click=_end_preview,
                              icon=":material/visibility_off:")
    return access


def _record_preview(real: Access, access: Access | None, label: str) -> None:
    """Write a started or ended preview to the audit trail, once per change in a session."""
    recorded = st.session_state.get(PREVIEW_RECORDED_KEY, OWN_VIEW)
    if recorded == label:
        return
    try:
        audit.record_preview(audit_engine(), occurred_at=now_utc(), actor=real, previewed=access, label=label)
    except EteError as exc:  # no unaudited preview, as no unaudited sign-in
        st.error(f"The preview could not be recorded in the audit trail, so it is not shown: "
                 f"{markdown_literal(exc)}", icon=":material/error:")
        st.stop()
    st.session_state[PREVIEW_RECORDED_KEY] = label


def show_identity(access: Access, notices: list[str] | None = None) -> None:
    """Show who is signed in (sidebar, with a sign-out button) or the sign-in-is-off banner.

    With ``notices``, the banner's text is added to them (the page shows them together,
    :func:`dashboard.render.show_notices`) instead of a banner of its own.
    """
    if auth_settings() is None:
        if notices is None:
            st.warning(SIGN_IN_OFF_BANNER, icon=":material/lock_open:")
        else:
            notices.append(SIGN_IN_OFF_BANNER)
        return
    with st.sidebar:
        st.caption(
            f"Signed in as **{markdown_literal(access.email)}** ({markdown_literal(access.describe())})"
        )
        _sign_out_button("sign_out")
