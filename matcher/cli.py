"""The ``matcher`` command: the composition root for files and the registry.

Each command reads :class:`Settings` (CLI option > environment > .env >
default), calls the core and prints a short result. Any :class:`MatcherError`
exits with code 2 and its message; bugs exit 1 with a traceback. ``train``,
``evaluate`` and ``generate`` import :mod:`training` lazily: the one documented
exception to "matcher never imports training".
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.errors import MatcherError
from matcher.log_config import configure_logging
from matcher.settings import Settings

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

RegistryOpt = Annotated[
    Path | None, typer.Option("--registry", help="Model registry folder [env MATCHER_REGISTRY]")
]
ReferenceOpt = Annotated[
    Path | None,
    typer.Option("--reference", help="Reference catalogue folder [env MATCHER_REFERENCE]"),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model version (default: active)")]


def _settings(registry: Path | None = None, reference: Path | None = None) -> Settings:
    overrides: dict[str, Any] = {}
    if registry is not None:
        overrides["registry"] = registry
    if reference is not None:
        overrides["reference"] = reference
    settings = Settings(**overrides)
    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level)
    return settings


def _run(func: Callable[[], None]) -> None:
    try:
        func()
    except MatcherError as exc:
        typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
        raise typer.Exit(code=2) from None


def _actor() -> str:
    return os.environ.get("USER") or os.environ.get("LOGNAME") or "cli"


def _load(settings: Settings, model: str | None) -> tuple[Any, Any]:
    from matcher.reference import load_reference
    from matcher.registry import Registry
    from matcher.scoring import Scorer

    reference = load_reference(settings.reference)
    loaded = Registry(settings.registry).load(model, reference_fingerprint=reference.fingerprint)
    return reference, Scorer.from_loaded(loaded)


@app.command()
def train(
    history: Annotated[Path, typer.Option("--history", help="History file (CSV or Parquet)")],
    registry: RegistryOpt = None,
    reference: ReferenceOpt = None,
    no_activate: Annotated[bool, typer.Option("--no-activate", help="Register only")] = False,
    force: Annotated[bool, typer.Option("--force", help="Override the promotion gate")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (activation history)")] = "trained",
    eval_cohort: Annotated[Path | None, typer.Option(help="Cohort with ground truth")] = None,
    eval_truth: Annotated[Path | None, typer.Option(help="Its cohort_truth file")] = None,
    random_state: Annotated[int, typer.Option(help="Seed")] = 0,
) -> None:
    """Train a model on a history file, evaluate it and register a new version."""

    def go() -> None:
        from matcher.reference import load_reference
        from matcher.registry import Registry
        from training.train import train_model

        settings = _settings(registry, reference)
        ref = load_reference(settings.reference)
        result = train_model(
            history,
            reference=ref,
            registry=Registry(settings.registry),
            activate=not no_activate,
            actor=_actor(),
            reason=reason,
            force=force,
            eval_cohort=eval_cohort,
            eval_truth=eval_truth,
            random_state=random_state,
        )
        overall = result.metrics["holdout"]["overall"]
        typer.echo(
            f"registered {result.version} ({result.metrics['candidate']}): held-out ROC AUC "
            f"{overall['roc_auc']:.3f}, log loss {overall['log_loss']:.3f}, "
            f"Brier {overall['brier']:.3f}; {result.n_rejected} history rows rejected"
        )
        if "world" in result.metrics:
            world = result.metrics["world"]["model"]
            typer.echo(
                f"ground truth: NDCG@5 {world['ndcg_at_5']:.3f}, top-1 "
                f"{world['top1_ratio']:.1%} of best, ECE top-5 {world['ece_top5_vs_truth']:.3f}"
            )
        if result.activated:
            typer.echo(f"active version is now {result.version}")
        elif result.refusal:
            typer.echo(f"not activated: {result.refusal}", err=True)
            raise typer.Exit(code=3)
        else:
            typer.echo("not activated (--no-activate)")

    _run(go)


@app.command()
def evaluate(
    history: Annotated[Path, typer.Option("--history", help="History file to evaluate on")],
    model: ModelOpt = None,
    registry: RegistryOpt = None,
    reference: ReferenceOpt = None,
    cohort: Annotated[Path | None, typer.Option(help="Cohort with ground truth")] = None,
    truth: Annotated[Path | None, typer.Option(help="Its cohort_truth file")] = None,
    output: Annotated[Path | None, typer.Option(help="Write the report as JSON")] = None,
) -> None:
    """Evaluate a registered model on a history file (and a cohort with ground truth)."""

    def go() -> None:
        from matcher.cohort import validate_profiles
        from matcher.tabular import read_table
        from training.evaluate import eligible_truth_pairs, holdout_report, world_report
        from training.history import load_history

        settings = _settings(registry, reference)
        ref, scorer = _load(settings, model)
        hist, rejects = load_history(history, ref)
        report: dict[str, Any] = {
            "model_version": scorer.version,
            "n_rejected": len(rejects),
            "holdout": holdout_report(hist, scorer.score_pairs(hist)),
        }
        if cohort is not None and truth is not None:
            valid, _ = validate_profiles(read_table(cohort), ref)
            pairs = eligible_truth_pairs(valid, read_table(truth), ref)
            report["world"] = world_report(pairs, scorer=scorer, history=hist, reference=ref)
        text = json.dumps(report, indent=2, default=str)
        if output is not None:
            output.write_text(text, encoding="utf-8")
        overall = report["holdout"]["overall"]
        typer.echo(
            f"model {scorer.version} on {overall['n']} rows: ROC AUC {overall['roc_auc']:.3f}, "
            f"log loss {overall['log_loss']:.3f}, Brier {overall['brier']:.3f}, "
            f"ECE {overall['ece']:.3f}"
        )
        if "world" in report:
            w = report["world"]["model"]
            typer.echo(
                f"ground truth: NDCG@5 {w['ndcg_at_5']:.3f}, top-1 {w['top1_ratio']:.1%} of best, "
                f"ECE top-5 {w['ece_top5_vs_truth']:.3f}, MAE {w['mae_top5_vs_truth']:.3f}"
            )

    _run(go)


@app.command()
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
) -> None:
    """Score every beneficiary of a cohort file (rejects go to FILE.rejects.csv)."""

    def go() -> None:
        from matcher.batch import score_file

        settings = _settings(registry, reference)
        ref, scorer = _load(settings, model)
        if engine == "dask":
            from matcher.distributed import score_parquet_with_dask

            info = score_parquet_with_dask(
                input,
                output,
                reference_dir=settings.reference,
                registry_dir=settings.registry,
                version=scorer.version,
                top_k=top_k,
                scheduler=scheduler,
            )
            typer.echo(
                f"dask: {info['partitions']} partitions scored with model {scorer.version} "
                f"-> {info['output']} (rejects in {info['rejects']})"
            )
            return
        if engine != "pandas":
            typer.echo("error: --engine must be pandas or dask", err=True)
            raise typer.Exit(code=2)
        if sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            from matcher.tabular import count_rows

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

                summary = score_file(
                    input,
                    output,
                    reference=ref,
                    scorer=scorer,
                    top_k=top_k,
                    explain=explain,
                    chunk_rows=chunk_rows,
                    progress=tick,
                )
        else:
            summary = score_file(
                input,
                output,
                reference=ref,
                scorer=scorer,
                top_k=top_k,
                explain=explain,
                chunk_rows=chunk_rows,
            )
        typer.echo(summary.line())

    _run(go)


@app.command()
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
) -> None:
    """Share a budget envelope across a cohort to maximise expected active businesses."""

    def go() -> None:
        from matcher.allocation_run import allocate_file

        settings = _settings(registry, reference)
        ref, scorer = _load(settings, model)
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
        )
        typer.echo(result)

    _run(go)


@app.command()
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

        settings = _settings(None, reference)
        ref = load_reference(settings.reference)
        world = generate_world(ref, n_history=n_history, n_cohort=n_cohort, seed=seed)
        paths = write_world(world, out)
        for name, path in paths.items():
            typer.echo(f"{name}: {path}")
        typer.echo(json.dumps(describe_world(world), indent=2, default=str))

    _run(go)


@app.command("export-history")
def export_history(
    output: Annotated[Path, typer.Option("--output", help="History file to write")],
    database_url: Annotated[str | None, typer.Option(help="[env MATCHER_DATABASE_URL]")] = None,
) -> None:
    """Turn recorded decisions and outcomes into a contract history file."""

    def go() -> None:
        from matcher.store.db import session_scope
        from matcher.store.history_export import export_history as export
        from matcher.tabular import write_table

        with _key_session(database_url) as factory, session_scope(factory) as session:
            frame = export(session=session)
        write_table(frame, output)
        typer.echo(f"{len(frame)} funded projects with a 12-month outcome -> {output}")

    _run(go)


@models_app.command("list")
def models_list(registry: RegistryOpt = None) -> None:
    """List versions, newest last, with headline metrics and the active one."""
    from matcher.registry import Registry

    reg = Registry(_settings(registry).registry)
    active = reg.active_version()
    if not reg.versions():
        typer.echo(f"no versions in {reg.root}")
    for version in reg.versions():
        manifest = reg.manifest(version)
        head = manifest.get("headline", {})
        mark = "*" if version == active else " "
        typer.echo(
            f"{mark} {version}  {manifest.get('candidate', '?'):6}  "
            f"rows {manifest.get('n_rows', '?')}"
            f"  AUC {head.get('roc_auc', float('nan')):.3f}  log loss "
            f"{head.get('log_loss', float('nan')):.3f}"
        )


@models_app.command("show")
def models_show(
    version: Annotated[str | None, typer.Argument()] = None, registry: RegistryOpt = None
) -> None:
    """Show a version's manifest and where its model card is."""

    def go() -> None:
        from matcher.registry import Registry

        reg = Registry(_settings(registry).registry)
        resolved = reg.resolve(version)
        manifest = reg.manifest(resolved)
        manifest.pop("evidence", None)
        typer.echo(json.dumps(manifest, indent=2, default=str))
        typer.echo(f"model card: {reg.path(resolved) / 'report.md'}")

    _run(go)


