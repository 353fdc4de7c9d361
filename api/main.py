"""The app factory. ``uvicorn api.main:app`` serves the module-level ``app``.

``create_app()`` builds routes, handlers and middleware only; the lifespan
reads the settings (``MATCHER_*`` environment) unless given, loads the
catalogue, migrates the database and loads the active model, failing fast
with a clear message when any of them is missing or inconsistent.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from api.audit import AuditSpool, AuditWriter
from api.errors import install_error_handlers
from api.job_files import recover_jobs
from api.limits import RequestLimits
from api.middleware import RequestBookkeeping, RequestMetrics, database_audit_writer
from api.routes import ROUTERS, pages
from api.state import AppState, KeyCache, ModelHolder
from matcher.errors import MatcherError
from matcher.log_config import configure_logging
from matcher.model.gate import promotion_gate
from matcher.model.registry import Registry
from matcher.reference import load_reference
from matcher.settings import Settings, audit_spool_path, get_settings
from matcher.store import make_engine, make_session_factory, upgrade_database

logger = logging.getLogger(__name__)

API_VERSION = "1.0.0"
JOB_SWEEP_S = 3600.0
"""Seconds between two sweeps of expired jobs while the service runs."""
DESCRIPTION = """\
Decision support for reintegration counsellors: rank the eligible income-generating
project types for a person leaving prison by the calibrated chance that the business
is still active at 12 months, explain each score, and record decisions and outcomes.

Every `/v1/` route needs `Authorization: Bearer <api key>`. Errors share one envelope:
`{"status", "code", "detail"}`.
"""


def build_state(settings: Settings, *, require_model: bool = True) -> AppState:
    """Load the catalogue, migrate the database and load the active model.

    Parameters
    ----------
    settings : Settings
    require_model : bool
        Refuse to start without a loadable active model (the default). With
        ``False`` the app starts, ``/readyz`` answers 503 and scoring routes
        answer 503 ``no_active_model`` until a version is activated.

    Returns
    -------
    AppState

    Raises
    ------
    ReferenceDataError
        The catalogue is missing or inconsistent.
    NoActiveModelError, UnknownModelVersionError, IncompatibleModelError, CatalogueMismatchError
        With ``require_model``, when the active model cannot be served.
    """
    reference = load_reference(settings.reference)
    engine = make_engine(settings.database_url)
    try:
        upgrade_database(engine)
        registry = Registry(settings.registry)
        models = ModelHolder(registry, reference, gate=promotion_gate)
        try:
            models.swap(models.load())
        except MatcherError as exc:
            if require_model:
                logger.error("cannot start: %s", exc.message)
                raise
            logger.warning("starting without a model: %s", exc.message)
    except BaseException:
        engine.dispose()
        raise
    sessions: sessionmaker[Session] = make_session_factory(engine)
    recover_jobs(
        sessions,
        settings.jobs_dir,
        retention_days=settings.jobs_retention_days,
        registry_root=settings.registry,
    )
    return AppState(
        settings=settings,
        reference=reference,
        registry=registry,
        models=models,
        engine=engine,
        sessions=sessions,
        keys=KeyCache(settings.key_cache_seconds),
    )


def create_app(settings: Settings | None = None, *, require_model: bool = True) -> FastAPI:
    """Build the API; nothing is read from disk until the lifespan starts.

    Parameters
    ----------
    settings : Settings, optional
        Tests pass one built on ``tmp_path``. When omitted, the lifespan reads
        ``MATCHER_*`` settings and configures logging at ``log_level``.
    require_model : bool
        See :func:`build_state`.

    Returns
    -------
    fastapi.FastAPI
    """
    request_metrics = RequestMetrics()

    def sessions() -> sessionmaker[Session] | None:
        state: AppState | None = getattr(app.state, "matcher", None)
        return None if state is None else state.sessions

    audit_writer = AuditWriter(
        database_audit_writer(sessions),
        on_spooled=lambda n: request_metrics.failed("audit_spooled", n),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings
        if resolved is None:
            resolved = get_settings()
            configure_logging(resolved.log_level)
        state = await anyio.to_thread.run_sync(
            partial(build_state, resolved, require_model=require_model)
        )
        app.state.matcher = state
        audit_writer.spool = AuditSpool(audit_spool_path(state.settings))
        await anyio.to_thread.run_sync(audit_writer.replay_spool)
        logger.info(
            "matcher API ready: model %s, catalogue %s",
            state.models.version,
            state.reference.source,
        )
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_sweep_jobs, state)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                await anyio.to_thread.run_sync(audit_writer.close)
                state.engine.dispose()

    app = FastAPI(
        title="matcher",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.request_metrics = request_metrics
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    def current_settings() -> Settings | None:
        state: AppState | None = getattr(app.state, "matcher", None)
        return settings if state is None else state.settings

    app.add_middleware(RequestLimits, settings=current_settings)
    app.add_middleware(RequestBookkeeping, metrics=request_metrics, audit_writer=audit_writer)
    return app


async def _sweep_jobs(state: AppState) -> None:
    """Every ``JOB_SWEEP_S``, expire old jobs and clean leftovers (as at start-up)."""
    while True:
        await anyio.sleep(JOB_SWEEP_S)
        try:
            await anyio.to_thread.run_sync(
                partial(
                    recover_jobs,
                    state.sessions,
                    state.settings.jobs_dir,
                    retention_days=state.settings.jobs_retention_days,
                )
            )
        except Exception:  # a sweep that fails must not stop the service; it is logged
            logger.exception("the periodic job sweep failed")


app = create_app()
