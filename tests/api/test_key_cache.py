"""Tests of api.state.KeyCache: trust verified keys for a while, never unknown ones."""

from __future__ import annotations

from datetime import UTC, datetime

from api.state import KeyCache
from matcher.store import KeyInfo, Role


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def info() -> KeyInfo:
    return KeyInfo(
        label="casa-1",
        role=Role.COUNSELLOR,
        key_prefix="mk_abc",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        revoked_at=None,
    )


def test_a_verified_key_is_trusted_until_its_ttl_runs_out() -> None:
    clock = Clock()
    cache = KeyCache(10.0, clock=clock)
    assert cache.get("d1") is None
    cache.put("d1", info())
    clock.now += 9.9
    assert cache.get("d1") == info()
    clock.now += 0.1
    assert cache.get("d1") is None
    assert cache.get("d1") is None  # dropped, not resurrected


def test_zero_ttl_caches_nothing() -> None:
    cache = KeyCache(0.0)
    cache.put("d1", info())
    assert cache.get("d1") is None
