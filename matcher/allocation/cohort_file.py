"""``matcher allocate``: score a cohort, then share the envelope across it.

Each person's options are their top-k eligible project types (never a type
outside it); :func:`matcher.allocation.problem.allocate` then chooses at most one per
person to maximise the expected number of businesses active at 12 months.
Writes the allocation (contract section 5), the rejects file, a Markdown
report and a plot of spend and expected successes by region beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import pandas as pd

from matcher.allocation.problem import allocate
from matcher.allocation.report import (
    plot_allocation,
    render_markdown,
    render_markdown_in,
    summarise,
)
from matcher.allocation.result import Allocation
from matcher.batch.streaming import rejects_path
from matcher.contract import columns as c
from matcher.contract.profile_table import REJECT_COLUMNS, validate_profiles
from matcher.contract.sheets import SheetStyle, add_labels
from matcher.contract.tables import read_table, write_table
from matcher.model.scorer import Scorer
from matcher.ranking import top_k_options
from matcher.reference import Reference
from matcher.service import score_eligible_pairs

Method = Literal["auto", "exact", "greedy"]


@dataclass(frozen=True)
class CohortAllocation:
    """An allocation with the options it chose from and the rejected rows."""

    allocation: Allocation
    candidates: pd.DataFrame
    rejects: pd.DataFrame
    n_rows: int


def allocate_cohort(
    frame: pd.DataFrame,
    *,
    envelope_mad: float,
    reference: Reference,
    scorer: Scorer,
    top_k: int = 5,
    max_share_per_type: float | None = None,
    max_per_type_per_commune: int | None = None,
    method: str = "auto",
) -> CohortAllocation:
    """Validate a cohort text frame, score it and allocate the envelope."""
    valid, rejects = validate_profiles(frame, reference)
    pairs = score_eligible_pairs(valid, reference=reference, scorer=scorer)
    candidates = top_k_options(
        pairs, reference=reference, top_k=top_k, keep=[c.REGION_ID, c.COMMUNE_CODE]
    )
    candidates[c.COMMUNE_CODE] = candidates[c.COMMUNE_CODE].astype("str")
    result = allocate(
        candidates,
        envelope_mad=envelope_mad,
        all_beneficiary_ids=valid[c.BENEFICIARY_ID].tolist(),
        max_share_per_type=max_share_per_type,
        max_per_type_per_commune=max_per_type_per_commune,
        method=cast(Method, method),
    )
    return CohortAllocation(
        allocation=result, candidates=candidates, rejects=rejects, n_rows=len(frame)
    )


def allocate_file(
    input_path: Path,
    output_path: Path,
    *,
    envelope_mad: float,
    reference: Reference,
    scorer: Scorer,
    top_k: int = 5,
    max_share_per_type: float | None = None,
    max_per_type_per_commune: int | None = None,
    method: str = "auto",
    style: SheetStyle | None = None,
) -> str:
    """Allocate a cohort file; write the allocation, rejects, report and plot.

    ``style`` lays the files out for a spreadsheet (:mod:`matcher.contract.sheets`):
    with ``labels``, names beside codes, percentages beside scores and the report
    in that language. Returns a short summary for the terminal.
    """
    style = style or SheetStyle()
    run = allocate_cohort(
        read_table(input_path),
        envelope_mad=envelope_mad,
        reference=reference,
        scorer=scorer,
        top_k=top_k,
        max_share_per_type=max_share_per_type,
        max_per_type_per_commune=max_per_type_per_commune,
        method=method,
    )
    alloc = run.allocation
    out = alloc.assignments.assign(model_version=scorer.version)
    shown = out
    if style.labels:
        sectors = out[c.PROJECT_TYPE_ID].map(reference.type_sector).fillna("")
        shown = add_labels(out.assign(sector_id=sectors), reference.names, style.labels)
    write_table(shown, output_path, style)
    write_table(run.rejects[REJECT_COLUMNS], rejects_path(output_path), style)
    summaries = summarise(alloc, run.candidates)
    report = output_path.with_name(output_path.name + ".report.md")
    text = (
        render_markdown_in(alloc, summaries, style.labels, reference.names)
        if style.labels
        else render_markdown(alloc, summaries)
    )
    report.write_text(text, encoding="utf-8")
    plot = plot_allocation(alloc, run.candidates, output_path.with_name(output_path.name + ".png"))
    funded = int((out["status"] == "funded").sum())
    quality = "optimal" if alloc.optimal else f"within {alloc.gap:.2%} of the bound"
    return (
        f"{run.n_rows} rows: {funded} funded, {len(out) - funded} unfunded, "
        f"{len(run.rejects)} rejected; "
        f"spend {alloc.spend_mad:,.2f} of {alloc.envelope_mad:,.2f} MAD; "
        f"expected active businesses {alloc.expected_successes:.2f} "
        f"(own top-1 within the same envelope: {alloc.baseline.expected_successes:.2f}, "
        f"gain {alloc.gain_over_baseline:+.2f}); {alloc.method_used} ({quality}); "
        f"model {scorer.version}\n-> {output_path}, {report}, {plot}"
    )
