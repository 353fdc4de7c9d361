"""The ``matcher`` command: the composition root for files and the registry.

Each command reads :class:`~matcher.settings.Settings` (CLI option > environment >
.env > default), calls the core and prints a short result. Any
:class:`~matcher.errors.MatcherError` exits with code 2 and its message; bugs exit 1
with a traceback. The CLI is an edge beside :mod:`api`: it composes :mod:`matcher` and
:mod:`training` (imported lazily, so ``matcher --help`` stays fast); the core imports
neither.

The commands live by noun in :mod:`~cli.model_commands`,
:mod:`~cli.cohort_commands` and :mod:`~cli.store_commands`, on the
shared options and error handling of :mod:`~cli.context`. They are
registered below, in the order ``matcher --help`` lists them.
"""

from __future__ import annotations

import typer

from cli.cohort_commands import allocate, generate, score
from cli.context import ModelOpt as ModelOpt
from cli.context import ReferenceOpt as ReferenceOpt
from cli.context import RegistryOpt as RegistryOpt
from cli.model_commands import (
    evaluate,
    models_activate,
    models_history,
    models_list,
    models_rollback,
    models_show,
    train,
)
from cli.store_commands import (
    bootstrap,
    export_history,
    keys_create,
    keys_list,
    keys_revoke,
)

__all__ = ["app", "main"]

app = typer.Typer(
    help="matcher: recommend income-generating projects for people leaving prison.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="List, inspect, activate and roll back model versions.")
keys_app = typer.Typer(help="Create, list and revoke API keys (stored only as hashes).")
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")

app.command()(train)
app.command()(evaluate)
app.command()(score)
app.command()(allocate)
app.command()(generate)
app.command("export-history")(export_history)
app.command()(bootstrap)

models_app.command("list")(models_list)
models_app.command("show")(models_show)
models_app.command("activate")(models_activate)
models_app.command("rollback")(models_rollback)
models_app.command("history")(models_history)

keys_app.command("create")(keys_create)
keys_app.command("revoke")(keys_revoke)
keys_app.command("list")(keys_list)


def main() -> None:
    """Console-script entry point."""
    app()