@models_app.command("activate")
def models_activate(
    version: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history)")],
    force: Annotated[bool, typer.Option("--force", help="Override the promotion gate")] = False,
    registry: RegistryOpt = None,
) -> None:
    """Activate a version (the promotion gate applies unless --force)."""

    def go() -> None:
        from matcher.registry import Registry
        from training.gate import promotion_gate

        reg = Registry(_settings(registry).registry)
        record = reg.activate(
            version, actor=_actor(), reason=reason, force=force, gate=promotion_gate
        )
        typer.echo(f"active: {record.version} (was {record.previous})")

    _run(go)


@models_app.command("rollback")
def models_rollback(
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history)")],
    registry: RegistryOpt = None,
) -> None:
    """Re-activate the previously active version."""

    def go() -> None:
        from matcher.registry import Registry

        record = Registry(_settings(registry).registry).rollback(actor=_actor(), reason=reason)
        typer.echo(f"rolled back: {record.version} is active (was {record.previous})")

    _run(go)


@models_app.command("history")
def models_history(registry: RegistryOpt = None) -> None:
    """Print the append-only activation history."""
    from matcher.registry import Registry

    for rec in Registry(_settings(registry).registry).history():
        typer.echo(
            f"{rec.at}  {rec.action:8} {rec.version}  (was {rec.previous})  by {rec.actor}"
            f"{' FORCED' if rec.forced else ''}: {rec.reason}"
        )


