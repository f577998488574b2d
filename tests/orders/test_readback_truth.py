"""The desk's read-back is what then happens: the channel the outbox uses, the window the
volunteer really comes in (and the reminder says), and titles with no free copy."""
import datetime
import html

import pytest
from django.test import Client
from django.utils import timezone, translation

from backend.notifications.models import Message, MessageStatus, PhoneOptOut
from backend.orders import services as order_services
from backend.orders.messages import visit_reminders_send
from backend.orders.models import Order, OrderStatus
from backend.orders.readback import (
    order_reach,
    order_readback,
    title_waits,
    visit_window,
    waiting_sentence,
)
from tests.factories import (
    FamilyCardFactory,
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
    UserFactory,
)
from tests.notifications.conftest import local

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orders.urls_desk_pages")]

T = datetime.time


def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(role="operator"))
    return client


def visit_day(weekday: int = 1) -> datetime.date:
    """A `weekday` (Tuesday by default) one to two weeks ahead."""
    day = timezone.localdate() + datetime.timedelta(days=8)
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def order_form(*, title=None, wish="детективы", day=None, window=""):
    form = {"preferred_date": day.isoformat() if day else "", "window": window,
            "phone": "", "opened_at": ""}
    if title is not None:
        form["title"] = [str(title.id)]
    if wish:
        form.update(wish_text=[wish], wish_format=[""], wish_language=[""])
    return form


def review_then_save(client, reader, form) -> tuple[str, Order]:
    review = client.post(f"/desk/readers/{reader.id}/order/", {**form, "action": "review"})
    assert review.status_code == 200
    saved = client.post(f"/desk/readers/{reader.id}/order/", {**form, "action": "save"})
    assert saved.status_code == 302
    return html.unescape(review.content.decode()), Order.objects.filter(reader=reader).latest("id")


# The channel -----------------------------------------------------------------------------------


def mobile_sms(reader):
    ReaderPhoneFactory(reader=reader, number="+77011234567", kind="mobile")


def landline_only(reader):
    ReaderPhoneFactory(reader=reader, number="+77172501234", kind="home")


def mobile_without_sms(reader):
    ReaderPhoneFactory(reader=reader, number="+77011234567", kind="mobile", sms_ok=False)


def caregiver(reader):
    ReaderPhoneFactory(reader=reader, number="+77011234567", kind="mobile")
    reader.contact_channel = "caregiver"
    reader.caregiver_name = "Гульнара Сейтова"
    reader.caregiver_phone = "+77079998877"
    reader.save()


def refused_messages(reader):
    ReaderPhoneFactory(reader=reader, number="+77011234567", kind="mobile")
    reader.messages_opt_out_at = timezone.now()
    reader.save()


def number_said_stop(reader):
    ReaderPhoneFactory(reader=reader, number="+77011234567", kind="mobile")
    PhoneOptOut.objects.create(number="+77011234567", keyword="STOP", at=timezone.now())


def no_number(reader):
    pass


CASES = {
    "mobile with SMS": (mobile_sms, "sms", "+77011234567", False),
    "landline only: a call": (landline_only, "voice", "+77172501234", False),
    "mobile without SMS: a call": (mobile_without_sms, "voice", "+77011234567", False),
    "caregiver": (caregiver, "sms", "+77079998877", True),
    "refused messages": (refused_messages, "", "", False),
    "number said STOP": (number_said_stop, "", "", False),
    "no number": (no_number, "", "", False),
}


@pytest.mark.parametrize("case", CASES)
def test_read_back_names_the_channel_the_outbox_then_uses(case):
    setup, channel, to, via_caregiver = CASES[case]
    reader = ReaderFactory()
    setup(reader)
    reach = order_reach(reader)
    assert (reach.channel, reach.channel and reach.to, reach.via_caregiver) == (
        channel, to, via_caregiver)

    page, order = review_then_save(operator(), reader, order_form(day=visit_day()))
    assert reach.words in page
    sent = Message.objects.filter(order=order, template="order_confirmed").first()
    if reach.channel:
        assert f'data-channel="{reach.channel}"' in page
        assert sent is not None and sent.status == MessageStatus.QUEUED
        assert (sent.channel, sent.to, sent.via_caregiver) == (
            reach.channel, reach.to, reach.via_caregiver)
    else:
        assert 'id="desk-no-message"' in page and 'id="read-back-channel"' not in page
        assert sent is None or sent.status == MessageStatus.CANCELLED


