"""Where a person lives: the local indicators of a pair.

The reference catalogue describes each region (``regions.csv``) and, when the
census was imported, each region, province and commune (``local_profiles.csv``).
:func:`fit_locations` turns both into one table keyed by commune code or region
id, which :class:`~matcher.features.builder.PairFeatureBuilder` keeps as fitted state;
:func:`location_values` reads a person's row from it (commune first, else region)
and :func:`local_features` derives the ``local_*`` pair features, including how
crowded the type's census establishment category is locally. Every function is
pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from matcher.features.id_positions import Lookup
from matcher.reference import Reference

CENSUS_CATEGORY: Final[dict[str, str]] = {
    "commerce": "commerce",
    "catering": "services",
    "services": "services",
    "crafts": "industry",
    "construction": "construction",
}
"""Which census establishment category measures local competition for a sector."""

DENSITY_COLUMNS: Final[tuple[str, ...]] = (
    "estab_commerce_per_1000",
    "estab_services_per_1000",
    "estab_industry_per_1000",
    "estab_construction_per_1000",
)

LOCAL_COLUMNS: Final[tuple[str, ...]] = (
    "urban_share",
    "unemployment_rate",
    "activity_rate",
    "self_employed_share",
    "one_person_estab_share",
    *DENSITY_COLUMNS,
)
"""Columns of the location table (``local_profiles.csv`` names), in order."""

DENSITY_OFFSET: Final = LOCAL_COLUMNS.index(DENSITY_COLUMNS[0])
"""Position of the first density column in the location table."""


@dataclass(frozen=True)
class LocationTable:
    """The fitted local figures of a catalogue.

    Attributes
    ----------
    region_figures : dict of str to (float, float)
        Unemployment and poverty rate of each region.
    keys : list of str
        Commune codes and region ids, one per row of ``values``.
    values : ndarray of float, shape (n_keys, len(LOCAL_COLUMNS))
        Local figures (NaN where unknown; an indicator unknown everywhere is 0).
    national : ndarray of float, shape (len(LOCAL_COLUMNS),)
        Population-weighted mean of the regions' rows (0 where unknown).
    """

    region_figures: dict[str, tuple[float, float]]
    keys: list[str]
    values: NDArray[np.float64]
    national: NDArray[np.float64]


def density_columns(type_sector_ids: Sequence[str]) -> NDArray[np.intp]:
    """Index in :data:`DENSITY_COLUMNS` measuring each type's competition (-1: none)."""
    return np.array(
        [
            DENSITY_COLUMNS.index(f"estab_{CENSUS_CATEGORY[s]}_per_1000")
            if s in CENSUS_CATEGORY
            else -1
            for s in type_sector_ids
        ],
        dtype=np.intp,
    )


def fit_locations(ref: Reference) -> LocationTable:
    """Build the location table of a catalogue.

    Regions start from ``regions.csv`` (urban share and unemployment only); rows
    of ``local_profiles.csv`` then replace them and add the provinces and
    communes (a region-level profile is keyed by its ``region_id``).
    """
    regions = ref.regions
    figures = {
        str(r): (float(row.unemployment_rate), float(row.poverty_rate))
        for r, row in regions.iterrows()
    }
    local = ref.local_profiles
    table: dict[str, NDArray[np.float64]] = {}
    for region_id, row in regions.iterrows():
        table[str(region_id)] = np.array(
            [row.urban_share, row.unemployment_rate] + [np.nan] * 7, dtype=np.float64
        )
    if not local.empty:
        values = local[list(LOCAL_COLUMNS)].to_numpy(dtype=np.float64)
        for code, level, vals in zip(local.index, local["level"], values, strict=True):
            key = str(code) if level != "region" else str(local.loc[code, "region_id"])
            table[key] = vals
    keys = list(table)
    values = np.vstack([table[k] for k in keys])
    # A catalogue without local profiles leaves whole indicators unknown:
    # a constant keeps every model happy (trees cannot bin an all-missing column).
    values[:, np.isnan(values).all(axis=0)] = 0.0
    region_rows = [i for i, k in enumerate(keys) if k in regions.index]
    weights = regions["population"].reindex([keys[i] for i in region_rows]).to_numpy(np.float64)
    with np.errstate(all="ignore"):
        national = np.array(
            [
                np.nansum(values[region_rows, j] * weights) / weights.sum()
                if np.isfinite(values[region_rows, j]).any()
                else 0.0
                for j in range(values.shape[1])
            ]
        )
    return LocationTable(figures, keys, values, national)


