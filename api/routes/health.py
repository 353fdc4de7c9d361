"""Probes and metrics, without a key: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from api.deps import ModelHolderDep
from api.errors import ErrorOut, error_response
from api.schemas import HealthOut, ReadyOut
from matcher.store import check_database

router = APIRouter(tags=["health"])
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/healthz", response_model=HealthOut)
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ErrorOut, "description": "Model or database not ready"}},
)
async def readyz(request: Request, models: ModelHolderDep) -> Any:
    """Readiness: a model is loaded and scoring, and the database answers."""
    engine = request.app.state.matcher.engine
    if models.refresh_due():
        await anyio.to_thread.run_sync(models.refresh)
    problem = models.problem
    database = await anyio.to_thread.run_sync(partial(check_database, engine, write=True))
    checks = {"model": models.version is not None and problem is None, "database": database}
    if all(checks.values()):
        return {"ready": True, "model_version": models.version, "checks": checks}
    failed = ", ".join(name for name, ok in checks.items() if not ok)
    extra: dict[str, Any] = {"checks": checks, "model_version": models.version}
    if problem is not None:
        extra["model_problem"] = problem
    response: JSONResponse = error_response(
        503, "not_ready", f"not ready: {failed} unavailable", extra=extra
    )
    return response


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request, models: ModelHolderDep) -> PlainTextResponse:
    """Prometheus metrics: requests by route and status, latency, serving model."""
    text = request.app.state.request_metrics.render(models.version, models.failure_counts())
    return PlainTextResponse(text, media_type=PROMETHEUS_CONTENT_TYPE)
