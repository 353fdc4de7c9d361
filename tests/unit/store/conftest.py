"""Real databases for the store tests: a SQLite file, and PostgreSQL when available.

PostgreSQL runs when ``MATCHER_TEST_POSTGRES_URL`` is set (``bash
scripts/with_postgres.sh ...`` sets it). Without it the PostgreSQL cases skip,
except in CI (``CI=true``) where they fail. Each PostgreSQL test gets a fresh
schema (via ``search_path``), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_schema import throwaway_schema
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matcher.domain import Profile
from matcher.reference import Reference, load_reference
from matcher.store import make_engine, make_session_factory, upgrade_database

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "data_samples" / "reference"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'matcher.db'}"
        return
    with throwaway_schema("test") as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    eng = make_engine(db_url)
    upgrade_database(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database; committed by the tests that need it."""
    factory = make_session_factory(engine)
    with factory() as s:
        yield s


@pytest.fixture(scope="session")
def reference() -> Reference:
    return load_reference(REFERENCE_DIR)


@pytest.fixture
def profile() -> Profile:
    """A profile valid against data_samples/reference (region MA-06)."""
    return Profile.model_validate(
        {
            "beneficiary_id": "BEN-0042",
            "sex": "M",
            "age": 31,
            "region_id": "MA-06",
            "milieu": "urban",
            "education_level": "lower_secondary",
            "trainings": ["cooking_catering", "bakery_pastry"],
            "experience": [
                {"trade_id": "cooking_catering", "years": 2.5},
                {"trade_id": "mens_hairdressing", "years": 3},
            ],
            "budget_mad": 40000,
            "preferred_sectors": ["catering", "services"],
            "health_constraint": "none",
            "commune_code": "06.111.01.03",
        }
    )


@pytest.fixture
def response() -> dict[str, object]:
    """A response body as contract section 6 shapes it."""
    return {
        "model_version": "20261101T000000Z-aa11bb",
        "recommendations": [
            {"rank": 1, "project_type_id": "snack_bar", "score": 0.71},
            {"rank": 2, "project_type_id": "home_pastry", "score": 0.64},
            {"rank": 3, "project_type_id": "barber_shop", "score": 0.52},
        ],
        "excluded": [{"project_type_id": "neighbourhood_bakery", "reason": "budget"}],
    }
