"""Model quality on fresh synthetic worlds (seeds never used in development).

For each seed: generate a world (history 4,000 funded projects, cohort 800), train
with `train_model`, and report the ground-truth metrics next to the targets of the
model issue. Usage:

    python bench/bench_quality.py --seeds 101 202 303 --n-history 4000 --n-cohort 800
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from matcher.model.registry import Registry
from matcher.reference import load_reference
from training.generator import generate_world, write_world
from training.train import train_model

TARGETS = {
    "ndcg_at_5": (">=", 0.96),
    "top1_ratio": (">=", 0.97),
    "ece_top5_vs_truth": ("<=", 0.03),
    "women_sector_mix_max_gap_points": ("<=", 5.0),
}


def run(seed: int, n_history: int, n_cohort: int, reference_dir: Path) -> dict[str, object]:
    reference = load_reference(reference_dir)
    work = Path(tempfile.mkdtemp(prefix=f"quality-{seed}-"))
    try:
        world = generate_world(reference, n_history=n_history, n_cohort=n_cohort, seed=seed)
        paths = write_world(world, work / "world")
        started = time.perf_counter()
        result = train_model(
            paths["history"],
            reference=reference,
            registry=Registry(work / "models"),
            eval_cohort=paths["cohort"],
            eval_truth=paths["cohort_truth"],
        )
        seconds = time.perf_counter() - started
        w = result.metrics["world"]
        return {
            "seed": seed,
            "candidate": result.metrics["candidate"],
            "train_seconds": round(seconds, 1),
            "holdout_roc_auc": result.metrics["holdout"]["overall"]["roc_auc"],
            **{
                k: w["model"][k]
                for k in ("ndcg_at_5", "top1_ratio", "ece_top5_vs_truth", "mae_top5_vs_truth")
            },
            "women_sector_mix_max_gap_points": w.get("women_sector_mix_max_gap_points"),
            "men_sector_mix_max_gap_points": w.get("men_sector_mix_max_gap_points"),
            "baseline_popularity_ndcg": w["baseline_popularity"]["ndcg_at_5"],
            "baseline_popularity_top1": w["baseline_popularity"]["top1_ratio"],
            "baseline_rule_ndcg": w["baseline_training_rule"]["ndcg_at_5"],
            "baseline_rule_top1": w["baseline_training_rule"]["top1_ratio"],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 202, 303])
    parser.add_argument("--n-history", type=int, default=4000)
    parser.add_argument("--n-cohort", type=int, default=800)
    parser.add_argument("--reference", type=Path, default=Path("data_samples/reference"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/quality.json"))
    args = parser.parse_args()
    rows = [run(s, args.n_history, args.n_cohort, args.reference) for s in args.seeds]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    keys = list(rows[0])
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))
    for key, (op, bound) in TARGETS.items():
        values = [float(r[key]) for r in rows if r[key] is not None]  # type: ignore[arg-type]
        ok = all(v >= bound for v in values) if op == ">=" else all(v <= bound for v in values)
        print(f"{key} {op} {bound}: {'PASS' if ok else 'FAIL'} ({values})")


if __name__ == "__main__":
    main()
