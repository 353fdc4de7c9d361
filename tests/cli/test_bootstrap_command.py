"""``matcher bootstrap`` (what ``make run`` does first): an admin key and a counsellor key of
a centre, so the page's diagnoses, which are kept per centre, work on a fresh clone."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from matcher.store.db import make_engine, make_session_factory, session_scope, upgrade_database
from matcher.store.keys import verify_key


def test_bootstrap_prints_a_counsellor_key_of_a_centre_and_an_admin_key(
    trained_registry_path: Path, tmp_path: Path, monkeypatch
):
    registry = tmp_path / "models"
    shutil.copytree(trained_registry_path, registry)
    url = f"sqlite:///{tmp_path / 'matcher.db'}"
    monkeypatch.setenv("MATCHER_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["bootstrap", "--registry", str(registry)])
    assert result.exit_code == 0, result.output
    assert "counsellor key of centre car_casablanca" in result.output
    keys = re.findall(r"^\s+(mk_\S+)$", result.output, flags=re.M)
    assert len(keys) == 2, result.output
    engine = make_engine(url)
    upgrade_database(engine)
    with session_scope(make_session_factory(engine)) as session:
        counsellor, admin = (verify_key(session=session, key=k) for k in keys)
    assert counsellor is not None
    assert admin is not None
    assert (counsellor.role, counsellor.centre_id) == ("counsellor", "car_casablanca")
    assert (admin.role, admin.centre_id) == ("admin", None)
    again = CliRunner().invoke(app, ["bootstrap", "--registry", str(registry)])
    assert again.exit_code == 0, again.output
    assert "an admin key exists already" in again.output
    assert not re.findall(r"^\s+mk_\S+$", again.output, flags=re.M)
