"""Who may see what: roles, the access file and the data scope of a user.

The dashboard signs people in (OpenID Connect, see the README); this module
decides what a signed-in email may see. Roles come from an *access file* (TOML;
path in ``ETE_ACCESS_FILE``, default ``access.toml`` next to ``app.py``), keyed by
email::

    [users."director@example.org"]
    role = "director"

    [users."lead.wales@example.org"]
    role = "regional_lead"
    regions = ["Wales"]

Roles
-----
``director``
    Everything (all regions, participant-level lists, the audit log, uploads).
``data_manager``
    Everything, and imports (uploads) — the same permissions as a director.
``regional_lead``
    Only their ``regions`` (required), internal figures; no uploads, no audit log.
``stakeholder``
    Always the protected stakeholder audience (rounded and suppressed figures, no
    participant-level data); no uploads. ``regions`` optional (default all).

Access is denied by default. Every identity (a key of the file, the CLI's
``--as-user``, the email a sign-in sends) is read by one rule, :func:`parse_email`,
and resolved by one, :meth:`AccessList.resolve`: an empty or blank identity, one
that is not an email address, or an email not in the file is refused (an
:class:`~ete_metrics.errors.InputError`), and a file with an entry it cannot read
(an undefined role, say) is refused whole (a :class:`~ete_metrics.errors.ConfigError`),
so nobody gets data from it. Enforcement happens where the data is
loaded: callers pass :attr:`Access.regions` to the ``ete_metrics.data.db.load_*``
functions (or :func:`restrict_frames` on frames already loaded), so every metric
runs on data the user may see, whatever filters they choose afterwards.

The module never imports Streamlit and never reads the clock; reading the file
is the only I/O (:func:`read_access_file`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ete_metrics import config
from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.errors import ConfigError, InputError
from ete_metrics.protect.audience import INTERNAL, STAKEHOLDER

__all__ = [
    "DATA_MANAGER",
    "DEFAULT_ACCESS_PATH",
    "DIRECTOR",
    "LOCAL_ACTOR",
    "REGIONAL_LEAD",
    "ROLES",
    "STAKEHOLDER_ROLE",
    "Access",
    "AccessList",
    "access_file_path",
    "access_for",
    "local_access",
    "parse_access",
    "parse_email",
    "preview_choices",
    "read_access_file",
    "restrict_frames",
]

DIRECTOR = "director"
DATA_MANAGER = "data_manager"
REGIONAL_LEAD = "regional_lead"
STAKEHOLDER_ROLE = "stakeholder"
#: The roles, most to least privileged.
ROLES: tuple[str, ...] = (DIRECTOR, DATA_MANAGER, REGIONAL_LEAD, STAKEHOLDER_ROLE)

#: The actor recorded for the local operator (no sign-in: CLI, or the app without ``[auth]``).
LOCAL_ACTOR = "local"

#: Roles that see every region (``regions`` is not allowed for them).
_ALL_REGIONS_ROLES = frozenset({DIRECTOR, DATA_MANAGER})
#: Roles that may upload (import) extracts and read the audit log.
_MANAGING_ROLES = frozenset({DIRECTOR, DATA_MANAGER})
_USER_KEYS = frozenset({"role", "regions"})

#: Default access file: ``access.toml`` in the project folder (git-ignored).
DEFAULT_ACCESS_PATH = Path(__file__).resolve().parents[2] / "access.toml"


@dataclass(frozen=True)
class Access:
    """What one user may see and do.

    Attributes
    ----------
    email : str
        The signed-in email (lower case), or :data:`LOCAL_ACTOR`.
    role : str
        One of :data:`ROLES`.
    regions : tuple of str or None
        The regions whose data the user may see (canonical spelling); ``None`` means
        every region.
    """

    email: str
    role: str
    regions: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.email, str) or not self.email.strip():
            raise ConfigError("An access belongs to someone: an empty or blank user has no access.")
        if self.role not in ROLES:
            raise ConfigError(f"Unknown role {self.role!r}: use one of {', '.join(ROLES)}.")
        if self.regions is not None and not isinstance(self.regions, tuple):
            object.__setattr__(self, "regions", tuple(self.regions))

    @property
    def forced_audience(self) -> str | None:
        """``"stakeholder"`` when the role may only ever see the stakeholder view, else None."""
        return STAKEHOLDER if self.role == STAKEHOLDER_ROLE else None

    def audience(self, requested: str = INTERNAL) -> str:
        """Return the audience the user gets when ``requested`` is asked for.

        Parameters
        ----------
        requested : str
            The audience chosen (``"internal"`` or ``"stakeholder"``).

        Returns
        -------
        str
            ``"stakeholder"`` for the stakeholder role whatever was requested, else ``requested``.
        """
        return self.forced_audience or requested

    @property
    def can_upload(self) -> bool:
        """True for directors and data managers (imports)."""
        return self.role in _MANAGING_ROLES

    @property
    def can_see_audit(self) -> bool:
        """True for directors and data managers (the audit log)."""
        return self.role in _MANAGING_ROLES

    @property
    def can_see_participant_level(self) -> bool:
        """False for stakeholders: no follow-up lists, participant ids or record previews."""
        return self.role != STAKEHOLDER_ROLE

    @property
    def all_regions(self) -> bool:
        """True when the user may see every region."""
        return self.regions is None

    def allows_region(self, region: str) -> bool:
        """True when the user may see ``region``'s data."""
        return self.regions is None or region in self.regions

    def check_regions(self, requested: Iterable[str] | None) -> tuple[str, ...] | None:
        """Narrow a requested selection of regions to the user's scope, or refuse it.

        Parameters
        ----------
        requested : iterable of str or None
            Regions asked for (``None``: no selection, i.e. everything the user may see).

        Returns
        -------
        tuple of str or None
            ``requested`` as a tuple, or the user's regions when nothing was requested
            (``None`` when the user sees every region).

        Raises
        ------
        ConfigError
            A requested region is outside the user's scope.
        """
        if requested is None:
            return self.regions
        wanted = tuple(requested)
        if not wanted:
            return self.regions
        outside = [r for r in wanted if not self.allows_region(r)]
        if outside:
            raise ConfigError(
                f"{self.email} may see only {', '.join(self.regions or ())}; "
                f"{', '.join(outside)} is outside their access."
            )
        return wanted

    @property
    def can_preview(self) -> bool:
        """True for a director: they may preview the dashboard as another role sees it.

        Never for a data manager, a regional lead or a stakeholder: a preview shows
        what the previewed role sees, and only someone who sees everything may do that.
        """
        return self.role == DIRECTOR

    def preview_as(self, other: Access) -> Access:
        """The access a director has while previewing ``other``'s view of the dashboard.

        ``other``'s role and regions, with this user's email, so that what is done in
        the preview (an export, say) is still recorded against the person doing it.

        Raises
        ------
        ConfigError
            This user may not preview (:attr:`can_preview`).
        """
        if not self.can_preview:
            raise ConfigError(f"{self.email} ({self.role.replace('_', ' ')}) may not preview other roles.")
        return Access(email=self.email, role=other.role, regions=other.regions)

    def describe(self) -> str:
        """One line for the screen, e.g. ``"regional lead · Wales"``."""
        scope = "all regions" if self.regions is None else ", ".join(self.regions)
        return f"{self.role.replace('_', ' ')} · {scope}"


