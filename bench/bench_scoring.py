"""Batch scoring: ``matcher score`` end to end vs raw ``predict_proba``, and peak RSS.

Usage::

    .venv/bin/python bench/bench_scoring.py                       # 100k, then 1M for RSS
    .venv/bin/python bench/bench_scoring.py --big-factor 0        # skip the 1M run
    .venv/bin/python bench/bench_scoring.py --profile             # also cProfile the 100k run

What it does, in one run:

1. builds (once, cached under ``bench/results/data/``) a synthetic world with
   ``matcher generate --n-history 2000 --n-cohort 100000 --seed 0`` and trains a
   model on its history into its own registry (``matcher train``);
2. raw: reads and validates the cohort in the same chunks as ``score_file``,
   builds every eligible (person, type) pair (untimed), then times only
   ``scorer.pipeline.predict_proba`` over those pairs, chunk by chunk (the
   target's baseline), and ``scorer.score_pairs`` (features + the model's
   linear form, what ``score_file`` uses) for the share of the rest;
3. end to end: runs ``matcher score --input cohort.csv --output out.csv`` as a
   subprocess under ``/usr/bin/time -v`` (wall, CPU, peak RSS; the summary line
   gives ``score_file``'s own seconds, without interpreter start and model load),
   and ``score_file`` in-process (wall and CPU seconds);
4. builds a ``--big-factor`` x larger cohort (copies with suffixed, unique ids)
   and runs ``matcher score`` on it under ``time -v`` for the RSS ratio.

Raw and end-to-end runs are interleaved ``--repeats`` times; the best of each is
compared (the machine may be shared). Targets: end-to-end >= 70 % of raw
throughput; peak RSS(big) / peak RSS(100k) <= 1.2.
"""

from __future__ import annotations

import argparse
import io
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import (
    DATA,
    MATCHER,
    RESULTS,
    SRC,
    ensure_registry,
    ensure_world,
    machine,
    matcher_env,
    parse_summary_seconds,
    run_measured,
    src_commit,
    write_result,
)

from matcher.batch.streaming import DEFAULT_CHUNK_ROWS, score_file
from matcher.contract import columns as c
from matcher.contract.eligibility import check_eligibility
from matcher.contract.profile_table import validate_profiles
from matcher.contract.tables import iter_table
from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.reference import load_reference

TARGET_RATIO = 0.70
TARGET_RSS_RATIO = 1.2


def build_pair_chunks(
    cohort: Path, *, reference: Any, chunk_rows: int
) -> tuple[list[pd.DataFrame], int]:
    """Eligible pairs per input chunk, exactly as ``score_eligible_pairs`` builds them."""
    chunks: list[pd.DataFrame] = []
    n_people = 0
    for chunk in iter_table(cohort, chunk_rows=chunk_rows):
        valid, _ = validate_profiles(chunk, reference)
        n_people += len(valid)
        elig = check_eligibility(valid, reference.project_types)
        rows, cols = np.nonzero(elig.eligible)
        type_ids = np.asarray(elig.project_type_ids, dtype=object)
        pairs = valid.iloc[rows].reset_index(drop=True)
        pairs = pairs.assign(
            _row=rows.astype(np.int64),
            **{c.PROJECT_TYPE_ID: pd.array(type_ids[cols], dtype="str")},
        )
        chunks.append(pairs)
    return chunks, n_people


def time_raw(scorer: Scorer, chunks: list[pd.DataFrame], *, how: str) -> dict[str, float]:
    """Wall and CPU seconds of scoring every chunk's pairs in memory.

    ``how="predict_proba"``: ``scorer.pipeline.predict_proba``, the issue's
    baseline. ``how="score_pairs"``: ``scorer.score_pairs`` (the feature step
    then the model's linear form), the fastest way matcher scores pairs already
    in memory, and what ``score_file`` itself uses.
    """
    score = scorer.pipeline.predict_proba if how == "predict_proba" else scorer.score_pairs
    wall = cpu = 0.0
    for pairs in chunks:
        w0, c0 = time.perf_counter(), time.process_time()
        score(pairs)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}


