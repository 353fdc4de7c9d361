"""One ``recommend()`` (reasons, exclusions, qualification gaps), in-process: latency.

Usage::

    .venv/bin/python bench/bench_recommend.py                    # 600 calls, top_k 5
    .venv/bin/python bench/bench_recommend.py --calls 300 --profile

Profiles are the rows of ``data_samples/cohort.csv`` (validated, turned into
:class:`matcher.domain.Profile`), called in a shuffled order, cycling if
``--calls`` exceeds the file. The model is the registry's active version
(``--registry``; default: a model trained once on ``data_samples/history.csv``
into ``bench/results/data/registry_samples``, like ``matcher bootstrap``).

Three passes over the same calls:

1. clean timing (no instrumentation): p50/p95/p99 per call -> the target
   (p50 <= 15 ms on 2 cores);
2. stage breakdown: the functions ``recommend`` calls are wrapped by
   exclusive timers (validate, eligibility, features, encode, model, ranking,
   explanation, gaps, the rest);
3. ``--profile``: cProfile, top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    DATA,
    RESULTS,
    SRC,
    ensure_registry,
    machine,
    percentiles,
    src_commit,
    write_result,
)
from scoring_stages import StageTimer

from matcher.contract import columns as c
from matcher.contract.profile_table import validate_profiles
from matcher.contract.tables import parse_experience, read_table, split_list
from matcher.domain import Experience, Profile
from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.reference import load_reference

TARGET_P50_MS = 15.0


def load_profiles(path: Path, reference: Any) -> list[Profile]:
    """Every valid row of a cohort file as a domain Profile."""
    valid, _ = validate_profiles(read_table(path), reference)
    profiles = []
    for row in valid.to_dict(orient="records"):
        profiles.append(
            Profile(
                beneficiary_id=row[c.BENEFICIARY_ID],
                sex=row[c.SEX],
                age=int(row[c.AGE]),
                region_id=row[c.REGION_ID],
                milieu=row[c.MILIEU],
                education_level=row[c.EDUCATION_LEVEL],
                trainings=tuple(split_list(row[c.TRAININGS])),
                experience=tuple(
                    Experience(trade_id=t, years=y) for t, y in parse_experience(row[c.EXPERIENCE])
                ),
                budget_mad=float(row[c.BUDGET_MAD]),
                preferred_sectors=tuple(split_list(row[c.PREFERRED_SECTORS])),
                health_constraint=row[c.HEALTH_CONSTRAINT],
                commune_code=row[c.COMMUNE_CODE] or None,
            )
        )
    return profiles


def instrumented(calls: list[Profile], *, reference: Any, scorer: Scorer, top_k: int) -> Any:
    """Run the calls with exclusive stage timers on what ``recommend`` calls."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    import matcher.model.explanation as explanation
    import matcher.service as service
    from matcher.features.builder import PairFeatureBuilder
    from matcher.model.linear import LinearForm

    timer = StageTimer()
    patches: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, label: str) -> None:
        orig = getattr(owner, name, None)
        if orig is None:  # the code moved on: skip what no longer exists
            return
        patches.append((owner, name, orig))
        setattr(owner, name, timer.wrap(label, orig))

    # module globals recommend() looks up at call time (matcher/service.py)
    patch(service, "profiles_frame", "validate (profiles_frame)")
    patch(service, "check_profile", "validate (check_profile)")
    patch(service, "profile_to_row", "validate (profile_to_row)")
    patch(service, "check_eligibility", "eligibility (check_eligibility)")
    patch(service, "gap_candidates", "gap candidates (gap_candidates)")
    patch(service, "neutralised_stack", "explanation: neutralised_stack")
    patch(service, "split_effects", "explanation: split_effects")
    patch(service, "factor_effects", "explanation: factor_effects")
    patch(service, "evidence_count", "evidence_count")
    patch(service, "top_reasons", "explanation: top_reasons (wording)")
    patch(service, "select_gaps", "gaps (select_gaps)")
    patch(service, "qualification_gaps", "gaps (qualification_gaps)")
    patch(service, "score_eligible_pairs", "score_eligible_pairs rest")
    patch(explanation, "neutralise", "explanation: neutralise")
    # the model's steps
    patch(PairFeatureBuilder, "transform", "features (PairFeatureBuilder.transform)")
    patch(
        PairFeatureBuilder, "transform_columns", "features (PairFeatureBuilder.transform_columns)"
    )
    patch(LinearForm, "predict_proba", "model (LinearForm.predict_proba)")
    patch(ColumnTransformer, "transform", "encode (ColumnTransformer.transform)")
    patch(CalibratedClassifierCV, "predict_proba", "model (CalibratedClassifierCV rest)")
    patch(Pipeline, "predict_proba", "pipeline overhead")
    top = "recommend rest (pair frame, result objects, exclusions)"
    try:
        for profile in calls:
            timer.enter(top)
            service.recommend(profile, reference=reference, scorer=scorer, top_k=top_k)
            timer.leave()
    finally:
        for owner, name, orig in reversed(patches):
            setattr(owner, name, orig)
    n = len(calls)
    total = sum(timer.wall.values())
    rows = [
        {
            "stage": k,
            "calls_per_recommend": round(timer.calls[k] / n, 2),
            "ms_per_recommend": round(1000 * timer.wall[k] / n, 3),
            "share": round(timer.wall[k] / total, 3),
            "inclusive_ms_per_recommend": round(1000 * timer.incl_wall[k] / n, 3),
        }
        for k in sorted(timer.wall, key=lambda k: -timer.wall[k])
    ]
    print(f"stage breakdown (exclusive, mean over {n} calls; total {1000 * total / n:.2f} ms):")
    for r in rows:
        print(
            f"  {r['stage']:52} {r['ms_per_recommend']:7.3f} ms ({r['share']:5.1%})  "
            f"incl. {r['inclusive_ms_per_recommend']:7.3f} ms, {r['calls_per_recommend']} calls"
        )
    return {"mean_ms_instrumented": round(1000 * total / n, 3), "stages": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cohort", type=Path, default=SRC / "data_samples" / "cohort.csv")
    ap.add_argument("--history", type=Path, default=SRC / "data_samples" / "history.csv")
    ap.add_argument("--registry", type=Path, default=None, help="default: trained per commit")
    ap.add_argument("--reference", type=Path, default=SRC / "data_samples" / "reference")
    ap.add_argument("--calls", type=int, default=600, help=">= 300")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--top-k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", action="store_true", help="also run under cProfile")
    ap.add_argument("--no-stages", action="store_true")
    args = ap.parse_args()

    info = machine()
    args.registry = args.registry or DATA / f"registry_samples_{src_commit()}"
    version = ensure_registry(args.registry, args.history)
    reference = load_reference(args.reference)
    scorer = Scorer.from_loaded(
        Registry(args.registry).load(version, reference_fingerprint=reference.fingerprint)
    )
    from matcher.service import recommend

    profiles = load_profiles(args.cohort, reference)
    rng = np.random.default_rng(args.seed)
    order = np.concatenate(
        [rng.permutation(len(profiles)) for _ in range(args.calls // len(profiles) + 1)]
    )[: args.calls]
    calls = [profiles[i] for i in order]
    for p in profiles[: args.warmup]:
        recommend(p, reference=reference, scorer=scorer, top_k=args.top_k)

    times_ms: list[float] = []
    cpu_ms: list[float] = []
    n_recs: list[int] = []
    n_gaps: list[int] = []
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    for p in calls:
        t0, c0 = time.perf_counter(), time.process_time()
        res = recommend(p, reference=reference, scorer=scorer, top_k=args.top_k)
        times_ms.append(1000 * (time.perf_counter() - t0))
        cpu_ms.append(1000 * (time.process_time() - c0))
        n_recs.append(len(res.recommendations))
        n_gaps.append(len(res.qualification_gaps))
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    lat = percentiles(times_ms)
    print(
        f"recommend() over {len(calls)} calls ({len(profiles)} distinct profiles): "
        f"p50 {lat['p50']:.2f} ms, p95 {lat['p95']:.2f} ms, p99 {lat['p99']:.2f} ms "
        f"(target p50 <= {TARGET_P50_MS} ms); CPU/wall {cpu / wall:.2f}; CPU per call p50 "
        f"{np.median(cpu_ms):.2f} ms"
    )
    result: dict[str, Any] = {
        "benchmark": "recommend",
        "machine": info,
        "model_version": version,
        "candidate": scorer.manifest.get("candidate"),
        "registry": str(args.registry),
        "n_profiles": len(profiles),
        "calls": len(calls),
        "top_k": args.top_k,
        "latency_ms": lat,
        "cpu_per_call_ms": round(1000 * cpu / len(calls), 3),
        "cpu_ms_per_call": percentiles(cpu_ms),
        "cpu_over_wall": round(cpu / wall, 3),
        "mean_recommendations": round(float(np.mean(n_recs)), 2),
        "share_with_gaps": round(float(np.mean(np.array(n_gaps) > 0)), 3),
        "target_p50_ms": TARGET_P50_MS,
        "pass": lat["p50"] <= TARGET_P50_MS,
    }
    if not args.no_stages:
        result["breakdown"] = instrumented(
            calls, reference=reference, scorer=scorer, top_k=args.top_k
        )
    if args.profile:
        prof_path = RESULTS / "recommend_profile.prof"
        prof = cProfile.Profile()
        prof.enable()
        for p in calls:
            recommend(p, reference=reference, scorer=scorer, top_k=args.top_k)
        prof.disable()
        prof.dump_stats(str(prof_path))
        stats = pstats.Stats(str(prof_path))
        total = stats.total_tt  # type: ignore[attr-defined]
        rows = sorted(
            (
                {
                    "function": f"{Path(fn).name}:{line}({func})",
                    "ncalls": nc,
                    "own_ms_per_recommend": round(1000 * tt / len(calls), 3),
                    "cum_ms_per_recommend": round(1000 * ct / len(calls), 3),
                    "own_share": round(tt / total, 3),
                }
                for (fn, line, func), (_cc, nc, tt, ct, _c) in stats.stats.items()  # type: ignore[attr-defined]
            ),
            key=lambda r: -r["own_ms_per_recommend"],
        )
        result["profile"] = {"file": str(prof_path), "top_own_time": rows[:30]}
        print("cProfile, top own time per recommend():")
        for r in rows[:15]:
            print(f"  {r['own_ms_per_recommend']:7.3f} ms ({r['own_share']:5.1%}) {r['function']}")
    write_result("recommend", result)


if __name__ == "__main__":
    main()
