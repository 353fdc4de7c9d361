"""Where one uvicorn worker spends its time under a ``wrk`` burst (py-spy sampling).

Usage::

    .venv/bin/python bench/profile_http.py --duration 40 --py-spy /tmp/benchtools/bin/py-spy

Starts ``uvicorn api.main:app --workers 1`` like ``bench_http.py``, runs ``wrk``
(32 connections) for ``--duration`` s and, meanwhile, ``py-spy record --format
raw`` on the server process (all threads, idle frames excluded). The collapsed
stacks are then attributed to request phases by the first matching frame
(authentication, recommend() and its parts, audit write, logging, response
serialisation, request validation, the rest of the framework).
"""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import DATA, MATCHER, RESULTS, SRC, machine, matcher_env, now_stamp, write_result
from bench_http import ROUTE, Server, request_bodies, run_wrk, write_lua

# (phase, substrings of a frame); the first phase whose pattern occurs in a stack wins
PHASES: list[tuple[str, tuple[str, ...]]] = [
    ("audit write (SQLite insert, thread)", ("_write_audit", "AuditWriter")),
    ("authentication (verify_key, SQLite)", ("authenticate (",)),
    (
        "recommend: features (PairFeatureBuilder.transform)",
        (
            "PairFeatureBuilder.transform",
            "transform (matcher/features/builder.py",
            "transform_columns (matcher/features/builder.py",
        ),
    ),
    ("recommend: reasons (neutralised_stack)", ("neutralised_stack",)),
    ("recommend: model (linear form, or ColumnTransformer + logit)", ("score_features",)),
    ("recommend: validate (profiles_frame)", ("profiles_frame", "check_profile")),
    ("recommend: rest", ("recommend (matcher/service.py",)),
    ("logging", ("logging/__init__.py",)),
    (
        "response serialisation (pydantic/jsonable)",
        ("serialize_response", "jsonable_encoder", "to_dict"),
    ),
    ("request body validation", ("request_body_to_args", "_validate_body", "to_domain")),
]


WAIT_LEAVES = ("Condition.wait", "Runner.run", "Condition._acquire_restore", "select (")


def classify(stack: str) -> str:
    leaf = stack.rsplit(";", 1)[-1]
    if any(leaf.startswith(w) for w in WAIT_LEAVES):
        return "waiting (idle pool threads, event loop; not work)"
    for phase, patterns in PHASES:
        if any(p in stack for p in patterns):
            return phase
    if "uvicorn" in stack or "starlette" in stack or "fastapi" in stack or "anyio" in stack:
        return "framework (uvicorn/starlette/fastapi/anyio)"
    return "other"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--duration", type=int, default=40)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--py-spy", default="/tmp/benchtools/bin/py-spy")
    ap.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    ap.add_argument("--registry", type=Path, default=None)
    ap.add_argument("--from-raw", type=Path, default=None, help="only re-attribute a raw file")
    args = ap.parse_args()
    if args.from_raw:
        for r in attribute(args.from_raw):
            print(f"  {r['share']:6.1%}  {r['share_of_work']:6.1%}  {r['phase']}")
        return
    from _common import src_commit

    info = machine()
    registry = args.registry or DATA / f"registry_samples_{src_commit()}"
    workdir = RESULTS / f"http_profile_{now_stamp()}"
    workdir.mkdir(parents=True)
    db = workdir / "bench.db"
    env = matcher_env(
        MATCHER_REGISTRY=str(registry),
        MATCHER_REFERENCE=str(SRC / "data_samples" / "reference"),
        MATCHER_DATABASE_URL=f"sqlite:///{db}",
    )
    out = subprocess.run(
        [MATCHER, "keys", "create", "--role", "counsellor", "--label", "bench-profile"],
        env=env,
        cwd=SRC,
        capture_output=True,
        text=True,
        check=True,
    )
    key = [line for line in out.stdout.splitlines() if line.strip()][-1].strip()
    bodies = request_bodies(
        SRC / "data_samples" / "cohort.csv", SRC / "data_samples" / "reference", 100, 5
    )
    lua = write_lua(workdir / "post.lua", bodies, key)
    server = Server("api.main:app", workers=1, env=env, log=workdir / "uvicorn.log", app_dir=None)
    raw = workdir / "pyspy.txt"
    result: dict[str, Any] = {"benchmark": "http_profile", "machine": info}
    try:
        server.wait_ready("/healthz")
        server.wait_ready("/readyz")
        box: dict[str, Any] = {}
        t = threading.Thread(
            target=lambda: box.update(
                wrk=run_wrk(
                    server.base + ROUTE,
                    lua,
                    threads=2,
                    connections=args.connections,
                    duration=args.duration,
                    timeout_s=10,
                    server=server,
                )
            )
        )
        t.start()
        time.sleep(3)
        subprocess.run(
            [
                args.py_spy,
                "record",
                "--pid",
                str(server.proc.pid),
                "--duration",
                str(max(args.duration - 8, 5)),
                "--rate",
                str(args.rate),
                "--format",
                "raw",
                "--output",
                str(raw),
                "--nonblocking",
            ],
            check=True,
            capture_output=True,
        )
        t.join()
        result["wrk"] = box.get("wrk")
    finally:
        server.stop()
    rows = attribute(raw)
    print("py-spy samples on the worker: share of all, share of work (waits excluded), phase")
    for r in rows:
        print(f"  {r['share']:6.1%}  {r['share_of_work']:6.1%}  {r['phase']}")
    result["pyspy_raw"] = str(raw)
    result["phases"] = rows
    write_result("http_profile", result)


def attribute(raw: Path) -> list[dict[str, Any]]:
    """Samples per phase, as shares of all samples and of non-waiting samples."""
    phases: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        phases[classify(stack)] += int(count)
    total = sum(phases.values())
    work = total - sum(v for k, v in phases.items() if k.startswith("waiting"))
    return [
        {
            "phase": k,
            "samples": v,
            "share": round(v / total, 3),
            "share_of_work": round(v / work, 3) if not k.startswith("waiting") else 0.0,
        }
        for k, v in phases.most_common()
    ]


if __name__ == "__main__":
    main()
