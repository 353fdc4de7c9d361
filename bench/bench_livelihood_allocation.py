"""Allocation by livelihood against the best allocation computed on a world's truth (issue 11).

For each seed: generate a world (history 4,000, cohort 200), fit the pipeline with its
income part on the history, allocate an envelope of 30,000 MAD per person with
``allocate_cohort`` (each person's top 5 by the objective, exact solver) under both
objectives, and score each allocation by the TRUE expected number of livelihoods
(active at 12 months and >= 3,000 MAD a month, from the world's truth). The yardstick
is the exact solver run on the truth itself, over every eligible option.

    PYTHONPATH=. python bench/bench_livelihood_allocation.py --seeds 101
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
from bench_livelihood import THRESHOLD, fit_scorer

from matcher.allocation.cohort_file import allocate_cohort
from matcher.allocation.problem import allocate
from matcher.contract import columns as c
from matcher.contract.profile_table import validate_profiles
from matcher.reference import Reference, load_reference
from training.evaluate import eligible_truth_pairs
from training.generator import generate_world
from training.generator.income_truth import livelihood_truth

PER_PERSON = 30_000.0


def true_value(assignments: pd.DataFrame, truth: pd.Series) -> float:
    funded = assignments.loc[assignments[c.PROJECT_TYPE_ID].astype("str") != ""]
    key = list(zip(funded[c.BENEFICIARY_ID], funded[c.PROJECT_TYPE_ID], strict=True))
    return float(truth.reindex(pd.MultiIndex.from_tuples(key)).sum()) if key else 0.0


def run(seed: int, n_history: int, n_cohort: int, reference: Reference) -> dict[str, Any]:
    world = generate_world(reference, n_history=n_history, n_cohort=n_cohort, seed=seed)
    scorer, _, _ = fit_scorer(world, reference)
    text = world.cohort.astype("str").fillna("")
    cohort, _ = validate_profiles(text, reference)
    truth = livelihood_truth(world, threshold_mad=THRESHOLD)
    true_livelihood = truth.set_index([c.BENEFICIARY_ID, c.PROJECT_TYPE_ID])["livelihood_true"]
    envelope = PER_PERSON * len(cohort)
    out: dict[str, Any] = {"seed": seed, "n_people": len(cohort), "envelope_mad": envelope}
    for goal in ("livelihood", "survival"):
        started = time.perf_counter()
        run_ = allocate_cohort(
            text,
            envelope_mad=envelope,
            reference=reference,
            scorer=scorer,
            objective=goal,
            method="exact",
        )
        out[goal] = {
            "true_livelihoods": round(true_value(run_.allocation.assignments, true_livelihood), 3),
            "spend_mad": round(run_.allocation.spend_mad, 2),
            "seconds": round(time.perf_counter() - started, 2),
        }
    pairs = eligible_truth_pairs(cohort, truth, reference)
    key = pd.MultiIndex.from_frame(pairs[[c.BENEFICIARY_ID, c.PROJECT_TYPE_ID]])
    types = reference.project_types
    candidates = pd.DataFrame(
        {
            c.BENEFICIARY_ID: pairs[c.BENEFICIARY_ID].to_numpy(),
            c.PROJECT_TYPE_ID: pairs[c.PROJECT_TYPE_ID].to_numpy(),
            c.SCORE: true_livelihood.reindex(key).to_numpy(),
            c.COST_MAD: types["typical_cost_mad"].reindex(pairs[c.PROJECT_TYPE_ID]).to_numpy(),
            "sector_id": types["sector_id"].reindex(pairs[c.PROJECT_TYPE_ID]).to_numpy(),
            c.REGION_ID: pairs[c.REGION_ID].astype("str").to_numpy(),
            c.COMMUNE_CODE: pairs[c.COMMUNE_CODE].astype("str").fillna("").to_numpy(),
        }
    )
    best = allocate(
        candidates,
        envelope_mad=envelope,
        all_beneficiary_ids=cohort[c.BENEFICIARY_ID].tolist(),
        method="exact",
    )
    out["truth_optimum"] = {
        "true_livelihoods": round(best.expected_successes, 3),
        "optimal": best.optimal,
        "spend_mad": round(best.spend_mad, 2),
    }
    for goal in ("livelihood", "survival"):
        out[goal]["ratio_to_truth_optimum"] = round(
            out[goal]["true_livelihoods"] / best.expected_successes, 4
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 202, 303])
    parser.add_argument("--n-history", type=int, default=4000)
    parser.add_argument("--n-cohort", type=int, default=200)
    parser.add_argument("--reference", type=Path, default=Path("data_samples/reference"))
    args = parser.parse_args()
    reference = load_reference(args.reference)
    for seed in args.seeds:
        print(json.dumps(run(seed, args.n_history, args.n_cohort, reference)))


if __name__ == "__main__":
    main()