def test_channel_words_say_how_and_where():
    with translation.override("en"):
        landline = ReaderFactory()
        landline_only(landline)
        assert order_reach(landline).words == "a call to the landline +7 717 *** 12 34"
        cared = ReaderFactory()
        caregiver(cared)
        assert order_reach(cared).words == \
            "through the caregiver (Гульнара Сейтова): SMS to +7 707 *** 88 77"
        nobody = ReaderFactory()
        assert order_reach(nobody).words == "no message: no number"
        mobile = ReaderFactory()
        mobile_sms(mobile)
        assert order_reach(mobile).words == "SMS to +7 701 *** 45 67"


# The window ------------------------------------------------------------------------------------


def at_home(reader, day, start, end):
    reader.availability = [{"weekday": day.weekday(), "start": start, "end": end}]
    reader.save()


@pytest.mark.parametrize(("home", "agreed", "expected", "outside"), [
    (("11:00", "14:00"), None, (T(11), T(14)), False),  # default 09–18 within home hours
    (("11:00", "14:00"), (T(10), T(13)), (T(11), T(13)), False),
    (("11:00", "14:00"), (T(15), T(17)), (T(15), T(17)), True),  # no overlap: agreed, flagged
    (("19:00", "21:00"), None, (T(19), T(21)), False),  # the default gives way to home hours
    (None, None, (T(9), T(18)), False),  # no home hours: the default window
    (None, (T(10), T(13)), (T(10), T(13)), False),
])
def test_window_is_the_agreed_one_within_home_hours(home, agreed, expected, outside):
    reader = ReaderFactory()
    day = visit_day()
    if home:
        at_home(reader, day, *home)
    window = visit_window(reader, day, *(agreed or (None, None)))
    assert (window.start, window.end, window.outside_home) == (*expected, outside)


def test_home_hours_on_another_weekday_do_not_narrow_the_window():
    reader = ReaderFactory()
    day = visit_day(weekday=1)
    at_home(reader, day + datetime.timedelta(days=1), "11:00", "14:00")
    window = visit_window(reader, day)
    assert (window.start, window.end) == (T(9), T(18))


def test_a_family_members_home_hours_count():
    family = FamilyCardFactory()
    day = visit_day()
    reader = ReaderFactory(family_card=family, branch=family.branch)
    son = ReaderFactory(family_card=family, branch=family.branch)
    at_home(son, day, "16:00", "19:00")
    window = visit_window(reader, day)
    assert (window.start, window.end) == (T(16), T(18))


def test_read_back_window_is_the_confirmation_and_the_reminder_window():
    reader = ReaderFactory()
    mobile_sms(reader)
    day = visit_day()
    at_home(reader, day, "11:00", "14:00")
    page, order = review_then_save(operator(), reader, order_form(day=day))
    said = str(visit_window(reader, day))
    assert said == "11:00–14:00"
    read_back = page.split('id="read-back"')[1].split("</blockquote>")[0]
    assert "11:00" in read_back and "14:00" in read_back and "09:00" not in read_back
    confirmed = Message.objects.get(order=order, template="order_confirmed")
    assert confirmed.context["window"] == said and said in confirmed.text

    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SCHEDULED, scheduled_date=day)
    visit_reminders_send(now=local(day - datetime.timedelta(days=1), 18), branch=reader.branch)
    reminder = Message.objects.get(order=order, template="visit_tomorrow")
    assert reminder.context["window"] == said and said in reminder.text
    # The reminder is useless once the window has started, not at the default 09:00.
    assert reminder.expires_at == local(day, 11)


def test_a_window_outside_home_hours_is_said_to_the_operator():
    reader = ReaderFactory()
    mobile_sms(reader)
    day = visit_day()
    at_home(reader, day, "11:00", "14:00")
    page, order = review_then_save(operator(), reader, order_form(day=day, window="15:00-17:00"))
    assert 'id="desk-outside-home"' in page and "11:00–14:00" in page
    assert Message.objects.get(order=order, template="order_confirmed").context["window"] == \
        "15:00–17:00"


# A title with no free copy ---------------------------------------------------------------------


def title_all_out(copies=3, waiting=2, first_due=None):
    title = TitleFactory(title="Абай жолы")
    first_due = first_due or timezone.localdate() + datetime.timedelta(days=8)
    for n in range(copies):
        LoanFactory(item__title=title, due_date=first_due + datetime.timedelta(days=n * 5))
    for _ in range(waiting):
        other = ReaderFactory()
        order_services.order_create(reader=other, lines=[{"title": title}])
    return title, first_due


