"""``matcher score`` through the real command (contract section 5)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from matcher.contract.eligibility import check_eligibility
from matcher.contract.profile_table import validate_profiles
from matcher.model.registry import Registry
from matcher.reference import Reference

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data_samples"
REFERENCE_DIR = DATA / "reference"
CONTRACT_COLUMNS = ["beneficiary_id", "rank", "project_type_id", "score"]

runner = CliRunner()


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype="str", keep_default_na=False)


def cohort_head(tmp_path: Path, n: int, name: str = "cohort.csv") -> Path:
    path = tmp_path / name
    read_csv(DATA / "cohort.csv").head(n).to_csv(path, index=False)
    return path


def score(registry: Path, *args: str) -> object:
    return runner.invoke(
        app, ["score", "--registry", str(registry), "--reference", str(REFERENCE_DIR), *args]
    )


def eligible_pairs(cohort: Path, reference: Reference) -> set[tuple[str, str]]:
    valid, _ = validate_profiles(read_csv(cohort), reference)
    elig = check_eligibility(valid, reference.project_types)
    return {
        (str(valid.loc[i, "beneficiary_id"]), elig.project_type_ids[j])
        for i in range(len(valid))
        for j in range(len(elig.project_type_ids))
        if elig.eligible[i, j]
    }


@pytest.fixture(scope="module")
def two_versions(
    tmp_path_factory: pytest.TempPathFactory, trained_registry_path: Path, reference: Reference
) -> tuple[Path, str, str]:
    """A registry copy holding the active version and a second (inactive) one."""
    root = tmp_path_factory.mktemp("score") / "models"
    shutil.copytree(trained_registry_path, root)
    registry = Registry(root)
    active = registry.active_version()
    assert active is not None
    loaded = registry.load(active, reference_fingerprint=reference.fingerprint)
    manifest = {k: v for k, v in loaded.manifest.items() if k not in {"version", "created_at"}}
    other = registry.save(
        loaded.pipeline,
        manifest,
        metrics=registry.metrics(active),
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    return root, active, other


def test_cohort_with_errors_exits_0_and_accounts_for_every_row(
    tmp_path: Path, trained_registry_path: Path, reference: Reference
) -> None:
    source = DATA / "cohort_with_errors.csv"
    output = tmp_path / "recs.csv"
    result = score(trained_registry_path, "--input", str(source), "--output", str(output))
    assert result.exit_code == 0, result.output

    rejects_file = tmp_path / "recs.csv.rejects.csv"
    assert rejects_file.is_file()
    every = read_csv(rejects_file)
    assert list(every.columns) == ["row_number", "beneficiary_id", "error", "status"]
    rejects = every.loc[every["status"] == "invalid"]
    out = read_csv(output)
    assert set(CONTRACT_COLUMNS) <= set(out.columns)

    rows = read_csv(source)
    expected = rows.loc[rows["expected_error"] != ""]
    assert sorted(rejects["row_number"].astype(int)) == sorted(expected.index + 1)
    for _, rej in rejects.iterrows():
        field = expected.loc[int(rej["row_number"]) - 1, "expected_error"]
        assert f"{field}:" in rej["error"], (field, rej["error"])

    valid, _ = validate_profiles(rows, reference)
    valid = valid.loc[~valid["beneficiary_id"].duplicated()]
    elig = check_eligibility(valid, reference.project_types)
    no_eligible = int((~elig.eligible.any(axis=1)).sum())
    persons = out["beneficiary_id"].nunique()
    assert persons + len(rejects) + no_eligible == len(rows)
    assert (every["status"] == "no_eligible_type").sum() == no_eligible
    only_rejected = set(rejects["beneficiary_id"]) - set(valid["beneficiary_id"])
    assert not set(out["beneficiary_id"]) & only_rejected
    assert f"{len(rows)} rows" in result.output
    assert f"{len(rejects)} rejected" in result.output


def test_top_k_eligible_only_and_ranked_by_descending_score(
    tmp_path: Path, trained_registry_path: Path, reference: Reference
) -> None:
    cohort = cohort_head(tmp_path, 80)
    output = tmp_path / "recs.csv"
    result = score(
        trained_registry_path,
        "--input",
        str(cohort),
        "--output",
        str(output),
        "--top-k",
        "2",
        "--objective",
        "survival",
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(output, dtype={"beneficiary_id": "str", "project_type_id": "str"})
    assert len(out)
    assert (out["objective"] == "survival").all()
    assert out.groupby("beneficiary_id").size().max() <= 2
    allowed = eligible_pairs(cohort, reference)
    got = set(zip(out["beneficiary_id"], out["project_type_id"], strict=True))
    assert got <= allowed
    assert out["score"].between(0, 1).all()
    n_eligible = pd.Series([b for b, _ in allowed]).value_counts()
    for bid, person in out.groupby("beneficiary_id", sort=False):
        assert person["rank"].tolist() == list(range(1, len(person) + 1))
        assert person["score"].is_monotonic_decreasing
        assert len(person) == min(2, n_eligible[bid])
    assert (out["model_version"] == Registry(trained_registry_path).active_version()).all()


def test_default_top_k_is_5(tmp_path: Path, trained_registry_path: Path) -> None:
    cohort = cohort_head(tmp_path, 30)
    output = tmp_path / "recs.csv"
    result = score(trained_registry_path, "--input", str(cohort), "--output", str(output))
    assert result.exit_code == 0, result.output
    sizes = read_csv(output).groupby("beneficiary_id").size()
    assert sizes.max() == 5


def test_named_model_version_is_used(tmp_path: Path, two_versions: tuple[Path, str, str]) -> None:
    root, active, other = two_versions
    cohort = cohort_head(tmp_path, 10)
    output = tmp_path / "recs.csv"
    result = score(root, "--input", str(cohort), "--output", str(output), "--model", other)
    assert result.exit_code == 0, result.output
    assert set(read_csv(output)["model_version"]) == {other}
    assert other in result.output
    assert Registry(root).active_version() == active

    default = tmp_path / "default.csv"
    result = score(root, "--input", str(cohort), "--output", str(default))
    assert result.exit_code == 0, result.output
    assert set(read_csv(default)["model_version"]) == {active}


def test_unknown_model_version_exits_2(tmp_path: Path, trained_registry_path: Path) -> None:
    cohort = cohort_head(tmp_path, 5)
    output = tmp_path / "recs.csv"
    result = score(
        trained_registry_path,
        "--input",
        str(cohort),
        "--output",
        str(output),
        "--model",
        "20990101T000000Z-abcdef",
    )
    assert result.exit_code == 2, result.output
    assert "20990101T000000Z-abcdef" in result.output
    assert "model_version_not_found" in result.output
    assert not output.exists()


@pytest.mark.parametrize("column", ["budget_mad", "region_id", "beneficiary_id"])
def test_missing_required_column_exits_2_and_writes_nothing(
    tmp_path: Path, trained_registry_path: Path, column: str
) -> None:
    cohort = tmp_path / "cohort.csv"
    read_csv(DATA / "cohort.csv").head(10).drop(columns=[column]).to_csv(cohort, index=False)
    output = tmp_path / "recs.csv"
    result = score(trained_registry_path, "--input", str(cohort), "--output", str(output))
    assert result.exit_code == 2, result.output
    assert column in result.output
    assert "data_schema" in result.output
    assert not output.exists()
    assert not (tmp_path / "recs.csv.rejects.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cohort.csv"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("missing.csv", None, "no such file"),
        ("garbage.parquet", b"this is not parquet at all", "cannot be read"),
        ("cohort.xls", b"PK\x03\x04", "unsupported file type"),
        ("cohort.xlsx", b"PK\x03\x04", "cannot be read as an .xlsx workbook"),
    ],
)
def test_unreadable_input_exits_non_zero_with_a_message(
    tmp_path: Path,
    trained_registry_path: Path,
    name: str,
    content: bytes | None,
    message: str,
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    output = tmp_path / "recs.csv"
    result = score(trained_registry_path, "--input", str(source), "--output", str(output))
    assert result.exit_code != 0, result.output
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not output.exists()


def test_parquet_in_and_out_matches_csv(tmp_path: Path, trained_registry_path: Path) -> None:
    cohort = cohort_head(tmp_path, 40)
    parquet_in = tmp_path / "cohort.parquet"
    read_csv(cohort).to_parquet(parquet_in, index=False)
    csv_out = tmp_path / "recs.csv"
    parquet_out = tmp_path / "recs.parquet"
    for source, target in ((cohort, csv_out), (parquet_in, parquet_out)):
        result = score(trained_registry_path, "--input", str(source), "--output", str(target))
        assert result.exit_code == 0, result.output
    from_parquet = pd.read_parquet(parquet_out)
    from_csv = pd.read_csv(csv_out, dtype={"beneficiary_id": "str"})
    assert set(CONTRACT_COLUMNS) <= set(from_parquet.columns)
    assert len(from_parquet) == len(from_csv) > 0
    cols = CONTRACT_COLUMNS
    pd.testing.assert_frame_equal(
        from_parquet[cols].reset_index(drop=True).astype({"rank": "int64"}),
        from_csv[cols].reset_index(drop=True).astype({"rank": "int64"}),
        check_dtype=False,
    )
    assert (tmp_path / "recs.parquet.rejects.csv").is_file()


def test_explain_adds_reasons(tmp_path: Path, trained_registry_path: Path) -> None:
    cohort = cohort_head(tmp_path, 10)
    plain, explained = tmp_path / "plain.csv", tmp_path / "explained.csv"
    result = score(trained_registry_path, "--input", str(cohort), "--output", str(plain))
    assert result.exit_code == 0, result.output
    result = score(
        trained_registry_path, "--input", str(cohort), "--output", str(explained), "--explain"
    )
    assert result.exit_code == 0, result.output
    assert "reasons" not in read_csv(plain).columns
    out = read_csv(explained)
    assert "reasons" in out.columns
    assert (out["reasons"].str.len() > 0).all()
    assert out["reasons"].str.contains(":").all()
    pd.testing.assert_frame_equal(out.drop(columns=["reasons"]), read_csv(plain))


def test_output_is_deterministic(tmp_path: Path, trained_registry_path: Path) -> None:
    cohort = cohort_head(tmp_path, 120)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for target in (first, second):
        result = score(
            trained_registry_path,
            "--input",
            str(cohort),
            "--output",
            str(target),
            "--chunk-rows",
            "100",
        )
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    one_chunk = tmp_path / "c.csv"
    result = score(trained_registry_path, "--input", str(cohort), "--output", str(one_chunk))
    assert result.exit_code == 0, result.output
    assert one_chunk.read_bytes() == first.read_bytes()


def test_default_objective_is_livelihood_with_section_7_columns(
    tmp_path: Path, trained_registry_path: Path
) -> None:
    """The shipped history has incomes: rank follows livelihood, and every score has a range."""
    cohort = cohort_head(tmp_path, 60)
    output = tmp_path / "recs.csv"
    result = score(trained_registry_path, "--input", str(cohort), "--output", str(output))
    assert result.exit_code == 0, result.output
    assert "ranked by livelihood" in result.output
    out = pd.read_csv(output, dtype={"beneficiary_id": "str", "project_type_id": "str"})
    for column in ("livelihood", "expected_income_mad", "score_low", "score_high"):
        assert out[column].notna().all(), column
    assert (out["objective"] == "livelihood").all()
    assert out["livelihood"].between(0, 1).all()
    assert (out["livelihood"] <= out["score"] + 1e-9).all()
    assert (out["score_low"] <= out["score"]).all()
    assert (out["score"] <= out["score_high"]).all()
    assert (out["score_high"] - out["score_low"] > 0).all()
    assert out["expected_income_mad"].between(500, 50_000).all()
    for _, person in out.groupby("beneficiary_id", sort=False):
        assert person["rank"].tolist() == list(range(1, len(person) + 1))
        assert person["livelihood"].is_monotonic_decreasing


def test_a_higher_threshold_lowers_every_livelihood(
    tmp_path: Path, trained_registry_path: Path
) -> None:
    cohort = cohort_head(tmp_path, 20)
    outputs = {}
    for threshold in ("3000", "6000"):
        outputs[threshold] = tmp_path / f"recs_{threshold}.csv"
        args = ["--input", str(cohort), "--output", str(outputs[threshold])]
        args += ["--objective", "survival", "--livelihood-mad", threshold]
        result = score(trained_registry_path, *args)
        assert result.exit_code == 0, result.output
    low, high = (pd.read_csv(outputs[t]) for t in ("3000", "6000"))
    assert low["score"].tolist() == high["score"].tolist()
    assert (high["livelihood"] < low["livelihood"]).all()


def test_an_unknown_objective_exits_2_with_a_message(
    tmp_path: Path, trained_registry_path: Path
) -> None:
    cohort = cohort_head(tmp_path, 5)
    output = tmp_path / "recs.csv"
    result = score(
        trained_registry_path,
        "--input",
        str(cohort),
        "--output",
        str(output),
        "--objective",
        "income",
    )
    assert result.exit_code == 2
    assert "unknown objective 'income'" in result.output
    assert not output.exists()
