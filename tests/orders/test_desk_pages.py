"""The phone desk pages: who may open them, what the operator sees, search as one types."""
import datetime
import time

import pytest
from django.conf import settings
from django.test import Client

from backend.orders.models import CallLog, Order
from tests.factories import (
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orders.urls_desk_pages")]


def client_for(role: str | None) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_other_roles_cannot_open_the_desk(role):
    reader = ReaderFactory()
    client = client_for(role)
    assert client.get("/desk/").status_code == 403
    assert client.get("/desk/search/", {"q": "Иванова"}).status_code == 403
    assert client.get(f"/desk/readers/{reader.id}/").status_code == 403


def test_anonymous_is_sent_to_sign_in():
    response = Client().get("/desk/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_librarian_and_operator_see_the_desk():
    for role in ("librarian", "operator"):
        response = client_for(role).get("/desk/")
        assert response.status_code == 200
        assert 'id="desk-q"' in response.content.decode()


def test_operator_card_has_no_document_number():
    reader = ReaderFactory(document_number="SECRET-DOC-4242", door_code="77K")
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    html = client_for("operator").get(f"/desk/readers/{reader.id}/").content.decode()
    assert reader.full_name in html and "77K" in html
    assert "SECRET-DOC-4242" not in html


def test_search_partial_finds_kazakh_name_in_any_case():
    ReaderFactory(first_name="Әлия", last_name="Сәрсенова")
    ReaderFactory(first_name="Мария", last_name="Петрова")
    html = client_for("operator").get("/desk/search/", {"q": "ӘЛИЯ"}).content.decode()
    assert "Әлия" in html and "Петрова" not in html


def test_search_partial_finds_a_phone_said_another_way():
    reader = ReaderFactory()
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    html = client_for("operator").get("/desk/search/", {"q": "8 701 123 45 67"}).content.decode()
    assert reader.card_number in html
    assert "phone=%2B77011234567" in html


def test_order_is_read_back_then_saved_with_the_call():
    reader = ReaderFactory()
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    title = ItemFactory(title=TitleFactory(title="Қара сөздер")).title
    client = client_for("operator")
    day = datetime.date.today() + datetime.timedelta(days=3)
    form = {"title": [str(title.id)], "wish_text": ["детективы"], "wish_format": ["large_print"],
            "wish_language": ["ru"], "preferred_date": day.isoformat(), "window": "10:00-13:00",
            "phone": "+77011234567", "opened_at": str(int(time.time()) - 90)}
    review = client.post(f"/desk/readers/{reader.id}/order/", {**form, "action": "review"})
    assert review.status_code == 200
    text = review.content.decode()
    assert "Прочитайте читателю" in text and "Қара сөздер" in text and "детективы" in text
    assert not Order.objects.exists()
    saved = client.post(f"/desk/readers/{reader.id}/order/", {**form, "action": "save"})
    order = Order.objects.get()
    assert saved.status_code == 302 and f"created={order.id}" in saved["Location"]
    assert order.channel == "phone" and order.preferred_date == day
    assert {(line.kind, line.title_id, line.wish_text) for line in order.lines.all()} == {
        ("title", title.id, ""), ("wish", None, "детективы")}
    call = CallLog.objects.get(order=order)
    assert call.phone == "+77011234567" and call.outcome == "order_taken"
    assert 90 <= call.duration_seconds < 120
    card = client.get(saved["Location"]).content.decode()
    assert f"№ {order.id}" in card and "SMS" in card


def test_an_empty_order_is_refused_next_to_the_lines():
    reader = ReaderFactory()
    response = client_for("operator").post(f"/desk/readers/{reader.id}/order/",
                                           {"action": "review"})
    assert response.status_code == 400
    assert "Добавьте" in response.content.decode() or "Add a title" in response.content.decode()


def test_a_refused_renewal_is_said_in_the_page():
    reader = ReaderFactory()
    loan = LoanFactory(reader=reader, renewals=99)
    response = client_for("operator").post(f"/desk/readers/{reader.id}/loans/{loan.id}/renew/")
    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()


def test_a_visit_is_moved():
    reader = ReaderFactory()
    order = Order.objects.create(reader=reader, branch=reader.branch, status="new")
    day = datetime.date.today() + datetime.timedelta(days=5)
    response = client_for("operator").post(
        f"/desk/readers/{reader.id}/orders/{order.id}/move/",
        {"preferred_date": day.isoformat(), "window": "14:00-17:00"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.preferred_date == day and order.window_start == datetime.time(14)


def test_renew_and_move_links_opened_with_get_are_refused_not_a_crash():
    reader = ReaderFactory()
    loan = LoanFactory(reader=reader)
    order = Order.objects.create(reader=reader, branch=reader.branch, status="new")
    client = client_for("operator")
    for url in (f"/desk/readers/{reader.id}/loans/{loan.id}/renew/",
                f"/desk/readers/{reader.id}/orders/{order.id}/move/"):
        assert client.get(url).status_code == 405
    loan.refresh_from_db()
    assert loan.renewals == 0


def test_the_desk_speaks_kazakh():
    client = client_for("operator")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    assert "Телефон, аты-жөні немесе формуляр нөмірі" in client.get("/desk/").content.decode()


def test_a_service_refusal_is_shown_in_the_page():
    reader = ReaderFactory(status="paused")
    title = ItemFactory().title
    response = client_for("operator").post(f"/desk/readers/{reader.id}/order/", {
        "action": "save", "title": [str(title.id)]})
    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode() and not Order.objects.exists()
