"""Tests of matcher.model.registry: versions, checks before unpickling, activation, rollback."""

from __future__ import annotations

import json
import os
import pickle
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matcher.errors import (
    CatalogueMismatchError,
    IncompatibleModelError,
    NoActiveModelError,
    NothingToRollBackError,
    PromotionRefusedError,
    UnknownModelVersionError,
)
from matcher.features.builder import FEATURE_VERSION
from matcher.model.gate import promotion_gate
from matcher.model.registry import (
    ACTIVE,
    ARTEFACT,
    HISTORY,
    LOCK,
    MANIFEST,
    METRICS,
    VERSION_RE,
    Registry,
    framework_versions,
    sha256_file,
)

FP = "f" * 64
T1 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
T2 = datetime(2025, 2, 1, 12, 0, 0, tzinfo=UTC)
T3 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def metrics(auc: float, log_loss: float) -> dict:
    return {"holdout": {"overall": {"roc_auc": auc, "log_loss": log_loss}}}


def save(reg: Registry, payload, now=T1, **kwargs) -> str:
    return reg.save(payload, {"reference_fingerprint": FP}, now=now, **kwargs)


@pytest.fixture
def reg(tmp_path) -> Registry:
    return Registry(tmp_path / "models")


def test_save_versions_load(reg):
    version = save(reg, {"model": [1, 2, 3]}, metrics=metrics(0.7, 0.5))
    assert VERSION_RE.match(version)
    assert version.startswith("20250101T120000Z-")
    assert reg.versions() == [version]
    folder = reg.path(version)
    assert {p.name for p in folder.iterdir()} == {ARTEFACT, MANIFEST, METRICS}
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["reference_fingerprint"] == FP
    assert manifest["version"] == version
    assert manifest["format_version"] == 1
    assert manifest["framework_versions"] == framework_versions()
    assert manifest["artefact_sha256"] == sha256_file(folder / ARTEFACT)
    assert version.endswith(manifest["artefact_sha256"][:6])
    assert reg.metrics(version)["version"] == version
    assert reg.metrics(version)["holdout"]["overall"]["roc_auc"] == 0.7
    loaded = reg.load(version, reference_fingerprint=FP)
    assert loaded.pipeline == {"model": [1, 2, 3]}
    assert loaded.version == version
    assert loaded.manifest == manifest


def test_load_defaults_to_the_active_version(reg):
    v1 = save(reg, "first", now=T1)
    v2 = save(reg, "second", now=T2)
    assert reg.versions() == [v1, v2]
    reg.activate(v1, actor="t", reason="r")
    assert reg.load(reference_fingerprint=FP).pipeline == "first"
    assert reg.load(v2, reference_fingerprint=FP).pipeline == "second"


def test_trained_registry_loads(registry_copy, reference):
    reg = Registry(registry_copy)
    loaded = reg.load(reference_fingerprint=reference.fingerprint)
    assert loaded.version == reg.active_version()
    assert list(loaded.pipeline.named_steps) == ["features", "model"]


def test_catalogue_mismatch(reg):
    version = save(reg, "x")
    reg.activate(version, actor="t", reason="r")
    with pytest.raises(CatalogueMismatchError, match="another reference catalogue") as info:
        reg.load(reference_fingerprint="0" * 64)
    assert info.value.code == "catalogue_mismatch"


