"""The model registry: versioned artefacts, an ACTIVE pointer and its history.

Layout (``models/`` by default)::

    ACTIVE                       one line: the active version (atomic replace)
    activations.jsonl            append-only: who activated what, when and why
    activations.lock             flock()ed while ACTIVE and the history change
    <version>/model.joblib       the fitted Pipeline
    <version>/manifest.json      versions, fingerprints, features, metrics, sha256
    <version>/metrics.json       evaluation
    <version>/report.md          the model card (+ PNG plots)
    <version>/smoke_sample.json  pairs and their scores at training (smoke test)

Loading checks the manifest (format, library versions, catalogue fingerprint)
and the artefact's sha256 *before* unpickling: joblib can run code, so only
artefacts this registry wrote and that are intact are ever loaded.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import joblib

from matcher.contract.tables import umask_value
from matcher.errors import (
    CatalogueMismatchError,
    IncompatibleModelError,
    ModelIntegrityError,
    NoActiveModelError,
    NothingToRollBackError,
    PromotionRefusedError,
    UnknownModelVersionError,
)

FORMAT_VERSION: Final = 1
ARTEFACT: Final = "model.joblib"
MANIFEST: Final = "manifest.json"
METRICS: Final = "metrics.json"
ACTIVE: Final = "ACTIVE"
HISTORY: Final = "activations.jsonl"
LOCK: Final = "activations.lock"
VERSION_RE: Final = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


def framework_versions() -> dict[str, str]:
    """Versions of the libraries an artefact depends on."""
    import numpy
    import pandas
    import sklearn

    return {
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "python": ".".join(map(str, sys.version_info[:2])),
    }


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o666 & ~umask_value())
    os.replace(tmp, path)


@dataclass(frozen=True)
class LoadedModel:
    """A fitted pipeline with the manifest it was checked against."""

    version: str
    pipeline: Any
    manifest: dict[str, Any]


@dataclass(frozen=True)
class Activation:
    """One line of the activation history."""

    at: str
    version: str
    previous: str | None
    actor: str
    reason: str
    forced: bool
    action: str


class Registry:
    """A folder of model versions.

    Parameters
    ----------
    root : Path
        The registry folder (created on first save).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # -- reading -----------------------------------------------------------------
    def versions(self) -> list[str]:
        """Complete versions (manifest present), oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and VERSION_RE.match(p.name) and (p / MANIFEST).is_file()
        )

    def active_version(self) -> str | None:
        """The active version, or None."""
        path = self.root / ACTIVE
        if not path.is_file():
            return None
        version = path.read_text(encoding="utf-8").strip()
        return version or None

    def manifest(self, version: str) -> dict[str, Any]:
        """Read a version's manifest."""
        path = self._version_dir(version) / MANIFEST
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelIntegrityError(
                f"model {version}: unreadable manifest ({type(exc).__name__})",
                details={"version": version, "check": "manifest"},
            ) from exc
        if not isinstance(data, dict):
            raise ModelIntegrityError(
                f"model {version}: the manifest is not a JSON object",
                details={"version": version, "check": "manifest"},
            )
        return data

    def metrics(self, version: str) -> dict[str, Any]:
        """Read a version's metrics (empty if none)."""
        path = self._version_dir(version) / METRICS
        if not path.is_file():
            return {}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def path(self, version: str) -> Path:
        """Folder of a version."""
        return self._version_dir(version)

    def _version_dir(self, version: str) -> Path:
        if not VERSION_RE.match(version) or not (self.root / version / MANIFEST).is_file():
            known = ", ".join(self.versions()[-5:]) or "none"
            raise UnknownModelVersionError(
                f"unknown model version {version!r} in {self.root} (latest: {known})",
                details={"version": version},
            )
        return self.root / version

    def resolve(self, version: str | None) -> str:
        """The named version, or the active one."""
        if version:
            self._version_dir(version)
            return version
        active = self.active_version()
        if active is None:
            raise NoActiveModelError(
                f"no active model in {self.root}; run `matcher train --history FILE` first"
            )
        self._version_dir(active)
        return active

    def load(self, version: str | None = None, *, reference_fingerprint: str) -> LoadedModel:
        """Check and load a version (the active one by default).

        Raises
        ------
        UnknownModelVersionError, NoActiveModelError
            When there is nothing to load.
        IncompatibleModelError
            Format or library versions differ, or the artefact's sha256 does not match.
        CatalogueMismatchError
            The model was trained on another reference catalogue.
        """
        version = self.resolve(version)
        manifest = self.manifest(version)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IncompatibleModelError(
                f"model {version}: artefact format {manifest.get('format_version')!r}, "
                f"this matcher reads format {FORMAT_VERSION}"
            )
        built = manifest.get("framework_versions", {})
        runtime = framework_versions()
        for lib in ("scikit-learn", "numpy", "python"):
            if built.get(lib) != runtime[lib]:
                raise IncompatibleModelError(
                    f"model {version} was built with {lib} {built.get(lib)}, "
                    f"this runtime has {runtime[lib]}; retrain it with `matcher train`"
                )
        from matcher.features.builder import FEATURE_VERSION

        if manifest.get("feature_version") != FEATURE_VERSION:
            raise IncompatibleModelError(
                f"model {version} was built with feature code version "
                f"{manifest.get('feature_version')!r}, this matcher has {FEATURE_VERSION}; "
                "retrain it with `matcher train`"
            )
        if manifest.get("reference_fingerprint") != reference_fingerprint:
            raise CatalogueMismatchError(
                f"model {version} was trained on another reference catalogue "
                f"(fingerprint {str(manifest.get('reference_fingerprint'))[:12]}…, "
                f"loaded catalogue {reference_fingerprint[:12]}…); use the catalogue "
                "it was trained with or retrain"
            )
        artefact = self.root / version / ARTEFACT
        if not artefact.is_file() or sha256_file(artefact) != manifest.get("artefact_sha256"):
            raise ModelIntegrityError(
                f"model {version}: artefact missing or altered (sha256 mismatch); refusing to load",
                details={"version": version, "check": "sha256"},
            )
        try:
            pipeline = joblib.load(artefact)
        except Exception as exc:  # a corrupt pickle can raise anything
            raise ModelIntegrityError(
                f"model {version}: the artefact cannot be unpickled ({type(exc).__name__})",
                details={"version": version, "check": "unpickle"},
            ) from exc
        return LoadedModel(version=version, pipeline=pipeline, manifest=manifest)

    # -- writing -----------------------------------------------------------------
    def save(
        self,
        pipeline: Any,
        manifest: dict[str, Any],
        *,
        metrics: dict[str, Any] | None = None,
        write_extras: Callable[[Path], None] | None = None,
        now: datetime | None = None,
    ) -> str:
        """Store a new version; it becomes visible only once complete.

        The version is written to a hidden staging folder and renamed into place,
        so an interrupted save never leaves a half version (nor changes ACTIVE).
        """
        now = now or datetime.now(UTC)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            artefact = staging / ARTEFACT
            joblib.dump(pipeline, artefact, compress=3)
            sha = sha256_file(artefact)
            version = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{sha[:6]}"
            from matcher.features.builder import FEATURE_VERSION

            full = {
                "feature_version": FEATURE_VERSION,
                **manifest,
                "format_version": FORMAT_VERSION,
                "version": version,
                "created_at": now.isoformat(),
                "framework_versions": framework_versions(),
                "artefact_sha256": sha,
            }
            (staging / MANIFEST).write_text(json.dumps(full, indent=2, default=str), "utf-8")
            (staging / METRICS).write_text(
                json.dumps({**(metrics or {}), "version": version}, indent=2, default=str), "utf-8"
            )
            if write_extras is not None:
                write_extras(staging)
            target = self.root / version
            os.chmod(staging, 0o777 & ~umask_value())
            if target.exists():
                raise FileExistsError(f"version {version} already exists")
            os.replace(staging, target)
            return version
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def activate(
        self,
        version: str,
        *,
        actor: str,
        reason: str,
        force: bool = False,
        gate: Callable[[dict[str, Any], dict[str, Any]], str | None] | None = None,
        action: str = "activate",
    ) -> Activation:
        """Make ``version`` active, atomically, and append to the history.

        Parameters
        ----------
        gate : callable, optional
            ``gate(candidate_metrics, active_metrics)`` returns a refusal message
            when the candidate is clearly worse; ``force`` overrides it (a reason
            is then required).
        """
        self._version_dir(version)
        if force and not reason.strip():
            raise PromotionRefusedError("forcing an activation needs a reason")
        with self.locked():
            return self._activate_locked(
                version, actor=actor, reason=reason, force=force, gate=gate, action=action
            )

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the registry's cross-process lock (``fcntl.flock`` on ``activations.lock``).

        ``ACTIVE`` and the history change only under it, so two processes that
        activate at once each record the ``previous`` version the other left.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _activate_locked(
        self,
        version: str,
        *,
        actor: str,
        reason: str,
        force: bool,
        gate: Callable[[dict[str, Any], dict[str, Any]], str | None] | None,
        action: str,
    ) -> Activation:
        previous = self.active_version()
        if gate is not None and previous is not None and previous != version and not force:
            refusal = gate(self.metrics(version), self.metrics(previous))
            if refusal:
                raise PromotionRefusedError(
                    f"refusing to activate {version} over {previous}: {refusal}; "
                    "use --force with a reason to override",
                    details={"version": version, "active": previous},
                )
        _atomic_write(self.root / ACTIVE, version + "\n")
        record = Activation(
            at=datetime.now(UTC).isoformat(),
            version=version,
            previous=previous,
            actor=actor,
            reason=reason,
            forced=force,
            action=action,
        )
        with (self.root / HISTORY).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record.__dict__) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return record

    def history(self) -> list[Activation]:
        """The activation history, oldest first."""
        path = self.root / HISTORY
        if not path.is_file():
            return []
        return [
            Activation(**json.loads(line))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def rollback_target(self) -> str:
        """The version that was active before the current one.

        Raises
        ------
        NothingToRollBackError
            If no earlier version was ever active.
        """
        current = self.active_version()
        for record in reversed(self.history()):
            if record.version == current and record.previous and record.previous != current:
                return record.previous
        raise NothingToRollBackError(
            "nothing to roll back to: no earlier version was active before "
            f"{current or 'the current one'}",
            details={"active": current},
        )
