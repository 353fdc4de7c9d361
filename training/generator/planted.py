"""A small cohort file with deliberately invalid rows, for testing validation.

Each planted row breaks exactly one rule of contract section 2, and the extra
column ``expected_error`` names the field at fault ("" on valid rows), so a test
can check that :func:`matcher.contract.profile_rules.validate_profiles` rejects exactly these
rows, each for the expected field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from matcher.contract import columns as c
from training.generator.catalogue import Catalogue

EXPECTED_ERROR: Final = "expected_error"
"""Extra column of ``cohort_with_errors.csv``: the field a row gets rejected for."""

ERROR_ROWS: Final = 30
"""Rows in ``cohort_with_errors.csv`` (valid and invalid)."""

Mutation = Callable[[pd.Series], pd.Series]


def _mutations(
    catalogue: Catalogue, first_id: str, rng: np.random.Generator
) -> list[tuple[str, Mutation]]:
    """(field, mutation) pairs; each mutation breaks one rule of a valid text row."""

    def set_cells(**cells: str) -> Mutation:
        def mutate(row: pd.Series) -> pd.Series:
            out = row.copy()
            for name, value in cells.items():
                out[name] = value
            return out

        return mutate

    def add_unknown_trade(row: pd.Series) -> pd.Series:
        out = row.copy()
        trainings = str(row[c.TRAININGS])
        out[c.TRAININGS] = f"{trainings};space_tourism" if trainings else "space_tourism"
        return out

    def foreign_commune(row: pd.Series) -> pd.Series:
        out = row.copy()
        communes = catalogue.communes
        others = communes[communes["region_id"] != row[c.REGION_ID]]
        out[c.COMMUNE_CODE] = str(others.index[int(rng.integers(len(others)))])
        return out

    mutations: list[tuple[str, Mutation]] = [
        (c.REGION_ID, set_cells(region_id="MA-99", commune_code="")),
        (c.TRAININGS, add_unknown_trade),
        (c.AGE, set_cells(age="17")),
        (c.AGE, set_cells(age="abc")),
        (c.BUDGET_MAD, set_cells(budget_mad="-5000")),
        (c.EXPERIENCE, set_cells(experience="welding:x")),
        (c.BENEFICIARY_ID, set_cells(beneficiary_id=first_id)),
        (c.PREFERRED_SECTORS, set_cells(preferred_sectors="tourism")),
        (c.SEX, set_cells(sex="X")),
    ]
    if catalogue.communes.empty or catalogue.communes["region_id"].nunique() < 2:
        mutations.append((c.MILIEU, set_cells(milieu="city")))
    else:
        mutations.append((c.COMMUNE_CODE, foreign_commune))
    return mutations


def plant_errors(
    rng: np.random.Generator, valid: pd.DataFrame, catalogue: Catalogue
) -> pd.DataFrame:
    """Break one rule on each of about ten rows of a valid profile frame.

    Parameters
    ----------
    rng : numpy.random.Generator
        Chooses which rows are broken.
    valid : pandas.DataFrame
        Valid generated profiles (at least 12 rows). Not modified.
    catalogue : Catalogue
        Supplies a commune of another region for the commune rule.

    Returns
    -------
    pandas.DataFrame
        Text cells, the contract columns plus :data:`EXPECTED_ERROR`. Row 0 is
        always valid: the duplicate-id row repeats its id.
    """
    text = valid.astype("str").reset_index(drop=True)
    mutations = _mutations(catalogue, str(text.loc[0, c.BENEFICIARY_ID]), rng)
    if len(text) < len(mutations) + 2:
        raise ValueError(f"need at least {len(mutations) + 2} rows, got {len(text)}")
    positions = np.sort(rng.choice(np.arange(1, len(text)), size=len(mutations), replace=False))
    order = rng.permutation(len(mutations))
    rows = [text.loc[i] for i in range(len(text))]
    expected = [""] * len(text)
    for pos, k in zip(positions, order, strict=True):
        field, mutate = mutations[int(k)]
        rows[int(pos)] = mutate(rows[int(pos)])
        expected[int(pos)] = field
    out = pd.DataFrame(rows, columns=text.columns).reset_index(drop=True).astype("str")
    return out.assign(**{EXPECTED_ERROR: pd.array(expected, dtype="str")})
