"""The smoke test a version passes before it may serve: load, score a sample, compare.

At training a small sample of (profile, project type) pairs and the scores the
fitted pipeline gave them are written beside the artefact
(``<version>/smoke_sample.json``). Before ``ACTIVE`` moves, the loaded pipeline
scores that sample again and must give the same scores: an artefact that
unpickles into something else, or scores differently (altered in place, with
its sha256 recomputed), is refused. A version saved without a sample is still
checked: it must be a fitted ``Pipeline`` that scores a fixed probe of the
catalogue with finite probabilities in [0, 1].
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from matcher.contract import columns as c
from matcher.errors import ModelIntegrityError, SmokeTestError

SMOKE_SAMPLE: Final = "smoke_sample.json"
SAMPLE_ROWS: Final = 40
TOLERANCE: Final = 1e-6
"""Largest absolute difference allowed between a recorded and a recomputed score."""

PAIR_COLUMNS: Final = (*c.PROFILE_COLUMNS, c.PROJECT_TYPE_ID)


def check_pipeline(pipeline: Any, version: str) -> None:
    """Refuse anything but a ``Pipeline`` with ``features`` and ``model`` steps.

    Raises
    ------
    ModelIntegrityError
    """
    if not isinstance(pipeline, Pipeline) or set(pipeline.named_steps) < {"features", "model"}:
        raise ModelIntegrityError(
            f"model {version}: the artefact is a {type(pipeline).__name__}, not the fitted "
            "Pipeline (features, model) that matcher trains; refusing it",
            details={"version": version, "check": "pipeline"},
        )


def sample_pairs(history: pd.DataFrame, n: int = SAMPLE_ROWS) -> pd.DataFrame:
    """A small, fixed sample of pairs from a history frame (evenly spaced rows)."""
    if len(history) == 0:
        return pd.DataFrame(columns=list(PAIR_COLUMNS))
    step = max(1, len(history) // n)
    rows = history.iloc[::step].head(n)
    return rows[[col for col in PAIR_COLUMNS if col in rows.columns]].reset_index(drop=True)


def write_smoke_sample(folder: Path, pairs: pd.DataFrame, scores: np.ndarray) -> None:
    """Write ``pairs`` and the ``scores`` the pipeline gave them to ``folder``."""
    records = json.loads(pairs.to_json(orient="records", date_format="iso"))
    body = {"pairs": records, "scores": [float(s) for s in np.asarray(scores)]}
    (folder / SMOKE_SAMPLE).write_text(json.dumps(body), encoding="utf-8")


def read_smoke_sample(folder: Path) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The recorded sample and its scores, or ``None`` when the version has none.

    Raises
    ------
    ModelIntegrityError
        The sample exists but cannot be read.
    """
    path = folder / SMOKE_SAMPLE
    if not path.is_file():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        pairs = pd.DataFrame.from_records(body["pairs"])
        scores = np.asarray(body["scores"], dtype=np.float64)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelIntegrityError(
            f"model {folder.name}: unreadable smoke sample ({type(exc).__name__})",
            details={"version": folder.name, "check": "smoke_sample"},
        ) from exc
    if len(pairs) != len(scores):
        raise ModelIntegrityError(
            f"model {folder.name}: the smoke sample has {len(pairs)} pairs "
            f"but {len(scores)} scores",
            details={"version": folder.name, "check": "smoke_sample"},
        )
    return pairs, scores


def probe_pairs(project_type_ids: list[str]) -> pd.DataFrame:
    """One plain profile paired with every project type (for versions without a sample)."""
    profile = {
        c.BENEFICIARY_ID: "SMOKE-0001",
        c.SEX: "F",
        c.AGE: 35,
        c.REGION_ID: "MA-06",
        c.MILIEU: "urban",
        c.EDUCATION_LEVEL: "primary",
        c.TRAININGS: "",
        c.EXPERIENCE: "",
        c.BUDGET_MAD: 50000.0,
        c.PREFERRED_SECTORS: "",
        c.HEALTH_CONSTRAINT: "none",
        c.COMMUNE_CODE: "",
    }
    return pd.DataFrame([{**profile, c.PROJECT_TYPE_ID: pt} for pt in project_type_ids])


def run_smoke_test(score: Any, version: str, folder: Path, project_type_ids: list[str]) -> int:
    """Score the version's sample (or the probe) and compare; return the pairs checked.

    Parameters
    ----------
    score : callable
        ``score(pairs) -> array`` of probabilities (``Scorer.score_pairs``).
    version, folder
        The version and its folder in the registry.
    project_type_ids : list of str
        The catalogue's project types, for the probe.

    Raises
    ------
    SmokeTestError
        Scoring raised, or gave non-finite or out-of-range values, or values that
        differ from the recorded ones.
    """
    recorded = read_smoke_sample(folder)
    pairs = recorded[0] if recorded is not None else probe_pairs(project_type_ids)
    details = {"version": version, "check": "smoke_test"}
    try:
        got = np.asarray(score(pairs), dtype=np.float64)
    except Exception as exc:  # anything the unpickled object does is suspect
        raise SmokeTestError(
            f"model {version} failed its smoke test: scoring the sample raised "
            f"{type(exc).__name__}",
            details=details,
        ) from exc
    if got.shape != (len(pairs),) or not np.all(np.isfinite(got)):
        raise SmokeTestError(
            f"model {version} failed its smoke test: it gave {got.shape[0] if got.ndim else 0} "
            f"scores for {len(pairs)} pairs, or non-finite ones",
            details=details,
        )
    if recorded is not None:
        worst = float(np.max(np.abs(got - recorded[1]))) if len(got) else 0.0
        if worst > TOLERANCE:
            raise SmokeTestError(
                f"model {version} failed its smoke test: its scores differ from those "
                f"recorded at training by up to {worst:.3g}",
                details={**details, "max_difference": worst},
            )
    return len(pairs)
