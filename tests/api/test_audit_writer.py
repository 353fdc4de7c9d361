"""Tests of api.audit.AuditWriter: group commit, retries, one bad row, flush on close."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import wait
from typing import Any

import pytest

from api.audit import AuditWriter


class Sink:
    """Records the batches it is given; can be told to fail."""

    def __init__(self, fail_times: int = 0, bad: set[int] | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_times = fail_times
        self.bad = bad or set()
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, rows: Sequence[dict[str, Any]]) -> None:
        self.gate.wait(5)
        ids = [r["id"] for r in rows]
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("database is locked")
        if self.bad & set(ids):
            raise ValueError("bad row")
        self.batches.append(ids)


def test_rows_gathered_while_a_write_runs_share_one_transaction() -> None:
    sink = Sink()
    writer = AuditWriter(sink)
    sink.gate.clear()  # hold the first write so the next rows queue up
    first = writer.submit({"id": 0})
    rest = [writer.submit({"id": i}) for i in range(1, 50)]
    sink.gate.set()
    wait([first, *rest], timeout=5)
    writer.close()
    assert sorted(i for b in sink.batches for i in b) == list(range(50))
    assert len(sink.batches) <= 3  # 50 rows, not 50 transactions
    assert all(f.exception() is None for f in [first, *rest])


def test_a_failing_batch_is_retried() -> None:
    sink = Sink(fail_times=1)
    writer = AuditWriter(sink)
    future = writer.submit({"id": 7})
    assert future.result(timeout=5) is None
    writer.close()
    assert sink.batches == [[7]]


def test_one_bad_row_does_not_lose_the_others() -> None:
    sink = Sink(bad={3})
    writer = AuditWriter(sink, retries=0)
    sink.gate.clear()
    futures = [writer.submit({"id": i}) for i in range(6)]
    sink.gate.set()
    wait(futures, timeout=5)
    writer.close()
    assert isinstance(futures[3].exception(), ValueError)
    assert [f.exception() for i, f in enumerate(futures) if i != 3] == [None] * 5
    assert sorted(i for b in sink.batches for i in b) == [0, 1, 2, 4, 5]


def test_close_writes_what_is_queued_and_a_later_submit_restarts() -> None:
    sink = Sink()
    writer = AuditWriter(sink)
    futures = [writer.submit({"id": i}) for i in range(20)]
    writer.close()
    assert all(f.done() for f in futures)
    assert writer.submit({"id": 99}).result(timeout=5) is None
    writer.close()
    assert sorted(i for b in sink.batches for i in b) == [*range(20), 99]


@pytest.mark.parametrize("max_batch", [1, 4])
def test_batches_never_exceed_max_batch(max_batch: int) -> None:
    sink = Sink()
    writer = AuditWriter(sink, max_batch=max_batch)
    sink.gate.clear()
    futures = [writer.submit({"id": i}) for i in range(10)]
    sink.gate.set()
    wait(futures, timeout=5)
    writer.close()
    assert max(len(b) for b in sink.batches) <= max_batch
