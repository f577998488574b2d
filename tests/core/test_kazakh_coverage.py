"""Kazakh covers what Django and its third-party apps show librarians.

Django falls back to the default language (ru) for any msgid its kk catalogue lacks,
so a librarian who picks Қазақша would meet Russian in the admin and in API errors.
The gaps are filled in locale_thirdparty/kk (a catalogue `makemessages` never rewrites),
which settings.LOCALE_PATHS lists after our own locale/.

Measuring is done on the compiled .mo files, which is what Django reads at run time:
a msgid is a gap when a package's ru catalogue translates it and no kk catalogue
(the package's, any other package's, ours or locale_thirdparty's) does.
"""
import gettext
import importlib
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import global_settings, settings
from django.conf.locale import LANG_INFO
from django.test import Client

from tests.core.po import parse_po as _read_po
from tests.factories import BranchFactory, ReaderFactory, UserFactory

BASE = Path(settings.BASE_DIR)
OURS = BASE / "locale"
THIRDPARTY = BASE / "locale_thirdparty"

# (package, domain): every catalogue whose strings reach a librarian in this project —
# the admin, auth forms and password validation, contenttypes, core validators, forms,
# dates and pagination, DRF and simplejwt API errors, phone numbers.
PACKAGES = [
    ("django", "django"),
    ("django.contrib.admin", "django"),
    ("django.contrib.auth", "django"),
    ("django.contrib.contenttypes", "django"),
    ("django.contrib.sessions", "django"),
    ("rest_framework", "django"),
    ("rest_framework_simplejwt", "django"),
    ("phonenumber_field", "django"),
    ("django.contrib.admin", "djangojs"),
]

# Strings of those catalogues no librarian can meet here; never reported as gaps.
# Language names: we offer only ru/kk/en, and name those in our own catalogue.
LANGUAGE_NAMES = {name for _code, name in global_settings.LANGUAGES}
NOT_MET = LANGUAGE_NAMES | {
    # django/views/templates/default_urlconf.html: shown only with DEBUG and no URLs.
    "The install worked successfully! Congratulations!",
    "Django Documentation",
    "Topics, references, &amp; how-to’s",
    "Tutorial: A Polling App",
    "Get started with Django",
    "Django Community",
    "Connect, get help, or contribute",
    # django.views.static.serve: development only.
    "Index of %(directory)s",
    "Directory indexes are not allowed here.",
    "“%(path)s” does not exist",
    # Verbose names of apps that have no models in the admin (or are not installed).
    "Messages",
    "Static Files",
    "Site Maps",
    "Syndication",
}
# The two long DEBUG-page messages carry a docs URL with the Django version in it.
NOT_MET_PREFIXES = (
    'View <a href="https://docs.djangoproject.com/',
    'You are seeing this page because <a href="https://docs.djangoproject.com/',
)

# Russian words that used to leak into the Kazakh admin (or would, without Django's kk).
RUSSIAN_ONLY = (
    "Сохранить", "Удалить", "Добавить", "Выйти", "Найти", "Изменить", "Открыть сайт",
    "Действие", "Фильтр", "Выполнить", "Пароль", "Просмотр", "Последние действия",
    "Начало", "Администрирование", "Пользователь",
)


def locale_dir(package: str) -> Path:
    return Path(importlib.import_module(package).__file__).parent / (
        "conf/locale" if package == "django" else "locale"
    )


def mo_files(localedir: Path, lang: str, domain: str) -> list[Path]:
    # gettext.find normalises the language as Django does: "ru" finds ru_RU and ru. Django
    # uses the first as the catalogue and the others as its fallbacks, so count them all.
    return [Path(p) for p in gettext.find(domain, str(localedir), languages=[lang], all=True)]


def read_mo(*paths: Path) -> dict:
    catalog: dict = {}
    for path in reversed(paths):
        if path.exists():
            with path.open("rb") as handle:
                catalog.update(gettext.GNUTranslations(handle)._catalog)
    return catalog


def msgids(catalog: dict) -> set[str]:
    """Keys as Django looks them up: "ctx\\x04msgid" or msgid (plural forms folded)."""
    keys = {key[0] if isinstance(key, tuple) else key for key in catalog}
    return {key for key in keys if key}


def russian_texts(domain: str) -> dict[str, str]:
    """{msgid: ru text} over every package of the domain."""
    texts: dict[str, str] = {}
    for package, dom in PACKAGES:
        if dom != domain:
            continue
        for key, value in read_mo(*mo_files(locale_dir(package), "ru", domain)).items():
            if key and value:
                texts.setdefault(key[0] if isinstance(key, tuple) else key, value)
    return texts


def kazakh_msgids(domain: str) -> set[str]:
    found: set[str] = set()
    for package, dom in PACKAGES:
        if dom == domain:
            found |= msgids(read_mo(*mo_files(locale_dir(package), "kk", domain)))
    for localedir in (OURS, THIRDPARTY):
        found |= msgids(read_mo(localedir / "kk" / "LC_MESSAGES" / f"{domain}.mo"))
    return found


