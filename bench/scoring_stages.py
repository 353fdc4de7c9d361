"""Where ``score_file`` spends its time: exclusive wall/CPU seconds per stage.

Helper of ``bench_scoring.py --stages`` (also runnable alone). The functions
that ``matcher.batch.streaming.score_file`` calls are wrapped, in this process only, by
timers that keep a call stack, so each stage's time excludes its children:

    read (iter_table) | validate (validate_profiles) | isin (every pandas
    Series.isin outside validate: the duplicate check against ``seen`` and the
    "no eligible type" check) | eligibility | features (PairFeatureBuilder) |
    encode (ColumnTransformer: one-hot, scale_block, hstack, scaler) | model
    (the rest of predict_proba) | rank (rest of score_eligible_pairs: pair frame,
    sort, cumcount) | top-k assembly (rest of rank_cohort) | write (_Sink.write)
    | other (the remainder of score_file)

The source is not modified; ``--isin-scaling`` also times ``Series.isin`` of a
20,000-id chunk against a growing ``seen`` set (the duplicate check), which is
what makes time per chunk grow with the file.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

OTHER = "other (score_file rest)"


class StageTimer:
    """Exclusive wall and CPU time per label, with nesting."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.incl_wall: dict[str, float] = defaultdict(float)
        self.stack: list[list[Any]] = []  # [label, wall_start, cpu_start, child_wall, child_cpu]

    def enter(self, label: str) -> None:
        self.stack.append([label, time.perf_counter(), time.process_time(), 0.0, 0.0])

    def leave(self) -> None:
        label, w0, c0, cw, cc = self.stack.pop()
        w, cp = time.perf_counter() - w0, time.process_time() - c0
        self.wall[label] += w - cw
        if all(frame[0] != label for frame in self.stack):
            self.incl_wall[label] += w
        self.cpu[label] += cp - cc
        self.calls[label] += 1
        if self.stack:
            self.stack[-1][3] += w
            self.stack[-1][4] += cp

    def wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.enter(label)
            try:
                return func(*args, **kwargs)
            finally:
                self.leave()

        return wrapper

    def wrap_iter(self, label: str, func: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            it = func(*args, **kwargs)
            while True:
                self.enter(label)
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    self.leave()
                yield item

        return wrapper


def stage_breakdown(
    cohort: Path, out: Path, *, reference: Any, scorer: Any, chunk_rows: int
) -> dict[str, Any]:
    """Run ``score_file`` once with stage timers; return seconds and shares per stage."""
    from sklearn.compose import ColumnTransformer

    import matcher.batch.streaming as batch
    import matcher.service as service
    from matcher.features.builder import PairFeatureBuilder

    timer = StageTimer()
    patches: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, new: Any) -> None:
        patches.append((owner, name, getattr(owner, name)))
        setattr(owner, name, new)

    in_validate = [0]
    orig_validate = batch.validate_profiles

    def validate(*a: Any, **k: Any) -> Any:
        in_validate[0] += 1
        try:
            return orig_validate(*a, **k)
        finally:
            in_validate[0] -= 1

    orig_isin = pd.Series.isin

    def isin(self: pd.Series, values: Any) -> Any:
        if in_validate[0] or not timer.stack or timer.stack[-1][0] != OTHER:
            return orig_isin(self, values)
        timer.enter("isin (batch.py: seen / no-eligible checks)")
        try:
            return orig_isin(self, values)
        finally:
            timer.leave()

    patch(batch, "iter_table", timer.wrap_iter("read (iter_table)", batch.iter_table))
    patch(batch, "validate_profiles", timer.wrap("validate (validate_profiles)", validate))
    patch(pd.Series, "isin", isin)
    patch(batch, "rank_cohort", timer.wrap("top-k assembly (rank_cohort)", batch.rank_cohort))
    patch(
        service,
        "score_eligible_pairs",
        timer.wrap("pairs + sort/rank (score_eligible_pairs)", service.score_eligible_pairs),
    )
    patch(service, "check_eligibility", timer.wrap("eligibility", service.check_eligibility))
    patch(
        type(scorer.pipeline),
        "predict_proba",
        timer.wrap("model (predict_proba rest)", type(scorer.pipeline).predict_proba),
    )
    patch(
        PairFeatureBuilder,
        "transform",
        timer.wrap("features (PairFeatureBuilder)", PairFeatureBuilder.transform),
    )
    patch(
        ColumnTransformer,
        "transform",
        timer.wrap("encode (ColumnTransformer)", ColumnTransformer.transform),
    )
    patch(batch._Sink, "write", timer.wrap("write (_Sink.write)", batch._Sink.write))
    try:
        timer.enter(OTHER)
        summary = batch.score_file(
            cohort, out, reference=reference, scorer=scorer, chunk_rows=chunk_rows
        )
        timer.leave()
    finally:
        for owner, name, orig in reversed(patches):
            setattr(owner, name, orig)
    total_wall = sum(timer.wall.values())
    total_cpu = sum(timer.cpu.values())
    stages = [
        {
            "stage": k,
            "calls": timer.calls[k],
            "wall_s": round(timer.wall[k], 3),
            "cpu_s": round(timer.cpu[k], 3),
            "wall_share": round(timer.wall[k] / total_wall, 3),
            "cpu_share": round(timer.cpu[k] / total_cpu, 3),
        }
        for k in sorted(timer.wall, key=lambda k: -timer.cpu[k])
    ]
    raw_like = {
        "features (PairFeatureBuilder)",
        "encode (ColumnTransformer)",
        "model (predict_proba rest)",
    }
    raw_cpu = sum(timer.cpu[k] for k in raw_like)
    for row in stages:
        print(
            f"  {row['stage']:45} {row['cpu_s']:8.2f} s CPU ({row['cpu_share']:5.1%})  "
            f"{row['wall_s']:8.2f} s wall"
        )
    print(
        f"  total {total_cpu:.2f} s CPU / {total_wall:.2f} s wall; predict_proba part "
        f"{raw_cpu:.2f} s CPU = {raw_cpu / total_cpu:.1%}"
    )
    return {
        "total_wall_s": round(total_wall, 3),
        "total_cpu_s": round(total_cpu, 3),
        "predict_proba_cpu_share": round(raw_cpu / total_cpu, 3),
        "n_scored": summary.n_scored,
        "stages": stages,
    }


