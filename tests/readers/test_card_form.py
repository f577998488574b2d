"""The reader card form without JSON: preferences as tags and ticks, home hours as a weekly
grid, through the librarians' admin and as words wherever a card is read."""
import re

import pytest
from django.urls import reverse
from django.utils import translation

from backend.orders.desk import desk_card
from backend.orders.suggestions import never_send_ids
from backend.readers.card_text import availability_text, preferences_text
from backend.readers.forms import ReaderAdminForm
from backend.readers.models import CardChange, Reader
from tests.factories import ReaderFactory, TitleFactory
from tests.readers.test_admin import ADD, change_url, reader_form, staff_client  # noqa: F401

pytestmark = pytest.mark.django_db


def card(branch, **overrides) -> dict:
    """The admin's reader form with preferences and home hours as a librarian fills them."""
    data = reader_form(branch)
    for name in [key for key in data if key.startswith(("pref_", "availability_"))]:
        del data[name]
    data.update({
        "pref_subjects": "поэзия\nистория",
        "pref_authors": "Абай Құнанбайұлы",
        "pref_formats": ["large_print", "audio"],
        "pref_languages": ["kk"],
        "pref_never_send": "Война и мир",
        "availability_0_0_start": "10:00", "availability_0_0_end": "13:00",
        "availability_3_0_start": "14:00", "availability_3_0_end": "17:00",
    })
    data.update(overrides)
    return data


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


# The form alone ------------------------------------------------------------------------------


def test_form_assembles_the_stored_preferences_and_hours(branch):
    form = ReaderAdminForm(data=card(branch))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["preferences"] == {
        "subjects": ["поэзия", "история"], "authors": ["Абай Құнанбайұлы"],
        "formats": ["large_print", "audio"], "languages": ["kk"],
        "never_send": ["Война и мир"],
    }
    assert form.cleaned_data["availability"] == [
        {"weekday": 0, "start": "10:00", "end": "13:00"},
        {"weekday": 3, "start": "14:00", "end": "17:00"},
    ]
    assert "preferences" not in form.fields  # never typed as JSON


def test_repeated_and_blank_entries_are_dropped_and_empty_lists_not_stored(branch):
    form = ReaderAdminForm(data=card(
        branch, pref_subjects="  Поэзия \n\nпоэзия\nИСТОРИЯ\n", pref_authors="",
        pref_formats=[], pref_languages=[], pref_never_send=""))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["preferences"] == {"subjects": ["Поэзия", "ИСТОРИЯ"]}