def not_met(msgid: str) -> bool:
    return msgid in NOT_MET or msgid.startswith(NOT_MET_PREFIXES)


def gaps(package: str, domain: str) -> list[str]:
    russian = msgids(read_mo(*mo_files(locale_dir(package), "ru", domain)))
    return sorted(m for m in russian - kazakh_msgids(domain) if not not_met(m))


@pytest.mark.parametrize(("package", "domain"), PACKAGES, ids=[f"{p}:{d}" for p, d in PACKAGES])
def test_every_russian_message_has_a_kazakh_one(package, domain):
    assert locale_dir(package).is_dir(), f"{package} has no locale directory"
    missing = gaps(package, domain)
    assert missing == [], (
        f"{package} ({domain}): {len(missing)} msgids have Russian but no Kazakh; add them to "
        f"locale_thirdparty/kk/LC_MESSAGES/{domain}.po and compile:\n" + "\n".join(missing)
    )


# --- locale_thirdparty itself: readable, complete, placeholders kept, .mo up to date ------

PLACEHOLDER = re.compile(r"%\(\w+\)[sdrfi]|%[sdrfi]|\{\w*\}")
THIRDPARTY_DOMAINS = ("django", "djangojs")


def parse_po(path: Path) -> list[dict]:
    """The shared reader; locale_thirdparty keeps no obsolete entries."""
    entries = _read_po(path)
    for entry in entries:
        assert not entry["obsolete"], f"{path}:{entry['line']}: obsolete entry"
    return entries


def po_path(domain: str) -> Path:
    return THIRDPARTY / "kk" / "LC_MESSAGES" / f"{domain}.po"


def expected_catalog(entries: list[dict]) -> dict:
    """What GNUTranslations reads from a correct compilation of these entries."""
    catalog = {}
    for entry in entries:
        if not entry.get("msgid"):
            continue
        msgid = (entry["msgctxt"] + "\x04" if "msgctxt" in entry else "") + entry["msgid"]
        if "msgid_plural" in entry:
            for name, text in entry.items():
                if name.startswith("msgstr["):
                    catalog[(msgid, int(name[7:-1]))] = text
        else:
            catalog[msgid] = entry["msgstr"]
    return catalog


@pytest.mark.parametrize("domain", THIRDPARTY_DOMAINS)
def test_thirdparty_catalogue_is_complete_and_keeps_placeholders(domain):
    entries = parse_po(po_path(domain))
    header = next(e for e in entries if e.get("msgid") == "")
    assert "Language: kk\n" in header["msgstr"]
    # Same plural rule as Django's kk, so Django merges ours into the same catalogue.
    assert "Plural-Forms: nplurals=2; plural=(n!=1);\n" in header["msgstr"]
    problems = []
    seen = set()
    for entry in (e for e in entries if e.get("msgid")):
        where = f"line {entry['line']}: {entry['msgid'][:60]!r}"
        ident = (entry.get("msgctxt"), entry["msgid"])
        if ident in seen:
            problems.append(f"{where}: duplicate")
        seen.add(ident)
        if "fuzzy" in entry["flags"]:
            problems.append(f"{where}: fuzzy")
        if "msgid_plural" in entry:
            forms = {0: entry["msgid"], 1: entry["msgid_plural"]}
            texts = {i: entry.get(f"msgstr[{i}]") for i in forms}
            if any(name.startswith("msgstr[") and int(name[7:-1]) > 1 for name in entry):
                problems.append(f"{where}: more than two plural forms")
        else:
            forms, texts = {0: entry["msgid"]}, {0: entry.get("msgstr")}
        for i, source in forms.items():
            text = texts[i]
            if not text or not text.strip():
                problems.append(f"{where}: msgstr[{i}] empty")
            elif Counter(PLACEHOLDER.findall(text)) != Counter(PLACEHOLDER.findall(source)):
                problems.append(f"{where}: placeholders differ in {text!r}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("domain", THIRDPARTY_DOMAINS)
def test_thirdparty_mo_is_compiled_from_the_po(domain):
    path = po_path(domain)
    compiled = {k: v for k, v in read_mo(path.with_suffix(".mo")).items() if k != ""}
    assert compiled == expected_catalog(parse_po(path)), (
        f"{path.with_suffix('.mo')} is stale: run msgfmt (see locale_thirdparty/README.md)"
    )


def test_locale_paths_list_ours_first_then_thirdparty():
    paths = [Path(p).resolve() for p in settings.LOCALE_PATHS]
    assert OURS.resolve() in paths and THIRDPARTY.resolve() in paths, (
        'settings.LOCALE_PATHS must be [BASE_DIR / "locale", BASE_DIR / "locale_thirdparty"]'
    )
    # Django merges LOCALE_PATHS in reverse: the first entry wins, so ours beats ours-for-them.
    assert paths.index(OURS.resolve()) < paths.index(THIRDPARTY.resolve())


# --- what a librarian actually sees --------------------------------------------------------

class _Texts(HTMLParser):
    """Visible text and the attributes a browser shows (buttons, titles, placeholders)."""

    SHOWN = {"value", "title", "placeholder", "aria-label", "alt"}

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        is_hidden = ("type", "hidden") in attrs
        for name, value in attrs:
            if name in self.SHOWN and value and not is_hidden:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def kazakh_texts(domain: str) -> set[str]:
    texts: set[str] = set()
    paths = [f for p, d in PACKAGES if d == domain for f in mo_files(locale_dir(p), "kk", d)]
    paths += [d / "kk" / "LC_MESSAGES" / f"{domain}.mo" for d in (OURS, THIRDPARTY)]
    for path in paths:
        texts.update(value for key, value in read_mo(path).items() if key)
    return texts


def russian_leaks(texts: list[str], domain: str = "django") -> list[str]:
    """Texts that are exactly a Russian translation of a Django/DRF msgid, or hold a
    word only Russian uses."""
    russian = {t for t in russian_texts(domain).values() if len(t) > 2} - kazakh_texts(domain)
    # The language switch names each language in that language ("Русский"), on purpose.
    native = {LANG_INFO[code]["name_local"] for code, _name in settings.LANGUAGES}
    return sorted({
        t for t in texts
        if t not in native and (t in russian or any(w in t for w in RUSSIAN_ONLY))
    })


@pytest.fixture
def kk_admin(db):
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="kk")
    client.force_login(user)
    return client


