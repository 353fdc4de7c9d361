"""``matcher keys ...``, ``matcher export-history`` and ``matcher bootstrap``: the database.

``bootstrap`` imports :mod:`training` lazily, to train the default model of a fresh
clone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.context import (
    DatabaseUrlOpt,
    ReferenceOpt,
    RegistryOpt,
    command_settings,
    run_command,
)


@contextmanager
def _key_session(database_url: str | None) -> Iterator[Any]:
    """A session factory on the (migrated) database; the engine is disposed after."""
    from matcher.store.db import make_engine, make_session_factory, upgrade_database

    settings = command_settings()
    engine = make_engine(database_url or settings.database_url)
    try:
        upgrade_database(engine)
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def export_history(
    output: Annotated[Path, typer.Option("--output", help="History file to write")],
    database_url: DatabaseUrlOpt = None,
) -> None:
    """Turn recorded decisions and outcomes into a contract history file.

    One row per funded project with its 12-month outcome; every record left
    out goes to FILE.rejects.csv with its reason (rules: docs/accompaniment.md).
    """

    def go() -> None:
        from matcher.batch.streaming import rejects_path
        from matcher.contract.tables import write_table
        from matcher.store.db import session_scope
        from matcher.store.history_export import export_history_with_rejects

        with _key_session(database_url) as factory, session_scope(factory) as session:
            export = export_history_with_rejects(session=session)
        write_table(export.rows, output)
        rejects = rejects_path(output)
        export.rejects.to_csv(rejects, index=False)
        typer.echo(f"{len(export.rows)} funded projects with a 12-month outcome -> {output}")
        counts = ", ".join(f"{code} {n}" for code, n in export.reject_counts().items())
        typer.echo(
            f"{len(export.rejects)} records left out -> {rejects}"
            + (f" ({counts})" if counts else "")
        )

    run_command(go)


def _known_centre(centre: str | None, reference: Path | None) -> str | None:
    """``centre`` if the catalogue lists it; exit 2 with the known ids otherwise."""
    if centre is None:
        return None
    from matcher.reference import load_reference

    known = load_reference(command_settings(reference=reference).reference).centre_ids
    if centre not in known:
        listed = ", ".join(sorted(known)) or "none: the catalogue has no centres.csv"
        typer.echo(f"error: unknown centre {centre!r} (known: {listed})", err=True)
        raise typer.Exit(code=2)
    return centre


def keys_create(
    role: Annotated[str, typer.Option("--role", help="counsellor, analyst or admin")],
    label: Annotated[str, typer.Option("--label", help="Who holds the key")],
    centre: Annotated[
        str | None,
        typer.Option("--centre", help="centre_id of centres.csv (required for a counsellor)"),
    ] = None,
    reference: ReferenceOpt = None,
    database_url: DatabaseUrlOpt = None,
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
        if role_value is Role.COUNSELLOR and centre is None:
            typer.echo("error: a counsellor key needs --centre CENTRE_ID", err=True)
            raise typer.Exit(code=2)
        centre_id = _known_centre(centre, reference)
        try:
            with _key_session(database_url) as factory, session_scope(factory) as session:
                key, info = create_key(
                    session=session, role=role_value, label=label, centre_id=centre_id
                )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from None
        where = f" of centre {info.centre_id}" if info.centre_id else ""
        typer.echo(f"{info.role} key{where} for {info.label!r} (shown once, store it safely):")
        typer.echo(key)

    run_command(go)


def keys_revoke(
    label: Annotated[str, typer.Option("--label", help="The key's label")],
    database_url: DatabaseUrlOpt = None,
) -> None:
    """Revoke a key by its label."""

    def go() -> None:
        from matcher.store.db import session_scope
        from matcher.store.keys import revoke_key

        with _key_session(database_url) as factory, session_scope(factory) as session:
            revoke_key(session=session, label=label)
        typer.echo(f"revoked {label!r}")

    run_command(go)


def keys_list(
    database_url: DatabaseUrlOpt = None,
) -> None:
    """List keys (label, role, prefix, revoked) — never the keys."""

    def go() -> None:
        from matcher.store.db import session_scope
        from matcher.store.keys import list_keys

        with _key_session(database_url) as factory, session_scope(factory) as session:
            for info in list_keys(session=session):
                state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
                centre = info.centre_id or "-"
                typer.echo(
                    f"{info.label:24} {info.role:11} {centre:16} {info.key_prefix}…  {state}"
                )

    run_command(go)


DEMO_CENTRE = "car_casablanca"
"""The centre of the local counsellor key ``bootstrap`` creates (the first centre if absent)."""


def _free(label: str, taken: set[str]) -> str:
    """``label``, or ``label-2``, ``label-3``… if taken."""
    n, found = 1, label
    while found in taken:
        n += 1
        found = f"{label}-{n}"
    taken.add(found)
    return found


def bootstrap(
    registry: RegistryOpt = None,
    reference: ReferenceOpt = None,
    history: Annotated[Path, typer.Option(help="History for the default model")] = Path(
        "data_samples/history.csv"
    ),
) -> None:
    """Prepare a fresh clone: default model, database, an admin and a counsellor key.

    The counsellor key belongs to a centre: the page's diagnoses are kept per centre.
    """

    def go() -> None:
        from matcher.model.registry import Registry
        from matcher.reference import load_reference
        from matcher.store.db import session_scope
        from matcher.store.keys import Role, create_key, has_admin_key, list_keys

        settings = command_settings(registry, reference)
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
        centres = sorted(load_reference(settings.reference).centre_ids)
        centre = DEMO_CENTRE if DEMO_CENTRE in centres else (centres[0] if centres else None)
        with _key_session(None) as factory, session_scope(factory) as session:
            if has_admin_key(session=session):
                typer.echo("an admin key exists already (create more: matcher keys create)")
                return
            taken = {info.label for info in list_keys(session=session)}
            key, _ = create_key(session=session, role=Role.ADMIN, label=_free("local-admin", taken))
            counsellor = None
            if centre is not None:
                counsellor, _ = create_key(
                    session=session,
                    role=Role.COUNSELLOR,
                    label=_free("local-counsellor", taken),
                    centre_id=centre,
                )
        typer.echo("")
        if counsellor is not None:
            typer.echo(
                f"Sign in at http://127.0.0.1:8000/ with this counsellor key of centre {centre} "
                "(shown once):"
            )
            typer.echo(f"    {counsellor}")
        typer.echo("The admin key (models, keys, every route; shown once):")
        typer.echo(f"    {key}")
        typer.echo("Try the API:")
        typer.echo(
            "    curl -s -H 'Authorization: Bearer "
            + (counsellor or key)
            + "' -H 'Content-Type: application/json' "
            "-d @data_samples/example_request.json http://127.0.0.1:8000/v1/recommendations"
        )
        typer.echo("")

    run_command(go)
