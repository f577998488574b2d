"""A number with a word goes through ngettext: "1 остановка, 2 остановки, 5 остановок".

Russian has three forms after a number (Kazakh one, English two), so a message with a count
written with gettext reads wrong for most numbers ("5 остановки", "2 волонтёры"). The static
checks read the Russian catalogues and the source and fail on any message with a count that is
not a plural entry; the rendered examples read real messages and pages in Russian.
"""
import ast
import gettext
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from pypdf import PdfReader

from backend.accounts.lockout import LockedOut
from tests.core.po import parse_po

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
SOURCES = ("backend", "mobile_api", "volunteer_app")

# A placeholder is a count when it is named like one, or when an English plural noun follows
# it ("%(limit)s items", "%(n)s line(s)"). "Stop %(number)s", "Page %(page)d of %(pages)d",
# "%(size)s MB" and "%(km)s km" are numbers without a counted word.
COUNT_NAMES = {"count", "n"}
NOT_NOUNS = {"is", "was", "has", "does", "its", "this", "his", "as", "us", "s",
             "moves", "goes", "gets", "needs", "waits", "comes"}  # verbs after a name
PLACEHOLDER = re.compile(
    r"%\((?P<name>\w+)\)[sdi](?:\s+(?P<word>[A-Za-z]+)(?P<maybe>\(s\))?)?")


def count_placeholders(msgid: str) -> list[str]:
    """The placeholders of `msgid` that count something."""
    found = []
    for match in PLACEHOLDER.finditer(msgid):
        word = (match["word"] or "").lower()
        plural_noun = bool(match["maybe"]) or (len(word) > 2 and word.endswith("s")
                                               and word not in NOT_NOUNS)
        if match["name"] in COUNT_NAMES or plural_noun:
            found.append(match["name"])
    return found


@pytest.mark.parametrize("msgid", [
    "Stops: %(count)d",
    "%(n)s line(s) still wait for a copy.",
    "At most %(days)s days at a time.",
    "The file has more than %(limit)s rows; split it into smaller files.",
    "Too many failed attempts. Try again in %(minutes)s minute(s).",
    "%(label)s: %(n)s order(s).",
])
def test_the_check_sees_a_count(msgid):
    assert count_placeholders(msgid)


@pytest.mark.parametrize("msgid", [
    "Stop %(number)s",
    "Page %(page)d of %(pages)d",
    "The file is larger than %(size)s MB; split it into smaller files.",
    "%(km)s km",
    "Copy %(barcode)s is not available.",
    "%(name)s is given twice.",
    "Done %(done)s of %(total)s",
])
def test_the_check_leaves_other_numbers_and_names_alone(msgid):
    assert count_placeholders(msgid) == []


