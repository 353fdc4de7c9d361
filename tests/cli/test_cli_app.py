"""The ``matcher`` command as a whole: entry points, exports and the order of ``--help``."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import typer

import cli
from cli import app, main

ROOT = Path(__file__).resolve().parents[2]


def test_all_is_app_and_main() -> None:
    assert cli.__all__ == ["app", "main"]


def test_console_script_resolves_to_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    module, _, name = scripts["matcher"].partition(":")
    assert getattr(importlib.import_module(module), name) is main


def test_commands_are_listed_in_their_usual_order() -> None:
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert list(commands) == [
        "train",
        "evaluate",
        "score",
        "allocate",
        "generate",
        "export-history",
        "bootstrap",
        "models",
        "keys",
    ]
    assert list(commands["models"].commands) == ["list", "show", "activate", "rollback", "history"]
    assert list(commands["keys"].commands) == ["create", "revoke", "list"]


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "python -m cli" in result.stdout
    assert "export-history" in result.stdout
