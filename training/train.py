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
from numpy.typing import NDArray
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline

from matcher.contract import columns as c
from matcher.contract.tables import read_table
from matcher.errors import MatcherError, TrainingDataError
from matcher.model.activation import activate_version
from matcher.model.gate import promotion_gate
from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.model.smoke import sample_pairs, write_smoke_sample
from matcher.reference import Reference
from training.evaluate import eligible_truth_pairs, holdout_report, outcome_metrics, world_report
from training.evidence import evidence_table, feature_importance
from training.history import load_history
from training.income_eval import income_column, income_report, interval_coverage
from training.pipeline import CANDIDATES, build_pipeline
from training.split import Split, chronological_split

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


@dataclass(frozen=True)
class _TrainingData:
    """The validated history and its chronological split."""

    path: Path
    history: pd.DataFrame
    n_rejected: int
    train: pd.DataFrame
    test: pd.DataFrame
    split: Split


def _load(history_path: Path, reference: Reference) -> _TrainingData:
    """Read and validate the history, then split it; an unusable one is a training-data error."""
    history, rejects = load_history(history_path, reference)
    try:
        split = chronological_split(history)
    except ValueError as exc:
        raise TrainingDataError(f"{history_path}: {exc}") from exc
    return _TrainingData(
        path=history_path,
        history=history,
        n_rejected=len(rejects),
        train=history.iloc[split.train],
        test=history.iloc[split.test],
        split=split,
    )


def _holdout_metrics(
    data: _TrainingData,
    reference: Reference,
    registry: Registry,
    *,
    chosen: str,
    cv_scores: dict[str, float],
    random_state: int,
) -> dict[str, Any]:
    """Fit the chosen candidate on the training side; report it on the held-out side.

    The report includes the side-by-side with the active version when there is one.
    """
    train, test = data.train, data.test
    pipe = build_pipeline(reference, candidate=chosen, random_state=random_state, income=True)
    pipe.fit(train, train[c.ACTIVE_12M].to_numpy(), model__income=income_column(train))
    held = Scorer(version="holdout", pipeline=pipe, manifest={})
    test_scores = held.score_pairs(test)
    metrics: dict[str, Any] = {
        "candidate": chosen,
        "cv_log_loss": cv_scores,
        "holdout": holdout_report(test, test_scores),
        "feature_importance": feature_importance(held, test, random_state),
    }
    if held.has_income:
        mu = held.model.predict_log_income(held.features(test))
        metrics["income"] = income_report(test, mu, held.income_sigma)
    comparison = _comparison(registry, reference, test, test_scores)
    if comparison is not None:
        metrics["comparison"] = comparison
    return metrics


def _comparison(
    registry: Registry, reference: Reference, test: pd.DataFrame, test_scores: NDArray[np.float64]
) -> dict[str, Any] | None:
    """Side-by-side with the active version on held-out rows it never saw (None if none)."""
    active = registry.active_version()
    if active is None:
        return None
    try:
        current = Scorer.load(registry, active, reference=reference)
        seen = _trained_ids(registry.path(active))
        unseen = ~test[c.BENEFICIARY_ID].isin(seen).to_numpy()
        if unseen.sum() < MIN_COMPARISON_ROWS:
            return {
                "skipped": f"only {int(unseen.sum())} held-out rows are unseen by the "
                f"active version {active}; a fair side-by-side needs "
                f"{MIN_COMPARISON_ROWS}"
            }
        fair = test.loc[unseen]
        y_fair = fair[c.ACTIVE_12M].to_numpy(float)
        return {
            "active_version": active,
            "n_rows": int(unseen.sum()),
            "candidate": outcome_metrics(y_fair, test_scores[unseen]),
            "active": outcome_metrics(y_fair, current.score_pairs(fair)),
        }
    except MatcherError as exc:
        return {"skipped": exc.message}


def _fit_final(
    history: pd.DataFrame, reference: Reference, *, chosen: str, random_state: int
) -> tuple[Pipeline, Scorer, dict[str, dict[str, int]]]:
    """Refit the chosen candidate on every row; its scorer carries the evidence table."""
    final = build_pipeline(reference, candidate=chosen, random_state=random_state, income=True)
    final.fit(history, history[c.ACTIVE_12M].to_numpy(), model__income=income_column(history))
    final_scorer = Scorer(version="final", pipeline=final, manifest={})
    evidence = evidence_table(history, final_scorer)
    final_scorer = Scorer(version="final", pipeline=final, manifest={"evidence": evidence})
    return final, final_scorer, evidence


def _world_metrics(
    eval_cohort: Path,
    eval_truth: Path,
    *,
    scorer: Scorer,
    history: pd.DataFrame,
    reference: Reference,
) -> dict[str, Any]:
    """Evaluate the registered model on a cohort with ground truth."""
    from matcher.contract.profile_table import validate_profiles

    cohort, _ = validate_profiles(read_table(eval_cohort), reference)
    pairs = eligible_truth_pairs(cohort, read_table(eval_truth), reference)
    # The cohort and its truth are people the history never saw, so the model
    # judged against them is the one registered (fitted on the whole history).
    world = world_report(pairs, scorer=scorer, history=history, reference=reference)
    world["cohort"] = str(eval_cohort)
    interval = interval_coverage(pairs, scorer)
    if interval is not None:
        world["interval"] = interval
    return world


