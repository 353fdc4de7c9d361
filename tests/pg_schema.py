"""A throwaway PostgreSQL schema per test, shared by the store, API and end-to-end tests.

PostgreSQL runs when ``MATCHER_TEST_POSTGRES_URL`` is set (``bash
scripts/with_postgres.sh ...`` sets it). Without it the PostgreSQL cases skip,
except in CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import make_url, text

from matcher.store import make_engine

POSTGRES_ENV = "MATCHER_TEST_POSTGRES_URL"


def postgres_base_url() -> str:
    """The server's URL, or skip (fail in CI) when none is configured."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        message = f"{POSTGRES_ENV} is not set (run under scripts/with_postgres.sh)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI: {message}")
        pytest.skip(message)
    return url


@contextmanager
def throwaway_schema(prefix: str) -> Iterator[str]:
    """A URL whose ``search_path`` is a fresh, empty schema, dropped afterwards."""
    base = postgres_base_url()
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