class _Trap:
    """Unpickling this creates a marker file: proof that the bytes were unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_altered_artefact_is_refused_before_unpickling(reg, tmp_path):
    version = save(reg, "x")
    marker = tmp_path / "unpickled"
    trap = pickle.dumps(_Trap(marker))
    (reg.path(version) / ARTEFACT).write_bytes(trap)
    # the trap works: unpickling it really would run code
    pickle.loads(trap)
    assert marker.exists()
    marker.unlink()
    with pytest.raises(IncompatibleModelError, match="altered"):
        reg.load(version, reference_fingerprint=FP)
    assert not marker.exists()


def test_garbage_artefact_is_refused(reg):
    version = save(reg, "x")
    (reg.path(version) / ARTEFACT).write_bytes(b"\x80\x04garbage that crashes joblib")
    with pytest.raises(IncompatibleModelError, match="sha256"):
        reg.load(version, reference_fingerprint=FP)


def test_missing_artefact_is_refused(reg):
    version = save(reg, "x")
    (reg.path(version) / ARTEFACT).unlink()
    with pytest.raises(IncompatibleModelError, match="missing or altered"):
        reg.load(version, reference_fingerprint=FP)


def rewrite_manifest(reg: Registry, version: str, change) -> None:
    path = reg.path(version) / MANIFEST
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("lib", ["scikit-learn", "numpy", "python"])
def test_other_library_version_is_refused(reg, lib):
    version = save(reg, "x")
    rewrite_manifest(reg, version, lambda m: m["framework_versions"].update({lib: "0.0.1"}))
    with pytest.raises(IncompatibleModelError, match=f"built with {lib} 0.0.1"):
        reg.load(version, reference_fingerprint=FP)


def test_other_format_is_refused(reg):
    version = save(reg, "x")
    rewrite_manifest(reg, version, lambda m: m.update(format_version=99))
    with pytest.raises(IncompatibleModelError, match="format 99"):
        reg.load(version, reference_fingerprint=FP)


@pytest.mark.parametrize("recorded", [FEATURE_VERSION - 1, FEATURE_VERSION + 1, None])
def test_other_feature_version_is_refused_before_unpickling(reg, recorded):
    """A version built by other feature code is refused, with the versions named."""
    version = save(reg, "x")
    rewrite_manifest(
        reg,
        version,
        lambda m: (
            m.pop("feature_version") if recorded is None else m.update(feature_version=recorded)
        ),
    )
    (reg.path(version) / "model.joblib").write_bytes(b"not a pickle")  # never reached
    with pytest.raises(
        IncompatibleModelError,
        match=f"feature code version {recorded!r}, this matcher has {FEATURE_VERSION}",
    ):
        reg.load(version, reference_fingerprint=FP)


def test_the_current_feature_version_is_recorded_and_loads(reg):
    version = save(reg, "x")
    assert reg.manifest(version)["feature_version"] == FEATURE_VERSION
    assert reg.load(version, reference_fingerprint=FP).version == version


def test_unreadable_manifest(reg):
    version = save(reg, "x")
    (reg.path(version) / MANIFEST).write_text("{not json")
    with pytest.raises(IncompatibleModelError, match="unreadable manifest"):
        reg.load(version, reference_fingerprint=FP)


@pytest.mark.parametrize("name", ["20990101T000000Z-abcdef", "latest", "../etc", ""])
def test_unknown_version(reg, name):
    save(reg, "x")
    with pytest.raises(UnknownModelVersionError) as info:
        reg.load(name or "nope", reference_fingerprint=FP)
    assert info.value.code == "model_version_not_found"
    with pytest.raises(UnknownModelVersionError):
        reg.activate(name or "nope", actor="t", reason="r")


def test_empty_registry(tmp_path):
    for reg in (Registry(tmp_path / "absent"), Registry(tmp_path)):
        assert reg.versions() == []
        assert reg.active_version() is None
        with pytest.raises(NoActiveModelError, match="no active model"):
            reg.load(reference_fingerprint=FP)


def test_versions_without_manifest_are_invisible(reg):
    version = save(reg, "x")
    (reg.root / "20250105T000000Z-aaaaaa").mkdir()
    (reg.root / "notes").mkdir()
    assert reg.versions() == [version]


def test_blank_active_file_means_no_active(reg):
    save(reg, "x")
    (reg.root / ACTIVE).write_text("\n")
    assert reg.active_version() is None
    with pytest.raises(NoActiveModelError):
        reg.load(reference_fingerprint=FP)


def test_activation_writes_one_line_and_appends_history(reg):
    v1 = save(reg, "a", now=T1)
    v2 = save(reg, "b", now=T2)
    first = reg.activate(v1, actor="alice", reason="first model")
    assert (reg.root / ACTIVE).read_text() == v1 + "\n"
    second = reg.activate(v2, actor="bob", reason="better")
    assert (reg.root / ACTIVE).read_text() == v2 + "\n"
    assert reg.active_version() == v2
    assert first.previous is None
    assert (second.version, second.previous, second.actor, second.reason) == (
        v2,
        v1,
        "bob",
        "better",
    )
    lines = (reg.root / HISTORY).read_text().splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["version"] for line in lines] == [v1, v2]
    assert reg.history() == [first, second]
    assert {p.name for p in reg.root.iterdir()} == {v1, v2, ACTIVE, HISTORY, LOCK}


def test_rollback_goes_to_the_previous_version(reg):
    v1 = save(reg, "a", now=T1)
    v2 = save(reg, "b", now=T2)
    v3 = save(reg, "c", now=T3)
    for v in (v1, v2, v3):
        reg.activate(v, actor="t", reason="r")
    target = reg.rollback_target()
    assert target == v2
    record = reg.activate(target, actor="ops", reason="incident 42", force=True, action="rollback")
    assert reg.active_version() == v2
    assert (record.version, record.previous, record.action, record.forced) == (
        v2,
        v3,
        "rollback",
        True,
    )
    assert reg.history()[-1] == record
    assert len(reg.history()) == 4


def test_rollback_with_nothing_before(reg):
    v1 = save(reg, "a")
    with pytest.raises(NothingToRollBackError):
        reg.rollback_target()
    reg.activate(v1, actor="t", reason="r")
    with pytest.raises(NothingToRollBackError, match="nothing to roll back") as caught:
        reg.rollback_target()
    assert caught.value.http_status == 409
    assert reg.active_version() == v1


def test_promotion_gate_refuses_a_clearly_worse_candidate(reg):
    good = save(reg, "good", now=T1, metrics=metrics(0.72, 0.50))
    worse = save(reg, "worse", now=T2, metrics=metrics(0.60, 0.58))
    reg.activate(good, actor="t", reason="r", gate=promotion_gate)
    with pytest.raises(PromotionRefusedError, match=r"ROC AUC 0\.600 vs 0\.720") as info:
        reg.activate(worse, actor="t", reason="", gate=promotion_gate)
    assert info.value.code == "promotion_refused"
    assert reg.active_version() == good
    assert len(reg.history()) == 1
    with pytest.raises(PromotionRefusedError, match="needs a reason"):
        reg.activate(worse, actor="t", reason="  ", force=True, gate=promotion_gate)
    assert reg.active_version() == good
    record = reg.activate(worse, actor="t", reason="field tests", force=True, gate=promotion_gate)
    assert record.forced
    assert reg.active_version() == worse


def test_promotion_gate_lets_a_similar_candidate_through(reg):
    good = save(reg, "good", now=T1, metrics=metrics(0.72, 0.50))
    close = save(reg, "close", now=T2, metrics=metrics(0.71, 0.51))
    reg.activate(good, actor="t", reason="r", gate=promotion_gate)
    reg.activate(close, actor="t", reason="r", gate=promotion_gate)
    assert reg.active_version() == close


@pytest.mark.parametrize(
    ("candidate", "active", "refused"),
    [
        (metrics(0.70, 0.50), metrics(0.70, 0.50), False),
        (metrics(0.69, 0.51), metrics(0.70, 0.50), False),
        (metrics(0.67, 0.50), metrics(0.70, 0.50), True),
        (metrics(0.70, 0.53), metrics(0.70, 0.50), True),
        (metrics(0.90, 0.30), metrics(0.70, 0.50), False),
    ],
)
def test_promotion_gate_thresholds(candidate, active, refused):
    assert (promotion_gate(candidate, active) is not None) is refused


def test_promotion_gate_prefers_the_side_by_side_comparison():
    active = {"version": "V1", **metrics(0.90, 0.30)}
    candidate = {
        **metrics(0.60, 0.60),
        "comparison": {
            "active_version": "V1",
            "candidate": {"roc_auc": 0.75, "log_loss": 0.45},
            "active": {"roc_auc": 0.74, "log_loss": 0.46},
        },
    }
    assert promotion_gate(candidate, active) is None
    stale = {**candidate, "comparison": {**candidate["comparison"], "active_version": "V0"}}
    assert promotion_gate(stale, active) is not None


def test_failed_save_leaves_nothing(reg):
    v1 = save(reg, "a", now=T1)
    reg.activate(v1, actor="t", reason="r")
    before = sorted(p.name for p in reg.root.iterdir())
    active_before = (reg.root / ACTIVE).read_bytes()

    def broken(folder: Path) -> None:
        (folder / "report.md").write_text("half a report")
        raise RuntimeError("plotting failed")

    with pytest.raises(RuntimeError, match="plotting failed"):
        save(reg, "b", now=T2, write_extras=broken)
    assert sorted(p.name for p in reg.root.iterdir()) == before
    assert (reg.root / ACTIVE).read_bytes() == active_before
    assert reg.versions() == [v1]


def test_extras_are_stored(reg):
    version = save(reg, "a", write_extras=lambda f: (f / "report.md").write_text("# card"))
    assert (reg.path(version) / "report.md").read_text() == "# card"


def test_saving_the_same_version_twice_is_refused(reg):
    save(reg, "a", now=T1)
    with pytest.raises(FileExistsError):
        save(reg, "a", now=T1)
    assert len(reg.versions()) == 1
    assert not [p for p in reg.root.iterdir() if p.name.startswith(".")]


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask_022")
def test_registry_files_honour_the_umask(reg):
    version = save(reg, "a")
    reg.activate(version, actor="t", reason="r")
    assert stat.S_IMODE(reg.path(version).stat().st_mode) == 0o755
    assert stat.S_IMODE((reg.path(version) / MANIFEST).stat().st_mode) == 0o644
    assert stat.S_IMODE((reg.root / ACTIVE).stat().st_mode) == 0o644