def isin_scaling(sizes: list[int], chunk: int = 20_000, seed: int = 0) -> list[dict[str, Any]]:
    """Seconds of ``Series(chunk ids, dtype=str).isin(seen)`` for growing ``seen`` sets."""
    rng = np.random.default_rng(seed)
    out = []
    ids = pd.Series([f"B{x:07x}" for x in rng.integers(0, 2**28, chunk)], dtype="str")
    for n in sizes:
        seen = {f"S{x:08d}" for x in range(n)}
        t0 = time.perf_counter()
        ids.isin(seen)
        dt = time.perf_counter() - t0
        out.append({"seen": n, "chunk": chunk, "seconds": round(dt, 4)})
        print(f"  isin of {chunk} ids against a seen set of {n:>9,}: {dt:.3f} s")
    return out


def main() -> None:
    from _common import DATA, RESULTS, machine, matcher_env, src_commit, write_result

    from matcher.model.registry import Registry
    from matcher.model.scorer import Scorer
    from matcher.reference import load_reference

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    world = DATA / "world_h2000_c100000_s0"
    ap.add_argument("--cohort", type=Path, default=world / "cohort.csv")
    ap.add_argument("--registry", type=Path, default=world / f"registry_{src_commit()}")
    ap.add_argument("--chunk-rows", type=int, default=20_000)
    ap.add_argument(
        "--isin-scaling",
        default="0,100000,500000,1000000",
        help="comma-separated seen-set sizes ('' to skip)",
    )
    ap.add_argument("--no-stages", action="store_true")
    args = ap.parse_args()
    info = machine()
    result: dict[str, Any] = {"benchmark": "scoring_stages", "machine": info}
    if not args.no_stages:
        reference = load_reference(matcher_env()["MATCHER_REFERENCE"])
        scorer = Scorer.from_loaded(
            Registry(args.registry).load(None, reference_fingerprint=reference.fingerprint)
        )
        result["cohort"] = str(args.cohort)
        result["stages"] = stage_breakdown(
            args.cohort,
            RESULTS / "scoring_out" / "out_stages.csv",
            reference=reference,
            scorer=scorer,
            chunk_rows=args.chunk_rows,
        )
    if args.isin_scaling:
        result["isin_scaling"] = isin_scaling([int(x) for x in args.isin_scaling.split(",")])
    write_result("scoring_stages", result)


if __name__ == "__main__":
    main()
