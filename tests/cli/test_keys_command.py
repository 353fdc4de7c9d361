"""``matcher keys create/list/revoke`` on a SQLite file: keys shown once, stored as hashes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from matcher.domain import Profile
from matcher.store import (
    make_engine,
    make_session_factory,
    record_decision,
    record_outcome,
    save_diagnosis,
    session_scope,
    upgrade_database,
    verify_key,
)
from matcher.store.history_export import EXPORT_COLUMNS, REJECT_COLUMNS
from matcher.store.keys import KEY_PREFIX, KeyInfo

runner = CliRunner()
PROFILE = {
    "sex": "F",
    "age": 31,
    "region_id": "MA-06",
    "milieu": "urban",
    "education_level": "primary",
    "trainings": ["bakery_pastry"],
    "experience": [],
    "budget_mad": 30000,
    "preferred_sectors": ["catering"],
    "health_constraint": "none",
}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'matcher.db'}"


def keys(db_url: str, *args: str) -> object:
    command, *rest = args
    return runner.invoke(app, ["keys", command, *rest, "--database-url", db_url])


def create(db_url: str, role: str, label: str) -> str:
    centre = ["--centre", "car_casablanca"] if role == "counsellor" else []
    result = keys(db_url, "create", "--role", role, "--label", label, *centre)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    printed = [line for line in result.output.splitlines() if line.startswith(KEY_PREFIX)]  # type: ignore[attr-defined]
    assert len(printed) == 1, result.output  # type: ignore[attr-defined]
    return printed[0].strip()


@pytest.fixture
def verify(db_url: str) -> Iterator[object]:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)

    def check(key: str) -> KeyInfo | None:
        with session_scope(factory) as session:
            return verify_key(session=session, key=key)

    yield check
    engine.dispose()


def test_create_prints_the_key_once_and_it_verifies(db_url: str, verify) -> None:
    result = keys(db_url, "create", "--role", "analyst", "--label", "rabat-analyst")
    assert result.exit_code == 0, result.output
    key = next(line for line in result.output.splitlines() if line.startswith(KEY_PREFIX))
    assert result.output.count(key) == 1
    assert "shown once" in result.output
    info = verify(key)
    assert info is not None
    assert (info.label, info.role.value) == ("rabat-analyst", "analyst")
    assert verify(key + "x") is None


def test_list_never_prints_the_key(db_url: str, verify) -> None:
    first = create(db_url, "counsellor", "casa-counsellor-1")
    second = create(db_url, "admin", "foundation-admin")
    result = keys(db_url, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:2] == ["casa-counsellor-1", "counsellor"]
    assert lines[1].split()[:2] == ["foundation-admin", "admin"]
    for key, line in zip((first, second), lines, strict=True):
        assert key not in result.output
        assert key[:8] in line
        assert key[:9] not in line
        assert line.rstrip().endswith("active")


def test_revoke_makes_the_key_fail(db_url: str, verify) -> None:
    key = create(db_url, "counsellor", "tanger-counsellor")
    kept = create(db_url, "counsellor", "fes-counsellor")
    result = keys(db_url, "revoke", "--label", "tanger-counsellor")
    assert result.exit_code == 0, result.output
    assert "revoked 'tanger-counsellor'" in result.output
    assert verify(key) is None
    assert verify(kept) is not None

    listed = keys(db_url, "list")
    assert listed.exit_code == 0, listed.output
    revoked = next(line for line in listed.output.splitlines() if "tanger" in line)
    assert "revoked" in revoked
    assert key not in listed.output


def test_revoke_unknown_label_exits_2(db_url: str) -> None:
    create(db_url, "admin", "someone")
    result = keys(db_url, "revoke", "--label", "nobody")
    assert result.exit_code == 2, result.output
    assert "nobody" in result.output


def test_unknown_role_exits_2(db_url: str) -> None:
    result = keys(db_url, "create", "--role", "superuser", "--label", "x")
    assert result.exit_code == 2, result.output
    assert "--role must be counsellor, analyst or admin" in result.output


def test_duplicate_label_exits_2_with_a_clear_message(db_url: str) -> None:
    create(db_url, "counsellor", "dup")
    result = keys(
        db_url, "create", "--role", "counsellor", "--label", "dup", "--centre", "car_casablanca"
    )
    assert result.exit_code == 2, result.output
    assert "already exists" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "create", "--role", "admin", "--label", "leak"],
        ["keys", "list"],
        ["export-history", "--output", "EXPORT"],
    ],
    ids=["keys-create", "keys-list", "export-history"],
)
def test_commands_release_their_database_connections(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    import matcher.store.db

    engines = []
    real = matcher.store.db.make_engine

    def tracking(url: str) -> object:
        engine = real(url)
        engines.append(engine)
        return engine

    upgrade_database(db_url)
    monkeypatch.setattr(matcher.store.db, "make_engine", tracking)
    args = [str(tmp_path / "history.csv") if a == "EXPORT" else a for a in args]
    result = runner.invoke(app, [*args, "--database-url", db_url])
    try:
        assert result.exit_code == 0, result.output
        assert engines
        assert [e.pool.checkedin() for e in engines] == [0] * len(engines)
    finally:
        for engine in engines:
            engine.dispose()


def test_export_history_of_a_fresh_database_writes_empty_files(tmp_path: Path, db_url: str) -> None:
    output = tmp_path / "history.csv"
    result = runner.invoke(
        app, ["export-history", "--output", str(output), "--database-url", db_url]
    )
    assert result.exit_code == 0, result.output
    assert "0 funded projects with a 12-month outcome" in result.output
    assert "0 records left out" in result.output
    rows = pd.read_csv(output, dtype="str", keep_default_na=False)
    assert list(rows.columns) == list(EXPORT_COLUMNS)
    assert rows.empty
    rejects = pd.read_csv(tmp_path / "history.csv.rejects.csv", dtype="str")
    assert list(rejects.columns) == list(REJECT_COLUMNS)
    assert rejects.empty


def test_export_history_writes_one_row_per_funded_project_and_the_rejects(
    tmp_path: Path, db_url: str
) -> None:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    profile = Profile.model_validate({**PROFILE, "beneficiary_id": "B-EXPORT-1"})
    shown = {"recommendations": [{"rank": 1, "project_type_id": "home_pastry", "score": 0.7}]}
    try:
        with session_scope(make_session_factory(engine)) as session:
            diagnosis_id = save_diagnosis(
                session=session,
                profile=profile,
                model_version="v1",
                top_k=1,
                response=shown,
                actor="casa",
                centre_id="car_casablanca",
            )
            record_decision(
                session=session,
                diagnosis_id=diagnosis_id,
                choice="recommended",
                project_type_id="home_pastry",
                reason="trained in pastry",
                actor="casa",
                now=datetime(2025, 1, 2, tzinfo=UTC),
            )
            common = {
                "session": session,
                "diagnosis_id": diagnosis_id,
                "project_type_id": "home_pastry",
                "funded_mad": 18000,
                "start_date": date(2025, 1, 15),
                "actor": "casa",
                "active_24m": None,
                "today": date(2026, 11, 30),
            }
            six = record_outcome(**common, active_6m=True, active_12m=None, monthly_income_mad=1500)
            record_outcome(**common, active_6m=True, active_12m=True, monthly_income_mad=3100)
    finally:
        engine.dispose()
    output = tmp_path / "history.csv"
    result = runner.invoke(
        app, ["export-history", "--output", str(output), "--database-url", db_url]
    )
    assert result.exit_code == 0, result.output
    assert "1 funded projects with a 12-month outcome" in result.output
    assert "1 records left out" in result.output
    assert "(other_horizon 1)" in result.output
    rows = pd.read_csv(output, dtype="str", keep_default_na=False)
    assert rows[["beneficiary_id", "project_type_id", "start_date", "active_12m"]].to_dict(
        "records"
    ) == [
        {
            "beneficiary_id": "B-EXPORT-1",
            "project_type_id": "home_pastry",
            "start_date": "2025-01-15",
            "active_12m": "1",
        }
    ]
    assert rows.loc[0, "monthly_income_mad"] == "3100.0"
    rejects = pd.read_csv(tmp_path / "history.csv.rejects.csv", dtype="str")
    assert rejects[["outcome_id", "reason_code"]].to_dict("records") == [
        {"outcome_id": str(six), "reason_code": "other_horizon"}
    ]


def test_a_counsellor_key_needs_a_known_centre(db_url: str, verify) -> None:
    result = keys(db_url, "create", "--role", "counsellor", "--label", "nowhere")
    assert result.exit_code == 2, result.output
    assert "a counsellor key needs --centre CENTRE_ID" in result.output
    result = keys(db_url, "create", "--role", "counsellor", "--label", "x", "--centre", "car_mars")
    assert result.exit_code == 2, result.output
    assert "unknown centre 'car_mars'" in result.output
    assert "car_agadir" in result.output
    key = create(db_url, "counsellor", "casa-1")
    info = verify(key)
    assert info is not None
    assert info.centre_id == "car_casablanca"
    listed = keys(db_url, "list")
    assert "car_casablanca" in listed.output