def time_inprocess(
    cohort: Path, out: Path, *, reference: Any, scorer: Scorer, chunk_rows: int
) -> dict[str, Any]:
    """``score_file`` called in this process: wall and CPU seconds."""
    w0, c0 = time.perf_counter(), time.process_time()
    summary = score_file(cohort, out, reference=reference, scorer=scorer, chunk_rows=chunk_rows)
    return {
        "wall_s": round(time.perf_counter() - w0, 3),
        "cpu_s": round(time.process_time() - c0, 3),
        "n_scored": summary.n_scored,
        "n_output_rows": summary.n_output_rows,
    }


def run_cli_score(
    cohort: Path, out: Path, *, registry: Path, chunk_rows: int | None
) -> dict[str, Any]:
    """``matcher score`` under ``time -v``."""
    cmd = [MATCHER, "score", "--input", str(cohort), "--output", str(out)]
    cmd += ["--registry", str(registry)]
    if chunk_rows is not None:
        cmd += ["--chunk-rows", str(chunk_rows)]
    stats = run_measured(cmd, env=matcher_env())
    stats["score_file_s"] = parse_summary_seconds(stats["stdout"])
    return stats


def make_big_cohort(src: Path, dst: Path, factor: int) -> Path:
    """``factor`` copies of ``src`` with ids suffixed ``-k`` (unique), as CSV."""
    if dst.is_file():
        print(f"big cohort exists: {dst}")
        return dst
    print(f"building {factor}x cohort -> {dst}")
    base = pd.read_csv(src, dtype="str", keep_default_na=False)
    copies = []
    for k in range(factor):
        part = base.copy()
        part[c.BENEFICIARY_ID] = part[c.BENEFICIARY_ID] + f"-{k}"
        copies.append(part)
    big = pd.concat(copies, ignore_index=True)
    assert big[c.BENEFICIARY_ID].is_unique
    tmp = dst.with_suffix(".part")
    big.to_csv(tmp, index=False)
    tmp.rename(dst)
    return dst


def profile_cli(cohort: Path, out: Path, *, registry: Path, prof_path: Path) -> dict[str, Any]:
    """``python -m cProfile -m cli score ...``; top functions by cumulative/own time."""
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof_path), "-m", "cli"]
    cmd += ["score", "--input", str(cohort), "--output", str(out), "--registry", str(registry)]
    subprocess.run(cmd, check=True, env=matcher_env(), capture_output=True, cwd=SRC)
    return summarise_profile(prof_path)


