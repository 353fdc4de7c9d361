"""Chronological, beneficiary-grouped train/test split on ``start_date``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c


@dataclass(frozen=True)
class Split:
    """Row positions of each side and the cut date."""

    train: NDArray[np.intp]
    test: NDArray[np.intp]
    cut_date: pd.Timestamp


def chronological_split(history: pd.DataFrame, *, test_share: float = 0.2) -> Split:
    """Hold out the most recent projects, keeping each beneficiary on one side.

    Each beneficiary is dated by their first ``start_date``; beneficiaries first
    funded on or after the cut go to the test side with all their rows, so no
    person is on both sides and the test set is strictly later in time.

    Parameters
    ----------
    history : pandas.DataFrame
        Typed history (``start_date`` as datetimes).
    test_share : float
        Target share of rows in the test side, in (0, 1).
    """
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be in (0, 1), got {test_share}")
    first = history.groupby(c.BENEFICIARY_ID, sort=False)[c.START_DATE].transform("min")
    order = np.sort(first.to_numpy())
    cut = pd.Timestamp(order[int(np.floor((1 - test_share) * (len(order) - 1)))])
    is_test = (first >= cut).to_numpy()
    if is_test.all() or not is_test.any():
        raise ValueError("cannot split: all projects share the same start date")
    return Split(
        train=np.flatnonzero(~is_test).astype(np.intp),
        test=np.flatnonzero(is_test).astype(np.intp),
        cut_date=cut,
    )
