"""``matcher allocate``: score a cohort, then share the envelope across it.

Each person's options are their top-k eligible project types by the objective
(never a type outside it); :func:`matcher.allocation.problem.allocate` then
chooses at most one per person to maximise the expected number of livelihoods
(objective ``livelihood``: active at 12 months and earning at least the
threshold) or of businesses active at 12 months (``survival``). Writes the
allocation (contract sections 5 and 7), the rejects file, the waiting list (the
unfunded people with options, each with their best option, its cost and value),
a Markdown report that says how much money is left and why, and a plot of spend
and expected successes by region beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, cast

import pandas as pd

from matcher.allocation.problem import REASON, allocate
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
from matcher.model.livelihood import DEFAULT_LIVELIHOOD_MAD
from matcher.model.scorer import Scorer
from matcher.ranking import top_k_options
from matcher.reference import Reference
from matcher.service import score_eligible_pairs
from matcher.wording import REPORT_TEXT, format_number

Method = Literal["auto", "exact", "greedy"]
LIVELIHOOD = "livelihood"
EXPECTED_INCOME = "expected_income_mad"
VALUE = "value"
"""What the allocation maximises per option: livelihood or survival probability."""


@dataclass(frozen=True)
class MoneyLeft:
    """How much of the envelope is left and why: ``spent``, ``nobody``, ``costlier``, ``caps``."""

    kind: str
    left_mad: float
    n_waiting: int = 0
    cheapest_mad: float = 0.0

    def sentence(self, lang: str = "en") -> str:
        """The reason as a sentence in ``lang`` (fr, ar, en), numbers written the local way."""
        return REPORT_TEXT[f"money_{self.kind}"][lang].format(
            left=format_number(self.left_mad, lang),
            n=self.n_waiting,
            cheapest=format_number(self.cheapest_mad, lang),
        )


@dataclass(frozen=True)
class CohortAllocation:
    """An allocation with the options it chose from and the rejected rows."""

    allocation: Allocation
    candidates: pd.DataFrame
    rejects: pd.DataFrame
    n_rows: int
    objective: str = "survival"
    waiting: pd.DataFrame | None = None
    money_left: MoneyLeft = MoneyLeft("spent", 0.0)


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
    objective: str | None = None,
    livelihood_mad: float = DEFAULT_LIVELIHOOD_MAD,
    min_per_region: int | None = None,
) -> CohortAllocation:
    """Validate a cohort text frame, score it and allocate the envelope.

    The value of an option is its livelihood probability (objective
    ``livelihood``) or its survival probability (``survival``); ``None`` means
    livelihood when the version has an income part.
    """
    goal = scorer.resolve_objective(objective)
    valid, rejects = validate_profiles(frame, reference)
    pairs = score_eligible_pairs(
        valid, reference=reference, scorer=scorer, objective=goal, livelihood_mad=livelihood_mad
    )
    keep = [c.REGION_ID, c.COMMUNE_CODE, LIVELIHOOD, EXPECTED_INCOME]
    candidates = top_k_options(pairs, reference=reference, top_k=top_k, keep=keep)
    candidates[c.COMMUNE_CODE] = candidates[c.COMMUNE_CODE].astype("str")
    value = LIVELIHOOD if goal == "livelihood" else c.SCORE
    candidates[VALUE] = candidates[value].astype("float64")
    result = allocate(
        candidates.assign(**{c.SCORE: candidates[VALUE]}),
        envelope_mad=envelope_mad,
        all_beneficiary_ids=valid[c.BENEFICIARY_ID].tolist(),
        max_share_per_type=max_share_per_type,
        max_per_type_per_commune=max_per_type_per_commune,
        method=cast(Method, method),
        min_per_region=min_per_region,
    )
    assignments = _with_estimates(result.assignments, candidates)
    result = replace(result, assignments=assignments)
    return CohortAllocation(
        allocation=result,
        candidates=candidates,
        rejects=rejects,
        n_rows=len(frame),
        objective=goal,
        waiting=waiting_list(assignments, candidates),
        money_left=money_left(result, candidates),
    )


def _with_estimates(assignments: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """The chosen options' survival ``score``, ``livelihood`` and expected income.

    The solver saw the objective's value in ``score``; the file keeps ``score`` as
    contract section 5 defines it (P(active at 12 months)) and adds section 7's columns.
    """
    key = [c.BENEFICIARY_ID, c.PROJECT_TYPE_ID]
    cols = [*key, c.SCORE, LIVELIHOOD, EXPECTED_INCOME]
    merged = assignments.drop(columns=[c.SCORE]).merge(candidates[cols], on=key, how="left")
    funded = merged[c.PROJECT_TYPE_ID].astype("str") != ""
    merged[c.SCORE] = merged[c.SCORE].where(funded, 0.0).fillna(0.0)
    ordered = [*assignments.columns, LIVELIHOOD, EXPECTED_INCOME]
    return merged[ordered]


def waiting_list(assignments: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """The unfunded people who have an option: their best one, its cost and value.

    Best = first by the objective (``rank`` 1 among their options); the list is
    ordered by descending value, so the first rows are whom more money would fund first.
    """
    unfunded = assignments.loc[
        assignments[c.PROJECT_TYPE_ID].astype("str") == "", [c.BENEFICIARY_ID, REASON]
    ]
    best = candidates.loc[candidates[c.RANK] == 1]
    cols = [c.BENEFICIARY_ID, c.PROJECT_TYPE_ID, c.COST_MAD, VALUE, c.SCORE, LIVELIHOOD]
    out = unfunded.merge(best[[*cols, EXPECTED_INCOME]], on=c.BENEFICIARY_ID, how="inner")
    out = out.sort_values([VALUE, c.BENEFICIARY_ID], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[[*cols, EXPECTED_INCOME, REASON]]


def money_left(allocation: Allocation, candidates: pd.DataFrame) -> MoneyLeft:
    """How much of the envelope is left, and why it was not spent."""
    left = allocation.envelope_mad - allocation.spend_mad
    unfunded = allocation.assignments.loc[
        allocation.assignments[c.PROJECT_TYPE_ID].astype("str") == "", c.BENEFICIARY_ID
    ]
    options = candidates.loc[candidates[c.BENEFICIARY_ID].isin(unfunded)]
    if left < 0.005:
        return MoneyLeft("spent", 0.0)
    if options.empty:
        return MoneyLeft("nobody", left)
    cheapest = float(options[c.COST_MAD].min())
    if cheapest > left:
        return MoneyLeft("costlier", left, int(options[c.BENEFICIARY_ID].nunique()), cheapest)
    return MoneyLeft("caps", left)


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
    objective: str | None = None,
    livelihood_mad: float = DEFAULT_LIVELIHOOD_MAD,
    min_per_region: int | None = None,
) -> str:
    """Allocate a cohort file; write the allocation, rejects, waiting list, report and plot.

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
        objective=objective,
        livelihood_mad=livelihood_mad,
        min_per_region=min_per_region,
    )
    alloc = run.allocation
    out = alloc.assignments.assign(model_version=scorer.version, objective=run.objective)
    shown = out
    if style.labels:
        sectors = out[c.PROJECT_TYPE_ID].map(reference.type_sector).fillna("")
        shown = add_labels(out.assign(sector_id=sectors), reference.names, style.labels)
    write_table(shown, output_path, style)
    write_table(run.rejects[REJECT_COLUMNS], rejects_path(output_path), style)
    waiting = output_path.with_name(output_path.name + ".waiting.csv")
    assert run.waiting is not None
    write_table(run.waiting, waiting, style)
    summaries = summarise(alloc, run.candidates)
    report = output_path.with_name(output_path.name + ".report.md")
    lang = style.labels or "en"
    text = (
        render_markdown_in(
            alloc,
            summaries,
            lang,
            reference.names,
            objective=run.objective,
            livelihood_mad=livelihood_mad,
        )
        if style.labels
        else render_markdown(
            alloc, summaries, objective=run.objective, livelihood_mad=livelihood_mad
        )
    )
    section = _objective_section(run, livelihood_mad, lang, reference.names)
    report.write_text(text + section, encoding="utf-8")
    plot = plot_allocation(alloc, run.candidates, output_path.with_name(output_path.name + ".png"))
    funded = int((out["status"] == "funded").sum())
    quality = "optimal" if alloc.optimal else f"within {alloc.gap:.2%} of the bound"
    what = "livelihoods" if run.objective == "livelihood" else "active businesses"
    return (
        f"{run.n_rows} rows: {funded} funded, {len(out) - funded} unfunded, "
        f"{len(run.rejects)} rejected; "
        f"spend {alloc.spend_mad:,.2f} of {alloc.envelope_mad:,.2f} MAD; "
        f"{_lower(run.money_left.sentence())}; "
        f"expected {what} {alloc.expected_successes:.2f} "
        f"(own top-1 within the same envelope: {alloc.baseline.expected_successes:.2f}, "
        f"gain {alloc.gain_over_baseline:+.2f}); {alloc.method_used} ({quality}); "
        f"model {scorer.version}, objective {run.objective}; "
        f"waiting list {len(run.waiting)}\n-> {output_path}, {report}, {waiting}, {plot}"
    )


