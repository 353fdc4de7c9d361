"""The promotion gate's decisions on metrics documents."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.model.gate import AUC_TOLERANCE, LOGLOSS_TOLERANCE, promotion_gate

ACTIVE_VERSION = "20260101T000000Z-aaaaaa"


def metrics(auc: float, loss: float, **extra: Any) -> dict[str, Any]:
    return {"holdout": {"overall": {"roc_auc": auc, "log_loss": loss}}, **extra}


def active(auc: float = 0.70, loss: float = 0.55) -> dict[str, Any]:
    return metrics(auc, loss, version=ACTIVE_VERSION)


def test_tolerances() -> None:
    assert pytest.approx(0.02) == AUC_TOLERANCE
    assert pytest.approx(0.02) == LOGLOSS_TOLERANCE


@pytest.mark.parametrize(
    ("auc", "loss"),
    [(0.75, 0.50), (0.70, 0.55), (0.685, 0.565), (0.681, 0.569)],
    ids=["better", "equal", "slightly-worse", "just-inside"],
)
def test_a_candidate_within_tolerance_passes(auc: float, loss: float) -> None:
    assert promotion_gate(metrics(auc, loss), active()) is None


def test_a_clearly_lower_auc_is_refused() -> None:
    refusal = promotion_gate(metrics(0.60, 0.55), active())
    assert refusal == "ROC AUC 0.600 vs 0.700"


def test_a_clearly_higher_log_loss_is_refused() -> None:
    refusal = promotion_gate(metrics(0.70, 0.60), active())
    assert refusal == "log loss 0.600 vs 0.550"


def test_both_problems_are_named() -> None:
    refusal = promotion_gate(metrics(0.52, 0.69), active())
    assert refusal == "ROC AUC 0.520 vs 0.700; log loss 0.690 vs 0.550"


def test_the_side_by_side_comparison_wins_over_own_holdouts() -> None:
    # Own held-out figures look much worse (another, harder test period), but on the
    # same rows the candidate matches the active version: it passes.
    same_rows = {
        "active_version": ACTIVE_VERSION,
        "candidate": {"roc_auc": 0.66, "log_loss": 0.58},
        "active": {"roc_auc": 0.65, "log_loss": 0.585},
    }
    assert promotion_gate(metrics(0.55, 0.70, comparison=same_rows), active()) is None

    # ... and the other way round: good own figures, clearly worse side by side.
    worse_rows = {
        "active_version": ACTIVE_VERSION,
        "candidate": {"roc_auc": 0.60, "log_loss": 0.58},
        "active": {"roc_auc": 0.68, "log_loss": 0.55},
    }
    refusal = promotion_gate(metrics(0.80, 0.40, comparison=worse_rows), active())
    assert refusal is not None
    assert "ROC AUC 0.600 vs 0.680" in refusal
    assert "log loss 0.580 vs 0.550" in refusal


def test_a_comparison_with_another_version_is_ignored() -> None:
    stale = {
        "active_version": "20250101T000000Z-bbbbbb",
        "candidate": {"roc_auc": 0.9, "log_loss": 0.3},
        "active": {"roc_auc": 0.5, "log_loss": 0.7},
    }
    refusal = promotion_gate(metrics(0.60, 0.55, comparison=stale), active())
    assert refusal == "ROC AUC 0.600 vs 0.700"


def test_a_skipped_comparison_falls_back_to_own_holdouts() -> None:
    skipped = {"skipped": "only 12 held-out rows are unseen by the active version"}
    assert promotion_gate(metrics(0.60, 0.55, comparison=skipped), active()) is not None
    assert promotion_gate(metrics(0.70, 0.55, comparison=skipped), active()) is None


def test_metrics_stored_as_text_are_read_as_numbers() -> None:
    candidate = {"holdout": {"overall": {"roc_auc": "0.6", "log_loss": "0.55"}}}
    assert promotion_gate(candidate, active()) == "ROC AUC 0.600 vs 0.700"
