"""The words a catalog file may use for a title's language, format and age rating (a table's
cells, MARC's language codes), and the words of MARC notes that tell a copy's format."""
from collections.abc import Iterable

from backend.catalog.models import AgeRating, Format, TitleLanguage
from backend.core.text import fold

LANGUAGE_WORDS = {
    TitleLanguage.KAZAKH: ("kk", "kaz", "kz", "казахский", "қазақ", "қазақша", "қазақ тілі",
                           "kazakh"),
    TitleLanguage.RUSSIAN: ("ru", "rus", "русский", "орыс", "орысша", "орыс тілі", "russian"),
    TitleLanguage.ENGLISH: ("en", "eng", "английский", "ағылшын", "english"),
    TitleLanguage.OTHER: ("other", "другой", "басқа"),
}
FORMAT_WORDS = {
    Format.PRINT: ("print", "печатная", "печатное издание", "обычный шрифт", "книга"),
    Format.LARGE_PRINT: ("large_print", "large print", "крупный шрифт", "крупношрифтовое",
                         "ірі шрифт", "ірі қаріп"),
    Format.AUDIO: ("audio", "аудио", "аудиокнига", "audiobook"),
    Format.BRAILLE: ("braille", "брайль", "шрифт брайля", "брайль шрифті"),
    Format.PERIODICAL: ("periodical", "периодика", "газета", "журнал", "мерзімді басылым"),
}
# A table's header cell that names the copies' shelf mark (шифр, сөре шифры), as
# `core.tabular.header_name` gives it: lower case, spaces as underscores.
SHELF_MARK_HEADERS = ("shelf_mark", "shelf", "call_number", "location", "шифр",
                      "полочный_шифр", "расстановочный_шифр", "шифр_хранения", "место_на_полке",
                      "сөре_шифры", "сөре", "орналастыру_шифры", "кітап_шифры")
# Other names a header may give a column (in Russian, Kazakh, English).
COLUMN_ALIASES = dict.fromkeys(SHELF_MARK_HEADERS, "shelf_mark")
MARC_LANGUAGES = {"kaz": TitleLanguage.KAZAKH, "rus": TitleLanguage.RUSSIAN,
                  "eng": TitleLanguage.ENGLISH}


def _word_table(words: dict[str, Iterable[str]]) -> dict[str, str]:
    return {fold(word): str(code) for code, many in words.items() for word in many}


LANGUAGE_TABLE = _word_table(LANGUAGE_WORDS)
FORMAT_TABLE = _word_table(FORMAT_WORDS)
AGE_TABLE = {**{a.value: a.value for a in AgeRating},
             **{a.value.rstrip("+"): a.value for a in AgeRating}}

LARGE_PRINT_WORDS = ("крупный шрифт", "large print", "ірі шрифт", "ірі қаріп", "крупным шрифтом")
BRAILLE_WORDS = ("брайл", "braille")
AUDIO_WORDS = ("spoken word", "устная речь", "звучащее слово", "ауызша сөз")
