"""The ground truth: P(business active at 12 months) for a (person, project type) pair.

A logistic model whose terms are listed, with their coefficients, in
:data:`COEFFICIENTS` and in ``data_samples/README.md``. Sex never enters it.
The hidden parts of the world (a base rate per project type and a
region × sector market effect) are drawn from the seed, keyed by their ids so
that a reordered catalogue gives the same world, and kept in
:class:`WorldParams`.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from matcher.reference import Reference
from training.generator.catalogue import (
    CENSUS_CATEGORIES,
    SECTOR_CENSUS_CATEGORY,
    Catalogue,
    build_catalogue,
)
from training.generator.profiles import PersonArrays, person_arrays

COEFFICIENTS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "trained_exact": 1.0,
        "years_exact_log1p": 0.45,
        "trained_same_sector": 0.35,
        "years_same_sector_log1p": 0.12,
        "no_required_trade": 0.3,
        "education_below_per_level": -0.45,
        "education_above_per_level": 0.08,
        "age_high_demand_per_year_over_45": -0.06,
        "age_medium_demand_per_year_over_50": -0.025,
        "budget_slack_log1p": 0.35,
        "preferred_sector": 0.5,
        "competition_log_density_ratio": -0.25,
        "unemployment_gap": -2.0,
        "agriculture_rural_gap": 0.6,
        "both_type_off_natural_milieu": -0.25,
        "type_base_sd": 0.3,
        "market_effect_sd": 0.35,
    }
)
"""Coefficients on the logit scale (see ``data_samples/README.md`` for each term)."""

TARGET_SURVIVAL: Final = 0.73
"""1-year survival of new firms, Casablanca-Settat CRI study 2018 (MOROCCO.md §3.2)."""

EDUCATION_BONUS_CAP: Final = 2
BUDGET_SLACK_RANGE: Final = (-0.5, 3.0)
DENSITY_SMOOTHING: Final = 0.5
DENSITY_RATIO_CLIP: Final = 1.5
TERMS: Final[tuple[str, ...]] = (
    "skill_match",
    "education",
    "age_demand",
    "budget_slack",
    "preference",
    "competition",
    "unemployment",
    "rural_agriculture",
    "milieu_fit",
    "type_base",
    "market",
)
"""Additive terms of the logit, besides the intercept."""


@dataclass(frozen=True)
class WorldParams:
    """The hidden parameters of one synthetic world.

    Attributes
    ----------
    seed : int
        The seed they were drawn from.
    intercept : float
        Calibrated so that the mean truth over the funded history is
        :data:`TARGET_SURVIVAL`.
    type_base : pandas.Series
        Base logit of each project type, indexed by ``project_type_id``.
    market_effect : pandas.DataFrame
        Logit effect of each (``region_id`` row, ``sector_id`` column).
    coefficients : Mapping of str to float
        :data:`COEFFICIENTS`.
    """

    seed: int
    intercept: float
    type_base: pd.Series
    market_effect: pd.DataFrame
    coefficients: Mapping[str, float] = field(default_factory=lambda: COEFFICIENTS)

    def with_intercept(self, intercept: float) -> WorldParams:
        """Return a copy with another intercept."""
        return replace(self, intercept=float(intercept))


def _keyed_normal(seed: int, keys: Sequence[str], sd: float) -> float:
    entropy = [seed, *(zlib.crc32(k.encode("utf-8")) for k in keys)]
    return float(np.random.default_rng(entropy).normal(0.0, sd))


def draw_params(reference: Reference, seed: int) -> WorldParams:
    """Draw the hidden effects of a world (intercept 0, to be calibrated).

    Parameters
    ----------
    reference : Reference
        The catalogue: one base rate per project type, one market effect per
        region and sector.
    seed : int
        Non-negative seed; each effect is drawn from ``(seed, its ids)``.

    Returns
    -------
    WorldParams
    """
    types = [str(i) for i in reference.project_types.index]
    regions = [str(i) for i in reference.regions.index]
    sectors = [str(i) for i in reference.sectors.index]
    type_sd = COEFFICIENTS["type_base_sd"]
    market_sd = COEFFICIENTS["market_effect_sd"]
    type_base = pd.Series(
        [_keyed_normal(seed, ("type", t), type_sd) for t in types],
        index=pd.Index(types, name="project_type_id"),
        dtype="float64",
    )
    market = pd.DataFrame(
        [[_keyed_normal(seed, ("market", r, s), market_sd) for s in sectors] for r in regions],
        index=pd.Index(regions, name="region_id"),
        columns=pd.Index(sectors, name="sector_id"),
        dtype="float64",
    )
    return WorldParams(seed=seed, intercept=0.0, type_base=type_base, market_effect=market)


def _skill_match(p: PersonArrays, t: int, cat: Catalogue) -> NDArray[np.float64]:
    coef = COEFFICIENTS
    required = cat.type_required[t]
    n = len(p)
    if len(required):
        exact_trained = p.trained[:, required].any(axis=1)
        exact_years = p.years[:, required].max(axis=1)
    else:
        exact_trained = np.zeros(n, dtype=bool)
        exact_years = np.zeros(n)
    same = (cat.trade_sector == cat.type_sector[t]) & ~np.isin(np.arange(cat.n_trades), required)
    sector_trained = p.trained[:, same].any(axis=1) if same.any() else np.zeros(n, dtype=bool)
    sector_years = p.years[:, same].max(axis=1) if same.any() else np.zeros(n)
    exact = coef["trained_exact"] * exact_trained + coef["years_exact_log1p"] * np.log1p(
        exact_years
    )
    partial = coef["trained_same_sector"] * sector_trained + coef[
        "years_same_sector_log1p"
    ] * np.log1p(sector_years)
    has_exact = exact_trained | (exact_years > 0)
    base = coef["no_required_trade"] if len(required) == 0 else 0.0
    return np.asarray(base + np.where(has_exact, exact, partial), dtype=np.float64)


def _market_column(effect: pd.DataFrame, cat: Catalogue, sector: str) -> NDArray[np.float64]:
    """Market effect of ``sector`` for each region, in catalogue order (0 if unknown)."""
    if sector in effect.columns and effect.index.tolist() == cat.region_ids:
        column = effect[sector]
    else:
        column = effect.reindex(index=cat.region_ids, columns=[sector], fill_value=0.0)[sector]
    return np.asarray(column.to_numpy(dtype=np.float64), dtype=np.float64)


def type_terms(
    p: PersonArrays, t: int, cat: Catalogue, params: WorldParams
) -> dict[str, NDArray[np.float64]]:
    """Every additive term of the logit for all persons and one project type.

    Parameters
    ----------
    p : PersonArrays
        The persons.
    t : int
        Project type index in catalogue order.
    cat : Catalogue
        The catalogue as arrays.
    params : WorldParams
        The world's hidden effects.

    Returns
    -------
    dict of str to ndarray
        One array of shape ``(len(p),)`` per name of :data:`TERMS`.
    """
    coef = COEFFICIENTS
    n = len(p)
    sector = cat.sector_ids[cat.type_sector[t]]
    gap = p.education - cat.type_min_education[t]
    education = coef["education_below_per_level"] * np.clip(-gap, 0, None) + coef[
        "education_above_per_level"
    ] * np.clip(gap, 0, EDUCATION_BONUS_CAP)

    demand = cat.type_demand[t]
    if demand == "high":
        age = coef["age_high_demand_per_year_over_45"] * np.clip(p.age - 45, 0, None)
    elif demand == "medium":
        age = coef["age_medium_demand_per_year_over_50"] * np.clip(p.age - 50, 0, None)
    else:
        age = np.zeros(n)

    cost = cat.type_cost[t]
    slack = np.clip((p.budget - cost) / cost, *BUDGET_SLACK_RANGE)

    category = SECTOR_CENSUS_CATEGORY.get(sector)
    competition = np.zeros(n)
    if category is not None:
        k = CENSUS_CATEGORIES.index(category)
        national = cat.national[f"density_{category}"]
        if np.isfinite(national):
            ratio = np.log((p.density[:, k] + DENSITY_SMOOTHING) / (national + DENSITY_SMOOTHING))
            ratio = np.nan_to_num(np.clip(ratio, -DENSITY_RATIO_CLIP, DENSITY_RATIO_CLIP))
            competition = coef["competition_log_density_ratio"] * ratio

    rural_agriculture = np.zeros(n)
    if sector == "agriculture":
        rural_agriculture = coef["agriculture_rural_gap"] * (
            p.rural_share - cat.national["rural_share"]
        )

    milieu_fit = np.zeros(n)
    if cat.type_milieu[t] == "both":
        natural_urban = sector != "agriculture"
        milieu_fit = coef["both_type_off_natural_milieu"] * (p.urban != natural_urban)

    market = _market_column(params.market_effect, cat, sector)
    terms = {
        "skill_match": _skill_match(p, t, cat),
        "education": education,
        "age_demand": age,
        "budget_slack": coef["budget_slack_log1p"] * np.log1p(slack),
        "preference": coef["preferred_sector"] * p.preferred[:, cat.type_sector[t]],
        "competition": competition,
        "unemployment": coef["unemployment_gap"] * (p.unemployment - cat.national["unemployment"]),
        "rural_agriculture": rural_agriculture,
        "milieu_fit": milieu_fit,
        "type_base": np.full(n, float(params.type_base.get(cat.type_ids[t], 0.0))),
        "market": market[p.region],
    }
    return {name: np.asarray(terms[name], dtype=np.float64) for name in TERMS}


def term_matrices(
    p: PersonArrays, cat: Catalogue, params: WorldParams
) -> dict[str, NDArray[np.float64]]:
    """Every term for every (person, project type): arrays of shape (n, n_types)."""
    columns = [type_terms(p, t, cat, params) for t in range(cat.n_types)]
    return {name: np.stack([col[name] for col in columns], axis=1) for name in TERMS}


def logit_matrix(p: PersonArrays, cat: Catalogue, params: WorldParams) -> NDArray[np.float64]:
    """True logit for every (person, project type), shape (n, n_types)."""
    logit = np.full((len(p), cat.n_types), params.intercept)
    for t in range(cat.n_types):
        logit[:, t] += sum(type_terms(p, t, cat, params).values(), np.zeros(len(p)))
    return logit


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logistic function."""
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def calibrate_intercept(logits: NDArray[np.float64], target: float = TARGET_SURVIVAL) -> float:
    """Shift that makes ``mean(sigmoid(logits + shift)) == target`` (bisection).

    Parameters
    ----------
    logits : ndarray of float
        Logits without intercept (e.g. of the funded pairs of a history).
    target : float
        The mean probability wanted, in (0, 1).

    Returns
    -------
    float
    """
    low, high = -20.0, 20.0
    for _ in range(80):
        mid = (low + high) / 2.0
        if float(sigmoid(logits + mid).mean()) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


