"""``matcher allocate`` through the real command (contract section 5)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from matcher.contract.eligibility import check_eligibility
from matcher.contract.profile_table import validate_profiles
from matcher.reference import Reference

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data_samples"
REFERENCE_DIR = DATA / "reference"
OPERATION_ENVELOPE = "1233737.62"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

runner = CliRunner()


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype="str", keep_default_na=False)


def invoke(registry: Path, command: str, *args: str) -> object:
    return runner.invoke(
        app, [command, "--registry", str(registry), "--reference", str(REFERENCE_DIR), *args]
    )


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 27-person operation: the first 27 rows of the shipped cohort."""
    path = tmp_path_factory.mktemp("operation") / "cohort27.csv"
    read_csv(DATA / "cohort.csv").head(27).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def top5(
    tmp_path_factory: pytest.TempPathFactory, trained_registry_path: Path, operation: Path
) -> pd.DataFrame:
    """Each person's top-5 by ``matcher score`` (the options allocate may choose from)."""
    output = tmp_path_factory.mktemp("top5") / "top5.csv"
    result = invoke(
        trained_registry_path, "score", "--input", str(operation), "--output", str(output)
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return pd.read_csv(output, dtype={"beneficiary_id": "str", "project_type_id": "str"})


def allocate(registry: Path, source: Path, output: Path, envelope: str, *args: str) -> object:
    return invoke(
        registry,
        "allocate",
        "--input",
        str(source),
        "--envelope",
        envelope,
        "--output",
        str(output),
        *args,
    )


def read_allocation(path: Path) -> pd.DataFrame:
    out = read_csv(path)
    for col in ("cost_mad", "score"):
        out[col] = out[col].astype(float)
    return out


def test_operation_respects_the_envelope_eligibility_and_top_k(
    tmp_path: Path,
    trained_registry_path: Path,
    operation: Path,
    top5: pd.DataFrame,
    reference: Reference,
) -> None:
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, operation, output, OPERATION_ENVELOPE)
    assert result.exit_code == 0, result.output
    out = read_allocation(output)
    assert {"beneficiary_id", "project_type_id", "cost_mad", "score"} <= set(out.columns)

    cohort = read_csv(operation)
    assert out["beneficiary_id"].tolist() == cohort["beneficiary_id"].tolist()
    assert out["cost_mad"].sum() <= float(OPERATION_ENVELOPE) + 1e-6

    funded = out.loc[out["project_type_id"] != ""]
    unfunded = out.loc[out["project_type_id"] == ""]
    assert len(funded) > 0
    assert (unfunded["cost_mad"] == 0).all()
    costs = reference.project_types["typical_cost_mad"].astype(float)
    assert (funded["cost_mad"].to_numpy() == costs.reindex(funded["project_type_id"])).all()

    valid, _ = validate_profiles(cohort, reference)
    elig = check_eligibility(valid, reference.project_types)
    col = {t: j for j, t in enumerate(elig.project_type_ids)}
    row = {b: i for i, b in enumerate(valid["beneficiary_id"])}
    for bid, ptype in zip(funded["beneficiary_id"], funded["project_type_id"], strict=True):
        assert elig.eligible[row[bid], col[ptype]], (bid, ptype)

    options = set(zip(top5["beneficiary_id"], top5["project_type_id"], strict=True))
    assert set(zip(funded["beneficiary_id"], funded["project_type_id"], strict=True)) <= options
    score_of = top5.set_index(["beneficiary_id", "project_type_id"])["score"]
    for _, r in funded.iterrows():
        assert r["score"] == pytest.approx(score_of[(r["beneficiary_id"], r["project_type_id"])])

    rejects = read_csv(tmp_path / "allocation.csv.rejects.csv")
    assert list(rejects.columns) == ["row_number", "beneficiary_id", "error"]
    assert rejects.empty
    assert "27 rows" in result.output
    assert f"{len(funded)} funded" in result.output


def test_tight_envelope_leaves_people_unfunded_for_lack_of_money(
    tmp_path: Path, trained_registry_path: Path, operation: Path
) -> None:
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, operation, output, "200000")
    assert result.exit_code == 0, result.output
    out = read_allocation(output)
    assert len(out) == 27
    assert out["cost_mad"].sum() <= 200_000
    unfunded = out.loc[out["project_type_id"] == ""]
    assert len(unfunded) > 0
    assert "envelope_exhausted" in set(unfunded["reason"])
    assert (unfunded["cost_mad"] == 0).all()
    assert (unfunded["score"] == 0).all()
    assert set(out["status"]) <= {"funded", "unfunded"}


