"""Every mobile endpoint, generated from the URL patterns: no token -> 401, a staff token ->
403, another volunteer's ids -> 404 with nothing of theirs in the answer. A new endpoint
without a case here fails `test_every_endpoint_has_a_case`."""
import pytest

from mobile_api import urls
from tests.mobile_api.conftest import app_for, make_volunteer, post, published_route, stops_of

PREFIX = "/api/mobile/v1/"
# Sign-in endpoints are open by design; they are tested in test_auth.
OPEN = {"auth/token/", "auth/refresh/", "auth/sign-out/", "auth/otp/request/",
        "auth/otp/verify/", "auth/link/"}
BODIES = {
    "stops/<int:pk>/complete/": {"delivered": [], "collected": []},
    "stops/<int:pk>/fail/": {"reason": "not_home"},
    "stops/<int:pk>/concern/": {"kind": "unwell"},
    "me/availability/": {"kind": "absence", "starts_on": "2026-12-28",
                         "ends_on": "2026-12-29"},
    "sync/": {"actions": []},
}


def patterns() -> list[str]:
    return [str(p.pattern) for p in urls.urlpatterns]


def methods(pattern: str) -> list[str]:
    view = next(p for p in urls.urlpatterns if str(p.pattern) == pattern).callback.view_class
    return [m for m in ("get", "post") if hasattr(view, m)]


CASES = [(p, m) for p in patterns() if p not in OPEN for m in methods(p)]


def test_every_endpoint_has_a_case():
    assert {p for p, _ in CASES} | OPEN == set(patterns())
    assert len(CASES) >= 12


def call(client, pattern, method, pk=None):
    url = PREFIX + pattern.replace("<int:pk>", str(pk if pk is not None else 1))
    if method == "get":
        return client.get(url)
    return post(client, url, BODIES.get(pattern, {}))


@pytest.mark.parametrize("pattern, method", CASES)
def test_no_token_is_401(api, pattern, method):
    response = call(api, pattern, method)
    assert response.status_code == 401
    assert response.json()["code"] == "auth.not_authenticated"


@pytest.mark.parametrize("pattern, method", CASES)
def test_staff_is_403(make_user, pattern, method):
    response = call(app_for(make_user("coordinator")), pattern, method)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("pattern, method", CASES)
def test_another_volunteers_ids_are_404(db, pattern, method):
    mine, theirs = make_volunteer(), make_volunteer()
    published_route(mine, stops=1)
    other_route = published_route(theirs, stops=1)
    other_stop = stops_of(other_route)[0]
    name = other_stop.reader.full_name
    client = app_for(mine)
    if "<int:pk>" not in pattern:
        # No id in the path: the answer is about me only, never the other volunteer.
        response = call(client, pattern, method)
        assert response.status_code in (200, 201), response.content
        assert name not in response.content.decode()
        if pattern == "me/routes/":
            assert other_route.pk not in [r["id"] for r in response.json()["routes"]]
        return
    pk = other_stop.pk if pattern.startswith("stops/") else other_route.pk
    response = call(client, pattern, method, pk)
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert name not in response.content.decode()
    other_stop.refresh_from_db()
    other_route.refresh_from_db()
    assert (other_stop.status, other_route.status) == ("planned", "published")


def test_sync_with_another_volunteers_stop_is_404_per_action(db):
    mine, theirs = make_volunteer(), make_volunteer()
    other_stop = stops_of(published_route(theirs, stops=1))[0]
    response = post(app_for(mine), PREFIX + "sync/", {"actions": [
        {"key": "a1", "type": "arrive", "stop": other_stop.pk, "body": {},
         "happened_at": "2026-01-01T10:00:00Z"}]})
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == 404
    other_stop.refresh_from_db()
    assert other_stop.status == "planned"


def test_draft_route_is_not_found(volunteer, app):
    route = published_route(volunteer, stops=1)
    route.status = "draft"
    route.save()
    assert app.get(f"{PREFIX}routes/{route.pk}/").status_code == 404
    assert app.get(f"{PREFIX}me/routes/").json()["routes"] == []


def test_a_stop_moved_away_answers_not_on_your_route(volunteer, app):
    from backend.routing.models import RouteChange

    stop = stops_of(published_route(volunteer, stops=1))[0]
    other = published_route(make_volunteer(branch=volunteer.branch),
                            day=stop.plan.date, stops=0)
    RouteChange.objects.create(route=stop.route, stop=stop, volunteer=volunteer,
                               kind="stop_removed")
    stop.route = other
    stop.save()
    response = post(app, f"{PREFIX}stops/{stop.pk}/arrive/")
    assert response.status_code == 409
    assert response.json()["code"] == "stop.not_on_your_route"
    assert stop.reader.full_name not in response.content.decode()


@pytest.mark.parametrize("pattern, method", [c for c in CASES if "<int:pk>" in c[0]])
def test_an_id_no_database_can_hold_is_404(db, pattern, method):
    """A path id past what a database id can be (the fuzz found one on stops/{id}/fail/)
    answers 404 like any unknown id, not a 500 from SQLite."""
    client = app_for(make_volunteer())
    response = call(client, pattern, method, 114468704570595471924396032)
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
