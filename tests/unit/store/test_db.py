from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from matcher.store import (
    check_database,
    current_revision,
    make_engine,
    make_session_factory,
    session_scope,
    upgrade_database,
)
from matcher.store.tables import Base, Job, utc_now

TABLES = {"api_keys", "diagnoses", "decisions", "outcomes", "audit_log", "jobs"}


def test_upgrade_to_head_twice_is_a_no_op(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade_database(engine)
        first = current_revision(engine)
        upgrade_database(engine)
        assert current_revision(engine) == first == "0002"
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_upgrade_from_url_string_creates_sqlite_parent_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "matcher.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    upgrade_database(url)
    assert path.is_file()
    engine = make_engine(url)
    try:
        assert current_revision(engine) == "0002"
    finally:
        engine.dispose()


def test_migration_matches_orm_metadata(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_check_database(engine: Engine) -> None:
    assert check_database(engine) is True


def test_check_database_false_when_unreachable() -> None:
    engine = make_engine("postgresql+psycopg://nobody:x@127.0.0.1:1/none?connect_timeout=2")
    try:
        assert check_database(engine) is False
    finally:
        engine.dispose()


def test_session_scope_commits_and_rolls_back(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        s.add(
            Job(
                id="a" * 32,
                kind="score",
                status="queued",
                input_path="in.csv",
                output_path="out.csv",
                created_by="t",
                created_at=utc_now(),
            )
        )
    try:
        with session_scope(factory) as s:
            s.add(
                Job(
                    id="b" * 32,
                    kind="score",
                    status="queued",
                    input_path="in.csv",
                    output_path="out.csv",
                    created_by="t",
                    created_at=utc_now(),
                )
            )
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with session_scope(factory) as s:
        ids = {j.id for j in s.query(Job).all()}
    assert ids == {"a" * 32}


def test_upgrade_from_0001_counts_existing_decisions(tmp_path: Path) -> None:
    """Rows of revision 0001 survive 0002: no centre, and their decisions set the counter."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, revision="0001")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO diagnoses (id, beneficiary_id, profile_json, input_hash,"
                    " model_version, top_k, recommendations_json, created_at, created_by)"
                    " VALUES ('d1', 'B-1', '{}', 'h', 'v', 5, '{}', '2026-01-01', 'old')"
                )
            )
            for n in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO decisions (diagnosis_id, choice, project_type_id, reason,"
                        f" decided_at, decided_by) VALUES ('d1', 'none', NULL, 'r{n}',"
                        " '2026-01-02', 'old')"
                    )
                )
        upgrade_database(engine)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT centre_id, decision_version FROM diagnoses WHERE id = 'd1'")
            ).one()
        assert tuple(row) == (None, 2)
        assert current_revision(engine) == "0002"
    finally:
        engine.dispose()