def test_empty_grid_means_any_time(branch):
    data = card(branch)
    for name in [key for key in data if key.startswith("availability_")]:
        del data[name]
    form = ReaderAdminForm(data=data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["availability"] == []
    assert availability_text([]) == "в любое время"


@pytest.mark.parametrize(("fields", "words"), [
    ({"availability_1_0_start": "10:00"}, "Вторник: укажите и начало, и конец окна."),
    ({"availability_2_0_start": "13:00", "availability_2_0_end": "10:00"},
     "Среда: окно 13:00–10:00 должно заканчиваться позже"),
    ({"availability_4_0_start": "10:00", "availability_4_0_end": "13:00",
      "availability_4_1_start": "12:00", "availability_4_1_end": "15:00"},
     "Пятница: окна 10:00–13:00 и 12:00–15:00 пересекаются."),
    ({"availability_6_1_start": "25:00", "availability_6_1_end": "26:00"},
     "Воскресенье: введите время в часах и минутах"),
])
def test_bad_hours_are_a_translated_error_naming_the_day(branch, fields, words):
    form = ReaderAdminForm(data=card(branch, **fields))
    assert not form.is_valid()
    assert any(words in message for message in form.errors["availability"])


def test_every_bad_day_is_named_at_once(branch):
    form = ReaderAdminForm(data=card(branch, availability_1_0_start="10:00",
                                     availability_5_0_start="18:00", availability_5_0_end="09:00"))
    assert not form.is_valid()
    messages = " ".join(form.errors["availability"])
    assert "Вторник" in messages and "Суббота" in messages


def test_a_subject_too_long_is_an_error_on_its_field(branch):
    form = ReaderAdminForm(data=card(branch, pref_subjects="я" * 101))
    assert not form.is_valid()
    assert "не больше 100 символов" in form.errors["pref_subjects"][0]


def test_unknown_format_is_refused_on_its_field(branch):
    form = ReaderAdminForm(data=card(branch, pref_formats=["vhs"]))
    assert not form.is_valid()
    assert "pref_formats" in form.errors


# Through the admin ---------------------------------------------------------------------------


def test_librarian_creates_a_card_without_json(staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    response = client.post(ADD, card(branch))
    assert response.status_code == 302, form_errors(response)
    reader = Reader.objects.get(last_name="Ахметова")
    assert reader.preferences == {
        "subjects": ["поэзия", "история"], "authors": ["Абай Құнанбайұлы"],
        "formats": ["large_print", "audio"], "languages": ["kk"],
        "never_send": ["Война и мир"],
    }
    assert reader.availability == [{"weekday": 0, "start": "10:00", "end": "13:00"},
                                   {"weekday": 3, "start": "14:00", "end": "17:00"}]
    created = CardChange.objects.get(reader=reader)
    assert created.changes["availability"][1] == reader.availability


def test_bad_hours_in_the_admin_save_nothing(staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    response = client.post(ADD, card(branch, availability_3_1_start="16:00",
                                     availability_3_1_end="18:00"))
    assert response.status_code == 200
    assert form_errors(response)["availability"] == [
        "Четверг: окна 14:00–17:00 и 16:00–18:00 пересекаются."]
    assert not Reader.objects.exists()
    assert not CardChange.objects.exists()
    page = response.content.decode()
    assert 'value="16:00"' in page  # what was typed stays in the grid


def test_change_form_shows_the_card_as_words_and_ticks(staff_client, branch):  # noqa: F811
    TitleFactory(subjects=["Поэзия", "Детективы"], authors=["Мұхтар Әуезов"])
    reader = ReaderFactory(branch=branch, preferences={
        "subjects": ["поэзия"], "formats": ["large_print"], "languages": ["kk"]},
        availability=[{"weekday": 3, "start": "14:00", "end": "17:00"},
                      {"weekday": 0, "start": "10:00", "end": "13:00"}])
    client = staff_client("librarian")
    page = client.get(change_url(reader)).content.decode()
    assert ">\nпоэзия</textarea>" in page
    assert '<option value="Детективы">' in page  # suggestions from the catalog
    assert '<option value="Мұхтар Әуезов">' in page
    assert 'value="large_print"\n' not in page
    assert 'value="large_print" id="id_pref_formats_1" checked' in page
    assert "Крупный шрифт" in page and "Казахский" in page
    assert 'name="availability_0_0_start" id="id_availability_0_0_start" value="10:00"' in page
    assert 'name="availability_3_0_end" id="id_availability_3_0_end" value="17:00"' in page
    assert "Понедельник" in page and "Воскресенье" in page
    assert 'src="/static/js/tags.js"' in page
    for fragment in ('"weekday"', '"subjects"', "large_print</", "HH:MM", "[{"):
        assert fragment not in page


def test_unchanged_card_writes_no_history_row(staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    client.post(ADD, card(branch))
    reader = Reader.objects.get(last_name="Ахметова")
    # Stored in another order and with an empty list, as an import or the API may leave it.
    Reader.objects.filter(pk=reader.pk).update(
        preferences={**reader.preferences, "authors": ["Абай Құнанбайұлы"], "subjects": [
            "поэзия", "история"], "never_send": ["Война и мир"], "extra": []},
        availability=list(reversed(reader.availability)))
    phone = reader.phones.get()
    same = card(branch, **{"phones-INITIAL_FORMS": "1", "phones-0-id": str(phone.pk),
                           "phones-0-reader": str(reader.pk)})
    response = client.post(change_url(reader), same)
    assert response.status_code == 302, form_errors(response)
    assert CardChange.objects.filter(reader=reader).count() == 1


def test_changed_hours_and_subjects_are_one_history_row_shown_as_words(
        staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    client.post(ADD, card(branch))
    reader = Reader.objects.get(last_name="Ахметова")
    phone = reader.phones.get()
    changed = card(branch, pref_subjects="поэзия", pref_formats=["braille"],
                   availability_3_0_start="", availability_3_0_end="",
                   availability_4_0_start="09:30", availability_4_0_end="12:00",
                   **{"phones-INITIAL_FORMS": "1", "phones-0-id": str(phone.pk),
                      "phones-0-reader": str(reader.pk)})
    response = client.post(change_url(reader), changed)
    assert response.status_code == 302, form_errors(response)
    reader.refresh_from_db()
    assert reader.preferences["subjects"] == ["поэзия"]
    assert reader.preferences["formats"] == ["braille"]
    assert reader.availability == [{"weekday": 0, "start": "10:00", "end": "13:00"},
                                   {"weekday": 4, "start": "09:30", "end": "12:00"}]
    change = CardChange.objects.filter(reader=reader).first()
    assert set(change.changes) == {"preferences", "availability"}
    page = client.get(change_url(reader)).content.decode()
    assert "Пн 10:00–13:00; Чт 14:00–17:00 → Пн 10:00–13:00; Пт 09:30–12:00" in page
    assert "Форматы: Шрифт Брайля" in page


def test_a_title_picked_for_never_send_is_never_suggested(staff_client, branch):  # noqa: F811
    title = TitleFactory(title="Война и мир", authors=["Лев Толстой"])
    client = staff_client("librarian")
    client.post(ADD, card(branch))
    reader = Reader.objects.get(last_name="Ахметова")
    assert never_send_ids(reader) == {title.pk}


def test_librarian_finds_titles_for_the_never_send_list(staff_client, branch):  # noqa: F811
    """The never-send box suggests from the staff API's title search, which the librarian's
    admin session may read."""
    TitleFactory(title="Қара сөздер", authors=["Абай Құнанбайұлы"])
    client = staff_client("librarian")
    page = client.get(ADD).content.decode()
    assert 'data-suggest-url="/api/v1/titles/"' in page
    found = client.get("/api/v1/titles/", {"q": "қара"}, HTTP_ACCEPT="application/json")
    assert [t["title"] for t in found.json()["results"]] == ["Қара сөздер"]


# Read-only places ----------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "words"), [
    ("ru", "Пн 10:00–13:00, 15:00–17:00; Чт 14:00–17:00"),
    ("kk", "Дс 10:00–13:00, 15:00–17:00; Бс 14:00–17:00"),
    ("en", "Mon 10:00–13:00, 15:00–17:00; Thu 14:00–17:00"),
])
def test_home_hours_read_as_words(language, words):
    windows = [{"weekday": 3, "start": "14:00", "end": "17:00"},
               {"weekday": 0, "start": "15:00", "end": "17:00"},
               {"weekday": 0, "start": "10:00", "end": "13:00"}]
    with translation.override(language):
        assert availability_text(windows) == words


def test_preferences_read_as_words_never_codes():
    with translation.override("kk"):
        text = preferences_text({"formats": ["large_print"], "languages": ["kk", "ru"],
                                 "subjects": ["поэзия"]})
    assert text == "Тақырыптар: поэзия; Форматтар: Ірі қаріп; Тілдер: Қазақ тілі, Орыс тілі"


def test_desk_card_says_home_hours_and_preferences_in_words(branch):
    reader = ReaderFactory(branch=branch, preferences={"formats": ["audio"]},
                           availability=[{"weekday": 1, "start": "10:00", "end": "13:00"}])
    with translation.override("ru"):
        shown = desk_card(reader)
    assert shown["home_hours"] == "Вт 10:00–13:00"
    assert [(str(label), words) for label, words in shown["preferences_lines"]] == [
        ("Форматы", "Аудио")]


def test_desk_card_page_shows_no_codes(client, branch, make_user):
    reader = ReaderFactory(branch=branch, preferences={"formats": ["large_print"],
                                                       "languages": ["kk"]},
                           availability=[{"weekday": 3, "start": "14:00", "end": "17:00"}])
    client.force_login(make_user("operator"))
    page = client.get(reverse("desk:card", args=[reader.pk])).content.decode()
    assert "Дома: Чт 14:00–17:00" in page
    assert "Форматы: Крупный шрифт" in page
    words = re.sub(r"<[^>]*>", " ", page)  # what the operator reads, not attributes
    assert "large_print" not in words and "formats:" not in words
