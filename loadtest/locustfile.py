"""Who uses the service during the load test (run by loadtest/run.py; see its docstring).

- Volunteers (one simulated user per generated volunteer): the app's day. Fetch today's
  routes, open the route, then stop after stop: arrive, complete (hand over the copies
  listed, take back the ones due) or, now and then, "nobody at home"; re-read the route
  after each action (with If-None-Match), poll the change feed one time in three, and one
  step in ten open the app again (today's routes, then the route). At the end of the
  route, finish it and keep polling.
- Operators: a caller's phone typed in the search box as the caller says it (the readers
  search), the caller's card on the desk (the desk lookup), and for most calls an order:
  a title searched in the caller's language at their branch, then the order with the call
  logged.
- A coordinator: the next working day of one branch planned again and again (solve with a
  time limit, then the plan read back until the planner is done), as when orders come in.

Nobody signs in here: the runner puts a token per user in the fixture (see run.py).
Everything answered outside 2xx/304 counts as an error, and so does an answer that does
not say what the user needs (the caller not found, a stop without its copies).

Pacing (seconds between one user's actions, "low,high") comes from KNIGA_LOAD_*_WAIT.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid

import gevent
from locust import FastHttpUser, between, task

MOBILE = "/api/mobile/v1"
STAFF = "/api/v1"
with open(os.environ["KNIGA_LOAD_FIXTURE"], encoding="utf-8") as _handle:
    FIXTURE = json.load(_handle)


def _pace(name: str, default: str):
    low, high = (float(x) for x in os.environ.get(name, default).split(","))
    return between(low, high)


def _problem(response) -> str:
    if not response.status_code:  # no answer at all: the connection failed
        return f"no answer: {response.error!r}"
    try:
        body = response.json()
        code = body.get("code") if isinstance(body, dict) else None
    except Exception:  # not JSON: an HTML error page, a proxy's answer
        code = None
    return f"{response.status_code} {code or (response.text or '')[:80]}"


class _ApiUser(FastHttpUser):
    abstract = True
    token = ""

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                "Accept-Language": "ru", **extra}

    def get_json(self, path: str, name: str, *, ok=(200,), **kwargs):
        """GET and answer the JSON body (None for 304, or when the request failed)."""
        with self.client.get(path, headers=self.headers(**kwargs.pop("headers", {})),
                             name=name, catch_response=True, **kwargs) as response:
            if response.status_code not in ok:
                response.failure(_problem(response))
                return None, response
            return (response.json() if response.status_code == 200 else None), response

    def check_failed(self, name: str, message: str) -> None:
        """An answer that came back fine but does not say what the user needs: an error."""
        self.environment.events.request.fire(
            request_type="CHECK", name=name, response_time=0, response_length=0,
            response=None, context={}, exception=AssertionError(message))

    def post_json(self, path: str, name: str, body: dict, *, ok=(200,), headers=None):
        with self.client.post(path, json=body, headers=self.headers(**(headers or {})),
                              name=name, catch_response=True) as response:
            if response.status_code not in ok:
                response.failure(_problem(response))
                return None
            return response.json()


_volunteers = itertools.count()
_operators = itertools.count()


class Volunteer(_ApiUser):
    fixed_count = len(FIXTURE["volunteers"])
    wait_time = _pace("KNIGA_LOAD_VOLUNTEER_WAIT", "10,30")
    fail_share = 0.1
    reopen_share = 0.1

    def on_start(self) -> None:
        me = FIXTURE["volunteers"][next(_volunteers) % len(FIXTURE["volunteers"])]
        self.token = me["token"]
        self.route_id = None
        self.stops: list[dict] = []
        self.etag = ""
        self.cursor = 0
        self.finished = False
        self.open_day()

    def open_day(self) -> None:
        body, _ = self.get_json(f"{MOBILE}/me/routes/", f"{MOBILE}/me/routes/")
        if body is None:
            return
        if not body["routes"]:
            self.finished = True  # nothing today: the app only polls
            return
        self.route_id = body["routes"][0]["id"]
        self.read_route()

    def read_route(self) -> None:
        extra = {"If-None-Match": self.etag} if self.etag else {}
        body, response = self.get_json(f"{MOBILE}/routes/{self.route_id}/",
                                       f"{MOBILE}/routes/{{id}}/", ok=(200, 304), headers=extra)
        if body is not None:
            self.stops = body["stops"]
            self.etag = response.headers.get("ETag", "")
            if body["status"] == "finished":
                self.finished = True

    def act(self, path: str, name: str, body: dict) -> None:
        self.post_json(path, name, body, headers={"Idempotency-Key": str(uuid.uuid4())})

    def poll_changes(self) -> None:
        body, _ = self.get_json(f"{MOBILE}/changes/?since={self.cursor}", f"{MOBILE}/changes/")
        if body is not None:
            self.cursor = body["cursor"]

    @task
    def next_step(self) -> None:
        if self.route_id is None and not self.finished:
            self.open_day()
            return
        if random.random() < self.reopen_share:
            self.open_day()  # the app opened again: today's routes, then the route
            return
        if self.finished:
            # The day is done (or there was none): the app keeps itself up to date.
            if self.route_id is not None:
                self.read_route()
            self.poll_changes()
            return
        stop = next((s for s in self.stops if s["status"] in ("planned", "arrived")), None)
        if stop is None:
            self.act(f"{MOBILE}/routes/{self.route_id}/finish/", f"{MOBILE}/routes/{{id}}/finish/",
                     {})
            self.finished = True
        elif stop["status"] == "planned":
            self.act(f"{MOBILE}/stops/{stop['id']}/arrive/", f"{MOBILE}/stops/{{id}}/arrive/", {})
        elif random.random() < self.fail_share:
            self.act(f"{MOBILE}/stops/{stop['id']}/fail/", f"{MOBILE}/stops/{{id}}/fail/",
                     {"reason": "not_home", "note": "Не открыли"})
        else:
            if stop["items_to_hand_over"] and not stop.get("hand_over"):
                # The details are what the volunteer works from.
                self.check_failed(f"{MOBILE}/routes/{{id}}/",
                                  "a stop to hand over without its copies")
                return
            self.act(f"{MOBILE}/stops/{stop['id']}/complete/", f"{MOBILE}/stops/{{id}}/complete/",
                     {"delivered": [item["barcode"] for item in stop["hand_over"]],
                      "collected": [item["barcode"] for item in stop["collect"]],
                      "note": ""})
        self.read_route()
        if random.random() < 0.3:
            self.poll_changes()


def _spoken(e164: str, rng: random.Random) -> str:
    """A phone as a caller says it or an operator types it."""
    national = e164[2:]
    forms = (
        e164,
        f"8 {national[:3]} {national[3:6]} {national[6:8]} {national[8:]}",
        f"+7 ({national[:3]}) {national[3:6]}-{national[6:8]}-{national[8:]}",
        f"8{national}",
        national[-7:],  # the last seven digits: what an operator types when in a hurry
    )
    return rng.choices(forms, weights=(20, 35, 20, 15, 10))[0]


class Operator(_ApiUser):
    fixed_count = len(FIXTURE["operators"])
    wait_time = _pace("KNIGA_LOAD_OPERATOR_WAIT", "5,15")
    order_share = 0.6

    def on_start(self) -> None:
        number = next(_operators)
        me = FIXTURE["operators"][number % len(FIXTURE["operators"])]
        self.token = me["token"]
        self.rng = random.Random(number)
        callers = FIXTURE["callers"][number::len(FIXTURE["operators"])]
        self.callers = iter(callers)

    @task
    def call(self) -> None:
        caller = next(self.callers, None)
        if caller is None:
            return  # every caller of this operator has rung
        phone = _spoken(caller["phone"], self.rng)
        found, _ = self.get_json(f"{STAFF}/readers/?q={_quote(phone)}&page_size=10",
                                 f"{STAFF}/readers/?q=<phone>")
        if found is not None and caller["reader"] not in [r["id"] for r in found["results"]]:
            self._missing(f"{STAFF}/readers/?q=<phone>", phone)
            return
        card, _ = self.get_json(f"{STAFF}/desk/lookup/?phone={_quote(phone)}",
                                f"{STAFF}/desk/lookup/?phone=")
        if card is None:
            return
        if caller["reader"] not in [m["reader"]["id"] for m in card["matches"]]:
            self._missing(f"{STAFF}/desk/lookup/?phone=", phone)
            return
        if self.rng.random() >= self.order_share:
            return  # a question about a visit, a renewal: no order this time
        word = self.rng.choice(FIXTURE["title_words"][caller["language"]])
        titles, _ = self.get_json(
            f"{STAFF}/titles/?q={_quote(word)}&language={caller['language']}"
            f"&available_at={caller['branch']}&page_size=20", f"{STAFF}/titles/?q=")
        if not titles or not titles["results"]:
            return
        chosen = self.rng.sample(titles["results"], min(len(titles["results"]),
                                                        self.rng.choice([1, 1, 2])))
        self.post_json(f"{STAFF}/orders/", f"{STAFF}/orders/", {
            "reader": caller["reader"],
            "lines": [{"title": title["id"]} for title in chosen],
            "preferred_date": FIXTURE["order_date"],
            "window_start": "10:00", "window_end": "13:00",
            "call": {"phone": caller["phone"], "duration_seconds": self.rng.randint(60, 400)},
        }, ok=(201,))

    def _missing(self, name: str, phone: str) -> None:
        self.check_failed(name, f"the caller was not found by {phone!r}")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


class Coordinator(_ApiUser):
    fixed_count = 1
    wait_time = _pace("KNIGA_LOAD_COORDINATOR_WAIT", "30,60")

    def on_start(self) -> None:
        me = FIXTURE["coordinator"]
        self.token = me["token"]
        self.solve_seconds = float(os.environ.get("KNIGA_LOAD_SOLVE_SECONDS", "5"))
        plan = self.post_json(f"{STAFF}/plans/", f"{STAFF}/plans/",
                              {"branch": me["branch"], "date": me["date"]}, ok=(200, 201))
        self.plan_id = plan["id"] if plan else None

    @task
    def replan(self) -> None:
        """Plan the day again, watch the planner's state until it is done and read the plan
        once, as the day-plan page does. With a Celery worker the answer is 202 at once; the
        wait is recorded as "plan solved (queued to done)"."""
        if self.plan_id is None:
            return
        started = time.monotonic()
        with self.client.post(f"{STAFF}/plans/{self.plan_id}/solve/",
                              json={"time_limit": self.solve_seconds}, headers=self.headers(),
                              name=f"{STAFF}/plans/{{id}}/solve/",
                              catch_response=True) as response:
            if response.status_code not in (200, 202):
                response.failure(_problem(response))
                return
            state = response.json()["solve_status"]
        deadline = started + 10 * self.solve_seconds + 60
        while state in ("queued", "running") and time.monotonic() < deadline:
            gevent.sleep(1)
            body, _ = self.get_json(f"{STAFF}/plans/{self.plan_id}/progress/",
                                    f"{STAFF}/plans/{{id}}/progress/")
            if body is None:
                return
            state = body["solve_status"]
        elapsed = (time.monotonic() - started) * 1000
        if state == "done":  # the page then reads the plan once, to draw it
            self.get_json(f"{STAFF}/plans/{self.plan_id}/", f"{STAFF}/plans/{{id}}/")
        self.environment.events.request.fire(
            request_type="PLAN", name="plan solved (queued to done)", response_time=elapsed,
            response_length=0, response=None, context={},
            exception=None if state == "done" else AssertionError(f"the planner: {state}"))