def local_access() -> Access:
    """The local operator (no sign-in): a director who sees everything.

    Returns
    -------
    Access
        ``Access("local", "director", None)``.
    """
    return Access(email=LOCAL_ACTOR, role=DIRECTOR, regions=None)


@dataclass(frozen=True)
class AccessList:
    """The parsed access file.

    Attributes
    ----------
    source : str
        The file it was read from (for messages).
    users : mapping of str to Access
        Lower-case email to the user's access.
    """

    source: str
    users: Mapping[str, Access] = field(default_factory=dict)

    def resolve(self, identity: object) -> Access:
        """Return the access of ``identity``, refusing everything the file does not list.

        The one rule for who may see what: ``identity`` is read by :func:`parse_email`
        (so an empty, blank or malformed one is refused whatever the file says), then
        looked up among the file's users.

        Parameters
        ----------
        identity : object
            An email as given (``--as-user``, a sign-in's email claim); any case,
            surrounding spaces allowed.

        Returns
        -------
        Access

        Raises
        ------
        InputError
            ``identity`` is not an email address, or the file does not list it.
        """
        email = parse_email(identity)
        access = self.users.get(email)
        if access is None:
            raise InputError(
                f"{email} is not in the access file {self.source}, so they may see no data. "
                "Add them there, or run without --as-user."
            )
        return access

    def lookup(self, email: object) -> Access | None:
        """Return the access of ``email`` (:meth:`resolve`), or None when it is refused.

        Parameters
        ----------
        email : object

        Returns
        -------
        Access or None
        """
        try:
            return self.resolve(email)
        except InputError:
            return None


