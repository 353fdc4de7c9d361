"""The tables built from the census: local profiles and the regions' census figures.

Every builder is a pure function of the package's tables (:class:`CensusTables`,
never modified). A unit's missing figure is its parent's (commune → province →
region); each such fallback is logged.
"""

from __future__ import annotations

import logging
from typing import Final

import pandas as pd

from matcher.census.source import CensusTables, load_census, region_id
from matcher.contract.columns import LOCAL_PROFILES_COLUMNS

logger = logging.getLogger("matcher.census")
"""The package's one logger: records are named ``matcher.census`` in every module."""

LEVELS: Final = ("region", "province", "commune")
"""Profile levels, in output order."""

RATE_DECIMALS: Final = 4
DENSITY_DECIMALS: Final = 3

PROFILE_COLUMNS: Final = LOCAL_PROFILES_COLUMNS
"""Columns of ``local_profiles.csv``, in file order."""

PEOPLE_RATES: Final = {
    "unemployment_rate": "labour_unemployment_rate",
    "activity_rate": "labour_activity_rate",
    "self_employed_share": "employment_status_self_employed",
    "illiteracy_rate": "illiteracy_rate_10_plus",
}
"""Output column -> HCP percentage column of the people indicators (sex ``all``)."""

SECTOR_COLUMNS: Final = {
    "estab_commerce_per_1000": "sector_commerce",
    "estab_services_per_1000": "sector_services",
    "estab_industry_per_1000": "sector_industry",
    "estab_construction_per_1000": "sector_construction",
}
"""Output density column -> business establishments of that sector."""

RATE_COLUMNS: Final = (
    "urban_share",
    *PEOPLE_RATES,
    "one_person_estab_share",
)
INDICATOR_COLUMNS: Final = (*RATE_COLUMNS, *SECTOR_COLUMNS)
"""Columns that fall back to the parent unit's value when missing."""

REGION_CENSUS_COLUMNS: Final = ("population", "urban_share", "unemployment_rate")
"""Columns of ``regions.csv`` that come from the census."""

_PARENT_COLUMNS: Final[dict[str, tuple[str, str | None]]] = {
    "region": ("code", None),
    "province": ("region_code", "code"),
    "commune": ("region_code", "province_code"),
}
"""Per level: the package columns of a unit's region code and province code."""

_FALLBACKS: Final = (
    ("province", "region", "region_id", "region_id"),
    ("commune", "province", "code", "province_code"),
)
"""Fill order: level, parent level, the parent's key column, the level's link to it."""


def _text(series: pd.Series) -> pd.Series:
    """Return a code/name column as plain ``str`` with ``""`` for missing values."""
    return series.astype("object").where(series.notna(), "").astype(str)


def census_units(tables: CensusTables) -> pd.DataFrame:
    """List the regions, provinces and communes with names, parents and population.

    Parameters
    ----------
    tables : CensusTables
        Package tables (not modified).

    Returns
    -------
    pandas.DataFrame
        Columns ``level``, ``hcp_code`` (the package's code), ``code`` (``MA-xx``
        for regions, the HCP code otherwise), ``region_id``, ``province_code``,
        ``name_fr``, ``name_ar`` and ``population`` (2024 legal population, int).
    """
    levels = zip(LEVELS, (tables.regions, tables.provinces, tables.communes), strict=True)
    return pd.concat([_unit_rows(level, units) for level, units in levels], ignore_index=True)


def _unit_rows(level: str, units: pd.DataFrame) -> pd.DataFrame:
    """Return one level's rows of :func:`census_units`."""
    region_column, province_column = _PARENT_COLUMNS[level]
    codes = _text(units["code"])
    return pd.DataFrame(
        {
            "level": level,
            "hcp_code": codes,
            "code": codes.map(region_id) if level == "region" else codes,
            "region_id": _text(units[region_column]).map(region_id),
            "province_code": "" if province_column is None else _text(units[province_column]),
            "name_fr": _text(units["name_fr"]),
            "name_ar": _text(units["name_ar"]),
            "population": units["population_2024"].astype("int64"),
        }
    )


