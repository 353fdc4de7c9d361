"""Bearer API keys to roles: 401 for a missing, unknown or revoked key, 403 for a weak role.

Keys are checked by their sha256 through :func:`matcher.store.verify_key`; the
clear key is never logged, stored or echoed. ``require(Role.ANALYST)`` builds
the dependency a route declares.

Centres (contract section 8): routes on a person's records declare
:data:`CentreCounsellor`, which also needs the key to belong to a centre (403
``centre_required`` otherwise) and hands the route ``principal.centre_id`` as the
scope of every store call; another centre's record then answers 404 exactly as
a missing one. ``tests/api/test_route_roles.py`` walks the app's route table and
holds the rule of every route, so a new route without a rule fails.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from api.deps import app_state, audit_of
from api.errors import ApiError
from matcher.errors import CentreRequiredError
from matcher.store import KeyInfo, Role, hash_key, role_allows, session_scope, verify_key

logger = logging.getLogger(__name__)

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer <api key>`; roles counsellor < analyst < admin.",
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's label, role and centre (never the key)."""

    label: str
    role: Role
    centre_id: str | None = None


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers=CHALLENGE)


async def authenticate(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    request: Request,
) -> Principal:
    """Resolve the bearer key to a :class:`Principal`.

    A key verified in the last ``MATCHER_KEY_CACHE_SECONDS`` is trusted without
    asking the database again (:class:`api.state.KeyCache`); otherwise the
    lookup runs in a worker thread.

    Raises
    ------
    ApiError
        401 ``unauthorized`` (with ``WWW-Authenticate: Bearer``) when the header
        is missing, not a bearer token, or the key is unknown or revoked.
    """
    if credentials is None or not credentials.credentials.strip():
        raise _unauthorized("Missing API key: send Authorization: Bearer <key>")
    state = app_state(request)
    key = credentials.credentials.strip()
    digest = hash_key(key)
    info = state.keys.get(digest)
    if info is None:
        info = await anyio.to_thread.run_sync(partial(_verify, state.sessions, key))
        if info is not None:
            state.keys.put(digest, info)
    if info is None:
        logger.info("rejected an unknown or revoked API key")
        raise _unauthorized("Unknown or revoked API key")
    audit = audit_of(request)
    audit.key_label = info.label
    audit.role = info.role.value
    return Principal(label=info.label, role=info.role, centre_id=info.centre_id)


def _verify(sessions: sessionmaker[Session], key: str) -> KeyInfo | None:
    with session_scope(sessions) as session:
        return verify_key(session=session, key=key)


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """Build a dependency that admits keys with ``role`` or above.

    Parameters
    ----------
    role : Role
        The least role the route needs (admin may do everything).

    Returns
    -------
    callable
        A FastAPI dependency returning the :class:`Principal`.
    """

    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not role_allows(principal.role, role):
            raise ApiError(403, "forbidden", f"This route needs the {role.value} role or above")
        return principal

    dependency.__name__ = f"require_{role.value}"
    return dependency


async def require_centre(
    principal: Annotated[Principal, Depends(require(Role.COUNSELLOR))],
) -> Principal:
    """Admit a key of a centre (counsellor or above): a person's records belong to one."""
    if principal.centre_id is None:
        raise CentreRequiredError(
            "This route reads or changes a person's records: use a key of a centre"
            " (matcher keys create --role counsellor --centre CENTRE_ID)"
        )
    return principal


Counsellor = Annotated[Principal, Depends(require(Role.COUNSELLOR))]
CentreCounsellor = Annotated[Principal, Depends(require_centre)]
Analyst = Annotated[Principal, Depends(require(Role.ANALYST))]
