"""The model card's income and livelihood section (contract section 7).

Read from ``manifest["income"]`` (whether the version has an income part) and
``metrics["income"]`` (its error and calibration by decile on held-out active
projects), and ``metrics["intervals"]`` when a world with ground truth measured
the coverage of the score intervals.
"""

from __future__ import annotations

from typing import Any

from training.report.format import (
    NA,
    as_dict,
    as_records,
    fmt_count,
    fmt_number,
    fmt_pct,
    table,
)


def interval_section(metrics: dict[str, Any]) -> str:
    """Coverage of the 90 % score intervals against a world's truth (or why not measured)."""
    parts = [
        "## How sure: score intervals",
        "Every score comes with a 90 % interval (`score_low`, `score_high`): the Laplace "
        "standard deviation of the logit (from the penalised fit's inverse Hessian) around "
        "the calibrated probability. It is wide where the history says little about the "
        "pair (few funded projects of the type or market, a profile unlike the history).",
    ]
    interval = as_dict(as_dict(metrics.get("world")).get("interval"))
    if not interval:
        parts.append(
            f"Coverage: {NA} (it needs a cohort with ground truth, i.e. a generated world)."
        )
        return "\n\n".join(parts)
    rows = [
        (
            "all pairs",
            fmt_count(interval.get("n_pairs")),
            fmt_pct(interval.get("coverage")),
            fmt_number(interval.get("mean_width")),
        )
    ]
    for level, r in as_dict(interval.get("by_evidence")).items():
        r = as_dict(r)
        rows.append(
            (
                f"{level} evidence",
                fmt_count(r.get("n")),
                fmt_pct(r.get("coverage")),
                fmt_number(r.get("mean_width")),
            )
        )
    parts.append(
        "Share of the cohort's eligible pairs whose **true** survival probability lies "
        "inside the interval (target 85-95 %):"
    )
    parts.append(table(["Pairs", "n", "Coverage", "Mean width"], rows))
    return "\n\n".join(parts)


def income_section(manifest: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Whether income was learned, its error, and calibration by decile."""
    info = as_dict(manifest.get("income"))
    parts = ["## Income and livelihood"]
    if not info.get("has_income"):
        parts.append(
            "This version has **no income part**: the history had incomes for "
            f"{fmt_count(info.get('n_income_rows'))} active projects, fewer than the "
            f"{fmt_count(info.get('min_income_rows'))} needed. Livelihood and expected "
            "income are not available; options are ranked by survival."
        )
        return "\n\n".join(parts)
    parts.append(
        "The version learned the net monthly income of active businesses from "
        f"{fmt_count(info.get('n_income_rows'))} active projects with an income "
        "(log income on the same pair features, type and market effects shrunk as "
        "for survival). Income is read as lognormal with a residual spread of "
        f"{fmt_number(info.get('sigma_log'))} (log scale, cross-validated). "
        "*Livelihood* is the probability that the business is active at 12 months "
        "and earns at least the threshold (3,000 MAD by default)."
    )
    report = as_dict(metrics.get("income"))
    if not report:
        parts.append(f"Held-out income error: {NA}.")
        return "\n\n".join(parts)
    parts.append(
        table(
            ["Measure (held-out active projects)", "Value"],
            [
                ("Projects", fmt_count(report.get("n_rows"))),
                ("Mean absolute error, log income", fmt_number(report.get("mae_log"))),
                ("Mean absolute error, MAD", fmt_number(report.get("mae_mad"), 0)),
                ("Median absolute error, share of income", fmt_pct(report.get("median_ape"))),
                ("R² of log income", fmt_number(report.get("r2_log"))),
                ("Incomes inside the 80 % predictive range", fmt_pct(report.get("coverage_80"))),
            ],
        )
    )
    parts.append("### Calibration by decile of predicted income")
    parts.append(
        "Held-out active projects in ten equal groups by predicted expected income; "
        "a ratio near 1 means the predicted income can be read at face value."
    )
    rows = [
        (
            str(r.get("decile")),
            fmt_count(r.get("n")),
            fmt_number(r.get("mean_predicted_mad"), 0),
            fmt_number(r.get("mean_observed_mad"), 0),
            fmt_number(r.get("ratio")),
        )
        for r in as_records(report.get("by_decile"))
    ]
    parts.append(table(["Decile", "n", "Predicted (MAD)", "Observed (MAD)", "Ratio"], rows))
    return "\n\n".join(parts)


__all__ = ["income_section", "interval_section"]
