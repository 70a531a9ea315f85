"""The four languages: complete catalogues, the guide's labels on the real pages, the switcher.

The catalogue test extracts the strings afresh (makemessages into a copy of the sources), so it
fails as soon as someone adds a visible string without translating it into de, fr and it.
"""

import datetime
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone, translation
from django.utils.dates import MONTHS
from django.views.defaults import server_error

from apikeys.models import Api

LANGUAGES = ["de", "fr", "it"]
SOURCE_SUFFIXES = {".py", ".html", ".txt", ".js"}
NOT_SCANNED = {".venv", "staticfiles", "docs", "locale", "node_modules", "__pycache__"}  # as makemessages is run
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")

# The labels of the product specification: en, it (the guide, verbatim), de (Swiss spelling), fr.
LABELS = {
    "en": ["Administration", "User management", "Create a new API key", "Expired and deleted keys", "Details",
           "User identification", "API", "Note", "Create", "Close", "Billing Solutions (production)",
           "Billing Solutions Customer Integration"],
    "it": ["Amministrazione", "Gestione utenti", "Creare una nuova chiave API", "Chiavi scadute e cancellate",
           "Dettagli", "Identificazione utente", "API", "Nota", "Creare", "Chiudere", "Billing Solutions",
           "Billing Solutions Integrazione clienti"],
    "de": ["Administration", "Benutzerverwaltung", "Neuen API-Schlüssel erstellen",
           "Abgelaufene und gelöschte Schlüssel", "Details", "Benutzeridentifikation", "API", "Bemerkung",
           "Erstellen", "Schliessen", "Billing Solutions", "Billing Solutions Kundenintegration"],
    "fr": ["Administration", "Gestion des utilisateurs", "Créer une nouvelle clé API", "Clés expirées et supprimées",
           "Détails", "Identification de l'utilisateur", "API", "Remarque", "Créer", "Fermer", "Billing Solutions",
           "Billing Solutions Intégration clients"],
}  # fmt: skip
LABEL = {lang: dict(zip(LABELS["en"], words, strict=True)) for lang, words in LABELS.items()}
CONTACT_ADMIN_IT = (
    "Se non visualizzate l’area «Amministrazione», contattate la vostra o il vostro utente Admin di e-finance."
)


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory):
    """The project's .po files merged with the strings in the sources now (makemessages on a copy)."""
    root = tmp_path_factory.mktemp("i18n")
    base = Path(settings.BASE_DIR)

    def not_scanned(directory, names):
        return [n for n in names if n.startswith(".") or n in NOT_SCANNED or Path(n).suffix in {".pyc", ".sqlite3"}]

    for entry in base.iterdir():
        if entry.is_dir() and entry.name not in NOT_SCANNED and not entry.name.startswith("."):
            shutil.copytree(entry, root / entry.name, ignore=not_scanned)
        elif entry.suffix in SOURCE_SUFFIXES:
            shutil.copy(entry, root)
    shutil.copytree(base / "locale", root / "locale", ignore=shutil.ignore_patterns("*.mo"))
    with override_settings(LOCALE_PATHS=[root / "locale"]), pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for domain in ("django", "djangojs"):
            call_command("makemessages", locale=LANGUAGES, domain=domain, verbosity=0)
    return root / "locale"


