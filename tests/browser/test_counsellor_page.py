"""The counsellor's page in a real Chromium, against a live server.

Elements are found by role and label, as a counsellor (or a screen reader)
finds them. The run also writes screenshots of the main screens, in French and
Arabic, to a temporary folder (``make screenshots`` writes ``docs/screenshots/``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.browser
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data_samples" / "reference"
LiveServer = Any  # tests/browser/conftest.py::LiveServer (url, key, database_url)


@pytest.fixture(scope="module")
def names_ar() -> set[str]:
    """Arabic names of every project type in the catalogue."""
    return set(pd.read_csv(REFERENCE_DIR / "project_types.csv")["name_ar"])


def sign_in(page: Page, server: LiveServer) -> None:
    page.goto("/")
    page.get_by_label("Clé du conseiller").fill(server.key)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Diagnostic", exact=True)).to_be_visible()
    # the region list comes from the API: the catalogue is loaded
    expect(page.get_by_label("Région", exact=True).locator("option")).to_have_count(13)


def fill_profile(
    page: Page, *, pseudonym: str, budget: str = "30000", commune: bool = True
) -> None:
    page.get_by_label("Pseudonyme", exact=True).fill(pseudonym)
    page.get_by_label("Femme").check()
    page.get_by_label("Âge (ans)").fill("31")
    page.get_by_label("Région", exact=True).select_option("MA-06")
    if commune:
        province = page.get_by_label("Province ou préfecture")
        expect(province).to_be_enabled()
        province.select_option(label="Benslimane")
        commune_select = page.get_by_label("Commune", exact=True)
        expect(commune_select).to_be_enabled()
        commune_select.select_option(label="Bouznika")
    page.get_by_label("Urbain").check()
    page.get_by_label("Niveau d'études").select_option("primary")
    page.get_by_label("Rechercher un métier").fill("cuisine")
    page.get_by_label("Cuisine & restauration").check()
    page.get_by_label("Rechercher un métier").fill("")
    page.get_by_role("button", name="Ajouter une expérience").click()
    page.get_by_label("Métier — expérience 1").select_option("cooking_catering")
    page.get_by_label("Années — expérience 1").fill("2.5")
    page.get_by_label("Budget d'équipement (MAD)").fill(budget)
    page.get_by_label("Restauration & transformation alimentaire").check()


def submit(page: Page) -> None:
    page.get_by_role("button", name="Proposer des projets").click()


def cards(page: Page) -> Any:
    return page.locator("#cards > li")


def shoot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_wrong_key_is_refused_and_sign_out_forgets_the_key(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/")
    page.get_by_label("Clé du conseiller").fill("not-a-real-key")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Clé inconnue ou révoquée")).to_be_visible()
    expect(page.get_by_role("heading", name="Diagnostic", exact=True)).to_be_hidden()

    page.get_by_label("Clé du conseiller").fill(live_server.key)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Diagnostic", exact=True)).to_be_visible()
    assert live_server.key not in page.url
    assert page.evaluate("sessionStorage.getItem('matcher.counsellorKey')") == live_server.key
    expect(page.get_by_label("Clé du conseiller")).to_have_value("")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Clé du conseiller")).to_be_visible()
    expect(page.get_by_text("la clé a été effacée")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('matcher.counsellorKey')") is None


def test_recommendations_with_reasons_in_french(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-FR-1")
    shoot(page, screenshots, "form-fr")
    submit(page)

    expect(cards(page).first).to_be_visible()
    count = cards(page).count()
    assert 1 <= count <= 5
    first = cards(page).first
    expect(first.get_by_role("meter")).to_have_attribute("aria-valuenow", re.compile(r"^\d{1,3}$"))
    expect(first.locator(".pct")).to_have_text(re.compile(r"^\d{1,3}\s?%$"))
    advice = page.locator("#results-section").get_by_text(
        "Conseil indicatif : la décision revient au conseiller"
    )
    expect(advice).to_be_visible()
    expect(first.get_by_text(re.compile(r"Coût type"))).to_be_visible()
    # contract 7: every card shows its 90 % range and the chance of earning a living
    expect(first.locator(".range")).to_have_text(
        re.compile(r"^Fourchette à 90\s?% : \d{1,3}\s?% à \d{1,3}\s?%$")
    )
    expect(first.locator(".livelihood")).to_contain_text("Chance d'en vivre (au moins 3")
    expect(first.locator(".livelihood")).to_contain_text("revenu attendu si l'activité tourne")

    # reasons are folded; opening them shows the two groups with signed points
    expect(first.get_by_role("heading", name="Adéquation de la personne")).to_be_hidden()
    first.get_by_text("Pourquoi cette estimation ?").click()
    expect(first.get_by_role("heading", name="Adéquation de la personne")).to_be_visible()
    expect(first.get_by_role("heading", name="Marché local")).to_be_visible()
    expect(first.locator(".pts").first).to_have_text(re.compile(r"^[+\-−]?\d"))

    # the excluded types are folded by default, each with its reason once opened
    excluded = page.locator("details#excluded")
    expect(excluded).not_to_have_attribute("open", "")
    expect(page.locator("#excluded-list li").first).to_be_hidden()
    page.get_by_text(re.compile(r"^Types de projet exclus \(\d+\)$")).click()
    expect(page.locator("#excluded-list li").first).to_be_visible()
    expect(page.locator("#excluded-list li").first).to_contain_text(
        re.compile("budget|milieu|physique", re.IGNORECASE)
    )
    page.get_by_text(re.compile(r"^Types de projet exclus")).click()
    shoot(page, screenshots, "results-fr")


def test_arabic_is_right_to_left_and_keeps_the_input(
    page: Page, live_server: LiveServer, screenshots: Path, names_ar: set[str]
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-AR-1")
    page.get_by_role("button", name="العربية").click()
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    # nothing typed is lost, and labels are Arabic
    expect(page.get_by_label("الرمز المستعار")).to_have_value("B-WEB-AR-1")
    expect(page.get_by_label("ميزانية التجهيز (بالدرهم)")).to_have_value("30000")
    expect(page.get_by_label("الحرفة — الخبرة 1")).to_have_value("cooking_catering")
    expect(page.get_by_label("الجماعة")).not_to_have_value("")
    shoot(page, screenshots, "form-ar")

    page.get_by_role("button", name="اقتراح مشاريع").click()
    expect(cards(page).first).to_be_visible()
    titles = cards(page).locator("h3").all_inner_texts()
    assert titles
    assert set(titles) <= names_ar, titles
    expect(
        page.locator("#results-section").get_by_text("استشارة إرشادية: القرار يعود إلى المستشار")
    ).to_be_visible()
    # bars grow from the right: the fill starts at the bar's right edge
    bar = cards(page).first.get_by_role("meter").bounding_box()
    fill = cards(page).first.locator(".bar-fill").bounding_box()
    assert bar is not None
    assert fill is not None
    assert abs((fill["x"] + fill["width"]) - (bar["x"] + bar["width"])) < 3
    assert fill["width"] < bar["width"]
    cards(page).first.get_by_text("لماذا هذا التقدير؟").click()
    expect(cards(page).first.get_by_role("heading", name="ملاءمة الشخص")).to_be_visible()
    shoot(page, screenshots, "results-ar")

    # back to French: same results, French names
    page.get_by_role("button", name="Français").click()
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.get_by_label("Pseudonyme", exact=True)).to_have_value("B-WEB-AR-1")
    assert not set(cards(page).locator("h3").all_inner_texts()) & names_ar


def test_decision_reaches_the_database(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-DEC-1")
    submit(page)
    expect(cards(page).first).to_be_visible()
    chosen = cards(page).first.get_by_role("heading").inner_text()
    cards(page).first.get_by_label(re.compile("Retenir ce projet")).check()
    reason = "Souhait de la personne, local familial disponible"
    page.get_by_label("Motif de la décision").fill(reason)
    page.get_by_role("button", name="Enregistrer la décision").click()
    confirmation = page.get_by_text(re.compile(r"^Décision enregistrée le"))
    expect(confirmation).to_be_visible()
    expect(confirmation).to_contain_text(chosen)
    shoot(page, screenshots, "decision-fr")

    engine = sa.create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT d.choice, d.project_type_id, d.reason, g.beneficiary_id "
                    "FROM decisions d JOIN diagnoses g ON g.id = d.diagnosis_id "
                    "WHERE g.beneficiary_id = :b"
                ),
                {"b": "B-WEB-DEC-1"},
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == 1, rows
    choice, project_type_id, stored_reason, _ = rows[0]
    assert choice == "recommended"
    assert project_type_id
    assert stored_reason == reason

    page.get_by_role("button", name="العربية").click()
    expect(page.get_by_text(re.compile("^سُجِّل القرار بتاريخ"))).to_be_visible()
    shoot(page, screenshots, "decision-ar")

    page.get_by_role("button", name="Français").click()
    page.emulate_media(media="print")
    summary = page.locator("#print-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("B-WEB-DEC-1")
    expect(summary).to_contain_text(chosen)
    for text in ("Profil au diagnostic", "Femme", "Principales raisons", "Projets exclus et règle"):
        expect(summary).to_contain_text(text)
    expect(summary).to_contain_text(reason)
    # each option's chance is printed with its 90 % range
    expect(summary.locator("td .range").first).to_contain_text(re.compile(r"90 % : \d+\s%"))
    for text in ("Le conseiller ou la conseillère", "La personne accompagnée", "Pour le comité"):
        expect(summary.get_by_text(text, exact=True)).to_be_visible()
    expect(page.get_by_label("Pseudonyme", exact=True)).to_be_hidden()
    shoot(page, screenshots, "print-fr")
    page.emulate_media(media="screen")
    page.get_by_role("button", name="العربية").click()
    page.emulate_media(media="print")
    for text in ("الملف عند التشخيص", "التوقيعات", "عن اللجنة", "B-WEB-DEC-1"):
        expect(summary).to_contain_text(text)
    expect(summary).to_contain_text(reason)
    shoot(page, screenshots, "print-ar")
    page.emulate_media(media="screen")
    page.get_by_role("button", name="Français").click()

    # changing the decision sends back its ETag: the change is stored beside the first one
    page.get_by_label("Aucun projet pour l'instant").check()
    page.get_by_label("Motif de la décision").fill("La personne a trouvé un emploi salarié")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(
        page.get_by_text(re.compile(r"^Décision enregistrée le.*aucun projet", re.I))
    ).to_be_visible()
    engine = sa.create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            choices = (
                connection.execute(
                    sa.text(
                        "SELECT d.choice FROM decisions d JOIN diagnoses g"
                        " ON g.id = d.diagnosis_id WHERE g.beneficiary_id = :b ORDER BY d.id"
                    ),
                    {"b": "B-WEB-DEC-1"},
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert choices == ["recommended", "none"]


def test_another_type_or_none_needs_a_reason(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-DEC-2", commune=False)
    submit(page)
    expect(cards(page).first).to_be_visible()
    page.get_by_label("Aucun projet pour l'instant").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Indiquez le motif de la décision.")).to_be_visible()
    page.get_by_label("Autre type de projet", exact=True).select_option("welding_ironwork")
    expect(page.get_by_label("Un autre type de projet")).to_be_checked()
    page.get_by_label("Motif de la décision").fill("Atelier familial déjà équipé")
    page.get_by_role("button", name="Enregistrer la décision").click()
    saved = page.get_by_text(re.compile(r"^Décision enregistrée le .*\(autre type\)"))
    expect(saved).to_be_visible()


def test_bad_budget_is_shown_next_to_the_budget_and_input_is_kept(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-ERR-1", budget="-5", commune=False)
    submit(page)
    budget = page.get_by_label("Budget d'équipement (MAD)")
    error = page.locator("#err-budget_mad")
    expect(error).to_be_visible()
    expect(error).to_have_text("Le budget doit être un montant positif ou nul.")
    expect(budget).to_have_attribute("aria-invalid", "true")
    expect(budget).to_have_accessible_description(re.compile("positif ou nul"))
    # the message sits right under its input, inside the same field
    assert page.evaluate(
        "document.getElementById('budget_mad').parentElement"
        ".contains(document.getElementById('err-budget_mad'))"
    )
    expect(page.get_by_role("alert").filter(has_text="Merci de corriger")).to_be_visible()
    # nothing typed is lost
    expect(budget).to_have_value("-5")
    expect(page.get_by_label("Pseudonyme", exact=True)).to_have_value("B-WEB-ERR-1")
    expect(page.get_by_label("Années — expérience 1")).to_have_value("2.5")
    expect(page.get_by_label("Cuisine & restauration")).to_be_checked()
    expect(cards(page)).to_have_count(0)
    shoot(page, screenshots, "form-error-fr")

    # the message follows the language
    page.get_by_role("button", name="English").click()
    expect(error).to_have_text("The budget must be zero or a positive amount.")
    page.get_by_role("button", name="العربية").click()
    expect(error).to_have_text("يجب أن تكون الميزانية مبلغًا موجبًا أو صفرًا.")
    shoot(page, screenshots, "form-error-ar")
    page.get_by_role("button", name="Français").click()

    budget.fill("30000")
    submit(page)
    expect(cards(page).first).to_be_visible()
    expect(error).to_be_hidden()


@pytest.mark.parametrize(("lang", "shot"), [("Français", "tablet-fr"), ("العربية", "tablet-ar")])
def test_no_horizontal_scroll_on_a_tablet(
    page: Page, live_server: LiveServer, screenshots: Path, lang: str, shot: str
) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-TAB-1", commune=False)
    submit(page)
    expect(cards(page).first).to_be_visible()
    page.get_by_role("button", name=lang).click()
    cards(page).first.locator("summary").click()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    shoot(page, screenshots, shot)


def test_thin_evidence_is_flagged(page: Page, live_server: LiveServer, screenshots: Path) -> None:
    def thin_second(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        body["recommendations"][1].update(evidence="thin", evidence_n=4)
        route.fulfill(response=response, json=body)

    page.route("**/v1/diagnoses", thin_second)
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-THIN-1", commune=False)
    submit(page)
    second = cards(page).nth(1)
    flag = second.get_by_text("Peu de données (4 projets comparables) : estimation fragile")
    expect(flag).to_be_visible()
    expect(cards(page).first.get_by_text("Peu de données")).to_have_count(0)
    second.screenshot(path=str(screenshots / "card-thin-fr.png"))


def test_keyboard_only_sign_in_and_submit(page: Page, live_server: LiveServer) -> None:
    page.goto("/")
    expect(page.get_by_label("Clé du conseiller")).to_be_focused()
    page.keyboard.type(live_server.key)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Pseudonyme", exact=True)).to_be_focused()
    page.keyboard.type("B-WEB-KBD-1")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Femme")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label("Femme")).to_be_checked()
    # an incomplete form, submitted from the keyboard, moves focus to the first error
    page.get_by_role("button", name="Proposer des projets").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Âge (ans)")).to_be_focused()
    expect(page.locator("#err-age")).to_have_text("Ce champ est obligatoire.")
    expect(page.get_by_label("Pseudonyme", exact=True)).to_have_value("B-WEB-KBD-1")


def test_the_counsellor_chooses_what_the_list_is_ranked_by(
    page: Page, live_server: LiveServer
) -> None:
    """By default the page asks for the server's objective (a living); survival on request."""
    sent: list[dict[str, Any]] = []

    def spy(route: Route) -> None:
        sent.append(route.request.post_data_json)
        route.continue_()

    page.route("**/v1/diagnoses", spy)
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-OBJ-1", commune=False)
    expect(page.get_by_label("la chance d'en vivre (revenu au moins au seuil)")).to_be_checked()
    submit(page)
    expect(page.get_by_text("Classés selon la chance d'en vivre.")).to_be_visible()
    assert "objective" not in sent[-1]

    page.get_by_label("la chance que l'activité tourne encore à 12 mois").check()
    submit(page)
    expect(
        page.get_by_text("Classés selon la chance que l'activité tourne encore à 12 mois.")
    ).to_be_visible()
    assert sent[-1]["objective"] == "survival"


def test_options_whose_ranges_overlap_widely_are_said_to_be_about_as_good(
    page: Page, live_server: LiveServer
) -> None:
    def ranges(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        recs = body["recommendations"]
        body["objective"] = "survival"
        recs[0].update(score=0.80, score_low=0.70, score_high=0.88)
        recs[1].update(score=0.78, score_low=0.69, score_high=0.86)  # overlaps nearly all
        recs[2].update(score=0.50, score_low=0.40, score_high=0.60)  # apart from no. 2
        route.fulfill(response=response, json=body)

    page.route("**/v1/diagnoses", ranges)
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-NEAR-1", commune=False)
    submit(page)
    note = "À peu près aussi bon que le n° 1 : leurs fourchettes se recouvrent largement."
    expect(cards(page).nth(1).get_by_text(note)).to_be_visible()
    expect(cards(page).nth(0).get_by_text("À peu près aussi bon")).to_have_count(0)
    expect(cards(page).nth(2).get_by_text("À peu près aussi bon")).to_have_count(0)
