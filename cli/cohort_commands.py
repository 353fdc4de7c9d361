"""``matcher score``, ``matcher allocate`` and ``matcher generate``: whole cohorts.

``generate`` imports :mod:`training` lazily (the synthetic world lives there).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.context import (
    LivelihoodOpt,
    ModelOpt,
    ObjectiveOpt,
    ReferenceOpt,
    RegistryOpt,
    command_settings,
    load_scoring,
    run_command,
)

if TYPE_CHECKING:
    from matcher.batch.streaming import BatchSummary
    from matcher.contract.sheets import SheetStyle
    from matcher.model.scorer import Scorer
    from matcher.settings import Settings


LabelsOpt = Annotated[
    str | None,
    typer.Option(
        "--labels",
        help="fr, ar or en: names beside codes, percentages beside scores, report in that language",
    ),
]
CsvLocaleOpt = Annotated[
    str,
    typer.Option(
        "--csv-locale",
        help="en (comma, decimal point) or fr (semicolon, decimal comma, BOM: "
        "what a French-locale spreadsheet opens)",
    ),
]


def _style(labels: str | None, csv_locale: str) -> SheetStyle:
    """The output layout, or a usage error (exit 2) naming the bad value."""
    from matcher.contract.sheets import SheetStyle

    if labels not in (None, "fr", "ar", "en"):
        typer.echo(f"error: --labels must be fr, ar or en, not {labels!r}", err=True)
        raise typer.Exit(code=2)
    if csv_locale not in ("en", "fr"):
        typer.echo(f"error: --csv-locale must be en or fr, not {csv_locale!r}", err=True)
        raise typer.Exit(code=2)
    return SheetStyle(locale="fr" if csv_locale == "fr" else "en", labels=labels)


def _refuse_overwriting_input(input: Path, output: Path) -> None:
    """``--output`` naming the input file (or its rejects file) would destroy the input."""
    from matcher.batch.streaming import rejects_path

    target = input.resolve()
    if target in (output.resolve(), rejects_path(output).resolve()):
        typer.echo(
            f"error: --output {output} would overwrite the input file {input}; "
            "choose another output name",
            err=True,
        )
        raise typer.Exit(code=2)


def score(
    input: Annotated[Path, typer.Option("--input", help="Cohort file (CSV or Parquet)")],
    output: Annotated[Path, typer.Option("--output", help="Output file (CSV or Parquet)")],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50, help="Rows per person")] = 5,
    registry: RegistryOpt = None,
    reference: ReferenceOpt = None,
    model: ModelOpt = None,
    explain: Annotated[bool, typer.Option("--explain", help="Add each row's reasons")] = False,
    chunk_rows: Annotated[int, typer.Option(min=100, help="Rows per chunk")] = 20_000,
    engine: Annotated[
        str, typer.Option(help="pandas (streaming, default) or dask (Parquet dataset)")
    ] = "pandas",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (default: a local cluster)")
    ] = None,
    labels: LabelsOpt = None,
    csv_locale: CsvLocaleOpt = "en",
    objective: ObjectiveOpt = None,
    livelihood_mad: LivelihoodOpt = None,
) -> None:
    """Score every beneficiary of a cohort file (rejects go to FILE.rejects.csv)."""
    _refuse_overwriting_input(input, output)
    style = _style(labels, csv_locale)

    def go() -> None:
        from matcher.batch.streaming import score_file

        settings = command_settings(registry, reference)
        ref, scorer = load_scoring(settings, model)
        threshold = settings.livelihood_mad if livelihood_mad is None else livelihood_mad
        goal = scorer.resolve_objective(objective)
        if engine == "dask":
            _score_with_dask(
                input,
                output,
                settings,
                scorer,
                top_k=top_k,
                scheduler=scheduler,
                objective=goal,
                livelihood_mad=threshold,
            )
            return
        if engine != "pandas":
            typer.echo("error: --engine must be pandas or dask", err=True)
            raise typer.Exit(code=2)

        def run(progress: Callable[[int], None] | None = None) -> BatchSummary:
            return score_file(
                input,
                output,
                reference=ref,
                scorer=scorer,
                top_k=top_k,
                explain=explain,
                chunk_rows=chunk_rows,
                progress=progress,
                style=style,
                objective=goal,
                livelihood_mad=threshold,
            )

        summary = _run_with_progress_bar(input, run) if sys.stderr.isatty() else run()
        typer.echo(summary.line())

    run_command(go)


def _score_with_dask(
    input: Path,
    output: Path,
    settings: Settings,
    scorer: Scorer,
    *,
    top_k: int,
    scheduler: str | None,
    objective: str,
    livelihood_mad: float,
) -> None:
    """``--engine dask``: score a Parquet dataset partition by partition."""
    from matcher.batch.dask_engine import score_parquet_with_dask

    info = score_parquet_with_dask(
        input,
        output,
        reference_dir=settings.reference,
        registry_dir=settings.registry,
        version=scorer.version,
        top_k=top_k,
        scheduler=scheduler,
        objective=objective,
        livelihood_mad=livelihood_mad,
    )
    typer.echo(
        f"dask: {info['partitions']} partitions scored with model {scorer.version} "
        f"-> {info['output']} (rejects in {info['rejects']})"
    )


def _run_with_progress_bar(
    input: Path, run: Callable[[Callable[[int], None]], BatchSummary]
) -> BatchSummary:
    """Run the scoring with a progress bar on the terminal (rows done of the file's rows)."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from matcher.contract.tables import count_rows

    total = count_rows(input)
    with Progress(
        TextColumn("scoring"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("score", total=total, rate="")

        def tick(done: int) -> None:
            elapsed = bar.tasks[0].elapsed or 1e-9
            bar.update(task, completed=done, rate=f"{done / elapsed:,.0f} rows/s")

        return run(tick)


def allocate(
    input: Annotated[Path, typer.Option("--input", help="Cohort file (CSV or Parquet)")],
    envelope: Annotated[float, typer.Option("--envelope", help="Budget envelope in MAD")],
    output: Annotated[Path, typer.Option("--output", help="Allocation file")] = Path(
        "allocation.csv"
    ),
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50, help="Options per person")] = 5,
    max_share_per_type: Annotated[
        float | None, typer.Option(help="At most this share of people per project type")
    ] = None,
    max_per_type_per_commune: Annotated[
        int | None, typer.Option(help="At most N people of one commune on the same type")
    ] = None,
    method: Annotated[str, typer.Option(help="auto, exact or greedy")] = "auto",
    registry: RegistryOpt = None,
    reference: ReferenceOpt = None,
    model: ModelOpt = None,
    labels: LabelsOpt = None,
    csv_locale: CsvLocaleOpt = "en",
    objective: ObjectiveOpt = None,
    livelihood_mad: LivelihoodOpt = None,
    min_per_region: Annotated[
        int | None,
        typer.Option(
            "--min-per-region",
            min=0,
            help="Fund at least N people in every region (fewer where fewer have an option)",
        ),
    ] = None,
) -> None:
    """Share a budget envelope across a cohort to maximise expected livelihoods (or survivals)."""
    _refuse_overwriting_input(input, output)
    style = _style(labels, csv_locale)

    def go() -> None:
        from matcher.allocation.cohort_file import allocate_file

        settings = command_settings(registry, reference)
        ref, scorer = load_scoring(settings, model)
        result = allocate_file(
            input,
            output,
            envelope_mad=envelope,
            reference=ref,
            scorer=scorer,
            top_k=top_k,
            max_share_per_type=max_share_per_type,
            max_per_type_per_commune=max_per_type_per_commune,
            method=method,
            style=style,
            objective=objective,
            livelihood_mad=settings.livelihood_mad if livelihood_mad is None else livelihood_mad,
            min_per_region=min_per_region,
        )
        typer.echo(result)

    run_command(go)


def generate(
    out: Annotated[Path, typer.Option("--out", help="Output folder")],
    n_history: Annotated[int, typer.Option("--n-history", min=0)] = 6000,
    n_cohort: Annotated[int, typer.Option("--n-cohort", min=0)] = 600,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    reference: ReferenceOpt = None,
) -> None:
    """Generate a synthetic world: history, cohort, ground truth, a cohort with errors."""

    def go() -> None:
        from matcher.reference import load_reference
        from training.generator import describe_world, generate_world, write_world

        settings = command_settings(None, reference)
        ref = load_reference(settings.reference)
        world = generate_world(ref, n_history=n_history, n_cohort=n_cohort, seed=seed)
        paths = write_world(world, out)
        for name, path in paths.items():
            typer.echo(f"{name}: {path}")
        typer.echo(json.dumps(describe_world(world), indent=2, default=str))

    run_command(go)
