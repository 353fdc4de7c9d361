"""A whole synthetic world: history, cohort, its ground truth and a file with errors.

:func:`generate_world` is pure and deterministic for a seed. The seed feeds a
:class:`numpy.random.SeedSequence` whose independent child streams draw the
calibration sample, the history, the cohort, the planted errors and the
pseudonyms, so changing ``n_cohort`` does not change the history and the hidden
parameters depend on the seed and catalogue only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.contract import columns as c
from matcher.contract.eligibility import check_eligibility
from matcher.contract.tables import write_table
from matcher.reference import Reference
from training.generator.catalogue import Catalogue, build_catalogue
from training.generator.planted import ERROR_ROWS, EXPECTED_ERROR, plant_errors
from training.generator.policy import UNFUNDED, choose_projects
from training.generator.population import draw_population, mint_ids
from training.generator.profiles import person_arrays
from training.generator.truth import (
    TARGET_SURVIVAL,
    WorldParams,
    calibrate_intercept,
    draw_params,
    sigmoid,
    term_matrices,
)

CALIBRATION_SIZE: Final = 5_000
"""People in the calibration sample that fixes the intercept."""

START_FIRST: Final = np.datetime64("2019-01-01")
START_LAST: Final = np.datetime64("2025-06-30")
FUNDED_FACTOR: Final = (0.90, 1.05)
FUNDED_STEP: Final = 10.0
INCOME_MEDIAN: Final = 3_000.0
"""About the net SMIG (3,046 MAD/month in 2025, MOROCCO.md §3)."""
INCOME_SIGMA: Final = 0.45
INCOME_TRUTH_SLOPE: Final = 0.3
INCOME_MISSING_SHARE: Final = 0.10
TRUTH_COLUMN: Final = "p_active_12m"
TRUTH_DECIMALS: Final = 6
FILES: Final[tuple[str, ...]] = ("history", "cohort", "cohort_truth", "cohort_with_errors")


@dataclass(frozen=True)
class World:
    """One synthetic world.

    Attributes
    ----------
    history : pandas.DataFrame
        Contract section 4: one row per funded project.
    cohort : pandas.DataFrame
        Contract section 2: new people to recommend for, all valid.
    cohort_truth : pandas.DataFrame
        ``beneficiary_id, project_type_id, p_active_12m`` for every eligible pair.
    cohort_with_errors : pandas.DataFrame
        About 30 text rows, some deliberately invalid, with ``expected_error``.
    params : WorldParams
        The hidden parameters (intercept, type base rates, market effects).
    history_truth : ndarray of float
        True P(active at 12 months) of each history row's funded pair.
    n_unfunded : int
        People diagnosed for the history who had no eligible project type.
    type_sector : Mapping of str to str
        ``project_type_id`` → ``sector_id``.
    stereotyped_types : tuple of str
        Types the past policy pushed women towards.
    """

    history: pd.DataFrame
    cohort: pd.DataFrame
    cohort_truth: pd.DataFrame
    cohort_with_errors: pd.DataFrame
    params: WorldParams
    history_truth: NDArray[np.float64]
    n_unfunded: int
    type_sector: Mapping[str, str]
    stereotyped_types: tuple[str, ...]


def _calibrated_params(
    rng: np.random.Generator, reference: Reference, cat: Catalogue, seed: int
) -> WorldParams:
    params = draw_params(reference, seed)
    ids = [f"C{i}" for i in range(CALIBRATION_SIZE)]
    people = draw_population(rng, cat, ids)
    terms = term_matrices(person_arrays(people, reference, cat), cat, params)
    logit = sum(terms.values(), np.zeros((len(people), cat.n_types)))
    eligible = check_eligibility(people, reference.project_types).eligible
    choice = choose_projects(
        rng,
        women=(people[c.SEX] == "F").to_numpy(dtype=bool),
        eligible=eligible,
        skill_match=terms["skill_match"],
        preference=terms["preference"],
        true_logit=logit,
        catalogue=cat,
    )
    funded = np.flatnonzero(choice != UNFUNDED)
    return params.with_intercept(calibrate_intercept(logit[funded, choice[funded]]))


def _fund(
    rng: np.random.Generator,
    people: pd.DataFrame,
    reference: Reference,
    cat: Catalogue,
    params: WorldParams,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Chosen type per person (or UNFUNDED) and the true logit of that choice."""
    terms = term_matrices(person_arrays(people, reference, cat), cat, params)
    logit = params.intercept + sum(terms.values(), np.zeros((len(people), cat.n_types)))
    choice = choose_projects(
        rng,
        women=(people[c.SEX] == "F").to_numpy(dtype=bool),
        eligible=check_eligibility(people, reference.project_types).eligible,
        skill_match=terms["skill_match"],
        preference=terms["preference"],
        true_logit=logit,
        catalogue=cat,
    )
    chosen = np.where(choice == UNFUNDED, 0, choice)
    return choice, logit[np.arange(len(people)), chosen]


