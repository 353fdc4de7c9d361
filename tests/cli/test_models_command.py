"""``matcher models list/show/activate/rollback/history`` on a registry with several versions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tampering import flip_one_byte, replace_artefact
from typer.testing import CliRunner

from cli import app
from matcher.model.registry import Registry
from matcher.reference import Reference

runner = CliRunner()


def models(registry: Path, *args: str, user: str = "tests") -> object:
    command, *rest = args
    return runner.invoke(
        app, ["models", command, *rest, "--registry", str(registry)], env={"USER": user}
    )


@dataclass(frozen=True)
class Versions:
    root: Path
    v1: str
    v2: str
    worse: str


@pytest.fixture
def versions(registry_copy: Path, reference: Reference) -> Versions:
    """The session version (active), a copy with the same metrics, and a clearly worse one."""
    registry = Registry(registry_copy)
    v1 = registry.active_version()
    assert v1 is not None
    loaded = registry.load(v1, reference_fingerprint=reference.fingerprint)
    manifest = {k: v for k, v in loaded.manifest.items() if k not in {"version", "created_at"}}
    metrics = registry.metrics(v1)
    v2 = registry.save(
        loaded.pipeline, manifest, metrics=metrics, now=datetime(2030, 1, 1, tzinfo=UTC)
    )
    poor = json.loads(json.dumps(metrics))
    poor.pop("comparison", None)
    poor["holdout"]["overall"].update(roc_auc=0.51, log_loss=0.9)
    headline = {**manifest["headline"], "roc_auc": 0.51, "log_loss": 0.9}
    worse = registry.save(
        loaded.pipeline,
        {**manifest, "headline": headline},
        metrics=poor,
        now=datetime(2030, 2, 1, tzinfo=UTC),
    )
    return Versions(root=registry_copy, v1=v1, v2=v2, worse=worse)


def history_lines(root: Path) -> list[dict[str, object]]:
    text = (root / "activations.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_list_marks_the_active_version(versions: Versions) -> None:
    result = models(versions.root, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3
    by_version = {line.lstrip("* ").split()[0]: line for line in lines}
    assert set(by_version) == {versions.v1, versions.v2, versions.worse}
    assert by_version[versions.v1].startswith("*")
    assert not by_version[versions.v2].startswith("*")
    assert "AUC 0.510" in by_version[versions.worse]
    assert "log loss 0.900" in by_version[versions.worse]
    assert [line.lstrip("* ").split()[0] for line in lines] == sorted(by_version)


def test_list_on_an_empty_registry(tmp_path: Path) -> None:
    result = models(tmp_path / "empty", "list")
    assert result.exit_code == 0, result.output
    assert "no versions in" in result.output


def test_show_prints_the_manifest_and_model_card(versions: Versions) -> None:
    result = models(versions.root, "show")
    assert result.exit_code == 0, result.output
    text, card = result.output.rsplit("model card: ", 1)
    manifest = json.loads(text)
    assert manifest["version"] == versions.v1
    assert "evidence" not in manifest
    assert card.strip() == str(versions.root / versions.v1 / "report.md")

    result = models(versions.root, "show", versions.v2)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.rsplit("model card: ", 1)[0])["version"] == versions.v2


def test_show_unknown_version_exits_2(versions: Versions) -> None:
    result = models(versions.root, "show", "20990101T000000Z-abcdef")
    assert result.exit_code == 2, result.output
    assert "unknown model version" in result.output


def test_activate_then_rollback_restores_the_previous(versions: Versions) -> None:
    registry = Registry(versions.root)
    result = models(versions.root, "activate", versions.v2, "--reason", "same metrics", user="ana")
    assert result.exit_code == 0, result.output
    assert f"active: {versions.v2} (was {versions.v1})" in result.output
    assert registry.active_version() == versions.v2

    result = models(versions.root, "rollback", "--reason", "complaints", user="omar")
    assert result.exit_code == 0, result.output
    assert f"rolled back: {versions.v1} is active (was {versions.v2})" in result.output
    assert registry.active_version() == versions.v1

    last = registry.history()[-2:]
    assert [(r.action, r.version, r.previous, r.actor, r.reason) for r in last] == [
        ("activate", versions.v2, versions.v1, "ana", "same metrics"),
        ("rollback", versions.v1, versions.v2, "omar", "complaints"),
    ]


def test_gate_refuses_a_worse_version_unless_forced(versions: Versions) -> None:
    registry = Registry(versions.root)
    result = models(versions.root, "activate", versions.worse, "--reason", "try it")
    assert result.exit_code == 2, result.output
    assert "refusing to activate" in result.output
    assert "ROC AUC" in result.output
    assert registry.active_version() == versions.v1

    result = models(
        versions.root, "activate", versions.worse, "--reason", "field test", "--force", user="ana"
    )
    assert result.exit_code == 0, result.output
    assert registry.active_version() == versions.worse
    record = registry.history()[-1]
    assert record.forced is True
    assert (record.actor, record.reason) == ("ana", "field test")


def test_activate_unknown_version_exits_2(versions: Versions) -> None:
    result = models(versions.root, "activate", "20990101T000000Z-abcdef", "--reason", "x")
    assert result.exit_code == 2, result.output
    assert Registry(versions.root).active_version() == versions.v1


def test_rollback_without_an_earlier_version_exits_2(versions: Versions) -> None:
    result = models(versions.root, "rollback", "--reason", "nothing before")
    assert result.exit_code == 2, result.output
    assert "error [nothing_to_roll_back]: nothing to roll back" in result.output
    assert Registry(versions.root).active_version() == versions.v1


def test_history_is_append_only_with_actor_and_reason(versions: Versions) -> None:
    steps = [
        ("activate", versions.v2, "--reason", "first swap"),
        ("activate", versions.worse, "--reason", "forced swap", "--force"),
        ("rollback", "--reason", "back again"),
    ]
    seen = history_lines(versions.root)
    for i, step in enumerate(steps):
        result = models(versions.root, *step, user=f"user{i}")
        assert result.exit_code == 0, result.output
        now = history_lines(versions.root)
        assert now[: len(seen)] == seen
        assert len(now) == len(seen) + 1
        assert now[-1]["actor"] == f"user{i}"
        assert now[-1]["reason"] == step[step.index("--reason") + 1]
        seen = now

    result = models(versions.root, "history")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(seen)
    assert "by user0: first swap" in lines[-3]
    assert "by user1 FORCED: forced swap" in lines[-2]
    assert lines[-1].split()[1] == "rollback"
    assert "by user2" in lines[-1]
    assert "back again" in lines[-1]


def test_a_tampered_version_is_refused_from_the_cli(versions: Versions) -> None:
    flip_one_byte(versions.root / versions.v2)
    result = models(versions.root, "activate", versions.v2, "--reason", "same metrics")
    assert result.exit_code == 2, result.output
    assert "error [model_integrity]" in result.output
    assert "altered (sha256 mismatch)" in result.output
    registry = Registry(versions.root)
    assert registry.active_version() == versions.v1
    assert [r.version for r in registry.history()] == [versions.v1]


def test_a_pickle_that_is_not_a_pipeline_is_refused_from_the_cli(versions: Versions) -> None:
    replace_artefact(versions.root / versions.v2, {"not": "a pipeline"})
    result = models(versions.root, "activate", versions.v2, "--reason", "x", "--force")
    assert result.exit_code == 2, result.output
    assert "not the fitted Pipeline" in result.output
    assert Registry(versions.root).active_version() == versions.v1


def test_rollback_to_a_version_altered_since_is_refused_from_the_cli(versions: Versions) -> None:
    assert models(versions.root, "activate", versions.v2, "--reason", "swap").exit_code == 0
    flip_one_byte(versions.root / versions.v1)
    result = models(versions.root, "rollback", "--reason", "back")
    assert result.exit_code == 2, result.output
    assert "model_integrity" in result.output
    assert Registry(versions.root).active_version() == versions.v2