def test_report_and_plot_are_written(
    tmp_path: Path, trained_registry_path: Path, operation: Path
) -> None:
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, operation, output, OPERATION_ENVELOPE)
    assert result.exit_code == 0, result.output
    report = tmp_path / "allocation.csv.report.md"
    plot = tmp_path / "allocation.csv.png"
    assert report.is_file()
    assert plot.read_bytes()[:8] == PNG_MAGIC
    text = report.read_text(encoding="utf-8")
    assert text.strip()
    assert str(report) in result.output
    assert str(plot) in result.output


def test_max_per_type_per_commune_is_respected(
    tmp_path: Path, trained_registry_path: Path, reference: Reference
) -> None:
    # Eight people of one commune with the same profile all prefer the same types.
    cohort = read_csv(DATA / "cohort.csv").head(1)
    cohort = pd.concat([cohort] * 8, ignore_index=True)
    cohort["beneficiary_id"] = [f"SAME-{i}" for i in range(8)]
    assert cohort["commune_code"].iloc[0] != ""
    source = tmp_path / "same.csv"
    cohort.to_csv(source, index=False)

    capped, free = tmp_path / "capped.csv", tmp_path / "free.csv"
    result = allocate(
        trained_registry_path, source, capped, "10000000", "--max-per-type-per-commune", "1"
    )
    assert result.exit_code == 0, result.output
    result = allocate(trained_registry_path, source, free, "10000000")
    assert result.exit_code == 0, result.output

    uncapped = read_allocation(free)
    assert uncapped["project_type_id"].value_counts().max() > 1
    out = read_allocation(capped)
    funded = out.loc[out["project_type_id"] != ""]
    assert funded["project_type_id"].value_counts().max() == 1
    unfunded = out.loc[out["project_type_id"] == ""]
    assert set(unfunded["reason"]) <= {"cap_reached"}


def test_rows_with_errors_go_to_the_rejects_file(
    tmp_path: Path, trained_registry_path: Path
) -> None:
    source = DATA / "cohort_with_errors.csv"
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, source, output, "500000")
    assert result.exit_code == 0, result.output
    rejects = read_csv(tmp_path / "allocation.csv.rejects.csv")
    rows = read_csv(source)
    assert sorted(rejects["row_number"].astype(int)) == sorted(
        rows.index[rows["expected_error"] != ""] + 1
    )
    out = read_allocation(output)
    assert len(out) + len(rejects) == len(rows)
    assert out["cost_mad"].sum() <= 500_000


def test_missing_column_exits_2(tmp_path: Path, trained_registry_path: Path) -> None:
    source = tmp_path / "cohort.csv"
    read_csv(DATA / "cohort.csv").head(5).drop(columns=["milieu"]).to_csv(source, index=False)
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, source, output, "100000")
    assert result.exit_code == 2, result.output
    assert "milieu" in result.output
    assert not output.exists()


def test_negative_envelope_exits_2(
    tmp_path: Path, trained_registry_path: Path, operation: Path
) -> None:
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, operation, output, "-5")
    assert result.exit_code == 2, result.output
    assert "envelope" in result.output
    assert not output.exists()


def test_livelihood_objective_buys_more_livelihoods_and_keeps_score_as_survival(
    tmp_path: Path, trained_registry_path: Path, operation: Path, top5: pd.DataFrame
) -> None:
    outputs = {}
    for objective in ("livelihood", "survival"):
        outputs[objective] = tmp_path / f"allocation_{objective}.csv"
        result = allocate(
            trained_registry_path,
            operation,
            outputs[objective],
            "400000",
            "--objective",
            objective,
            "--method",
            "exact",
        )
        assert result.exit_code == 0, result.output
        what = "livelihoods" if objective == "livelihood" else "active businesses"
        assert f"expected {what}" in result.output
        assert "money left" in result.output
    by_livelihood = read_allocation(outputs["livelihood"])
    by_survival = read_allocation(outputs["survival"])
    for out in (by_livelihood, by_survival):
        assert out["cost_mad"].sum() <= 400_000
        funded = out.loc[out["project_type_id"] != ""]
        # score stays P(active at 12 months), as matcher score gives it
        scores = top5.set_index(["beneficiary_id", "project_type_id"])["score"]
        for row in funded.itertuples(index=False):
            if (row.beneficiary_id, row.project_type_id) in scores.index:
                assert row.score == pytest.approx(
                    scores.loc[(row.beneficiary_id, row.project_type_id)]
                )
        assert (funded["livelihood"].astype(float) <= funded["score"] + 1e-9).all()
        assert (funded["expected_income_mad"].astype(float) > 0).all()
    assert (by_livelihood["objective"] == "livelihood").all()
    # both exact: each maximises its own objective over its own options
    total = {
        name: out["livelihood"].replace("", "0").astype(float).sum()
        for name, out in (("livelihood", by_livelihood), ("survival", by_survival))
    }
    assert total["livelihood"] >= total["survival"] - 1e-6


