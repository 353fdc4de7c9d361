"""The audit trail's writer: one background thread, many rows per transaction.

Each ``/v1/`` request appends one audit row after its answer is sent. Written
one transaction per row, the commits cost as much as a recommendation under a
burst. :class:`AuditWriter` queues rows and commits whatever has gathered in
one transaction (group commit); each row's future resolves once it is
committed, so the request that wrote it still ends only after its row is in
the database. A failing batch is retried, then written row by row so that one
bad row cannot take the others with it. Rows that still fail are appended to
the spool file (:class:`AuditSpool`, fsynced, under an ``flock``) and replayed
into the database before the next batch is written and at start-up: a locked,
read-only or unreachable database delays audit rows, never drops them. Only
when the spool cannot be written either does a row's future fail (logged at
ERROR and counted by the middleware).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

logger = logging.getLogger(__name__)

Row = dict[str, Any]
RowsWriter = Callable[[Sequence[Row]], None]

MAX_BATCH: Final = 256
RETRIES: Final = 2
RETRY_PAUSE_S: Final = 0.05


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class AuditSpool:
    """Audit rows the database refused, kept in a JSON-lines file until they are replayed.

    Parameters
    ----------
    path : Path
        The spool file (created on first use). Several processes may share it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield fh
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def append(self, rows: Sequence[Row]) -> None:
        """Add rows (fsynced before returning); raises ``OSError`` if the disk refuses."""
        with self._locked() as fh:
            for row in rows:
                fh.write(json.dumps(row, default=_json_default) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def pending(self) -> int:
        """How many bytes wait in the spool (0 when there is none)."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def replay(self, write_rows: RowsWriter) -> int:
        """Write every spooled row in one transaction, then empty the spool; return how many.

        Raises whatever ``write_rows`` raises (the spool is then kept as it was).
        """
        with self._locked() as fh:
            fh.seek(0)
            rows = [json.loads(line) for line in fh if line.strip()]
            if rows:
                for row in rows:
                    if isinstance(row.get("at"), str):
                        row["at"] = datetime.fromisoformat(row["at"])
                write_rows(rows)
            fh.truncate(0)
            fh.flush()
            os.fsync(fh.fileno())
        return len(rows)


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
    spool : AuditSpool, optional
        Where rows the database refuses wait to be replayed.
    on_spooled : callable, optional
        Called with the number of rows spooled (for the metrics).
    """

    def __init__(
        self,
        write_rows: RowsWriter,
        *,
        max_batch: int = MAX_BATCH,
        retries: int = RETRIES,
        spool: AuditSpool | None = None,
        on_spooled: Callable[[int], None] | None = None,
    ) -> None:
        self._write_rows = write_rows
        self._max_batch = max_batch
        self._retries = retries
        self.spool = spool
        self._on_spooled = on_spooled
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
        self.replay_spool()  # older rows first, once the database takes them again
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
        failed: list[tuple[Row, Future[None]]] = []
        for item in batch:
            error = self._write_alone(item)
            if error is not None:
                if self.spool is None:
                    item[1].set_exception(error)
                else:
                    failed.append(item)
        if failed:
            self._spool(failed)

    def _write_alone(self, item: tuple[Row, Future[None]]) -> Exception | None:
        row, future = item
        try:
            self._write_rows([row])
        except Exception as exc:
            return exc
        future.set_result(None)
        return None

    def _spool(self, items: list[tuple[Row, Future[None]]]) -> None:
        assert self.spool is not None
        try:
            self.spool.append([row for row, _ in items])
        except OSError as exc:
            for _, future in items:
                future.set_exception(exc)
            return
        logger.error("database refused %d audit rows: spooled to %s", len(items), self.spool.path)
        if self._on_spooled is not None:
            self._on_spooled(len(items))
        for _, future in items:
            future.set_result(None)

    def replay_spool(self) -> int:
        """Write the spooled rows into the database if there are any; never raises."""
        if self.spool is None or not self.spool.pending():
            return 0
        try:
            n = self.spool.replay(self._write_rows)
        except Exception as exc:
            logger.warning("audit spool not replayed yet: %s", type(exc).__name__)
            return 0
        if n:
            logger.warning("replayed %d spooled audit rows into the database", n)
        return n
