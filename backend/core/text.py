"""Text: normalisation for search that works the same on SQLite and PostgreSQL, and the
rules for names and other text people type (below).

SQLite's LIKE folds case for ASCII only, so Cyrillic and Kazakh names are folded here,
in Python, and stored in a search column; queries are folded the same way.
"""
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case (ә ғ қ ң ө ұ ү һ і included), ё as е, single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text)).casefold()
    text = text.replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


def search_tokens(query: str) -> list[str]:
    return [token for token in fold(query).split(" ") if token]



# The search key: one spelling for every way a name is typed -------------------------------
#
# Operators type Kazakh names on Russian keyboards (Жумабаева for Жұмабаева), and names come
# from passports and the 2021 Kazakh Latin alphabet (Zhumabaeva, Jumabaeva, Qairat, Kairat,
# Aliya, Aliia). The key maps all of them to one skeleton spelled in Russian letters: the
# Kazakh letters to their Russian neighbours (ә→а, ғ→г, қ→к, ң→н, ө→о, ұ ү→у, һ→х, і→и),
# the vowels and semivowels people swap (ы й і → и, э → е, я → иа, ю → иу, hard and soft
# signs dropped), and Latin letters and digraphs to the same (q k c → к, zh j → ж, sh ş → ш,
# ch ç → ч, kh h → х, y → и, ya → иа, ye → е), and a doubled letter counts once (Kassymova,
# Aliia, Нұрпейісов → нурпеисов). Digits and other characters stay as they are.

_CYRILLIC_KEY = str.maketrans({
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "ў": "у",
    "һ": "х", "і": "и", "ы": "и", "й": "и", "э": "е", "ё": "е", "щ": "ш", "ц": "тс",
    "я": "иа", "ю": "иу", "ъ": "", "ь": "",
})
# Longest first: "shch" before "sh", "ya" before "y".
_LATIN_DIGRAPHS = (
    ("shch", "ш"), ("sch", "ш"), ("sh", "ш"), ("zh", "ж"), ("ch", "ч"), ("kh", "х"),
    ("gh", "г"), ("ya", "иа"), ("yu", "иу"), ("ye", "е"), ("yo", "е"), ("ts", "тс"),
)
_LATIN_LETTERS = {
    "a": "а", "ä": "а", "á": "а", "b": "б", "c": "к", "ç": "ч", "d": "д", "e": "е", "é": "е",
    "f": "ф", "g": "г", "ğ": "г", "h": "х", "ı": "и", "i": "и", "í": "и", "j": "ж", "k": "к",
    "l": "л", "m": "м", "n": "н", "ñ": "н", "o": "о", "ö": "о", "ó": "о", "p": "п", "q": "к",
    "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ū": "у", "ü": "у", "ú": "у", "v": "в",
    "w": "в", "x": "кс", "y": "и", "ý": "и", "z": "з",
}
_DOUBLED_LETTER = re.compile(r"([^\W\d_])\1+")
_LATIN_RUN = re.compile("[" + "".join(_LATIN_LETTERS) + "]+")
_DIGRAPH = re.compile("|".join(pattern for pattern, _ in _LATIN_DIGRAPHS))
_DIGRAPH_KEY = dict(_LATIN_DIGRAPHS)


def _latin_key(match: re.Match) -> str:
    run = _DIGRAPH.sub(lambda m: _DIGRAPH_KEY[m.group(0)], match.group(0))
    return "".join(_LATIN_LETTERS.get(char, char) for char in run)


def search_key(text: str | None) -> str:
    """The folded skeleton of `text` (see above): every spelling of a name gives the same key.

    >>> search_key("Жұмабаева") == search_key("Zhumabaeva") == search_key("жумабаева")
    True
    """
    folded = fold(text)
    if not folded:
        return ""
    # Latin runs first: their digraphs must not see the Russian letters made from them.
    folded = _LATIN_RUN.sub(_latin_key, folded)
    return _DOUBLED_LETTER.sub(r"\1", folded.translate(_CYRILLIC_KEY))


