"""Re-planning a published day makes a draft: the volunteers see exactly what they saw until
the coordinator publishes it; a discarded draft changes nothing."""
import pytest

from backend.notifications.models import Message, MessageStatus, TemplateCode
from backend.routing.models import PlanRevision, Route, Stop, StopStatus
from tests.mobile_api.conftest import app_for, branch_today, make_volunteer, post
from tests.routing.test_planning import reader_at, ready_order

API = "/api/mobile/v1/"


def seen(volunteer, day) -> dict:
    """Everything the volunteer's app reads of the day: the list, each route, the feed."""
    app = app_for(volunteer)
    listed = app.get(API + "me/routes/", {"date": day.isoformat()}).json()
    routes = {r["id"]: app.get(f"{API}routes/{r['id']}/").json() for r in listed["routes"]}
    return {"list": listed, "routes": routes, "feed": app.get(API + "changes/").json()}


def route_messages(volunteer) -> int:
    return Message.objects.filter(user=volunteer.user, template__in=[
        TemplateCode.ROUTE_CHANGED, TemplateCode.ROUTE_PUBLISHED,
        TemplateCode.ROUTE_REVISED]).count()


@pytest.fixture
def published_day(api, depot):
    """Three volunteers who each take at most two stops, four stops: two routes published,
    one volunteer free. The first stop of the first route is under way (arrived)."""
    # Messages may leave at any hour of this branch's day: a revision's message is due the
    # same day, and at 21:00 the default messaging hours would rightly let it expire unsent.
    depot.quiet_hours_start, depot.quiet_hours_end = "00:00", "23:59:59"
    depot.save(update_fields=["quiet_hours_start", "quiet_hours_end"])
    volunteers = [make_volunteer(branch=depot, max_stops=2) for _ in range(3)]
    day = branch_today(depot)
    # Two pairs of neighbours, one early and one late in each: each route has one best order.
    for lon, window in ((69.01, ("09:00", "12:00")), (69.011, ("14:00", "18:00")),
                        (69.03, ("09:00", "12:00")), (69.031, ("14:00", "18:00"))):
        ready_order(reader_at(depot, lon), day, window=window)
    client = api.as_role("coordinator")
    plan = client.post("/api/v1/plans/", {"branch": depot.pk, "date": day.isoformat()},
                       format="json").json()
    solved = client.post(f"/api/v1/plans/{plan['id']}/solve/", {"time_limit": 1},
                         format="json")
    assert solved.json()["figures"]["served"] == 4
    assert client.post(f"/api/v1/plans/{plan['id']}/publish/").status_code == 200
    routes = list(Route.objects.filter(plan_id=plan["id"]).order_by("id"))
    assert len(routes) == 2
    first = Stop.objects.filter(route=routes[0]).order_by("sequence").first()
    answer = post(app_for(routes[0].volunteer), f"{API}stops/{first.pk}/arrive/")
    assert answer.status_code == 200, answer.content
    busy = [r.volunteer for r in routes]
    free = next(v for v in volunteers if v not in busy)
    return {"client": client, "plan": plan["id"], "day": day, "first": busy[0],
            "second": busy[1], "free": free, "arrived": first}


def replan(day, *, drop) -> dict:
    client = day["client"]
    answer = client.post(f"/api/v1/plans/{day['plan']}/solve/",
                         {"time_limit": 1, "drop_volunteers": [drop.pk]}, format="json")
    assert answer.status_code == 200, answer.json()
    return client.get(f"/api/v1/plans/{day['plan']}/revision/").json()


def test_a_replan_of_a_published_day_changes_nothing_until_published(published_day):
    day = published_day
    first, second, free = day["first"], day["second"], day["free"]
    # The morning's messages have left (a waiting one would take in later changes).
    Message.objects.update(status=MessageStatus.SENT)
    before = {v.pk: seen(v, day["day"]) for v in (first, second, free)}
    messages = {v.pk: route_messages(v) for v in (first, second, free)}

    # Another volunteer drops out: the first one sees exactly what they saw.
    diff = replan(day, drop=second)
    assert diff["exists"] is True and diff["has_changes"] is True
    assert {m["to"] for m in diff["moved"]} == {free.pk}
    assert {m["from"] for m in diff["moved"]} == {second.pk}
    assert any(str(free) in line and str(second) in line for line in diff["summary"])
    for v in (first, second, free):
        assert seen(v, day["day"]) == before[v.pk]
    # Thrown away: nothing changed, nothing is left to publish.
    client = day["client"]
    assert client.post(f"/api/v1/plans/{day['plan']}/revision/discard/").status_code == 200
    assert client.get(f"/api/v1/plans/{day['plan']}/revision/").json() == {"exists": False}
    again = client.post(f"/api/v1/plans/{day['plan']}/revision/publish/")
    assert (again.status_code, again.json()["code"]) == (409, "revision.none")
    for v in (first, second, free):
        assert seen(v, day["day"]) == before[v.pk]

    # They drop out themselves: still the same, for them and for everyone.
    diff = replan(day, drop=first)
    assert {m["from"] for m in diff["moved"]} == {first.pk}
    assert day["arrived"].pk not in {m["stop"] for m in diff["moved"]}
    for v in (first, second, free):
        assert seen(v, day["day"]) == before[v.pk]
    assert {v.pk: route_messages(v) for v in (first, second, free)} == messages

    # Published: now it changes, and only the volunteers whose routes changed hear of it.
    published = client.post(f"/api/v1/plans/{day['plan']}/revision/publish/")
    assert published.status_code == 200, published.json()
    assert not PlanRevision.objects.filter(plan_id=day["plan"]).exists()
    after = {v.pk: seen(v, day["day"]) for v in (first, second, free)}
    assert after[first.pk] != before[first.pk] and after[free.pk] != before[free.pk]
    assert second.pk not in diff["volunteers_changed"]
    assert after[second.pk]["feed"] == before[second.pk]["feed"]
    kinds = {c["kind"] for c in after[first.pk]["feed"]["changes"]} - {
        c["kind"] for c in before[first.pk]["feed"]["changes"]}
    assert "stop_removed" in kinds
    # The stop under way stays where it was.
    arrived = Stop.objects.get(pk=day["arrived"].pk)
    assert (arrived.route.volunteer_id, arrived.sequence, arrived.status) == (
        first.pk, day["arrived"].sequence, StopStatus.ARRIVED)
    moved_to_free = set(Stop.objects.filter(route__volunteer=free).values_list("pk", flat=True))
    assert moved_to_free == {m["stop"] for m in diff["moved"]}
    # One message each to the volunteers whose routes changed, none to the others.
    assert route_messages(first) == messages[first.pk] + 1
    assert route_messages(free) == messages[free.pk] + 1
    assert route_messages(second) == messages[second.pk]
    assert Message.objects.filter(user=free.user, status=MessageStatus.QUEUED).count() == 1
    # What changed, in the first volunteer's language: the stops taken away, what is left.
    told = Message.objects.filter(user=first.user).latest("id")
    assert told.template == TemplateCode.ROUTE_REVISED
    assert told.context["removed"] == len(diff["moved"]) and told.context["stops"] == 1
    assert f"{len(diff['moved'])}" in told.text


