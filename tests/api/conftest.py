"""API test fixtures: a tiny trained registry (session), apps on tmp_path SQLite, keys per role.

The registry is trained once per session (two logistic versions fitted on a
small synthetic history, plus a copy of the first with poor metrics for the
promotion gate) and copied into each test's folder, so activations in one test
never leak into another.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api.main
from api.deps import get_clock
from api.main import create_app
from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.model.smoke import sample_pairs, write_smoke_sample
from matcher.reference import Reference, load_reference
from matcher.settings import Settings
from matcher.store import Role, create_key, session_scope

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data_samples" / "reference"

PROFILE: dict[str, Any] = {
    "beneficiary_id": "B-2026-0001",
    "sex": "F",
    "age": 31,
    "region_id": "MA-06",
    "milieu": "urban",
    "education_level": "primary",
    "trainings": ["cooking_catering"],
    "experience": [{"trade_id": "cooking_catering", "years": 2.5}],
    "budget_mad": 30000,
    "preferred_sectors": ["catering"],
    "health_constraint": "none",
}


@dataclass(frozen=True)
class TrainedRegistry:
    """A template registry folder and its versions."""

    root: Path
    v1: str
    v2: str
    worse: str


@pytest.fixture(scope="session")
def reference() -> Reference:
    return load_reference(REFERENCE_DIR)


@pytest.fixture(scope="session", autouse=True)
def _cached_reference(reference: Reference) -> Iterator[None]:
    """Every app in this session reuses the loaded catalogue (its lifespan is then fast)."""

    def cached(directory: Path | str) -> Reference:
        if Path(directory).resolve() == REFERENCE_DIR:
            return reference
        return load_reference(directory)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(api.main, "load_reference", cached)
        yield


@pytest.fixture(scope="session")
def trained_registry(
    tmp_path_factory: pytest.TempPathFactory, reference: Reference
) -> TrainedRegistry:
    from training.generator import generate_world
    from training.history import validate_history
    from training.income_eval import income_column
    from training.pipeline import build_pipeline

    world = generate_world(reference, n_history=1200, n_cohort=10, seed=1)
    history, _ = validate_history(world.history.astype("str").fillna(""), reference)
    registry = Registry(tmp_path_factory.mktemp("registry"))
    manifest = {"reference_fingerprint": reference.fingerprint, "evidence": {}}

    def fit(rows: Any, *, income: bool = False) -> Any:
        pipeline = build_pipeline(reference, candidate="logit", income=income)
        if not income:
            return pipeline.fit(rows, rows["active_12m"].to_numpy())
        incomes = income_column(rows)
        return pipeline.fit(rows, rows["active_12m"].to_numpy(), model__income=incomes)

    def smoke(pipeline: Any) -> Any:
        """Record the smoke sample as training does."""
        pairs = sample_pairs(history)
        scores = Scorer(version="new", pipeline=pipeline, manifest={}).score_pairs(pairs)
        return lambda folder: write_smoke_sample(folder, pairs, scores)

    # v1 (active) has an income part and intervals; v2 is shaped like a version
    # saved before income (its final step is the calibrated classifier itself)
    first = fit(history, income=True)
    second = fit(history.iloc[: len(history) * 2 // 3])
    v1 = registry.save(
        first,
        manifest,
        metrics={"holdout": {"overall": {"roc_auc": 0.70, "log_loss": 0.60}}},
        write_extras=smoke(first),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    v2 = registry.save(
        second,
        manifest,
        metrics={"holdout": {"overall": {"roc_auc": 0.71, "log_loss": 0.59}}},
        write_extras=smoke(second),
        now=datetime(2026, 2, 1, tzinfo=UTC),
    )
    worse = registry.save(
        first,
        manifest,
        metrics={"holdout": {"overall": {"roc_auc": 0.55, "log_loss": 0.75}}},
        write_extras=smoke(first),
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    registry.activate(v1, actor="tests", reason="first model")
    return TrainedRegistry(root=registry.root, v1=v1, v2=v2, worse=worse)


def make_settings(root: Path, trained: TrainedRegistry, **overrides: Any) -> Settings:
    """Settings on ``root``: a copy of the trained registry and a SQLite file."""
    registry_dir = root / "models"
    shutil.copytree(trained.root, registry_dir)
    values: dict[str, Any] = {
        "registry": registry_dir,
        "reference": REFERENCE_DIR,
        "database_url": f"sqlite:///{root / 'matcher.db'}",
        "default_top_k": 5,
    }
    return Settings(**(values | overrides))


@pytest.fixture
def settings(tmp_path: Path, trained_registry: TrainedRegistry) -> Settings:
    return make_settings(tmp_path, trained_registry)


@dataclass
class Api:
    """A running app, its client and one key per role."""

    app: FastAPI
    client: TestClient
    keys: dict[str, str]

    def headers(self, role: str = "counsellor") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def sessions(self) -> Any:
        return self.app.state.matcher.sessions


HOME_CENTRE = "car_casablanca"
OTHER_CENTRE = "car_agadir"


def add_keys(app: FastAPI) -> dict[str, str]:
    """One key per role (the counsellor of HOME_CENTRE), and ``other``: a counsellor elsewhere."""
    keys = {}
    with session_scope(app.state.matcher.sessions) as session:
        for role in Role:
            centre = HOME_CENTRE if role is Role.COUNSELLOR else None
            keys[role.value], _ = create_key(
                session=session, role=role, label=f"test-{role}", centre_id=centre
            )
        keys["other"], _ = create_key(
            session=session, role=Role.COUNSELLOR, label="test-other", centre_id=OTHER_CENTRE
        )
    return keys


def set_clock(api: Api, when: datetime) -> None:
    """Date the app's next records at ``when`` (decisions, the day outcomes are checked on)."""
    api.app.dependency_overrides[get_clock] = lambda: lambda: when


def start_api(settings: Settings, **client_kwargs: Any) -> Iterator[Api]:
    app = create_app(settings)
    with TestClient(app, **client_kwargs) as client:
        yield Api(app=app, client=client, keys=add_keys(app))


@pytest.fixture
def fresh_api(settings: Settings) -> Iterator[Api]:
    """A fresh app on this test's database and registry copy (for tests that change state)."""
    yield from start_api(settings)


@pytest.fixture(scope="module")
def shared_api(
    tmp_path_factory: pytest.TempPathFactory, trained_registry: TrainedRegistry
) -> Iterator[Api]:
    """One app per test module, for tests that only add rows."""
    yield from start_api(make_settings(tmp_path_factory.mktemp("shared"), trained_registry))


@pytest.fixture
def assert_error() -> Callable[..., dict[str, Any]]:
    """The one helper that checks the error envelope."""
    return check_error


def check_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is the error envelope with ``status`` and ``code``; return the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert body["code"] == code, body
    assert "detail" in body, body
    if status == 401:
        assert response.headers.get("www-authenticate") == "Bearer"
    if status >= 500:
        assert "Traceback" not in response.text
    return body


def detail_locs(body: dict[str, Any]) -> list[list[Any]]:
    """The ``loc`` of every validation issue in an ``invalid_request`` body."""
    return [issue["loc"] for issue in body["detail"]]
