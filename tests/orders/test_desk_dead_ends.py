"""No dead ends at the phone desk: an unknown number gets a new card or a logged call, a
renewal or a move redraws only its part, the family is on the card, and the inbox page."""
import datetime

import pytest
from django.test import Client

from backend.notifications.models import InboxItem, InboxKind, InboxStatus
from backend.orders.models import CallLog, Order
from backend.readers.models import CardAccess, Reader, ReaderStatus
from tests.factories import (
    BranchFactory,
    FamilyCardFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orders.urls_desk_pages")]

UNKNOWN = "8 701 555 12 34"
UNKNOWN_E164 = "+77015551234"


def signed_in(role: str | None, **fields) -> tuple[Client, object]:
    user = UserFactory(role=role, **fields)
    client = Client()
    client.force_login(user)
    return client, user


def new_card_form(branch, **changes) -> dict:
    form = {"last_name": "Жұмабаева", "first_name": "Әлия", "patronymic": "",
            "phone": UNKNOWN, "settlement": "Бишкуль", "street": "Абая", "house": "12",
            "apartment": "3", "birth_date": "", "category": "elderly", "language": "kk",
            "branch": branch.pk}
    form.update(changes)
    return form


# An unknown number -------------------------------------------------------------------------------


def test_an_unknown_number_offers_a_new_reader_with_the_phone_and_logging_the_call():
    ReaderPhoneFactory(reader=ReaderFactory(), number="+77011234567")
    client, _user = signed_in("operator")
    html = client.get("/desk/search/", {"q": UNKNOWN}).content.decode()
    assert "/desk/new/?phone=%2B77015551234" in html
    assert 'action="/desk/calls/"' in html and 'value="wrong_number"' in html


def test_the_new_card_form_has_the_phone_filled_in():
    client, _user = signed_in("operator", branch=BranchFactory())
    html = client.get("/desk/new/", {"phone": UNKNOWN_E164}).content.decode()
    assert f'value="{UNKNOWN_E164}"' in html


def test_a_new_card_from_the_desk_starts_paused_with_the_phone_and_is_flagged():
    branch = BranchFactory()
    client, user = signed_in("operator", branch=branch)
    response = client.post("/desk/new/", new_card_form(branch))
    reader = Reader.objects.get(last_name="Жұмабаева")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/desk/readers/{reader.id}/")
    assert reader.status == ReaderStatus.PAUSED and reader.consent_date is None
    assert [str(p.number) for p in reader.phones.all()] == [UNKNOWN_E164]
    assert reader.created_by == user and reader.branch == branch and reader.card_number
    flag = InboxItem.objects.get(kind=InboxKind.NEW_CARD)
    assert flag.reader == reader and flag.status == InboxStatus.OPEN
    card = client.get(response["Location"]).content.decode()
    assert 'id="desk-new-card"' in card


def test_a_new_card_without_a_name_or_with_a_bad_phone_is_refused_by_field():
    branch = BranchFactory()
    client, _user = signed_in("operator", branch=branch)
    response = client.post("/desk/new/", new_card_form(branch, first_name="", phone="12"))
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count('role="alert"') >= 2
    assert not Reader.objects.exists() and not InboxItem.objects.exists()


def test_a_possible_duplicate_is_asked_about_then_saved_when_confirmed():
    branch = BranchFactory()
    client, _user = signed_in("operator", branch=branch)
    born = "1950-03-01"
    assert client.post("/desk/new/", new_card_form(branch, birth_date=born)).status_code == 302
    again = client.post("/desk/new/", new_card_form(branch, birth_date=born))
    assert again.status_code == 409 and 'name="confirm_duplicate"' in again.content.decode()
    assert Reader.objects.count() == 1
    confirmed = client.post("/desk/new/", new_card_form(branch, birth_date=born,
                                                        confirm_duplicate="on"))
    assert confirmed.status_code == 302 and Reader.objects.count() == 2


def test_a_call_without_an_order_is_logged_with_its_outcome_and_note():
    client, user = signed_in("operator")
    response = client.post("/desk/calls/", {"phone": UNKNOWN, "outcome": "complaint",
                                            "note": "Жалоба на шум"})
    call = CallLog.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/?logged={call.id}"
    assert (call.phone, call.outcome, call.note, call.operator, call.order, call.reader) == (
        UNKNOWN_E164, "complaint", "Жалоба на шум", user, None, None)
    assert UNKNOWN_E164 in client.get(response["Location"]).content.decode()


def test_a_call_with_an_outcome_the_desk_does_not_offer_is_refused():
    client, _user = signed_in("operator")
    response = client.post("/desk/calls/", {"phone": UNKNOWN, "outcome": "order_taken"})
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    assert not CallLog.objects.exists()


# Renewals and moves leave the order alone ------------------------------------------------------


def test_a_renewal_by_htmx_redraws_only_the_loans():
    reader = ReaderFactory()
    loan = LoanFactory(reader=reader)
    due = loan.due_date
    client, _user = signed_in("operator")
    response = client.post(f"/desk/readers/{reader.id}/loans/{loan.id}/renew/",
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    loan.refresh_from_db()
    assert response.status_code == 200 and loan.due_date > due and loan.renewals == 1
    assert html.startswith('<section class="card" id="loans"')
    assert 'id="order-form"' not in html and 'id="order-lines"' not in html
    assert 'role="status"' in html


def test_a_refused_renewal_by_htmx_says_why_in_the_loans():
    reader = ReaderFactory()
    loan = LoanFactory(reader=reader, renewals=99)
    client, _user = signed_in("operator")
    response = client.post(f"/desk/readers/{reader.id}/loans/{loan.id}/renew/",
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'role="alert"' in html and 'id="order-form"' not in html


def test_a_move_by_htmx_redraws_only_the_orders():
    reader = ReaderFactory()
    order = Order.objects.create(reader=reader, branch=reader.branch, status="new")
    day = datetime.date.today() + datetime.timedelta(days=5)
    client, _user = signed_in("operator")
    response = client.post(f"/desk/readers/{reader.id}/orders/{order.id}/move/",
                           {"preferred_date": day.isoformat(), "window": "14:00-17:00"},
                           HTTP_HX_REQUEST="true")
    order.refresh_from_db()
    html = response.content.decode()
    assert order.preferred_date == day
    assert html.startswith('<section class="card" id="orders"') and 'id="order-form"' not in html


def test_another_readers_loan_cannot_be_renewed_from_this_card():
    reader, other = ReaderFactory(), ReaderFactory()
    loan = LoanFactory(reader=other)
    client, _user = signed_in("operator")
    response = client.post(f"/desk/readers/{reader.id}/loans/{loan.id}/renew/",
                           HTTP_HX_REQUEST="true")
    loan.refresh_from_db()
    assert response.status_code == 404 and loan.renewals == 0


# The family on the card ------------------------------------------------------------------------


def test_the_card_shows_the_family_with_their_loans_and_logs_their_cards():
    family = FamilyCardFactory()
    reader = ReaderFactory(family_card=family, branch=family.branch)
    sister = ReaderFactory(family_card=family, branch=family.branch, first_name="Гүлнар")
    loan = LoanFactory(reader=sister)
    stranger = ReaderFactory()
    client, user = signed_in("operator")
    html = client.get(f"/desk/readers/{reader.id}/").content.decode()
    assert 'id="family"' in html and sister.full_name in html and sister.card_number in html
    assert f'href="/desk/readers/{sister.id}/' in html
    assert loan.title.title in html and loan.due_date.strftime("%d.%m.%Y") in html
    assert stranger.full_name not in html
    logged = CardAccess.objects.filter(user=user, action=CardAccess.Action.LIST)
    assert any(sister.id in set(row.readers.values_list("id", flat=True)) for row in logged)


# The inbox page ----------------------------------------------------------------------------------


def inbox_items(reader):
    order = Order.objects.create(reader=reader, branch=reader.branch, status="new")
    return {
        "reply": InboxItem.objects.create(kind=InboxKind.MESSAGE, reader=reader,
                                          phone="+77011234567", text="Спасибо, жду"),
        "move": InboxItem.objects.create(kind=InboxKind.MOVE_REQUEST, reader=reader, order=order,
                                         phone="+77011234567", text="3"),
        "call": InboxItem.objects.create(kind=InboxKind.CALL, phone=UNKNOWN_E164),
        "concern": InboxItem.objects.create(kind=InboxKind.CONCERN, reader=reader, urgent=True,
                                            phone="+77017770000", text="Волонтёр обеспокоен"),
    }


def test_the_inbox_lists_every_kind_with_its_action_and_counts():
    reader = ReaderFactory()
    items = inbox_items(reader)
    client, user = signed_in("operator")
    html = client.get("/desk/inbox/").content.decode()
    for item in items.values():
        assert f'id="item-{item.id}"' in html
    assert html.index(f'id="item-{items["concern"].id}"') < html.index(
        f'id="item-{items["reply"].id}"')  # urgent first
    assert f'#move-date-{items["move"].order_id}' in html
    assert f'action="/desk/inbox/{items["call"].id}/call/"' in html
    assert "tel:" + UNKNOWN_E164 in html
    assert "4" in html.split('id="desk-inbox-link"')[1].split("</a>")[0]
    row = CardAccess.objects.filter(user=user, action=CardAccess.Action.LIST).latest("id")
    assert list(row.readers.values_list("id", flat=True)) == [reader.id]


def test_marking_done_says_who_did_it_and_when():
    reader = ReaderFactory()
    items = inbox_items(reader)
    client, user = signed_in("operator", first_name="Сәуле", last_name="Омарова")
    response = client.post(f"/desk/inbox/{items['reply'].id}/done/")
    item = InboxItem.objects.get(pk=items["reply"].id)
    assert response.status_code == 302
    assert item.status == InboxStatus.DONE and item.assignee == user and item.done_at
    assert f'id="item-{item.id}"' not in client.get("/desk/inbox/").content.decode()
    done = client.get("/desk/inbox/", {"status": "done"}).content.decode()
    assert f'id="item-{item.id}"' in done and "Сәуле Омарова" in done


def test_calling_back_logs_the_call_and_closes_the_item():
    reader = ReaderFactory()
    items = inbox_items(reader)
    client, user = signed_in("librarian")
    client.post(f"/desk/inbox/{items['reply'].id}/call/",
                {"outcome": "information", "note": "Подтвердила визит"})
    call = CallLog.objects.get()
    assert (call.direction, call.phone, call.reader, call.operator, call.note) == (
        CallLog.Direction.OUTGOING, "+77011234567", reader, user, "Подтвердила визит")
    item = InboxItem.objects.get(pk=items["reply"].id)
    assert item.status == InboxStatus.DONE and item.assignee == user
    done = client.get("/desk/inbox/", {"status": "done"}).content.decode()
    assert "Подтвердила визит" in done


def test_a_call_back_nobody_answered_is_logged_and_the_item_stays_open():
    items = inbox_items(ReaderFactory())
    client, _user = signed_in("operator")
    client.post(f"/desk/inbox/{items['call'].id}/call/", {"outcome": "no_answer"})
    assert CallLog.objects.get().outcome == "no_answer"
    assert InboxItem.objects.get(pk=items["call"].id).status == InboxStatus.OPEN


def test_a_call_back_without_an_outcome_is_refused_and_changes_nothing():
    items = inbox_items(ReaderFactory())
    client, _user = signed_in("operator")
    response = client.post(f"/desk/inbox/{items['call'].id}/call/", {"outcome": "sing"})
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    assert not CallLog.objects.exists()
    assert InboxItem.objects.get(pk=items["call"].id).status == InboxStatus.OPEN


def test_a_new_card_to_complete_links_librarians_to_the_full_card():
    branch = BranchFactory()
    operator, _user = signed_in("operator", branch=branch)
    operator.post("/desk/new/", new_card_form(branch))
    reader = Reader.objects.get()
    librarian, _user = signed_in("librarian")
    assert f"/admin/readers/reader/{reader.id}/change/" in librarian.get(
        "/desk/inbox/").content.decode()
    assert f"/admin/readers/reader/{reader.id}/change/" not in operator.get(
        "/desk/inbox/").content.decode()


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_other_roles_cannot_use_the_inbox_or_the_new_card(role):
    items = inbox_items(ReaderFactory())
    client, _user = signed_in(role)
    assert client.get("/desk/inbox/").status_code == 403
    assert client.post(f"/desk/inbox/{items['reply'].id}/done/").status_code == 403
    assert client.post(f"/desk/inbox/{items['reply'].id}/call/",
                       {"outcome": "information"}).status_code == 403
    assert client.get("/desk/new/").status_code == 403
    assert client.post("/desk/calls/", {"phone": UNKNOWN, "outcome": "other"}).status_code == 403
    assert InboxItem.objects.filter(status=InboxStatus.OPEN).count() == 4
    assert not CallLog.objects.exists()


def test_an_unknown_inbox_item_is_a_404():
    client, _user = signed_in("operator")
    assert client.post("/desk/inbox/999999/done/").status_code == 404


def test_moving_the_visit_from_a_move_request_closes_it_by_the_operator():
    reader = ReaderFactory()
    items = inbox_items(reader)
    move = items["move"]
    client, user = signed_in("operator")
    card = client.get(f"/desk/readers/{reader.id}/", {"inbox": move.id}).content.decode()
    assert f'name="inbox" value="{move.id}"' in card
    day = datetime.date.today() + datetime.timedelta(days=6)
    client.post(f"/desk/readers/{reader.id}/orders/{move.order_id}/move/",
                {"preferred_date": day.isoformat(), "window": "", "inbox": move.id},
                HTTP_HX_REQUEST="true")
    move.refresh_from_db()
    assert move.status == InboxStatus.DONE and move.assignee == user
    # Another item's number in the form closes nothing.
    other = items["reply"]
    client.post(f"/desk/readers/{reader.id}/orders/{move.order_id}/move/",
                {"preferred_date": day.isoformat(), "inbox": other.id})
    assert InboxItem.objects.get(pk=other.id).status == InboxStatus.OPEN
