"""``matcher train``: learn from follow-up outcomes, evaluate, register a version.

1. read and validate the history (rejected rows are reported, never dropped silently);
2. split chronologically, keeping each beneficiary on one side;
3. compare candidates by grouped cross-validation on the training side (log loss);
4. fit the chosen one, evaluate it on the held-out side (and on a cohort with
   ground truth when given), and side by side with the active version;
5. refit on all rows, register the version with its model card, and activate
   it unless told not to or the promotion gate refuses.

A failure at any step leaves the registry and its active version unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold

from matcher import columns as c
from matcher.errors import MatcherError, TrainingDataError
from matcher.reference import Reference
from matcher.registry import Registry
from matcher.scoring import Scorer
from matcher.tabular import read_table
from training.evaluate import eligible_truth_pairs, holdout_report, outcome_metrics, world_report
from training.gate import promotion_gate
from training.history import load_history
from training.pipeline import CANDIDATES, build_pipeline
from training.split import chronological_split

logger = logging.getLogger(__name__)

MAX_CV_ROWS = 6000
MIN_COMPARISON_ROWS = 100
TRAINED_IDS = "trained_beneficiaries.txt"


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced."""

    version: str
    activated: bool
    refusal: str | None
    metrics: dict[str, Any]
    n_rejected: int


def _trained_ids(folder: Path) -> set[str]:
    """Beneficiaries a registered version was fitted on (for fair comparisons)."""
    path = folder / TRAINED_IDS
    if not path.is_file():
        return set()
    return set(path.read_text(encoding="utf-8").split())


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def select_candidate(
    train: pd.DataFrame, reference: Reference, *, candidates: tuple[str, ...], random_state: int
) -> tuple[str, dict[str, float]]:
    """Grouped 3-fold CV log loss of each (uncalibrated) candidate; the lowest wins.

    At most ``MAX_CV_ROWS`` rows take part (whole beneficiaries, drawn with the
    seed), which keeps training on large histories fast; the chosen candidate is
    then fitted on every row.
    """
    people = train[c.BENEFICIARY_ID].unique()
    if len(train) > MAX_CV_ROWS:
        rng = np.random.default_rng(random_state)
        keep = set(rng.permutation(people)[: int(len(people) * MAX_CV_ROWS / len(train))])
        train = train.loc[train[c.BENEFICIARY_ID].isin(keep)]
    y = train[c.ACTIVE_12M].to_numpy()
    groups = train[c.BENEFICIARY_ID].to_numpy()
    scores: dict[str, float] = {}
    for name in candidates:
        losses = []
        for fit_idx, val_idx in GroupKFold(n_splits=3).split(train, y, groups):
            pipe = build_pipeline(
                reference, candidate=name, random_state=random_state, calibrate=False
            )
            pipe.fit(train.iloc[fit_idx], y[fit_idx])
            proba = pipe.predict_proba(train.iloc[val_idx])[:, 1]
            losses.append(log_loss(y[val_idx], proba, labels=[0, 1]))
        scores[name] = round(float(np.mean(losses)), 5)
    best = min(scores, key=lambda k: scores[k])
    return best, scores


def evidence_table(history: pd.DataFrame, scorer: Scorer) -> dict[str, dict[str, int]]:
    """Funded projects per type, split by whether the person had the trade."""
    features = scorer.features(history)
    matched = (
        (features["trained_in_trade"] > 0)
        | (features["experience_trade_years"] > 0)
        | (features["needs_trade"] == 0)
    )
    table: dict[str, dict[str, int]] = {}
    for (ptype, m), n in (
        pd.Series(1, index=[history[c.PROJECT_TYPE_ID], matched])
        .groupby(level=[0, 1])
        .sum()
        .items()
    ):
        table.setdefault(str(ptype), {"match": 0, "no_match": 0})["match" if m else "no_match"] = (
            int(n)
        )
    return table


def feature_importance(
    scorer: Scorer, test: pd.DataFrame, random_state: int
) -> list[dict[str, Any]]:
    """Permutation importance (drop in ROC AUC) on the held-out rows."""
    features = scorer.features(test)
    result = permutation_importance(
        scorer.pipeline.named_steps["model"],
        features,
        test[c.ACTIVE_12M].to_numpy(),
        scoring="roc_auc",
        n_repeats=3,
        random_state=random_state,
    )
    rows = [
        {"feature": name, "importance": round(float(m), 5), "std": round(float(s), 5)}
        for name, m, s in zip(
            features.columns, result.importances_mean, result.importances_std, strict=True
        )
    ]
    return sorted(rows, key=lambda r: -r["importance"])


