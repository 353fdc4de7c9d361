"""The model card of a model version: ``report.md`` plus PNG plots.

The card follows Mitchell et al., "Model Cards for Model Reporting" (2019):
model details, intended use, out-of-scope uses, factors, metrics,
evaluation results (overall and disaggregated), ethical considerations and
caveats. Every figure in it is read from the ``manifest`` and ``metrics``
dictionaries written by ``matcher train``; a missing entry shows as
"not available" instead of failing.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

REPORT: Final = "report.md"
CALIBRATION_PNG: Final = "calibration.png"
GROUPS_PNG: Final = "groups.png"
SECTORS_PNG: Final = "sectors.png"
IMPORTANCE_PNG: Final = "importance.png"

NA: Final = "not available"
TOP_FEATURES: Final = 15
TOP_SECTORS: Final = 3
WOMEN_GAP_LIMIT_POINTS: Final = 5.0
SMALL_GROUP: Final = 100
FINGERPRINT_CHARS: Final = 12
DPI: Final = 110

OVERALL_METRICS: Final = (
    ("roc_auc", "ROC AUC", "higher is better"),
    ("log_loss", "Log loss", "lower is better"),
    ("brier", "Brier score", "lower is better"),
    ("ece", "Expected calibration error", "lower is better"),
    ("n", "Held-out rows", ""),
    ("observed_rate", "Observed rate active at 12 months", ""),
    ("mean_score", "Mean score", "close to the observed rate"),
)
RATE_KEYS: Final = frozenset({"observed_rate", "mean_score"})
COUNT_KEYS: Final = frozenset({"n", "n_rows", "n_train", "n_test", "n_rejected"})
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
SEX_LABELS: Final = {"F": "Women", "M": "Men"}
GROUPING_LABELS: Final = {"sex": "Sex", "age_band": "Age band", "milieu": "Milieu"}


def write_model_card(folder: Path, *, manifest: dict[str, Any], metrics: dict[str, Any]) -> Path:
    """Write the model card of one model version into ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        The model version's folder (created if missing). When it already holds
        the registry's ``manifest.json``, that file fills the entries the
        ``manifest`` argument lacks (version, creation time, library versions).
    manifest : dict
        The version's manifest (counts, split date, fingerprints, history path).
    metrics : dict
        The evaluation written by ``matcher train`` (``holdout``,
        ``feature_importance`` and optionally ``world`` and ``comparison``).

    Returns
    -------
    pathlib.Path
        The path of ``report.md``. Next to it: ``calibration.png``,
        ``groups.png``, ``importance.png`` and, when ``metrics["world"]`` is
        present, ``sectors.png`` (each only when its data is available).
    """
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {**_stored_manifest(folder), **manifest}
    plots = {
        CALIBRATION_PNG: _plot_calibration(folder / CALIBRATION_PNG, metrics),
        GROUPS_PNG: _plot_groups(folder / GROUPS_PNG, metrics),
        SECTORS_PNG: _plot_sectors(folder / SECTORS_PNG, metrics),
        IMPORTANCE_PNG: _plot_importance(folder / IMPORTANCE_PNG, metrics),
    }
    sections = [
        _title(folder, manifest),
        _model_details(folder, manifest, metrics),
        _intended_use(),
        _out_of_scope(),
        _factors(metrics),
        _holdout_metrics(manifest, metrics, plots),
        _disaggregated(metrics, plots),
        _ranking(metrics, plots),
        _comparison(metrics),
        _importance(metrics, plots),
        _ethics(metrics),
        _caveats(manifest, metrics),
    ]
    path = folder / REPORT
    path.write_text("\n\n".join(s.strip("\n") for s in sections) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- helpers


def _stored_manifest(folder: Path) -> dict[str, Any]:
    """The registry's ``manifest.json`` in ``folder``, or an empty dict."""
    try:
        stored = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _fmt(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals; "n/a" when missing or not finite."""
    if value is None:
        return NA
    number = _number(value)
    if number is None:
        return "n/a" if isinstance(value, (int, float)) else _cell(value)
    return f"{number:.{digits}f}"


def _count(value: Any) -> str:
    """A count with thousands separators."""
    number = _number(value)
    if number is None:
        return NA
    return f"{round(number):,}"


def _pct(value: Any, digits: int = 1) -> str:
    """A share (0-1) as a percentage."""
    number = _number(value)
    if number is None:
        return NA if value is None else "n/a"
    return f"{100 * number:.{digits}f} %"


def _metric(key: str, value: Any) -> str:
    """Format one metric by its kind (count, rate or score)."""
    if key in COUNT_KEYS:
        return _count(value)
    if key in RATE_KEYS:
        return _pct(value)
    return _fmt(value)


def _pair(value: Any) -> tuple[float | None, float | None] | None:
    """A (lo, hi) interval as two optional floats; None when not an interval."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        return None
    return _number(value[0]), _number(value[1])


def _ci(value: Any) -> str:
    """A (lo, hi) interval as "[lo, hi]"."""
    pair = _pair(value)
    if pair is None:
        return NA
    lo, hi = pair
    if lo is None or hi is None:
        return "n/a"
    return f"[{lo:.3f}, {hi:.3f}]"


def _cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def _rows(value: Any) -> list[dict[str, Any]]:
    """The dict items of ``value`` if it is a list."""
    if not isinstance(value, list):
        return []
    return [row for row in value if isinstance(row, dict)]


def _label(value: Any, limit: int = 40) -> str:
    """A plot label the default font can draw (ASCII, truncated)."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
    text = text.strip() or "?"
    return text if len(text) <= limit else text[: limit - 1] + "~"


def _sex_label(sex: Any) -> str:
    return SEX_LABELS.get(str(sex), str(sex))


def _image(plots: Mapping[str, bool], name: str, alt: str) -> str:
    """A Markdown image link, or a "not available" note."""
    if plots.get(name):
        return f"![{alt}]({name})"
    return f"*Plot not available ({alt.lower()}).*"


# --------------------------------------------------------------------------- plots


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


def _plot_calibration(path: Path, metrics: dict[str, Any]) -> bool:
    points = [
        (_number(r.get("mean_score")), _number(r.get("mean_truth")), _number(r.get("n")))
        for r in _rows(_dict(metrics.get("holdout")).get("calibration_curve"))
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


def _plot_groups(path: Path, metrics: dict[str, Any]) -> bool:
    by_group = {
        name: rows
        for name, rows in _dict(_dict(metrics.get("holdout")).get("by_group")).items()
        if _rows(rows)
    }
    if not by_group:
        return False

    def draw(fig: Any) -> None:
        axes = fig.subplots(1, len(by_group), sharey=True, squeeze=False)[0]
        for ax, (name, rows) in zip(axes, by_group.items(), strict=True):
            labels, values, low, high = [], [], [], []
            for row in _rows(rows):
                auc = _number(row.get("roc_auc"))
                lo, hi = _pair(row.get("roc_auc_ci")) or (None, None)
                group = row.get("group")
                labels.append(_label(_sex_label(group) if name == "sex" else group, 16))
                values.append(auc if auc is not None else math.nan)
                low.append(max(auc - lo, 0.0) if auc is not None and lo is not None else 0.0)
                high.append(max(hi - auc, 0.0) if auc is not None and hi is not None else 0.0)
            xs = list(range(len(labels)))
            ax.errorbar(xs, values, yerr=[low, high], fmt="o", capsize=4, color="tab:blue")
            ax.axhline(0.5, linestyle="--", color="grey", linewidth=1)
            ax.set_xticks(xs)
            ax.set_xticklabels(labels)
            ax.set_xlim(-0.5, len(labels) - 0.5)
            ax.set_title(_label(GROUPING_LABELS.get(name, name)))
            ax.grid(axis="y", alpha=0.3)
        axes[0].set_ylabel("ROC AUC (95 % bootstrap interval)")
        axes[0].set_ylim(0, 1)

    return _save(path, draw, figsize=(3.2 * len(by_group) + 1, 4.0))


def _top_sectors(model: dict[str, Any], truth: dict[str, Any], sex: str) -> list[str]:
    """The sectors with the largest share for ``sex`` in the model or the truth."""
    shares: dict[str, float] = {}
    for mix in (_dict(model.get(sex)), _dict(truth.get(sex))):
        for sector, share in mix.items():
            shares[str(sector)] = max(shares.get(str(sector), 0.0), _number(share) or 0.0)
    return sorted(shares, key=lambda s: (-shares[s], s))[:TOP_SECTORS]


def _plot_sectors(path: Path, metrics: dict[str, Any]) -> bool:
    mix = _dict(_dict(metrics.get("world")).get("sector_mix_top3"))
    model, truth = _dict(mix.get("model")), _dict(mix.get("truth"))
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
                values = [100 * (_number(_dict(source.get(sex)).get(s)) or 0.0) for s in sectors]
                ax.bar([x + offset for x in xs], values, width=0.4, label=name)
            ax.set_axisbelow(True)
            ax.set_xticks(xs)
            ax.set_xticklabels([_label(s, 16) for s in sectors])
            ax.set_title(_label(_sex_label(sex)))
            ax.grid(axis="y", alpha=0.3)
        axes[0].set_ylabel("Share of top-3 recommendations (%)")
        axes[0].legend()

    return _save(path, draw, figsize=(4.0 * len(sexes) + 1, 4.0))


def _top_importance(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [r for r in _rows(metrics.get("feature_importance")) if "feature" in r]
    return sorted(rows, key=lambda r: -(_number(r.get("importance")) or 0.0))[:TOP_FEATURES]


def _plot_importance(path: Path, metrics: dict[str, Any]) -> bool:
    rows = _top_importance(metrics)
    if not rows:
        return False

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        values = [_number(r.get("importance")) or 0.0 for r in rows]
        errors = [max(_number(r.get("std")) or 0.0, 0.0) for r in rows]
        ax.barh(ys, values, xerr=errors, color="tab:blue", capsize=3)
        ax.set_axisbelow(True)
        ax.set_yticks(ys)
        ax.set_yticklabels([_label(r.get("feature")) for r in rows])
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("Drop in held-out ROC AUC when shuffled")
        ax.set_title(f"Permutation importance (top {len(rows)})")
        ax.grid(axis="x", alpha=0.3)

    return _save(path, draw, figsize=(7.0, 0.35 * len(rows) + 1.5))


# --------------------------------------------------------------------------- sections


def _version(folder: Path, manifest: dict[str, Any]) -> str:
    return str(manifest.get("version") or folder.name)


def _title(folder: Path, manifest: dict[str, Any]) -> str:
    return f"# Model card — matcher {_version(folder, manifest)}"


def _model_details(folder: Path, manifest: dict[str, Any], metrics: dict[str, Any]) -> str:
    candidate = metrics.get("candidate") or manifest.get("candidate")
    created = manifest.get("created_at") or manifest.get("created")
    split = manifest.get("split_cut_date")
    rows = [
        ("Version", _version(folder, manifest)),
        ("Created", str(created) if created else NA),
        ("Model family (chosen candidate)", str(candidate) if candidate else NA),
        ("Target", str(manifest.get("target") or NA)),
        ("Rows in the history (accepted)", _count(manifest.get("n_rows"))),
        ("Rows used for training (before the cut)", _count(manifest.get("n_train"))),
        ("Rows held out (after the cut)", _count(manifest.get("n_test"))),
        ("Rows rejected by validation", _count(manifest.get("n_rejected"))),
        ("Chronological split cut date", str(split) if split else NA),
        ("Catalogue fingerprint", _short(manifest.get("reference_fingerprint"))),
        ("History fingerprint", _short(manifest.get("history_fingerprint"))),
    ]
    parts = [
        "## Model details",
        "Estimates, for each eligible project type, the calibrated chance that the "
        "business is still active 12 months after funding. Learned from the "
        "follow-up outcomes of past projects; the final model is refitted on all "
        "accepted rows after evaluation.",
        _table(["Item", "Value"], rows),
        "### Cross-validated log loss per candidate",
        "Grouped 3-fold cross-validation on the training side (lower is better); the lowest wins.",
    ]
    cv = _dict(metrics.get("cv_log_loss"))
    if cv:
        parts.append(
            _table(
                ["Candidate", "CV log loss", "Chosen"],
                [(str(k), _fmt(v), "yes" if k == candidate else "") for k, v in cv.items()],
            )
        )
    else:
        parts.append(f"Cross-validation results: {NA}.")
    parts.append("### Library versions")
    versions = _dict(manifest.get("framework_versions"))
    if versions:
        parts.append(
            _table(["Library", "Version"], [(str(k), str(v)) for k, v in versions.items()])
        )
    else:
        parts.append(f"Library versions: {NA}.")
    return "\n\n".join(parts)


def _short(value: Any) -> str:
    return f"`{str(value)[:FINGERPRINT_CHARS]}`" if value else NA


def _intended_use() -> str:
    return """## Intended use

* **Decision support during the diagnosis interview** at the Foundation's
  reintegration centres: for one person leaving prison, matcher ranks the
  project types they are eligible for by their estimated chance of being
  active at 12 months.
* **The counsellor decides.** The ranking, its scores and the evidence behind
  each recommendation inform the conversation with the person; the counsellor
  and the person choose the project.
* Intended users: reintegration counsellors (the ranking) and analysts (this
  card, to judge whether a model version may be activated)."""


def _out_of_scope() -> str:
    return """## Out-of-scope uses

* Deciding **who is eligible** for funding, or **how much** funding a person
  receives.
* **Any automated decision** taken without a counsellor.
* Scoring people **outside the catalogue's regions** (the model has never seen
  them, and the catalogue's census figures do not describe them).
* **Using sex.** Sex is never a model feature; it is used only for the fairness
  audit in this card."""


def _factors(metrics: dict[str, Any]) -> str:
    by_group = _dict(_dict(metrics.get("holdout")).get("by_group"))
    bullets = []
    for name in (*GROUPING_LABELS, *(n for n in by_group if n not in GROUPING_LABELS)):
        groups = [
            _sex_label(r.get("group")) if name == "sex" else str(r.get("group"))
            for r in _rows(by_group.get(name))
        ]
        bullets.append(f"* **{GROUPING_LABELS.get(name, name)}**: {', '.join(groups) or NA}")
    return "\n\n".join(
        [
            "## Factors",
            "Results are disaggregated by the factors below (sex is an audit factor "
            "only, never a model input):",
            "\n".join(bullets),
        ]
    )


def _holdout_metrics(
    manifest: dict[str, Any], metrics: dict[str, Any], plots: Mapping[str, bool]
) -> str:
    overall = _dict(_dict(metrics.get("holdout")).get("overall"))
    split = manifest.get("split_cut_date")
    intro = (
        "Outcomes of projects funded after the cut date "
        f"({split or NA}), for people who do not appear in the training rows."
    )
    parts = ["## Metrics on held-out history", intro]
    if overall:
        rows = [
            (label, _metric(key, overall.get(key)), hint) for key, label, hint in OVERALL_METRICS
        ]
        parts.append(_table(["Metric", "Value", "Reading"], rows))
    else:
        parts.append(f"Held-out metrics: {NA}.")
    parts.append("### Calibration")
    parts.append(
        "Each point is a score bin: its mean score against the share of its "
        "projects active at 12 months. Points on the diagonal mean the score can "
        "be read as a probability."
    )
    parts.append(_image(plots, CALIBRATION_PNG, "Calibration plot"))
    return "\n\n".join(parts)


def _disaggregated(metrics: dict[str, Any], plots: Mapping[str, bool]) -> str:
    by_group = _dict(_dict(metrics.get("holdout")).get("by_group"))
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
                _sex_label(r.get("group")) if name == "sex" else str(r.get("group")),
                _count(r.get("n")),
                _pct(r.get("observed_rate")),
                _pct(r.get("mean_score")),
                _fmt(r.get("roc_auc")),
                _ci(r.get("roc_auc_ci")),
                _fmt(r.get("brier")),
                _ci(r.get("brier_ci")),
            )
            for r in _rows(rows)
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
        parts.append(_table(header, table_rows) if table_rows else f"{NA}.")
    parts.append(_image(plots, GROUPS_PNG, "ROC AUC by group"))
    return "\n\n".join(parts)


def _ranking(metrics: dict[str, Any], plots: Mapping[str, bool]) -> str:
    world = _dict(metrics.get("world"))
    parts = ["## Ranking quality against ground truth"]
    if not world:
        parts.append(
            f"{NA.capitalize()}: no cohort with ground truth was given at training "
            "(only a synthetic world has one)."
        )
        return "\n\n".join(parts)
    cohort = world.get("cohort")
    parts.append(
        f"Cohort: {cohort or NA}; {_count(world.get('n_beneficiaries'))} people, "
        f"{_count(world.get('n_pairs'))} eligible (person, project type) pairs. "
        "Each ranking is compared with the ranking by the true probabilities. The model "
        "judged is this version (fitted on the whole history: the cohort's people are not "
        "in it); the popularity baseline counts the whole history too."
    )
    keys = list(_dict(world.get("model"))) or list(RANKING_KEYS)
    rows = [
        (label, *(_fmt(_dict(world.get(key)).get(k)) for k in keys))
        for key, label in RANKERS
        if key in world
    ]
    names = [RANKING_LABELS.get(k, k) for k in keys]
    parts.append(_table(["Ranking", *names], rows) if rows else f"{NA}.")
    by_group = _dict(world.get("by_group"))
    if by_group:
        parts.append("### Model ranking quality by group")
        group_rows = [
            (
                GROUPING_LABELS.get(name, name),
                _sex_label(r.get("group")) if name == "sex" else str(r.get("group")),
                *(_fmt(r.get(k)) for k in keys),
            )
            for name, rows_ in by_group.items()
            for r in _rows(rows_)
        ]
        parts.append(_table(["Factor", "Group", *names], group_rows))
    parts.append("### Sector mix of the top 3 by sex")
    parts.append(_sector_mix(world))
    parts.append(_image(plots, SECTORS_PNG, "Sector mix of the top 3, model vs truth"))
    return "\n\n".join(parts)


def _sector_mix(world: dict[str, Any]) -> str:
    mix = _dict(world.get("sector_mix_top3"))
    model, truth = _dict(mix.get("model")), _dict(mix.get("truth"))
    rows = []
    for sex in sorted({*model, *truth}, key=lambda s: (s not in SEX_LABELS, str(s))):
        sectors = sorted(
            {*_dict(model.get(sex)), *_dict(truth.get(sex))},
            key=lambda s: -(_number(_dict(model.get(sex)).get(s)) or 0.0),
        )
        for sector in sectors:
            m = _number(_dict(model.get(sex)).get(sector))
            t = _number(_dict(truth.get(sex)).get(sector))
            diff = f"{100 * (m - t):+.1f}" if m is not None and t is not None else NA
            rows.append((_sex_label(sex), str(sector), _pct(m), _pct(t), diff))
    parts = [
        "Share of each sector among the top 3 recommendations, by sex: the model "
        "next to what the true probabilities would recommend.",
        _table(["Sex", "Sector", "Model", "Truth", "Gap (points)"], rows) if rows else f"{NA}.",
    ]
    gap = _number(world.get("women_sector_mix_max_gap_points"))
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
    men = _number(world.get("men_sector_mix_max_gap_points"))
    if men is not None:
        parts.append(
            f"For comparison, the largest gap in the men's mix is {men:.1f} points: a gap "
            "both groups share comes from the ranking in general; one only women show "
            "would be steering."
        )
    return "\n\n".join(parts)


def _comparison(metrics: dict[str, Any]) -> str:
    parts = ["## Comparison with the active version"]
    comparison = metrics.get("comparison")
    if not isinstance(comparison, dict) or not comparison:
        parts.append(f"{NA.capitalize()}: there was no active version at training time.")
        return "\n\n".join(parts)
    if comparison.get("skipped"):
        parts.append(f"Comparison skipped: {comparison['skipped']}")
        return "\n\n".join(parts)
    new, old = _dict(comparison.get("candidate")), _dict(comparison.get("active"))
    parts.append(
        f"Both models scored on the same held-out rows; active version: "
        f"`{comparison.get('active_version') or NA}`."
    )
    rows = []
    for key, label, hint in OVERALL_METRICS:
        if key not in new and key not in old:
            continue
        a, b = _number(new.get(key)), _number(old.get(key))
        if key in COUNT_KEYS:
            diff = ""
        elif a is None or b is None:
            diff = NA
        elif key in RATE_KEYS:
            diff = f"{100 * (a - b):+.1f} points"
        else:
            diff = f"{a - b:+.3f}"
        rows.append((label, _metric(key, new.get(key)), _metric(key, old.get(key)), diff, hint))
    parts.append(
        _table(["Metric", "This version", "Active version", "Difference", "Reading"], rows)
    )
    return "\n\n".join(parts)


def _importance(metrics: dict[str, Any], plots: Mapping[str, bool]) -> str:
    rows = _top_importance(metrics)
    parts = [
        "## Feature importance",
        "Permutation importance on the held-out rows: the drop in ROC AUC when one "
        "feature is shuffled (mean ± standard deviation over repeats).",
    ]
    if rows:
        parts.append(
            _table(
                ["Rank", "Feature", "Importance", "Std"],
                [
                    (str(i), str(r.get("feature")), _fmt(r.get("importance")), _fmt(r.get("std")))
                    for i, r in enumerate(rows, start=1)
                ],
            )
        )
    else:
        parts.append(f"Feature importance: {NA}.")
    parts.append(_image(plots, IMPORTANCE_PNG, "Feature importance"))
    return "\n\n".join(parts)


def _small_groups(metrics: dict[str, Any]) -> list[str]:
    """Held-out groups with fewer than ``SMALL_GROUP`` rows."""
    by_group = _dict(_dict(metrics.get("holdout")).get("by_group"))
    out = []
    for name, rows in by_group.items():
        for r in _rows(rows):
            n = _number(r.get("n"))
            if n is not None and n < SMALL_GROUP:
                group = _sex_label(r.get("group")) if name == "sex" else str(r.get("group"))
                out.append(f"{GROUPING_LABELS.get(name, name).lower()} {group} (n = {round(n)})")
    return out


def _ethics(metrics: dict[str, Any]) -> str:
    small = _small_groups(metrics)
    small_text = (
        f"Groups with fewer than {SMALL_GROUP} held-out rows: {'; '.join(small)}."
        if small
        else f"No held-out group has fewer than {SMALL_GROUP} rows."
    )
    return f"""## Ethical considerations

* **Historical choices carried stereotypes.** The history records the projects
  counsellors chose, and those choices carried stereotypes — for example women
  were steered towards sewing — whatever would have worked for them.
* **The model learns from outcomes, with sex excluded.** It is trained on
  whether projects were still active at 12 months, and sex is never a feature.
  Proxies can still carry it, which is why the audit above compares groups and,
  when ground truth is available, the sector mix of women's and men's
  recommendations with what the truth would recommend: it checks that the
  model does not reproduce the steering.
* **Small groups give wide intervals.** Read the confidence intervals before
  concluding that a group is well or badly served. {small_text}
* **Thin evidence is flagged per recommendation.** When few similar projects
  back a recommendation, the counsellor sees it flagged.
* **Incomes inform the per-type and per-market effects.** Each type's and
  market's *income record* (what its surviving projects earned against
  comparable people) is the centre the model shrinks that type's survival
  effect towards. In real follow-up data, incomes can be lower for reasons that
  have nothing to do with viability (for example if women's businesses earn
  less because of discrimination), and the record would then lower the types
  they were steered into for everyone. Review the income records (feature
  importance above, and the per-type incomes in the history) before training on
  real data."""


def _caveats(manifest: dict[str, Any], metrics: dict[str, Any]) -> str:
    history = manifest.get("history_path")
    world_note = (
        " A cohort with ground truth was evaluated, which only a synthetic world "
        "provides: treat the figures as a test of the method, not as evidence about "
        "real beneficiaries."
        if metrics.get("world")
        else ""
    )
    return f"""## Caveats and recommendations

* **Training data**: `{history or NA}`. Whether this is a synthetic world or
  real follow-up data is as stated by that source; synthetic results say how
  well the method recovers a known truth, not how it performs in the
  Foundation's centres.{world_note}
* **Census figures** in the catalogue are from the 2024 census (RGPH 2024);
  regional conditions change.
* **Re-validate after each retraining**: read this card, the disaggregated
  results and the comparison with the active version before activating a new
  version."""


__all__ = ["write_model_card"]
