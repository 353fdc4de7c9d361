"""The one guarded way a version becomes active, for the CLI, the API and training.

:func:`checked_scorer` loads a version through the registry (manifest,
library versions, catalogue fingerprint, sha256, "is a Pipeline") and then
runs its smoke test (:mod:`matcher.model.smoke`). :func:`activate_version`
and :func:`rollback_version` move ``ACTIVE`` only once that has passed, under
the registry's cross-process lock, and return the scorer they checked so that
a server can swap it in without loading it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from matcher.model.registry import Activation, Registry
from matcher.model.scorer import Scorer
from matcher.model.smoke import run_smoke_test

if TYPE_CHECKING:
    from matcher.reference import Reference

Gate = Callable[[dict[str, Any], dict[str, Any]], str | None]


def checked_scorer(registry: Registry, version: str | None, *, reference: Reference) -> Scorer:
    """Load ``version`` (the active one by default) and pass its smoke test.

    Raises
    ------
    UnknownModelVersionError, NoActiveModelError
        Nothing to load.
    IncompatibleModelError, CatalogueMismatchError
        Built for other libraries, feature code or catalogue.
    ModelIntegrityError
        Altered, unreadable, or not the fitted Pipeline.
    SmokeTestError
        It does not score its recorded sample as it did at training.
    """
    scorer = Scorer.load(registry, version, reference=reference)
    run_smoke_test(
        scorer.score_pairs,
        scorer.version,
        registry.path(scorer.version),
        reference.project_type_ids,
    )
    return scorer


def activate_version(
    registry: Registry,
    version: str,
    *,
    reference: Reference,
    actor: str,
    reason: str,
    force: bool = False,
    gate: Gate | None = None,
) -> tuple[Activation, Scorer]:
    """Check ``version`` fully, then make it active (the gate applies unless ``force``).

    Returns
    -------
    (Activation, Scorer)
        The history line written and the checked scorer.

    Raises
    ------
    MatcherError
        Any refusal of :func:`checked_scorer`, or ``PromotionRefusedError``; in
        every case ``ACTIVE`` and the history are unchanged.
    """
    scorer = checked_scorer(registry, version, reference=reference)
    record = registry.activate(version, actor=actor, reason=reason, force=force, gate=gate)
    return record, scorer


def rollback_version(
    registry: Registry, *, reference: Reference, actor: str, reason: str
) -> tuple[Activation, Scorer]:
    """Check and re-activate the version that was active before the current one.

    Raises
    ------
    NothingToRollBackError
        No earlier version was ever active.
    MatcherError
        The earlier version no longer passes :func:`checked_scorer`.
    """
    target = registry.rollback_target()
    scorer = checked_scorer(registry, target, reference=reference)
    record = registry.activate(target, actor=actor, reason=reason, force=True, action="rollback")
    return record, scorer
