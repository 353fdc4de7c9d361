"""The 27-person reference case allocated under both objectives, side by side (Markdown).

Usage (a registry trained on ``data_samples/history.csv``)::

    python -m cli train --history data_samples/history.csv --registry /tmp/reg
    PYTHONPATH=. python bench/reference_case.py --registry /tmp/reg > table.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

from matcher.allocation.cohort_file import allocate_cohort
from matcher.contract.tables import read_table
from matcher.model.scorer import Scorer
from matcher.reference import load_reference

ENVELOPE = 1_233_737.62


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=Path, required=True)
    parser.add_argument("--cohort", type=Path, default=Path("data_samples/cohort.csv"))
    parser.add_argument("--reference", type=Path, default=Path("data_samples/reference"))
    parser.add_argument("--n", type=int, default=27)
    args = parser.parse_args()
    reference = load_reference(args.reference)
    scorer = Scorer.load(args.registry, reference=reference)
    cohort = read_table(args.cohort).head(args.n)
    runs = {
        goal: allocate_cohort(
            cohort, envelope_mad=ENVELOPE, reference=reference, scorer=scorer, objective=goal
        )
        for goal in ("survival", "livelihood")
    }
    print(f"Model {scorer.version}; envelope {ENVELOPE:,.2f} MAD; {args.n} people.\n")
    print("| | survival objective | livelihood objective |")
    print("|---|---|---|")
    figures = {}
    for goal, run in runs.items():
        a = run.allocation.assignments
        funded = a.loc[a["project_type_id"] != ""]
        figures[goal] = (
            len(funded),
            run.allocation.spend_mad,
            funded["score"].sum(),
            funded["livelihood"].astype(float).sum(),
            funded["expected_income_mad"].astype(float).mean(),
            run.money_left.sentence(),
        )
    labels = (
        "people funded",
        "money spent (MAD)",
        "expected active businesses",
        "expected livelihoods (>= 3,000 MAD/month)",
        "mean expected income if active (MAD/month)",
        "money left",
    )
    for k, label in enumerate(labels):
        cells = []
        for goal in ("survival", "livelihood"):
            v = figures[goal][k]
            cells.append(v if isinstance(v, str) else f"{v:,.2f}" if k else f"{v}")
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    print(
        "\n| beneficiary | survival: type | cost | P(active) | livelihood | "
        "livelihood: type | cost | P(active) | livelihood |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    left = runs["survival"].allocation.assignments.set_index("beneficiary_id")
    right = runs["livelihood"].allocation.assignments.set_index("beneficiary_id")
    for bid in left.index:
        cells = []
        for side in (left, right):
            r = side.loc[bid]
            if r["project_type_id"] == "":
                cells += ["(unfunded)", "", "", ""]
            else:
                name = reference.names[str(r["project_type_id"])]["en"]
                cells += [
                    name,
                    f"{r['cost_mad']:,.0f}",
                    f"{r['score']:.3f}",
                    f"{float(r['livelihood']):.3f}",
                ]
        print(f"| {bid} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
