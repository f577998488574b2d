"""The volunteers' app at /app/ on a phone: installable, a whole day offline, sign-out.

A phone-sized Chromium context (360×640, touch, ru-RU) against the live server; offline is
Playwright's `context.set_offline(True)`, so the page sees `navigator.onLine === false` and
every request fails unless the service worker answers it.
"""
import datetime
import re
import time
from importlib import import_module

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from backend.circulation.models import Loan
from backend.notifications.models import InboxItem, Message
from backend.orders.models import Order
from backend.routing.models import Concern, Stop
from backend.routing.services import stop_move
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.mobile_api.conftest import (
    due_back,
    make_volunteer,
    published_route,
    stops_of,
    to_hand_over,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                  has_touch=True, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.base_url = live_server.url
    yield page
    context.close()


def open_app(page, hash_=""):
    page.goto(f"{page.base_url}/app/{hash_}")
    page.wait_for_function("() => document.body.dataset.ready === 'true'")


def code_sent_to(phone_number: str, seconds: float = 10) -> str:
    """The text of the sign-in code's SMS. Without a worker the code is sent once the answer
    is out (mobile_api/auth.py), so the page can show the code's field a moment before the
    message is written: wait for it, a while at most."""
    deadline = time.monotonic() + seconds
    while True:
        message = (Message.objects.filter(template="sign_in_code", to=phone_number)
                   .order_by("-pk").first())
        if message is not None:
            return message.text
        assert time.monotonic() < deadline, f"no sign-in code was sent to {phone_number}"
        time.sleep(0.05)


def sign_in_by_code(page, phone_number: str) -> None:
    page.fill("#signin-code-phone", phone_number)
    page.get_by_role("button", name="Прислать код").click()
    page.wait_for_selector("#signin-code", state="visible")
    text = code_sent_to(phone_number)
    page.fill("#signin-code", re.search(r"\b(\d{6})\b", text).group(1))
    page.get_by_role("button", name="Войти по коду").click()


def wait_controlled(page) -> None:
    """The service worker is active and controls the page (the shell is precached)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")


def test_chromium_reports_the_app_installable(browser, live_server, tmp_path):
    # A profile on disk: Chromium never offers to install from an incognito-like context.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
        viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, locale="ru-RU")
    try:
        page = context.new_page()
        page.set_default_timeout(20000)
        page.base_url = live_server.url
        open_app(page)
        wait_controlled(page)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"].endswith("/app/manifest.webmanifest")
    finally:
        context.close()


def test_a_whole_day_offline_then_synced(phone):
    volunteer = make_volunteer()
    route = published_route(volunteer, stops=3, items=2, collect=1)
    first, second, third = stops_of(route)
    handed_first, handed_second = to_hand_over(first), to_hand_over(second)
    returned = due_back(first)
    kept_second = due_back(second)
    page = phone

    open_app(page)
    sign_in_by_code(page, str(volunteer.user.phone))
    page.wait_for_function("() => document.querySelectorAll('li.stop').length === 3")
    wait_controlled(page)
    screenshot(page, "app-day")

    page.context.set_offline(True)
    page.wait_for_function("() => document.getElementById('net').dataset.online === 'false'")

    # First door: arrive, tick the two books by hand, type the barcode of the one due back.
    page.locator(f"li.stop[data-stop='{first.pk}'] a").click()
    page.get_by_role("button", name="Я на месте").click()
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '1'")
    for barcode in handed_first:
        page.get_by_label(re.compile(re.escape(barcode))).check()
    page.fill("#stop-barcode", returned[0])
    page.keyboard.press("Enter")
    assert page.get_by_label(re.compile(re.escape(returned[0]))).is_checked()
    screenshot(page, "app-stop")
    page.get_by_role("button", name="Завершить визит").click()

    # The next stop opens: hand over both books, collect nothing, complete without "arrive".
    page.wait_for_url(re.compile(rf"#/stop/{second.pk}$"))
    for barcode in handed_second:
        page.get_by_label(re.compile(re.escape(barcode))).check()
    page.get_by_role("button", name="Завершить визит").click()

    # The third: nobody at home.
    page.wait_for_url(re.compile(rf"#/stop/{third.pk}$"))
    page.get_by_label("Никого нет дома").check()
    page.fill("#fail-note", "Звонил дважды")
    page.get_by_role("button", name="Не доставлено").click()
    page.wait_for_url(re.compile(r"#/$"))
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '5'")
    assert "Ждут отправки (5)" in page.locator("#pending").inner_text()
    assert Stop.objects.filter(route=route, status="planned").count() == 3  # nothing sent

    # Close the app and open it again, still offline: the ticks are still there.
    context = page.context
    page.close()
    page = context.new_page()
    page.set_default_timeout(20000)
    page.base_url = phone.base_url
    open_app(page)
    page.wait_for_function("() => document.querySelectorAll('li.stop').length === 3")
    assert page.locator("li.stop.completed").count() == 2
    assert page.locator("li.stop.failed").count() == 1
    assert "Никого нет дома" in page.locator(f"li.stop[data-stop='{third.pk}']").inner_text()
    assert page.locator("#pending").get_attribute("data-count") == "5"

    # Online again: the queue drains and the server has what one online pass gives.
    context.set_offline(False)
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '0'")
    statuses = dict(Stop.objects.filter(route=route).values_list("pk", "status"))
    assert statuses == {first.pk: "completed", second.pk: "completed", third.pk: "failed"}
    assert Stop.objects.get(pk=third.pk).fail_reason == "not_home"
    for barcode in handed_first + handed_second:
        assert Loan.objects.get(item__barcode=barcode, status="active").reader_id in (
            first.reader_id, second.reader_id)
    assert Loan.objects.get(item__barcode=returned[0]).status == "returned"
    assert Loan.objects.get(item__barcode=kept_second[0]).status == "active"
    orders = {o.reader_id: o.status for o in Order.objects.filter(stops__route=route)}
    assert orders == {first.reader_id: "delivered", second.reader_id: "delivered",
                      third.reader_id: "ready"}

    # Opening the app once more sends nothing again and changes nothing.
    open_app(page)
    page.wait_for_function("() => document.querySelectorAll('li.stop.completed').length === 2")
    assert Loan.objects.filter(item__barcode__in=handed_first + handed_second).count() == 4

    # Sign out: no reader data left on the phone, in IndexedDB or in the caches.
    page.goto(f"{page.base_url}/app/#/me")
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_function("() => document.body.dataset.signedOut === 'true'")
    page.wait_for_selector("#signin-code-phone")
    left = page.evaluate("""async () => {
        const found = [];
        for (const info of await indexedDB.databases()) {
            const db = await new Promise((ok, ko) => {
                const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result);
                r.onerror = () => ko(r.error); });
            for (const name of db.objectStoreNames) {
                const rows = await new Promise((ok) => {
                    const r = db.transaction(name).objectStore(name).getAll();
                    r.onsuccess = () => ok(r.result); });
                found.push(...rows.map((row) => JSON.stringify(row)));
            }
            db.close();
        }
        for (const key of await caches.keys()) {
            const cache = await caches.open(key);
            for (const request of await cache.keys()) {
                const response = await cache.match(request);
                found.push(request.url + " " + await response.clone().text());
            }
        }
        return found.join("\\n");
    }""")
    assert first.reader.last_name not in left
    assert not re.search(r"^http\S*/api/", left, re.M)  # no API answer is kept
    for barcode in handed_first + returned:
        assert barcode not in left


def sign_in_by_password(page, volunteer) -> None:
    page.fill("#signin-phone", str(volunteer.user.phone))
    page.fill("#signin-password", "correct-horse-battery")
    page.get_by_role("button", name="Войти", exact=True).click()


def test_a_stop_moved_to_another_volunteer_while_offline_is_shown_and_dropped(phone):
    volunteer = make_volunteer()
    other = make_volunteer(branch=volunteer.branch)
    route = published_route(volunteer, stops=2, items=1, collect=0)
    other_route = published_route(other, stops=1, items=1, collect=0)
    kept, moved = stops_of(route)
    page = phone
    open_app(page)
    sign_in_by_password(page, volunteer)
    page.wait_for_function("() => document.querySelectorAll('li.stop').length === 2")

    page.context.set_offline(True)
    page.wait_for_function("() => document.getElementById('net').dataset.online === 'false'")
    page.locator(f"li.stop[data-stop='{moved.pk}'] a").click()
    page.get_by_role("button", name="Я на месте").click()
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '1'")
    with transaction.atomic():
        stop_move(stop=moved, route=other_route)

    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '0'")
    page.wait_for_function("() => document.querySelectorAll('li.stop').length === 1")
    assert "передана другому волонтёру" in page.locator("#notices").inner_text()
    assert page.locator(f"li.stop[data-stop='{kept.pk}']").count() == 1
    assert Stop.objects.get(pk=moved.pk).status == "planned"  # the arrival was refused


def test_a_concern_reaches_the_inbox_once_when_sent_three_times(phone):
    # A transactional test starts from an empty database: the SMS texts the migrations write
    # are written again.
    import_module("backend.notifications.migrations.0004_concerns_and_sign_in_link").add_texts(
        apps, None)
    volunteer = make_volunteer()
    volunteer.branch.duty_phone = "+77015550000"
    volunteer.branch.save()
    route = published_route(volunteer, stops=1, items=1, collect=0)
    (stop,) = stops_of(route)
    page = phone
    open_app(page)
    sign_in_by_password(page, volunteer)
    page.wait_for_function("() => document.querySelectorAll('li.stop').length === 1")

    page.context.set_offline(True)
    page.wait_for_function("() => document.getElementById('net').dataset.online === 'false'")
    page.locator(f"li.stop[data-stop='{stop.pk}'] a").click()
    page.select_option("#concern-kind", "unwell")
    page.fill("#concern-note", "Жалуется на сердце")
    page.get_by_role("button", name="Сообщить в библиотеку").click()
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '1'")

    # The first two sendings reach the server but their answers are lost on the way back.
    sent = []

    def lose_the_answer(route_):
        sent.append(route_.request.post_data)
        if len(sent) < 3:
            route_.fetch()
            route_.abort()
        else:
            route_.continue_()

    page.context.route("**/api/mobile/v1/sync/", lose_the_answer)
    for _ in range(3):
        synced = page.evaluate("() => document.body.dataset.synced || ''")
        page.context.set_offline(False)
        page.wait_for_function(f"() => (document.body.dataset.synced || '') !== '{synced}'")
        if len(sent) < 3:
            page.context.set_offline(True)
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '0'")
    assert len(sent) == 3 and len(set(sent)) == 1
    assert Concern.objects.filter(stop=stop).count() == 1
    assert InboxItem.objects.filter(kind="concern", reader=stop.reader).count() == 1
    assert Message.objects.filter(template="concern_raised", to="+77015550000").count() == 1


def test_screenshots_in_kazakh(phone):
    volunteer = make_volunteer()
    route = published_route(volunteer, stops=3, items=2, collect=1)
    page = phone
    open_app(page)
    page.get_by_role("button", name="Қазақша").click()
    page.wait_for_function("() => document.body.dataset.ready === 'true' "
                           "&& document.documentElement.lang === 'kk'")
    assert page.get_by_role("button", name="Кіру", exact=True).count() == 1
    screenshot(page, "app-sign-in-kk")
    page.fill("#signin-phone", str(volunteer.user.phone))
    page.fill("#signin-password", "correct-horse-battery")
    page.get_by_role("button", name="Кіру", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('li.stop').length === 3")
    assert "аялдама қалды" in page.locator(".progress").inner_text()
    screenshot(page, "app-day-kk")
    page.locator(f"li.stop[data-stop='{stops_of(route)[0].pk}'] a").click()
    page.get_by_role("button", name="Мен келдім").wait_for()
    screenshot(page, "app-stop-kk")


def server_state(route) -> dict:
    """What the server holds for a route: stops, loans, copies, orders and every action it
    recorded, so that a second pass that changes anything shows up."""
    from mobile_api.models import IdempotencyRecord

    stops = list(Stop.objects.filter(route=route).order_by("pk").values_list(
        "pk", "status", "fail_reason", "arrived_at", "completed_at"))
    readers = [stop.reader_id for stop in Stop.objects.filter(route=route)]
    loans = sorted(Loan.objects.filter(reader_id__in=readers).values_list(
        "item__barcode", "status", "reader_id", "returned_at"))
    orders = sorted(Order.objects.filter(stops__route=route).values_list("pk", "status"))
    return {"stops": stops, "loans": loans, "orders": orders,
            "loan_count": Loan.objects.count(),
            "idempotency": IdempotencyRecord.objects.count()}


def test_closing_the_app_in_the_middle_of_a_sync_changes_nothing_more(phone):
    volunteer = make_volunteer()
    route = published_route(volunteer, stops=2, items=1, collect=1)
    first, second = stops_of(route)
    handed = to_hand_over(first)
    returned = due_back(first)
    page = phone
    open_app(page)
    sign_in_by_password(page, volunteer)
    page.wait_for_function("() => document.querySelectorAll('li.stop').length === 2")
    wait_controlled(page)

    # Offline: the first door done with its book and its return, the second not at home.
    page.context.set_offline(True)
    page.wait_for_function("() => document.getElementById('net').dataset.online === 'false'")
    page.locator(f"li.stop[data-stop='{first.pk}'] a").click()
    for barcode in handed + returned:
        page.get_by_label(re.compile(re.escape(barcode))).check()
    page.get_by_role("button", name="Завершить визит").click()
    page.wait_for_url(re.compile(rf"#/stop/{second.pk}$"))
    page.get_by_label("Никого нет дома").check()
    page.get_by_role("button", name="Не доставлено").click()
    page.wait_for_url(re.compile(r"#/$"))
    # arrive and complete (the app arrives for you), then fail
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '3'")

    # Back online, the batch reaches the server and is applied, but the page is closed
    # before the answer comes back: the phone never hears what happened.
    held = []

    def apply_and_hold(route_):
        held.append((route_, route_.request.post_data, route_.fetch()))

    context = page.context
    context.route("**/api/mobile/v1/sync/", apply_and_hold)
    context.set_offline(False)
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1, "the app did not send its queue"
    applied = server_state(route)
    assert [status for _, status, *_ in applied["stops"]] == ["completed", "failed"]
    page.close()
    context.unroute("**/api/mobile/v1/sync/", apply_and_hold)

    # Reopened: the queue (still there) is sent again with the same keys, the answers are the
    # first ones, the queue empties, and the server holds exactly what one pass gave.
    sent = []
    context.on("request", lambda request: sent.append(request.post_data)
               if request.url.endswith("/api/mobile/v1/sync/") else None)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.base_url = phone.base_url
    open_app(page)
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '0'")
    page.wait_for_function("() => document.querySelectorAll('li.stop.completed').length === 1 "
                           "&& document.querySelectorAll('li.stop.failed').length === 1")
    assert sent == [held[0][1]]  # the very same batch, keys included
    assert server_state(route) == applied
    assert Loan.objects.filter(item__barcode__in=handed, status="active").count() == len(handed)
    assert Loan.objects.get(item__barcode=returned[0]).status == "returned"
    assert page.evaluate("""async () => {
        const db = await new Promise((ok, ko) => { const r = indexedDB.open("kniga-app");
            r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
        const rows = await new Promise((ok) => {
            const r = db.transaction("queue").objectStore("queue").getAll();
            r.onsuccess = () => ok(r.result); });
        db.close();
        return rows.length;
    }""") == 0


def test_the_sign_in_link_works_once_then_asks_for_a_code(browser, live_server, settings):
    from backend.accounts.links import sign_in_link_issue

    settings.APP_BASE_URL = live_server.url
    volunteer = make_volunteer()
    published_route(volunteer, stops=2, items=1, collect=0)
    link = sign_in_link_issue(user=volunteer.user)
    assert link.startswith(f"{live_server.url}/app/#link=")

    def fresh_phone():
        context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                      has_touch=True, locale="ru-RU")
        page = context.new_page()
        page.set_default_timeout(20000)
        return page

    def tokens_kept(page):
        return page.evaluate("""async () => {
            const db = await new Promise((ok, ko) => { const r = indexedDB.open("kniga-app");
                r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
            const value = await new Promise((ok) => {
                const r = db.transaction("kv").objectStore("kv").get("tokens");
                r.onsuccess = () => ok(r.result); });
            db.close();
            return Boolean(value);
        }""")

    def asks_for_a_code(page):
        page.wait_for_selector("#signin-code-phone")
        assert "ссылка для входа уже использована или устарела" in page.locator(
            "#app .status").inner_text()
        # The code form comes first, before the password one.
        assert page.evaluate("() => document.querySelector('#app form input').id") == (
            "signin-code-phone")
        assert "#link=" not in page.url
        assert not tokens_kept(page)

    one = fresh_phone()
    one.goto(link)
    one.wait_for_function("() => document.querySelectorAll('li.stop').length === 2")
    assert "#link=" not in one.url and tokens_kept(one)
    one.context.close()

    # The same link a second time, on another phone (someone who saw the SMS): a code instead.
    two = fresh_phone()
    two.goto(link)
    asks_for_a_code(two)
    two.context.close()

    # A link issued longer ago than MOBILE_LINK_HOURS and never used: a code instead.
    expired = sign_in_link_issue(user=volunteer.user, now=timezone.now() - datetime.timedelta(
        hours=settings.MOBILE_LINK_HOURS, seconds=1))
    three = fresh_phone()
    three.goto(expired)
    asks_for_a_code(three)
    three.context.close()
