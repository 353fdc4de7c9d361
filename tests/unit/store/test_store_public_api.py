from __future__ import annotations

import matcher.store


def test_all_is_sorted_and_complete() -> None:
    exported = matcher.store.__all__
    assert exported == sorted(exported)
    for name in exported:
        assert hasattr(matcher.store, name), name
