"""Shared helpers for the bench scripts: machine description, results, timing.

Not a benchmark itself. Every result file carries ``machine`` (``nproc``,
``free -h``, CPU model, Python/numpy/pandas/scikit-learn versions, load
average at start and end) and the exact command line, so a figure can always
be traced back to the run that produced it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SRC = Path(os.environ.get("BENCH_SRC") or REPO).resolve()
"""The matcher source measured: the repo, or a snapshot made by ``make_snapshot.py``.

Others edit the working tree while benchmarks run; ``BENCH_SRC=<snapshot>`` pins
the code (this process imports it first, subprocesses get it on PYTHONPATH and
run from it).
"""
if SRC != REPO and str(SRC) not in sys.path:
    sys.path.insert(1, str(SRC))
RESULTS = REPO / "bench" / "results"
DATA = RESULTS / "data"
VENV_BIN = Path(sys.executable).parent
MATCHER = str(VENV_BIN / "matcher")
TIME_BIN = "/usr/bin/time"


def _run_text(cmd: Sequence[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def cpu_model() -> str:
    """The ``model name`` line of /proc/cpuinfo (first CPU)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> list[float]:
    """1, 5 and 15 minute load averages (other work on the machine skews timings)."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """Describe the machine and the software versions."""
    import pandas as pd
    import sklearn

    return {
        "nproc": int(_run_text(["nproc"]) or os.cpu_count() or 0),
        "free_h": _run_text(["free", "-h"]),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "sklearn": sklearn.__version__,
        "platform": platform.platform(),
        "src": str(SRC),
        "src_commit": src_commit(),
        "repo_head": _run_text(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "repo_modified_tracked_files": [
            line[3:]
            for line in _run_text(["git", "-C", str(REPO), "status", "--porcelain"]).splitlines()
            if not line.startswith("??")
        ],
        "loadavg_start": loadavg(),
    }


def src_commit() -> str:
    """The commit of the measured source (snapshot COMMIT file, or the repo's HEAD)."""
    marker = SRC / "COMMIT"
    if marker.is_file():
        return marker.read_text(encoding="utf-8").strip()
    head = _run_text(["git", "-C", str(SRC), "rev-parse", "--short", "HEAD"])
    dirty = [
        line
        for line in _run_text(["git", "-C", str(SRC), "status", "--porcelain"]).splitlines()
        if not line.startswith("??")
    ]
    return head + ("+dirty" if dirty else "")


def command_line() -> str:
    """The command that launched this script, relative to the repo root."""
    argv = [sys.argv[0]]
    with contextlib.suppress(ValueError):
        argv[0] = str(Path(sys.argv[0]).resolve().relative_to(REPO))
    prefix = f"BENCH_SRC={SRC} " if SRC != REPO else ""
    return prefix + ".venv/bin/python " + shlex.join(argv + sys.argv[1:])


def now_stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S")


def write_result(name: str, payload: dict[str, Any], out: Path | None = None) -> Path:
    """Write ``payload`` (plus command, date and load at the end) as JSON under bench/results/."""
    payload = dict(payload)
    payload.setdefault("command", command_line())
    payload.setdefault("date", dt.datetime.now().isoformat(timespec="seconds"))
    if isinstance(payload.get("machine"), dict):
        payload["machine"]["loadavg_end"] = loadavg()
    path = out or RESULTS / f"{name}_{now_stamp()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    latest = RESULTS / f"{name}_latest.json"
    latest.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"results -> {path} (and {latest.name})")
    return path


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    """n, mean, min, p50, p90, p95, p99, max of a list of milliseconds."""
    arr = np.asarray(values_ms, dtype=np.float64)
    if arr.size == 0:
        return {"n": 0}
    q = np.percentile(arr, [50, 90, 95, 99])
    return {
        "n": int(arr.size),
        "mean": round(float(arr.mean()), 3),
        "min": round(float(arr.min()), 3),
        "p50": round(float(q[0]), 3),
        "p90": round(float(q[1]), 3),
        "p95": round(float(q[2]), 3),
        "p99": round(float(q[3]), 3),
        "max": round(float(arr.max()), 3),
    }


