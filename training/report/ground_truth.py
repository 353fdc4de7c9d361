"""The model card's ranking section, against the ground truth of a synthetic cohort.

Only a synthetic world knows each person's true chance of success per project
type; when ``metrics["world"]`` is present, the model's rankings are compared
with the baselines' and with the oracle's, overall, by group, and in the sector
mix of the top 3 recommended to women and to men.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from training.report.format import (
    GROUPING_LABELS,
    NA,
    SEX_LABELS,
    as_dict,
    as_number,
    as_records,
    fmt_count,
    fmt_number,
    fmt_pct,
    group_label,
    image_link,
    sex_label,
    table,
)
from training.report.plots import SECTORS_PNG

WOMEN_GAP_LIMIT_POINTS: Final = 5.0
RANKING_KEYS: Final = (
    "ndcg_at_5",
    "top1_true_success",
    "top1_best_possible",
    "top1_ratio",
    "ece_top5_vs_truth",
    "mae_top5_vs_truth",
)
RANKING_LABELS: Final = {
    "ndcg_at_5": "NDCG@5",
    "top1_true_success": "Top-1 true success",
    "top1_best_possible": "Best possible top-1",
    "top1_ratio": "Top-1 / best",
    "ece_top5_vs_truth": "ECE of top 5 vs truth",
    "mae_top5_vs_truth": "MAE of top 5 vs truth",
}
RANKERS: Final = (
    ("model", "Model"),
    ("baseline_popularity", "Baseline: popularity of the project type"),
    ("baseline_training_rule", "Baseline: rank by training (counsellor's rule)"),
    ("oracle", "Oracle: true probabilities"),
)


def ranking(metrics: dict[str, Any], plots: Mapping[str, bool]) -> str:
    """Ranking quality against the truth: rankers, groups and sector mix (or why not)."""
    world = as_dict(metrics.get("world"))
    parts = ["## Ranking quality against ground truth"]
    if not world:
        parts.append(
            f"{NA.capitalize()}: no cohort with ground truth was given at training "
            "(only a synthetic world has one)."
        )
        return "\n\n".join(parts)
    cohort = world.get("cohort")
    parts.append(
        f"Cohort: {cohort or NA}; {fmt_count(world.get('n_beneficiaries'))} people, "
        f"{fmt_count(world.get('n_pairs'))} eligible (person, project type) pairs. "
        "Each ranking is compared with the ranking by the true probabilities. The model "
        "judged is this version (fitted on the whole history: the cohort's people are not "
        "in it); the popularity baseline counts the whole history too."
    )
    keys = list(as_dict(world.get("model"))) or list(RANKING_KEYS)
    rows = [
        (label, *(fmt_number(as_dict(world.get(key)).get(k)) for k in keys))
        for key, label in RANKERS
        if key in world
    ]
    names = [RANKING_LABELS.get(k, k) for k in keys]
    parts.append(table(["Ranking", *names], rows) if rows else f"{NA}.")
    by_group = as_dict(world.get("by_group"))
    if by_group:
        parts.append("### Model ranking quality by group")
        group_rows = [
            (
                GROUPING_LABELS.get(name, name),
                group_label(name, r.get("group")),
                *(fmt_number(r.get(k)) for k in keys),
            )
            for name, rows_ in by_group.items()
            for r in as_records(rows_)
        ]
        parts.append(table(["Factor", "Group", *names], group_rows))
    parts.append("### Sector mix of the top 3 by sex")
    parts.append(_sector_mix(world))
    parts.append(image_link(plots, SECTORS_PNG, "Sector mix of the top 3, model vs truth"))
    parts.append(_stereotype_shift(as_dict(world.get("stereotype_shift"))))
    return "\n\n".join(parts)


def _stereotype_shift(shift: dict[str, Any]) -> str:
    """The stereotype shift with its bootstrap interval, and a warning only when it is real."""
    parts = ["### Stereotype shift"]
    if not shift:
        parts.append(f"{NA.capitalize()}: the history shows no sector that women were pushed into.")
        return "\n\n".join(parts)
    low, high = (as_number(v) for v in (shift.get("interval") or [None, None]))
    pushed = ", ".join(str(s) for s in shift.get("pushed_sectors") or []) or NA
    parts.append(
        f"Sectors the history pushed women into (women's share of funded projects at least "
        f"5 points above men's): {pushed}. The shift is how much more of the women's top 3 "
        "than of the men's the model puts in those sectors, each measured against the "
        f"ranking by the truth (objective {shift.get('objective', NA)}): "
        f"**{fmt_number(shift.get('shift_points'), 1)} points**, "
        f"{round(100 * (as_number(shift.get('level')) or 0.95))} % bootstrap interval "
        f"[{fmt_number(low, 1)}, {fmt_number(high, 1)}] ({fmt_count(shift.get('n_women'))} "
        f"women, {fmt_count(shift.get('n_men'))} men)."
    )
    if shift.get("steering"):
        parts.append(
            "**Warning: the model steers women towards the sectors they were pushed into** "
            "(the whole interval lies above zero). Do not activate it before finding the "
            "feature that carries sex."
        )
    else:
        parts.append(
            "No steering is shown: the interval does not lie above zero, so the gaps in the "
            "sector mix above are within what estimation noise gives both groups."
        )
    return "\n\n".join(parts)


def _sector_mix(world: dict[str, Any]) -> str:
    """The top-3 sector mix by sex, model against truth, and the women's largest gap."""
    mix = as_dict(world.get("sector_mix_top3"))
    model, truth = as_dict(mix.get("model")), as_dict(mix.get("truth"))
    rows = []
    for sex in sorted({*model, *truth}, key=lambda s: (s not in SEX_LABELS, str(s))):
        sectors = sorted(
            {*as_dict(model.get(sex)), *as_dict(truth.get(sex))},
            key=lambda s: -(as_number(as_dict(model.get(sex)).get(s)) or 0.0),
        )
        for sector in sectors:
            m = as_number(as_dict(model.get(sex)).get(sector))
            t = as_number(as_dict(truth.get(sex)).get(sector))
            diff = f"{100 * (m - t):+.1f}" if m is not None and t is not None else NA
            rows.append((sex_label(sex), str(sector), fmt_pct(m), fmt_pct(t), diff))
    parts = [
        "Share of each sector among the top 3 recommendations, by sex: the model "
        "next to what the true probabilities would recommend.",
        table(["Sex", "Sector", "Model", "Truth", "Gap (points)"], rows) if rows else f"{NA}.",
    ]
    gap = as_number(world.get("women_sector_mix_max_gap_points"))
    limit = WOMEN_GAP_LIMIT_POINTS
    if gap is None:
        parts.append(f"Largest gap in the women's sector mix: {NA}.")
    elif gap <= limit:
        parts.append(
            f"**The women's sector mix is within {limit:g} points of the truth's** "
            f"(largest gap {gap:.1f} points)."
        )
    else:
        parts.append(
            f"**Warning: the women's sector mix is NOT within {limit:g} points of the "
            f"truth's** (largest gap {gap:.1f} points). Check whether the model "
            "reproduces historical steering before activating it."
        )
    men = as_number(world.get("men_sector_mix_max_gap_points"))
    if men is not None:
        parts.append(
            f"For comparison, the largest gap in the men's mix is {men:.1f} points: a gap "
            "both groups share comes from the ranking in general; one only women show "
            "would be steering."
        )
    return "\n\n".join(parts)
