"""The audit trail's writer: one background thread, many rows per transaction.

Each ``/v1/`` request appends one audit row after its answer is sent. Written
one transaction per row, the commits cost as much as a recommendation under a
burst. :class:`AuditWriter` queues rows and commits whatever has gathered in
one transaction (group commit); each row's future resolves once it is
committed, so the request that wrote it still ends only after its row is in
the database. A failing batch is retried, then written row by row so that one
bad row cannot take the others with it; a row that still fails resolves its
future with the error, which the middleware logs at ERROR and counts.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Final

logger = logging.getLogger(__name__)

Row = dict[str, Any]
RowsWriter = Callable[[Sequence[Row]], None]

MAX_BATCH: Final = 256
RETRIES: Final = 2
RETRY_PAUSE_S: Final = 0.05


class AuditWriter:
    """Queue audit rows and write them in batches from one daemon thread.

    Parameters
    ----------
    write_rows : callable
        Writes a list of rows in one transaction (raises on failure).
    max_batch : int
        Most rows per transaction.
    retries : int
        Further attempts for a failing batch before rows are tried one by one.
    """

    def __init__(
        self, write_rows: RowsWriter, *, max_batch: int = MAX_BATCH, retries: int = RETRIES
    ) -> None:
        self._write_rows = write_rows
        self._max_batch = max_batch
        self._retries = retries
        self._queue: queue.SimpleQueue[tuple[Row, Future[None]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, row: Row) -> Future[None]:
        """Queue ``row``; the future resolves when it is committed (or has failed)."""
        future: Future[None] = Future()
        self._ensure_thread()
        self._queue.put((row, future))
        return future

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread (a later submit restarts it)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="matcher-audit-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[tuple[Row, Future[None]]]) -> None:
        rows = [row for row, _ in batch]
        for attempt in range(self._retries + 1):
            try:
                self._write_rows(rows)
            except Exception as exc:  # the database's errors are not ours to type
                logger.warning(
                    "audit batch of %d rows failed (attempt %d): %s", len(rows), attempt + 1, exc
                )
                time.sleep(RETRY_PAUSE_S * (attempt + 1))
            else:
                for _, future in batch:
                    future.set_result(None)
                return
        for item in batch:
            self._write_alone(item)

    def _write_alone(self, item: tuple[Row, Future[None]]) -> None:
        row, future = item
        try:
            self._write_rows([row])
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(None)