def _history(
    rng: np.random.Generator,
    id_rng: np.random.Generator,
    taken: set[str],
    n: int,
    reference: Reference,
    cat: Catalogue,
    params: WorldParams,
) -> tuple[pd.DataFrame, NDArray[np.float64], int]:
    frames: list[pd.DataFrame] = []
    logits: list[NDArray[np.float64]] = []
    choices: list[NDArray[np.int64]] = []
    n_funded = 0
    n_unfunded = 0
    while n_funded < n:
        missing = n - n_funded
        people = draw_population(rng, cat, mint_ids(id_rng, missing + missing // 20 + 20, taken))
        choice, logit = _fund(rng, people, reference, cat, params)
        funded = choice != UNFUNDED
        cut = int(np.searchsorted(np.cumsum(funded), missing)) + 1
        n_unfunded += int((~funded[:cut]).sum())
        keep = np.flatnonzero(funded[:cut])
        frames.append(people.iloc[keep])
        logits.append(logit[keep])
        choices.append(choice[keep])
        n_funded += len(keep)
    if not frames:
        frames.append(draw_population(rng, cat, []))
    people = pd.concat(frames, ignore_index=True)
    logit = np.concatenate([*logits, np.zeros(0)])
    choice = np.concatenate([*choices, np.zeros(0, dtype=np.int64)])
    truth = sigmoid(logit)

    m = len(people)
    cost = cat.type_cost[choice]
    funded_mad = np.round(cost * rng.uniform(*FUNDED_FACTOR, size=m) / FUNDED_STEP) * FUNDED_STEP
    funded_mad = np.clip(funded_mad, 1.0, people[c.BUDGET_MAD].to_numpy(dtype=np.float64))
    n_days = int((START_LAST - START_FIRST).astype(int))
    start = START_FIRST + rng.integers(0, n_days + 1, size=m).astype("timedelta64[D]")
    active = rng.random(m) < truth
    income = np.exp(
        rng.normal(np.log(INCOME_MEDIAN), INCOME_SIGMA, size=m)
        + INCOME_TRUTH_SLOPE * (logit - (logit.mean() if m else 0.0))
    )
    income = np.where(active, np.round(income / 10.0) * 10.0, 0.0)
    missing_income = rng.random(m) < INCOME_MISSING_SHARE
    history = people.assign(
        **{
            c.PROJECT_TYPE_ID: pd.array(np.asarray(cat.type_ids)[choice], dtype="str"),
            c.FUNDED_MAD: funded_mad.astype(np.int64),
            c.START_DATE: pd.array(start.astype(str), dtype="str"),
            c.ACTIVE_12M: active.astype(np.int64),
            c.MONTHLY_INCOME_MAD: pd.array(np.where(missing_income, np.nan, income), dtype="Int64"),
        }
    )
    return history[list(c.HISTORY_COLUMNS)], truth, n_unfunded


def cohort_truth_frame(
    cohort: pd.DataFrame, reference: Reference, cat: Catalogue, params: WorldParams
) -> pd.DataFrame:
    """The true P(active at 12 months) of every eligible (cohort person, type) pair.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Canonical profiles. Not modified.
    reference : Reference
        The catalogue.
    cat : Catalogue
        ``build_catalogue(reference)``.
    params : WorldParams
        The world's hidden parameters.

    Returns
    -------
    pandas.DataFrame
        ``beneficiary_id, project_type_id, p_active_12m`` (6 decimals), in cohort
        then catalogue order.
    """
    terms = term_matrices(person_arrays(cohort, reference, cat), cat, params)
    logit = params.intercept + sum(terms.values(), np.zeros((len(cohort), cat.n_types)))
    eligible = check_eligibility(cohort, reference.project_types).eligible
    rows, cols = np.nonzero(eligible)
    return pd.DataFrame(
        {
            c.BENEFICIARY_ID: pd.array(
                cohort[c.BENEFICIARY_ID].to_numpy(dtype=str)[rows], dtype="str"
            ),
            c.PROJECT_TYPE_ID: pd.array(np.asarray(cat.type_ids)[cols], dtype="str"),
            TRUTH_COLUMN: np.round(sigmoid(logit[rows, cols]), TRUTH_DECIMALS),
        }
    )


def generate_world(reference: Reference, *, n_history: int, n_cohort: int, seed: int) -> World:
    """Generate a synthetic world on a catalogue.

    Parameters
    ----------
    reference : Reference
        Any catalogue that follows the contract (``local_profiles`` optional).
    n_history : int
        Funded projects in the history (people with no eligible type are drawn
        on top and counted in ``n_unfunded``).
    n_cohort : int
        People in the cohort.
    seed : int
        Non-negative seed; the same seed and catalogue give the same world.

    Returns
    -------
    World
    """
    if n_history < 0 or n_cohort < 0 or seed < 0:
        raise ValueError("n_history, n_cohort and seed must be >= 0")
    cat = build_catalogue(reference)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    calibration_rng, history_rng, cohort_rng, errors_rng, id_rng = streams
    params = _calibrated_params(calibration_rng, reference, cat, seed)
    taken: set[str] = set()
    history, history_truth, n_unfunded = _history(
        history_rng, id_rng, taken, n_history, reference, cat, params
    )
    cohort = draw_population(cohort_rng, cat, mint_ids(id_rng, n_cohort, taken))
    error_base = draw_population(errors_rng, cat, mint_ids(id_rng, ERROR_ROWS, taken))
    return World(
        history=history,
        cohort=cohort,
        cohort_truth=cohort_truth_frame(cohort, reference, cat, params),
        cohort_with_errors=plant_errors(errors_rng, error_base, cat),
        params=params,
        history_truth=history_truth,
        n_unfunded=n_unfunded,
        type_sector=MappingProxyType(
            dict(zip(cat.type_ids, [cat.sector_ids[s] for s in cat.type_sector], strict=True))
        ),
        stereotyped_types=tuple(np.asarray(cat.type_ids)[cat.type_stereotyped].tolist()),
    )


def write_world(world: World, out_dir: Path) -> dict[str, Path]:
    """Write the four files of a world as CSV.

    Parameters
    ----------
    world : World
        A generated world.
    out_dir : Path
        Folder to write into (created if missing).

    Returns
    -------
    dict of str to Path
        ``history``, ``cohort``, ``cohort_truth`` and ``cohort_with_errors`` paths.
    """
    out_dir = Path(out_dir)
    paths = {name: out_dir / f"{name}.csv" for name in FILES}
    for name, path in paths.items():
        write_table(getattr(world, name), path)
    return paths


def _shares(values: pd.Series) -> dict[str, float]:
    counts = values.value_counts(normalize=True).sort_index()
    return {str(k): round(float(v), 4) for k, v in counts.items()}


def describe_world(world: World) -> dict[str, object]:
    """Headline figures of a world, for ``data_samples/README.md``.

    Parameters
    ----------
    world : World
        A generated world.

    Returns
    -------
    dict of str to object
        Sizes, survival (observed and true), women's shares, sector shares by
        sex, stereotyped-type shares by sex, share unfunded, truth spread.
    """
    history = world.history
    n_hist = len(history)
    women = history[c.SEX] == "F"
    sector = history[c.PROJECT_TYPE_ID].map(dict(world.type_sector))
    stereotyped = history[c.PROJECT_TYPE_ID].isin(world.stereotyped_types)
    truth = world.cohort_truth
    per_person = truth.groupby(c.BENEFICIARY_ID)[TRUTH_COLUMN]
    spread = (per_person.max() - per_person.min()).mean() if len(truth) else float("nan")
    planted = world.cohort_with_errors[EXPECTED_ERROR] != ""

    def mean(values: pd.Series) -> float:
        return round(float(values.mean()), 4) if len(values) else float("nan")

    return {
        "n_history": n_hist,
        "n_cohort": len(world.cohort),
        "n_cohort_truth_pairs": len(truth),
        "n_cohort_with_errors": len(world.cohort_with_errors),
        "n_planted_errors": int(planted.sum()),
        "n_unfunded": world.n_unfunded,
        "share_unfunded": round(world.n_unfunded / max(n_hist + world.n_unfunded, 1), 4),
        "survival_rate": mean(history[c.ACTIVE_12M]),
        "mean_true_probability_funded": round(float(np.mean(world.history_truth)), 4)
        if n_hist
        else float("nan"),
        "target_survival": TARGET_SURVIVAL,
        "intercept": round(world.params.intercept, 4),
        "survival_rate_by_sex": {
            "F": mean(history.loc[women, c.ACTIVE_12M]),
            "M": mean(history.loc[~women, c.ACTIVE_12M]),
        },
        "women_share_history": mean(women),
        "women_share_cohort": mean(world.cohort[c.SEX] == "F"),
        "sector_share_by_sex": {"F": _shares(sector[women]), "M": _shares(sector[~women])},
        "stereotyped_share_by_sex": {"F": mean(stereotyped[women]), "M": mean(stereotyped[~women])},
        "income_missing_share": mean(history[c.MONTHLY_INCOME_MAD].isna()),
        "median_budget_mad": float(history[c.BUDGET_MAD].median()) if n_hist else float("nan"),
        "mean_funded_mad": mean(history[c.FUNDED_MAD]),
        "cohort_mean_truth": mean(truth[TRUTH_COLUMN]),
        "cohort_mean_truth_spread_per_person": round(float(spread), 4),
    }
