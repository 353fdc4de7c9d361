"""The model card's PNG figures: calibration, groups, sector mix and importance.

Each ``plot_*`` function draws one figure from the ``metrics`` dictionary and
returns whether it wrote the file (False when its data is missing, in which
case nothing is written). Matplotlib is imported only when a figure is drawn;
the caller selects the ``Agg`` backend first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from training.report.format import (
    GROUPING_LABELS,
    SEX_LABELS,
    as_dict,
    as_interval,
    as_number,
    as_records,
    group_label,
    holdout_by_group,
    plot_label,
    sex_label,
)

CALIBRATION_PNG: Final = "calibration.png"
GROUPS_PNG: Final = "groups.png"
SECTORS_PNG: Final = "sectors.png"
IMPORTANCE_PNG: Final = "importance.png"

TOP_FEATURES: Final = 15
TOP_SECTORS: Final = 3
DPI: Final = 110


def draw_plots(folder: Path, metrics: dict[str, Any]) -> dict[str, bool]:
    """Draw every figure into ``folder``; map each PNG file name to whether it was written."""
    return {
        CALIBRATION_PNG: plot_calibration(folder / CALIBRATION_PNG, metrics),
        GROUPS_PNG: plot_groups(folder / GROUPS_PNG, metrics),
        SECTORS_PNG: plot_sectors(folder / SECTORS_PNG, metrics),
        IMPORTANCE_PNG: plot_importance(folder / IMPORTANCE_PNG, metrics),
    }


def top_importance(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``TOP_FEATURES`` most important features, most important first."""
    rows = [r for r in as_records(metrics.get("feature_importance")) if "feature" in r]
    return sorted(rows, key=lambda r: -(as_number(r.get("importance")) or 0.0))[:TOP_FEATURES]


