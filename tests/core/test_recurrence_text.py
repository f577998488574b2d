"""Recurrence rules as sentences (backend/core/recurrence_text.py), in Russian, Kazakh and
English: what a librarian reads instead of FREQ=...."""
import datetime

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.recurrence import rule_parts
from backend.core.recurrence_text import rrule_describe

SENTENCES = [
    # rule, ru, kk, en
    ("FREQ=WEEKLY;BYDAY=TU", "каждый вторник", "әр сейсенбі", "every Tuesday"),
    ("FREQ=WEEKLY;BYDAY=WE", "каждую среду", "әр сәрсенбі", "every Wednesday"),
    ("FREQ=WEEKLY;BYDAY=SU", "каждое воскресенье", "әр жексенбі", "every Sunday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "каждый второй вторник",
     "екі аптада бір рет, сейсенбі күні", "every second Tuesday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "каждую вторую пятницу",
     "екі аптада бір рет, жұма күні", "every second Friday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "раз в 2 недели по вторникам и четвергам",
     "2 аптада бір рет, сейсенбі және бейсенбі күндері",
     "every 2 weeks on Tuesdays and Thursdays"),
    ("FREQ=WEEKLY;INTERVAL=5;BYDAY=MO,TH", "раз в 5 недель по понедельникам и четвергам",
     "5 аптада бір рет, дүйсенбі және бейсенбі күндері",
     "every 5 weeks on Mondays and Thursdays"),
    ("FREQ=WEEKLY;INTERVAL=21;BYDAY=MO,TH", "раз в 21 неделю по понедельникам и четвергам",
     "21 аптада бір рет, дүйсенбі және бейсенбі күндері",
     "every 21 weeks on Mondays and Thursdays"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "по понедельникам, средам и пятницам",
     "дүйсенбі, сәрсенбі және жұма күндері", "on Mondays, Wednesdays and Fridays"),
    ("FREQ=WEEKLY;BYDAY=FR,MO,TU,WE,TH", "с понедельника по пятницу",
     "дүйсенбіден жұмаға дейін", "Monday to Friday"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", "каждый день", "күн сайын", "every day"),
    ("FREQ=DAILY", "каждый день", "күн сайын", "every day"),
    ("FREQ=DAILY;INTERVAL=2", "раз в 2 дня", "2 күнде бір рет", "every 2 days"),
    ("FREQ=DAILY;INTERVAL=5", "раз в 5 дней", "5 күнде бір рет", "every 5 days"),
    ("FREQ=DAILY;BYDAY=SA,SU", "по субботам и воскресеньям", "сенбі және жексенбі күндері",
     "on Saturdays and Sundays"),
    ("FREQ=MONTHLY;BYDAY=1MO,3MO", "1-й и 3-й понедельник месяца",
     "айдың 1-ші және 3-ші дүйсенбісі", "1st and 3rd Monday of the month"),
    ("FREQ=MONTHLY;BYDAY=2WE", "2-я среда месяца", "айдың 2-ші сәрсенбісі",
     "2nd Wednesday of the month"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "последняя пятница месяца", "айдың соңғы жұмасы",
     "last Friday of the month"),
    ("FREQ=MONTHLY;BYDAY=-1SU,1SU", "1-е и последнее воскресенье месяца",
     "айдың 1-ші және соңғы жексенбісі", "1st and last Sunday of the month"),
    ("FREQ=MONTHLY;BYDAY=1TU,4TH", "1-й вторник и 4-й четверг месяца",
     "айдың 1-ші сейсенбісі және 4-ші бейсенбісі", "1st Tuesday and 4th Thursday of the month"),
    ("FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO", "раз в 2 месяца, 1-й понедельник месяца",
     "2 айда бір рет, айдың 1-ші дүйсенбісі", "every 2 months, 1st Monday of the month"),
    ("FREQ=MONTHLY;BYMONTHDAY=15", "каждый месяц 15-го числа", "әр айдың 15-күні",
     "every month on day 15"),
    ("FREQ=MONTHLY;BYMONTHDAY=15,1", "каждый месяц 1-го и 15-го числа",
     "әр айдың 1 және 15 күндері", "every month on days 1 and 15"),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", "в последний день каждого месяца", "әр айдың соңғы күні",
     "on the last day of every month"),
    ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=10", "раз в 3 месяца, 10-го числа",
     "3 айда бір рет, 10-күні", "every 3 months, on day 10"),
    ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15", "каждый год 15 марта", "жыл сайын 15 наурыз күні",
     "every year on March 15"),
    ("FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231", "каждый вторник, до 31.12.2027",
     "әр сейсенбі, 31.12.2027 дейін", "every Tuesday, until 31.12.2027"),
    ("FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231T000000Z", "каждый вторник, до 31.12.2027",
     "әр сейсенбі, 31.12.2027 дейін", "every Tuesday, until 31.12.2027"),
    ("FREQ=WEEKLY;BYDAY=TU;COUNT=1", "каждый вторник, 1 раз", "әр сейсенбі, 1 рет",
     "every Tuesday, 1 time"),
    ("FREQ=WEEKLY;BYDAY=TU;COUNT=10", "каждый вторник, 10 раз", "әр сейсенбі, 10 рет",
     "every Tuesday, 10 times"),
    ("FREQ=WEEKLY;BYDAY=TU;BYMONTH=6,7,8", "каждый вторник (июнь, июль и август)",
     "әр сейсенбі (маусым, шілде және тамыз)", "every Tuesday (June, July and August)"),
    ("FREQ=WEEKLY", "каждую неделю", "апта сайын", "every week"),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "каждый месяц, в особые дни",
     "ай сайын, белгілі бір күндері", "every month, on particular days"),
    ("FREQ=YEARLY;BYDAY=20MO", "каждый год, в особые дни", "жыл сайын, белгілі бір күндері",
     "every year, on particular days"),
]