@contextmanager
def _key_session(database_url: str | None) -> Iterator[Any]:
    """A session factory on the (migrated) database; the engine is disposed after."""
    from matcher.store.db import make_engine, make_session_factory, upgrade_database

    settings = _settings()
    engine = make_engine(database_url or settings.database_url)
    try:
        upgrade_database(engine)
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="counsellor, analyst or admin")],
    label: Annotated[str, typer.Option("--label", help="Who holds the key")],
    database_url: Annotated[str | None, typer.Option(help="[env MATCHER_DATABASE_URL]")] = None,
) -> None:
    """Create a key and print it once (only its hash is stored)."""

    def go() -> None:
        from matcher.store.db import session_scope
        from matcher.store.keys import Role, create_key

        try:
            role_value = Role(role)
        except ValueError:
            typer.echo("error: --role must be counsellor, analyst or admin", err=True)
            raise typer.Exit(code=2) from None
        try:
            with _key_session(database_url) as factory, session_scope(factory) as session:
                key, info = create_key(session=session, role=role_value, label=label)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from None
        typer.echo(f"{info.role} key for {info.label!r} (shown once, store it safely):")
        typer.echo(key)

    _run(go)


@keys_app.command("revoke")
def keys_revoke(
    label: Annotated[str, typer.Option("--label", help="The key's label")],
    database_url: Annotated[str | None, typer.Option(help="[env MATCHER_DATABASE_URL]")] = None,
) -> None:
    """Revoke a key by its label."""

    def go() -> None:
        from matcher.store.db import session_scope
        from matcher.store.keys import revoke_key

        with _key_session(database_url) as factory, session_scope(factory) as session:
            revoke_key(session=session, label=label)
        typer.echo(f"revoked {label!r}")

    _run(go)


