"""Summaries, a plot and a short Markdown report of an ``Allocation``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from matcher.allocation.problem import SECTOR_ID
from matcher.allocation.result import FUNDED, STATUS, Allocation
from matcher.contract.columns import BENEFICIARY_ID, COST_MAD, PROJECT_TYPE_ID, REGION_ID, SCORE
from matcher.wording import REPORT_TEXT, format_number

SUMMARY_COLUMNS: tuple[str, ...] = ("n_people", "n_funded", "spend_mad", "expected_successes")
"""Columns of every summary table (after the grouping column)."""

UNKNOWN = "unknown"


def summarise(allocation: Allocation, candidates: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per-region and per-sector totals of an allocation.

    Parameters
    ----------
    allocation : Allocation
        The result of ``matcher.allocation.problem.allocate``.
    candidates : pandas.DataFrame
        The candidates it was computed from (``region_id`` and ``sector_id`` are read
        from them). Not modified.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"region"``: one row per ``region_id`` (people without candidate rows count
        under ``"unknown"``); ``"sector"``: one row per funded ``sector_id``. Columns:
        the key, then ``SUMMARY_COLUMNS``, sorted by descending spend then key.
    """
    people = allocation.assignments
    regions = (
        candidates[[BENEFICIARY_ID, REGION_ID]]
        .astype({BENEFICIARY_ID: str})
        .drop_duplicates(BENEFICIARY_ID)
    )
    sectors = candidates[[BENEFICIARY_ID, PROJECT_TYPE_ID, SECTOR_ID]].astype(
        {BENEFICIARY_ID: str, PROJECT_TYPE_ID: str}
    )
    frame = people.merge(regions, on=BENEFICIARY_ID, how="left").merge(
        sectors, on=[BENEFICIARY_ID, PROJECT_TYPE_ID], how="left"
    )
    frame = frame.assign(
        **{
            REGION_ID: frame[REGION_ID].fillna(UNKNOWN).astype(str),
            SECTOR_ID: frame[SECTOR_ID].fillna("").astype(str),
            "funded": frame[STATUS] == FUNDED,
        }
    )
    return {
        "region": _totals(frame, REGION_ID),
        "sector": _totals(frame[frame["funded"]], SECTOR_ID),
    }


