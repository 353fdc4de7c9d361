"""Browser fixtures: a live uvicorn on a free port, Debian's Chromium, one counsellor key.

The server runs ``python -m uvicorn api.main:app`` in a subprocess, configured
only through ``MATCHER_*`` variables: the session's trained registry, the
shipped catalogue and a SQLite file in a temporary folder (which the tests
read back to check what was stored). Chromium is Debian's ``/usr/bin/chromium``
launched with the flags of STACK.md section 3; ``playwright install`` is never
needed. Without Chromium the tests fail in CI and skip (loudly) elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from matcher.store import Role, create_key, make_engine, make_session_factory, session_scope
from matcher.store.db import upgrade_database

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "data_samples" / "reference"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 90.0
UVICORN = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session", autouse=True)
def _require_chromium() -> None:
    if chromium_path() is None:
        message = (
            "Chromium is not installed: apt-get install -y chromium "
            "(never `playwright install`); the browser tests did NOT run"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path() or "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


@dataclass(frozen=True)
class LiveServer:
    """A running app: its URL, a counsellor key and its database."""

    url: str
    key: str
    database_url: str
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn not ready after {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, trained_registry_path: Path
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    database_url = f"sqlite:///{folder / 'matcher.db'}"
    engine = make_engine(database_url)
    try:
        upgrade_database(engine)
        with session_scope(make_session_factory(engine)) as session:
            key, _ = create_key(
                session=session,
                role=Role.COUNSELLOR,
                label="browser-counsellor",
                centre_id="car_casablanca",
            )
    finally:
        engine.dispose()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MATCHER_REGISTRY": str(trained_registry_path),
        "MATCHER_REFERENCE": str(REFERENCE_DIR),
        "MATCHER_DATABASE_URL": database_url,
        "MATCHER_LOG_LEVEL": "WARNING",
    }
    log = folder / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*UVICORN, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(url, process, log)
        yield LiveServer(url=url, key=key, database_url=database_url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Every ``page.goto("/")`` goes to the live server."""
    return live_server.url


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the run writes the screenshots of the main screens.

    A temporary folder, so a test run leaves the tracked tree unchanged;
    ``make screenshots`` sets ``MATCHER_SCREENSHOTS_DIR=docs/screenshots`` to refresh
    the committed ones on purpose.
    """
    chosen = os.environ.get("MATCHER_SCREENSHOTS_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
