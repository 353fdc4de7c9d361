"""The promotion gate: refuse to activate a version clearly worse than the active one."""

from __future__ import annotations

from typing import Any, Final

AUC_TOLERANCE: Final = 0.02
LOGLOSS_TOLERANCE: Final = 0.02


def promotion_gate(candidate: dict[str, Any], active: dict[str, Any]) -> str | None:
    """Return why ``candidate`` must not replace ``active``, or None.

    Both arguments are ``metrics.json`` contents. When the candidate was
    evaluated side by side with the active model on the same held-out rows
    (``comparison``), that like-for-like figure is used; otherwise each
    version's own held-out figures.
    """
    comparison = candidate.get("comparison") or {}
    if comparison.get("active_version") and comparison.get("active_version") == active.get(
        "version"
    ):
        new, old = comparison.get("candidate", {}), comparison.get("active", {})
    else:
        new = candidate.get("holdout", {}).get("overall", {})
        old = active.get("holdout", {}).get("overall", {})
    problems = []
    if _num(new, "roc_auc") < _num(old, "roc_auc") - AUC_TOLERANCE:
        problems.append(f"ROC AUC {_num(new, 'roc_auc'):.3f} vs {_num(old, 'roc_auc'):.3f}")
    if _num(new, "log_loss") > _num(old, "log_loss") + LOGLOSS_TOLERANCE:
        problems.append(f"log loss {_num(new, 'log_loss'):.3f} vs {_num(old, 'log_loss'):.3f}")
    return "; ".join(problems) or None


def _num(metrics: dict[str, Any], key: str) -> float:
    value = metrics.get(key)
    try:
        return float(value) if value is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")
