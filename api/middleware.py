"""Per-request bookkeeping: Prometheus counters and the audit log line.

One pure ASGI middleware times every HTTP request, counts it by route
template and status, and, for ``/v1/`` routes, appends an audit row (key
label, role, method, path, status, model version, input hash, duration) after
the answer has been sent. A failing audit write is logged at ERROR and never
changes the answer.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import AuditWriter, RowsWriter
from api.deps import AUDIT_KEY, AuditContext
from matcher.store import log_requests, session_scope

logger = logging.getLogger(__name__)

SLOW_REQUEST_S: Final = 1.0
"""Requests slower than this are logged at INFO even when they succeed."""

FAILURE_KINDS: Final = {413: "payload_too_large", 500: "internal", 503: "unavailable"}
"""Answers counted as failures in ``matcher_failures_total`` by their status."""

LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the latency histogram."""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class RequestMetrics:
    """Thread-safe request counters and latency histograms (this process only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = defaultdict(float)
        self._counts: dict[tuple[str, str], int] = defaultdict(int)
        self._audit_failures = 0
        self._failures: dict[str, int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and its duration."""
        key = (method, route)
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            buckets = self._buckets.setdefault(key, [0] * len(LATENCY_BUCKETS))
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self._sums[key] += seconds
            self._counts[key] += 1

    def audit_failed(self) -> None:
        """Count one audit row that could not be written."""
        with self._lock:
            self._audit_failures += 1
            self._failures["audit_write"] += 1

    def failed(self, kind: str, n: int = 1) -> None:
        """Count ``n`` failures of ``kind`` (``matcher_failures_total{kind=...}``)."""
        with self._lock:
            self._failures[kind] += n

    def render(self, model_version: str | None, failures: dict[str, int] | None = None) -> str:
        """The Prometheus text exposition format (version 0.0.4).

        Parameters
        ----------
        model_version : str or None
            The serving version, exposed as ``matcher_model_info{version=...} 1``.
        failures : dict, optional
            Failure counts kept elsewhere (the model holder's), added to this
            process's own under ``matcher_failures_total``.

        Returns
        -------
        str
        """
        lines = [
            "# HELP matcher_http_requests_total HTTP requests by method, route and status.",
            "# TYPE matcher_http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self._requests.items()):
                lines.append(
                    f'matcher_http_requests_total{{method="{method}",route="{_escape(route)}",'
                    f'status="{status}"}} {n}'
                )
            lines += [
                "# HELP matcher_http_request_duration_seconds HTTP request latency.",
                "# TYPE matcher_http_request_duration_seconds histogram",
            ]
            for (method, route), buckets in sorted(self._buckets.items()):
                labels = f'method="{method}",route="{_escape(route)}"'
                for bound, n in zip(LATENCY_BUCKETS, buckets, strict=True):
                    lines.append(
                        f'matcher_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}'
                    )
                count = self._counts[(method, route)]
                lines.append(
                    f'matcher_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {count}'
                )
                lines.append(
                    f"matcher_http_request_duration_seconds_sum{{{labels}}} "
                    f"{self._sums[(method, route)]:.6f}"
                )
                lines.append(f"matcher_http_request_duration_seconds_count{{{labels}}} {count}")
            audit_failures = self._audit_failures
            kinds = dict(self._failures)
        for kind, n in (failures or {}).items():
            kinds[kind] = kinds.get(kind, 0) + n
        lines += [
            "# HELP matcher_failures_total Failures by kind (audit_write, audit_spooled, "
            "model_serving, model_unservable, unavailable, payload_too_large, internal).",
            "# TYPE matcher_failures_total counter",
        ]
        lines += [f'matcher_failures_total{{kind="{k}"}} {n}' for k, n in sorted(kinds.items())]
        lines += [
            "# HELP matcher_audit_write_failures_total Audit rows that could not be written.",
            "# TYPE matcher_audit_write_failures_total counter",
            f"matcher_audit_write_failures_total {audit_failures}",
            "# HELP matcher_model_info The model version being served.",
            "# TYPE matcher_model_info gauge",
        ]
        if model_version is not None:
            lines.append(f'matcher_model_info{{version="{_escape(model_version)}"}} 1')
        return "\n".join(lines) + "\n"


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestBookkeeping:
    """ASGI middleware: metrics for every request, an audit row for ``/v1/`` ones.

    Parameters
    ----------
    app : ASGIApp
    metrics : RequestMetrics
    audit_writer : AuditWriter
        Writes the rows in batches from its own thread; the request ends once
        its row is committed (after the answer has been sent).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: RequestMetrics,
        audit_writer: AuditWriter,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.audit_writer = audit_writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request, then count and audit it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        audit = AuditContext()
        scope.setdefault("state", {})[AUDIT_KEY] = audit
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - started
            method = str(scope.get("method", ""))
            self.metrics.observe(method, _route_template(scope), status, seconds)
            kind = FAILURE_KINDS.get(status)
            if kind is not None:
                self.metrics.failed(kind)
            path = str(scope.get("path", ""))
            if path.startswith("/v1/"):
                row: dict[str, Any] = {
                    "at": datetime.now(UTC),
                    "key_label": audit.key_label,
                    "role": audit.role,
                    "method": method,
                    "path": path,
                    "status_code": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "model_version": audit.model_version,
                    "input_hash": audit.input_hash,
                }
                # Every /v1/ request is in the audit table; the log shows failures
                # and slow answers at INFO, the rest at DEBUG (a line per request
                # cost ~4 % of a recommendation's CPU).
                quiet = status < 400 and seconds < SLOW_REQUEST_S
                logger.log(
                    logging.DEBUG if quiet else logging.INFO,
                    "%s %s -> %d in %.1f ms (key %s, model %s)",
                    method,
                    path,
                    status,
                    seconds * 1000,
                    audit.key_label,
                    audit.model_version,
                )
                with anyio.CancelScope(shield=True):
                    await self._write_audit(row)

    async def _write_audit(self, row: dict[str, Any]) -> None:
        try:
            await asyncio.wrap_future(self.audit_writer.submit(row))
        except Exception:
            self.metrics.audit_failed()
            logger.exception(
                "audit write failed for %s %s -> %s",
                row["method"],
                row["path"],
                row["status_code"],
            )


def database_audit_writer(get_sessions: Callable[[], Any]) -> RowsWriter:
    """Build a writer that appends rows with :func:`matcher.store.log_requests`, one transaction.

    Parameters
    ----------
    get_sessions : callable
        Returns the session factory (``None`` before the lifespan has run).

    Returns
    -------
    callable
    """

    def write(rows: Sequence[dict[str, Any]]) -> None:
        sessions = get_sessions()
        if sessions is None:
            raise RuntimeError("the database is not set up (lifespan has not run)")
        with session_scope(sessions) as session:
            log_requests(session=session, rows=rows)

    return write
