"""The one error envelope of the HTTP API and the handlers that produce it.

Every error answer is ``{"status": int, "code": str, "detail": str | list}``:

* any :class:`matcher.errors.MatcherError` is answered with its ``http_status``
  and ``code``; its ``details`` are merged in as extra keys (e.g.
  ``"field": "profile.region_id"``);
* :class:`fastapi.exceptions.RequestValidationError` becomes ``422
  invalid_request`` whose ``detail[].loc`` names the field, or ``400
  malformed_json`` when the body is not JSON at all;
* Starlette's ``HTTPException`` (and :class:`ApiError`, which adds a stable
  ``code``) keeps its status and headers;
* a database failure becomes ``503 database_unavailable``;
* anything else is a bug: ``500 internal_error``, generic text, traceback logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher.errors import MatcherError

logger = logging.getLogger(__name__)

RESERVED_KEYS: Final = frozenset({"status", "code", "detail"})
STATUS_CODES: Final[dict[int, str]] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}
"""Default ``code`` for an ``HTTPException`` that does not carry one."""

SERVER_PATH: Final = re.compile(r"(?<![\w.:/])/(?!v1/)(?:[\w.@+~-]+/)+([\w.@+~-]*)")
"""An absolute file path (two parts or more); only its last part may be shown."""


def scrub_paths(text: str) -> str:
    """Replace every absolute server path in ``text`` by its last part.

    ``cannot read /srv/matcher/jobs/3f…/input.csv`` becomes ``cannot read
    input.csv``: error messages never show where the service keeps its files.
    """
    return SERVER_PATH.sub(lambda m: m.group(1) or "(folder)", text)


class ValidationIssue(BaseModel):
    """One wire-level validation problem; ``loc`` names the field."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """The error envelope; domain errors may add keys such as ``field``."""

    model_config = ConfigDict(extra="allow")

    status: int
    code: str
    detail: str | list[ValidationIssue]


class ApiError(StarletteHTTPException):
    """An HTTP-layer error with a stable ``code`` (auth, conflicts, storage).

    Parameters
    ----------
    status_code : int
    code : str
        Stable snake_case code for clients.
    detail : str
        A sentence for the reader; never a key, never a profile.
    headers : mapping, optional
        E.g. ``WWW-Authenticate: Bearer`` on 401.
    """

    def __init__(
        self,
        status_code: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=dict(headers or {}))
        self.code = code


def envelope(
    status: int, code: str, detail: object, extra: Mapping[str, object] | None = None
) -> dict[str, object]:
    """Build the error body; ``extra`` keys never override the three fixed ones.

    Parameters
    ----------
    status : int
    code : str
    detail : object
        A string, or a list of validation issues.
    extra : mapping, optional
        Structured details (``field``, ``version``...).

    Returns
    -------
    dict
    """
    body: dict[str, object] = {"status": status, "code": code, "detail": detail}
    for key, value in (extra or {}).items():
        if key not in RESERVED_KEYS:
            body[key] = value
    return body


def error_response(
    status: int,
    code: str,
    detail: object,
    *,
    extra: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Answer with the envelope (see :func:`envelope`)."""
    return JSONResponse(
        envelope(status, code, detail, extra), status_code=status, headers=dict(headers or {})
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the given error statuses, all with :class:`ErrorOut`.

    Parameters
    ----------
    *statuses : int
        E.g. ``401, 403, 422``.

    Returns
    -------
    dict
        Ready for a route decorator's ``responses`` argument.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description = HTTPStatus(status).phrase
        if status == 400:
            description = "Malformed JSON body"
        elif status == 401:
            description = "Missing, unknown or revoked API key"
        elif status == 403:
            description = "The key's role may not use this route"
        elif status == 503:
            description = "Model or database unavailable"
        out[status] = {"model": ErrorOut, "description": description}
    return out


def _json_safe(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return str(value)


async def matcher_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answer a :class:`MatcherError` with its own status and code."""
    assert isinstance(exc, MatcherError)
    status = int(exc.http_status)
    if status >= 500:
        logger.error("%s %s -> %d %s: %s", request.method, request.url.path, status, exc.code, exc)
    else:
        logger.info("%s %s -> %d %s", request.method, request.url.path, status, exc.code)
    extra = _json_safe(exc.details)
    assert isinstance(extra, dict)
    return error_response(status, exc.code, scrub_paths(exc.message), extra=extra)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Reshape pydantic errors: 422 naming each field, or 400 for unparsable JSON."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON")
    issues = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]
    return error_response(422, "invalid_request", issues)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Reshape ``HTTPException`` (and :class:`ApiError`) into the envelope."""
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = getattr(exc, "code", None) or STATUS_CODES.get(status, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    return error_response(status, code, scrub_paths(detail), headers=exc.headers)


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answer 503 when the database fails; the traceback goes to the log only."""
    logger.exception("database error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(503, "database_unavailable", "The database is unavailable; try again")


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answer 500 with a generic message; log the traceback."""
    logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Internal error; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler of this module on ``app``."""
    app.add_exception_handler(MatcherError, matcher_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(SQLAlchemyError, database_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