def test_admin_pages_in_kazakh_show_no_russian(kk_admin):
    reader = ReaderFactory()
    branch = BranchFactory()
    pages = [
        "/admin/",
        "/admin/readers/reader/",
        "/admin/readers/reader/?q=nobody-like-this",
        f"/admin/readers/reader/{reader.pk}/change/",
        "/admin/readers/reader/add/",
        f"/admin/readers/reader/{reader.pk}/history/",
        "/admin/branches/branch/",
        f"/admin/branches/branch/{branch.pk}/change/",
        f"/admin/branches/branch/{branch.pk}/delete/",
        "/admin/password_change/",
    ]
    leaks = {}
    for url in pages:
        response = kk_admin.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "kk", url
        parser = _Texts()
        parser.feed(response.content.decode())
        found = russian_leaks(parser.texts)
        if found:
            leaks[url] = found
    assert leaks == {}
    # Spot-check the agreed admin vocabulary.
    change = kk_admin.get(f"/admin/readers/reader/{reader.pk}/change/").content.decode()
    for word in ("Сақтау", "Жою", "Сайтты қарау", "Шығу", "Құпиясөзді өзгерту"):
        assert word in change, word
    changelist = kk_admin.get("/admin/readers/reader/").content.decode()
    for word in ("Іздеу", "Сүзгі", "Барлығы"):
        assert word in changelist, word


ADMIN_VOCABULARY = {
    "Save": "Сақтау", "Delete": "Жою", "Change": "Өзгерту", "Add": "Қосу", "Search": "Іздеу",
    "Filter": "Сүзгі", "All": "Барлығы", "Yes": "Иә", "No": "Жоқ", "View site": "Сайтты қарау",
    "Log out": "Шығу", "Change password": "Құпиясөзді өзгерту", "Action": "Әрекет",
    "Delete selected %(verbose_name_plural)s": "Таңдалған %(verbose_name_plural)s жою",
}


def test_admin_vocabulary_in_kazakh():
    from django.utils import translation

    with translation.override("kk"):
        got = {msgid: translation.gettext(msgid) for msgid in ADMIN_VOCABULARY}
    assert got == ADMIN_VOCABULARY


def test_admin_javascript_catalogue_in_kazakh_has_no_russian(kk_admin):
    response = kk_admin.get("/admin/jsi18n/")
    assert response.status_code == 200
    body = response.content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", body, re.S).group(1))
    texts = []
    for value in catalog.values():
        texts.extend(value if isinstance(value, list) else [value])
    assert russian_leaks(texts, "djangojs") == []
    assert catalog["Choose a Date"] == "Күнді таңдаңыз"


def test_api_auth_errors_in_kazakh(db):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE="kk")
    wrong = client.post("/api/v1/auth/token/", {"username": "nobody", "password": "wrong"})
    assert wrong.status_code == 401
    assert "Көрсетілген деректермен белсенді тіркелгі табылмады" in wrong.content.decode()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    bad = client.get("/api/v1/auth/me/")
    assert bad.status_code == 401
    assert bad.json() == {"code": "auth.token_invalid",
                          "message": "Кіру мерзімі өтті немесе кіру енді жарамсыз. Қайта кіріңіз.",
                          "fields": {}}