def preview_choices(
    listed: AccessList | None, regions: Iterable[str]
) -> dict[str, Access]:
    """What a director may preview the dashboard as: label -> the access previewed.

    The regional leads and stakeholders of the access file, by email and scope
    (``"lead.wales@example.org (regional lead · Wales)"``), in the file's order; with
    no access file (the local operator) or none listed, a regional lead of each of
    ``regions`` and a stakeholder (``"A regional lead (Wales)"``, ``"A stakeholder
    (all regions)"``). Directors and data managers see what the director sees, so
    they are not offered.

    Parameters
    ----------
    listed : AccessList or None
        The access file, when there is one.
    regions : iterable of str
        The contract's regions (:func:`ete_metrics.config.regions`).

    Returns
    -------
    dict of str to Access
    """
    previewable = (REGIONAL_LEAD, STAKEHOLDER_ROLE)
    choices = {
        f"{email} ({access.describe()})": access
        for email, access in (listed.users.items() if listed is not None else ())
        if access.role in previewable
    }
    if choices:
        return choices
    generic = {
        f"A regional lead ({region})": Access(
            email=f"a regional lead ({region})", role=REGIONAL_LEAD, regions=(region,)
        )
        for region in regions
    }
    generic["A stakeholder (all regions)"] = Access(email="a stakeholder", role=STAKEHOLDER_ROLE)
    return generic


def parse_email(value: object, *, what: str = "The email") -> str:
    """Read a user's identity: the one rule for the access file's keys, ``--as-user`` and sign-in.

    Surrounding whitespace is dropped and the email is lower-cased (emails are not
    case-sensitive here); what is left must be one email address: text, one ``@``,
    text, with no whitespace or invisible characters inside.

    Parameters
    ----------
    value : object
        The identity as given.
    what : str
        What the value is, for messages (e.g. ``"--as-user"``).

    Returns
    -------
    str
        The email, stripped and lower case.

    Raises
    ------
    InputError
        ``value`` is missing, empty or blank, or not an email address.
    """
    advice = "give the email a user signs in with, as the access file lists it (e.g. lead.wales@example.org)."
    if value is not None and not isinstance(value, str):
        raise InputError(f"{what} {value!r} is not an email address: {advice}")
    text = (value or "").strip()
    if not text:
        raise InputError(f"{what} is empty: an empty or blank user may see no data; {advice}")
    email = text.lower()
    name, at, domain = email.partition("@")
    if (
        not (name and at and domain)
        or "@" in domain
        or not email.isprintable()
        or any(character.isspace() for character in email)
    ):
        raise InputError(f"{what} {text!r} is not an email address: {advice}")
    return email