def _manifest(
    data: _TrainingData,
    final: Pipeline,
    reference: Reference,
    *,
    chosen: str,
    random_state: int,
    evidence: dict[str, dict[str, int]],
    metrics: dict[str, Any],
) -> dict[str, Any]:
    """The manifest registered with the version."""
    return {
        "reference_fingerprint": reference.fingerprint,
        "history_fingerprint": _fingerprint(Path(data.path)),
        "history_path": str(data.path),
        "n_rows": len(data.history),
        "n_rejected": data.n_rejected,
        "n_train": len(data.train),
        "n_test": len(data.test),
        "split_cut_date": data.split.cut_date.strftime("%Y-%m-%d"),
        "target": c.ACTIVE_12M,
        "candidate": chosen,
        "feature_columns": list(final.named_steps["features"].get_feature_names_out()),
        "params": {
            k: repr(v)
            for k, v in final.named_steps["model"].get_params().items()
            if not k.startswith(("estimator__", "survival__", "income__"))
        },
        "income": _income_manifest(final.named_steps["model"]),
        "random_state": random_state,
        "evidence": evidence,
        "headline": {
            "roc_auc": metrics["holdout"]["overall"]["roc_auc"],
            "log_loss": metrics["holdout"]["overall"]["log_loss"],
            "brier": metrics["holdout"]["overall"]["brier"],
        },
    }


def _income_manifest(model: Any) -> dict[str, Any]:
    """Whether the version has an income part, and on how many incomes it rests."""
    has_income = getattr(model, "income_", None) is not None
    return {
        "has_income": has_income,
        "n_income_rows": int(getattr(model, "n_income_rows_", 0)),
        "min_income_rows": int(getattr(model, "min_income_rows", 0)),
        "sigma_log": round(float(model.income_sigma_), 4) if has_income else None,
        "intervals": getattr(model, "decision_cov_", None) is not None,
        "note": None
        if has_income
        else "no income part: the history has incomes for fewer active projects than "
        "needed; livelihood and expected income are not available",
    }


def _register(
    registry: Registry,
    final: Pipeline,
    *,
    manifest: dict[str, Any],
    metrics: dict[str, Any],
    history: pd.DataFrame,
    scorer: Scorer,
) -> str:
    """Save the version with its model card, beneficiaries and smoke sample.

    The smoke sample (pairs and their scores) is what every activation checks against.
    """

    def extras(folder: Path) -> None:
        from training.report import write_model_card

        pairs = sample_pairs(history)
        write_smoke_sample(folder, pairs, scorer.score_pairs(pairs))

        write_model_card(folder, manifest=manifest, metrics=metrics)
        ids = sorted(set(history[c.BENEFICIARY_ID].astype("str")))
        (folder / TRAINED_IDS).write_text("\n".join(ids) + "\n", encoding="utf-8")

    return registry.save(final, manifest, metrics=metrics, write_extras=extras)


def _activate(
    registry: Registry,
    version: str,
    *,
    reference: Reference,
    activate: bool,
    actor: str,
    reason: str,
    force: bool,
) -> tuple[bool, str | None]:
    """Activate the version (if asked) through the guarded path; (activated, refusal)."""
    if not activate:
        return False, None
    try:
        activate_version(
            registry,
            version,
            reference=reference,
            actor=actor,
            reason=reason,
            force=force,
            gate=promotion_gate,
        )
    except MatcherError as exc:
        return False, exc.message
    return True, None


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
    data = _load(history_path, reference)
    chosen, cv_scores = select_candidate(
        data.train, reference, candidates=candidates, random_state=random_state
    )
    logger.info("candidate CV log loss %s -> %s", cv_scores, chosen)
    metrics = _holdout_metrics(
        data, reference, registry, chosen=chosen, cv_scores=cv_scores, random_state=random_state
    )

    history = data.history
    final, final_scorer, evidence = _fit_final(
        history, reference, chosen=chosen, random_state=random_state
    )
    if eval_cohort is not None and eval_truth is not None:
        metrics["world"] = _world_metrics(
            eval_cohort, eval_truth, scorer=final_scorer, history=history, reference=reference
        )

    metrics["train_seconds"] = round(time.perf_counter() - started, 2)
    manifest = _manifest(
        data,
        final,
        reference,
        chosen=chosen,
        random_state=random_state,
        evidence=evidence,
        metrics=metrics,
    )
    version = _register(
        registry, final, manifest=manifest, metrics=metrics, history=history, scorer=final_scorer
    )
    activated, refusal = _activate(
        registry,
        version,
        reference=reference,
        activate=activate,
        actor=actor,
        reason=reason,
        force=force,
    )
    return TrainResult(
        version=version,
        activated=activated,
        refusal=refusal,
        metrics=metrics,
        n_rejected=data.n_rejected,
    )


__all__ = ["TrainResult", "train_model"]
