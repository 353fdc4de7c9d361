"""End to end on the shipped sample: train → ``matcher score`` → same ranking everywhere.

The model is the session's (``tests/conftest.py`` trains it on ``data_samples/``
into an empty registry). A profile must get the same ranked list whichever door
it comes through: the batch command, :func:`matcher.service.recommend`, and the
HTTP API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from profile_rows import profile_json
from typer.testing import CliRunner

from cli import app as cli
from matcher.domain import Profile
from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.reference import Reference
from matcher.service import recommend
from matcher.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data_samples"
REFERENCE_DIR = DATA / "reference"
TOP_K = 5
SAMPLE = 30

Ranking = list[tuple[int, str, float]]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(DATA / "cohort.csv", dtype="str", keep_default_na=False)


@pytest.fixture(scope="module")
def scored(
    tmp_path_factory: pytest.TempPathFactory, trained_registry_path: Path
) -> tuple[pd.DataFrame, str]:
    output = tmp_path_factory.mktemp("flow") / "recommendations.csv"
    result = CliRunner().invoke(
        cli,
        [
            "score",
            "--input",
            str(DATA / "cohort.csv"),
            "--output",
            str(output),
            "--top-k",
            str(TOP_K),
            "--registry",
            str(trained_registry_path),
            "--reference",
            str(REFERENCE_DIR),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(output, dtype={"beneficiary_id": "str", "project_type_id": "str"})
    return frame, result.output


@pytest.fixture(scope="module")
def sample(cohort: pd.DataFrame, scored: tuple[pd.DataFrame, str]) -> pd.DataFrame:
    """Thirty profiles, plus everyone the batch found no eligible type for."""
    frame, _ = scored
    unranked = cohort.loc[~cohort["beneficiary_id"].isin(frame["beneficiary_id"])]
    return pd.concat([cohort.sample(SAMPLE, random_state=7), unranked]).drop_duplicates()


def batch_ranking(frame: pd.DataFrame, beneficiary_id: str) -> Ranking:
    rows = frame.loc[frame["beneficiary_id"] == beneficiary_id].sort_values("rank")
    return [
        (int(r), str(t), float(s))
        for r, t, s in zip(rows["rank"], rows["project_type_id"], rows["score"], strict=True)
    ]


def assert_same(got: Ranking, expected: Ranking) -> None:
    assert [(r, t) for r, t, _ in got] == [(r, t) for r, t, _ in expected]
    assert [s for _, _, s in got] == pytest.approx([s for _, _, s in expected], abs=1e-9)


def test_the_session_model_was_trained_on_the_sample_and_activated(
    trained_registry_path: Path, reference: Reference
) -> None:
    registry = Registry(trained_registry_path)
    version = registry.active_version()
    assert version is not None
    assert registry.versions()[0] == version
    first = registry.history()[0]
    assert (first.version, first.previous, first.action) == (version, None, "activate")
    manifest = registry.manifest(version)
    assert manifest["history_path"].endswith("data_samples/history.csv")
    assert manifest["n_rows"] == 6000
    assert manifest["reference_fingerprint"] == reference.fingerprint


def test_batch_scores_the_whole_cohort(
    scored: tuple[pd.DataFrame, str], cohort: pd.DataFrame, scorer: Scorer
) -> None:
    frame, output = scored
    ranked = frame["beneficiary_id"].nunique()
    # the counts add up to the rows: ranked + no eligible type + rejected
    assert (
        f"{len(cohort)} rows = {ranked} ranked + {len(cohort) - ranked} with no eligible" in output
    )
    assert "+ 0 rejected" in output
    assert set(frame["model_version"]) == {scorer.version}
    assert frame.groupby("beneficiary_id").size().max() == TOP_K


def test_service_gives_the_same_ranking_as_the_batch(
    sample: pd.DataFrame,
    scored: tuple[pd.DataFrame, str],
    scorer: Scorer,
    reference: Reference,
) -> None:
    frame, _ = scored
    for _, row in sample.iterrows():
        result = recommend(
            Profile.model_validate(profile_json(row)),
            reference=reference,
            scorer=scorer,
            top_k=TOP_K,
        )
        assert result.model_version == scorer.version
        got = [(r.rank, r.project_type_id, r.score) for r in result.recommendations]
        assert_same(got, batch_ranking(frame, row["beneficiary_id"]))


@pytest.fixture(scope="module")
def api_client(
    tmp_path_factory: pytest.TempPathFactory, trained_registry_path: Path
) -> Iterator[tuple[Any, dict[str, str]]]:
    main = pytest.importorskip("api.main")
    from fastapi.testclient import TestClient

    from matcher.store import Role, create_key, session_scope

    folder = tmp_path_factory.mktemp("flow_api")
    settings = Settings(
        registry=trained_registry_path,
        reference=REFERENCE_DIR,
        database_url=f"sqlite:///{folder / 'matcher.db'}",
    )
    app = main.create_app(settings)
    with TestClient(app) as client:
        with session_scope(app.state.matcher.sessions) as session:
            key, _ = create_key(
                session=session,
                role=Role.COUNSELLOR,
                label="flow-counsellor",
                centre_id="car_casablanca",
            )
        yield client, {"Authorization": f"Bearer {key}"}


def test_api_gives_the_same_ranking_as_the_batch(
    api_client: tuple[Any, dict[str, str]],
    sample: pd.DataFrame,
    scored: tuple[pd.DataFrame, str],
    scorer: Scorer,
) -> None:
    client, headers = api_client
    frame, _ = scored
    for _, row in sample.head(15).iterrows():
        response = client.post(
            "/v1/recommendations",
            json={"profile": profile_json(row), "top_k": TOP_K},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["model_version"] == scorer.version
        got = [(r["rank"], r["project_type_id"], r["score"]) for r in body["recommendations"]]
        assert_same(got, batch_ranking(frame, row["beneficiary_id"]))
        ranked = {t for _, t, _ in got}
        assert not ranked & {e["project_type_id"] for e in body["excluded"]}
