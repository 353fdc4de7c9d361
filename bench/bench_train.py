"""``matcher train`` wall time on a 20,000-row history (target < 60 s on 2 cores).

Usage::

    .venv/bin/python bench/bench_train.py                   # 20,000 rows, one run
    .venv/bin/python bench/bench_train.py --repeats 2 --profile

The history comes from ``matcher generate --n-history 20000 --n-cohort 0 --seed 1``
(cached under ``bench/results/data/``). Each run trains into a fresh, empty
registry (no active version, so no side-by-side comparison step), as a
subprocess under ``/usr/bin/time -v``: wall seconds, CPU seconds, peak RSS, and
the ``train_seconds`` the run records in its ``metrics.json``. ``--profile``
reruns it under cProfile and reports the time of each training step
(``load_history``, candidate selection, fits, permutation importance,
model card, ...).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import (
    DATA,
    MATCHER,
    RESULTS,
    SRC,
    ensure_world,
    machine,
    matcher_env,
    run_measured,
    write_result,
)

TARGET_S = 60.0
STEPS = {
    "load_history": "training/history.py",
    "chronological_split": "training/split.py",
    "select_candidate": "training/train.py",
    "fit": "sklearn/pipeline.py",
    "holdout_report": "training/evaluate.py",
    "feature_importance": "training/train.py",
    "evidence_table": "training/train.py",
    "write_model_card": "training/report/card.py",
    "save": "matcher/model/registry.py",
    "activate": "matcher/model/registry.py",
    "train_model": "training/train.py",
}


def train_once(history: Path, registry: Path) -> dict[str, Any]:
    if registry.exists():
        shutil.rmtree(registry)
    cmd = [MATCHER, "train", "--history", str(history), "--registry", str(registry)]
    stats = run_measured(cmd, env=matcher_env())
    versions = sorted(p for p in registry.iterdir() if p.is_dir())
    metrics = json.loads((versions[-1] / "metrics.json").read_text(encoding="utf-8"))
    stats["train_seconds_recorded"] = metrics.get("train_seconds")
    stats["candidate"] = metrics.get("candidate")
    stats["cv_log_loss"] = metrics.get("cv_log_loss")
    return stats


def profile_train(history: Path, registry: Path, prof: Path) -> dict[str, Any]:
    import pstats

    if registry.exists():
        shutil.rmtree(registry)
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "cli", "train"]
    cmd += ["--history", str(history), "--registry", str(registry)]
    subprocess.run(cmd, check=True, env=matcher_env(), capture_output=True, cwd=SRC)
    stats = pstats.Stats(str(prof))
    raw = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    steps: dict[str, dict[str, Any]] = {}
    for (filename, line, func), (_cc, nc, _tt, ct, callers) in raw.items():
        if func in STEPS and filename.endswith(STEPS[func]):
            if func == "fit":
                # Pipeline.fit calls made directly by train_model (not inside CV)
                direct = [v for k, v in callers.items() if k[2] == "train_model"]
                in_cv = [v for k, v in callers.items() if k[2] == "select_candidate"]
                steps["fit (train_model: holdout fit + final fit)"] = {
                    "ncalls": sum(v[1] for v in direct),
                    "cumtime_s": round(sum(v[3] for v in direct), 3),
                }
                steps["fit (inside select_candidate CV)"] = {
                    "ncalls": sum(v[1] for v in in_cv),
                    "cumtime_s": round(sum(v[3] for v in in_cv), 3),
                }
                continue
            steps[f"{func} ({STEPS[func]}:{line})"] = {"ncalls": nc, "cumtime_s": round(ct, 3)}
    by_own = sorted(
        (
            {
                "function": f"{Path(fn).name}:{line}({func})",
                "ncalls": nc,
                "tottime_s": round(tt, 3),
                "own_share": round(tt / total, 3),
            }
            for (fn, line, func), (_cc, nc, tt, _ct, _c) in raw.items()
        ),
        key=lambda r: -r["tottime_s"],
    )[:25]
    print("training steps (cProfile cumulative seconds):")
    for name, row in sorted(steps.items(), key=lambda kv: -kv[1]["cumtime_s"]):
        print(f"  {row['cumtime_s']:8.2f} s  x{row['ncalls']:<3} {name}")
    return {"file": str(prof), "total_s": round(total, 3), "steps": steps, "top_own": by_own}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n-history", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=DATA)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    info = machine()
    world = ensure_world(
        args.workdir / f"world_h{args.n_history}_c0_s{args.seed}",
        n_history=args.n_history,
        n_cohort=0,
        seed=args.seed,
    )
    history = world / "history.csv"
    n_rows = sum(1 for _ in history.open("rb")) - 1
    runs = []
    for r in range(args.repeats):
        run = train_once(history, RESULTS / "train_registry")
        runs.append(run)
        cpu = run.get("user_s", 0) + run.get("sys_s", 0)
        print(
            f"[{r}] matcher train on {n_rows} rows: wall {run['wall_s']} s (recorded "
            f"{run['train_seconds_recorded']} s), CPU {cpu:.1f}"
            f" s, peak RSS {run.get('max_rss_mib')} MiB, candidate {run['candidate']}"
        )
    best = min(x["wall_s"] for x in runs)
    result: dict[str, Any] = {
        "benchmark": "train",
        "machine": info,
        "history": str(history),
        "n_rows": n_rows,
        "runs": runs,
        "best_wall_s": best,
        "best_cpu_s": min(x.get("user_s", 0) + x.get("sys_s", 0) for x in runs),
        "target_s": TARGET_S,
        "pass": best < TARGET_S,
    }
    if args.profile:
        result["profile"] = profile_train(
            history, RESULTS / "train_registry", RESULTS / "train_profile.prof"
        )
    write_result("train", result)


if __name__ == "__main__":
    main()
