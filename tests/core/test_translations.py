"""The Russian and Kazakh catalogues are complete, compiled, and used by the API."""
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.core.po import parse_po

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("ru", "kk", "en")
MUST_BE_COMPLETE = ("ru", "kk")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\w*\}")
def messages(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e.get("msgid") and not e["obsolete"]]


def translations(entry: dict) -> list[str]:
    return [value for key, value in sorted(entry.items()) if key.startswith("msgstr")]


def catalogue(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_exists_and_is_readable(lang):
    entries = messages(parse_po(catalogue(lang)))
    assert len(entries) > 100


@pytest.mark.parametrize("lang", MUST_BE_COMPLETE)
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    entries = parse_po(catalogue(lang))
    header = next(e for e in entries if e.get("msgid") == "")
    assert "fuzzy" not in header["flags"]
    assert f"Language: {lang}\n" in header["msgstr"]
    untranslated = [e["msgid"] for e in messages(entries)
                    if not all(text.strip() for text in translations(e))]
    fuzzy = [e["msgid"] for e in messages(entries) if "fuzzy" in e["flags"]]
    assert untranslated == [], f"{lang}: {len(untranslated)} without a translation"
    assert fuzzy == [], f"{lang}: {len(fuzzy)} fuzzy"


@pytest.mark.parametrize("lang", MUST_BE_COMPLETE)
def test_translations_keep_the_placeholders(lang):
    wrong = []
    for entry in messages(parse_po(catalogue(lang))):
        wanted = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for text in translations(entry):
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((entry["msgid"], text))
    assert wrong == []


def test_catalogues_hold_the_same_messages():
    ids = {lang: {(e.get("msgctxt"), e["msgid"]) for e in messages(parse_po(catalogue(lang)))}
           for lang in LANGUAGES}
    assert ids["ru"] == ids["kk"] == ids["en"]


def test_kazakh_catalogue_is_in_kazakh():
    texts = " ".join(t for e in messages(parse_po(catalogue("kk"))) for t in translations(e))
    assert set("әғқңөұүі") <= set(texts.lower())
    kk = {e["msgid"]: translations(e)[0] for e in messages(parse_po(catalogue("kk")))
          if e.get("msgctxt") is None}
    assert kk["reader"] == "оқырман"
    assert kk["family card"] == "отбасылық формуляр"
    assert kk["card number"] == "формуляр нөмірі"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(lang):
    """The committed .mo is what `compilemessages` makes of the .po today."""
    mo_path = catalogue(lang).with_suffix(".mo")
    assert mo_path.exists(), f"run: manage.py compilemessages ({mo_path} is missing)"
    with mo_path.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    expected = {}
    for entry in messages(parse_po(catalogue(lang))):
        if "fuzzy" in entry["flags"]:
            continue
        msgid = entry["msgid"]
        if entry.get("msgctxt") is not None:
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        if "msgid_plural" in entry:
            for key, value in entry.items():
                if key.startswith("msgstr[") and value:
                    expected[(msgid, int(key[7:-1]))] = value
        elif entry.get("msgstr"):
            expected[msgid] = entry["msgstr"]
    compiled = {k: v for k, v in compiled.items() if k != ""}
    stale = sorted(str(k) for k in set(expected) ^ set(compiled))
    changed = sorted(str(k) for k in set(expected) & set(compiled) if expected[k] != compiled[k])
    assert not stale and not changed, (
        f"{mo_path} is stale; run: manage.py compilemessages --ignore=.venv "
        f"(differs in {(stale + changed)[:5]})"
    )


# The API answers in the caller's language ---------------------------------------------------


@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", "Учетные данные не были предоставлены."),
    ("kk", "Аутентификация деректері берілмеген."),
])
def test_api_error_comes_back_in_the_callers_language(api, lang, expected):
    response = api.get("/api/v1/readers/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 401
    assert response.json()["message"] == expected
    assert response["Content-Language"] == lang


@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", "Формуляр не может стать активным без согласия на обработку персональных данных."),
    ("kk", "Дербес деректерді өңдеуге келісімсіз формуляр белсенді бола алмайды."),
    ("en", "A card cannot become active without consent to personal data processing."),
])
def test_our_own_messages_are_translated(api, branch, lang, expected):
    client = api.as_role("librarian")
    response = client.post(
        "/api/v1/readers/",
        {"branch": branch.id, "last_name": "Ахметова", "first_name": "Әлия",
         "category": "elderly", "status": "active"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "reader.consent_required"
    assert body["message"] == expected