def summarise_profile(prof_path: Path, top: int = 30) -> dict[str, Any]:
    stats = pstats.Stats(str(prof_path))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(filename).name}:{line}({func})",
                "ncalls": nc,
                "tottime_s": round(tt, 3),
                "cumtime_s": round(ct, 3),
                "cum_share": round(ct / total, 3) if total else None,
                "own_share": round(tt / total, 3) if total else None,
            }
        )
    by_cum = sorted(rows, key=lambda r: -r["cumtime_s"])[:top]
    by_own = sorted(rows, key=lambda r: -r["tottime_s"])[:top]
    text = io.StringIO()
    pstats.Stats(str(prof_path), stream=text).sort_stats("cumulative").print_stats(top)
    return {"total_s": round(total, 3), "by_cumulative": by_cum, "by_own_time": by_own}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n-history", type=int, default=2000)
    ap.add_argument("--n-cohort", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, default=DATA, help="cached worlds and registries")
    ap.add_argument("--registry", type=Path, default=None, help="default: trained on the world")
    ap.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS)
    ap.add_argument(
        "--repeats", type=int, default=2, help="interleaved raw/e2e rounds (0: RSS only)"
    )
    ap.add_argument("--big-factor", type=int, default=10, help="0 skips the big RSS run")
    ap.add_argument("--profile", action="store_true", help="cProfile one matcher score run")
    ap.add_argument(
        "--stages", action="store_true", help="in-process stage breakdown of score_file"
    )
    ap.add_argument("--no-inprocess", action="store_true", help="skip in-process score_file")
    ap.add_argument("--tag", default="", help="suffix of the result file name")
    args = ap.parse_args()

    info = machine()
    world = ensure_world(
        args.workdir / f"world_h{args.n_history}_c{args.n_cohort}_s{args.seed}",
        n_history=args.n_history,
        n_cohort=args.n_cohort,
        seed=args.seed,
    )
    cohort = world / "cohort.csv"
    registry = args.registry or world / f"registry_{src_commit()}"
    version = ensure_registry(registry, world / "history.csv")
    outdir = RESULTS / "scoring_out"
    outdir.mkdir(parents=True, exist_ok=True)
    reference = load_reference(matcher_env()["MATCHER_REFERENCE"])
    scorer = Scorer.from_loaded(
        Registry(registry).load(version, reference_fingerprint=reference.fingerprint)
    )
    result: dict[str, Any] = {
        "benchmark": "scoring",
        "machine": info,
        "model_version": version,
        "candidate": scorer.manifest.get("candidate"),
        "registry": str(registry),
        "cohort": str(cohort),
        "chunk_rows": args.chunk_rows,
    }
    cli_runs: list[dict[str, Any]] = []

    if args.repeats > 0:
        print("building eligible pairs (untimed) ...")
        chunks, n_people = build_pair_chunks(
            cohort, reference=reference, chunk_rows=args.chunk_rows
        )
        n_pairs = sum(len(p) for p in chunks)
        print(f"{n_people} valid people, {n_pairs} eligible pairs in {len(chunks)} chunks")
        scorer.score_pairs(chunks[0].head(1000))  # warm-up
        raw_runs: list[dict[str, float]] = []
        fast_runs: list[dict[str, float]] = []
        inproc_runs: list[dict[str, Any]] = []
        for r in range(args.repeats):
            raw_runs.append(time_raw(scorer, chunks, how="predict_proba"))
            print(f"[{r}] raw predict_proba: {raw_runs[-1]}")
            fast_runs.append(time_raw(scorer, chunks, how="score_pairs"))
            print(f"[{r}] raw score_pairs (linear form): {fast_runs[-1]}")
            cli = run_cli_score(
                cohort, outdir / "out_100k.csv", registry=registry, chunk_rows=args.chunk_rows
            )
            cli_runs.append(cli)
            print(
                f"[{r}] matcher score: wall {cli['wall_s']} s, score_file {cli['score_file_s']} "
                f"s, CPU {cli.get('user_s', 0) + cli.get('sys_s', 0):.1f} s, "
                f"peak RSS {cli.get('max_rss_mib')} MiB"
            )
            if not args.no_inprocess:
                inproc_runs.append(
                    time_inprocess(
                        cohort,
                        outdir / "out_100k_inproc.csv",
                        reference=reference,
                        scorer=scorer,
                        chunk_rows=args.chunk_rows,
                    )
                )
                print(f"[{r}] in-process score_file: {inproc_runs[-1]}")
        del chunks
        raw_best = min(x["wall_s"] for x in raw_runs)
        raw_cpu_best = min(x["cpu_s"] for x in raw_runs)
        sf_best = min(x["score_file_s"] for x in cli_runs if x["score_file_s"] is not None)
        wall_best = min(x["wall_s"] for x in cli_runs)
        cli_cpu_best = min(x.get("user_s", 0) + x.get("sys_s", 0) for x in cli_runs)
        result |= {
            "n_people": n_people,
            "n_pairs": n_pairs,
            "raw_runs": raw_runs,
            "raw_score_pairs_runs": fast_runs,
            "raw_score_pairs_per_s": round(n_pairs / min(x["wall_s"] for x in fast_runs), 1),
            "ratio_score_file_vs_raw_score_pairs": round(
                min(x["wall_s"] for x in fast_runs) / sf_best, 3
            ),
            "cli_runs": [
                {k: v for k, v in x.items() if k != "stdout"} | {"summary": x["stdout"]}
                for x in cli_runs
            ],
            "inprocess_runs": inproc_runs,
            "raw_pairs_per_s": round(n_pairs / raw_best, 1),
            "e2e_pairs_per_s_score_file": round(n_pairs / sf_best, 1),
            "e2e_pairs_per_s_process": round(n_pairs / wall_best, 1),
            "e2e_people_per_s_score_file": round(n_people / sf_best, 1),
            "ratio_score_file_vs_raw": round(raw_best / sf_best, 3),
            "ratio_process_vs_raw": round(raw_best / wall_best, 3),
            "ratio_process_cpu_vs_raw_cpu": round(raw_cpu_best / cli_cpu_best, 3),
            "target_ratio": TARGET_RATIO,
        }
        if inproc_runs:
            result["ratio_inprocess_wall_vs_raw"] = round(
                raw_best / min(x["wall_s"] for x in inproc_runs), 3
            )
            result["ratio_inprocess_cpu_vs_raw_cpu"] = round(
                raw_cpu_best / min(x["cpu_s"] for x in inproc_runs), 3
            )
        result["pass_ratio"] = result["ratio_score_file_vs_raw"] >= TARGET_RATIO
        print(
            f"raw {result['raw_pairs_per_s']:,.0f} pairs/s; matcher score (score_file) "
            f"{result['e2e_pairs_per_s_score_file']:,.0f} pairs/s -> ratio "
            f"{result['ratio_score_file_vs_raw']:.2f} (target >= {TARGET_RATIO}); process "
            f"ratio {result['ratio_process_vs_raw']:.2f}"
        )

    if args.stages:
        from scoring_stages import stage_breakdown

        result["stages"] = stage_breakdown(
            cohort,
            outdir / "out_100k_stages.csv",
            reference=reference,
            scorer=scorer,
            chunk_rows=args.chunk_rows,
        )

    if args.big_factor > 0:
        if not cli_runs:
            cli_runs.append(
                run_cli_score(
                    cohort, outdir / "out_100k.csv", registry=registry, chunk_rows=args.chunk_rows
                )
            )
            result["small_run"] = {k: v for k, v in cli_runs[0].items() if k != "stdout"} | {
                "summary": cli_runs[0]["stdout"]
            }
            print(f"matcher score 100k: {result['small_run']}")
        rss_small = min(x["max_rss_mib"] for x in cli_runs if "max_rss_mib" in x)
        result["peak_rss_mib_small"] = rss_small
        big = make_big_cohort(cohort, world / f"cohort_x{args.big_factor}.csv", args.big_factor)
        big_run = run_cli_score(
            big,
            outdir / f"out_x{args.big_factor}.csv",
            registry=registry,
            chunk_rows=args.chunk_rows,
        )
        print(
            f"matcher score x{args.big_factor}: wall {big_run['wall_s']} s, "
            f"peak RSS {big_run.get('max_rss_mib')} MiB; {big_run['stdout']}"
        )
        result["big_factor"] = args.big_factor
        result["big_run"] = {k: v for k, v in big_run.items() if k != "stdout"} | {
            "summary": big_run["stdout"]
        }
        result["peak_rss_mib_big"] = big_run.get("max_rss_mib")
        result["rss_ratio"] = round(big_run["max_rss_mib"] / rss_small, 3)
        result["target_rss_ratio"] = TARGET_RSS_RATIO
        result["pass_rss"] = result["rss_ratio"] <= TARGET_RSS_RATIO
        print(f"RSS ratio {result['rss_ratio']} (target <= {TARGET_RSS_RATIO})")

    if args.profile:
        prof = RESULTS / "scoring_profile.prof"
        result["profile"] = profile_cli(
            cohort, outdir / "out_100k_prof.csv", registry=registry, prof_path=prof
        )
        result["profile"]["file"] = str(prof)

    write_result("scoring" + (f"_{args.tag}" if args.tag else ""), result)


if __name__ == "__main__":
    main()