def _problems(po: polib.POFile) -> list[str]:
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        wanted = set().union(*(PLACEHOLDER.findall(s) for s in sources))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not all(t.strip() for t in translations):
            problems.append(f"untranslated or fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural and len(translations) != 2:
            problems.append(f"not two plural forms: {entry.msgid!r}")
        elif any(not set(PLACEHOLDER.findall(t)) <= wanted for t in translations) or set(
            PLACEHOLDER.findall(translations[-1])
        ) != set(PLACEHOLDER.findall(sources[-1])):
            problems.append(f"placeholders differ: {entry.msgid!r}")
    return problems


@pytest.mark.parametrize("lang", LANGUAGES)
def test_it_translates_every_string_of_the_sources(fresh_catalogues, lang):
    catalogues = sorted((fresh_catalogues / lang / "LC_MESSAGES").glob("*.po"))
    assert catalogues, f"no catalogue for {lang}: run makemessages"
    for path in catalogues:
        po = polib.pofile(str(path))
        assert len(po) > 100
        assert po.metadata["Language"] == lang
        assert _problems(po) == [], f"{path.name} ({lang}): run makemessages and translate these"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_checked_in_catalogues_hold_every_string_of_the_sources(fresh_catalogues, lang):
    """The test above translates a merged copy, in which makemessages revives a string that the
    checked-in catalogue keeps only as obsolete (#~): the page would show it untranslated."""
    for path in sorted((fresh_catalogues / lang / "LC_MESSAGES").glob("*.po")):
        checked_in = Path(settings.BASE_DIR) / "locale" / lang / "LC_MESSAGES" / path.name
        entries = polib.pofile(str(checked_in)) if checked_in.exists() else []
        held = {(e.msgctxt, e.msgid) for e in entries if not e.obsolete}
        missing = [e.msgid for e in polib.pofile(str(path)) if not e.obsolete and (e.msgctxt, e.msgid) not in held]
        assert missing == [], f"{path.name} ({lang}): run makemessages"


def test_german_is_spelled_the_swiss_way():
    po = polib.pofile(str(Path(settings.BASE_DIR) / "locale/de/LC_MESSAGES/django.po"))
    assert [e.msgid for e in po if "ß" in e.msgstr + "".join(e.msgstr_plural.values())] == []


class _Elements(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.stack, self.found = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            self.found.append((tag, dict(attrs), ""))
        else:
            self.stack.append((tag, dict(attrs), []))

    def handle_endtag(self, tag):
        while tag in [t for t, _a, _p in self.stack]:
            name, attrs, parts = self.stack.pop()
            text = "".join(parts)
            self.found.append((name, attrs, re.sub(r"[ \t\r\n]+", " ", text).strip()))
            if self.stack:
                self.stack[-1][2].append(text)
            if name == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)


def elements(page, tag: str, **attrs) -> list[tuple[dict, str]]:
    """(attributes, visible text) of every `tag` element with these attributes (data_testid= for data-testid)."""
    attrs = {name.replace("_", "-"): value for name, value in attrs.items()}
    found = _Elements(page if isinstance(page, str) else page.content.decode()).found
    return [(a, text) for name, a, text in found if name == tag and all(a.get(k) == v for k, v in attrs.items())]


def texts(page, tag: str, **attrs) -> list[str]:
    return [text for _attrs, text in elements(page, tag, **attrs)]


def _client(user, lang: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


def _create_key(client, user, api=Api.INTEGRATION):
    form = client.get("/administration/api-keys/new/")
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.content.decode()).group(1)
    valid_until = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    data = {
        "user": user.pk,
        "api": api,
        "note": "ERP",
        "valid_until": valid_until,
        "nonce": nonce,
        "scopes": ["documents:read", "documents:write"],
    }
    return form, client.post("/administration/api-keys/new/", data)


@pytest.mark.parametrize("lang", ["it", "de", "fr", "en"])
def test_the_pages_show_the_labels_of_the_table(alice, bob, make_key, lang):
    label = LABEL[lang]
    client = _client(alice, lang)
    make_key(user=bob, deleted=True)

    users = client.get("/administration/users/")
    assert texts(users, "a", data_testid="nav-administration") == [label["Administration"]]
    assert texts(users, "h1") == [label["User management"]]
    assert texts(users, "a", data_testid="api-access-details") == [label["Details"]]

    keys = client.get("/administration/api-keys/")
    assert texts(keys, "a", data_testid="create-key") == [label["Create a new API key"]]
    assert label["Expired and deleted keys"] in texts(keys, "h2")
    assert any(text.startswith(label["Billing Solutions Customer Integration"]) for text in texts(keys, "h3"))

    form, created = _create_key(client, bob)
    assert texts(form, "h1") == [label["Create a new API key"]]
    assert texts(form, "label", **{"for": "id_user"}) == [label["User identification"]]
    assert texts(form, "legend")[0] == label["API"]
    assert texts(form, "span", **{"class": "choice-label"}) == [
        label["Billing Solutions (production)"],
        label["Billing Solutions Customer Integration"],
    ]
    assert texts(form, "label", **{"for": "id_note"}) == [label["Note"]]
    assert texts(form, "button", data_testid="create-submit") == [label["Create"]]
    assert texts(created, "a", data_testid="close") == [label["Close"]]
    assert label["Billing Solutions Customer Integration"] in texts(created, "span", **{"class": "api-name"})


def test_the_standard_user_is_told_in_the_guides_words_to_contact_the_admin(bob):
    page = _client(bob, "it").get("/administration/users/")
    assert page.status_code == 403
    assert texts(page, "p", data_testid="contact-admin") == [CONTACT_ADMIN_IT]
    assert texts(page, "a", data_testid="nav-administration") == []


@pytest.mark.parametrize(
    ("accept", "lang"), [("it-CH,it;q=0.9", "it"), ("de-CH", "de"), ("fr-CH,fr", "fr"), ("en-GB", "en"), ("rm", "en")]
)
def test_the_browsers_language_picks_the_page_language(db, accept, lang):
    page = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/accounts/login/")
    assert page.headers["Content-Language"] == lang
    assert f'<html lang="{lang}">' in page.content.decode()


def _switch(client, page, language: str):
    """Choose `language` in the page's switcher and send its form as the browser would."""
    switcher = re.search(r'<form class="language-switcher".*?</form>', page.content.decode(), re.S).group(0)
    [(form, _text)] = elements(switcher, "form")
    fields = {a["name"]: a.get("value", "") for a, _text in elements(switcher, "input")}
    return client.post(form["action"], {**fields, "language": language})


def test_the_switcher_on_the_login_page_changes_the_language_of_the_next_page(db):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="de")
    login = client.get("/accounts/login/?next=/administration/")
    assert re.search(r'<option value="de" lang="de" selected>Deutsch</option>', login.content.decode())
    assert texts(login, "option") == ["English", "Deutsch", "Français", "Italiano"]
    switched = _switch(client, login, "it")
    assert switched.status_code == 302
    assert switched.url == "/accounts/login/?next=/administration/"
    assert '<html lang="it">' in client.get(switched.url).content.decode()


