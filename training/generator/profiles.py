"""Profile frames as numeric arrays: the person side of the ground truth.

:func:`person_arrays` reads a canonical profile frame (the columns of contract
section 2, lists as ``a;b`` text, experience as ``trade_id:years``) into
matrices over the catalogue's trades and sectors, plus the local market figures
of each person's place (commune, else region). Generation and
:func:`training.generator.truth.true_probability` both go through it, so the
truth written to ``cohort_truth.csv`` is the one a reader recomputes from
``cohort.csv``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c
from matcher.contract.tables import parse_experience, split_list
from matcher.domain import EDUCATION_LEVELS
from matcher.reference import Reference
from training.generator.catalogue import CENSUS_CATEGORIES, Catalogue


@dataclass(frozen=True)
class PersonArrays:
    """Numeric view of ``n`` profiles over one catalogue.

    Attributes
    ----------
    trained : ndarray of bool, shape (n, n_trades)
    years : ndarray of float, shape (n, n_trades)
        Years of experience per trade (0 when none).
    preferred : ndarray of bool, shape (n, n_sectors)
    education, age : ndarray of int, shape (n,)
    budget : ndarray of float, shape (n,)
    urban, no_heavy : ndarray of bool, shape (n,)
    region : ndarray of int, shape (n,)
        Region index in catalogue order.
    unemployment, rural_share : ndarray of float, shape (n,)
        Local figures (commune, province or region).
    density : ndarray of float, shape (n, 4)
        Establishments per 1,000 inhabitants by census category (NaN if unknown).
    """

    trained: NDArray[np.bool_]
    years: NDArray[np.float64]
    preferred: NDArray[np.bool_]
    education: NDArray[np.int64]
    age: NDArray[np.int64]
    budget: NDArray[np.float64]
    urban: NDArray[np.bool_]
    no_heavy: NDArray[np.bool_]
    region: NDArray[np.int64]
    unemployment: NDArray[np.float64]
    rural_share: NDArray[np.float64]
    density: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.age)

    def take(self, rows: NDArray[np.int64]) -> PersonArrays:
        """Return the arrays of the given rows (in that order)."""
        return PersonArrays(
            **{name: getattr(self, name)[rows] for name in self.__dataclass_fields__}
        )


def _cell_matrix(
    cells: pd.Series, width: int, parse: Callable[[str], list[tuple[int, float]]]
) -> NDArray[np.float64]:
    """Parse each distinct cell once into a row of ``width`` values."""
    codes, uniques = pd.factorize(cells.astype("str").fillna(""), use_na_sentinel=False)
    unique_rows = np.zeros((len(uniques), width), dtype=np.float64)
    for u, cell in enumerate(uniques):
        for col, value in parse(str(cell)):
            unique_rows[u, col] = value
    return np.asarray(unique_rows[codes], dtype=np.float64)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype("str").fillna("").str.strip()
    return pd.Series([""] * len(frame), index=frame.index, dtype="str")


def _local_figures(
    frame: pd.DataFrame, reference: Reference, catalogue: Catalogue
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Unemployment, rural share and densities at commune, else region, level."""
    region = _column(frame, c.REGION_ID)
    commune = _column(frame, c.COMMUNE_CODE)
    regions = reference.regions
    unemployment = np.array(region.map(regions["unemployment_rate"]), dtype=np.float64)
    rural = 1.0 - np.array(region.map(regions["urban_share"]), dtype=np.float64)
    density = np.full((len(frame), len(CENSUS_CATEGORIES)), np.nan)
    local = reference.local_profiles
    if not local.empty:
        code = commune.where(commune.isin(local.index), region)
        pos = local.index.get_indexer(code)
        known = pos >= 0
        pos = pos[known]
        unemployment[known] = local["unemployment_rate"].to_numpy(dtype=np.float64)[pos]
        rural[known] = 1.0 - local["urban_share"].to_numpy(dtype=np.float64)[pos]
        for k, cat in enumerate(CENSUS_CATEGORIES):
            column = local[f"estab_{cat}_per_1000"].to_numpy(dtype=np.float64)
            density[known, k] = column[pos]
    national_unemployment = catalogue.national["unemployment"]
    unemployment = np.where(np.isnan(unemployment), national_unemployment, unemployment)
    rural = np.where(np.isnan(rural), catalogue.national["rural_share"], rural)
    return unemployment, rural, density


def person_arrays(
    profiles: pd.DataFrame, reference: Reference, catalogue: Catalogue
) -> PersonArrays:
    """Read canonical profiles into matrices over the catalogue.

    Parameters
    ----------
    profiles : pandas.DataFrame
        Contract section 2 columns, as generated or as returned valid by
        :func:`matcher.contract.profile_rules.validate_profiles`. Not modified.
    reference : Reference
        The catalogue the profiles refer to.
    catalogue : Catalogue
        :func:`training.generator.catalogue.build_catalogue` of ``reference``.

    Returns
    -------
    PersonArrays
    """
    trade_pos = {t: k for k, t in enumerate(catalogue.trade_ids)}
    sector_pos = {s: k for k, s in enumerate(catalogue.sector_ids)}

    def parse_trainings(cell: str) -> list[tuple[int, float]]:
        return [(trade_pos[t], 1.0) for t in split_list(cell) if t in trade_pos]

    def parse_years(cell: str) -> list[tuple[int, float]]:
        return [(trade_pos[t], y) for t, y in parse_experience(cell) if t in trade_pos]

    def parse_sectors(cell: str) -> list[tuple[int, float]]:
        return [(sector_pos[s], 1.0) for s in split_list(cell) if s in sector_pos]

    edu_pos = {e: k for k, e in enumerate(EDUCATION_LEVELS)}
    region_pos = {r: k for k, r in enumerate(catalogue.region_ids)}
    unemployment, rural, density = _local_figures(profiles, reference, catalogue)
    health = _column(profiles, c.HEALTH_CONSTRAINT).str.lower()
    trained = _cell_matrix(_column(profiles, c.TRAININGS), catalogue.n_trades, parse_trainings)
    preferred = _cell_matrix(
        _column(profiles, c.PREFERRED_SECTORS), catalogue.n_sectors, parse_sectors
    )
    education = _column(profiles, c.EDUCATION_LEVEL).str.lower().map(edu_pos)
    return PersonArrays(
        trained=trained > 0,
        years=_cell_matrix(_column(profiles, c.EXPERIENCE), catalogue.n_trades, parse_years),
        preferred=preferred > 0,
        education=education.to_numpy(dtype=np.int64),
        age=pd.to_numeric(profiles[c.AGE]).to_numpy(dtype=np.int64),
        budget=pd.to_numeric(profiles[c.BUDGET_MAD]).to_numpy(dtype=np.float64),
        urban=(_column(profiles, c.MILIEU).str.lower() == "urban").to_numpy(dtype=bool),
        no_heavy=(health == "no_heavy_work").to_numpy(dtype=bool),
        region=_column(profiles, c.REGION_ID).map(region_pos).to_numpy(dtype=np.int64),
        unemployment=unemployment,
        rural_share=rural,
        density=density,
    )
