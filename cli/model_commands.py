"""``matcher train``, ``matcher evaluate`` and ``matcher models ...``: the model's life.

``train`` and ``evaluate`` import :mod:`training` lazily; ``models activate`` applies
the core's promotion gate (:mod:`matcher.model.gate`), as the API does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.context import (
    ModelOpt,
    ReferenceOpt,
    RegistryOpt,
    command_settings,
    load_scoring,
    run_command,
)


def _actor() -> str:
    return os.environ.get("USER") or os.environ.get("LOGNAME") or "cli"


def _echo_export_rejects(history: Path) -> None:
    """Say how many records ``matcher export-history`` left out of this history, and why."""
    import pandas as pd

    from matcher.batch.streaming import rejects_path

    path = rejects_path(history)
    if not path.is_file():
        return
    rejects = pd.read_csv(path, dtype="str", keep_default_na=False)
    counts = rejects["reason_code"].value_counts() if "reason_code" in rejects else None
    detail = (
        ""
        if counts is None or counts.empty
        else " (" + ", ".join(f"{code} {int(n)}" for code, n in counts.sort_index().items()) + ")"
    )
    typer.echo(f"the export left out {len(rejects)} records{detail}: see {path}")


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
        from matcher.model.registry import Registry
        from matcher.reference import load_reference
        from training.train import train_model

        settings = command_settings(registry, reference)
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
        _echo_export_rejects(history)
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

    run_command(go)


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
        from matcher.contract.profile_table import validate_profiles
        from matcher.contract.tables import read_table
        from training.evaluate import eligible_truth_pairs, holdout_report, world_report
        from training.history import load_history

        settings = command_settings(registry, reference)
        ref, scorer = load_scoring(settings, model)
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

    run_command(go)


def models_list(registry: RegistryOpt = None) -> None:
    """List versions, newest last, with headline metrics and the active one."""
    from matcher.model.registry import Registry

    reg = Registry(command_settings(registry).registry)
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


def models_show(
    version: Annotated[str | None, typer.Argument()] = None, registry: RegistryOpt = None
) -> None:
    """Show a version's manifest and where its model card is."""

    def go() -> None:
        from matcher.model.registry import Registry

        reg = Registry(command_settings(registry).registry)
        resolved = reg.resolve(version)
        manifest = reg.manifest(resolved)
        manifest.pop("evidence", None)
        typer.echo(json.dumps(manifest, indent=2, default=str))
        typer.echo(f"model card: {reg.path(resolved) / 'report.md'}")

    run_command(go)


def models_activate(
    version: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history)")],
    force: Annotated[bool, typer.Option("--force", help="Override the promotion gate")] = False,
    registry: RegistryOpt = None,
    reference: ReferenceOpt = None,
) -> None:
    """Check a version (sha256, manifest, smoke test) and activate it (gate unless --force)."""

    def go() -> None:
        from matcher.model.activation import activate_version
        from matcher.model.gate import promotion_gate
        from matcher.model.registry import Registry
        from matcher.reference import load_reference

        settings = command_settings(registry, reference)
        record, _ = activate_version(
            Registry(settings.registry),
            version,
            reference=load_reference(settings.reference),
            actor=_actor(),
            reason=reason,
            force=force,
            gate=promotion_gate,
        )
        typer.echo(f"active: {record.version} (was {record.previous})")

    run_command(go)


def models_rollback(
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history)")],
    registry: RegistryOpt = None,
    reference: ReferenceOpt = None,
) -> None:
    """Check and re-activate the previously active version."""

    def go() -> None:
        from matcher.model.activation import rollback_version
        from matcher.model.registry import Registry
        from matcher.reference import load_reference

        settings = command_settings(registry, reference)
        record, _ = rollback_version(
            Registry(settings.registry),
            reference=load_reference(settings.reference),
            actor=_actor(),
            reason=reason,
        )
        typer.echo(f"rolled back: {record.version} is active (was {record.previous})")

    run_command(go)


def models_history(registry: RegistryOpt = None) -> None:
    """Print the append-only activation history."""
    from matcher.model.registry import Registry

    for rec in Registry(command_settings(registry).registry).history():
        typer.echo(
            f"{rec.at}  {rec.action:8} {rec.version}  (was {rec.previous})  by {rec.actor}"
            f"{' FORCED' if rec.forced else ''}: {rec.reason}"
        )
