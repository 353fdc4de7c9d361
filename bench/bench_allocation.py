"""Time the budget allocator: exact on a cohort, greedy vs exact/bound on a large one.

Usage::

    .venv/bin/python bench/bench_allocation.py --n 500 --options 5 --seed 0

Targets: exact for ``--n`` people < 10 s; greedy for ``--large`` people within 2 % of
the exact optimum (or of the proven bound) in < 60 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from matcher.allocation.problem import allocate

N_TYPES = 40
N_REGIONS = 12
N_COMMUNES = 300
MEAN_GRANT_MAD = 45_694.0  # reference operation: 1,233,737.62 MAD / 27 people


def make_candidates(n: int, options: int, seed: int) -> pd.DataFrame:
    """Random cohort: ``options`` distinct types per person, catalogue-like costs."""
    rng = np.random.default_rng(seed)
    type_cost = rng.choice(np.arange(10, 101, 5), size=N_TYPES) * 1000.0
    type_sector = rng.integers(0, 6, size=N_TYPES)
    type_quality = rng.normal(0.0, 0.5, size=N_TYPES)
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "beneficiary_id",
            "project_type_id",
            "score",
            "cost_mad",
            "sector_id",
            "region_id",
            "commune_code",
        )
    }
    for p in range(n):
        region = int(rng.integers(0, N_REGIONS))
        commune = "" if rng.random() < 0.2 else f"C{region:02d}{int(rng.integers(0, 25)):03d}"
        person = rng.normal(0.0, 0.7)
        for t in rng.choice(N_TYPES, size=options, replace=False):
            logit = -0.3 + person + type_quality[t] + rng.normal(0.0, 0.6)
            rows["beneficiary_id"].append(f"B{p:05d}")
            rows["project_type_id"].append(f"type_{t:02d}")
            rows["score"].append(float(1.0 / (1.0 + np.exp(-logit))))
            rows["cost_mad"].append(float(type_cost[t]))
            rows["sector_id"].append(f"sector_{type_sector[t]}")
            rows["region_id"].append(f"MA-{region + 1:02d}")
            rows["commune_code"].append(commune)
    return pd.DataFrame(rows)


def main() -> None:
    """Run the benchmark and print a results table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="people for the exact timing")
    parser.add_argument("--large", type=int, default=5000, help="people for greedy vs exact")
    parser.add_argument("--options", type=int, default=5, help="options per person")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--funded-share", type=float, default=0.35, help="envelope / demand")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()

    scenarios = {"no caps": (None, None), "caps F=0.10 N=2": (0.10, 2)}
    results = []
    for n, methods in ((args.n, ("exact", "greedy")), (args.large, ("greedy", "exact"))):
        candidates = make_candidates(n, args.options, args.seed)
        envelope = round(n * MEAN_GRANT_MAD * args.funded_share, 2)
        for label, (share, per_commune) in scenarios.items():
            found = {}
            for method in methods:
                t0 = time.perf_counter()
                result = allocate(
                    candidates,
                    envelope_mad=envelope,
                    max_share_per_type=share,
                    max_per_type_per_commune=per_commune,
                    method=method,
                    time_limit_s=args.time_limit,
                )
                found[method] = (result, time.perf_counter() - t0)
            exact = found["exact"][0]
            best_known = exact.expected_successes if exact.optimal else exact.upper_bound
            for method, (result, seconds) in found.items():
                results.append(
                    {
                        "n": n,
                        "options": n * args.options,
                        "caps": label,
                        "method": method,
                        "seconds": round(seconds, 2),
                        "expected": round(result.expected_successes, 2),
                        "optimal": result.optimal,
                        "gap_to_bound": f"{result.gap:.3%}",
                        "gap_to_exact": f"{1 - result.expected_successes / best_known:.3%}",
                        "vs_top1": round(result.gain_over_baseline, 2),
                        "funded": result.n_funded,
                        "spend/env": f"{result.spend_mad / envelope:.4f}",
                    }
                )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, seed {args.seed}, options/person {args.options}, "
        f"envelope = n x {MEAN_GRANT_MAD:,.0f} x {args.funded_share}"
    )
    print(pd.DataFrame(results).to_string(index=False))


if __name__ == "__main__":
    main()
