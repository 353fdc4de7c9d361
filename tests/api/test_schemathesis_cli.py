"""``schemathesis run --checks all`` against the served app (uvicorn), with a key of every role.

The admin key runs every phase (examples, coverage: boundaries, unsupported methods,
missing headers; fuzzing; stateful links); the counsellor and analyst keys run the
fuzzing phase, enough to check that each route's 401/403 answers and
headers match the document. Settings for data-dependent routes are in
``tests/api/schemathesis.toml``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REFERENCE_DIR, TrainedRegistry

from matcher.store import (
    Role,
    create_key,
    make_engine,
    make_session_factory,
    session_scope,
    upgrade_database,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, trained_registry: TrainedRegistry
) -> Iterator[tuple[str, dict[str, str], Path]]:
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(trained_registry.root, root / "models")
    url = f"sqlite:///{root / 'matcher.db'}"
    engine = make_engine(url)
    upgrade_database(engine)
    keys = {}
    with session_scope(make_session_factory(engine)) as session:
        for role in Role:
            centre = "car_casablanca" if role is Role.COUNSELLOR else None
            keys[role.value], _ = create_key(
                session=session, role=role, label=f"st-{role}", centre_id=centre
            )
    engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MATCHER_REGISTRY": str(root / "models"),
        "MATCHER_REFERENCE": str(REFERENCE_DIR),
        "MATCHER_DATABASE_URL": url,
        "MATCHER_JOBS_DIR": str(root / "jobs"),
        "MATCHER_LOG_LEVEL": "WARNING",
    }
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert server.poll() is None, (root / "server.log").read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError("the server never became ready")
        yield base, keys, root
    finally:
        server.terminate()
        server.wait(30)
        log.close()


@pytest.mark.skipif(SCHEMATHESIS is None, reason="the schemathesis command is not installed")
@pytest.mark.parametrize(
    ("role", "extra"),
    [
        ("admin", ["--max-examples", "4"]),
        ("analyst", ["--max-examples", "2", "--phases", "fuzzing"]),
        ("counsellor", ["--max-examples", "2", "--phases", "fuzzing"]),
    ],
)
def test_schemathesis_checks_all_pass(
    served: tuple[str, dict[str, str], Path], role: str, extra: list[str]
) -> None:
    base, keys, root = served
    assert SCHEMATHESIS is not None
    result = subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(CONFIG),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--seed",
            "1",
            "--no-color",
            "-H",
            f"Authorization: Bearer {keys[role]}",
            *extra,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