def search_key_tokens(query: str) -> list[str]:
    """The query's words as keys (empty ones left out)."""
    return [key for key in (search_key(token) for token in search_tokens(query)) if key]


def within_one_edit(word: str, other: str) -> bool:
    """True when `word` becomes `other` by at most one letter changed, added, left out, or
    two neighbours swapped (one typo)."""
    if word == other:
        return True
    if abs(len(word) - len(other)) > 1:
        return False
    if len(word) > len(other):
        word, other = other, word
    start = 0
    while start < len(word) and word[start] == other[start]:
        start += 1
    if len(word) == len(other):
        if word[start + 1:] == other[start + 1:]:
            return True  # one letter changed
        return (word[start:start + 1] == other[start + 1:start + 2]
                and word[start + 1:start + 2] == other[start:start + 1]
                and word[start + 2:] == other[start + 2:])  # two neighbours swapped
    return word[start:] == other[start + 1:]  # one letter added


# Names as people type them ------------------------------------------------------------------
#
# A name is shown on route sheets, the plan's map, exports and SMS. Characters that show
# nothing, or that reorder what follows them, make a name look like another one or hide
# part of it: bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the
# direction marks (U+200E, U+200F, U+061C), zero-width spaces and joiners (U+200B-U+200D,
# U+2060, U+FEFF), the soft hyphen, and control characters. The names the service keeps are
# Kazakh and Russian, in Cyrillic or Latin letters: none of them needs a joiner (U+200D and
# U+200C shape Arabic, Persian and Indic script and emoji, which no name here is written in),
# so a name refuses every such character, not only names made of nothing else. Nor can a
# name be only accents (combining marks with nothing under them). Other text on a card (an
# address, a house number) refuses the same characters. A name need not have a letter: a
# spreadsheet's "-" for "no caregiver" stays what it was.

# Letters that draw nothing (Hangul fillers): Unicode calls them letters, so say so here.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Cf (format: bidi controls, zero-width characters, the soft hyphen), Cc (control), Co and
# Cs (private use, lone surrogates), Zl and Zp (line and paragraph separators).
_HIDDEN_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs", "Zl", "Zp"})

HIDDEN_CHARACTERS = "text.hidden_characters"
NOTHING_VISIBLE = "name.nothing_visible"
NEGATIVE_NUMBER = "address.negative_number"


def hidden_characters(text: str) -> list[str]:
    """The characters of `text` that show nothing or reorder the text, as U+XXXX, once each."""
    found: dict[str, None] = {}
    for char in text:
        if char in _BLANK_LETTERS or unicodedata.category(char) in _HIDDEN_CATEGORIES:
            found.setdefault(f"U+{ord(char):04X}", None)
    return list(found)


def validate_plain_text(value: str | None) -> None:
    """Refuse invisible, direction-changing and control characters (see above)."""
    if not value:
        return
    found = hidden_characters(str(value))
    if found:
        raise ValidationError(
            gettext("Remove the invisible or control characters (%(chars)s).")
            % {"chars": ", ".join(found[:5])},
            code=HIDDEN_CHARACTERS,
        )


def validate_person_name(value: str | None) -> None:
    """A person's or a household's name: no hidden characters, and something to see.

    A model field validator, so the API (its serializers name the same function), the admin
    and the imports refuse the same names.
    """
    if not value:
        return
    validate_plain_text(value)
    if all(char.isspace() or unicodedata.category(char).startswith("M") for char in str(value)):
        raise ValidationError(gettext("A name cannot be only accents or spaces."),
                              code=NOTHING_VISIBLE)


_NEGATIVE = re.compile(r"^\s*[-\u2212]\s*\d+([.,]\d+)?\s*$")


def validate_address_number(value: str | None) -> None:
    """A house, apartment or entrance: plain text (`12`, `12А`, `5/2`), never a negative
    number (`-3`)."""
    if not value:
        return
    validate_plain_text(value)
    if _NEGATIVE.match(str(value)):
        raise ValidationError(gettext("This cannot be a negative number."),
                              code=NEGATIVE_NUMBER)
