"""A whole day through the app: sign in, the route, arrive, complete, fail, finish."""
import datetime

from backend.catalog.models import Item
from backend.circulation.models import Loan
from backend.orders.models import Order
from backend.routing import services as routing_services
from backend.routing.models import Stop
from tests.factories import ItemFactory, LoanFactory, ReaderPhoneFactory
from tests.mobile_api.conftest import PASSWORD, ask_for_code, make_volunteer, new_key
from tests.routing.test_planning import reader_at, ready_order

API = "/api/mobile/v1/"


def planned_today(volunteer):
    """Three readers with ready orders for today and a loan due back, planned by the real
    planner and published."""
    from mobile_api.selectors import branch_today

    branch = volunteer.branch
    day = branch_today(branch)
    orders, loans = [], []
    for lon in (69.01, 69.02, 69.03):
        reader = reader_at(branch, lon)
        ReaderPhoneFactory(reader=reader)
        orders.append(ready_order(reader, day, items=2))
        loans.append(LoanFactory(reader=reader, item=ItemFactory(branch=branch, status="on_loan"),
                                 due_date=day - datetime.timedelta(days=3)))
    plan = routing_services.plan_get_or_create(branch=branch, date=day)
    figures = routing_services.plan_solve(plan=plan, time_limit=1)
    assert figures["served"] == 3
    routing_services.plan_publish(plan=plan)
    return orders, loans


def sign_in(client, phone):
    response = client.post(API + "auth/token/", {"phone": phone, "password": PASSWORD},
                           format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")


def act(client, path, body=None):
    response = client.post(API + path, body or {}, format="json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code == 200, response.content
    return response.json()


def test_a_whole_day_through_the_app(api, depot):
    volunteer = make_volunteer(branch=depot)
    orders, loans = planned_today(volunteer)
    sign_in(api, str(volunteer.user.phone))

    me = api.get(API + "me/").json()
    assert me["branch"]["id"] == depot.pk and me["languages"] == ["kk", "ru"]
    listed = api.get(API + "me/routes/").json()
    assert len(listed["routes"]) == 1 and listed["routes"][0]["stops_total"] == 3
    route_id = listed["routes"][0]["id"]
    route = api.get(f"{API}routes/{route_id}/").json()
    first, second, third = route["stops"]
    assert [s["number"] for s in route["stops"]] == [1, 2, 3]
    assert len(first["hand_over"]) == 2 and len(first["collect"]) == 1

    act(api, f"routes/{route_id}/start/")
    arrived = act(api, f"stops/{first['id']}/arrive/")
    assert arrived["stop"]["status"] == "arrived"
    delivered = [book["barcode"] for book in first["hand_over"]]
    collected = [book["barcode"] for book in first["collect"]]
    done = act(api, f"stops/{first['id']}/complete/",
               {"delivered": delivered, "collected": collected, "note": "Всё хорошо"})
    assert done["stop"]["status"] == "completed"
    assert sorted(loan["barcode"] for loan in done["loans"]) == sorted(delivered)
    assert done["returns"] == [{"barcode": collected[0]}]

    failed = act(api, f"stops/{second['id']}/fail/", {"reason": "not_home", "note": "Не открыли"})
    assert failed["stop"]["status"] == "failed"
    finished = act(api, f"routes/{route_id}/finish/")
    assert finished["route"]["status"] == "finished"

    # Loans and returns are right afterwards.
    stop1 = Stop.objects.get(pk=first["id"])
    reader1 = stop1.reader
    assert sorted(Loan.objects.filter(reader=reader1, status="active")
                  .values_list("item__barcode", flat=True)) == sorted(delivered)
    assert Loan.objects.get(item__barcode=collected[0]).status == "returned"
    assert Loan.objects.get(item__barcode=collected[0]).return_channel == "visit"
    assert set(Item.objects.filter(barcode__in=delivered).values_list("status", flat=True)) \
        == {"on_loan"}
    order_of = {o.reader_id: o for o in Order.objects.filter(pk__in=[o.pk for o in orders])}
    assert order_of[reader1.pk].status == "delivered"
    stop2 = Stop.objects.get(pk=second["id"])
    assert (stop2.status, stop2.fail_reason) == ("failed", "not_home")
    assert order_of[stop2.reader_id].status == "ready"  # back to be planned again
    assert order_of[stop2.reader_id].fail_reason == "not_home"
    stop3 = Stop.objects.get(pk=third["id"])
    assert stop3.status == "failed"  # not visited: the finish sent it back
    assert not Loan.objects.filter(reader__in=[stop2.reader, stop3.reader],
                                   order_line__isnull=False).exists()
    assert Loan.objects.filter(reader__in=[stop2.reader, stop3.reader],
                               status="active").count() == 2  # not collected

    after = api.get(f"{API}routes/{route_id}/").json()
    assert after["status"] == "finished"
    assert [s["status"] for s in after["stops"]] == ["completed", "failed", "failed"]
    assert after["stops"][0]["items_delivered"] == 2


def test_a_day_signed_in_by_sms_code(api, depot):
    import re

    from backend.notifications.models import Message

    volunteer = make_volunteer(branch=depot)
    planned_today(volunteer)
    phone = str(volunteer.user.phone)
    assert ask_for_code(api, phone).status_code == 200
    text = Message.objects.get(to=phone, template="sign_in_code").text
    code = re.search(r"\b\d{6}\b", text).group(0)
    tokens = api.post(API + "auth/otp/verify/", {"phone": phone, "code": code},
                      format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    route_id = api.get(API + "me/routes/").json()["routes"][0]["id"]
    stop = api.get(f"{API}routes/{route_id}/").json()["stops"][0]
    done = act(api, f"stops/{stop['id']}/complete/",
               {"delivered": [b["barcode"] for b in stop["hand_over"]], "collected": []})
    assert done["route"]["status"] == "started"  # the first door starts the route
