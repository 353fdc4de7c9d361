"""The historical counsellor policy: which eligible project type each person got.

Counsellors chose by a softmax over a utility that weighs the person's
trainings and experience and stated preference strongly, looks a little at the
true chance of success, and carries the stereotypes of the past: women pushed
towards sewing, hairdressing and aesthetics, and pastry, and kept away from
building and heavy trades. The truth itself is sex-neutral, so the history is
biased by the policy only: exactly what a fairness audit must detect.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import NDArray

from training.generator.catalogue import Catalogue

POLICY_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "skill_match": 1.5,
        "preference": 2.4,
        "true_logit": 0.4,
        "noise_scale": 1.0,
        "women_stereotyped": 2.0,
        "women_heavy": -2.5,
    }
)
"""Utility weights (logit scale). ``preference`` multiplies the truth's preference
term (0.5 per preferred sector), so a preferred sector weighs 1.2."""

UNFUNDED: Final = -1
"""Choice code of a person with no eligible project type."""


def choose_projects(
    rng: np.random.Generator,
    *,
    women: NDArray[np.bool_],
    eligible: NDArray[np.bool_],
    skill_match: NDArray[np.float64],
    preference: NDArray[np.float64],
    true_logit: NDArray[np.float64],
    catalogue: Catalogue,
) -> NDArray[np.int64]:
    """Draw one eligible project type per person (Gumbel-max softmax).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the counsellors' noise.
    women : ndarray of bool, shape (n,)
        Only the stereotypes read it.
    eligible : ndarray of bool, shape (n, n_types)
        Contract section 3 eligibility.
    skill_match, preference, true_logit : ndarray of float, shape (n, n_types)
        Truth terms the counsellors look at.
    catalogue : Catalogue
        Names the stereotyped and heavy project types.

    Returns
    -------
    ndarray of int, shape (n,)
        Chosen type index, or :data:`UNFUNDED` when nothing is eligible.
    """
    w = POLICY_WEIGHTS
    utility = (
        w["skill_match"] * skill_match
        + w["preference"] * preference
        + w["true_logit"] * true_logit
        + w["women_stereotyped"] * (women[:, None] & catalogue.type_stereotyped[None, :])
        + w["women_heavy"] * (women[:, None] & catalogue.type_heavy[None, :])
    )
    utility = utility + w["noise_scale"] * rng.gumbel(size=utility.shape)
    utility = np.where(eligible, utility, -np.inf)
    choice = np.argmax(utility, axis=1).astype(np.int64)
    return np.where(eligible.any(axis=1), choice, UNFUNDED)
