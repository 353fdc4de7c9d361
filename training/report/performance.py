"""The model card's performance sections: held-out, disaggregated, comparison, importance.

Every figure is read from the ``metrics`` written by ``matcher train`` on the
held-out history (the rows after the chronological cut date).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from training.report.format import (
    COUNT_KEYS,
    GROUPING_LABELS,
    NA,
    RATE_KEYS,
    as_dict,
    as_number,
    as_records,
    fmt_ci,
    fmt_count,
    fmt_metric,
    fmt_number,
    fmt_pct,
    group_label,
    holdout_by_group,
    image_link,
    table,
)
from training.report.plots import CALIBRATION_PNG, GROUPS_PNG, IMPORTANCE_PNG, top_importance

OVERALL_METRICS: Final = (
    ("roc_auc", "ROC AUC", "higher is better"),
    ("log_loss", "Log loss", "lower is better"),
    ("brier", "Brier score", "lower is better"),
    ("ece", "Expected calibration error", "lower is better"),
    ("n", "Held-out rows", ""),
    ("observed_rate", "Observed rate active at 12 months", ""),
    ("mean_score", "Mean score", "close to the observed rate"),
)


def holdout_metrics(
    manifest: dict[str, Any], metrics: dict[str, Any], plots: Mapping[str, bool]
) -> str:
    """Overall held-out metrics and the calibration plot."""
    overall = as_dict(as_dict(metrics.get("holdout")).get("overall"))
    split = manifest.get("split_cut_date")
    intro = (
        "Outcomes of projects funded after the cut date "
        f"({split or NA}), for people who do not appear in the training rows."
    )
    parts = ["## Metrics on held-out history", intro]
    if overall:
        rows = [
            (label, fmt_metric(key, overall.get(key)), hint) for key, label, hint in OVERALL_METRICS
        ]
        parts.append(table(["Metric", "Value", "Reading"], rows))
    else:
        parts.append(f"Held-out metrics: {NA}.")
    parts.append("### Calibration")
    parts.append(
        "Each point is a score bin: its mean score against the share of its "
        "projects active at 12 months. Points on the diagonal mean the score can "
        "be read as a probability."
    )
    parts.append(image_link(plots, CALIBRATION_PNG, "Calibration plot"))
    return "\n\n".join(parts)


def disaggregated(metrics: dict[str, Any], plots: Mapping[str, bool]) -> str:
    """Held-out metrics per group, with bootstrap intervals and the groups plot."""
    by_group = holdout_by_group(metrics)
    parts = [
        "## Disaggregated results",
        "Held-out metrics per group, with 95 % bootstrap intervals.",
    ]
    if not by_group:
        parts.append(f"Disaggregated results: {NA}.")
    for name, rows in by_group.items():
        parts.append(f"### By {GROUPING_LABELS.get(name, name).lower()}")
        table_rows = [
            (
                group_label(name, r.get("group")),
                fmt_count(r.get("n")),
                fmt_pct(r.get("observed_rate")),
                fmt_pct(r.get("mean_score")),
                fmt_number(r.get("roc_auc")),
                fmt_ci(r.get("roc_auc_ci")),
                fmt_number(r.get("brier")),
                fmt_ci(r.get("brier_ci")),
            )
            for r in as_records(rows)
        ]
        header = [
            "Group",
            "n",
            "Observed rate",
            "Mean score",
            "ROC AUC",
            "ROC AUC 95 % CI",
            "Brier",
            "Brier 95 % CI",
        ]
        parts.append(table(header, table_rows) if table_rows else f"{NA}.")
    parts.append(image_link(plots, GROUPS_PNG, "ROC AUC by group"))
    return "\n\n".join(parts)


def comparison(metrics: dict[str, Any]) -> str:
    """The new version against the active one on the same held-out rows (or why not)."""
    parts = ["## Comparison with the active version"]
    comparison = metrics.get("comparison")
    if not isinstance(comparison, dict) or not comparison:
        parts.append(f"{NA.capitalize()}: there was no active version at training time.")
        return "\n\n".join(parts)
    if comparison.get("skipped"):
        parts.append(f"Comparison skipped: {comparison['skipped']}")
        return "\n\n".join(parts)
    new, old = as_dict(comparison.get("candidate")), as_dict(comparison.get("active"))
    parts.append(
        f"Both models scored on the same held-out rows; active version: "
        f"`{comparison.get('active_version') or NA}`."
    )
    rows = []
    for key, label, hint in OVERALL_METRICS:
        if key not in new and key not in old:
            continue
        a, b = as_number(new.get(key)), as_number(old.get(key))
        if key in COUNT_KEYS:
            diff = ""
        elif a is None or b is None:
            diff = NA
        elif key in RATE_KEYS:
            diff = f"{100 * (a - b):+.1f} points"
        else:
            diff = f"{a - b:+.3f}"
        rows.append(
            (label, fmt_metric(key, new.get(key)), fmt_metric(key, old.get(key)), diff, hint)
        )
    parts.append(table(["Metric", "This version", "Active version", "Difference", "Reading"], rows))
    return "\n\n".join(parts)


def importance(metrics: dict[str, Any], plots: Mapping[str, bool]) -> str:
    """Permutation importance of the top features, as a table and a plot."""
    rows = top_importance(metrics)
    parts = [
        "## Feature importance",
        "Permutation importance on the held-out rows: the drop in ROC AUC when one "
        "feature is shuffled (mean ± standard deviation over repeats).",
    ]
    if rows:
        parts.append(
            table(
                ["Rank", "Feature", "Importance", "Std"],
                [
                    (
                        str(i),
                        str(r.get("feature")),
                        fmt_number(r.get("importance")),
                        fmt_number(r.get("std")),
                    )
                    for i, r in enumerate(rows, start=1)
                ],
            )
        )
    else:
        parts.append(f"Feature importance: {NA}.")
    parts.append(image_link(plots, IMPORTANCE_PNG, "Feature importance"))
    return "\n\n".join(parts)
