"""``matcher keys create/list/revoke`` on a SQLite file: keys shown once, stored as hashes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from matcher.store import (
    make_engine,
    make_session_factory,
    session_scope,
    upgrade_database,
    verify_key,
)
from matcher.store.keys import KEY_PREFIX, KeyInfo

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'matcher.db'}"


def keys(db_url: str, *args: str) -> object:
    command, *rest = args
    return runner.invoke(app, ["keys", command, *rest, "--database-url", db_url])


def create(db_url: str, role: str, label: str) -> str:
    result = keys(db_url, "create", "--role", role, "--label", label)
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
    result = keys(db_url, "create", "--role", "counsellor", "--label", "dup")
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


def test_export_history_of_a_fresh_database_does_not_crash(tmp_path: Path, db_url: str) -> None:
    output = tmp_path / "history.csv"
    result = runner.invoke(
        app, ["export-history", "--output", str(output), "--database-url", db_url]
    )
    assert result.exit_code in (0, 2), result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
