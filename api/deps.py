"""FastAPI dependencies: the app state, settings, catalogue, model and sessions.

Each is a small function so tests can replace it through
``app.dependency_overrides`` (e.g. ``get_scorer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from api.state import AppState, ModelHolder
from matcher.reference import Reference
from matcher.registry import Registry
from matcher.scoring import Scorer
from matcher.settings import Settings


@dataclass
class AuditContext:
    """What a request adds to its audit line (filled in by security and routes)."""

    key_label: str | None = None
    role: str | None = None
    model_version: str | None = None
    input_hash: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


AUDIT_KEY = "matcher_audit"
"""Key of the :class:`AuditContext` in the ASGI scope's ``state``."""


def get_app_state(request: Request) -> AppState:
    """The state built by the lifespan."""
    state: AppState = request.app.state.matcher
    return state


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return get_app_state(request).settings


def get_reference(request: Request) -> Reference:
    """The loaded catalogue."""
    return get_app_state(request).reference


def get_registry(request: Request) -> Registry:
    """The model registry."""
    return get_app_state(request).registry


def get_model_holder(request: Request) -> ModelHolder:
    """The hot-swappable model holder."""
    return get_app_state(request).models


def get_scorer(request: Request) -> Scorer:
    """The serving model, taken once for the whole request (following ``ACTIVE`` if it moved)."""
    holder = get_model_holder(request)
    holder.refresh()
    return holder.current()


def get_session_factory(request: Request) -> sessionmaker[Session]:
    """Session factory; routes open explicit ``session_scope`` blocks with it."""
    return get_app_state(request).sessions


def get_audit(request: Request) -> AuditContext:
    """The audit context of the request (a fresh one outside the audit middleware)."""
    state = request.scope.setdefault("state", {})
    audit = state.get(AUDIT_KEY)
    if not isinstance(audit, AuditContext):
        audit = AuditContext()
        state[AUDIT_KEY] = audit
    return audit


SettingsDep = Annotated[Settings, Depends(get_settings)]
ReferenceDep = Annotated[Reference, Depends(get_reference)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
ModelHolderDep = Annotated[ModelHolder, Depends(get_model_holder)]
ScorerDep = Annotated[Scorer, Depends(get_scorer)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
AuditDep = Annotated[AuditContext, Depends(get_audit)]
