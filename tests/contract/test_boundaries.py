"""Architecture boundaries, checked on the source with ``ast`` against docs/architecture.md.

The table "Who may import whom" in ``docs/architecture.md`` is the rule: every package
of the tree must be in it, every import between the project's packages must be allowed
by it, and third-party libraries with a home (FastAPI, SQLAlchemy, typer…) may be
imported only there. Nothing inside ``matcher/`` is exempt. Only entry points read
configuration.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("matcher", "training", "api", "cli")
TYPE_CHECKING_NAMES = {"TYPE_CHECKING"}


def _names(cell: str) -> set[str]:
    return set(re.findall(r"`([\w.*]+)`", cell))


def read_rules(text: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(package -> allowed imports, library -> packages) from the two tables of the doc."""
    allowed: dict[str, set[str]] = {}
    homes: dict[str, set[str]] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or "Who may import" not in section:
            continue
        if len(cells) == 3:
            (unit,) = _names(cells[0])
            allowed[unit] = _names(cells[2])
        elif len(cells) == 2:
            for library in _names(cells[0]):
                homes[library] = _names(cells[1])
    return allowed, homes


ALLOWED, HOMES = read_rules(DOC.read_text(encoding="utf-8"))


def unit_of(module: str) -> str:
    """``matcher.model.scorer`` -> ``matcher.model``; ``api.routes`` -> ``api``."""
    parts = module.split(".")
    if parts[0] == "matcher" and len(parts) > 1 and parts[1] != "__init__":
        return f"matcher.{parts[1]}"
    return parts[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id in TYPE_CHECKING_NAMES)
            or (isinstance(node.test, ast.Attribute) and node.test.attr in TYPE_CHECKING_NAMES)
        ):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return skip


def imports(tree: ast.AST, *, this: str) -> set[str]:
    """Modules imported at run time (absolute, relative resolved, ``import_module`` included)."""
    skip = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = this.split(".")[: -node.level] if node.level else []
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module in {"matcher", "matcher.features", "matcher.contract", "matcher.model"}:
                # ``from matcher import columns`` names a submodule: count the submodule
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                found.add(module)
        elif (
            isinstance(node, ast.Call)
            and (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def is_allowed(target: str, rules: set[str], *, me: str) -> bool:
    if target == me:
        return True
    return any(
        target == rule or (rule.endswith(".*") and target.startswith(rule[:-1])) for rule in rules
    )


def test_the_rules_are_read_from_the_doc():
    assert {"matcher.contract", "matcher.model", "matcher.service", "api", "cli"} <= set(ALLOWED)
    assert ALLOWED["matcher.errors"] == set()
    core_rules = {
        rule for unit, rules in ALLOWED.items() if unit.startswith("matcher") for rule in rules
    }
    assert not {rule.split(".")[0] for rule in core_rules} & {"training", "api", "cli"}
    assert "training" in ALLOWED["cli"]
    assert HOMES["fastapi"] == {"api"}
    assert "matcher.store" in HOMES["sqlalchemy"]


def test_every_package_of_the_tree_is_in_the_table():
    units = {unit_of(module_name(p)) for p in source_files()}
    missing = sorted(units - set(ALLOWED))
    assert not missing, f"add these to docs/architecture.md: {missing}"
    stale = sorted(set(ALLOWED) - units)
    assert not stale, f"docs/architecture.md names packages that do not exist: {stale}"


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_table(path):
    this = module_name(path)
    me = unit_of(this)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = []
    for target in sorted(imports(tree, this=this)):
        root = target.split(".")[0]
        if root in PACKAGES:
            if not is_allowed(unit_of(target), ALLOWED[me], me=me):
                bad.append(target)
        elif root in HOMES and not (HOMES[root] & {me, me.split(".")[0]}):
            bad.append(target)
    assert not bad, f"{path.relative_to(ROOT)} ({me}) may not import {bad}"


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


CORE = sorted(
    p
    for p in (ROOT / "matcher").rglob("*.py")
    if p.relative_to(ROOT / "matcher").parts[0] not in {"settings.py", "store"}
)


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_does_not_read_configuration(path):
    found = reads_configuration(ast.parse(path.read_text(encoding="utf-8")))
    assert not found, f"{path.relative_to(ROOT)}: {found}"


def test_the_checks_can_fail():
    tree = ast.parse(
        "import os\nfrom fastapi import APIRouter\nimport training.train\n"
        "from matcher.settings import get_settings\nx = os.environ['A']\nget_settings()\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from api.main import app\n"
        "from . import sibling\nimportlib.import_module('cli.context')\n"
    )
    found = imports(tree, this="matcher.model.scorer")
    assert {"fastapi", "training.train", "matcher.settings", "cli.context"} <= found
    assert "api.main" not in found
    assert "matcher.model.sibling" in found
    me = "matcher.model"
    assert not is_allowed(unit_of("training.train"), ALLOWED[me], me=me)
    assert not is_allowed(unit_of("matcher.service"), ALLOWED[me], me=me)
    assert is_allowed(unit_of("matcher.features.builder"), ALLOWED[me], me=me)
    assert is_allowed(unit_of("matcher.model.linear"), ALLOWED[me], me=me)
    assert len(reads_configuration(tree)) == 3