@keys_app.command("list")
def keys_list(
    database_url: Annotated[str | None, typer.Option(help="[env MATCHER_DATABASE_URL]")] = None,
) -> None:
    """List keys (label, role, prefix, revoked) — never the keys."""

    def go() -> None:
        from matcher.store.db import session_scope
        from matcher.store.keys import list_keys

        with _key_session(database_url) as factory, session_scope(factory) as session:
            for info in list_keys(session=session):
                state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
                typer.echo(f"{info.label:24} {info.role:11} {info.key_prefix}…  {state}")

    _run(go)


@app.command()
def bootstrap(
    registry: RegistryOpt = None,
    reference: ReferenceOpt = None,
    history: Annotated[Path, typer.Option(help="History for the default model")] = Path(
        "data_samples/history.csv"
    ),
) -> None:
    """Prepare a fresh clone: default model if none, database, and a first admin key."""

    def go() -> None:
        from matcher.reference import load_reference
        from matcher.registry import Registry
        from matcher.store.db import session_scope
        from matcher.store.keys import Role, create_key, has_admin_key, list_keys

        settings = _settings(registry, reference)
        reg = Registry(settings.registry)
        if reg.active_version() is None:
            from training.train import train_model

            typer.echo(f"no model in {reg.root}: training the default model on {history} …")
            cohort = history.with_name("cohort.csv")
            truth = history.with_name("cohort_truth.csv")
            result = train_model(
                history,
                reference=load_reference(settings.reference),
                registry=reg,
                actor="bootstrap",
                reason="default model from data_samples",
                eval_cohort=cohort if cohort.is_file() and truth.is_file() else None,
                eval_truth=truth if cohort.is_file() and truth.is_file() else None,
            )
            typer.echo(f"model {result.version} trained and active")
        else:
            typer.echo(f"active model: {reg.active_version()}")
        with _key_session(None) as factory, session_scope(factory) as session:
            if has_admin_key(session=session):
                typer.echo("an admin key exists already (create more: matcher keys create)")
                return
            label = "local-admin"
            taken = {info.label for info in list_keys(session=session)}
            n = 1
            while label in taken:
                n += 1
                label = f"local-admin-{n}"
            key, _ = create_key(session=session, role=Role.ADMIN, label=label)
        typer.echo("")
        typer.echo("Sign in at http://127.0.0.1:8000/ with this admin key (shown once):")
        typer.echo(f"    {key}")
        typer.echo("Try the API:")
        typer.echo(
            "    curl -s -H 'Authorization: Bearer "
            + key
            + "' -H 'Content-Type: application/json' "
            "-d @data_samples/example_request.json http://127.0.0.1:8000/v1/recommendations"
        )
        typer.echo("")

    _run(go)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
