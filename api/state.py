"""What the running app holds: the catalogue, the database and a hot-swappable model.

:class:`ModelHolder` keeps one reference to the serving :class:`Scorer`. A
request takes that reference once (``current()``) and keeps using it, so an
activation never changes the model under a request in flight; activation
builds the new scorer completely *before* swapping the reference under a lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matcher.errors import MatcherError, ModelServingError, NoActiveModelError
from matcher.model.activation import activate_version, checked_scorer, rollback_version
from matcher.model.registry import Activation, Registry
from matcher.model.scorer import Scorer
from matcher.reference import Reference
from matcher.settings import Settings
from matcher.store import KeyInfo

logger = logging.getLogger(__name__)

Gate = Callable[[dict[str, Any], dict[str, Any]], str | None]


class ModelHolder:
    """The serving model, swappable without a restart.

    Parameters
    ----------
    registry : Registry
        Where versions are loaded from and activated in.
    reference : Reference
        The catalogue every loaded model must match.
    scorer : Scorer, optional
        The model to serve at first (``None`` until one is loaded).
    gate : callable, optional
        The promotion gate passed to :meth:`Registry.activate`.
    refresh_interval : float
        Seconds between checks of the registry's ``ACTIVE`` pointer by
        :meth:`refresh`, so that an activation made elsewhere (another worker
        process, ``matcher train``) is followed without a restart.
    """

    def __init__(
        self,
        registry: Registry,
        reference: Reference,
        scorer: Scorer | None = None,
        *,
        gate: Gate | None = None,
        refresh_interval: float = 5.0,
    ) -> None:
        self.registry = registry
        self.reference = reference
        self.gate = gate
        self.refresh_interval = refresh_interval
        self._scorer = scorer
        self._last_check = time.monotonic()
        self._unservable: str | None = None
        self._failure: str | None = None
        self._counts = {"model_serving": 0, "model_unservable": 0}
        self._swap_lock = threading.Lock()
        self._activation_lock = threading.Lock()

    @property
    def version(self) -> str | None:
        """The serving version, or ``None`` when no model is loaded."""
        scorer = self._scorer
        return None if scorer is None else scorer.version

    def current(self) -> Scorer:
        """Return the serving scorer; callers keep this reference for the whole request.

        Raises
        ------
        NoActiveModelError
            If no model is loaded.
        """
        scorer = self._scorer
        if scorer is None:
            raise NoActiveModelError(
                f"no model is loaded from {self.registry.root}; train one and activate it"
            )
        return scorer

    def load(self, version: str | None = None) -> Scorer:
        """Load, check and smoke-test a version (the active one by default); do not serve it."""
        return checked_scorer(self.registry, version, reference=self.reference)

    @property
    def problem(self) -> str | None:
        """Why the model is not ready though one is loaded, or ``None``.

        Either the serving model failed on a request since it last scored
        successfully, or the registry's ``ACTIVE`` names a version that cannot
        be served (the next restart would fail).
        """
        if self._failure is not None:
            return self._failure
        if self._unservable is not None and self._unservable == self._active_on_disk():
            return f"registry ACTIVE {self._unservable} cannot be served"
        return None

    def _active_on_disk(self) -> str | None:
        try:
            return self.registry.active_version()
        except OSError:
            return None

    def serving_failed(self, scorer: Scorer, exc: BaseException) -> ModelServingError:
        """Record that ``scorer`` raised while serving; ``/readyz`` turns not ready.

        Returns
        -------
        ModelServingError
            The error to answer the request with (503 ``model_failed``).
        """
        self._counts["model_serving"] += 1
        if scorer is self._scorer:
            self._failure = f"model {scorer.version} failed while scoring ({type(exc).__name__})"
        logger.error("model %s failed while scoring", scorer.version, exc_info=exc)
        return ModelServingError(
            f"the model {scorer.version} failed while scoring this request; it has been "
            "reported and the service is marked not ready",
            details={"model_version": scorer.version},
        )

    def failure_counts(self) -> dict[str, int]:
        """Model failures so far: while serving, and unservable ``ACTIVE`` versions."""
        return dict(self._counts)

    def serving_succeeded(self, scorer: Scorer) -> None:
        """A request was scored: clear an earlier failure of the same model."""
        if self._failure is not None and scorer is self._scorer:
            self._failure = None

    def swap(self, scorer: Scorer) -> Scorer | None:
        """Serve ``scorer`` from now on; return the previous one."""
        with self._swap_lock:
            previous, self._scorer = self._scorer, scorer
            self._failure = None
            if self._unservable == scorer.version:
                self._unservable = None
        logger.info("serving model %s (was %s)", scorer.version, previous and previous.version)
        return previous

    def refresh_due(self) -> bool:
        """Whether :meth:`refresh` would look at the registry now."""
        return time.monotonic() - self._last_check >= self.refresh_interval

    def refresh(self) -> None:
        """Follow the registry's ``ACTIVE`` pointer if it moved (checked every interval).

        Never raises: a version that cannot be served is logged at ERROR once
        and the current model keeps serving.
        """
        if not self.refresh_due():
            return
        self._last_check = time.monotonic()
        try:
            active = self.registry.active_version()
        except OSError:
            logger.exception("cannot read the registry's ACTIVE pointer")
            return
        if active is None or active in {self.version, self._unservable}:
            return
        if not self._activation_lock.acquire(blocking=False):
            return  # an activation is under way here
        try:
            scorer = self.load(active)
        except MatcherError as exc:
            self._unservable = active
            self._counts["model_unservable"] += 1
            logger.error(
                "registry ACTIVE is %s but it cannot be served (%s); still serving %s",
                active,
                exc.message,
                self.version,
            )
            return
        else:
            logger.info("registry ACTIVE moved to %s outside this process", active)
            self.swap(scorer)
        finally:
            self._activation_lock.release()

    def activate(self, version: str, *, actor: str, reason: str, force: bool) -> Activation:
        """Load ``version`` fully, mark it active in the registry, then swap it in.

        The artefact is loaded and checked first, so a broken version is never
        written to ``ACTIVE``; concurrent activations are serialised.

        Raises
        ------
        UnknownModelVersionError, IncompatibleModelError, CatalogueMismatchError
            The version cannot be served (nothing changes).
        PromotionRefusedError
            The gate refused it and ``force`` was not given.
        """
        with self._activation_lock:
            record, scorer = activate_version(
                self.registry,
                version,
                reference=self.reference,
                actor=actor,
                reason=reason,
                force=force,
                gate=self.gate,
            )
            self.swap(scorer)
            return record

    def rollback(self, *, actor: str, reason: str) -> Activation:
        """Re-activate the version active before the current one, and serve it.

        Same checks as :meth:`activate` (:func:`matcher.model.activation.rollback_version`).

        Raises
        ------
        NothingToRollBackError
            If there is no earlier active version (409).
        """
        with self._activation_lock:
            record, scorer = rollback_version(
                self.registry, reference=self.reference, actor=actor, reason=reason
            )
            self.swap(scorer)
            return record


class KeyCache:
    """API keys verified recently, by digest, trusted for ``ttl`` seconds.

    Only known, unrevoked keys are kept; an unknown key asks the database every
    time. A key revoked elsewhere (``matcher keys revoke``) is refused at the
    latest ``ttl`` seconds later; ``ttl=0`` turns the cache off.
    """

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, KeyInfo]] = {}

    def get(self, digest: str) -> KeyInfo | None:
        """The cached key info, or ``None`` if absent or expired."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if self._clock() >= entry[0]:
            self._entries.pop(digest, None)
            return None
        return entry[1]

    def put(self, digest: str, info: KeyInfo) -> None:
        """Trust ``info`` for ``ttl`` seconds."""
        if self.ttl > 0:
            self._entries[digest] = (self._clock() + self.ttl, info)


@dataclass(frozen=True)
class AppState:
    """Everything the lifespan builds; stored as ``app.state.matcher``."""

    settings: Settings
    reference: Reference
    registry: Registry
    models: ModelHolder
    engine: Engine
    sessions: sessionmaker[Session]
    keys: KeyCache