def train_model(
    history_path: Path,
    *,
    reference: Reference,
    registry: Registry,
    activate: bool = True,
    actor: str = "cli",
    reason: str = "trained",
    force: bool = False,
    eval_cohort: Path | None = None,
    eval_truth: Path | None = None,
    candidates: tuple[str, ...] = CANDIDATES,
    random_state: int = 0,
) -> TrainResult:
    """Train, evaluate and register a model version.

    Raises
    ------
    DataSchemaError, TrainingDataError
        The history cannot be read or cannot support training.
    """
    started = time.perf_counter()
    history, rejects = load_history(history_path, reference)
    try:
        split = chronological_split(history)
    except ValueError as exc:
        raise TrainingDataError(f"{history_path}: {exc}") from exc
    train, test = history.iloc[split.train], history.iloc[split.test]
    chosen, cv_scores = select_candidate(
        train, reference, candidates=candidates, random_state=random_state
    )
    logger.info("candidate CV log loss %s -> %s", cv_scores, chosen)

    pipe = build_pipeline(reference, candidate=chosen, random_state=random_state)
    pipe.fit(train, train[c.ACTIVE_12M].to_numpy())
    held = Scorer(version="holdout", pipeline=pipe, manifest={})
    test_scores = held.score_pairs(test)
    metrics: dict[str, Any] = {
        "candidate": chosen,
        "cv_log_loss": cv_scores,
        "holdout": holdout_report(test, test_scores),
        "feature_importance": feature_importance(held, test, random_state),
    }

    active = registry.active_version()
    if active is not None:
        try:
            current = Scorer.from_loaded(
                registry.load(active, reference_fingerprint=reference.fingerprint)
            )
            seen = _trained_ids(registry.path(active))
            unseen = ~test[c.BENEFICIARY_ID].isin(seen).to_numpy()
            if unseen.sum() < MIN_COMPARISON_ROWS:
                metrics["comparison"] = {
                    "skipped": f"only {int(unseen.sum())} held-out rows are unseen by the "
                    f"active version {active}; a fair side-by-side needs "
                    f"{MIN_COMPARISON_ROWS}"
                }
            else:
                fair = test.loc[unseen]
                y_fair = fair[c.ACTIVE_12M].to_numpy(float)
                metrics["comparison"] = {
                    "active_version": active,
                    "n_rows": int(unseen.sum()),
                    "candidate": outcome_metrics(y_fair, test_scores[unseen]),
                    "active": outcome_metrics(y_fair, current.score_pairs(fair)),
                }
        except MatcherError as exc:
            metrics["comparison"] = {"skipped": exc.message}

    final = build_pipeline(reference, candidate=chosen, random_state=random_state)
    final.fit(history, history[c.ACTIVE_12M].to_numpy())
    final_scorer = Scorer(version="final", pipeline=final, manifest={})
    evidence = evidence_table(history, final_scorer)
    final_scorer = Scorer(version="final", pipeline=final, manifest={"evidence": evidence})

    if eval_cohort is not None and eval_truth is not None:
        from matcher.cohort import validate_profiles

        cohort, _ = validate_profiles(read_table(eval_cohort), reference)
        pairs = eligible_truth_pairs(cohort, read_table(eval_truth), reference)
        # The cohort and its truth are people the history never saw, so the model
        # judged against them is the one registered (fitted on the whole history).
        metrics["world"] = world_report(
            pairs, scorer=final_scorer, history=history, reference=reference
        )
        metrics["world"]["cohort"] = str(eval_cohort)

    metrics["train_seconds"] = round(time.perf_counter() - started, 2)
    manifest = {
        "reference_fingerprint": reference.fingerprint,
        "history_fingerprint": _fingerprint(Path(history_path)),
        "history_path": str(history_path),
        "n_rows": len(history),
        "n_rejected": len(rejects),
        "n_train": len(train),
        "n_test": len(test),
        "split_cut_date": split.cut_date.strftime("%Y-%m-%d"),
        "target": c.ACTIVE_12M,
        "candidate": chosen,
        "feature_columns": list(final.named_steps["features"].get_feature_names_out()),
        "params": {
            k: repr(v)
            for k, v in final.named_steps["model"].get_params().items()
            if not k.startswith("estimator__")
        },
        "random_state": random_state,
        "evidence": evidence,
        "headline": {
            "roc_auc": metrics["holdout"]["overall"]["roc_auc"],
            "log_loss": metrics["holdout"]["overall"]["log_loss"],
            "brier": metrics["holdout"]["overall"]["brier"],
        },
    }

    def extras(folder: Path) -> None:
        from training.report import write_model_card

        write_model_card(folder, manifest=manifest, metrics=metrics)
        ids = sorted(set(history[c.BENEFICIARY_ID].astype("str")))
        (folder / TRAINED_IDS).write_text("\n".join(ids) + "\n", encoding="utf-8")

    version = registry.save(final, manifest, metrics=metrics, write_extras=extras)
    refusal: str | None = None
    activated = False
    if activate:
        try:
            registry.activate(version, actor=actor, reason=reason, force=force, gate=promotion_gate)
            activated = True
        except MatcherError as exc:
            refusal = exc.message
    return TrainResult(
        version=version,
        activated=activated,
        refusal=refusal,
        metrics=metrics,
        n_rejected=len(rejects),
    )


__all__ = ["TrainResult", "train_model"]
