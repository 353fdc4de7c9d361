"""``matcher train`` through the real command: registration, activation, the gate, failures.

Training runs only the ``logit`` candidate here (the CLI's default compares
``logit`` and ``hgb``, which is several times slower); the candidate choice has
its own unit tests.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import training.train
from cli import app
from matcher.model.registry import Registry
from matcher.reference import Reference
from training.generator import generate_world, write_world

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data_samples"
REFERENCE_DIR = DATA / "reference"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

runner = CliRunner()


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype="str", keep_default_na=False)


def train(history: Path, registry: Path, *args: str, user: str = "tests") -> object:
    return runner.invoke(
        app,
        [
            "train",
            "--history",
            str(history),
            "--registry",
            str(registry),
            "--reference",
            str(REFERENCE_DIR),
            *args,
        ],
        env={"USER": user},
    )


@dataclass(frozen=True)
class Snapshot:
    active: str | None
    versions: list[str]
    history: str

    @classmethod
    def of(cls, root: Path) -> Snapshot:
        registry = Registry(root)
        log = root / "activations.jsonl"
        return cls(
            active=registry.active_version(),
            versions=registry.versions(),
            history=log.read_text(encoding="utf-8") if log.is_file() else "",
        )


def leftovers(root: Path) -> list[str]:
    """Hidden staging folders or partial files a failed run may have left."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def logit_only() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(training.train.train_model.__kwdefaults__, "candidates", ("logit",))
        yield