def true_probability(
    profiles: pd.DataFrame,
    project_type_ids: ArrayLike,
    reference: Reference,
    world_params: WorldParams,
) -> NDArray[np.float64]:
    """Ground-truth P(active at 12 months) of each (profile row, project type) pair.

    Parameters
    ----------
    profiles : pandas.DataFrame
        Canonical profiles (contract section 2), one row per pair. Not modified.
    project_type_ids : array-like of str
        The project type of each pair, same length as ``profiles``.
    reference : Reference
        The catalogue the world was generated on.
    world_params : WorldParams
        ``world.params`` of the generated world.

    Returns
    -------
    ndarray of float, shape (len(profiles),)
        Probabilities in (0, 1). Sex is never read.

    Raises
    ------
    KeyError
        If a project type is not in the catalogue.
    """
    cat = build_catalogue(reference)
    persons = person_arrays(profiles, reference, cat)
    type_pos = {t: k for k, t in enumerate(cat.type_ids)}
    ids = [str(t) for t in np.asarray(project_type_ids, dtype=object).ravel()]
    if len(ids) != len(persons):
        raise ValueError(f"{len(ids)} project types for {len(persons)} profiles")
    types = np.array([type_pos[t] for t in ids], dtype=np.int64)
    logit = np.full(len(ids), world_params.intercept)
    for t in np.unique(types):
        rows = np.flatnonzero(types == t)
        terms = type_terms(persons.take(rows), int(t), cat, world_params)
        logit[rows] += sum(terms.values(), np.zeros(len(rows)))
    return sigmoid(logit)
