"""Bounded requests: a size limit before parsing and authentication, no duplicate JSON keys.

:class:`RequestLimits` is an ASGI middleware. It answers ``413
payload_too_large`` from the ``Content-Length`` header alone when that is over
the limit, and counts the bytes of a body sent without one, so a large body is
never read into memory, parsed or even authenticated. Upload routes
(``/v1/cohorts/score``, ``/v1/cohorts/allocate``) allow
``MATCHER_MAX_UPLOAD_MB``; every other route ``MATCHER_MAX_JSON_BYTES`` (1 MiB).
A JSON body whose object repeats a key answers ``422 duplicate_json_key``
(otherwise the last one would win silently).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response
from matcher.settings import Settings

UPLOAD_PATHS: Final = frozenset({"/v1/cohorts/score", "/v1/cohorts/allocate"})
MIB: Final = 1 << 20


class DuplicateKeyError(ValueError):
    """A JSON object repeats a key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def upload_limit(settings: Settings) -> int:
    """The largest upload, in bytes."""
    return int(settings.max_upload_mb * MIB)


def _human(n: int) -> str:
    return f"{n / MIB:.4g} MiB" if n >= MIB else f"{n / 1024:.3g} KiB"


def too_large(limit: int, what: str = "request body") -> ApiError:
    """The 413 answer for a body over ``limit`` bytes."""
    return ApiError(
        413, "payload_too_large", f"The {what} is larger than {_human(limit)}; send less"
    )


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKeyError(key)
        seen[key] = value
    return seen


def duplicate_key(body: bytes) -> str | None:
    """The first key repeated inside one JSON object of ``body``, or ``None``.

    Bodies that are not JSON at all return ``None`` (the route answers 400).
    """
    try:
        json.loads(body, object_pairs_hook=_refuse_duplicates)
    except DuplicateKeyError as exc:
        return exc.key
    except ValueError:
        return None
    return None


class RequestLimits:
    """ASGI middleware: 413 over the size limit, 422 on duplicate JSON keys.

    Both are answered before anything else reads the body (authentication included).

    Parameters
    ----------
    app : ASGIApp
    settings : callable
        Returns the :class:`Settings` (read per request: the lifespan sets them).
    """

    def __init__(self, app: ASGIApp, *, settings: Callable[[], Settings | None]) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, path: str) -> int:
        settings = self.settings() or Settings()
        return upload_limit(settings) if path in UPLOAD_PATHS else settings.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared size, then count the bytes as they arrive."""
        if scope["type"] != "http" or scope.get("method") in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        limit = self._limit(str(scope.get("path", "")))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_error(send, too_large(limit))
            return
        if headers.get(b"content-type", b"").split(b";")[0].strip() == b"application/json":
            await self._json(scope, receive, send, limit)
            return
        await self.app(scope, _counting(receive, limit), send)

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Read a JSON body (bounded), refuse repeated keys, then replay it to the app."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(send, too_large(limit))
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        key = duplicate_key(body)
        if key is not None:
            await _send_error(
                send,
                ApiError(
                    422,
                    "duplicate_json_key",
                    f"The JSON body repeats the key {key[:64]!r}; send each key once",
                ),
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    return wrapped


async def _send_error(send: Send, error: ApiError) -> None:
    response = error_response(
        error.status_code, error.code, error.detail, headers={"Connection": "close"}
    )
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