def people_indicators(people: pd.DataFrame) -> pd.DataFrame:
    """Compute the population-based indicators of every unit.

    Parameters
    ----------
    people : pandas.DataFrame
        ``mc.indicators("people", "2024")`` (not modified).

    Returns
    -------
    pandas.DataFrame
        One row per (``level``, ``hcp_code``) for the levels of :data:`LEVELS`:
        ``urban_share`` (urban municipal population / municipal population, the
        HCP urbanisation-rate convention) and the :data:`PEOPLE_RATES` columns as
        fractions. Missing figures stay missing (NaN).
    """
    rows = people.loc[people["sex"].eq("all") & people["level"].isin(LEVELS)]
    rows = rows.assign(hcp_code=_text(rows["code"]))
    totals = rows.loc[rows["area"].eq("total")]
    urban = (
        rows.loc[rows["area"].eq("urban")]
        .set_index(["level", "hcp_code"])["population_municipal"]
        .rename("urban_municipal")
    )
    frame = totals.set_index(["level", "hcp_code"]).join(urban, how="left")
    municipal = frame["population_municipal"].astype("float64")
    urban_share = frame["urban_municipal"].astype("float64").fillna(0.0) / municipal
    out = pd.DataFrame(
        {
            "urban_share": urban_share.where(municipal > 0),
            **{
                name: frame[column].astype("float64") / 100.0
                for name, column in PEOPLE_RATES.items()
            },
        },
        index=frame.index,
    )
    return out.reset_index()