# The catalogues -----------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_no_russian_message_with_a_count_is_a_singular_gettext_entry(domain):
    entries = parse_po(LOCALE / "ru" / "LC_MESSAGES" / f"{domain}.po")
    wrong = [e["msgid"] for e in entries
             if e.get("msgid") and not e["obsolete"] and "msgid_plural" not in e
             and count_placeholders(e["msgid"])]
    assert wrong == [], f"use ngettext / blocktranslate count for: {wrong}"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_russian_plural_entries_have_every_form_and_kazakh_has_its_own(domain):
    for lang, forms in (("ru", {"django": 4, "djangojs": 3}[domain]), ("kk", 2)):
        for entry in parse_po(LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"):
            if "msgid_plural" in entry and not entry["obsolete"]:
                keys = sorted(k for k in entry if k.startswith("msgstr["))
                assert len(keys) == forms, (lang, entry["msgid"], keys)


# The source --------------------------------------------------------------------------------

SINGULAR_CALLS = {"_", "gettext", "gettext_lazy", "_lazy", "gettext_noop", "t", "tf"}
CONTEXT_CALLS = {"pgettext", "pgettext_lazy"}


def _python_singular_messages(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        index = 0 if name in SINGULAR_CALLS else 1 if name in CONTEXT_CALLS else None
        if index is None or len(node.args) <= index:
            continue
        arg = node.args[index]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            yield node.lineno, arg.value


JS_SINGULAR = re.compile(r"""\b(?:gettext|t|tf)\(\s*(["'])((?:\\.|(?!\1).)*)\1""")
BLOCK = re.compile(r"{%\s*blocktrans(?:late)?\b(?P<args>[^%]*)%}(?P<body>.*?)"
                   r"{%\s*endblocktrans(?:late)?\s*%}", re.S)
TEMPLATE_VAR = re.compile(r"{{\s*(\w+)\s*}}")


def _source_files(suffix: str):
    for top in SOURCES:
        for path in (ROOT / top).rglob(f"*{suffix}"):
            if "vendor" not in path.parts and "migrations" not in path.parts:
                yield path


def test_no_python_source_counts_with_gettext():
    wrong = [f"{path.relative_to(ROOT)}:{line}: {text}"
             for path in _source_files(".py")
             for line, text in _python_singular_messages(path) if count_placeholders(text)]
    assert wrong == []


def test_no_script_counts_with_gettext():
    wrong = [f"{path.relative_to(ROOT)}: {match[2]}"
             for path in _source_files(".js")
             for match in JS_SINGULAR.finditer(path.read_text(encoding="utf-8"))
             if count_placeholders(match[2])]
    assert wrong == []


def test_no_template_counts_without_blocktranslate_count():
    wrong = []
    for path in _source_files(".html"):
        for match in BLOCK.finditer(path.read_text(encoding="utf-8")):
            if re.search(r"\bcount\b", match["args"]):
                continue
            msgid = TEMPLATE_VAR.sub(r"%(\1)s", match["body"])
            if count_placeholders(msgid):
                wrong.append(f"{path.relative_to(ROOT)}: {match['body'].strip()}")
    assert wrong == []


# Rendered in Russian -----------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "expected"), [
    (60, "Повторите через 1 минуту."),
    (120, "Повторите через 2 минуты."),
    (300, "Повторите через 5 минут."),
    (660, "Повторите через 11 минут."),
    (1260, "Повторите через 21 минуту."),
])
def test_the_sign_in_lockout_says_the_minutes_in_russian(seconds, expected):
    with translation.override("ru"):
        assert str(LockedOut(seconds).message).endswith(expected)


@pytest.mark.parametrize(("stops", "expected"), [
    (1, "1 остановка"), (2, "2 остановки"), (5, "5 остановок")])
def test_the_route_sheet_counts_its_stops_in_russian(db, stops, expected):
    from backend.reports.print_pack import render_route_sheet_pdf
    from backend.reports.route_sheet import route_sheet_data
    from tests.reports.test_route_sheet import build_route

    pdf = render_route_sheet_pdf(route_sheet_data(build_route(stops)), "ru")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert expected in text
    assert "Остановок:" not in text


@pytest.mark.parametrize(("n", "expected"), [
    (1, "1 остановка"), (3, "3 остановки"), (5, "5 остановок"), (12, "12 остановок"),
    (22, "22 остановки")])
def test_the_day_plan_scripts_catalogue_counts_stops_in_russian(n, expected):
    catalogue = gettext.translation("djangojs", localedir=LOCALE, languages=["ru"])
    assert catalogue.ngettext("%(n)s stop", "%(n)s stops", n) % {"n": n} == expected
    assert catalogue.ngettext("%(n)s volunteer", "%(n)s volunteers", 2) % {"n": 2} \
        == "2 волонтёра"


def test_the_day_plan_loads_the_catalogue_in_the_pages_language(client, db):
    from tests.factories import BranchFactory, UserFactory

    BranchFactory()
    client.force_login(UserFactory(role="coordinator"))
    page = client.get("/plan/?language=kk").content.decode()
    assert '<script src="/i18n/js/?language=kk"></script>' in page
    script = client.get("/i18n/js/?language=ru").content.decode()
    assert "%(n)s \\u043e\\u0441\\u0442\\u0430\\u043d\\u043e\\u0432\\u043e\\u043a" in script \
        or "%(n)s остановок" in script