def access_file_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the access file's path.

    Parameters
    ----------
    explicit : str or path, optional
        A path given by the caller; wins when set.

    Returns
    -------
    pathlib.Path
        ``explicit``, else ``ETE_ACCESS_FILE``, else :data:`DEFAULT_ACCESS_PATH`.
    """
    if explicit:
        return Path(explicit)
    env = os.environ.get("ETE_ACCESS_FILE", "").strip()
    if env:
        return Path(env)
    return DEFAULT_ACCESS_PATH


def _canonical_regions(
    values: Any, *, source: str, key: str, known: tuple[str, ...]
) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, list):
        raise ConfigError(
            f"{source}: {key}.regions must be a list of region names, e.g. regions = [\"Wales\"]."
        )
    by_lower = {r.lower(): r for r in known}
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or value.strip().lower() not in by_lower:
            raise ConfigError(
                f"{source}: {key}.regions names an unknown region {value!r}; "
                f"use one of {', '.join(known)}."
            )
        canonical = by_lower[value.strip().lower()]
        if canonical not in out:
            out.append(canonical)
    return tuple(out)


def parse_access(text: str, *, source: str = "access file") -> AccessList:
    """Parse and validate the access file's TOML text.

    Parameters
    ----------
    text : str
        The file's contents.
    source : str
        The file's name, used in messages.

    Returns
    -------
    AccessList

    Raises
    ------
    ConfigError
        The TOML is malformed, or an entry has an unknown role, an unknown key or
        region, a regional lead has no regions, a director or data manager has
        regions, or an email is listed twice; the message names the file and the key.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}. Fix the file and try again.") from None
    unknown_top = sorted(set(document) - {"users"})
    if unknown_top:
        raise ConfigError(
            f"{source}: unknown section(s) {', '.join(unknown_top)}; the file holds only "
            '[users."email"] entries.'
        )
    users_table = document.get("users", {})
    if not isinstance(users_table, dict):
        raise ConfigError(f'{source}: users must be a table of [users."email"] entries.')
    known = config.regions()
    users: dict[str, Access] = {}
    for raw_email, entry in users_table.items():
        key = f'users."{raw_email}"'
        try:
            email = parse_email(raw_email)
        except InputError:
            raise ConfigError(f"{source}: {key} is not an email address.") from None
        if email in users:
            raise ConfigError(f"{source}: {key} is listed twice (emails are not case-sensitive).")
        if not isinstance(entry, dict):
            raise ConfigError(f'{source}: {key} must be a table with role = "...".')
        extra = sorted(set(entry) - _USER_KEYS)
        if extra:
            raise ConfigError(
                f"{source}: {key} has unknown key(s) {', '.join(extra)}; use role and regions."
            )
        role = entry.get("role")
        if role not in ROLES:
            raise ConfigError(
                f"{source}: {key}.role is {role!r}; use one of {', '.join(ROLES)}."
            )
        regions: tuple[str, ...] | None = None
        if "regions" in entry:
            if role in _ALL_REGIONS_ROLES:
                raise ConfigError(
                    f"{source}: {key} is a {role}, who sees every region; remove its regions."
                )
            regions = _canonical_regions(entry["regions"], source=source, key=key, known=known)
            if not regions:
                raise ConfigError(f"{source}: {key}.regions is empty; name at least one region.")
        elif role == REGIONAL_LEAD:
            raise ConfigError(
                f'{source}: {key} is a regional_lead without regions; add regions = ["Wales"] '
                "(the regions they lead)."
            )
        users[email] = Access(email=email, role=role, regions=regions)
    return AccessList(source=source, users=users)


def read_access_file(path: str | os.PathLike[str] | None = None) -> AccessList:
    """Read and validate the access file.

    Parameters
    ----------
    path : str or path, optional
        Default :func:`access_file_path` (``ETE_ACCESS_FILE``, else ``access.toml``).

    Returns
    -------
    AccessList

    Raises
    ------
    ConfigError
        The file is missing or unreadable, or invalid (see :func:`parse_access`).
    """
    resolved = access_file_path(path)
    try:
        text = resolved.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"The access file {resolved} does not exist. Copy access.example.toml to it and "
            "list who may see what (or set ETE_ACCESS_FILE to its path)."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the access file {resolved}: {exc}.") from None
    return parse_access(text, source=str(resolved))


def access_for(email: object, path: str | os.PathLike[str] | None = None) -> Access:
    """Return the access of ``email`` from the access file, refusing anything it does not list.

    Used by the command line's ``--as-user`` so a CLI call or export gets exactly
    what that user would get in the dashboard. An empty or blank ``email`` is
    refused before the file is read (never taken as "no user given").

    Parameters
    ----------
    email : object
        As given to ``--as-user``.
    path : str or path, optional
        The access file (default :func:`access_file_path`).

    Returns
    -------
    Access

    Raises
    ------
    InputError
        ``email`` is empty, blank or not an email address, or not in the file.
    ConfigError
        The file is missing or invalid (an undefined role, say).
    """
    parse_email(email, what="--as-user")
    return read_access_file(path).resolve(email)


def restrict_frames(
    access: Access,
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    targets: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Restrict frames to what ``access`` may see (its regions).

    Prefer loading only the allowed regions (``ete_metrics.data.db.load_*(engine,
    regions=access.regions)``); this is for frames already in memory.

    Parameters
    ----------
    access : Access
    participants, milestones : pandas.DataFrame
        In the :mod:`ete_metrics.data.frames` formats. Not modified.
    targets : pandas.DataFrame, optional

    Returns
    -------
    tuple of (participants, milestones, targets)
        New frames: participants of the user's regions, their milestones only, and
        the targets of those regions (``None`` stays ``None``). Unrestricted users get
        the inputs back unchanged.
    """
    if access.regions is None:
        return participants, milestones, targets
    kept = filter_participants(participants, regions=access.regions)
    kept_milestones = milestones_for(kept, milestones)
    kept_targets = None
    if targets is not None:
        kept_targets = targets.loc[targets["region"].isin(access.regions)].reset_index(drop=True)
    return kept, kept_milestones, kept_targets
