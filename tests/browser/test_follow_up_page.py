"""One person walked through the page: diagnosis, decision, start, a due 6-month follow-up,
the outcome, the case timeline (fr/ar), and the exported history row.

The decision is moved a year back in the database after it is made on the page (the only
setup not done through the page): follow-ups can only be recorded once they are due.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update
from test_counsellor_page import LiveServer, cards, fill_profile, shoot, sign_in, submit
from typer.testing import CliRunner

from cli import app as cli
from matcher.store import make_engine, make_session_factory, session_scope
from matcher.store.tables import Decision, Diagnosis

pytestmark = pytest.mark.browser
PERSON = "B-WEB-FOLLOW-1"


def _move_back(database_url: str, days: int) -> None:
    """Date the person's diagnosis and decision ``days`` ago."""
    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            ids = list(
                session.scalars(select(Diagnosis.id).where(Diagnosis.beneficiary_id == PERSON))
            )
            past = datetime.now(UTC) - timedelta(days=days)
            session.execute(update(Diagnosis).where(Diagnosis.id.in_(ids)).values(created_at=past))
            session.execute(
                update(Decision).where(Decision.diagnosis_id.in_(ids)).values(decided_at=past)
            )
    finally:
        engine.dispose()


def _due_item(page: Page, months: int) -> object:
    return (
        page.locator("#due-list li")
        .filter(has_text=PERSON)
        .filter(has_text=f"suivi à {months} mois")
    )


def test_one_person_from_diagnosis_to_the_exported_history_row(
    page: Page, live_server: LiveServer, screenshots: Path, tmp_path: Path
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym=PERSON, commune=False)
    submit(page)
    expect(cards(page).first).to_be_visible()
    chosen = cards(page).first.get_by_role("heading").inner_text()
    cards(page).first.get_by_label(re.compile("Retenir ce projet")).check()
    page.get_by_label("Motif de la décision").fill("Formée en cuisine, local trouvé")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text(re.compile(r"^Décision enregistrée le"))).to_be_visible()
    _move_back(live_server.database_url, days=400)
    start = date.today() - timedelta(days=390)

    # find the person again and record the project's start from the case file
    page.get_by_label("Rechercher par pseudonyme").fill("B-WEB-FOLLOW")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    page.get_by_role("button", name=re.compile(f"^{PERSON}")).click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Décision : ")
    expect(timeline).to_contain_text("Formée en cuisine, local trouvé")
    page.get_by_role("button", name="Saisir un suivi").click()
    form = page.locator("#outcome-form")
    expect(page.get_by_label("Suivi", exact=True)).to_have_value("0")
    expect(page.get_by_label("Projet financé")).to_have_value(re.compile(r"\w+"))
    page.get_by_label("Date de démarrage").fill(start.isoformat())
    page.get_by_role("button", name="Enregistrer le suivi").click()
    expect(form.get_by_text("Suivi enregistré.")).to_be_visible()

    # the 6-month follow-up is due (overdue): record it from the due list
    page.get_by_role("button", name="Afficher les suivis dus").click()
    six = _due_item(page, 6)
    expect(six).to_contain_text("en retard")
    six.get_by_role("button", name="Saisir ce suivi").click()
    expect(page.get_by_label("Suivi", exact=True)).to_have_value("6")
    expect(page.get_by_label("Date de démarrage")).to_have_value(start.isoformat())
    page.get_by_label("Oui").check()
    page.get_by_label("Revenu mensuel net (MAD)").fill("2500")
    page.get_by_label("Ce qui a changé, une note").fill("Nouveau four")
    page.get_by_role("button", name="Enregistrer le suivi").click()
    expect(form.get_by_text("Suivi enregistré.")).to_be_visible()
    expect(_due_item(page, 6)).to_have_count(0)
    shoot(page, screenshots, "follow-fr")

    # the 12-month one; recording it twice is refused with the field named
    _due_item(page, 12).get_by_role("button", name="Saisir ce suivi").click()
    page.get_by_label("Oui").check()
    page.get_by_label("Revenu mensuel net (MAD)").fill("3200")
    page.get_by_role("button", name="Enregistrer le suivi").click()
    expect(form.get_by_text("Suivi enregistré.")).to_be_visible()
    page.get_by_role("button", name="Enregistrer le suivi").click()
    expect(page.locator("#outcome-error")).to_contain_text("À corriger (correction_reason)")
    expect(timeline).to_contain_text("Suivi à 12 mois : en activité")
    expect(timeline).to_contain_text("Nouveau four")

    page.get_by_role("button", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(timeline).to_contain_text("متابعة بعد")
    expect(page.get_by_role("heading", name="متابعة الأشخاص")).to_be_visible()
    shoot(page, screenshots, "follow-ar")
    page.get_by_role("button", name="English").click()
    expect(timeline).to_contain_text("12-month follow-up: operating")
    page.get_by_role("button", name="Français").click()

    # the exported history has the person's row with the 12-month outcome
    output = tmp_path / "history.csv"
    result = CliRunner().invoke(
        cli, ["export-history", "--output", str(output), "--database-url", live_server.database_url]
    )
    assert result.exit_code == 0, result.output
    history = pd.read_csv(output, dtype="str", keep_default_na=False)
    row = history[history["beneficiary_id"] == PERSON]
    assert len(row) == 1, history
    assert row.iloc[0]["active_12m"] == "1"
    assert row.iloc[0]["start_date"] == start.isoformat()
    assert float(row.iloc[0]["monthly_income_mad"]) == 3200.0
    assert row.iloc[0]["decision_choice"] == "recommended"
    assert chosen
