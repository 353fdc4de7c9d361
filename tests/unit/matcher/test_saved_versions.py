"""A model version saved before the package layout changed still loads and scores the same.

``tests/fixtures/registry_before_move/`` holds a version trained on ``data_samples/``
by the code of commit 1cf699d (before ``matcher/`` was split into subpackages), with
the scores and one recommendation that code gave: ``matcher score --top-k 50`` on the
first 30 people of the sample cohort, and ``recommend()`` on the example request.
Its pickle names ``matcher.features.PairFeatureBuilder``, ``matcher.features.scale_block``
and ``matcher.reference.Reference``.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import joblib
import pandas as pd
import pytest

from matcher.contract import columns as c
from matcher.contract.profile_table import validate_profiles
from matcher.contract.tables import read_table
from matcher.domain import Profile
from matcher.model.registry import Registry
from matcher.model.scorer import Scorer
from matcher.reference import Reference, load_reference
from matcher.service import rank_cohort, recommend

ROOT = Path(__file__).resolve().parents[3]
SAVED = ROOT / "tests" / "fixtures" / "registry_before_move"


@pytest.fixture(scope="module")
def saved() -> tuple[Reference, Scorer]:
    reference = load_reference(ROOT / "data_samples" / "reference")
    registry = Registry(SAVED)
    version = registry.resolve(None)
    # the catalogue the version was trained with, whatever the shipped one becomes
    assert registry.manifest(version)["reference_fingerprint"]
    fingerprint = registry.manifest(version)["reference_fingerprint"]
    scorer = Scorer.from_loaded(registry.load(version, reference_fingerprint=fingerprint))
    return reference, scorer


def test_the_saved_pickle_names_the_old_module_paths():
    """The fixture really is from before the move (else this test proves nothing)."""
    names: set[tuple[str, str]] = set()
    original = pickle._Unpickler.find_class  # type: ignore[attr-defined]

    def spy(self: object, module: str, name: str) -> object:
        names.add((module, name))
        return original(self, module, name)

    version = Registry(SAVED).resolve(None)
    pickle._Unpickler.find_class = spy  # type: ignore[attr-defined]
    try:
        joblib.load(SAVED / version / "model.joblib")
    finally:
        pickle._Unpickler.find_class = original  # type: ignore[attr-defined]
    ours = {pair for pair in names if pair[0].startswith("matcher")}
    assert ("matcher.features", "PairFeatureBuilder") in ours
    assert ("matcher.reference", "Reference") in ours


def test_a_version_saved_before_the_move_scores_identically(saved):
    reference, scorer = saved
    valid, rejects = validate_profiles(read_table(SAVED / "cohort_head.csv"), reference)
    assert rejects.empty
    now = rank_cohort(valid, reference=reference, scorer=scorer, top_k=50)
    before = pd.read_csv(SAVED / "scores_before_move.csv", dtype={c.BENEFICIARY_ID: str})
    assert len(now) == len(before) == 553
    assert now[c.BENEFICIARY_ID].tolist() == before[c.BENEFICIARY_ID].tolist()
    assert now[c.PROJECT_TYPE_ID].tolist() == before[c.PROJECT_TYPE_ID].tolist()
    assert now[c.RANK].tolist() == before[c.RANK].tolist()
    assert now[c.SCORE].to_numpy() == pytest.approx(before[c.SCORE].to_numpy(), abs=1e-12)


def test_a_version_saved_before_the_move_explains_identically(saved):
    reference, scorer = saved
    expected = json.loads((SAVED / "recommendation_before_move.json").read_text())
    result = recommend(
        Profile.model_validate(expected["profile"]), reference=reference, scorer=scorer, top_k=5
    )
    got = [
        {
            "project_type_id": r.project_type_id,
            "score": r.score,
            "reasons": [[x.factor, round(x.effect, 6)] for x in r.reasons],
        }
        for r in result.recommendations
    ]
    assert got == expected["recommendations"]
    gaps = [[g.project_type_id, g.trade_id, g.score_with] for g in result.qualification_gaps]
    assert gaps == expected["qualification_gaps"]
