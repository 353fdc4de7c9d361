"""Numbers typed the local way, in a real Chromium: read as meant, shown before sending.

French and Arabic counsellors type ``1,5`` years and ``45.000`` or ``45 000`` dirhams;
the page must show the value it understood under the field, send that value, and
refuse what it cannot read with a message quoting what was typed. The page's
"needs a trade the person does not hold" note is checked on the result cards.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from test_counsellor_page import cards, fill_profile, shoot, sign_in, submit

pytestmark = pytest.mark.browser
LiveServer = Any


def sent_profile(page: Page, button: str = "Proposer des projets") -> dict[str, Any]:
    with page.expect_request(re.compile(r"/v1/diagnoses$")) as request:
        page.get_by_role("button", name=button).click()
    return request.value.post_data_json["profile"]


def spaced(text: str) -> str:
    """Intl's no-break spaces as plain spaces."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def test_french_numbers_are_read_as_meant_and_shown_before_sending(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-NUM-FR", budget="45.000", commune=False)
    years = page.get_by_label("Années — expérience 1")
    years.fill("1,5")
    budget_read = page.locator("#read-budget_mad")
    expect(budget_read).to_be_visible()
    assert spaced(budget_read.inner_text()) == "Lu : 45 000 MAD"
    expect(page.locator("#read-exp-1")).to_have_text("Lu : 1,5 an(s)")
    page.get_by_label("Budget d'équipement (MAD)").fill("45 000")
    assert spaced(budget_read.inner_text()) == "Lu : 45 000 MAD"
    page.get_by_label("Budget d'équipement (MAD)").fill("45,000.50")
    assert spaced(budget_read.inner_text()) == "Lu : 45 000,5 MAD"
    shoot(page, screenshots, "number-read-fr")
    profile = sent_profile(page)
    assert profile["budget_mad"] == 45000.5
    assert profile["experience"] == [{"trade_id": "cooking_catering", "years": 1.5}]
    expect(cards(page).first).to_be_visible()

    # every option needing a trade she does not hold says so, in words
    notes = page.locator(".card-missing-trade")
    expect(notes.first).to_be_visible()
    for text in notes.all_inner_texts():
        assert "Demande un métier que la personne n'a pas : " in text
        assert "Cuisine & restauration" not in text
    shoot(page, screenshots, "results-missing-trade-fr")


def test_a_number_that_cannot_be_read_is_refused_quoting_it(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-NUM-BAD", commune=False)
    page.get_by_label("Années — expérience 1").fill("1.2.3")
    expect(page.locator("#read-exp-1")).to_have_text(
        "« 1.2.3 » n'est pas un nombre lisible : écrivez par ex. 45 000 ou 45000,50 (années : 1,5)."
    )
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/v1/diagnoses" in r.url else None)
    submit(page)
    expect(page.locator("#experience-rows .field-error").first).to_contain_text("« 1.2.3 »")
    expect(cards(page)).to_have_count(0)
    assert requests == []


def test_an_implausible_budget_shows_what_was_read_and_why(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-NUM-45", budget="45", commune=False)
    assert spaced(page.locator("#read-budget_mad").inner_text()) == "Lu : 45 MAD"
    submit(page)
    expect(page.locator("#err-budget_mad")).to_have_text(
        "Budget : 0 (pas encore d'enveloppe) ou au moins 1 000 dirhams ; "
        "vérifiez la valeur lue sous le champ."
    )
    expect(cards(page)).to_have_count(0)


def test_arabic_numbers_are_read_as_meant(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    sign_in(page, live_server)
    fill_profile(page, pseudonym="B-WEB-NUM-AR", commune=False)
    page.get_by_role("button", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    budget = page.get_by_label("ميزانية التجهيز (بالدرهم)")
    budget.fill("45.000")  # how the page itself writes 45 000 dirhams in Arabic
    read = page.locator("#read-budget_mad")
    expect(read).to_contain_text("قُرئ: ")
    assert re.sub(r"\D", "", read.inner_text()) == "45000"
    page.get_by_label("عدد السنوات — الخبرة 1").fill("١٫٥")  # Arabic-Indic digits
    expect(page.locator("#read-exp-1")).to_contain_text("سنة")
    shoot(page, screenshots, "number-read-ar")
    profile = sent_profile(page, "اقتراح مشاريع")
    assert profile["budget_mad"] == 45000
    assert profile["experience"][0]["years"] == 1.5
    expect(cards(page).first).to_be_visible()
    notes = page.locator(".card-missing-trade")
    expect(notes.first).to_be_visible()
    assert all(t.startswith("⚠ يتطلب حرفة لا يتقنها المستفيد: ") for t in notes.all_inner_texts())
    shoot(page, screenshots, "results-missing-trade-ar")