@pytest.mark.parametrize(("rule", "ru", "kk", "en"), SENTENCES)
def test_rule_reads_as_a_sentence_in_each_language(rule, ru, kk, en):
    for lang, expected in (("ru", ru), ("kk", kk), ("en", en)):
        with translation.override(lang):
            assert rrule_describe(rule) == expected, lang


@pytest.mark.parametrize(("rule", "ru"), [
    ("FREQ=WEEKLY", "каждый вторник"),
    ("FREQ=WEEKLY;INTERVAL=2", "каждый второй вторник"),
    ("FREQ=MONTHLY", "каждый месяц 8-го числа"),
    ("FREQ=YEARLY", "каждый год 8 декабря"),
])
def test_a_rule_without_days_falls_on_the_start_day(rule, ru):
    with translation.override("ru"):
        assert rrule_describe(rule, datetime.date(2026, 12, 8)) == ru  # a Tuesday


@pytest.mark.parametrize("rule", ["FREQ=HOURLY;BYDAY=TU", "FREQ=WEEKLY;UNTIL=20271399", ""])
def test_a_rule_that_cannot_be_read_is_called_so_not_shown(rule):
    with translation.override("ru"):
        text = rrule_describe(rule)
    assert text == "правило повторения, которое не удаётся прочитать"


RULE_PARTS = st.fixed_dictionaries({
    "FREQ": st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
}, optional={
    "INTERVAL": st.integers(1, 30).map(str),
    "BYDAY": st.lists(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU", "1MO", "-1FR",
                                       "3WE", "2SU", "-2TH"]), min_size=1, max_size=4,
                      unique=True).map(",".join),
    "BYMONTHDAY": st.lists(st.integers(-3, 31).filter(bool), min_size=1, max_size=3,
                           unique=True).map(lambda v: ",".join(map(str, v))),
    "BYMONTH": st.lists(st.integers(1, 12), min_size=1, max_size=3,
                        unique=True).map(lambda v: ",".join(map(str, v))),
    "BYSETPOS": st.sampled_from(["1", "-1", "2"]),
    "COUNT": st.integers(1, 300).map(str),
})


@settings(max_examples=300, deadline=None)
@given(RULE_PARTS, st.sampled_from(["ru", "kk", "en"]))
def test_every_rule_the_checker_accepts_is_worded(parts, lang):
    text = ";".join(f"{name}={value}" for name, value in parts.items())
    try:
        rule_parts(text)
    except ValueError:
        return
    with translation.override(lang):
        sentence = rrule_describe(text, datetime.date(2026, 12, 8))
    assert sentence and "=" not in sentence and "FREQ" not in sentence
    assert not any(code in sentence for code in ("MO", "TU", "WE", "BYDAY", "%("))