@pytest.mark.parametrize("lang", ["fr", "it"])
def test_the_switcher_changes_the_admins_pages(alice, lang):
    client = _client(alice, "de")
    page = client.get("/administration/api-keys/")
    switched = _switch(client, page, lang)
    assert switched.url == "/administration/api-keys/"
    again = client.get(switched.url)
    assert texts(again, "a", data_testid="create-key") == [LABEL[lang]["Create a new API key"]]


def test_every_page_has_the_switcher_in_its_header(alice, bob, alice_key):
    admin, user = _client(alice, "it"), _client(bob, "it")
    pages = [Client().get("/accounts/login/"), user.get("/administration/"), admin.get("/no-such-page/")]
    urls = ["/", "/administration/", "/administration/users/", "/administration/api-keys/"]
    urls += ["/administration/api-keys/new/", f"/administration/api-keys/{alice_key[0].key_id}/delete/"]
    pages += [admin.get(url) for url in urls]
    for page in pages:
        header = re.search(r"<header.*?</header>", page.content.decode(), re.S).group(0)
        assert 'action="/i18n/setlang/"' in header, page.request["PATH_INFO"]


@pytest.mark.parametrize("lang", ["en", "de", "fr", "it"])
def test_the_key_list_shows_dates_as_dd_mm_yyyy(alice, bob, make_key, lang):
    created = timezone.make_aware(datetime.datetime(2026, 3, 4, 10, 0))
    make_key(user=bob, valid_until=timezone.localdate() + datetime.timedelta(days=400), created_at=created)
    make_key(user=bob, valid_until=datetime.date(2026, 3, 9), created_at=created)
    page = _client(alice, lang).get("/administration/api-keys/")
    cells = texts(page, "td")
    valid_until = (timezone.localdate() + datetime.timedelta(days=400)).strftime("%d.%m.%Y")
    assert any(cell.endswith(f" · {valid_until}") for cell in cells)  # expires in 400 days · that day
    assert "10.03.2026" in cells  # the day the other one expired
    with translation.override(lang):
        march = str(MONTHS[3])
    assert march not in page.content.decode()
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}\. ?\w+ \d{4}", " ".join(cells))


LOGIN_ERRORS = {
    "de": "Bitte Benutzername und Passwort korrekt eingeben. Beide Felder berücksichtigen die Gross-/Kleinschreibung.",
    "it": "Inserite nome utente e password corretti. "
    "In entrambi i campi le maiuscole e le minuscole possono essere significative.",
}


@pytest.mark.parametrize(("lang", "error"), LOGIN_ERRORS.items())
def test_a_failed_login_is_told_in_the_projects_words(alice, lang, error):
    page = Client(HTTP_ACCEPT_LANGUAGE=lang).post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert texts(page, "li") == [error]


def test_a_failed_support_login_is_told_in_swiss_german(sam):
    page = Client(HTTP_ACCEPT_LANGUAGE="de").post("/support/login/", {"username": "sam", "password": "wrong"})
    assert "Gross-/Kleinschreibung" in page.content.decode()
    assert "ß" not in page.content.decode()


@pytest.mark.parametrize(
    ("lang", "title"), [("it", "Errore del server"), ("de", "Serverfehler"), ("fr", "Erreur du serveur")]
)
def test_the_server_error_page_speaks_the_language(rf, lang, title):
    with translation.override(lang):
        page = server_error(rf.get("/"))
    assert page.status_code == 500
    assert texts(page, "h1") == [title]
    assert f'<html lang="{lang}">' in page.content.decode()


def test_the_support_admin_speaks_the_language_too(sam, bob):
    page = _client(sam, "it").get("/support/")
    assert {"Accesso API", "Utenti e organizzazioni"} <= set(texts(page, "a", **{"class": "section"}))
    assert "Accesso API e-finance — supporto" in texts(page, "a")
    user = _client(sam, "de").get(f"/support/users/user/{bob.pk}/change/")
    # No password field for a customer's user: only whether they set one (users.admin).
    assert "Vom Benutzer festgelegt. Niemand bei der Bank kann es sehen oder setzen." in user.content.decode()


def test_german_says_freigabe_for_a_key_and_genehmigung_only_for_the_bank():
    """One word a thing: an Admin user's approval of a key or a policy change is a «Freigabe»
    everywhere (band, «Needs attention», key page, e-mails); «genehmigen» is the second bank
    employee's approval of a change by the bank, and nothing else."""
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    strays = []
    for entry in catalogue.translated_entries():
        text = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
        of_the_bank = any("bank" in path or path == "users/admin.py" for path, _line in entry.occurrences)
        if "enehmig" in text and not (of_the_bank or "bank" in entry.msgid):
            strays.append(entry.msgid)
    assert strays == []