def test_a_new_plan_of_an_unpublished_day_is_written_at_once(api, depot):
    make_volunteer(branch=depot)
    day = branch_today(depot)
    ready_order(reader_at(depot, 69.01), day)
    client = api.as_role("coordinator")
    plan = client.post("/api/v1/plans/", {"branch": depot.pk, "date": day.isoformat()},
                       format="json").json()
    client.post(f"/api/v1/plans/{plan['id']}/solve/", {"time_limit": 1}, format="json")
    assert Stop.objects.filter(plan_id=plan["id"]).exclude(route=None).count() == 1
    assert client.get(f"/api/v1/plans/{plan['id']}/revision/").json() == {"exists": False}


def test_only_coordinators_publish_a_revision(published_day, api):
    day = published_day
    replan(day, drop=day["second"])
    librarian = api.as_role("librarian")
    url = f"/api/v1/plans/{day['plan']}/revision/"
    assert librarian.get(url).status_code == 200
    assert librarian.post(url + "publish/").status_code == 403
    assert librarian.post(url + "discard/").status_code == 403
    assert PlanRevision.objects.filter(plan_id=day["plan"]).exists()


def test_the_coordinator_adjusts_the_draft_not_the_published_day(published_day):
    day = published_day
    first, second, free = day["first"], day["second"], day["free"]
    Message.objects.update(status=MessageStatus.SENT)
    before = {v.pk: seen(v, day["day"]) for v in (first, second, free)}
    placed = dict(Stop.objects.filter(plan_id=day["plan"]).values_list("pk", "route_id"))
    diff = replan(day, drop=second)
    client = day["client"]
    stop = diff["moved"][0]["stop"]
    first_route = Route.objects.get(plan_id=day["plan"], volunteer=first)
    # Move one of the dropped volunteer's stops to the first volunteer instead, in the draft.
    moved = client.post(f"/api/v1/stops/{stop}/move/", {"route": first_route.pk},
                        format="json")
    assert moved.status_code == 200, moved.json()
    diff = client.get(f"/api/v1/plans/{day['plan']}/revision/").json()
    assert {m["stop"]: m["to"] for m in diff["moved"]}[stop] == first.pk
    # Reorder the first volunteer's draft route: the stop under way stays first.
    draft = PlanRevision.objects.get(plan_id=day["plan"]).solution
    ids = [int(v["stop_id"]) for r in draft["routes"] if r["vehicle_id"] == str(first.pk)
           for v in r["visits"]]
    assert ids[0] == day["arrived"].pk and stop in ids
    turned = client.post(f"/api/v1/routes/{first_route.pk}/resequence/",
                         {"stops": list(reversed(ids))}, format="json")
    assert turned.status_code == 200, turned.json()
    draft = PlanRevision.objects.get(plan_id=day["plan"]).solution
    now = [int(v["stop_id"]) for r in draft["routes"] if r["vehicle_id"] == str(first.pk)
           for v in r["visits"]]
    assert now == [ids[0], *reversed(ids[1:])]
    # The stop under way cannot be moved, in the draft either.
    refused = client.post(f"/api/v1/stops/{day['arrived'].pk}/move/",
                          {"route": Route.objects.get(plan_id=day["plan"], volunteer=second).pk},
                          format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "stop.locked")
    # None of it reached the volunteers.
    assert dict(Stop.objects.filter(plan_id=day["plan"]).values_list("pk", "route_id")) == placed
    for v in (first, second, free):
        assert seen(v, day["day"]) == before[v.pk]
    # Published: the adjusted draft is what they get.
    assert client.post(f"/api/v1/plans/{day['plan']}/revision/publish/").status_code == 200
    assert list(Stop.objects.filter(route=first_route).order_by("sequence")
                .values_list("pk", flat=True)) == now