def _parse_time_v(text: str) -> dict[str, Any]:
    """Pick the useful fields from GNU ``time -v`` output."""
    fields = {
        "Maximum resident set size (kbytes)": "max_rss_kb",
        "User time (seconds)": "user_s",
        "System time (seconds)": "sys_s",
        "Percent of CPU this job got": "cpu_percent",
        "Elapsed (wall clock) time (h:mm:ss or m:ss)": "elapsed",
        "Exit status": "exit_status",
    }
    out: dict[str, Any] = {}
    for line in text.splitlines():
        line = line.strip()
        for label, key in fields.items():
            if line.startswith(label + ":"):
                out[key] = line[len(label) + 1 :].strip()
    for key in ("max_rss_kb", "exit_status"):
        if key in out:
            out[key] = int(out[key])
    for key in ("user_s", "sys_s"):
        if key in out:
            out[key] = float(out[key])
    if "cpu_percent" in out:
        out["cpu_percent"] = int(str(out["cpu_percent"]).rstrip("%") or 0)
    if "max_rss_kb" in out:
        out["max_rss_mib"] = round(out["max_rss_kb"] / 1024, 1)
    return out


def run_measured(
    cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 3600
) -> dict[str, Any]:
    """Run ``cmd`` under ``/usr/bin/time -v``: wall seconds, peak RSS, CPU, stdout.

    Raises ``RuntimeError`` (with stderr) when the command fails.
    """
    full = [TIME_BIN, "-v", *cmd] if Path(TIME_BIN).exists() else list(cmd)
    started = time.perf_counter()
    proc = subprocess.run(
        full, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=SRC
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n"
            f"{proc.stderr[-4000:]}"
        )
    stats = _parse_time_v(proc.stderr)
    stats.update({"wall_s": round(wall, 3), "stdout": proc.stdout.strip(), "cmd": shlex.join(cmd)})
    return stats


def matcher_env(**overrides: str) -> dict[str, str]:
    """The environment for ``matcher`` subprocesses (reference defaults to the samples)."""
    env = dict(os.environ)
    if SRC != REPO:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    env.setdefault("MATCHER_REFERENCE", str(SRC / "data_samples" / "reference"))
    env.update(overrides)
    return env


def ensure_world(out: Path, *, n_history: int, n_cohort: int, seed: int) -> Path:
    """Generate a synthetic world with ``matcher generate`` unless it exists already."""
    if (out / "history.csv").is_file() and (out / "cohort.csv").is_file():
        print(f"world exists: {out}")
        return out
    print(f"generating world n_history={n_history} n_cohort={n_cohort} seed={seed} -> {out}")
    cmd = [
        MATCHER,
        "generate",
        "--n-history",
        str(n_history),
        "--n-cohort",
        str(n_cohort),
        "--seed",
        str(seed),
        "--out",
        str(out),
    ]
    subprocess.run(cmd, check=True, env=matcher_env(), cwd=SRC, capture_output=True)
    return out


def ensure_registry(registry: Path, history: Path) -> str:
    """Train and activate a model on ``history`` into ``registry`` unless one is active."""
    from matcher.model.registry import Registry

    reg = Registry(registry)
    active = reg.active_version()
    if active is not None:
        print(f"registry {registry}: active {active}")
        return active
    print(f"training a model on {history} into {registry} ...")
    subprocess.run(
        [MATCHER, "train", "--history", str(history), "--registry", str(registry)],
        check=True,
        env=matcher_env(),
        cwd=SRC,
    )
    active = Registry(registry).active_version()
    assert active is not None
    return active


def parse_summary_seconds(line: str) -> float | None:
    """The ``12.3 s`` figure of a ``matcher score`` summary line (score_file's own time)."""
    m = re.search(r";\s*([0-9.]+) s \(", line)
    return float(m.group(1)) if m else None