def test_the_warning_counts_copies_due_date_and_waiting_readers():
    title, first_due = title_all_out(copies=3, waiting=2)
    wait = title_waits([title.id])[title.id]
    assert (wait.copies, wait.available, wait.first_due, wait.waiting) == (3, 0, first_due, 2)
    with translation.override("en"):
        assert wait.warning() == (
            f"All 3 copies are out; the first is due back on {first_due.day} "
            f"{first_due:%B}; 2 readers wait.")


def test_the_warning_uses_plurals():
    title, _ = title_all_out(copies=5, waiting=5)
    wait = title_waits([title.id])[title.id]
    with translation.override("ru"):
        assert "все 5 экземпляров выданы" in wait.warning().lower()
        assert "5 читателей ждут" in wait.warning()
    with translation.override("en"):
        english = wait.warning()
    with translation.override("kk"):
        assert "5" in wait.warning() and wait.warning() != english
    two, _ = title_all_out(copies=2, waiting=1)
    with translation.override("ru"):
        text = title_waits([two.id])[two.id].warning()
        assert "все 2 экземпляра выданы" in text.lower() and "1 читатель ждёт" in text


def test_a_free_copy_gives_no_warning():
    title = TitleFactory()
    ItemFactory(title=title)
    LoanFactory(item__title=title)
    assert not title_waits([title.id])[title.id].must_wait


def test_title_search_warns_as_soon_as_the_title_is_added():
    title, _ = title_all_out(copies=3, waiting=2)
    reader = ReaderFactory()
    response = operator().get("/desk/titles/", {"q": "Абай", "reader": reader.id})
    text = html.unescape(response.content.decode())
    warning = title_waits([title.id], exclude_reader=reader)[title.id].warning()
    assert f'data-wait="{warning}"' in text


def test_a_waiting_title_is_promised_when_a_copy_is_free_not_on_a_date():
    title, _ = title_all_out()
    reader = ReaderFactory()
    mobile_sms(reader)
    day = visit_day()
    page, order = review_then_save(operator(), reader, order_form(title=title, wish="", day=day))
    visit = page.split('id="read-back-visit"')[1].split("</p>")[0]
    assert f"{day.day}" not in visit
    readback = order_readback(reader=reader, titles=[title], wishes=0, preferred_date=day)
    assert not readback.date_promised
    assert order.lines.get().status == "waiting"
    # Nothing promises the date: the reader hears the day once the visit is on a route.
    assert not Message.objects.filter(order=order, template="order_confirmed").exists()


def test_with_other_lines_the_date_stands_and_the_sms_says_when_a_copy_is_free():
    title, _ = title_all_out()
    reader = ReaderFactory()
    mobile_sms(reader)
    day = visit_day()
    page, order = review_then_save(operator(), reader, order_form(title=title, day=day))
    with translation.override("ru"):
        sentence = waiting_sentence([title.title])
    assert sentence in page
    sms = Message.objects.get(order=order, template="order_confirmed")
    assert sentence in sms.text and "  " not in sms.text
    assert sms.context["waiting"] == sentence


def test_the_confirmation_without_waiting_titles_reads_as_before():
    reader = ReaderFactory()
    mobile_sms(reader)
    page, order = review_then_save(operator(), reader, order_form(day=visit_day()))
    sms = Message.objects.get(order=order, template="order_confirmed")
    assert sms.context["waiting"] == "" and "  " not in sms.text
    assert "Ответьте 1" in sms.text



@pytest.mark.parametrize("agreed", [None, (T(10), T(13)), (T(15), T(17))])
def test_the_route_stop_uses_the_window_the_reader_was_told(agreed):
    from backend.routing.stops import stop_window

    reader = ReaderFactory()
    mobile_sms(reader)
    day = visit_day()
    at_home(reader, day, "11:00", "14:00")
    start, end = agreed or (None, None)
    order = order_services.order_create(reader=reader, lines=[{"wish_text": "стихи"}],
                                        preferred_date=day, window_start=start, window_end=end)
    told = Message.objects.get(order=order, template="order_confirmed").context["window"]
    stop = stop_window([Order.objects.get(pk=order.pk)], [reader], day)
    assert f"{stop[0]:%H:%M}–{stop[1]:%H:%M}" == told


def test_the_only_copy_and_no_copy_are_said_as_such():
    title, due = title_all_out(copies=1, waiting=0)
    with translation.override("en"):
        assert title_waits([title.id])[title.id].warning() == (
            f"Its only copy is out; it is due back on {due.day} {due:%B}; "
            "nobody else waits for it.")
        none = TitleFactory()
        assert title_waits([none.id])[none.id].warning() == (
            "The library has no copy of it; nobody else waits for it.")
