"""Shared fixtures: the shipped catalogue, a trained registry, Hypothesis profiles.

The trained registry is built once per test session from ``data_samples/`` (the
logit candidate only, to keep it fast) into a temporary folder; tests that need
to change a registry copy it first.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.reference import Reference, load_reference

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data_samples"
REFERENCE_DIR = DATA / "reference"

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-browser", action="store_true", default=False, help="run the Chromium tests"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-browser"):
        return
    skip = pytest.mark.skip(reason="browser tests need --run-browser (make test runs them)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def reference() -> Reference:
    return load_reference(REFERENCE_DIR)


@pytest.fixture(scope="session")
def trained_registry_path(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> Path:
    """A registry with one active version trained on the shipped history."""
    from training.train import train_model

    root = tmp_path_factory.mktemp("registry")
    train_model(
        DATA / "history.csv",
        reference=reference,
        registry=Registry(root),
        candidates=("logit",),
        actor="tests",
        reason="session fixture",
        eval_cohort=DATA / "cohort.csv",
        eval_truth=DATA / "cohort_truth.csv",
    )
    return root


@pytest.fixture
def registry_copy(trained_registry_path: Path, tmp_path: Path) -> Path:
    """A private copy of the trained registry that a test may change."""
    target = tmp_path / "models"
    shutil.copytree(trained_registry_path, target)
    return target


@pytest.fixture(scope="session")
def scorer(trained_registry_path: Path, reference: Reference) -> Scorer:
    loaded = Registry(trained_registry_path).load(reference_fingerprint=reference.fingerprint)
    return Scorer.from_loaded(loaded)
