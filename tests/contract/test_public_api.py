"""The exported surface of the matcher package."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import matcher

ROOT = Path(__file__).resolve().parents[2]

# With the stale editable install found on the build machine (installed before
# matcher/__init__.py existed, so setuptools recorded ``matcher`` as a namespace),
# ``import matcher`` outside the repository root never runs ``__init__.py``: no
# ``__all__``, ``from matcher import Profile`` fails. ``pip install -e .`` fixes it.
STALE_INSTALL = getattr(matcher, "__file__", None) is None
needs_regular_package = pytest.mark.xfail(
    STALE_INSTALL,
    strict=True,
    reason="env: stale editable install makes `matcher` a namespace package; "
    "reinstall with `pip install -e .`",
)


@needs_regular_package
def test_matcher_is_the_repository_package():
    assert Path(matcher.__file__).resolve() == ROOT / "matcher" / "__init__.py"


@needs_regular_package
def test_all_is_sorted_and_unique():
    assert matcher.__all__ == sorted(matcher.__all__)
    assert len(set(matcher.__all__)) == len(matcher.__all__)


@needs_regular_package
def test_every_exported_name_is_importable():
    for name in matcher.__all__:
        obj = getattr(matcher, name)
        assert obj is not None, name
        assert obj.__module__.startswith("matcher."), (name, obj.__module__)
        exec(f"from matcher import {name}", {})


@needs_regular_package
def test_exports_are_the_defining_objects():
    for name in matcher.__all__:
        obj = getattr(matcher, name)
        defining = importlib.import_module(obj.__module__)
        assert getattr(defining, name) is obj


@needs_regular_package
def test_star_import_gives_exactly_all():
    namespace: dict[str, object] = {}
    exec("from matcher import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == matcher.__all__


def test_module_all_lists_are_sorted_and_resolvable():
    for module_name in ("matcher.service",):
        module = importlib.import_module(module_name)
        names = list(getattr(module, "__all__", []))
        assert names == sorted(names)
        for name in names:
            assert hasattr(module, name), (module_name, name)
