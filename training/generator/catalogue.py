"""The reference catalogue as numpy arrays, ready for vectorised generation.

:class:`Catalogue` turns a :class:`matcher.reference.Reference` into index
arrays (trades, sectors, project types, regions, communes) and the national
figures the local-market terms are measured against. It also names the
*stereotyped* project types of the historical counsellor policy and the
trainings of prison women's wings, by keyword, so that any catalogue that
follows the contract works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.domain import EDUCATION_LEVELS
from matcher.reference import Reference

CENSUS_CATEGORIES: Final[tuple[str, ...]] = ("commerce", "services", "industry", "construction")
"""Establishment categories of ``local_profiles.csv`` (``estab_<category>_per_1000``)."""

SECTOR_CENSUS_CATEGORY: Final[dict[str, str | None]] = {
    "commerce": "commerce",
    "catering": "services",
    "services": "services",
    "crafts": "industry",
    "construction": "construction",
    "agriculture": None,
}
"""Census category read as competition for each sector (agriculture: rural share)."""

KNOWN_PRISON_SHARES: Final[dict[str, float]] = {"MA-06": 0.2027, "MA-04": 0.1919, "MA-12": 0.0039}
"""DGAPR 2024 share of detainees by region (MOROCCO.md §1.6); the rest by population."""

WOMEN_TRAINING_PATTERN: Final = re.compile(
    r"sew|tailor|embroider|hairdress|aesthet|beaut|pastr|p[aâ]tiss|cook|cater|couture|coiff|cuisin"
)
"""Trainings of prison women's wings (Oukacha, Marrakech, Tétouan: MOROCCO.md §1.5)."""

STEREOTYPE_PATTERN: Final = re.compile(
    r"sew|tailor|embroider|garment|hairdress|aesthet|beaut|pastr|p[aâ]tiss|couture|coiff|esth[eé]t"
)
"""Project types the past policy pushed women towards (sewing, hairdressing, pastry)."""

MEN_ONLY_PATTERN: Final = re.compile(r"barber|(^|[^a-z])men'?s|homme")
"""Excludes men's hairdressing from the two patterns above."""


def _keyword_mask(frame: pd.DataFrame, pattern: re.Pattern[str]) -> NDArray[np.bool_]:
    text = frame.index.to_series().astype("str")
    for col in ("name_en", "name_fr"):
        if col in frame.columns:
            text = text + " " + frame[col].astype("str")
    lowered = [s.lower() for s in text]
    return np.array(
        [bool(pattern.search(s)) and not MEN_ONLY_PATTERN.search(s) for s in lowered],
        dtype=bool,
    )


@dataclass(frozen=True)
class Catalogue:
    """Index arrays over one reference catalogue.

    Attributes
    ----------
    sector_ids, trade_ids, type_ids, region_ids : list of str
        Catalogue order of each table.
    trade_sector : ndarray of int, shape (n_trades,)
        Sector index of each trade.
    women_trade : ndarray of bool, shape (n_trades,)
        Trainings typical of prison women's wings.
    type_sector : ndarray of int, shape (n_types,)
    type_required : list of ndarray of int
        Required trade indices of each project type (may be empty).
    type_cost, type_min_education : ndarray, shape (n_types,)
    type_milieu, type_demand : ndarray of str, shape (n_types,)
    type_stereotyped : ndarray of bool
        Types the past policy pushed women towards.
    type_heavy : ndarray of bool
        Construction-sector or high-demand types the past policy kept women away from.
    region_weight : ndarray of float
        Probability that a released person lives in each region (sums to 1).
    region_urban, region_unemployment : ndarray of float
    communes : pandas.DataFrame
        Commune-level local profiles people are drawn into (may be empty).
    national : dict of str to float
        Population-weighted national figures: ``unemployment``, ``rural_share`` and
        ``density_<category>`` (NaN when no local profiles are given).
    """

    sector_ids: list[str]
    trade_ids: list[str]
    type_ids: list[str]
    region_ids: list[str]
    trade_sector: NDArray[np.int64]
    women_trade: NDArray[np.bool_]
    type_sector: NDArray[np.int64]
    type_required: list[NDArray[np.int64]]
    type_cost: NDArray[np.float64]
    type_min_education: NDArray[np.int64]
    type_milieu: NDArray[np.str_]
    type_demand: NDArray[np.str_]
    type_stereotyped: NDArray[np.bool_]
    type_heavy: NDArray[np.bool_]
    region_weight: NDArray[np.float64]
    region_urban: NDArray[np.float64]
    region_unemployment: NDArray[np.float64]
    communes: pd.DataFrame
    national: dict[str, float]

    @property
    def n_types(self) -> int:
        """Number of project types."""
        return len(self.type_ids)

    @property
    def n_trades(self) -> int:
        """Number of trades."""
        return len(self.trade_ids)

    @property
    def n_sectors(self) -> int:
        """Number of sectors."""
        return len(self.sector_ids)


