"""What every ``matcher`` command runs in: shared options, settings and error handling.

Each command reads :class:`Settings` (CLI option > environment > .env > default)
through :func:`command_settings` and runs its body through :func:`run_command`,
which turns any :class:`MatcherError` into its message and exit code 2 (bugs
exit 1 with a traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.errors import MatcherError
from matcher.log_config import configure_logging
from matcher.settings import Settings

RegistryOpt = Annotated[
    Path | None, typer.Option("--registry", help="Model registry folder [env MATCHER_REGISTRY]")
]
ReferenceOpt = Annotated[
    Path | None,
    typer.Option("--reference", help="Reference catalogue folder [env MATCHER_REFERENCE]"),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model version (default: active)")]
ObjectiveOpt = Annotated[
    str | None,
    typer.Option(
        "--objective",
        help="livelihood or survival: what rank follows (default: livelihood when the "
        "version has an income part, survival otherwise)",
    ),
]
LivelihoodOpt = Annotated[
    float | None,
    typer.Option(
        "--livelihood-mad",
        min=0,
        help="Net monthly income (MAD) a livelihood must reach [env MATCHER_LIVELIHOOD_MAD]",
    ),
]
DatabaseUrlOpt = Annotated[str | None, typer.Option(help="[env MATCHER_DATABASE_URL]")]


def command_settings(registry: Path | None = None, reference: Path | None = None) -> Settings:
    """Read the settings, with the command's options first, and configure logging.

    Parameters
    ----------
    registry : Path, optional
        ``--registry``, overriding ``MATCHER_REGISTRY``.
    reference : Path, optional
        ``--reference``, overriding ``MATCHER_REFERENCE``.

    Returns
    -------
    Settings
        The settings; logging is configured at ``WARNING`` unless a level other
        than the default ``INFO`` is set.
    """
    overrides: dict[str, Any] = {}
    if registry is not None:
        overrides["registry"] = registry
    if reference is not None:
        overrides["reference"] = reference
    settings = Settings(**overrides)
    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level)
    return settings


def run_command(func: Callable[[], None]) -> None:
    """Run a command's body; a :class:`MatcherError` prints its message and exits 2.

    Parameters
    ----------
    func : callable
        The body, without arguments.

    Raises
    ------
    typer.Exit
        With code 2 on a :class:`MatcherError` (``error [code]: message`` on stderr).
    """
    try:
        func()
    except MatcherError as exc:
        typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
        raise typer.Exit(code=2) from None


def load_scoring(settings: Settings, model: str | None) -> tuple[Any, Any]:
    """Load the reference catalogue and the scorer of a model version.

    Parameters
    ----------
    settings : Settings
        Where the reference and the registry are.
    model : str, optional
        Model version; the active one when omitted.

    Returns
    -------
    tuple
        ``(Reference, Scorer)``; the registry checks the version against the
        reference's fingerprint before loading it.
    """
    from matcher.model.scorer import Scorer
    from matcher.reference import load_reference

    reference = load_reference(settings.reference)
    return reference, Scorer.load(settings.registry, model, reference=reference)
