"""Income, livelihood and score intervals against the truth of generated worlds (issue 11).

For each seed: generate a world (history 4,000 funded projects, cohort 800), fit
the registered pipeline (logit candidate, income part, Laplace covariance) on the
history, and compare with the world's truth on every eligible cohort pair:

* interval coverage: share of pairs whose TRUE survival probability lies inside
  ``[score_low, score_high]`` (target 0.85-0.95), overall, by evidence level and
  by width quartile, with the mean width;
* livelihood NDCG@5 against the true livelihood (target >= 0.95);
* expected income against the true expected income by quintile of the
  prediction (target: within +/-10 % in every quintile);
* survival NDCG@5 and ECE of the top 5 against the truth (kept: >= 0.96, <= 0.03);
* the stereotype shift (points, 95 % bootstrap interval) under both objectives.

Usage (about 30-40 s per seed on 2 cores):

    python bench/bench_livelihood.py --seeds 101 202 303 --n-history 4000 --n-cohort 800
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.contract import columns as c
from matcher.contract.profile_table import validate_profiles
from matcher.model.scorer import Scorer
from matcher.reference import Reference, load_reference
from matcher.service import evidence_count, evidence_level
from training.evaluate import eligible_truth_pairs, ranking_metrics
from training.evidence import evidence_table
from training.fairness import pushed_sectors, stereotype_shift
from training.generator import generate_world
from training.generator.income_truth import livelihood_truth
from training.history import validate_history
from training.income_eval import income_column
from training.metrics import ndcg_at_k
from training.pipeline import build_pipeline

THRESHOLD = 3000.0


def fit_scorer(world: Any, reference: Reference) -> tuple[Scorer, pd.DataFrame, float]:
    history, _ = validate_history(world.history.astype("str").fillna(""), reference)
    started = time.perf_counter()
    pipeline = build_pipeline(reference, candidate="logit", income=True)
    pipeline.fit(history, history[c.ACTIVE_12M].to_numpy(), model__income=income_column(history))
    seconds = time.perf_counter() - started
    scorer = Scorer(version="bench", pipeline=pipeline, manifest={})
    evidence = evidence_table(history, scorer)
    return (
        Scorer(version="bench", pipeline=pipeline, manifest={"evidence": evidence}),
        history,
        seconds,
    )


def coverage(frame: pd.DataFrame) -> dict[str, float]:
    inside = (frame["score_low"] <= frame["p_true"]) & (frame["p_true"] <= frame["score_high"])
    return {
        "n": len(frame),
        "coverage": round(float(inside.mean()), 4),
        "mean_width": round(float((frame["score_high"] - frame["score_low"]).mean()), 4),
    }


def income_by_quintile(pairs: pd.DataFrame) -> list[dict[str, float]]:
    q = pd.qcut(pairs["expected_income_mad"].rank(method="first"), 5, labels=False)
    rows = []
    for k in range(5):
        part = pairs.loc[q == k]
        ratio = part["expected_income_mad"].mean() / part["expected_income_true"].mean()
        rows.append(
            {
                "quintile": k + 1,
                "predicted": round(float(part["expected_income_mad"].mean()), 1),
                "true": round(float(part["expected_income_true"].mean()), 1),
                "ratio": round(float(ratio), 4),
            }
        )
    return rows


def run(seed: int, n_history: int, n_cohort: int, reference: Reference) -> dict[str, Any]:
    world = generate_world(reference, n_history=n_history, n_cohort=n_cohort, seed=seed)
    scorer, history, fit_seconds = fit_scorer(world, reference)
    cohort, _ = validate_profiles(world.cohort.astype("str").fillna(""), reference)
    truth = livelihood_truth(world, threshold_mad=THRESHOLD)
    pairs = eligible_truth_pairs(cohort, truth, reference)
    extra = truth.set_index([c.BENEFICIARY_ID, c.PROJECT_TYPE_ID])
    key = pd.MultiIndex.from_frame(pairs[[c.BENEFICIARY_ID, c.PROJECT_TYPE_ID]])
    for col in ("expected_income_true", "livelihood_true"):
        pairs[col] = extra[col].reindex(key).to_numpy()
    est = scorer.estimate_pairs(pairs, livelihood_mad=THRESHOLD)
    pairs = pairs.assign(
        score=est.score,
        score_low=est.score_low,
        score_high=est.score_high,
        livelihood=est.livelihood,
        expected_income_mad=est.expected_income_mad,
    )
    features = scorer.feature_columns(pairs)
    pairs["evidence"] = [evidence_level(int(n)) for n in evidence_count(scorer, features)]
    widths = pairs["score_high"] - pairs["score_low"]
    pairs["width_quartile"] = pd.qcut(widths.rank(method="first"), 4, labels=False) + 1
    groups = pairs[c.BENEFICIARY_ID].to_numpy()
    survival = ranking_metrics(pairs, est.score, top_k=5)
    sectors = reference.project_types["sector_id"]
    pairs["_sector"] = sectors.reindex(pairs[c.PROJECT_TYPE_ID]).to_numpy()
    shift = {
        goal: stereotype_shift(pairs, est.value(goal), pushed=pushed_sectors(history, sectors))
        for goal in ("livelihood", "survival")
    }
    return {
        "seed": seed,
        "fit_seconds": round(fit_seconds, 1),
        "n_pairs": len(pairs),
        "interval": coverage(pairs),
        "interval_by_evidence": {
            level: coverage(part) for level, part in pairs.groupby("evidence", sort=True)
        },
        "interval_by_width_quartile": {
            int(k): coverage(part) for k, part in pairs.groupby("width_quartile", sort=True)
        },
        "livelihood_ndcg_at_5": round(
            ndcg_at_k(groups, est.livelihood, pairs["livelihood_true"].to_numpy(), top_k=5), 5
        ),
        "livelihood_mae": round(
            float(np.mean(np.abs(est.livelihood - pairs["livelihood_true"]))), 4
        ),
        "income_by_quintile": income_by_quintile(pairs),
        "survival_ndcg_at_5": survival["ndcg_at_5"],
        "survival_ece_top5": survival["ece_top5_vs_truth"],
        "stereotype_shift": {
            goal: None
            if audit is None
            else {k: audit[k] for k in ("pushed_sectors", "shift_points", "interval", "steering")}
            for goal, audit in shift.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 202, 303])
    parser.add_argument("--n-history", type=int, default=4000)
    parser.add_argument("--n-cohort", type=int, default=800)
    parser.add_argument("--reference", type=Path, default=Path("data_samples/reference"))
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here")
    args = parser.parse_args()
    reference = load_reference(args.reference)
    results = [run(s, args.n_history, args.n_cohort, reference) for s in args.seeds]
    for r in results:
        ratios = ", ".join(f"{x['ratio']:.3f}" for x in r["income_by_quintile"])
        print(
            f"seed {r['seed']}: coverage {r['interval']['coverage']:.3f} "
            f"(width {r['interval']['mean_width']:.3f}); livelihood NDCG@5 "
            f"{r['livelihood_ndcg_at_5']:.4f}; income ratio by quintile "
            f"{ratios}; survival NDCG@5 "
            f"{r['survival_ndcg_at_5']:.4f}, ECE {r['survival_ece_top5']:.4f}; "
            f"fit {r['fit_seconds']} s"
        )
    print(json.dumps(results, indent=1))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
