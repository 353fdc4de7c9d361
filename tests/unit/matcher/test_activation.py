"""The guarded activation path: integrity, smoke test, history under a cross-process lock."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from tampering import flip_one_byte, history_is_consistent, replace_artefact

from matcher.errors import (
    ModelIntegrityError,
    NothingToRollBackError,
    SmokeTestError,
)
from matcher.model.activation import activate_version, checked_scorer, rollback_version
from matcher.model.registry import ARTEFACT, HISTORY, Registry
from matcher.model.smoke import SMOKE_SAMPLE, read_smoke_sample
from matcher.reference import Reference


@pytest.fixture
def two_versions(registry_copy: Path, reference: Reference) -> tuple[Registry, str, str]:
    """The trained (active) version and a second copy of it saved with its smoke sample."""
    registry = Registry(registry_copy)
    v1 = registry.active_version()
    assert v1 is not None
    loaded = registry.load(v1, reference_fingerprint=reference.fingerprint)
    manifest = {k: v for k, v in loaded.manifest.items() if k not in {"version", "created_at"}}
    sample = (registry.path(v1) / SMOKE_SAMPLE).read_text(encoding="utf-8")
    v2 = registry.save(
        loaded.pipeline,
        manifest,
        metrics=registry.metrics(v1),
        write_extras=lambda folder: (folder / SMOKE_SAMPLE).write_text(sample, "utf-8"),
        now=datetime(2031, 1, 1, tzinfo=UTC),
    )
    return registry, v1, v2


def test_training_records_a_smoke_sample_that_the_model_reproduces(
    registry_copy: Path, reference: Reference
) -> None:
    registry = Registry(registry_copy)
    version = registry.active_version()
    assert version is not None
    recorded = read_smoke_sample(registry.path(version))
    assert recorded is not None
    pairs, scores = recorded
    assert 10 <= len(pairs) <= 40
    assert np.all((scores >= 0) & (scores <= 1))
    scorer = checked_scorer(registry, version, reference=reference)
    np.testing.assert_allclose(scorer.score_pairs(pairs), scores, atol=1e-9)


def test_one_flipped_byte_is_refused_and_active_does_not_move(two_versions, reference) -> None:
    registry, v1, v2 = two_versions
    flip_one_byte(registry.path(v2))
    with pytest.raises(ModelIntegrityError, match="sha256") as caught:
        activate_version(registry, v2, reference=reference, actor="t", reason="r")
    assert caught.value.http_status == 422
    assert caught.value.code == "model_integrity"
    assert registry.active_version() == v1
    assert [r.version for r in registry.history()] == [v1]


def test_a_pickle_that_is_not_a_pipeline_is_refused_even_with_a_matching_sha256(
    two_versions, reference
) -> None:
    registry, v1, v2 = two_versions
    replace_artefact(registry.path(v2), {"model": "not a pipeline"})
    with pytest.raises(ModelIntegrityError, match="not the fitted Pipeline"):
        activate_version(registry, v2, reference=reference, actor="t", reason="r")
    assert registry.active_version() == v1


def test_a_pipeline_that_scores_differently_fails_the_smoke_test(two_versions, reference) -> None:
    registry, v1, v2 = two_versions
    # A genuine fitted Pipeline of the same kind, refitted on other labels, written in
    # place with its sha256 recomputed: every static check passes, the scores do not.
    recorded = read_smoke_sample(registry.path(v2))
    assert recorded is not None
    pairs = recorded[0].assign(active_12m=np.arange(len(recorded[0])) % 2)
    refitted = clone(joblib.load(registry.path(v2) / ARTEFACT))
    refitted.fit(pairs, pairs["active_12m"].to_numpy())
    replace_artefact(registry.path(v2), refitted)
    with pytest.raises(SmokeTestError, match="differ from those recorded") as caught:
        activate_version(registry, v2, reference=reference, actor="t", reason="r")
    assert caught.value.http_status == 422
    assert registry.active_version() == v1


def test_a_version_without_a_sample_is_still_scored_on_the_probe(two_versions, reference) -> None:
    registry, v1, v2 = two_versions
    (registry.path(v2) / SMOKE_SAMPLE).unlink()
    record, scorer = activate_version(registry, v2, reference=reference, actor="t", reason="r")
    assert (record.version, record.previous) == (v2, v1)
    assert scorer.version == v2


def test_rollback_with_nothing_earlier_is_a_conflict(two_versions, reference) -> None:
    registry, v1, _ = two_versions
    with pytest.raises(NothingToRollBackError) as caught:
        rollback_version(registry, reference=reference, actor="t", reason="r")
    assert caught.value.http_status == 409
    assert registry.active_version() == v1


def test_rollback_to_a_version_altered_since_is_refused(two_versions, reference) -> None:
    registry, v1, v2 = two_versions
    activate_version(registry, v2, reference=reference, actor="t", reason="r")
    flip_one_byte(registry.path(v1))
    with pytest.raises(ModelIntegrityError):
        rollback_version(registry, reference=reference, actor="t", reason="r")
    assert registry.active_version() == v2


def _activate_many(root: str, version: str, n: int, start: Any) -> None:
    registry = Registry(root)
    start.wait()
    for i in range(n):
        registry.activate(version, actor=f"p-{version[-6:]}", reason=str(i))


def test_two_processes_activating_at_once_keep_previous_right(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "models")
    versions = [
        registry.save(name, {}, now=datetime(2030, month, 1, tzinfo=UTC))
        for month, name in ((1, "a"), (2, "b"))
    ]
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [
        ctx.Process(target=_activate_many, args=(str(registry.root), v, 150, start))
        for v in versions
    ]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    text = (registry.root / HISTORY).read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 300
    assert history_is_consistent(lines) == []
    assert registry.active_version() == lines[-1]["version"]