def region_weights(regions: pd.DataFrame) -> NDArray[np.float64]:
    """Share of released people living in each region.

    Regions with a published DGAPR detainee share keep it; the remaining mass is
    spread over the other regions in proportion to their population.

    Parameters
    ----------
    regions : pandas.DataFrame
        ``regions.csv`` indexed by ``region_id`` with a numeric ``population``.

    Returns
    -------
    ndarray of float
        Weights in ``regions`` order, summing to 1.
    """
    ids = [str(i) for i in regions.index]
    population = regions["population"].to_numpy(dtype=np.float64)
    known = np.array([KNOWN_PRISON_SHARES.get(i, np.nan) for i in ids])
    is_known = ~np.isnan(known)
    rest = max(0.0, 1.0 - float(known[is_known].sum()))
    weights = np.where(is_known, known, 0.0)
    other_pop = population[~is_known].sum()
    if other_pop > 0:
        weights[~is_known] = rest * population[~is_known] / other_pop
    total = weights.sum()
    if total <= 0:
        return np.full(len(ids), 1.0 / max(len(ids), 1))
    return np.asarray(weights / total, dtype=np.float64)


def _national(reference: Reference) -> dict[str, float]:
    regions = reference.regions
    pop = regions["population"].to_numpy(dtype=np.float64)
    weight = pop / pop.sum() if pop.sum() > 0 else np.full(len(pop), 1.0 / len(pop))
    national = {
        "unemployment": float(weight @ regions["unemployment_rate"].to_numpy(dtype=np.float64)),
        "rural_share": float(1.0 - weight @ regions["urban_share"].to_numpy(dtype=np.float64)),
    }
    local = reference.local_profiles
    region_rows = local[local["level"] == "region"] if not local.empty else local
    for cat in CENSUS_CATEGORIES:
        if region_rows.empty:
            national[f"density_{cat}"] = float("nan")
            continue
        lpop = region_rows["population"].to_numpy(dtype=np.float64)
        dens = region_rows[f"estab_{cat}_per_1000"].to_numpy(dtype=np.float64)
        national[f"density_{cat}"] = float((lpop * dens).sum() / max(lpop.sum(), 1.0))
    return national


def build_catalogue(reference: Reference) -> Catalogue:
    """Turn a reference catalogue into the arrays the generator works on.

    Parameters
    ----------
    reference : Reference
        A validated catalogue (``local_profiles`` may be empty).

    Returns
    -------
    Catalogue
    """
    sector_ids = [str(i) for i in reference.sectors.index]
    sector_pos = {s: k for k, s in enumerate(sector_ids)}
    trades = reference.trades
    trade_ids = [str(i) for i in trades.index]
    trade_pos = {t: k for k, t in enumerate(trade_ids)}
    types = reference.project_types
    edu_pos = {e: k for k, e in enumerate(EDUCATION_LEVELS)}
    local = reference.local_profiles
    return Catalogue(
        sector_ids=sector_ids,
        trade_ids=trade_ids,
        type_ids=[str(i) for i in types.index],
        region_ids=[str(i) for i in reference.regions.index],
        trade_sector=np.array([sector_pos[s] for s in trades["sector_id"]], dtype=np.int64),
        women_trade=_keyword_mask(trades, WOMEN_TRAINING_PATTERN),
        type_sector=np.array([sector_pos[s] for s in types["sector_id"]], dtype=np.int64),
        type_required=[
            np.array([trade_pos[t] for t in req], dtype=np.int64)
            for req in types["required_trades"]
        ],
        type_cost=types["typical_cost_mad"].to_numpy(dtype=np.float64),
        type_min_education=np.array([edu_pos[e] for e in types["min_education"]], dtype=np.int64),
        type_milieu=types["milieu"].to_numpy(dtype=str),
        type_demand=types["physical_demand"].to_numpy(dtype=str),
        type_stereotyped=_keyword_mask(types, STEREOTYPE_PATTERN),
        type_heavy=(types["sector_id"].to_numpy(dtype=str) == "construction")
        | (types["physical_demand"].to_numpy(dtype=str) == "high"),
        region_weight=region_weights(reference.regions),
        region_urban=reference.regions["urban_share"].to_numpy(dtype=np.float64),
        region_unemployment=reference.regions["unemployment_rate"].to_numpy(dtype=np.float64),
        communes=local[local["level"] == "commune"] if not local.empty else local,
        national=_national(reference),
    )