def _save(path: Path, draw: Callable[[Any], None], *, figsize: tuple[float, float]) -> bool:
    """Create a figure, let ``draw`` fill it, save it as PNG and close it."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    try:
        draw(fig)
        fig.savefig(path, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return True


def plot_calibration(path: Path, metrics: dict[str, Any]) -> bool:
    """Mean score against observed rate per score bin of the held-out rows."""
    points = [
        (as_number(r.get("mean_score")), as_number(r.get("mean_truth")), as_number(r.get("n")))
        for r in as_records(as_dict(metrics.get("holdout")).get("calibration_curve"))
    ]
    kept = [(x, y, n or 0.0) for x, y, n in points if x is not None and y is not None]
    if not kept:
        return False
    largest = max(n for *_, n in kept)
    sizes = [20 + 180 * n / largest if largest > 0 else 60.0 for *_, n in kept]

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="Perfect calibration")
        xs = [p[0] for p in kept]
        ys = [p[1] for p in kept]
        ax.plot(xs, ys, color="tab:blue", linewidth=1)
        ax.scatter(xs, ys, s=sizes, color="tab:blue", zorder=3, label="Bins (size = rows)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("Mean score in bin")
        ax.set_ylabel("Observed rate active at 12 months")
        ax.set_title("Calibration on held-out history")
        ax.legend(loc="upper left")
        ax.grid(alpha=0.3)

    return _save(path, draw, figsize=(5.5, 5.0))


def plot_groups(path: Path, metrics: dict[str, Any]) -> bool:
    """Held-out ROC AUC with its bootstrap interval per group, one panel per grouping."""
    by_group = {name: rows for name, rows in holdout_by_group(metrics).items() if as_records(rows)}
    if not by_group:
        return False

    def draw(fig: Any) -> None:
        axes = fig.subplots(1, len(by_group), sharey=True, squeeze=False)[0]
        for ax, (name, rows) in zip(axes, by_group.items(), strict=True):
            labels, values, low, high = [], [], [], []
            for row in as_records(rows):
                auc = as_number(row.get("roc_auc"))
                lo, hi = as_interval(row.get("roc_auc_ci")) or (None, None)
                labels.append(plot_label(group_label(name, row.get("group")), 16))
                values.append(auc if auc is not None else math.nan)
                low.append(max(auc - lo, 0.0) if auc is not None and lo is not None else 0.0)
                high.append(max(hi - auc, 0.0) if auc is not None and hi is not None else 0.0)
            xs = list(range(len(labels)))
            ax.errorbar(xs, values, yerr=[low, high], fmt="o", capsize=4, color="tab:blue")
            ax.axhline(0.5, linestyle="--", color="grey", linewidth=1)
            ax.set_xticks(xs)
            ax.set_xticklabels(labels)
            ax.set_xlim(-0.5, len(labels) - 0.5)
            ax.set_title(plot_label(GROUPING_LABELS.get(name, name)))
            ax.grid(axis="y", alpha=0.3)
        axes[0].set_ylabel("ROC AUC (95 % bootstrap interval)")
        axes[0].set_ylim(0, 1)

    return _save(path, draw, figsize=(3.2 * len(by_group) + 1, 4.0))


def _top_sectors(model: dict[str, Any], truth: dict[str, Any], sex: str) -> list[str]:
    """The sectors with the largest share for ``sex`` in the model or the truth."""
    shares: dict[str, float] = {}
    for mix in (as_dict(model.get(sex)), as_dict(truth.get(sex))):
        for sector, share in mix.items():
            shares[str(sector)] = max(shares.get(str(sector), 0.0), as_number(share) or 0.0)
    return sorted(shares, key=lambda s: (-shares[s], s))[:TOP_SECTORS]


def plot_sectors(path: Path, metrics: dict[str, Any]) -> bool:
    """Sector shares of the top 3, model next to truth, one panel per sex."""
    mix = as_dict(as_dict(metrics.get("world")).get("sector_mix_top3"))
    model, truth = as_dict(mix.get("model")), as_dict(mix.get("truth"))
    sexes: list[str] = [s for s in SEX_LABELS if s in model or s in truth]
    sexes += sorted(str(s) for s in {*model, *truth} if s not in sexes)
    if not sexes:
        return False

    def draw(fig: Any) -> None:
        axes = fig.subplots(1, len(sexes), sharey=True, squeeze=False)[0]
        for ax, sex in zip(axes, sexes, strict=True):
            sectors = _top_sectors(model, truth, sex)
            xs = list(range(len(sectors)))
            for offset, (source, name) in zip(
                (-0.2, 0.2), ((model, "Model"), (truth, "Truth")), strict=True
            ):
                values = [
                    100 * (as_number(as_dict(source.get(sex)).get(s)) or 0.0) for s in sectors
                ]
                ax.bar([x + offset for x in xs], values, width=0.4, label=name)
            ax.set_axisbelow(True)
            ax.set_xticks(xs)
            ax.set_xticklabels([plot_label(s, 16) for s in sectors])
            ax.set_title(plot_label(sex_label(sex)))
            ax.grid(axis="y", alpha=0.3)
        axes[0].set_ylabel("Share of top-3 recommendations (%)")
        axes[0].legend()

    return _save(path, draw, figsize=(4.0 * len(sexes) + 1, 4.0))


def plot_importance(path: Path, metrics: dict[str, Any]) -> bool:
    """Permutation importance of the top features, with its standard deviation."""
    rows = top_importance(metrics)
    if not rows:
        return False

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        values = [as_number(r.get("importance")) or 0.0 for r in rows]
        errors = [max(as_number(r.get("std")) or 0.0, 0.0) for r in rows]
        ax.barh(ys, values, xerr=errors, color="tab:blue", capsize=3)
        ax.set_axisbelow(True)
        ax.set_yticks(ys)
        ax.set_yticklabels([plot_label(r.get("feature")) for r in rows])
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("Drop in held-out ROC AUC when shuffled")
        ax.set_title(f"Permutation importance (top {len(rows)})")
        ax.grid(axis="x", alpha=0.3)

    return _save(path, draw, figsize=(7.0, 0.35 * len(rows) + 1.5))
