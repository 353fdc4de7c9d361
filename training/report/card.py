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
from pathlib import Path
from typing import Any, Final

from training.report import ethics, ground_truth, overview, performance
from training.report.income import income_section, interval_section
from training.report.plots import draw_plots

REPORT: Final = "report.md"


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
    plots = draw_plots(folder, metrics)
    sections = [
        overview.title(folder, manifest),
        overview.model_details(folder, manifest, metrics),
        overview.intended_use(),
        overview.out_of_scope(),
        overview.factors(metrics),
        performance.holdout_metrics(manifest, metrics, plots),
        performance.disaggregated(metrics, plots),
        income_section(manifest, metrics),
        interval_section(metrics),
        ground_truth.ranking(metrics, plots),
        performance.comparison(metrics),
        performance.importance(metrics, plots),
        ethics.considerations(metrics),
        ethics.caveats(manifest, metrics),
    ]
    path = folder / REPORT
    path.write_text("\n\n".join(s.strip("\n") for s in sections) + "\n", encoding="utf-8")
    return path


def _stored_manifest(folder: Path) -> dict[str, Any]:
    """The registry's ``manifest.json`` in ``folder``, or an empty dict."""
    try:
        stored = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}