def _lower(sentence: str) -> str:
    """``Money left …`` as a clause of the summary line (no capital, no full stop)."""
    return sentence[0].lower() + sentence[1:].rstrip(".")


def _objective_section(
    run: CohortAllocation,
    livelihood_mad: float,
    lang: str,
    names: Mapping[str, Mapping[str, str]],
) -> str:
    """What was maximised, the money left and why, and the head of the waiting list."""
    words = REPORT_TEXT
    mad = format_number(livelihood_mad, lang, 0)
    goal = "maximised_livelihood" if run.objective == LIVELIHOOD else "maximised_survival"
    lines = ["", f"## {words['objective_title'][lang]}", "", words[goal][lang].format(mad=mad)]
    lines += ["", run.money_left.sentence(lang), ""]
    waiting = run.waiting if run.waiting is not None else pd.DataFrame()
    if waiting.empty:
        lines.append(words["nobody_waiting"][lang])
        return "\n".join(lines) + "\n"
    lines += [words["waiting_intro"][lang].format(n=len(waiting)), "", words["waiting_head"][lang]]
    lines.append("|---|---|---|---|")
    for row in waiting.head(20).itertuples(index=False):
        option = str(row.project_type_id)
        shown = names.get(option, {}).get(lang, option)
        lines.append(
            f"| {row.beneficiary_id} | {shown} | {format_number(float(row.cost_mad), lang, 0)} | "
            f"{float(row.value):.3f} |"
        )
    return "\n".join(lines) + "\n"