def establishment_indicators(establishments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Compute the business-establishment indicators of every unit.

    Parameters
    ----------
    establishments : pandas.DataFrame
        ``mc.economy()`` (not modified). "Business" establishments exclude public
        services, non-profits and weekly souks (HCP's ``à but lucratif``).
    units : pandas.DataFrame
        :func:`census_units` output, for the population denominators.

    Returns
    -------
    pandas.DataFrame
        One row per (``level``, ``hcp_code``): ``one_person_estab_share`` (share
        of business establishments with one person) and, per sector, business
        establishments per 1,000 inhabitants (2024 legal population).
    """
    rows = establishments.loc[establishments["level"].isin(LEVELS)]
    rows = rows.assign(hcp_code=_text(rows["code"]))
    merged = rows.merge(
        units[["level", "hcp_code", "population"]],
        on=["level", "hcp_code"],
        how="inner",
        validate="one_to_one",
    )
    business = merged["establishments_business"].astype("float64")
    population = merged["population"].astype("float64")
    out = pd.DataFrame(
        {
            "level": merged["level"],
            "hcp_code": merged["hcp_code"],
            "one_person_estab_share": (merged["size_1"].astype("float64") / business).where(
                business > 0
            ),
            **{
                name: (merged[column].astype("float64") * 1000.0 / population).where(population > 0)
                for name, column in SECTOR_COLUMNS.items()
            },
        }
    )
    return out


def fill_from_parents(profiles: pd.DataFrame) -> pd.DataFrame:
    """Replace a unit's missing indicators by its parent's (commune → province → region).

    Parameters
    ----------
    profiles : pandas.DataFrame
        Profiles with ``level``, ``code``, ``region_id``, ``province_code`` and the
        :data:`INDICATOR_COLUMNS` (not modified).

    Returns
    -------
    pandas.DataFrame
        A copy where provinces take their region's value and communes their
        province's (itself possibly filled from the region) for each missing figure.
    """
    out = profiles.copy()
    out = profiles.copy()
    columns = list(INDICATOR_COLUMNS)
    for level, parent_level, key, link in _FALLBACKS:
        parents = out.loc[out["level"].eq(parent_level)].set_index(key)[columns]
        is_level = out["level"].eq(level)
        parent = parents.reindex(out.loc[is_level, link]).set_index(out.index[is_level])
        _log_fallbacks(out.loc[is_level], parent, parent_level)
        out.loc[is_level, columns] = out.loc[is_level, columns].fillna(parent)
    return out


def _log_fallbacks(units: pd.DataFrame, parent: pd.DataFrame, parent_level: str) -> None:
    """Log each unit whose missing figures are taken from its parent."""
    missing = units[list(INDICATOR_COLUMNS)].isna()
    for index in missing.index[missing.any(axis=1)]:
        filled = [col for col in INDICATOR_COLUMNS if bool(missing.at[index, col])]
        available = [col for col in filled if pd.notna(parent.at[index, col])]
        logger.info(
            "%s %s (%s): %s taken from its %s",
            units.at[index, "level"],
            units.at[index, "code"],
            units.at[index, "name_fr"],
            ", ".join(available) or "nothing",
            parent_level,
        )


def fallback_units(tables: CensusTables) -> pd.DataFrame:
    """List the units whose figures are missing in the census before the fallback.

    Parameters
    ----------
    tables : CensusTables
        Package tables (not modified).

    Returns
    -------
    pandas.DataFrame
        ``level``, ``code``, ``name_fr`` and ``missing`` (``;``-joined columns) for
        every unit with at least one missing indicator.
    """
    raw = _raw_profiles(tables)
    missing = raw[list(INDICATOR_COLUMNS)].isna()
    flagged = raw.loc[missing.any(axis=1), ["level", "code", "name_fr"]]
    names = missing.loc[flagged.index].apply(
        lambda row: ";".join(col for col in INDICATOR_COLUMNS if bool(row[col])),
        axis=1,
    )
    return flagged.assign(missing=names.astype(str)).reset_index(drop=True)


def _raw_profiles(tables: CensusTables) -> pd.DataFrame:
    """Join units and indicators, before any fallback or rounding."""
    units = census_units(tables)
    people = people_indicators(tables.people)
    estab = establishment_indicators(tables.establishments, units)
    return units.merge(people, on=["level", "hcp_code"], how="left", validate="one_to_one").merge(
        estab, on=["level", "hcp_code"], how="left", validate="one_to_one"
    )


def build_local_profiles(tables: CensusTables | None = None) -> pd.DataFrame:
    """Build the ``local_profiles.csv`` table.

    Parameters
    ----------
    tables : CensusTables, optional
        Package tables; read with :func:`load_census` when omitted.

    Returns
    -------
    pandas.DataFrame
        The :data:`PROFILE_COLUMNS`, one row per region (``code`` = ``MA-xx``),
        province and commune (``code`` = HCP code such as ``06.141.01.0``), sorted
        by level then code. Rates are fractions rounded to 4 decimals, densities
        per 1,000 inhabitants rounded to 3; missing figures are the parent's.
    """
    tables = load_census() if tables is None else tables
    filled = fill_from_parents(_raw_profiles(tables))
    rounded = filled.assign(
        **{col: filled[col].astype("float64").round(RATE_DECIMALS) for col in RATE_COLUMNS},
        **{col: filled[col].astype("float64").round(DENSITY_DECIMALS) for col in SECTOR_COLUMNS},
        level_order=filled["level"].map({level: i for i, level in enumerate(LEVELS)}),
    )
    ordered = rounded.sort_values(["level_order", "code"], kind="stable")
    return ordered[list(PROFILE_COLUMNS)].reset_index(drop=True)


def region_figures(profiles: pd.DataFrame) -> pd.DataFrame:
    """Select the census columns of ``regions.csv`` from built profiles.

    Parameters
    ----------
    profiles : pandas.DataFrame
        :func:`build_local_profiles` output (not modified).

    Returns
    -------
    pandas.DataFrame
        ``region_id`` and the :data:`REGION_CENSUS_COLUMNS`, sorted by ``region_id``.
    """
    regions = profiles.loc[profiles["level"].eq("region")]
    columns = ["region_id", *REGION_CENSUS_COLUMNS]
    return regions[columns].sort_values("region_id").reset_index(drop=True)


def build_region_figures(tables: CensusTables | None = None) -> pd.DataFrame:
    """Build the census columns of ``regions.csv``.

    Parameters
    ----------
    tables : CensusTables, optional
        Package tables; read with :func:`load_census` when omitted.

    Returns
    -------
    pandas.DataFrame
        ``region_id`` (``MA-01`` … ``MA-12``), ``population`` (2024 legal
        population, int), ``urban_share`` (urban share of the municipal population)
        and ``unemployment_rate`` (census 2024, aged 15+), fractions rounded to 4
        decimals, sorted by ``region_id``.
    """
    return region_figures(build_local_profiles(tables))
