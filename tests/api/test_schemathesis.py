"""Property-based API checks (schemathesis, in process): no 5xx, answers match the schema.

``from_asgi`` loads the schema at import, which starts the app's lifespan, so
the module-level app starts without a model (``require_model=False``) on a
fresh temporary folder; the module fixture then copies the trained registry
in, serves its active model and creates a key. Later lifespans (schemathesis
restarts one per test) load the model from the registry as usual.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from conftest import REFERENCE_DIR, TrainedRegistry
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.main import create_app
from matcher.settings import Settings
from matcher.store import (
    Role,
    create_key,
    make_engine,
    make_session_factory,
    session_scope,
    upgrade_database,
)

WORKDIR = Path(tempfile.mkdtemp(prefix="matcher-api-schemathesis-"))
SETTINGS = Settings(
    registry=WORKDIR / "models",
    reference=REFERENCE_DIR,
    database_url=f"sqlite:///{WORKDIR / 'matcher.db'}",
)
app = create_app(SETTINGS, require_model=False)
# The coverage phase (hundreds of boundary cases per route) takes minutes here; the
# boundaries it would probe (top_k 0/51, ages 17/76, 405s) have explicit tests.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
KEY: dict[str, str] = {}
FUZZED = schema.include(path_regex=r"^/v1/(recommendations|project-types|trades|sectors|regions)")
FUZZ_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module", autouse=True)
def _prepared(trained_registry: TrainedRegistry) -> Iterator[None]:
    shutil.copytree(trained_registry.root, SETTINGS.registry)
    state = getattr(app.state, "matcher", None)
    if state is not None:  # the lifespan started by from_asgi is still running
        state.models.swap(state.models.load())
    engine = make_engine(SETTINGS.database_url)
    upgrade_database(engine)
    with session_scope(make_session_factory(engine)) as session:
        KEY["value"], _ = create_key(
            session=session, role=Role.COUNSELLOR, label="fuzz", centre_id="car_casablanca"
        )
    engine.dispose()
    yield
    shutil.rmtree(WORKDIR, ignore_errors=True)


@FUZZED.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    excluded = []
    if case.path == "/v1/recommendations":
        # schema-valid profiles may name regions/trades absent from the catalogue: 422 is right
        excluded.append(positive_data_acceptance)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {KEY['value']}"}, excluded_checks=excluded
    )
