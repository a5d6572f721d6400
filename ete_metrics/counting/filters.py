"""Restricting the data to a selection of regions, pathways or delivery partners.

Dates are not filtered here: every metric takes ``date_from`` / ``date_to`` and
applies them to its own anchor date.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ete_metrics.counting.match import match_rows


def _restrict(mask: np.ndarray, values: pd.Series, allowed: Iterable[str] | None) -> np.ndarray:
    if allowed is None:
        return mask
    wanted = [allowed] if isinstance(allowed, str) else list(allowed)
    return mask & values.isin(wanted).to_numpy(dtype=bool)


def participant_mask(
    participants: pd.DataFrame,
    *,
    regions: Iterable[str] | None = None,
    pathways: Iterable[str] | None = None,
    delivery_partners: Iterable[str] | None = None,
) -> np.ndarray:
    """Which participants :func:`filter_participants` keeps, as a boolean array.

    Parameters
    ----------
    participants : pandas.DataFrame
        Participants in the import format.
    regions, pathways, delivery_partners : iterable of str, optional
        As in :func:`filter_participants`.

    Returns
    -------
    numpy.ndarray of bool
        One value per row of ``participants``, True where the row is kept.
    """
    mask = np.ones(len(participants), dtype=bool)
    mask = _restrict(mask, participants["region"], regions)
    mask = _restrict(mask, participants["pathway"], pathways)
    return _restrict(mask, participants["delivery_partner"], delivery_partners)


def filter_participants(
    participants: pd.DataFrame,
    *,
    regions: Iterable[str] | None = None,
    pathways: Iterable[str] | None = None,
    delivery_partners: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Participants in the chosen regions, pathways and delivery partners.

    Parameters
    ----------
    participants : pandas.DataFrame
        Participants in the import format.
    regions, pathways, delivery_partners : iterable of str, optional
        Values to keep; ``None`` means no restriction on that column. An empty list
        keeps no one. Participants with a missing value are kept only when that column
        is unrestricted.

    Returns
    -------
    pandas.DataFrame
        A new frame (index reset) with the same columns.
    """
    mask = participant_mask(
        participants, regions=regions, pathways=pathways, delivery_partners=delivery_partners
    )
    return participants.loc[mask].reset_index(drop=True)


def milestones_for(participants: pd.DataFrame, milestones: pd.DataFrame) -> pd.DataFrame:
    """Milestones of the given participants only.

    Parameters
    ----------
    participants : pandas.DataFrame
        Participants (for example from :func:`filter_participants`).
    milestones : pandas.DataFrame
        Milestones in the import format.

    Returns
    -------
    pandas.DataFrame
        A new frame (index reset) with the milestones whose ``participant_id`` is among
        the participants', in their original order.
    """
    rows = match_rows(participants["participant_id"], milestones["participant_id"])
    return milestones.loc[rows >= 0].reset_index(drop=True)
