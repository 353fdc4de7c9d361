"""The model card's opening sections: title, model details, intended use and factors.

Following Mitchell et al. (2019), these say what the model version is, what it
is for and not for, and the factors its results are disaggregated by.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from training.report.format import (
    GROUPING_LABELS,
    NA,
    as_dict,
    as_records,
    fmt_count,
    fmt_number,
    group_label,
    holdout_by_group,
    table,
)

FINGERPRINT_CHARS: Final = 12


def _version(folder: Path, manifest: dict[str, Any]) -> str:
    return str(manifest.get("version") or folder.name)


def title(folder: Path, manifest: dict[str, Any]) -> str:
    """The card's first line, naming the version."""
    return f"# Model card — matcher {_version(folder, manifest)}"


def model_details(folder: Path, manifest: dict[str, Any], metrics: dict[str, Any]) -> str:
    """What the model estimates, its provenance, candidates and library versions."""
    candidate = metrics.get("candidate") or manifest.get("candidate")
    created = manifest.get("created_at") or manifest.get("created")
    split = manifest.get("split_cut_date")
    rows = [
        ("Version", _version(folder, manifest)),
        ("Created", str(created) if created else NA),
        ("Model family (chosen candidate)", str(candidate) if candidate else NA),
        ("Target", str(manifest.get("target") or NA)),
        ("Rows in the history (accepted)", fmt_count(manifest.get("n_rows"))),
        ("Rows used for training (before the cut)", fmt_count(manifest.get("n_train"))),
        ("Rows held out (after the cut)", fmt_count(manifest.get("n_test"))),
        ("Rows rejected by validation", fmt_count(manifest.get("n_rejected"))),
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
        table(["Item", "Value"], rows),
        "### Cross-validated log loss per candidate",
        "Grouped 3-fold cross-validation on the training side (lower is better); the lowest wins.",
    ]
    cv = as_dict(metrics.get("cv_log_loss"))
    if cv:
        parts.append(
            table(
                ["Candidate", "CV log loss", "Chosen"],
                [(str(k), fmt_number(v), "yes" if k == candidate else "") for k, v in cv.items()],
            )
        )
    else:
        parts.append(f"Cross-validation results: {NA}.")
    parts.append("### Library versions")
    versions = as_dict(manifest.get("framework_versions"))
    if versions:
        parts.append(table(["Library", "Version"], [(str(k), str(v)) for k, v in versions.items()]))
    else:
        parts.append(f"Library versions: {NA}.")
    return "\n\n".join(parts)


def _short(value: Any) -> str:
    return f"`{str(value)[:FINGERPRINT_CHARS]}`" if value else NA


def intended_use() -> str:
    """Who the model is for and how it is meant to be used."""
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


def out_of_scope() -> str:
    """The uses the model is not for."""
    return """## Out-of-scope uses

* Deciding **who is eligible** for funding, or **how much** funding a person
  receives.
* **Any automated decision** taken without a counsellor.
* Scoring people **outside the catalogue's regions** (the model has never seen
  them, and the catalogue's census figures do not describe them).
* **Using sex.** Sex is never a model feature; it is used only for the fairness
  audit in this card."""


def factors(metrics: dict[str, Any]) -> str:
    """The groupings the results are disaggregated by, with their groups."""
    by_group = holdout_by_group(metrics)
    bullets = []
    for name in (*GROUPING_LABELS, *(n for n in by_group if n not in GROUPING_LABELS)):
        groups = [group_label(name, r.get("group")) for r in as_records(by_group.get(name))]
        bullets.append(f"* **{GROUPING_LABELS.get(name, name)}**: {', '.join(groups) or NA}")
    return "\n\n".join(
        [
            "## Factors",
            "Results are disaggregated by the factors below (sex is an audit factor "
            "only, never a model input):",
            "\n".join(bullets),
        ]
    )
