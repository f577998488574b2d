"""Holiday names in the page's language (backend/core/calendar.py): Kazakh and English as the
holidays package names them, Russian from our catalogue."""
import datetime
import re

import pytest
from django.utils import translation

from backend.core.calendar import holiday_name, is_holiday
from tests.volunteers.factories import VolunteerFactory

D = datetime.date
NEW_YEAR = D(2027, 1, 1)


@pytest.mark.parametrize(("lang", "name"), [
    ("ru", "Новый год"), ("kk", "Жаңа жыл"), ("en", "New Year's Day")])
def test_new_years_day_in_each_language(lang, name):
    assert holiday_name(NEW_YEAR, lang) == name


@pytest.mark.parametrize(("day", "lang", "name"), [
    (D(2027, 1, 4), "ru", "Новый год (перенесённый выходной)"),
    (D(2027, 1, 4), "kk", "Жаңа жыл (қайта белгіленген демалыс)"),
    (D(2026, 5, 27), "ru", "Курбан айт (дата предварительная)"),
    (D(2025, 1, 3), "ru", "Выходной день (перенесён с 05.01.2025)"),
    (D(2026, 3, 8), "ru", "Международный женский день"),
    (D(2026, 12, 16), "ru", "День Независимости"),
])
def test_moved_estimated_and_substituted_days_off(day, lang, name):
    assert holiday_name(day, lang) == name


def test_the_active_language_is_the_default():
    with translation.override("kk"):
        assert holiday_name(NEW_YEAR) == "Жаңа жыл"
    with translation.override("ru"):
        assert holiday_name(NEW_YEAR) == "Новый год"


def test_an_ordinary_day_has_no_name():
    assert not is_holiday(D(2027, 1, 12))
    assert holiday_name(D(2027, 1, 12), "ru") is None


def test_every_holiday_of_a_decade_has_a_russian_name():
    latin = []
    for year in range(2020, 2031):
        day = D(year, 1, 1)
        while day.year == year:
            name = holiday_name(day, "ru") if is_holiday(day) else None
            if name is not None and re.search(r"[A-Za-z]", name):
                latin.append((day, name))
            day += datetime.timedelta(days=1)
    assert latin == []


@pytest.mark.parametrize(("lang", "name"), [("ru", "Новый год"), ("kk", "Жаңа жыл")])
def test_a_volunteers_availability_names_the_holiday_in_the_callers_language(api, lang, name):
    volunteer = VolunteerFactory()
    response = api.as_role("coordinator").get(
        f"/api/v1/volunteers/{volunteer.pk}/availability/",
        {"from": "2026-12-31", "to": "2027-01-02"}, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, response.json()
    days = {row["date"]: row["holiday"] for row in response.json()}
    assert days == {"2026-12-31": None, "2027-01-01": name, "2027-01-02": name}