def location_values(
    keys: Lookup,
    values: NDArray[np.float64],
    *,
    commune: NDArray[np.object_],
    region: NDArray[np.object_],
    n: int,
) -> NDArray[np.float64]:
    """Each person's row of the location table: commune if known, else region, else NaN.

    Parameters
    ----------
    keys : Lookup
        Over the table's keys (``location_keys_``).
    values : ndarray of float
        The table (``location_values_``).
    commune, region : ndarray of object
        The pairs' ``commune_code`` and ``region_id`` as text.
    n : int
        Number of pairs.
    """
    commune_pos = keys.positions(commune)
    region_pos = keys.positions(region)
    pos = np.where(commune_pos >= 0, commune_pos, region_pos)
    found = np.full((n, values.shape[1]), np.nan)
    known = pos >= 0
    found[known] = values[pos[known]]
    return found


def region_rates(
    figures: Mapping[str, tuple[float, float]], regions: Sequence[str]
) -> NDArray[np.float64]:
    """Unemployment and poverty rate of each region (NaN for an unknown one), shape (n, 2)."""
    return np.array([figures.get(r, (np.nan, np.nan)) for r in regions], np.float64).reshape(-1, 2)


def local_features(
    loc: NDArray[np.float64],
    *,
    density_col: NDArray[np.intp],
    national: NDArray[np.float64],
    agriculture: NDArray[np.bool_],
) -> dict[str, NDArray[np.float64]]:
    """The local pair features from each pair's location row.

    Parameters
    ----------
    loc : ndarray of float, shape (n, len(LOCAL_COLUMNS))
        From :func:`location_values`.
    density_col : ndarray of int, shape (n,)
        Each pair's type's :func:`density_columns` entry.
    national : ndarray of float
        :attr:`LocationTable.national`.
    agriculture : ndarray of bool, shape (n,)
        Whether each pair's project type is agricultural.

    Returns
    -------
    dict of str to ndarray of float
        ``local_urban_share`` … ``local_one_person``, ``competition_index`` (log
        ratio of local to national establishment density of the type's census
        category, clipped to [-2, 2], 0 when unknown), ``local_density_all`` and
        ``agri_rural_share``.
    """
    n = len(loc)
    competition = np.zeros(n)
    has_density = density_col >= 0
    col = DENSITY_OFFSET + density_col[has_density]
    local_density = loc[has_density, col]
    national_density = national[col]
    with np.errstate(all="ignore"):
        competition[has_density] = np.clip(
            np.log((local_density + 0.5) / (national_density + 0.5)), -2.0, 2.0
        )
    competition = np.nan_to_num(competition, nan=0.0)
    densities = loc[:, DENSITY_OFFSET : DENSITY_OFFSET + len(DENSITY_COLUMNS)]
    return {
        "local_urban_share": loc[:, 0],
        "local_unemployment": loc[:, 1],
        "local_activity": loc[:, 2],
        "local_self_employed": loc[:, 3],
        "local_one_person": loc[:, 4],
        "competition_index": competition,
        "local_density_all": np.nansum(densities, axis=1)
        if not np.isnan(densities).all()
        else np.full(n, np.nan),
        "agri_rural_share": np.where(agriculture, 1.0 - loc[:, 0], 0.0),
    }
