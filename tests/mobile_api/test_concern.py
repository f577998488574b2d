"""A concern at the door: the branch hears at once (an urgent inbox item, an SMS to the duty
phone, the caregiver where the card says so), exactly once however often the app sends it."""
import datetime

import pytest
from django.utils import timezone

from backend.notifications.models import InboxItem, Message
from backend.routing.models import Concern, Route
from tests.mobile_api.conftest import (
    app_for,
    branch_today,
    make_volunteer,
    post,
    published_route,
    stops_of,
)
from tests.openapi import assert_documented

API = "/api/mobile/v1/"
DUTY = "+77015550101"
CAREGIVER = "+77015550202"


@pytest.fixture
def on_duty(volunteer):
    branch = volunteer.branch
    branch.duty_phone = DUTY
    branch.save(update_fields=["duty_phone"])
    return branch


def concern_url(stop) -> str:
    return f"{API}stops/{stop.pk}/concern/"


def test_a_concern_reaches_the_inbox_and_the_duty_phone_once_when_sent_three_times(
        app, route, on_duty):
    stop = stops_of(route)[0]
    body = {"kind": "fall_or_injury", "note": "Упала в коридоре, встать не может"}
    answers = [post(app, concern_url(stop), body, key="concern-1") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    first = answers[0].json()
    assert_documented(answers[0], "post", "/api/mobile/v1/stops/{id}/concern/")
    assert set(first) == {"id", "stop", "kind", "kind_label", "note", "created_at"}
    assert first["stop"] == stop.pk and first["kind"] == "fall_or_injury"
    assert first["note"] == body["note"] and first["kind_label"]
    assert answers[1].json() == first and answers[2]["Idempotent-Replayed"] == "true"
    concern = Concern.objects.get()
    assert (concern.reader_id, concern.stop_id, concern.raised_by) == (
        stop.reader_id, stop.pk, route.volunteer)
    inbox = InboxItem.objects.get(kind="concern")
    assert inbox.urgent and inbox.reader_id == stop.reader_id and inbox.status == "open"
    assert body["note"] not in inbox.text  # the note stays on the card, for librarians
    duty = Message.objects.get(template="concern_raised")
    assert duty.to == DUTY and stop.reader.last_name in duty.text
    assert duty.status == "queued" and body["note"] not in duty.text


def test_the_same_concern_through_sync_counts_once(app, route, on_duty):
    stop = stops_of(route)[0]
    body = {"kind": "unwell", "note": ""}
    direct = post(app, concern_url(stop), body, key="c-sync")
    results = post(app, API + "sync/", {"actions": [
        {"key": "c-sync", "type": "concern", "stop": stop.pk, "body": body,
         "happened_at": timezone.now().isoformat()}]}).json()["results"]
    assert results == [{"key": "c-sync", "status": 201, "body": direct.json()}]
    assert Concern.objects.count() == 1 and Message.objects.filter(
        template="concern_raised").count() == 1


def test_sync_raises_a_concern_with_the_time_it_was_seen(app, route, on_duty):
    stop = stops_of(route)[0]
    seen = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=30)
    results = post(app, API + "sync/", {"actions": [
        {"key": "c-1", "type": "concern", "stop": stop.pk,
         "body": {"kind": "no_heating_or_food"}, "happened_at": seen.isoformat()}]}
    ).json()["results"]
    assert results[0]["status"] == 201, results
    assert Concern.objects.get().created_at == seen
    assert InboxItem.objects.filter(kind="concern", urgent=True).count() == 1


def test_other_needs_a_note_and_a_note_has_a_limit(app, route):
    stop = stops_of(route)[0]
    response = post(app, concern_url(stop), {"kind": "other", "note": "  "})
    assert response.status_code == 400 and "note" in response.json()["fields"]
    assert_documented(response, "post", "/api/mobile/v1/stops/{id}/concern/")
    assert post(app, concern_url(stop), {"kind": "unwell", "note": "x" * 1001}) \
        .status_code == 400
    assert post(app, concern_url(stop), {"kind": "sad"}).status_code == 400
    assert not Concern.objects.exists() and not InboxItem.objects.exists()


def test_only_on_the_volunteers_own_stops(app, route):
    other = make_volunteer(branch=route.plan.branch)
    theirs = stops_of(published_route(other, stops=1))[0]
    response = post(app, concern_url(theirs), {"kind": "unwell"})
    assert response.status_code == 404
    assert not Concern.objects.exists()


def test_not_once_the_visit_is_long_over(app, volunteer):
    old = published_route(volunteer, day=branch_today(volunteer.branch)
                          - datetime.timedelta(days=3), stops=1)
    response = post(app, concern_url(stops_of(old)[0]), {"kind": "unwell"})
    assert response.status_code == 409
    assert response.json()["code"] == "concern.too_late"
    assert not Concern.objects.exists()


def test_allowed_on_a_route_of_yesterday_whose_details_are_still_shown(app, volunteer):
    yesterday = published_route(volunteer, day=branch_today(volunteer.branch)
                                - datetime.timedelta(days=1), stops=1)
    # Finished an hour ago: the details stay for a few hours after.
    Route.objects.filter(pk=yesterday.pk).update(
        status="finished", finished_at=timezone.now() - datetime.timedelta(hours=1))
    response = post(app, concern_url(stops_of(yesterday)[0]), {"kind": "no_answer_again"})
    assert response.status_code == 201, response.content


def test_the_caregiver_hears_when_the_card_says_so(app, route, on_duty):
    stop = stops_of(route)[0]
    reader = stop.reader
    reader.contact_channel = "caregiver"
    reader.caregiver_phone = CAREGIVER
    reader.save(update_fields=["contact_channel", "caregiver_phone"])
    assert post(app, concern_url(stop), {"kind": "unwell"}).status_code == 201
    told = Message.objects.get(template="concern_caregiver")
    assert told.to == CAREGIVER and told.via_caregiver
    # Another reader's card sends messages to the reader: no caregiver message.
    second = stops_of(route)[1]
    assert post(app, concern_url(second), {"kind": "unwell"}).status_code == 201
    assert Message.objects.filter(template="concern_caregiver").count() == 1


def test_without_a_duty_phone_the_inbox_still_hears(app, route):
    stop = stops_of(route)[0]
    assert post(app, concern_url(stop), {"kind": "neglect"}).status_code == 201
    assert InboxItem.objects.filter(kind="concern", urgent=True).count() == 1
    assert not Message.objects.filter(template="concern_raised").exists()


def test_concerns_come_first_in_the_desk_inbox(app, route, on_duty):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    stop = stops_of(route)[0]
    assert post(app, concern_url(stop), {"kind": "unwell"}).status_code == 201
    InboxItem.objects.create(kind="message", phone="+77015550303", text="Можно в пятницу?")
    desk = APIClient()
    desk.force_authenticate(UserFactory(role="operator"))
    items = desk.get("/api/v1/desk/inbox/").json()["results"]
    assert [(i["kind"], i["urgent"]) for i in items] == [("concern", True), ("message", False)]


def test_the_app_of_another_volunteer_cannot_replay_a_key(route, on_duty):
    stop = stops_of(route)[0]
    mine = app_for(route.volunteer)
    assert post(mine, concern_url(stop), {"kind": "unwell"}, key="shared").status_code == 201
    other = app_for(make_volunteer(branch=route.plan.branch))
    assert post(other, concern_url(stop), {"kind": "unwell"}, key="shared").status_code == 404
