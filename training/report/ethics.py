"""The model card's closing sections: ethical considerations, caveats and recommendations."""

from __future__ import annotations

from typing import Any, Final

from training.report.format import (
    GROUPING_LABELS,
    NA,
    as_number,
    as_records,
    group_label,
    holdout_by_group,
)

SMALL_GROUP: Final = 100


def _small_groups(metrics: dict[str, Any]) -> list[str]:
    """Held-out groups with fewer than ``SMALL_GROUP`` rows."""
    by_group = holdout_by_group(metrics)
    out = []
    for name, rows in by_group.items():
        for r in as_records(rows):
            n = as_number(r.get("n"))
            if n is not None and n < SMALL_GROUP:
                group = group_label(name, r.get("group"))
                out.append(f"{GROUPING_LABELS.get(name, name).lower()} {group} (n = {round(n)})")
    return out


def considerations(metrics: dict[str, Any]) -> str:
    """Ethical considerations, naming the held-out groups too small to judge."""
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


def caveats(manifest: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Caveats about the training data and census figures, and what to re-check."""
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
