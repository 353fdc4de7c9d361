"""Model versions for analysts: list, inspect, activate (hot swap) and roll back."""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path
from starlette.convertors import StringConvertor, register_url_convertor

from api.deps import AuditDep, ModelHolderDep, RegistryDep
from api.errors import error_responses
from api.schemas import (
    MODEL_VERSION_PATTERN,
    ActivateIn,
    ActivationResult,
    ModelDetailOut,
    ModelListOut,
    RollbackIn,
)
from api.security import Analyst
from matcher.model.registry import Activation, Registry


class ModelVersionConvertor(StringConvertor):
    """Route-level match of a version, so ``/v1/models/rollback`` is never read as one."""

    regex = MODEL_VERSION_PATTERN.strip("^$")


register_url_convertor("model_version", ModelVersionConvertor())
router = APIRouter(prefix="/v1/models", tags=["models"])
Version = Annotated[str, Path(pattern=MODEL_VERSION_PATTERN, examples=["20261129T101500Z-3f2a9c"])]
HEADLINE_METRICS: Final = frozenset(
    {
        "roc_auc",
        "auc",
        "brier",
        "log_loss",
        "logloss",
        "ece",
        "expected_calibration_error",
        "ndcg_at_5",
        "ndcg",
        "precision_at_5",
        "recall_at_5",
        "coverage",
    }
)
"""Metric names shown in the version list (full metrics on the detail route)."""


def headline_metrics(metrics: dict[str, Any], *, limit: int = 12) -> dict[str, float]:
    """Pick the headline numbers out of a (possibly nested) metrics document.

    Parameters
    ----------
    metrics : dict
        A version's ``metrics.json``.
    limit : int
        At most this many entries.

    Returns
    -------
    dict of str to float
        Dotted paths (``holdout.roc_auc``) to finite numbers whose last part is
        in :data:`HEADLINE_METRICS`.
    """
    found: dict[str, float] = {}

    def walk(node: Any, prefix: str, depth: int) -> None:
        if depth > 3 or len(found) >= limit:
            return
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(value, path + ".", depth + 1)
            elif (
                str(key) in HEADLINE_METRICS
                and isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and len(found) < limit
            ):
                found[path] = float(value)

    walk(metrics, "", 0)
    return found


def _activation(record: Activation) -> dict[str, Any]:
    return dataclasses.asdict(record)


def _created_at(registry: Registry, version: str) -> str | None:
    value = registry.manifest(version).get("created_at")
    return None if value is None else str(value)


@router.get("", response_model=ModelListOut, responses=error_responses(401, 403))
def list_models(
    principal: Analyst, registry: RegistryDep, models: ModelHolderDep
) -> dict[str, Any]:
    """List registered versions with headline metrics, and the activation history."""
    active = registry.active_version()
    serving = models.version
    return {
        "active_version": active,
        "serving_version": serving,
        "versions": [
            {
                "version": v,
                "created_at": _created_at(registry, v),
                "active": v == active,
                "serving": v == serving,
                "metrics": headline_metrics(registry.metrics(v)),
            }
            for v in registry.versions()
        ],
        "history": [_activation(r) for r in registry.history()],
    }


@router.get(
    "/{version:model_version}",
    response_model=ModelDetailOut,
    responses=error_responses(401, 403, 404, 422),
)
def read_model(
    version: Version, principal: Analyst, registry: RegistryDep, models: ModelHolderDep
) -> dict[str, Any]:
    """Return one version's manifest and metrics."""
    manifest = registry.manifest(version)
    return {
        "version": version,
        "active": registry.active_version() == version,
        "serving": models.version == version,
        "manifest": manifest,
        "metrics": registry.metrics(version),
    }


@router.post(
    "/{version:model_version}/activate",
    response_model=ActivationResult,
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 503),
)
def activate_model(
    version: Version,
    body: ActivateIn,
    principal: Analyst,
    models: ModelHolderDep,
    audit: AuditDep,
) -> dict[str, Any]:
    """Check a version (sha256, manifest, smoke test), activate it and serve it at once.

    Refusals leave the serving model and ``ACTIVE`` unchanged: 404 unknown version,
    409 refused by the promotion gate, 422 ``model_integrity`` (altered or not the
    fitted Pipeline) or ``model_smoke_test_failed``, 503 built for other
    libraries or another catalogue.
    """
    record = models.activate(
        version, actor=principal.label, reason=body.reason.strip(), force=body.force
    )
    audit.model_version = record.version
    return {"activation": _activation(record), "serving_version": models.current().version}


@router.post(
    "/rollback",
    response_model=ActivationResult,
    responses=error_responses(400, 401, 403, 409, 413, 422, 503),
)
def rollback_model(
    body: RollbackIn, principal: Analyst, models: ModelHolderDep, audit: AuditDep
) -> dict[str, Any]:
    """Bring back the version that was active before the current one (409 if none)."""
    record = models.rollback(actor=principal.label, reason=body.reason.strip())
    audit.model_version = record.version
    return {"activation": _activation(record), "serving_version": models.current().version}
