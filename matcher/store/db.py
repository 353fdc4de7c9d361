"""Engines, sessions and migrations for the matcher database.

Nothing here runs at import time: entry points call :func:`make_engine` with the
configured URL, then :func:`upgrade_database` once at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
"""The Alembic environment shipped with the package."""


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        # Several server processes share one SQLite file: wait for a lock instead of
        # failing, and let readers work while one process writes.
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings matcher relies on.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL: ``sqlite:///path/to/matcher.db`` or
        ``postgresql+psycopg://user:pass@host/db`` (plain ``postgresql://``
        selects psycopg 3 as well).

    Returns
    -------
    sqlalchemy.Engine
        For SQLite: usable from several threads, foreign keys enforced, and the
        parent folder of a file database created. Otherwise ``pool_pre_ping``.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine``.

    Sessions keep their objects readable after commit (``expire_on_commit=False``).
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit on success, roll back on error, always close.

    Parameters
    ----------
    factory : sessionmaker
        From :func:`make_session_factory`.

    Yields
    ------
    sqlalchemy.orm.Session
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def make_alembic_config(url: str | None = None) -> Config:
    """Build the Alembic configuration in code (no ``alembic.ini`` needed).

    Parameters
    ----------
    url : str, optional
        Database URL for commands run without an engine (e.g. ``revision
        --autogenerate`` by a developer).

    Returns
    -------
    alembic.config.Config
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (idempotent: at head it does nothing).

    Parameters
    ----------
    url_or_engine : str or sqlalchemy.Engine
        The database to migrate. A URL gets a temporary engine, disposed after.
    revision : str
        Target revision, ``"head"`` by default.
    """
    owned = isinstance(url_or_engine, str)
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        config = make_alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        logger.info("database at revision %s", revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """Return the database's Alembic revision, or ``None`` if never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_database(engine: Engine, *, write: bool = False, timeout_ms: int = 1000) -> bool:
    """Answer whether the database answers ``SELECT 1`` (and, with ``write``, can write).

    The write probe updates the ``alembic_version`` row to itself and rolls
    back, waiting at most ``timeout_ms`` for a lock: a locked, read-only or
    unreachable database answers ``False``.

    Returns
    -------
    bool
        ``False`` on any database error (logged at WARNING), never raises.
    """
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if write:
                _probe_write(connection, sqlite=sqlite, timeout_ms=timeout_ms)
    except SQLAlchemyError as exc:
        logger.warning("database check failed: %s", type(exc).__name__)
        return False
    return True


def _probe_write(connection: Connection, *, sqlite: bool, timeout_ms: int) -> None:
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout_ms)}")
    else:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(timeout_ms)}")
    try:
        connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
    finally:
        connection.rollback()
        if sqlite:
            connection.exec_driver_sql("PRAGMA busy_timeout=30000")
