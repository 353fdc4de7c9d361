"""A model version saved before the package layout changed still loads and scores the same.

Nothing binary is committed: the fixture takes the code of commit 1cf699d (before
``matcher/`` was split into subpackages) from this repository's own history with
``git archive``, and runs *that* code to train a version on ``data_samples/`` and to write
what it gave: ``matcher score --top-k 50`` on the first 30 people of the sample cohort,
and ``recommend()`` on the example request. Today's code then loads that version and must
give the same. Its pickle names ``matcher.features.PairFeatureBuilder``,
``matcher.features.scale_block`` and ``matcher.reference.Reference``.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import tarfile
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
BEFORE_MOVE = "1cf699d792edc9c022315f8f5090e0cbef194c95"
"""The last commit with the flat ``matcher/`` layout."""

OLD_RECOMMEND = """
import json, sys
from pathlib import Path
from matcher.domain import Profile
from matcher.reference import load_reference
from matcher.registry import Registry
from matcher.scoring import Scorer
from matcher.service import recommend
registry = Registry(Path(sys.argv[1]))
reference = load_reference(Path("data_samples/reference"))
scorer = Scorer.from_loaded(registry.load(reference_fingerprint=reference.fingerprint))
profile = Profile.model_validate(json.load(open("data_samples/example_request.json"))["profile"])
result = recommend(profile, reference=reference, scorer=scorer, top_k=5)
json.dump({
    "profile": profile.model_dump(mode="json"),
    "recommendations": [
        {"project_type_id": r.project_type_id, "score": r.score,
         "reasons": [[x.factor, round(x.effect, 6)] for x in r.reasons]}
        for r in result.recommendations
    ],
    "qualification_gaps": [
        [g.project_type_id, g.trade_id, g.score_with] for g in result.qualification_gaps
    ],
}, open(sys.argv[2], "w"))
"""


def _old(args: list[str], *, cwd: Path) -> None:
    """Run the code of :data:`BEFORE_MOVE` (its tree first on the path), not today's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env["PYTHONPATH"] = str(cwd)
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def before_move(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the old code's registry, its scores and its recommendation."""
    known = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{BEFORE_MOVE}^{{commit}}"], check=False
    )
    if known.returncode != 0:
        message = f"commit {BEFORE_MOVE[:7]} is not in this clone's history"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("before_move")
    src = out / "src"
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BEFORE_MOVE], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(src, filter="data")
    registry = out / "models"
    _old(
        [
            "-m",
            "matcher.cli",
            "train",
            "--history",
            "data_samples/history.csv",
            "--registry",
            str(registry),
        ],
        cwd=src,
    )
    cohort = pd.read_csv(src / "data_samples" / "cohort.csv", dtype=str, keep_default_na=False)
    cohort.head(30).to_csv(out / "cohort_head.csv", index=False)
    _old(
        [
            "-m",
            "matcher.cli",
            "score",
            "--input",
            str(out / "cohort_head.csv"),
            "--output",
            str(out / "scores_before_move.csv"),
            "--top-k",
            "50",
            "--registry",
            str(registry),
        ],
        cwd=src,
    )
    _old(
        ["-c", OLD_RECOMMEND, str(registry), str(out / "recommendation_before_move.json")], cwd=src
    )
    return out


@pytest.fixture(scope="module")
def saved(before_move: Path) -> tuple[Reference, Scorer]:
    reference = load_reference(ROOT / "data_samples" / "reference")
    registry = Registry(before_move / "models")
    version = registry.resolve(None)
    # the catalogue the version was trained with, whatever the shipped one becomes
    fingerprint = registry.manifest(version)["reference_fingerprint"]
    assert fingerprint
    scorer = Scorer.from_loaded(registry.load(version, reference_fingerprint=fingerprint))
    return reference, scorer


def test_the_saved_pickle_names_the_old_module_paths(before_move: Path):
    """The fixture really is from before the move (else this test proves nothing)."""
    names: set[tuple[str, str]] = set()
    original = pickle._Unpickler.find_class  # type: ignore[attr-defined]

    def spy(self: object, module: str, name: str) -> object:
        names.add((module, name))
        return original(self, module, name)

    version = Registry(before_move / "models").resolve(None)
    pickle._Unpickler.find_class = spy  # type: ignore[attr-defined]
    try:
        joblib.load(before_move / "models" / version / "model.joblib")
    finally:
        pickle._Unpickler.find_class = original  # type: ignore[attr-defined]
    ours = {pair for pair in names if pair[0].startswith("matcher")}
    assert ("matcher.features", "PairFeatureBuilder") in ours
    assert ("matcher.reference", "Reference") in ours


def test_a_version_saved_before_the_move_scores_identically(saved, before_move: Path):
    reference, scorer = saved
    valid, rejects = validate_profiles(read_table(before_move / "cohort_head.csv"), reference)
    assert rejects.empty
    now = rank_cohort(valid, reference=reference, scorer=scorer, top_k=50)
    before = pd.read_csv(before_move / "scores_before_move.csv", dtype={c.BENEFICIARY_ID: str})
    assert len(now) == len(before) == 553
    assert now[c.BENEFICIARY_ID].tolist() == before[c.BENEFICIARY_ID].tolist()
    assert now[c.PROJECT_TYPE_ID].tolist() == before[c.PROJECT_TYPE_ID].tolist()
    assert now[c.RANK].tolist() == before[c.RANK].tolist()
    assert now[c.SCORE].to_numpy() == pytest.approx(before[c.SCORE].to_numpy(), abs=1e-12)


def test_a_version_saved_before_the_move_explains_identically(saved, before_move: Path):
    reference, scorer = saved
    expected = json.loads((before_move / "recommendation_before_move.json").read_text())
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