def _totals(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    table = (
        frame.groupby(key, sort=True)
        .agg(
            n_people=(BENEFICIARY_ID, "size"),
            n_funded=("funded", "sum"),
            spend_mad=(COST_MAD, "sum"),
            expected_successes=(SCORE, "sum"),
        )
        .reset_index()
        .astype({"n_people": int, "n_funded": int})
    )
    return table.sort_values(["spend_mad", key], ascending=[False, True], ignore_index=True)


def plot_allocation(allocation: Allocation, candidates: pd.DataFrame, path: Path) -> Path:
    """Draw spend and expected successes by region as a two-panel bar chart (PNG).

    Parameters
    ----------
    allocation : Allocation
        The result of ``matcher.allocation.problem.allocate``.
    candidates : pandas.DataFrame
        The candidates it was computed from.
    path : pathlib.Path
        Where to write the PNG; its directory must exist.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = summarise(allocation, candidates)["region"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    try:
        labels = table[REGION_ID].tolist()
        left.bar(labels, table["spend_mad"] / 1000.0, color="#4C72B0")
        left.set_title("Spend by region")
        left.set_ylabel("thousand MAD")
        right.bar(labels, table["expected_successes"], color="#55A868")
        right.set_title("Expected active businesses at 12 months")
        right.set_ylabel("businesses")
        for axis in (left, right):
            axis.tick_params(axis="x", labelrotation=45)
        fig.suptitle(
            f"{allocation.n_funded} funded, {allocation.spend_mad:,.0f} of "
            f"{allocation.envelope_mad:,.0f} MAD, {allocation.expected_successes:.1f} expected"
        )
        fig.savefig(path, format="png", dpi=100)
    finally:
        plt.close(fig)
    return path


def render_markdown(
    allocation: Allocation,
    summaries: dict[str, pd.DataFrame],
    *,
    objective: str = "survival",
    livelihood_mad: float = 3000.0,
) -> str:
    """A short Markdown report of an allocation.

    Parameters
    ----------
    allocation : Allocation
        The result of ``matcher.allocation.problem.allocate``.
    summaries : dict of str to pandas.DataFrame
        The output of ``summarise``.
    objective : {"survival", "livelihood"}
        What the allocation maximised: the headline names it.
    livelihood_mad : float
        The income a livelihood reaches (for the headline).

    Returns
    -------
    str
        Headline figures, then one table per summary.
    """
    a, base = allocation, allocation.baseline
    n = len(a.assignments)
    quality = "proven optimal" if a.optimal else f"within {a.gap:.2%} of the upper bound"
    lines = [
        "# Budget allocation",
        "",
        "- " + _expected_line(a, "en", objective, livelihood_mad),
        f"- Funded: {a.n_funded} of {n} people",
        f"- Spend: {a.spend_mad:,.2f} MAD of an envelope of {a.envelope_mad:,.2f} MAD "
        f"({_share(a.spend_mad, a.envelope_mad)})",
        f"- Method: {a.method_used}, {quality}, {a.solve_seconds:.2f} s",
        f"- Top-1 baseline (each person's best-scoring type, by descending score while "
        f"money lasts): {base.expected_successes:.2f} expected, {base.n_funded} funded, "
        f"{base.spend_mad:,.2f} MAD; gain **{a.gain_over_baseline:+.2f}**",
    ]
    if a.type_cap is not None or a.max_per_type_per_commune is not None:
        lines.append(
            f"- Caps: at most {a.type_cap if a.type_cap is not None else '-'} people per "
            f"type, {a.max_per_type_per_commune if a.max_per_type_per_commune is not None else '-'}"
            " per type and locality"
        )
    reasons = a.assignments["reason"].value_counts()
    reasons = reasons[reasons.index != ""]
    if len(reasons):
        lines.append("- Unfunded: " + ", ".join(f"{count} {why}" for why, count in reasons.items()))
    for name, table in summaries.items():
        lines += ["", f"## By {name}", "", _table(table)]
    return "\n".join(lines) + "\n"


def render_markdown_in(
    allocation: Allocation,
    summaries: dict[str, pd.DataFrame],
    lang: str,
    names: Mapping[str, Mapping[str, str]],
    *,
    objective: str = "survival",
    livelihood_mad: float = 3000.0,
) -> str:
    """The allocation report in ``lang`` (fr, ar, en) with names instead of codes.

    Percentages of people and money are written as people read them (``61,8 %`` in
    French); the per-region and per-sector tables name the regions and sectors.
    """
    a, words = allocation, REPORT_TEXT

    def say(key: str, **values: str) -> str:
        return words[key][lang].format(**values)

    def num(value: float, decimals: int = 2) -> str:
        return format_number(value, lang, decimals)

    share = (
        num(100 * a.spend_mad / a.envelope_mad, 1) + (" %" if lang == "fr" else "%")
        if a.envelope_mad > 0
        else "-"
    )
    lines = [
        f"# {say('title')}",
        "",
        "- " + _expected_line(a, lang, objective, livelihood_mad),
        "- " + say("funded", funded=str(a.n_funded), people=str(len(a.assignments))),
        "- " + say("spend", spend=num(a.spend_mad), envelope=num(a.envelope_mad), share=share),
        "- "
        + say(
            "baseline",
            value=num(a.baseline.expected_successes),
            gain=("+" if a.gain_over_baseline >= 0 else "") + num(a.gain_over_baseline),
        ),
    ]
    for name, table in summaries.items():
        key = REGION_ID if name == "region" else SECTOR_ID
        shown = table.assign(**{key: [names.get(str(v), {}).get(lang, str(v)) for v in table[key]]})
        shown = shown.rename(columns={c: words[c][lang] for c in shown.columns if c in words})
        for col in shown.columns:
            if shown[col].dtype.kind == "f":
                shown[col] = [num(float(v)) for v in shown[col]]
        lines += ["", f"## {say('by_' + name)}", "", _table(shown)]
    return "\n".join(lines) + "\n"


def _expected_line(a: Allocation, lang: str, objective: str, livelihood_mad: float) -> str:
    """The headline: expected livelihoods or expected active businesses, as maximised."""
    key = "expected_livelihoods" if objective == "livelihood" else "expected"
    decimals = 2
    return REPORT_TEXT[key][lang].format(
        value=format_number(a.expected_successes, lang, decimals),
        bound=format_number(a.upper_bound, lang, decimals),
        mad=format_number(livelihood_mad, lang, 0),
    )


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole > 0 else "n/a"


def _table(table: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}"
        return str(value).replace("|", "\\|")

    head = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join([head, rule, *body])
