"""Draw synthetic people leaving prison, as canonical profile frames (contract §2).

Every draw is vectorised over the whole population; the only Python loops run
over regions (commune choice) and over people when their list cells are
written as text. The published figures behind each choice are in
``data_samples/README.md`` and ``/work/shared/facts/MOROCCO.md``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c
from matcher.contract.tables import format_years
from matcher.domain import EDUCATION_LEVELS
from training.generator.catalogue import Catalogue

WOMEN_SHARE: Final = 0.10
"""FM6RD batches count more women (≈ 10 %) than the prison population (< 3 %)."""

AGE_MIN: Final = 18
AGE_MAX: Final = 65
AGE_GAMMA_SHAPE: Final = 2.0
AGE_GAMMA_SCALE: Final = 7.15
"""``age = 18 + floor(Gamma(2, 7.15))``: median ≈ 30 (half of detainees under 30)."""

EDUCATION_PROBS: Final = (0.30, 0.35, 0.20, 0.11, 0.04)
"""none, primary, lower_secondary, upper_secondary, higher."""

TRAINING_COUNT_PROBS: Final = (0.25, 0.45, 0.22, 0.08)
EXPERIENCE_COUNT_PROBS: Final = (0.35, 0.45, 0.20)
PREFERENCE_COUNT_PROBS: Final = (0.15, 0.50, 0.35)

WOMEN_TRAINING_WEIGHT: Final = 8.0
WOMEN_CONSTRUCTION_WEIGHT: Final = 0.1
MEN_CONSTRUCTION_WEIGHT: Final = 1.5
RURAL_AGRICULTURE_WEIGHT: Final = 2.5
EXPERIENCE_TRAINED_BOOST: Final = 2.0
"""Log-weight bonus of an already trained trade when drawing experience."""

YEARS_MEDIAN: Final = 2.5
YEARS_SIGMA: Final = 0.8
YEARS_MIN: Final = 0.5
YEARS_MAX: Final = 15.0

BUDGET_MEDIAN: Final = 40_000.0
BUDGET_SIGMA: Final = 0.42
BUDGET_STEP: Final = 500.0
BUDGET_MIN: Final = 5_000.0

NO_HEAVY_BASE: Final = 0.03
NO_HEAVY_PER_YEAR: Final = 0.0035
COMMUNE_SHARE: Final = 0.85


def _top_k(rng: np.random.Generator, log_weight: NDArray[np.float64]) -> NDArray[np.int64]:
    """Order each row's columns by a Gumbel-perturbed log weight.

    Taking the first ``k`` columns of a row draws ``k`` distinct columns without
    replacement, with probabilities proportional to the weights (Gumbel top-k).
    """
    keys = log_weight + rng.gumbel(size=log_weight.shape)
    return np.argsort(-keys, axis=1, kind="stable").astype(np.int64)


def _chosen_mask(order: NDArray[np.int64], k: NDArray[np.int64]) -> NDArray[np.bool_]:
    rank = np.empty_like(order)
    rows = np.arange(order.shape[0])[:, None]
    rank[rows, order] = np.arange(order.shape[1])[None, :]
    return rank < k[:, None]


def _join_rows(ids: list[str], order: NDArray[np.int64], k: NDArray[np.int64]) -> list[str]:
    return [";".join(ids[j] for j in row[:n]) for row, n in zip(order, k, strict=True)]


def mint_ids(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    """Draw ``n`` new pseudonyms ``B`` + 6 hex digits, none of them in ``taken``.

    ``taken`` is updated with the new ids.
    """
    out: list[str] = []
    while len(out) < n:
        draws = rng.integers(0, 16**6, size=(n - len(out)) * 2 + 8)
        for value in draws:
            pid = f"B{int(value):06x}"
            if pid not in taken:
                taken.add(pid)
                out.append(pid)
                if len(out) == n:
                    break
    return out


def _communes(
    rng: np.random.Generator, catalogue: Catalogue, region: NDArray[np.int64]
) -> tuple[NDArray[np.object_], NDArray[np.float64]]:
    """Commune code ("" for none) and its urban share (NaN for none)."""
    n = len(region)
    code = np.full(n, "", dtype=object)
    urban = np.full(n, np.nan)
    communes = catalogue.communes
    if communes.empty:
        return code, urban
    has = rng.random(n) < COMMUNE_SHARE
    by_region = communes.groupby("region_id", sort=True)
    for r, region_id in enumerate(catalogue.region_ids):
        rows = np.flatnonzero(has & (region == r))
        if len(rows) == 0 or region_id not in by_region.groups:
            continue
        pool = by_region.get_group(region_id)
        pop = pool["population"].to_numpy(dtype=np.float64) + 1.0
        pick = rng.choice(len(pool), size=len(rows), p=pop / pop.sum())
        code[rows] = pool.index.to_numpy(dtype=str)[pick]
        urban[rows] = pool["urban_share"].to_numpy(dtype=np.float64)[pick]
    return code, urban


def draw_population(rng: np.random.Generator, catalogue: Catalogue, ids: list[str]) -> pd.DataFrame:
    """Draw one profile per id.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness.
    catalogue : Catalogue
        The reference catalogue as arrays.
    ids : list of str
        Pseudonyms, one per person.

    Returns
    -------
    pandas.DataFrame
        The contract section 2 columns in contract order: ``age`` and
        ``budget_mad`` as int64, lists as ``a;b`` text, ``commune_code`` ""
        when absent.
    """
    n = len(ids)
    women = rng.random(n) < WOMEN_SHARE
    age = np.minimum(
        AGE_MIN + np.floor(rng.gamma(AGE_GAMMA_SHAPE, AGE_GAMMA_SCALE, size=n)), AGE_MAX
    ).astype(np.int64)
    region = rng.choice(len(catalogue.region_ids), size=n, p=catalogue.region_weight)
    commune, commune_urban = _communes(rng, catalogue, region)
    p_urban = np.where(np.isnan(commune_urban), catalogue.region_urban[region], commune_urban)
    urban = rng.random(n) < p_urban
    education = rng.choice(len(EDUCATION_LEVELS), size=n, p=np.asarray(EDUCATION_PROBS))

    is_construction = np.array(
        [catalogue.sector_ids[s] == "construction" for s in catalogue.trade_sector]
    )
    is_agriculture = np.array(
        [catalogue.sector_ids[s] == "agriculture" for s in catalogue.trade_sector]
    )
    weight = np.ones((n, catalogue.n_trades))
    weight[women[:, None] & catalogue.women_trade[None, :]] *= WOMEN_TRAINING_WEIGHT
    weight[women[:, None] & is_construction[None, :]] *= WOMEN_CONSTRUCTION_WEIGHT
    weight[~women[:, None] & is_construction[None, :]] *= MEN_CONSTRUCTION_WEIGHT
    weight[~urban[:, None] & is_agriculture[None, :]] *= RURAL_AGRICULTURE_WEIGHT
    log_weight = np.log(weight)

    max_k = catalogue.n_trades
    n_train = np.minimum(
        rng.choice(len(TRAINING_COUNT_PROBS), size=n, p=TRAINING_COUNT_PROBS), max_k
    )
    train_order = _top_k(rng, log_weight)
    trained = _chosen_mask(train_order, n_train)

    n_exp = np.minimum(
        rng.choice(len(EXPERIENCE_COUNT_PROBS), size=n, p=EXPERIENCE_COUNT_PROBS), max_k
    )
    exp_order = _top_k(rng, log_weight + EXPERIENCE_TRAINED_BOOST * trained)
    years = np.exp(rng.normal(np.log(YEARS_MEDIAN), YEARS_SIGMA, size=(n, 2)))
    years = np.round(np.clip(years, YEARS_MIN, np.minimum(YEARS_MAX, age - 16)[:, None]), 1)
    trade_ids = catalogue.trade_ids
    experience = [
        ";".join(
            f"{trade_ids[j]}:{format_years(float(y))}" for j, y in zip(row[:k], yrs, strict=False)
        )
        for row, k, yrs in zip(exp_order, n_exp, years, strict=True)
    ]
    experienced = _chosen_mask(exp_order, n_exp)

    sector_of = np.zeros((catalogue.n_trades, catalogue.n_sectors))
    sector_of[np.arange(catalogue.n_trades), catalogue.trade_sector] = 1.0
    sector_weight = 1.0 + 3.0 * ((trained @ sector_of) > 0) + 2.0 * ((experienced @ sector_of) > 0)
    n_pref = np.minimum(
        rng.choice(len(PREFERENCE_COUNT_PROBS), size=n, p=PREFERENCE_COUNT_PROBS),
        catalogue.n_sectors,
    )
    pref_order = _top_k(rng, np.log(sector_weight))

    budget = np.exp(rng.normal(np.log(BUDGET_MEDIAN), BUDGET_SIGMA, size=n))
    budget = np.maximum(np.round(budget / BUDGET_STEP) * BUDGET_STEP, BUDGET_MIN)
    no_heavy = rng.random(n) < NO_HEAVY_BASE + NO_HEAVY_PER_YEAR * (age - AGE_MIN)

    frame = {
        c.BENEFICIARY_ID: pd.array(ids, dtype="str"),
        c.SEX: pd.array(np.where(women, "F", "M"), dtype="str"),
        c.AGE: age,
        c.REGION_ID: pd.array(np.asarray(catalogue.region_ids)[region], dtype="str"),
        c.MILIEU: pd.array(np.where(urban, "urban", "rural"), dtype="str"),
        c.EDUCATION_LEVEL: pd.array(np.asarray(EDUCATION_LEVELS)[education], dtype="str"),
        c.TRAININGS: pd.array(_join_rows(trade_ids, train_order, n_train), dtype="str"),
        c.EXPERIENCE: pd.array(experience, dtype="str"),
        c.BUDGET_MAD: budget.astype(np.int64),
        c.PREFERRED_SECTORS: pd.array(
            _join_rows(catalogue.sector_ids, pref_order, n_pref), dtype="str"
        ),
        c.HEALTH_CONSTRAINT: pd.array(np.where(no_heavy, "no_heavy_work", "none"), dtype="str"),
        c.COMMUNE_CODE: pd.array(commune.astype(str), dtype="str"),
    }
    return pd.DataFrame(frame, columns=list(c.PROFILE_COLUMNS))
