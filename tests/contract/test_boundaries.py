"""Architecture boundaries of the core, checked on the source with ``ast``.

The core under ``matcher/`` must not depend on the web layer, on SQL or on the
training code (``matcher/cli/`` and ``matcher/store/`` are the entry points and
the persistence edge that may), and only entry points read configuration.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "matcher"
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "training")
IMPORT_EXEMPT = {"cli"}  # the CLI package, the composition root
SETTINGS_EXEMPT = {"cli", "settings.py"}


def core_modules(exempt: set[str]) -> list[Path]:
    return sorted(
        p for p in CORE.rglob("*.py") if p.relative_to(CORE).parts[0] not in {"store", *exempt}
    )


def imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_core_is_found():
    names = {p.name for p in core_modules(IMPORT_EXEMPT)}
    assert {"service.py", "features.py", "registry.py", "batch.py"} <= names
    assert not any("cli" in p.relative_to(CORE).parts for p in core_modules(IMPORT_EXEMPT))
    assert "census" in {p.relative_to(CORE).parts[0] for p in core_modules(IMPORT_EXEMPT)}
    assert not any("store" in p.parts for p in core_modules(IMPORT_EXEMPT))


@pytest.mark.parametrize(
    "path", core_modules(IMPORT_EXEMPT), ids=lambda p: str(p.relative_to(ROOT))
)
def test_core_does_not_import_the_edges(path):
    bad = imported_roots(parse(path)) & set(FORBIDDEN)
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def reads_configuration(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("get_settings", "getenv"):
                found.append(f"line {node.lineno}: {name}()")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "environb")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(f"line {node.lineno}: os.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            found.extend(
                f"line {node.lineno}: from os import {a.name}"
                for a in node.names
                if a.name in ("environ", "getenv")
            )
        if isinstance(node, ast.ImportFrom) and node.module == "matcher.settings":
            found.append(f"line {node.lineno}: imports matcher.settings")
    return found


@pytest.mark.parametrize(
    "path", core_modules(SETTINGS_EXEMPT), ids=lambda p: str(p.relative_to(ROOT))
)
def test_core_does_not_read_configuration(path):
    found = reads_configuration(parse(path))
    assert not found, f"{path.relative_to(ROOT)}: {found}"


def test_the_checks_can_fail():
    tree = ast.parse(
        "import os\nfrom fastapi import APIRouter\nimport training.train\n"
        "from matcher.settings import get_settings\nx = os.environ['A']\nget_settings()\n"
    )
    assert imported_roots(tree) & set(FORBIDDEN) == {"fastapi", "training"}
    assert len(reads_configuration(tree)) == 3