@pytest.fixture
def lean_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip permutation importance and the model card (not under test where used)."""
    monkeypatch.setattr(training.train, "feature_importance", lambda *a, **k: [])
    monkeypatch.setattr("training.report.write_model_card", lambda *a, **k: None)


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> Path:
    out = tmp_path_factory.mktemp("world")
    write_world(generate_world(reference, n_history=800, n_cohort=40, seed=11), out)
    return out


@pytest.fixture(scope="module")
def shuffled_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """800 rows of the shipped history with ``active_12m`` permuted: no signal left."""
    frame = read_csv(DATA / "history.csv").head(800)
    frame["active_12m"] = np.random.default_rng(0).permutation(frame["active_12m"].to_numpy())
    path = tmp_path_factory.mktemp("shuffled") / "history.csv"
    frame.to_csv(path, index=False)
    return path


@dataclass(frozen=True)
class Run:
    result: object
    root: Path
    before: Snapshot
    version: str


@pytest.fixture(scope="module")
def no_activate_run(
    tmp_path_factory: pytest.TempPathFactory,
    trained_registry_path: Path,
    world_dir: Path,
    logit_only: None,
) -> Run:
    """``train --no-activate`` on a small history with three bad rows appended."""
    base = tmp_path_factory.mktemp("no_activate")
    root = base / "models"
    shutil.copytree(trained_registry_path, root)
    frame = read_csv(world_dir / "history.csv")
    bad = frame.head(3).copy()
    bad.loc[bad.index[0], "project_type_id"] = "space_tourism"
    bad.loc[bad.index[1], "funded_mad"] = "0"
    bad.loc[bad.index[2], "start_date"] = "2023-13-45"
    history = base / "history.csv"
    pd.concat([frame, bad], ignore_index=True).to_csv(history, index=False)
    # what `matcher export-history` would have left beside it
    pd.DataFrame(
        {
            "diagnosis_id": ["a" * 32, "b" * 32],
            "outcome_id": ["1", "2"],
            "reason_code": ["superseded", "no_12m_outcome"],
            "reason": ["corrected by a later version (record 3)", "no 12-month outcome yet"],
        }
    ).to_csv(base / "history.csv.rejects.csv", index=False)
    before = Snapshot.of(root)
    result = train(
        history,
        root,
        "--no-activate",
        "--eval-cohort",
        str(world_dir / "cohort.csv"),
        "--eval-truth",
        str(world_dir / "cohort_truth.csv"),
    )
    assert result.exit_code == 0, result.output
    (new,) = set(Registry(root).versions()) - set(before.versions)
    return Run(result=result, root=root, before=before, version=new)


def test_train_registers_a_complete_version(no_activate_run: Run) -> None:
    folder = no_activate_run.root / no_activate_run.version
    for name in ("model.joblib", "manifest.json", "metrics.json", "report.md"):
        assert (folder / name).is_file(), name
    pngs = sorted(folder.glob("*.png"))
    assert {p.name for p in pngs} >= {"calibration.png", "groups.png", "importance.png"}
    for png in pngs:
        assert png.read_bytes()[:8] == PNG_MAGIC, png
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == no_activate_run.version
    assert manifest["candidate"] == "logit"
    assert manifest["n_rejected"] == 3
    assert manifest["n_rows"] == 800
    assert manifest["n_train"] + manifest["n_test"] == 800
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert 0.5 < metrics["holdout"]["overall"]["roc_auc"] <= 1
    assert "world" in metrics
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert no_activate_run.version in report
    assert "calibration.png" in report


def test_train_output_reports_version_metrics_and_rejects(no_activate_run: Run) -> None:
    output = no_activate_run.result.output  # type: ignore[attr-defined]
    assert f"registered {no_activate_run.version} (logit)" in output
    assert "held-out ROC AUC" in output
    assert "3 history rows rejected" in output
    assert "the export left out 2 records (no_12m_outcome 1, superseded 1)" in output
    assert "ground truth: NDCG@5" in output
    assert "not activated (--no-activate)" in output


def test_no_activate_leaves_active_untouched(no_activate_run: Run, reference: Reference) -> None:
    after = Snapshot.of(no_activate_run.root)
    assert after.active == no_activate_run.before.active is not None
    assert after.history == no_activate_run.before.history
    assert after.versions == sorted([*no_activate_run.before.versions, no_activate_run.version])
    registry = Registry(no_activate_run.root)
    loaded = registry.load(no_activate_run.version, reference_fingerprint=reference.fingerprint)
    assert loaded.version == no_activate_run.version
    assert leftovers(no_activate_run.root) == []


@pytest.mark.parametrize("column", ["active_12m", "start_date", "project_type_id"])
def test_history_missing_a_required_column_exits_2_naming_it(
    tmp_path: Path, registry_copy: Path, world_dir: Path, column: str
) -> None:
    history = tmp_path / "history.csv"
    read_csv(world_dir / "history.csv").drop(columns=[column]).to_csv(history, index=False)
    before = Snapshot.of(registry_copy)
    result = train(history, registry_copy)
    assert result.exit_code == 2, result.output
    assert column in result.output
    assert "data_schema" in result.output
    assert Snapshot.of(registry_copy) == before


def test_missing_history_file_exits_2(tmp_path: Path, registry_copy: Path) -> None:
    result = train(tmp_path / "nowhere.csv", registry_copy)
    assert result.exit_code == 2, result.output
    assert "no such file" in result.output


def test_history_too_small_exits_2(tmp_path: Path, registry_copy: Path, world_dir: Path) -> None:
    history = tmp_path / "history.csv"
    read_csv(world_dir / "history.csv").head(20).to_csv(history, index=False)
    before = Snapshot.of(registry_copy)
    result = train(history, registry_copy)
    assert result.exit_code == 2, result.output
    assert "at least" in result.output
    assert Snapshot.of(registry_copy) == before


def _raise(*args: object, **kwargs: object) -> None:
    raise RuntimeError("injected failure")


@pytest.mark.parametrize(
    "target",
    ["sklearn.pipeline.Pipeline.fit", "training.report.write_model_card"],
    ids=["pipeline-fit", "while-saving"],
)
def test_failed_training_leaves_the_registry_unchanged(
    registry_copy: Path,
    world_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    logit_only: None,
    target: str,
) -> None:
    monkeypatch.setattr(training.train, "feature_importance", lambda *a, **k: [])
    monkeypatch.setattr(target, _raise)
    before = Snapshot.of(registry_copy)
    result = train(world_dir / "history.csv", registry_copy)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, RuntimeError)  # type: ignore[attr-defined]
    assert Snapshot.of(registry_copy) == before
    assert leftovers(registry_copy) == []


def test_gate_refuses_a_clearly_worse_model(
    registry_copy: Path, shuffled_history: Path, logit_only: None, lean_training: None
) -> None:
    before = Snapshot.of(registry_copy)
    result = train(shuffled_history, registry_copy)
    assert result.exit_code == 3, result.output
    assert "not activated" in result.output
    assert "refusing to activate" in result.output
    assert "ROC AUC" in result.output
    after = Snapshot.of(registry_copy)
    assert after.active == before.active
    assert after.history == before.history
    (new,) = set(after.versions) - set(before.versions)
    assert new in result.output


def test_force_with_reason_overrides_the_gate(
    registry_copy: Path, shuffled_history: Path, logit_only: None, lean_training: None
) -> None:
    before = Snapshot.of(registry_copy)
    result = train(
        shuffled_history,
        registry_copy,
        "--force",
        "--reason",
        "pilot on the new intake",
        user="analyst-ana",
    )
    assert result.exit_code == 0, result.output
    registry = Registry(registry_copy)
    (new,) = set(registry.versions()) - set(before.versions)
    assert registry.active_version() == new
    assert f"active version is now {new}" in result.output
    last = registry.history()[-1]
    assert (last.version, last.previous) == (new, before.active)
    assert last.forced is True
    assert last.reason == "pilot on the new intake"
    assert last.actor == "analyst-ana"