def test_money_left_is_explained_and_the_unfunded_wait_with_their_best_option(
    tmp_path: Path, trained_registry_path: Path, operation: Path
) -> None:
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, operation, output, "200000")
    assert result.exit_code == 0, result.output
    out = read_allocation(output)
    left = 200_000 - out["cost_mad"].sum()
    assert f"money left {left:,.2f} MAD" in result.output
    waiting = read_csv(output.with_name(output.name + ".waiting.csv"))
    unfunded = set(out.loc[out["project_type_id"] == "", "beneficiary_id"])
    assert len(waiting)
    assert set(waiting["beneficiary_id"]) <= unfunded
    assert waiting["value"].astype(float).is_monotonic_decreasing
    cheapest = waiting["cost_mad"].astype(float).min()
    if left < 0.005:
        assert "the envelope is spent" in result.output
    elif cheapest > left:
        assert f"(cheapest {cheapest:,.2f} MAD)" in result.output
    report = output.with_name(output.name + ".report.md").read_text(encoding="utf-8")
    assert "## Objective, money left and waiting list" in report
    assert "expected number of **livelihoods**" in report
    assert waiting["beneficiary_id"].iloc[0] in report


def test_everyone_funded_says_nobody_is_left(
    tmp_path: Path, trained_registry_path: Path, operation: Path
) -> None:
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, operation, output, "100000000")
    assert result.exit_code == 0, result.output
    assert "nobody left to fund" in result.output
    waiting = read_csv(output.with_name(output.name + ".waiting.csv"))
    assert waiting.empty


def test_min_per_region_funds_someone_in_every_region_with_an_option(
    tmp_path: Path, trained_registry_path: Path, operation: Path
) -> None:
    output = tmp_path / "allocation.csv"
    result = allocate(trained_registry_path, operation, output, "150000", "--min-per-region", "1")
    assert result.exit_code == 0, result.output
    out = read_allocation(output)
    assert out["cost_mad"].sum() <= 150_000
    cohort = read_csv(operation).set_index("beneficiary_id")
    waiting = read_csv(output.with_name(output.name + ".waiting.csv"))
    with_option = set(out.loc[out["project_type_id"] != "", "beneficiary_id"]) | set(
        waiting["beneficiary_id"]
    )
    regions = {cohort.loc[b, "region_id"] for b in with_option}
    funded = out.loc[out["project_type_id"] != "", "beneficiary_id"]
    assert {cohort.loc[b, "region_id"] for b in funded} == regions
    tight = allocate(trained_registry_path, operation, output, "1000", "--min-per-region", "1")
    assert tight.exit_code == 2
    assert "cannot be met within the envelope" in tight.output


def test_the_report_names_what_was_maximised_in_the_language_asked(
    tmp_path: Path, trained_registry_path: Path, operation: Path
) -> None:
    """With --labels fr the whole report is French, names not codes, and its headline counts
    livelihoods when livelihoods were maximised (never 'active businesses')."""
    output = tmp_path / "allocation.csv"
    result = CliRunner().invoke(
        app,
        [
            "allocate",
            "--input",
            str(operation),
            "--envelope",
            "200000",
            "--output",
            str(output),
            "--registry",
            str(trained_registry_path),
            "--labels",
            "fr",
        ],
    )
    assert result.exit_code == 0, result.output
    report = output.with_name(output.name + ".report.md").read_text(encoding="utf-8")
    assert "Moyens de vivre attendus (activité à 12 mois et au moins 3\u202f000 MAD" in report
    assert "Activités attendues encore actives" not in report
    assert "## Objectif, argent restant et liste d'attente" in report
    assert "Maximisé : le nombre attendu de **moyens de vivre**" in report
    assert "Argent restant " in report
    assert "Money left" not in report
    waiting = read_csv(output.with_name(output.name + ".waiting.csv"))
    first = waiting["project_type_id"].iloc[0]
    names = read_csv(Path("data_samples/reference/project_types.csv")).set_index("project_type_id")
    assert f"| {names.loc[first, 'name_fr']} |" in report
    english = tmp_path / "english.csv"
    plain = allocate(trained_registry_path, operation, english, "200000")
    assert plain.exit_code == 0, plain.output
    text = english.with_name(english.name + ".report.md").read_text(encoding="utf-8")
    assert "Expected livelihoods (active at 12 months and earning at least 3,000 MAD" in text
    assert "Expected active businesses" not in text
