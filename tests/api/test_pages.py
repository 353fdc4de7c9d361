"""The counsellor's page over TestClient (no browser): markup, assets, dictionary, no outside URL.

The page must render without a key and without an active model: it is the
counsellor's way in, and it only talks to the API once signed in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.routes.pages import I18N_FILE, STATIC_DIR, TEMPLATES_DIR, load_messages
from matcher.settings import Settings

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data_samples" / "reference"
APP_JS = STATIC_DIR / "app.js"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ARABIC = re.compile(r"[\u0600-\u06FF]")


class Markup(HTMLParser):
    """Collects the form controls, labels, ids and translatable keys of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.wrapped: set[str] = set()
        self.ids: list[str] = []
        self.i18n_keys: set[str] = set()
        self.html_attrs: dict[str, str | None] = {}
        self._label_depth = 0
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_attrs = a
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if a.get("data-i18n"):
            self.i18n_keys.add(str(a["data-i18n"]))
        for pair in (a.get("data-i18n-attr") or "").split(";"):
            if ":" in pair:
                self.i18n_keys.add(pair.split(":", 1)[1])
        for name in ("src", "href", "action"):
            if a.get(name):
                self.urls.append(str(a[name]))
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        if tag in {"input", "select", "textarea"}:
            self.controls.append({"tag": tag, **a})
            if self._label_depth and a.get("id"):
                self.wrapped.add(str(a["id"]))
            elif self._label_depth:
                self.wrapped.add(f"{a.get('name')}={a.get('value')}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth -= 1


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real app with no model at all: the page must still load."""
    root = tmp_path_factory.mktemp("pages")
    settings = Settings(
        registry=root / "models",
        reference=REFERENCE_DIR,
        database_url=f"sqlite:///{root / 'matcher.db'}",
    )
    with TestClient(create_app(settings, require_model=False)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def html(client: TestClient) -> str:
    response = client.get("/")
    assert response.status_code == 200, response.text
    return response.text


@pytest.fixture(scope="module")
def markup(html: str) -> Markup:
    parser = Markup()
    parser.feed(html)
    return parser


def test_page_is_french_html_without_a_key(client: TestClient, markup: Markup) -> None:
    response = client.get("/")
    assert response.headers["content-type"].startswith("text/html")
    assert markup.html_attrs == {"lang": "fr", "dir": "ltr"}
    assert "<h1" in response.text
    assert "Conseil indicatif : la décision revient au conseiller" in response.text


def test_page_headers_keep_everything_local(client: TestClient) -> None:
    headers = client.get("/").headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"


def test_every_control_has_a_label(markup: Markup) -> None:
    assert len(markup.controls) >= 15
    for control in markup.controls:
        ident = control.get("id")
        key = ident if ident else f"{control.get('name')}={control.get('value')}"
        labelled = key in markup.label_for or key in markup.wrapped
        assert labelled or control.get("aria-label"), f"unlabelled {control}"


def test_ids_are_unique_and_descriptions_point_at_them(markup: Markup, html: str) -> None:
    assert len(markup.ids) == len(set(markup.ids))
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        for ident in described.split():
            assert ident in markup.ids, ident


@pytest.mark.parametrize(
    ("ident", "label"),
    [
        ("beneficiary_id", "Pseudonyme"),
        ("age", "Âge (ans)"),
        ("region_id", "Région"),
        ("province", "Province ou préfecture"),
        ("commune_code", "Commune"),
        ("education_level", "Niveau d'études"),
        ("trade-filter", "Rechercher un métier"),
        ("budget_mad", "Budget d'équipement (MAD)"),
        ("decision-reason", "Motif de la décision"),
        ("api-key", "Clé du conseiller"),
    ],
)
def test_named_fields_have_their_french_label(html: str, ident: str, label: str) -> None:
    escaped = re.escape(label.replace("'", "&#39;"))
    pattern = rf'<label for="{re.escape(ident)}"[^>]*>{escaped}<'
    assert re.search(pattern, html), ident


def test_the_key_field_is_a_password_that_is_never_submitted(markup: Markup, html: str) -> None:
    key = next(c for c in markup.controls if c.get("id") == "api-key")
    assert key["type"] == "password"
    assert "name" not in key  # a form submitted without script cannot put it in a URL
    assert re.search(r'<form id="signin-form" method="post"', html)


def test_pseudonym_field_says_never_a_name(markup: Markup, html: str) -> None:
    field = next(c for c in markup.controls if c.get("id") == "beneficiary_id")
    assert field["pattern"] == r"[A-Za-z0-9_\-]{1,64}"
    assert "jamais un nom" in html


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/app.js", "text/javascript"),
        ("/static/i18n.js", "text/javascript"),
        ("/static/printout.js", "text/javascript"),
        ("/static/follow.js", "text/javascript"),
        ("/static/app.css", "text/css"),
        ("/static/favicon.png", "image/png"),
    ],
)
def test_static_assets_are_served(client: TestClient, path: str, content_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.content


def test_the_page_loads_only_its_own_assets(client: TestClient, markup: Markup) -> None:
    assert markup.urls
    for url in markup.urls:
        assert url.startswith(("/", "#")), url
        assert not url.startswith("//"), url
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url


def test_no_outside_url_anywhere(html: str) -> None:
    texts = {"rendered page": html}
    for folder in (STATIC_DIR, TEMPLATES_DIR):
        for path in folder.rglob("*"):
            if path.suffix in {".js", ".css", ".html", ".svg", ".json"}:
                texts[str(path)] = path.read_text(encoding="utf-8")
    for where, text in texts.items():
        assert "http://" not in text, where
        assert "https://" not in text, where
        assert not re.search(r"""(?:url\(|src=|href=)\s*["']?//""", text), where
        assert "@import" not in text, where


def test_dictionary_is_complete_in_three_languages() -> None:
    messages = load_messages()
    assert set(messages) == {"fr", "ar", "en"}
    keys = set(messages["fr"])
    for lang in ("ar", "en"):
        assert set(messages[lang]) == keys, lang
    for key in keys:
        texts = {lang: messages[lang][key] for lang in messages}
        assert all(text.strip() for text in texts.values()), key
        placeholders = {lang: sorted(PLACEHOLDER.findall(text)) for lang, text in texts.items()}
        assert placeholders["ar"] == placeholders["fr"] == placeholders["en"], key
        assert ARABIC.search(texts["ar"]), f"{key} is not Arabic: {texts['ar']}"
        assert not ARABIC.search(texts["fr"] + texts["en"]), key


def test_dictionary_file_is_strict_json() -> None:
    text = I18N_FILE.read_text(encoding="utf-8")
    assert text.count("export const MESSAGES = ") == 1
    start = text.index("export const MESSAGES = ") + len("export const MESSAGES = ")
    body = text[start : text.rindex("}") + 1]
    assert json.loads(body) == load_messages()


def test_every_key_the_page_uses_exists(markup: Markup) -> None:
    messages = load_messages()["fr"]
    script = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (APP_JS, STATIC_DIR / "printout.js", STATIC_DIR / "follow.js")
    )
    used = set(markup.i18n_keys)
    used |= set(re.findall(r"""\bt(?:Nodes)?\(\s*"([a-z_]+\.[a-z_.]+)\"""", script))
    used |= set(re.findall(r"""key: "([a-z_]+\.[a-z_]+)\"""", script))
    used |= set(re.findall(r"""return "(err\.[a-z_]+)\"""", script))
    missing = sorted(k for k in used if k not in messages)
    assert not missing
    assert len(used) > 60


def test_key_is_kept_in_session_storage_only() -> None:
    script = APP_JS.read_text(encoding="utf-8")
    assert "sessionStorage.setItem(KEY_STORAGE" in script
    assert "localStorage.setItem(KEY_STORAGE" not in script
    assert "console." not in script
    assert "innerHTML" not in script


def test_page_inputs_announce_the_profile_rules(client: TestClient) -> None:
    """The form's bounds come from the one module of profile rules, not from the template."""
    from matcher.contract import profile_rules as rules

    text = client.get("/").text
    assert f'min="{rules.AGE_MIN}" max="{rules.AGE_MAX}"' in text
    assert f'max="{rules.BUDGET_MAX_MAD}"' in text
    assert f'data-years-max="{rules.EXPERIENCE_YEARS_MAX}"' in text
    assert 'pattern="[A-Za-z0-9_\\-]{1,64}"' in text
