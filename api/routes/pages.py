"""The counsellor's page: one HTML document, driven by ``/static/app.js`` and the ``/v1`` API.

The page needs no key to load; every piece of data it shows comes from the JSON
API with the counsellor's key (kept in the tab's ``sessionStorage``, sent only
in the ``Authorization`` header). The French text is rendered on the server
from the same dictionary the browser uses (``static/i18n.js``), so the page
reads correctly before the script runs and the two never drift apart.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from matcher.contract import profile_rules as rules

PACKAGE_DIR: Final = Path(__file__).resolve().parents[1]
TEMPLATES_DIR: Final = PACKAGE_DIR / "templates"
STATIC_DIR: Final = PACKAGE_DIR / "static"
I18N_FILE: Final = STATIC_DIR / "i18n.js"
DEFAULT_LANGUAGE: Final = "fr"
LANGUAGES: Final = ("fr", "ar", "en")

PAGE_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
"""Everything the page loads is its own; nothing it shows may be cached or framed."""

router = APIRouter(include_in_schema=False, tags=["pages"])
templates = Jinja2Templates(directory=TEMPLATES_DIR)


@lru_cache(maxsize=1)
def load_messages() -> dict[str, dict[str, str]]:
    """Read the UI dictionary that ``static/i18n.js`` exports.

    The file holds ``export const MESSAGES = {...};`` where the object is
    strict JSON (the page's tests check that), so it is read here as JSON.

    Returns
    -------
    dict
        ``{"fr": {key: text}, "ar": {...}, "en": {...}}``.
    """
    text = I18N_FILE.read_text(encoding="utf-8")
    start = text.index("{", text.index("MESSAGES"))
    end = text.rindex("}") + 1
    messages: dict[str, dict[str, str]] = json.loads(text[start:end])
    return messages


PAGE_RULES: dict[str, object] = {
    # HTML compiles ``pattern`` with the ``v`` flag, where a bare trailing ``-`` is an error
    "id_pattern": rules.BENEFICIARY_ID_PATTERN.strip("^$").replace("_-]", "_\\-]"),
    "age_min": rules.AGE_MIN,
    "age_max": rules.AGE_MAX,
    "budget_max": rules.BUDGET_MAX_MAD,
    "years_max": rules.EXPERIENCE_YEARS_MAX,
}
"""The profile rules the form's inputs announce (the API checks them again, the same)."""


class Translator:
    """``t("key")`` in the template: the French text, or an error for an unknown key."""

    def __init__(self, messages: dict[str, str]) -> None:
        self.messages = messages

    def __call__(self, key: str) -> str:
        """The text of ``key``; a missing key is a bug, never a blank label."""
        return self.messages[key]


@router.get("/", response_class=HTMLResponse)
def counsellor_page(request: Request) -> HTMLResponse:
    """The counsellor's page: sign-in, diagnosis form, results and decision."""
    messages = load_messages()
    response: HTMLResponse = templates.TemplateResponse(
        request,
        "index.html",
        {
            "t": Translator(messages[DEFAULT_LANGUAGE]),
            "lang": DEFAULT_LANGUAGE,
            "languages": LANGUAGES,
            "rules": PAGE_RULES,
        },
        headers=PAGE_HEADERS,
    )
    return response
