"""Text normalisation for search that works the same on SQLite and PostgreSQL.

SQLite's LIKE folds case for ASCII only, so Cyrillic and Kazakh names are folded here,
in Python, and stored in a search column; queries are folded the same way.
"""
import re
import unicodedata

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
